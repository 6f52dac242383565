"""The Zalo OA webhook over HTTP on 127.0.0.1, with the real Assistant; only the Zalo servers are faked
(a real HTTP server in a thread that records what it receives and can fail the first sends)."""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest

from assistant.feedback import FeedbackStore
from assistant.server import create_app, serve_in_thread
from assistant.service import Assistant
from assistant.settings import Settings
from assistant.zalo import (
    NON_TEXT_REPLY,
    ZALO_TEXT_LIMIT,
    ConversationMemory,
    RecentIds,
    ZaloSender,
    compute_signature,
    split_message,
)

APP_ID = "4321987654"
OA_SECRET = "oa-secret-for-tests"
ACCESS_TOKEN = "token-for-tests"
EXPORT_2025 = "Chỉ tiêu kim ngạch xuất khẩu năm 2025 là bao nhiêu?"


# ---------------------------------------------------------------- the fake Zalo OpenAPI server


@dataclass
class FakeZalo:
    """Records every send; `fail_next(n, how)` makes the next n sends fail with HTTP 500 or Zalo's rate limit
    (-32), both transient. Permanent errors and -216 are covered in test_zalo_delivery.py."""

    received: list[dict[str, Any]] = field(default_factory=list)
    failures_left: int = 0
    failure_kind: str = "http"
    base_url: str = ""
    _changed: threading.Condition = field(default_factory=threading.Condition)

    def fail_next(self, count: int, how: str = "http") -> None:
        with self._changed:
            self.failures_left, self.failure_kind = count, how

    def record(self, entry: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        with self._changed:
            self.received.append(entry)
            self._changed.notify_all()
            if self.failures_left > 0:
                self.failures_left -= 1
                if self.failure_kind == "http":
                    return 500, {"error": -1, "message": "internal error"}
                return 200, {"error": -32, "message": "Exceeded rate limit"}
        return 200, {"error": 0, "message": "Success", "data": {"message_id": f"m{len(self.received)}"}}

    def texts_to(self, user_id: str) -> list[str]:
        return [e["body"]["message"]["text"] for e in self.received if e["body"]["recipient"]["user_id"] == user_id]

    def wait_for(self, user_id: str, count: int, timeout_s: float = 60.0) -> list[str]:
        """Waits (does not time anything) until `count` sends to the user arrived."""
        deadline = time.monotonic() + timeout_s
        with self._changed:
            while len(self.texts_to(user_id)) < count:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError(f"expected {count} sends to {user_id}, got {self.texts_to(user_id)}")
                self._changed.wait(remaining)
            return self.texts_to(user_id)


def _handler_for(fake: FakeZalo) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            body = json.loads(self.rfile.read(length) or b"{}")
            status, reply = fake.record(
                {"path": self.path, "access_token": self.headers.get("access_token"), "body": body}
            )
            data = json.dumps(reply).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler


@pytest.fixture(scope="module")
def fake_zalo() -> Iterator[FakeZalo]:
    fake = FakeZalo()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(fake))
    fake.base_url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield fake
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def webhook_url(
    indexed_settings: Settings,
    corpus_assistant: Assistant,
    fake_zalo: FakeZalo,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[str]:
    settings = indexed_settings.model_copy(
        update={
            "zalo_api_base": fake_zalo.base_url,
            "zalo_access_token": ACCESS_TOKEN,
            "zalo_app_id": APP_ID,
            "zalo_oa_secret": OA_SECRET,
            "zalo_event_max_age_s": 300,
        }
    )
    feedback = FeedbackStore(tmp_path_factory.mktemp("feedback") / "feedback.jsonl")
    app = create_app(settings, corpus_assistant, feedback=feedback)
    # Same behaviour as production, shorter waits between retries.
    app.state.zalo_bot.sender = ZaloSender(fake_zalo.base_url, ACCESS_TOKEN, retry_delays_s=(0.05, 0.1, 0.2))
    with serve_in_thread(app) as url:
        yield f"{url}/zalo/webhook"


# ---------------------------------------------------------------- helpers


_counter = iter(range(1, 1_000_000))


def text_event(user_id: str, text: str, *, msg_id: str | None = None, age_s: float = 0.0) -> dict[str, Any]:
    return {
        "app_id": APP_ID,
        "sender": {"id": user_id},
        "recipient": {"id": "oa-1"},
        "event_name": "user_send_text",
        "message": {"text": text, "msg_id": msg_id or f"msg-{next(_counter)}"},
        "timestamp": str(int((time.time() - age_s) * 1000)),
    }


def post_event(url: str, event: dict[str, Any], *, signature: str | None = "auto", prefix: str = "mac=") -> httpx.Response:
    raw = json.dumps(event, ensure_ascii=False).encode("utf-8")
    headers = {"Content-Type": "application/json"}
    if signature == "auto":
        signature = prefix + compute_signature(APP_ID, raw, str(event["timestamp"]), OA_SECRET)
    if signature is not None:
        headers["X-ZEvent-Signature"] = signature
    return httpx.post(url, content=raw, headers=headers, timeout=30)


# ---------------------------------------------------------------- the webhook


@pytest.mark.slow
def test_text_event_is_acknowledged_and_answered_with_compact_citations(webhook_url: str, fake_zalo: FakeZalo) -> None:
    response = post_event(webhook_url, text_event("user-a", EXPORT_2025))

    assert response.status_code == 200
    assert response.json()["error"] == 0
    [reply] = fake_zalo.wait_for("user-a", 1)
    assert "1.850 triệu USD" in reply
    assert "Nguồn:" in reply and "[1]" in reply
    assert len(reply) <= ZALO_TEXT_LIMIT
    sent = [e for e in fake_zalo.received if e["body"]["recipient"]["user_id"] == "user-a"][0]
    assert sent["path"] == "/v3.0/oa/message/cs"
    assert sent["access_token"] == ACCESS_TOKEN
    assert sent["body"] == {"recipient": {"user_id": "user-a"}, "message": {"text": reply}}


@pytest.mark.slow
def test_signature_is_accepted_with_or_without_the_mac_prefix(webhook_url: str, fake_zalo: FakeZalo) -> None:
    assert post_event(webhook_url, text_event("user-b", EXPORT_2025), prefix="mac=").status_code == 200
    assert post_event(webhook_url, text_event("user-b", EXPORT_2025), prefix="").status_code == 200
    assert len(fake_zalo.wait_for("user-b", 2)) == 2


@pytest.mark.slow
@pytest.mark.parametrize(
    ("signature", "age_s", "expected_words"),
    [
        (None, 0.0, "Missing X-ZEvent-Signature"),
        ("mac=" + "0" * 64, 0.0, "Wrong X-ZEvent-Signature"),
        ("auto", 3600.0, "possible replay"),
    ],
)
def test_unsigned_wrongly_signed_or_stale_events_get_401_and_no_reply(
    webhook_url: str, fake_zalo: FakeZalo, signature: str | None, age_s: float, expected_words: str
) -> None:
    user_id = f"intruder-{expected_words.split()[0]}"
    response = post_event(webhook_url, text_event(user_id, EXPORT_2025, age_s=age_s), signature=signature)

    assert response.status_code == 401
    assert expected_words in response.json()["detail"]
    # A signed event from another user is answered after these would have been: none of them was.
    post_event(webhook_url, text_event("barrier-" + user_id, EXPORT_2025))
    fake_zalo.wait_for("barrier-" + user_id, 1)
    assert fake_zalo.texts_to(user_id) == []


@pytest.mark.slow
def test_tampered_body_fails_the_signature(webhook_url: str) -> None:
    event = text_event("user-t", EXPORT_2025)
    raw = json.dumps(event).encode()
    signature = "mac=" + compute_signature(APP_ID, raw, event["timestamp"], OA_SECRET)
    tampered = raw.replace(b"user-t", b"user-x")

    response = httpx.post(webhook_url, content=tampered, headers={"X-ZEvent-Signature": signature}, timeout=30)

    assert response.status_code == 401


@pytest.mark.slow
def test_the_same_msg_id_twice_is_answered_once(webhook_url: str, fake_zalo: FakeZalo) -> None:
    first = post_event(webhook_url, text_event("user-d", EXPORT_2025, msg_id="dup-1"))
    again = post_event(webhook_url, text_event("user-d", EXPORT_2025, msg_id="dup-1"))
    post_event(webhook_url, text_event("user-d", "Tổng vốn đầu tư toàn xã hội năm 2025 là bao nhiêu?", msg_id="after-dup"))

    assert first.status_code == 200 and again.status_code == 200
    assert again.json()["message"] == "ignored"
    # One user's replies go out in order, so once the later message is answered nothing else is pending.
    replies = fake_zalo.wait_for("user-d", 2)
    assert fake_zalo.texts_to("user-d") == replies
    assert len(replies) == 2
    assert "1.850 triệu USD" in replies[0]
    assert "19.960 tỷ đồng" in replies[1]


@pytest.mark.slow
def test_non_text_event_gets_a_polite_vietnamese_reply(webhook_url: str, fake_zalo: FakeZalo) -> None:
    event = text_event("user-i", "")
    event["event_name"] = "user_send_image"
    event["message"] = {"msg_id": "img-1", "attachments": [{"type": "image", "payload": {"url": "http://x/y.jpg"}}]}

    assert post_event(webhook_url, event).status_code == 200
    assert fake_zalo.wait_for("user-i", 1) == [NON_TEXT_REPLY]


@pytest.mark.slow
def test_events_not_sent_by_a_user_get_no_reply(webhook_url: str, fake_zalo: FakeZalo) -> None:
    echo = text_event("user-e", "Tin nhắn OA gửi đi")
    echo["event_name"] = "oa_send_text"

    response = post_event(webhook_url, echo)

    assert response.status_code == 200
    assert response.json()["message"] == "ignored"
    post_event(webhook_url, text_event("user-e", EXPORT_2025))
    assert len(fake_zalo.wait_for("user-e", 1)) == 1


@pytest.mark.slow
def test_follow_up_uses_that_users_recent_turns(webhook_url: str, fake_zalo: FakeZalo) -> None:
    post_event(webhook_url, text_event("user-f", "Mục tiêu kim ngạch xuất khẩu giai đoạn 2021-2025 là bao nhiêu?"))
    fake_zalo.wait_for("user-f", 1)
    post_event(webhook_url, text_event("user-f", "Còn năm 2025 thì sao?"))
    replies = fake_zalo.wait_for("user-f", 2)

    assert "1.850 triệu USD" in replies[1]


@pytest.mark.slow
@pytest.mark.parametrize("how", ["http", "json"])
def test_failed_sends_are_retried_with_backoff_and_logged(
    webhook_url: str, fake_zalo: FakeZalo, how: str, caplog: pytest.LogCaptureFixture
) -> None:
    user_id = f"user-r-{how}"
    fake_zalo.fail_next(2, how)
    with caplog.at_level(logging.WARNING, logger="assistant.zalo"):
        post_event(webhook_url, text_event(user_id, EXPORT_2025))
        attempts = fake_zalo.wait_for(user_id, 3)

    assert "1.850 triệu USD" in attempts[-1]
    assert attempts[0] == attempts[-1]  # the same text, sent again
    failures = [r.getMessage() for r in caplog.records if "failed (attempt" in r.getMessage()]
    assert len(failures) == 2
    assert ("HTTP 500" if how == "http" else "Zalo error -32") in failures[0]


# ---------------------------------------------------------------- pure parts


def test_long_answers_are_split_at_sentence_boundaries_within_the_limit() -> None:
    sentence = "Kim ngạch xuất khẩu năm 2025 phấn đấu đạt 1.850 triệu USD, tăng 6,5% so với năm 2024. "
    text = sentence * 60  # about 5,300 characters

    parts = split_message(text)

    assert len(parts) == 3
    assert all(len(p) <= ZALO_TEXT_LIMIT for p in parts)
    assert all(p.endswith("năm 2024.") for p in parts)
    assert " ".join(parts) == text.strip()


def test_a_sentence_longer_than_the_limit_is_cut_at_a_space() -> None:
    text = ("một hai ba " * 400).strip()

    parts = split_message(text, limit=500)

    assert all(len(p) <= 500 for p in parts)
    assert " ".join(parts) == text


def test_conversation_memory_is_bounded_per_user_and_in_users() -> None:
    memory = ConversationMemory(max_users=2, max_turns=4)
    for n in range(5):
        memory.remember("u1", f"câu hỏi {n}", f"trả lời {n}")
    memory.remember("u2", "a", "b")
    memory.remember("u3", "c", "d")

    assert [t.content for t in memory.history("u1")] == []  # evicted: the least recently used of three
    assert len(memory) == 2
    memory.remember("u3", "e", "f")
    memory.remember("u3", "g", "h")
    assert [t.content for t in memory.history("u3")] == ["e", "f", "g", "h"]


def test_recent_ids_are_bounded() -> None:
    seen = RecentIds(max_size=3)
    assert all(seen.first_time(m) for m in ["a", "b", "c", "d"])
    assert not seen.first_time("d")
    assert seen.first_time("a")  # forgotten: the oldest left when "d" came
    assert len(seen) == 3
