"""LLM answering through the real ChatOpenAI client against fake OpenAI-compatible servers on 127.0.0.1."""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from assistant.answerer import ExtractiveAnswer
from assistant.figures import check_figures
from assistant.llm import LLMAnswerer, make_chat_model
from assistant.query import understand
from assistant.retriever import RankedChunk

PASSAGE = "c) Kim ngạch xuất khẩu đạt 1.850 triệu USD;"
META = {
    "title": "Nghị quyết về nhiệm vụ phát triển kinh tế - xã hội năm 2025",
    "kind": "nghị quyết",
    "date": "2024-12-06",
    "period": "2025",
    "source": "004.txt",
}


@dataclass
class FakeChunk:
    chunk_id: str
    source: str
    text: str
    section: str = "2. Các chỉ tiêu chủ yếu › c)"
    page: int | None = None
    metadata: dict[str, object] = field(default_factory=lambda: dict(META))


def _serve(reply: str) -> Iterator[str]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - http.server's API
            length = int(self.headers.get("Content-Length", 0))
            json.loads(self.rfile.read(length) or b"{}")
            body = json.dumps(
                {
                    "id": "chatcmpl-1",
                    "object": "chat.completion",
                    "created": 0,
                    "model": "fake",
                    "choices": [
                        {"index": 0, "message": {"role": "assistant", "content": reply}, "finish_reason": "stop"}
                    ],
                    "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
                }
            ).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def honest_server() -> Iterator[str]:
    yield from _serve("Theo Nghị quyết năm 2025, kim ngạch xuất khẩu năm 2025 đạt 1.850 triệu USD [1].")


@pytest.fixture
def inventing_server() -> Iterator[str]:
    yield from _serve("Kim ngạch xuất khẩu năm 2025 đạt 1.900 triệu USD [1].")


def _answerer(base_url: str) -> LLMAnswerer:
    return LLMAnswerer(make_chat_model("openai", "fake", base_url, None, timeout_s=5.0))


def _inputs() -> tuple[object, list[RankedChunk], ExtractiveAnswer]:
    intent = understand("Kim ngạch xuất khẩu năm 2025 là bao nhiêu?")
    ranked = [RankedChunk(FakeChunk("004.txt#0003@abc", "004.txt", PASSAGE), 0.1, 1, 1)]
    fallback = ExtractiveAnswer(found=True, answer="EXTRACTIVE: 1.850 triệu USD [1].", cited=list(ranked))
    return intent, ranked, fallback


def test_llm_answer_with_supported_figure_and_citation_is_kept(honest_server: str) -> None:
    intent, ranked, fallback = _inputs()
    result = _answerer(honest_server).answer(intent, ranked, fallback=fallback)  # type: ignore[arg-type]
    assert "1.850 triệu USD [1]" in result.answer
    assert not result.answer.startswith("EXTRACTIVE")
    assert [c.chunk.chunk_id for c in result.cited] == ["004.txt#0003@abc"]


def test_llm_answer_with_invented_figure_falls_back_and_logs(
    inventing_server: str, caplog: pytest.LogCaptureFixture
) -> None:
    intent, ranked, fallback = _inputs()
    with caplog.at_level(logging.WARNING, logger="assistant.llm"):
        result = _answerer(inventing_server).answer(intent, ranked, fallback=fallback)  # type: ignore[arg-type]
    assert result is fallback
    assert any("1.900" in r.getMessage() for r in caplog.records)


def test_llm_server_down_falls_back_to_extractive(caplog: pytest.LogCaptureFixture) -> None:
    # A port nothing listens on: bind, read the port, close.
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    intent, ranked, fallback = _inputs()
    with caplog.at_level(logging.WARNING, logger="assistant.llm"):
        result = _answerer(f"http://127.0.0.1:{port}/v1").answer(intent, ranked, fallback=fallback)  # type: ignore[arg-type]
    assert result is fallback
    assert any("LLM answer failed" in r.getMessage() for r in caplog.records)


def test_figures_compare_by_value_and_ignore_citation_markers() -> None:
    check = check_figures("Đạt 1850 triệu USD [1].", [PASSAGE])
    assert check.ok and check.unsupported == []
    assert check_figures("Đạt 1.850 triệu USD [2].", [PASSAGE]).bad_citations == [2]
    assert check_figures("Đạt 6,5% [1].", [PASSAGE]).unsupported == ["6,5"]


def test_openai_mode_without_base_url_says_what_to_set() -> None:
    with pytest.raises(ValueError, match="ASSISTANT_LLM_BASE_URL"):
        make_chat_model("openai", None, None, None, 5.0)
