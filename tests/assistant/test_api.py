"""The JSON API over HTTP on 127.0.0.1, with the real Assistant over the indexed bundled corpus."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path

import httpx
import pytest

from assistant.contract import MAX_HISTORY_TURNS, MAX_TURN_CHARS
from assistant.feedback import FeedbackStore
from assistant.models import Answer, Turn
from assistant.server import create_app, serve_in_thread
from assistant.service import Assistant
from assistant.settings import Settings
from tests.conftest import make_settings

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


class Canned:
    """A stand-in Assistant for the request checks (no index needed): echoes what it was asked."""

    def answer(self, question: str, history: list[Turn] | None = None) -> Answer:
        return Answer(answer=f"{question} ({len(history or [])})", found=False, question_interpreted=question)

    def documents(self) -> list[object]:
        return []

    def ingest(self, paths: Sequence[Path]) -> object:
        return {"files": []}


@pytest.fixture(scope="module")
def canned_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    settings = make_settings(tmp_path_factory.mktemp("canned"))
    with serve_in_thread(create_app(settings, Canned(), feedback=FeedbackStore(settings.data_dir / "f.jsonl"))) as url:
        yield url


@pytest.fixture(scope="module")
def canned_keyed_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    settings = make_settings(tmp_path_factory.mktemp("canned-keyed"), api_key="s3cret-key")
    with serve_in_thread(create_app(settings, Canned(), feedback=FeedbackStore(settings.data_dir / "f.jsonl"))) as url:
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


@pytest.mark.parametrize("kind", ["canned", "real"])
def test_a_lone_surrogate_gets_422_not_500(request: pytest.FixtureRequest, kind: str) -> None:
    base_url = request.getfixturevalue("canned_url" if kind == "canned" else "base_url")
    # JSON may carry "\ud800" (an unpaired UTF-16 surrogate); no encoder can write it, so it is refused early.
    raw = b'{"question": "\\ud800 kim ngach"}'
    in_question = httpx.post(
        f"{base_url}/api/ask", content=raw, headers={"Content-Type": "application/json"}, timeout=30
    )
    raw_history = (
        b'{"question": "C\\u00f2n n\\u0103m 2025?", "history": [{"role": "user", "content": "a\\udc00b"}]}'
    )
    in_history = httpx.post(
        f"{base_url}/api/ask", content=raw_history, headers={"Content-Type": "application/json"}, timeout=30
    )

    assert in_question.status_code == 422
    assert "question: the text holds an invalid character at position 1" in in_question.json()["detail"]
    assert "không hợp lệ" in in_question.json()["detail"]
    assert in_history.status_code == 422
    assert "history.0.content" in in_history.json()["detail"]


def test_history_turns_and_their_length_are_capped(canned_url: str) -> None:
    base_url = canned_url
    turn = {"role": "user", "content": "kim ngạch xuất khẩu"}
    too_many = httpx.post(
        f"{base_url}/api/ask",
        json={"question": EXPORT_2025, "history": [turn] * (MAX_HISTORY_TURNS + 1)},
        timeout=30,
    )
    too_long = httpx.post(
        f"{base_url}/api/ask",
        json={"question": EXPORT_2025, "history": [{"role": "user", "content": "x" * 100_000}]},
        timeout=30,
    )
    at_the_caps = httpx.post(
        f"{base_url}/api/ask",
        json={"question": EXPORT_2025, "history": [{"role": "user", "content": "y" * MAX_TURN_CHARS}] * MAX_HISTORY_TURNS},
        timeout=60,
    )

    assert too_many.status_code == 422
    assert f"the limit is {MAX_HISTORY_TURNS}" in too_many.json()["detail"]
    assert too_long.status_code == 422
    assert f"the limit per turn is {MAX_TURN_CHARS}" in too_long.json()["detail"]
    assert "history.0.content" in too_long.json()["detail"]
    assert at_the_caps.status_code == 200
    assert at_the_caps.json()["answer"].endswith(f"({MAX_HISTORY_TURNS})")


def test_a_follow_up_with_the_longest_history_allowed_is_answered_quickly(base_url: str) -> None:
    """The caps bound the work a request can cause (before them: one 100,000-character turn took 67 s)."""
    long_turn = "Mục tiêu kim ngạch xuất khẩu giai đoạn 2021-2025 là bao nhiêu? " * (MAX_TURN_CHARS // 64)
    history = [{"role": "user", "content": long_turn[:MAX_TURN_CHARS]}] * MAX_HISTORY_TURNS

    response = httpx.post(f"{base_url}/api/ask", json={"question": "Còn năm 2025?", "history": history}, timeout=120)

    assert response.status_code == 200
    assert response.json()["latency_ms"] < 10_000


def test_wrong_method_gets_405_and_an_unknown_endpoint_404(canned_url: str) -> None:
    base_url = canned_url
    get_ask = httpx.get(f"{base_url}/api/ask", timeout=30)
    put_documents = httpx.put(f"{base_url}/api/documents", json={}, timeout=30)  # GET lists, POST uploads
    unknown = httpx.get(f"{base_url}/api/nothing-here", timeout=30)

    assert get_ask.status_code == 405
    assert get_ask.headers["allow"] == "POST"
    assert "use POST" in get_ask.json()["detail"]
    assert put_documents.status_code == 405
    assert put_documents.headers["allow"] == "GET, POST"
    assert unknown.status_code == 404
    assert "/api/ask" in unknown.json()["detail"]


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


@pytest.mark.parametrize(
    ("content", "headers"),
    [
        (b"question=abc", {}),  # not JSON
        (b'{"question": ""}', {}),  # invalid body
        (b'{"question": ""}', {"Authorization": "Bearer nope"}),
        (b'{"question": ""}', {"Authorization": "Basic czNjcmV0LWtleQ=="}),
    ],
)
def test_the_key_is_checked_before_the_body(canned_keyed_url: str, content: bytes, headers: dict[str, str]) -> None:
    response = httpx.post(
        f"{canned_keyed_url}/api/ask",
        content=content,
        headers={"Content-Type": "application/json", **headers},
        timeout=30,
    )

    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"


def test_with_the_key_a_bad_body_is_still_a_422_and_get_a_405(canned_keyed_url: str) -> None:
    key = {"Authorization": "Bearer s3cret-key"}
    bad = httpx.post(f"{canned_keyed_url}/api/ask", json={"question": ""}, headers=key, timeout=30)
    get_ask = httpx.get(f"{canned_keyed_url}/api/ask", headers=key, timeout=30)

    assert bad.status_code == 422
    assert get_ask.status_code == 405


def test_a_burst_of_concurrent_questions_is_answered_every_one(base_url: str) -> None:
    # Sixteen clients at once, each a question not asked before (so every one is embedded, several at the
    # same time in the engine): every one is answered, with the figure asked for.
    questions = [f"Chỉ tiêu kim ngạch xuất khẩu năm 2025 là bao nhiêu? ({i})" for i in range(8)] + [
        f"Tỷ lệ đô thị hóa năm 2025 là bao nhiêu? ({i})" for i in range(8)
    ]

    def ask(question: str) -> httpx.Response:
        return httpx.post(f"{base_url}/api/ask", json={"question": question}, timeout=120)

    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(len(questions)) as pool:
        responses = list(pool.map(ask, questions))

    assert [r.status_code for r in responses] == [200] * len(questions)
    bodies = [r.json() for r in responses]
    assert all("1.850 triệu USD" in body["answer"] for body in bodies[:8])
    assert all(body["answer"] and body["question_interpreted"] for body in bodies[8:])
