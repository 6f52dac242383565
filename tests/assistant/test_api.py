"""The JSON API over HTTP on 127.0.0.1, with the real Assistant over the indexed bundled corpus."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path

import httpx
import pytest

from assistant.feedback import FeedbackStore
from assistant.models import Answer, Turn
from assistant.server import create_app, serve_in_thread
from assistant.service import Assistant
from assistant.settings import Settings

pytestmark = pytest.mark.slow

EXPORT_2025 = "Chỉ tiêu kim ngạch xuất khẩu năm 2025 là bao nhiêu?"
FAILING_QUESTION = "Câu hỏi làm hệ thống lỗi"


class FailsOnOneQuestion:
    """The real Assistant, except that one question raises inside answer() (fault injection)."""

    def __init__(self, assistant: Assistant) -> None:
        self._assistant = assistant

    def answer(self, question: str, history: list[Turn] | None = None) -> Answer:
        if question == FAILING_QUESTION:
            raise RuntimeError("simulated failure inside answer()")
        return self._assistant.answer(question, history)

    def documents(self) -> list[object]:
        return list(self._assistant.documents())

    def ingest(self, paths: Sequence[Path]) -> object:
        return self._assistant.ingest(paths)


@pytest.fixture(scope="module")
def base_url(
    indexed_settings: Settings, corpus_assistant: Assistant, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    feedback = FeedbackStore(tmp_path_factory.mktemp("feedback") / "feedback.jsonl")
    app = create_app(indexed_settings, FailsOnOneQuestion(corpus_assistant), feedback=feedback)
    with serve_in_thread(app) as url:
        yield url


@pytest.fixture(scope="module")
def keyed_url(
    indexed_settings: Settings, corpus_assistant: Assistant, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    settings = indexed_settings.model_copy(update={"api_key": "s3cret-key"})
    feedback = FeedbackStore(tmp_path_factory.mktemp("feedback") / "feedback.jsonl")
    with serve_in_thread(create_app(settings, corpus_assistant, feedback=feedback)) as url:
        yield url


def test_ask_returns_the_exact_figure_with_citations_and_latency(base_url: str) -> None:
    response = httpx.post(f"{base_url}/api/ask", json={"question": EXPORT_2025}, timeout=60)

    assert response.status_code == 200
    body = response.json()
    assert "1.850 triệu USD" in body["answer"]
    assert body["found"] is True
    assert body["latency_ms"] > 0
    assert body["question_interpreted"]
    first = body["citations"][0]
    assert first["n"] == 1
    assert {"source", "title", "number", "date", "period", "location", "quote"} <= first.keys()
    assert any("1.850 triệu USD" in c["quote"] for c in body["citations"])
    assert "retrieved" not in body


def test_follow_up_uses_the_history(base_url: str) -> None:
    first_question = "Mục tiêu kim ngạch xuất khẩu giai đoạn 2021-2025 là bao nhiêu?"
    first = httpx.post(f"{base_url}/api/ask", json={"question": first_question}, timeout=60).json()
    history = [{"role": "user", "content": first_question}, {"role": "assistant", "content": first["answer"]}]

    follow_up = httpx.post(
        f"{base_url}/api/ask", json={"question": "Còn năm 2025 thì sao?", "history": history}, timeout=60
    ).json()

    assert "1.850 triệu USD" in follow_up["answer"]
    assert "2025" in follow_up["question_interpreted"]


def test_documents_lists_the_corpus_with_metadata_and_chunk_counts(base_url: str) -> None:
    body = httpx.get(f"{base_url}/api/documents", timeout=30).json()

    assert body["count"] == 5
    sources = {d["source"] for d in body["documents"]}
    assert "004_0fe5ee8038d62b66.txt" in sources
    assert all(d["title"] and d["chunks"] > 0 for d in body["documents"])


@pytest.mark.parametrize(
    ("payload", "expected_words"),
    [
        ({"question": "   "}, "question is empty"),
        ({"question": "kim ngạch " * 120}, "limit is 1000"),
        ({"question": "Còn năm 2025?", "history": [{"role": "bot", "content": "x"}]}, "history.0.role"),
        ({"question": "Còn năm 2025?", "history": "năm 2024"}, "history"),
        ({"history": []}, "question"),
    ],
)
def test_bad_requests_get_422_with_a_readable_message(base_url: str, payload: dict[str, object], expected_words: str) -> None:
    response = httpx.post(f"{base_url}/api/ask", json=payload, timeout=30)

    assert response.status_code == 422
    detail = response.json()["detail"]
    assert isinstance(detail, str)
    assert expected_words in detail


def test_body_that_is_not_json_gets_422(base_url: str) -> None:
    response = httpx.post(
        f"{base_url}/api/ask", content=b"question=abc", headers={"Content-Type": "application/json"}, timeout=30
    )

    assert response.status_code == 422
    assert "not valid JSON" in response.json()["detail"]


def test_failure_inside_answer_is_a_500_and_the_server_keeps_serving(base_url: str) -> None:
    failed = httpx.post(f"{base_url}/api/ask", json={"question": FAILING_QUESTION}, timeout=30)

    assert failed.status_code == 500
    assert "RuntimeError" in failed.json()["detail"]
    after = httpx.post(f"{base_url}/api/ask", json={"question": EXPORT_2025}, timeout=60)
    assert after.status_code == 200
    assert httpx.get(f"{base_url}/healthz", timeout=10).json() == {"status": "ok"}


def test_openapi_docs_are_served(base_url: str) -> None:
    assert httpx.get(f"{base_url}/docs", timeout=30).status_code == 200
    paths = httpx.get(f"{base_url}/openapi.json", timeout=30).json()["paths"]
    assert {"/api/ask", "/api/documents", "/zalo/webhook", "/healthz"} <= paths.keys()


def test_api_key_guards_the_api(keyed_url: str) -> None:
    missing = httpx.get(f"{keyed_url}/api/documents", timeout=30)
    wrong = httpx.get(f"{keyed_url}/api/documents", headers={"Authorization": "Bearer nope"}, timeout=30)
    right = httpx.post(
        f"{keyed_url}/api/ask",
        json={"question": EXPORT_2025},
        headers={"Authorization": "Bearer s3cret-key"},
        timeout=60,
    )

    assert missing.status_code == 401
    assert "Missing API key" in missing.json()["detail"]
    assert wrong.status_code == 401
    assert "Wrong API key" in wrong.json()["detail"]
    assert right.status_code == 200
    assert "1.850 triệu USD" in right.json()["answer"]
    assert httpx.get(f"{keyed_url}/healthz", timeout=10).status_code == 200  # only /api/ is guarded
