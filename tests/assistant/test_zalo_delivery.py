"""Zalo delivery against real HTTP servers on 127.0.0.1: a fake Zalo OpenAPI (sends, with token checks and
injectable failures) and a fake Zalo OAuth endpoint (single-use refresh tokens). The webhook runs in the real
app with a canned assistant, so these tests need no index.

Covered: a failed send is answered again on Zalo's redelivery; -216 is never retried blindly (refresh, or
stop and log once); the token is refreshed before it expires and on -216; a spent refresh token is refused
and logged once; refreshed tokens survive a restart."""

from __future__ import annotations

import asyncio
import json
import logging
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import httpx
import pytest

from assistant.feedback import FeedbackStore
from assistant.models import Answer, Turn
from assistant.server import create_app, serve_in_thread
from assistant.settings import Settings
from assistant.zalo import TOKEN_FILE_NAME, ZaloSender, ZaloTokens, compute_signature
from tests.conftest import make_settings

APP_ID = "4321987654"
APP_SECRET = "app-secret-for-tests"
OA_SECRET = "oa-secret-for-tests"


# ---------------------------------------------------------------- fakes


@dataclass
class FakeZalo:
    """The OA message API: accepts sends whose access_token is valid, answers -216 otherwise; `fail_next(n)`
    makes the next n sends fail with HTTP 500."""

    valid_tokens: set[str] = field(default_factory=set)
    sends: list[dict[str, Any]] = field(default_factory=list)
    failures_left: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def handle(self, path: str, headers: Any, body: bytes) -> tuple[int, dict[str, Any]]:
        payload = json.loads(body or b"{}")
        with self.lock:
            entry = {"path": path, "token": headers.get("access_token"), "body": payload, "ok": False}
            self.sends.append(entry)
            if self.failures_left > 0:
                self.failures_left -= 1
                return 500, {"error": -1, "message": "internal error"}
            if entry["token"] not in self.valid_tokens:
                return 200, {"error": -216, "message": "Access token is invalid"}
            entry["ok"] = True
        return 200, {"error": 0, "message": "Success"}

    def delivered_to(self, user_id: str) -> list[str]:
        return [e["body"]["message"]["text"] for e in self.sends if e["ok"] and e["body"]["recipient"]["user_id"] == user_id]

    def attempts_to(self, user_id: str) -> int:
        return sum(1 for e in self.sends if e["body"]["recipient"]["user_id"] == user_id)


@dataclass
class FakeOAuth:
    """Zalo's OAuth token endpoint: each refresh token works once; a used or unknown one is refused."""

    zalo: FakeZalo
    valid_refresh: set[str] = field(default_factory=set)
    requests: list[dict[str, Any]] = field(default_factory=list)
    issued: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def handle(self, path: str, headers: Any, body: bytes) -> tuple[int, dict[str, Any]]:
        form = {k: v[0] for k, v in parse_qs(body.decode()).items()}
        with self.lock:
            self.requests.append({"path": path, "secret_key": headers.get("secret_key"), "form": form})
            if path != "/v4/oa/access_token" or headers.get("secret_key") != APP_SECRET or form.get("app_id") != APP_ID:
                return 200, {"error": -14002, "error_name": "Invalid app", "error_description": "bad app or secret"}
            if form.get("grant_type") != "refresh_token" or form.get("refresh_token") not in self.valid_refresh:
                return 200, {
                    "error": -14014,
                    "error_name": "Invalid refresh token",
                    "error_description": "Refresh token is invalid or has been used",
                }
            self.valid_refresh.discard(form["refresh_token"])
            self.issued += 1
            access, refresh = f"access-{self.issued}", f"refresh-{self.issued}"
            self.valid_refresh.add(refresh)
            self.zalo.valid_tokens.add(access)
        return 200, {"access_token": access, "refresh_token": refresh, "expires_in": "90000"}


def _serve(fake: Any) -> tuple[ThreadingHTTPServer, str]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            status, reply = fake.handle(self.path, self.headers, body)
            data = json.dumps(reply).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}"


@pytest.fixture
def zalo() -> Iterator[tuple[FakeZalo, FakeOAuth, str, str]]:
    """(fake Zalo API, fake OAuth, API base URL, OAuth base URL); fresh for each test."""
    api = FakeZalo()
    oauth = FakeOAuth(api)
    api_server, api_url = _serve(api)
    oauth_server, oauth_url = _serve(oauth)
    yield api, oauth, api_url, oauth_url
    for server in (api_server, oauth_server):
        server.shutdown()
        server.server_close()


class Canned:
    def answer(self, question: str, history: list[Turn] | None = None) -> Answer:
        return Answer(answer=f"Trả lời: {question}", found=True, question_interpreted=question)

    def documents(self) -> list[object]:
        return []

    def ingest(self, paths: Sequence[Path]) -> object:
        return {"files": []}


def _settings(data_dir: Path, api_url: str, oauth_url: str, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "zalo_api_base": api_url,
        "zalo_oauth_base": oauth_url,
        "zalo_app_id": APP_ID,
        "zalo_oa_secret": OA_SECRET,
        "zalo_app_secret": APP_SECRET,
        **overrides,
    }
    return make_settings(data_dir, **values)


def _event(user_id: str, text: str, msg_id: str) -> dict[str, Any]:
    return {
        "app_id": APP_ID,
        "sender": {"id": user_id},
        "recipient": {"id": "oa-1"},
        "event_name": "user_send_text",
        "message": {"text": text, "msg_id": msg_id},
        "timestamp": str(int(time.time() * 1000)),
    }


def _post(url: str, event: dict[str, Any]) -> httpx.Response:
    raw = json.dumps(event, ensure_ascii=False).encode()
    signature = "mac=" + compute_signature(APP_ID, raw, event["timestamp"], OA_SECRET)
    return httpx.post(url, content=raw, headers={"X-ZEvent-Signature": signature}, timeout=30)


def _wait(condition: Any, timeout_s: float = 20.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting for the fake Zalo server")
        time.sleep(0.02)


def _send(sender: ZaloSender, user_id: str, text: str) -> bool:
    return asyncio.run(sender.send_texts(user_id, [text]))


# ---------------------------------------------------------------- delivery and redelivery


def test_a_failed_send_is_answered_again_when_zalo_redelivers_the_event(
    zalo: tuple[FakeZalo, FakeOAuth, str, str], tmp_path: Path
) -> None:
    api, _, api_url, oauth_url = zalo
    api.valid_tokens.add("access-0")
    app = create_app(
        _settings(tmp_path, api_url, oauth_url, zalo_access_token="access-0"),
        Canned(),
        feedback=FeedbackStore(tmp_path / "feedback.jsonl"),
    )
    bot = app.state.zalo_bot
    bot.sender = ZaloSender(api_url, bot.sender.tokens, retry_delays_s=(0.01, 0.01, 0.01))
    event = _event("user-1", "Kim ngạch xuất khẩu?", "m-1")
    with serve_in_thread(app) as url:
        api.failures_left = 4  # every attempt of the first delivery fails
        first = _post(f"{url}/zalo/webhook", event)
        _wait(lambda: api.attempts_to("user-1") == 4 and not bot.seen._in_flight)
        assert api.delivered_to("user-1") == []

        again = _post(f"{url}/zalo/webhook", event)  # Zalo delivers the same event again
        _wait(lambda: len(api.delivered_to("user-1")) == 1)
        _wait(lambda: not bot.seen._in_flight)
        third = _post(f"{url}/zalo/webhook", event)

    assert first.json()["message"] == "accepted"
    assert again.json()["message"] == "accepted"
    assert third.json()["message"] == "ignored"  # delivered now: a further copy is a duplicate
    assert api.delivered_to("user-1") == ["Trả lời: Kim ngạch xuất khẩu?"]
    assert api.attempts_to("user-1") == 5


def test_a_failed_reply_is_not_remembered_as_conversation(
    zalo: tuple[FakeZalo, FakeOAuth, str, str], tmp_path: Path
) -> None:
    api, _, api_url, oauth_url = zalo
    app = create_app(
        _settings(tmp_path, api_url, oauth_url, zalo_access_token="not-valid"),
        Canned(),
        feedback=FeedbackStore(tmp_path / "feedback.jsonl"),
    )
    bot = app.state.zalo_bot
    with serve_in_thread(app) as url:
        _post(f"{url}/zalo/webhook", _event("user-2", "Câu hỏi thứ nhất?", "m-2"))
        _wait(lambda: api.attempts_to("user-2") == 1 and not bot.seen._in_flight)

    assert bot.memory.history("user-2") == []


# ---------------------------------------------------------------- permanent errors


def test_minus_216_without_a_way_to_refresh_is_not_retried_and_logged_once(
    zalo: tuple[FakeZalo, FakeOAuth, str, str], caplog: pytest.LogCaptureFixture
) -> None:
    api, oauth, api_url, oauth_url = zalo
    sender = ZaloSender(api_url, ZaloTokens("expired-token", oauth_base=oauth_url), retry_delays_s=(0.01, 0.01))

    with caplog.at_level(logging.WARNING, logger="assistant.zalo"):
        delivered = _send(sender, "user-3", "xin chào")

    assert delivered is False
    assert api.attempts_to("user-3") == 1
    assert oauth.requests == []
    errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert any("ASSISTANT_ZALO_REFRESH_TOKEN" in e for e in errors)
    assert sum("NOT sent" in e and "-216" in e for e in errors) == 1
    assert not any("failed (attempt" in r.getMessage() for r in caplog.records)


def test_transient_failures_are_retried_and_permanent_ones_are_not(
    zalo: tuple[FakeZalo, FakeOAuth, str, str], caplog: pytest.LogCaptureFixture
) -> None:
    api, _, api_url, _ = zalo
    api.valid_tokens.add("good")
    sender = ZaloSender(api_url, "good", retry_delays_s=(0.01, 0.01, 0.01))
    api.failures_left = 2

    with caplog.at_level(logging.WARNING, logger="assistant.zalo"):
        assert _send(sender, "user-4", "lần hai mới được") is True
    assert api.attempts_to("user-4") == 3
    assert sum("failed (attempt" in r.getMessage() for r in caplog.records) == 2

    unreachable = ZaloSender("http://127.0.0.1:9", "good", retry_delays_s=(0.01, 0.01))
    assert _send(unreachable, "user-5", "không tới được") is False  # network errors: retried, then given up


# ---------------------------------------------------------------- token refresh


def test_minus_216_refreshes_the_token_and_sends_again(
    zalo: tuple[FakeZalo, FakeOAuth, str, str], tmp_path: Path
) -> None:
    api, oauth, api_url, oauth_url = zalo
    oauth.valid_refresh.add("refresh-0")
    settings = _settings(tmp_path, api_url, oauth_url, zalo_access_token="expired", zalo_refresh_token="refresh-0")
    sender = ZaloSender(api_url, ZaloTokens.from_settings(settings), retry_delays_s=(0.01,))

    assert _send(sender, "user-6", "sau khi làm mới") is True

    assert [e["token"] for e in api.sends] == ["expired", "access-1"]
    [request] = oauth.requests
    assert request["path"] == "/v4/oa/access_token"
    assert request["secret_key"] == APP_SECRET
    assert request["form"] == {"refresh_token": "refresh-0", "app_id": APP_ID, "grant_type": "refresh_token"}
    saved = json.loads((tmp_path / TOKEN_FILE_NAME).read_text(encoding="utf-8"))
    assert saved["access_token"] == "access-1" and saved["refresh_token"] == "refresh-1"
    assert saved["expires_at"] == pytest.approx(time.time() + 90000, abs=60)
    assert "refresh-0" not in (tmp_path / TOKEN_FILE_NAME).read_text(encoding="utf-8")


def test_the_token_is_refreshed_before_it_expires(zalo: tuple[FakeZalo, FakeOAuth, str, str]) -> None:
    api, oauth, api_url, oauth_url = zalo
    api.valid_tokens.add("old")
    oauth.valid_refresh.add("refresh-0")
    tokens = ZaloTokens(
        "old",
        "refresh-0",
        expires_at=time.time() + 600,  # within the 30-minute margin
        app_id=APP_ID,
        app_secret=APP_SECRET,
        oauth_base=oauth_url,
    )

    assert _send(ZaloSender(api_url, tokens), "user-7", "trước khi hết hạn") is True

    assert [e["token"] for e in api.sends] == ["access-1"]  # never sent with the expiring token
    assert len(oauth.requests) == 1
    assert _send(ZaloSender(api_url, tokens), "user-7", "lần sau") is True
    assert len(oauth.requests) == 1  # fresh now: no second refresh


def test_a_spent_refresh_token_is_refused_logged_once_and_not_sent_again(
    zalo: tuple[FakeZalo, FakeOAuth, str, str], caplog: pytest.LogCaptureFixture
) -> None:
    api, oauth, api_url, oauth_url = zalo
    oauth.valid_refresh.add("refresh-0")
    first = ZaloTokens("expired", "refresh-0", app_id=APP_ID, app_secret=APP_SECRET, oauth_base=oauth_url)
    assert _send(ZaloSender(api_url, first, retry_delays_s=()), "user-8", "a") is True
    # A second process still holding the old pair (the spent refresh-0):
    stale = ZaloTokens("expired", "refresh-0", app_id=APP_ID, app_secret=APP_SECRET, oauth_base=oauth_url)
    sender = ZaloSender(api_url, stale, retry_delays_s=(0.01,))

    with caplog.at_level(logging.WARNING, logger="assistant.zalo"):
        assert _send(sender, "user-9", "b") is False
        assert _send(sender, "user-9", "c") is False

    assert [r["form"]["refresh_token"] for r in oauth.requests] == ["refresh-0", "refresh-0"]  # not a third time
    refused = [r.getMessage() for r in caplog.records if "REFUSED the refresh token" in r.getMessage()]
    assert len(refused) == 1
    assert "already used" in refused[0] and "ASSISTANT_ZALO_REFRESH_TOKEN" in refused[0]
    assert api.attempts_to("user-9") == 2  # one try per message, no blind retries of -216


def test_a_refresh_survives_a_restart(zalo: tuple[FakeZalo, FakeOAuth, str, str], tmp_path: Path) -> None:
    api, oauth, api_url, oauth_url = zalo
    oauth.valid_refresh.add("refresh-0")
    settings = _settings(tmp_path, api_url, oauth_url, zalo_access_token="expired", zalo_refresh_token="refresh-0")
    assert _send(ZaloSender(api_url, ZaloTokens.from_settings(settings)), "user-10", "trước") is True

    # Restart: the same settings (still naming the spent refresh-0), a new process.
    restarted = ZaloTokens.from_settings(settings)
    assert (restarted.access_token, restarted.refresh_token) == ("access-1", "refresh-1")
    assert _send(ZaloSender(api_url, restarted), "user-10", "sau khởi động lại") is True
    api.valid_tokens.discard("access-1")  # a day later the token has expired
    assert _send(ZaloSender(api_url, restarted), "user-10", "một ngày sau") is True

    assert [r["form"]["refresh_token"] for r in oauth.requests] == ["refresh-0", "refresh-1"]
    again = ZaloTokens.from_settings(settings)
    assert (again.access_token, again.refresh_token) == ("access-2", "refresh-2")
    assert api.delivered_to("user-10") == ["trước", "sau khởi động lại", "một ngày sau"]


def test_a_new_refresh_token_in_the_settings_wins_over_the_saved_one(
    zalo: tuple[FakeZalo, FakeOAuth, str, str], tmp_path: Path
) -> None:
    _, oauth, api_url, oauth_url = zalo
    oauth.valid_refresh.add("refresh-0")
    settings = _settings(tmp_path, api_url, oauth_url, zalo_access_token="expired", zalo_refresh_token="refresh-0")
    assert _send(ZaloSender(api_url, ZaloTokens.from_settings(settings)), "user-11", "a") is True

    renewed = settings.model_copy(update={"zalo_refresh_token": "from-the-admin", "zalo_access_token": "new-access"})
    tokens = ZaloTokens.from_settings(renewed)

    assert (tokens.access_token, tokens.refresh_token) == ("new-access", "from-the-admin")


def test_an_unreadable_token_file_falls_back_to_the_settings(tmp_path: Path) -> None:
    (tmp_path / TOKEN_FILE_NAME).write_text("{not json", encoding="utf-8")
    settings = make_settings(tmp_path, zalo_access_token="a", zalo_refresh_token="r")

    tokens = ZaloTokens.from_settings(settings)

    assert (tokens.access_token, tokens.refresh_token) == ("a", "r")


def test_a_too_long_or_broken_question_gets_the_limit_in_vietnamese_not_a_failure(
    zalo: tuple[FakeZalo, FakeOAuth, str, str], tmp_path: Path
) -> None:
    api, _, api_url, oauth_url = zalo
    api.valid_tokens.add("access-0")
    app = create_app(
        _settings(tmp_path, api_url, oauth_url, zalo_access_token="access-0"),
        Canned(),
        feedback=FeedbackStore(tmp_path / "feedback.jsonl"),
    )
    with serve_in_thread(app) as url:
        _post(f"{url}/zalo/webhook", _event("user-12", "kim ngạch " * 150, "m-12"))
        broken = _event("user-13", "x", "m-13")
        raw = json.dumps(broken).replace('"x"', '"\\ud800 kim ngach"').encode()
        signature = "mac=" + compute_signature(APP_ID, raw, broken["timestamp"], OA_SECRET)
        response = httpx.post(f"{url}/zalo/webhook", content=raw, headers={"X-ZEvent-Signature": signature}, timeout=30)
        _wait(lambda: api.delivered_to("user-12") and api.delivered_to("user-13"))

    assert response.status_code == 200
    [too_long] = api.delivered_to("user-12")
    [broken_reply] = api.delivered_to("user-13")
    assert "tối đa là 1.000 ký tự" in too_long
    assert "ký tự không hợp lệ" in broken_reply
    assert "sự cố" not in too_long + broken_reply
