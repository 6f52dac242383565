"""Zalo Official Account webhook: verify the event, acknowledge at once, answer in the background.

Zalo signs each event with ``X-ZEvent-Signature: mac=<sha256 hex of app_id + raw body + timestamp + OA
secret>``; the timestamp is the event's own ``timestamp`` field (milliseconds). Replies go out through the
OA customer-service message API, one POST per ≤ 2,000-character part.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
import os
import re
import time
from collections import OrderedDict, deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
from fastapi import APIRouter, BackgroundTasks, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from assistant.contract import MAX_TURN_CHARS, AssistantLike, InputRejected, check_input
from assistant.models import Answer, Turn

if TYPE_CHECKING:
    from assistant.settings import Settings

log = logging.getLogger(__name__)

ZALO_TEXT_LIMIT = 2000
SIGNATURE_HEADER = "X-ZEvent-Signature"
SEND_PATH = "/v3.0/oa/message/cs"
DEFAULT_RETRY_DELAYS_S: tuple[float, ...] = (0.5, 1.0, 2.0)
DEFAULT_OAUTH_BASE = "https://oauth.zaloapp.com"
REFRESH_PATH = "/v4/oa/access_token"
TOKEN_FILE_NAME = "zalo_tokens.json"
TOKEN_INVALID = -216  # "Access token is invalid": expired or revoked; refreshed, then the send is repeated
# Zalo errors worth retrying: -32 is its rate limit. Every other Zalo error code is permanent for that message
# (user not following the OA, invalid user id, message rejected ...).
TRANSIENT_ZALO_ERRORS = frozenset({-32})

NON_TEXT_REPLY = (
    "Xin chào! Hiện tôi chỉ đọc được tin nhắn văn bản. Anh/chị vui lòng gõ câu hỏi bằng chữ, ví dụ: "
    "“Chỉ tiêu kim ngạch xuất khẩu năm 2025 là bao nhiêu?”"
)
FAILURE_REPLY = "Xin lỗi, hệ thống đang gặp sự cố nên chưa trả lời được. Anh/chị vui lòng thử lại sau ít phút."

# A sentence ends at . ! ? … (optionally followed by closing quotes/brackets) before whitespace, so the
# thousands dot in "1.850" is never a boundary.
_SENTENCE_END = re.compile(r"[.!?…][\"”’)\]]*(?=\s)")


# ---------------------------------------------------------------- signature and freshness


def compute_signature(app_id: str, raw_body: bytes, timestamp: str, oa_secret: str) -> str:
    payload = app_id.encode("utf-8") + raw_body + timestamp.encode("utf-8") + oa_secret.encode("utf-8")
    return hashlib.sha256(payload).hexdigest()


def signature_matches(header_value: str, expected_hex: str) -> bool:
    """Accepts ``mac=<hex>`` or the bare hex; compares in constant time."""
    given = header_value.strip()
    if given.lower().startswith("mac="):
        given = given[4:].strip()
    return hmac.compare_digest(given.lower().encode("ascii", "replace"), expected_hex.encode("ascii"))


def event_age_s(timestamp: str, now_s: float) -> float:
    """Age of an event whose timestamp is in milliseconds (Zalo) or seconds (tolerated)."""
    value = int(timestamp)
    seconds = value / 1000.0 if value > 100_000_000_000 else float(value)
    return now_s - seconds


# ---------------------------------------------------------------- message text


def split_message(text: str, limit: int = ZALO_TEXT_LIMIT) -> list[str]:
    """Parts of at most ``limit`` characters, cut at the last line or sentence end that fits, else at a
    space, else (one giant word) hard."""
    parts: list[str] = []
    rest = text.strip()
    while len(rest) > limit:
        cut = _best_cut(rest, limit)
        head, rest = rest[:cut].rstrip(), rest[cut:].lstrip()
        if head:
            parts.append(head)
    if rest:
        parts.append(rest)
    return parts


def _best_cut(text: str, limit: int) -> int:
    window = text[: limit + 1]  # a boundary right at the limit still counts
    boundary = max(window.rfind("\n", 0, limit + 1), -1)
    for match in _SENTENCE_END.finditer(window):
        if match.end() <= limit:
            boundary = max(boundary, match.end())
    if boundary > 0:
        return boundary
    space = window.rfind(" ", 0, limit + 1)
    return space if space > 0 else limit


def format_reply(answer: Answer) -> str:
    """The answer with compact citations (title and location): Zalo shows plain text only."""
    lines = [answer.answer.strip()]
    if answer.citations:
        lines.append("")
        lines.append("Nguồn:")
        for citation in answer.citations:
            where = f" – {citation.location}" if citation.location else ""
            lines.append(f"[{citation.n}] {citation.title}{where}")
    return "\n".join(lines)


# ---------------------------------------------------------------- bounded state


class RecentIds:
    """Message ids already answered (bounded LRU), and those being answered right now.

    An id counts as answered only once its reply was delivered: when the send fails, the id is released and
    Zalo's redelivery of the event is answered again. While a reply is in flight a duplicate is ignored."""

    def __init__(self, max_size: int = 10_000) -> None:
        self._ids: OrderedDict[str, None] = OrderedDict()
        self._in_flight: set[str] = set()
        self._max_size = max_size

    def claim(self, msg_id: str) -> bool:
        """True when this id should be answered now (neither answered nor in flight); it is then in flight."""
        if msg_id in self._ids:
            self._ids.move_to_end(msg_id)
            return False
        if msg_id in self._in_flight:
            return False
        self._in_flight.add(msg_id)
        return True

    def answered(self, msg_id: str) -> None:
        self._in_flight.discard(msg_id)
        self._ids[msg_id] = None
        self._ids.move_to_end(msg_id)
        if len(self._ids) > self._max_size:
            self._ids.popitem(last=False)

    def release(self, msg_id: str) -> None:
        """The reply was not delivered: a redelivery of this id will be answered."""
        self._in_flight.discard(msg_id)

    def first_time(self, msg_id: str) -> bool:
        """Claim and mark answered in one step (for callers that deliver nothing)."""
        if not self.claim(msg_id):
            return False
        self.answered(msg_id)
        return True

    def __len__(self) -> int:
        return len(self._ids)


@dataclass
class _Conversation:
    turns: deque[Turn]
    last_seen: float
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)


class ConversationMemory:
    """Each user's recent turns, bounded per user (``max_turns``), in users (LRU) and in idle time: a
    question asked an hour later is not a follow-up of this morning's."""

    def __init__(self, max_users: int = 1000, max_turns: int = 8, idle_s: float = 1800.0) -> None:
        self._users: OrderedDict[str, _Conversation] = OrderedDict()
        self._max_users = max_users
        self._max_turns = max_turns
        self._idle_s = idle_s

    def _get(self, user_id: str) -> _Conversation:
        now = time.monotonic()
        conversation = self._users.get(user_id)
        if conversation is None:
            conversation = _Conversation(turns=deque(maxlen=self._max_turns), last_seen=now)
            self._users[user_id] = conversation
            while len(self._users) > self._max_users:
                self._users.popitem(last=False)
        elif now - conversation.last_seen > self._idle_s:
            conversation.turns.clear()
        conversation.last_seen = now
        self._users.move_to_end(user_id)
        return conversation

    def lock(self, user_id: str) -> asyncio.Lock:
        """Serialises one user's questions so replies and history keep their order."""
        return self._get(user_id).lock

    def history(self, user_id: str) -> list[Turn]:
        return list(self._get(user_id).turns)

    def remember(self, user_id: str, question: str, answer_text: str) -> None:
        turns = self._get(user_id).turns
        turns.append(Turn(role="user", content=question))
        turns.append(Turn(role="assistant", content=answer_text[:MAX_TURN_CHARS]))

    def __len__(self) -> int:
        return len(self._users)


# ---------------------------------------------------------------- sending


# ---------------------------------------------------------------- access token and its refresh


class ZaloTokens:
    """The OA access token, refreshed before it expires and when Zalo refuses it (-216).

    Zalo's refresh: ``POST {oauth_base}/v4/oa/access_token`` with the form fields ``refresh_token``, ``app_id``
    and ``grant_type=refresh_token`` and the app's secret in a ``secret_key`` header. It answers
    ``access_token``, a new ``refresh_token`` (the old one is then spent: each works once) and ``expires_in``
    (seconds, about 25 hours). Because a refresh token works once, the new pair is written to ``path``
    (atomically) before it is used, so a restart goes on with it instead of the spent one from the settings."""

    def __init__(
        self,
        access_token: str | None = None,
        refresh_token: str | None = None,
        *,
        expires_at: float | None = None,
        app_id: str | None = None,
        app_secret: str | None = None,
        oauth_base: str = DEFAULT_OAUTH_BASE,
        path: Path | None = None,
        margin_s: float = 1800.0,
        configured_refresh_token: str | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.access_token = access_token
        self.refresh_token = refresh_token
        self.expires_at = expires_at
        self._app_id = app_id
        self._app_secret = app_secret
        self.url = oauth_base.rstrip("/") + REFRESH_PATH
        self.path = path
        self._margin_s = margin_s
        self._configured = _fingerprint(configured_refresh_token if configured_refresh_token else refresh_token)
        self._clock = clock
        self._rejected: str | None = None  # a refresh token Zalo refused: never sent again
        self._locks: dict[int, asyncio.Lock] = {}

    @classmethod
    def from_settings(cls, settings: Settings) -> ZaloTokens:
        """The tokens from the settings, or those a refresh saved under data_dir when they are newer: the
        saved pair wins unless ASSISTANT_ZALO_REFRESH_TOKEN was changed since (a new one from the admin)."""
        path = settings.data_dir / TOKEN_FILE_NAME
        tokens = cls(
            settings.zalo_access_token,
            settings.zalo_refresh_token,
            app_id=settings.zalo_app_id,
            app_secret=settings.zalo_app_secret,
            oauth_base=settings.zalo_oauth_base,
            path=path,
            margin_s=settings.zalo_token_refresh_margin_s,
        )
        saved = _read_token_file(path)
        if saved is None:
            return tokens
        configured = _fingerprint(settings.zalo_refresh_token)
        if settings.zalo_refresh_token and saved.get("configured_refresh_token") != configured:
            log.info("ASSISTANT_ZALO_REFRESH_TOKEN changed since the last refresh: using it, not %s", path)
            return tokens
        tokens.access_token = str(saved.get("access_token") or "") or tokens.access_token
        tokens.refresh_token = str(saved.get("refresh_token") or "") or tokens.refresh_token
        expires_at = saved.get("expires_at")
        tokens.expires_at = float(expires_at) if isinstance(expires_at, int | float) else None
        tokens._configured = saved.get("configured_refresh_token") or configured
        log.info("Zalo tokens loaded from %s (refreshed %s)", path, saved.get("refreshed_at", "?"))
        return tokens

    @property
    def can_refresh(self) -> bool:
        return bool(self.refresh_token and self._app_id and self._app_secret and self.refresh_token != self._rejected)

    async def current(self, client: httpx.AsyncClient) -> str | None:
        """The access token to send with, refreshed first when it is missing or about to expire."""
        expiring = self.expires_at is not None and self._clock() >= self.expires_at - self._margin_s
        if (expiring or not self.access_token) and self.can_refresh:
            await self.refresh(client, stale=self.access_token)
        return self.access_token

    async def refresh(self, client: httpx.AsyncClient, stale: str | None = None) -> bool:
        """Exchange the refresh token for a new pair. True when a token newer than ``stale`` is available."""
        async with self._lock():
            if stale is not None and self.access_token and self.access_token != stale:
                return True  # another reply refreshed it meanwhile: the refresh token it used is spent
            if not (self.refresh_token and self._app_id and self._app_secret):
                log.error(
                    "Cannot refresh the Zalo access token: set ASSISTANT_ZALO_REFRESH_TOKEN, ASSISTANT_ZALO_APP_ID "
                    "and ASSISTANT_ZALO_APP_SECRET (the app's secret key from developers.zalo.me)."
                )
                return False
            if self.refresh_token == self._rejected:
                return False  # refused before, already logged: sending it again cannot work
            return await self._exchange(client)

    async def _exchange(self, client: httpx.AsyncClient) -> bool:
        assert self.refresh_token and self._app_id and self._app_secret
        form = {"refresh_token": self.refresh_token, "app_id": self._app_id, "grant_type": "refresh_token"}
        try:
            response = await client.post(self.url, data=form, headers={"secret_key": self._app_secret})
        except httpx.HTTPError as error:
            log.warning("Zalo token refresh failed (%s: %s); will try again on the next reply.", type(error).__name__, error)
            return False
        try:
            result = response.json()
        except ValueError:
            result = None
        if response.status_code >= 500 or not isinstance(result, dict):
            log.warning(
                "Zalo token refresh failed (HTTP %d: %.200s); will try again on the next reply.",
                response.status_code,
                response.text,
            )
            return False
        access_token = str(result.get("access_token") or "")
        refresh_token = str(result.get("refresh_token") or "")
        if not access_token or not refresh_token:
            self._rejected = self.refresh_token
            reason = result.get("error_description") or result.get("error_reason") or result.get("message") or ""
            log.error(
                "Zalo REFUSED the refresh token (error %s: %s %s). A refresh token works only once and for about "
                "3 months: this one was already used or has expired. Get a new one (developers.zalo.me → the app → "
                "Official Account → API Explorer, or the OA authorisation flow), set ASSISTANT_ZALO_REFRESH_TOKEN "
                "and restart; until then Zalo replies cannot be sent.",
                result.get("error", "?"),
                result.get("error_name", ""),
                reason,
            )
            return False
        expires_in = _int_or_none(result.get("expires_in"))
        self.access_token, self.refresh_token = access_token, refresh_token
        self.expires_at = self._clock() + expires_in if expires_in else None
        self._save()
        log.info("Zalo access token refreshed; it expires in %s s.", expires_in if expires_in else "?")
        return True

    def _save(self) -> None:
        if self.path is None:
            return
        state = {
            "access_token": self.access_token,
            "refresh_token": self.refresh_token,
            "expires_at": self.expires_at,
            "refreshed_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "configured_refresh_token": self._configured,
        }
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            tmp = self.path.with_name(self.path.name + ".tmp")
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump(state, handle)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp, self.path)
        except OSError as error:
            log.error(
                "Could not save the refreshed Zalo tokens to %s (%s): after a restart the spent refresh token from "
                "the settings will be refused. Fix the data directory's permissions.",
                self.path,
                error,
            )

    def _lock(self) -> asyncio.Lock:
        # One lock per event loop (tests and the server may run separate loops).
        loop_id = id(asyncio.get_running_loop())
        if loop_id not in self._locks:
            self._locks[loop_id] = asyncio.Lock()
        return self._locks[loop_id]


def _fingerprint(token: str | None) -> str | None:
    """What the token file records of the configured refresh token: enough to see it changed, not the secret."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()[:16] if token else None


def _read_token_file(path: Path) -> dict[str, Any] | None:
    if not path.exists():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        log.error("Ignoring the unreadable Zalo token file %s (%s); using the tokens from the settings.", path, error)
        return None
    return data if isinstance(data, dict) else None


@dataclass(frozen=True)
class _Outcome:
    ok: bool
    problem: str = ""
    transient: bool = False  # worth retrying: the network, Zalo's servers, a rate limit
    code: int | None = None  # Zalo's JSON error code, when there is one


class ZaloSender:
    """Sends one text to one user. Retries with backoff only what may pass (network errors, HTTP 5xx/429, Zalo's
    rate limit); a permanent refusal (e.g. -213 user does not follow the OA) is logged once and not retried. On
    -216 (access token invalid or expired) the token is refreshed once and the send repeated."""

    def __init__(
        self,
        api_base: str,
        tokens: ZaloTokens | str | None,
        retry_delays_s: Sequence[float] = DEFAULT_RETRY_DELAYS_S,
        timeout_s: float = 10.0,
    ) -> None:
        self.url = api_base.rstrip("/") + SEND_PATH
        self.tokens = tokens if isinstance(tokens, ZaloTokens) else ZaloTokens(access_token=tokens)
        self._retry_delays_s = tuple(retry_delays_s)
        self._timeout_s = timeout_s

    async def send_texts(self, user_id: str, texts: Sequence[str]) -> bool:
        """True once every part was delivered."""
        async with httpx.AsyncClient(timeout=self._timeout_s) as client:
            for text in texts:
                if not await self._send_with_retries(client, user_id, text):
                    return False  # later parts would make no sense without this one
        return True

    async def _send_with_retries(self, client: httpx.AsyncClient, user_id: str, text: str) -> bool:
        attempts = len(self._retry_delays_s) + 1
        refreshed = False
        attempt = 0
        while attempt < attempts:
            attempt += 1
            token = await self.tokens.current(client)
            if not token:
                log.error(
                    "Cannot reply on Zalo to user %s: no access token (set ASSISTANT_ZALO_ACCESS_TOKEN, or "
                    "ASSISTANT_ZALO_REFRESH_TOKEN with ASSISTANT_ZALO_APP_ID and ASSISTANT_ZALO_APP_SECRET).",
                    user_id,
                )
                return False
            outcome = await self._send_once(client, user_id, text, token)
            if outcome.ok:
                return True
            if outcome.code == TOKEN_INVALID and not refreshed:
                refreshed = True
                log.warning("Zalo refused the access token (-216); refreshing it and sending again.")
                if await self.tokens.refresh(client, stale=token):
                    attempt -= 1  # the refresh, not the message, failed: this try does not count
                    continue
                log.error(
                    "Zalo reply to user %s NOT sent: the access token is invalid (-216) and could not be refreshed "
                    "(see the refresh error above). Not retried.",
                    user_id,
                )
                return False
            if not outcome.transient:
                log.error(
                    "Zalo reply to user %s NOT sent: %s. This is not a temporary failure, so it is not retried.",
                    user_id,
                    outcome.problem,
                )
                return False
            log.warning("Zalo send to user %s failed (attempt %d/%d): %s", user_id, attempt, attempts, outcome.problem)
            if attempt < attempts:
                await asyncio.sleep(self._retry_delays_s[attempt - 1])
        log.error("Giving up sending a Zalo reply to user %s after %d attempts.", user_id, attempts)
        return False

    async def _send_once(self, client: httpx.AsyncClient, user_id: str, text: str, token: str) -> _Outcome:
        body = {"recipient": {"user_id": user_id}, "message": {"text": text}}
        headers = {"access_token": token, "Content-Type": "application/json"}
        try:
            response = await client.post(self.url, json=body, headers=headers)
        except httpx.HTTPError as error:
            return _Outcome(False, f"{type(error).__name__}: {error}", transient=True)
        if response.status_code >= 400:
            transient = response.status_code >= 500 or response.status_code == 429
            return _Outcome(False, f"HTTP {response.status_code}: {response.text[:200]}", transient=transient)
        try:
            result = response.json()
        except ValueError:
            # Zalo answers JSON; anything else is a proxy or gateway page in between.
            return _Outcome(False, f"response is not JSON: {response.text[:200]}", transient=True)
        if not isinstance(result, dict):
            return _Outcome(False, f"unexpected response: {str(result)[:200]}", transient=True)
        code = _int_or_none(result.get("error", 0))
        if code == 0:
            return _Outcome(True)
        problem = f"Zalo error {code}: {result.get('message', '')}"
        return _Outcome(False, problem, transient=code in TRANSIENT_ZALO_ERRORS, code=code)


def _int_or_none(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


# ---------------------------------------------------------------- the webhook


@dataclass(frozen=True)
class _Job:
    user_id: str
    text: str | None  # None: a non-text event, answered with the polite fixed reply
    msg_id: str = ""  # marked answered once the reply is delivered


class ZaloBot:
    def __init__(
        self,
        assistant: AssistantLike,
        *,
        app_id: str | None,
        oa_secret: str | None,
        max_age_s: float,
        sender: ZaloSender,
        memory: ConversationMemory | None = None,
        seen: RecentIds | None = None,
    ) -> None:
        self._assistant = assistant
        self._app_id = app_id
        self._oa_secret = oa_secret
        self._max_age_s = max_age_s
        self.sender = sender
        self.memory = memory or ConversationMemory()
        self.seen = seen or RecentIds()

    @classmethod
    def from_settings(cls, assistant: AssistantLike, settings: Settings) -> ZaloBot:
        sender = ZaloSender(settings.zalo_api_base, ZaloTokens.from_settings(settings))
        return cls(
            assistant,
            app_id=settings.zalo_app_id,
            oa_secret=settings.zalo_oa_secret,
            max_age_s=settings.zalo_event_max_age_s,
            sender=sender,
        )

    async def handle_request(self, request: Request, background: BackgroundTasks) -> JSONResponse:
        if not (self._app_id and self._oa_secret):
            return _refuse(503, "The Zalo webhook is not configured: set ASSISTANT_ZALO_APP_ID and ASSISTANT_ZALO_OA_SECRET.")
        header = request.headers.get(SIGNATURE_HEADER)
        if not header:
            return _refuse(401, f"Missing {SIGNATURE_HEADER} header: only Zalo-signed events are accepted.")
        raw_body = await request.body()
        try:
            event = json.loads(raw_body)
        except ValueError:
            return _refuse(400, "The request body is not JSON; a Zalo event is a JSON object.")
        if not isinstance(event, dict):
            return _refuse(400, "The request body must be a JSON object (a Zalo event).")
        timestamp = str(event.get("timestamp", "")).strip()
        if not timestamp.isdigit():
            return _refuse(400, "The event has no numeric 'timestamp' (milliseconds), which the signature covers.")
        expected = compute_signature(self._app_id, raw_body, timestamp, self._oa_secret)
        if not signature_matches(header, expected):
            return _refuse(401, f"Wrong {SIGNATURE_HEADER}: it does not match this OA's app id and secret key.")
        # 401, not 2xx: a correctly signed but stale event is most likely a replayed capture, and its
        # freshness is part of what the signature vouches for. Zalo's own retries arrive within seconds.
        age_s = event_age_s(timestamp, time.time())
        if abs(age_s) > self._max_age_s:
            return _refuse(
                401,
                f"Event timestamp is {age_s:.0f} s away from the server clock (allowed: ±{self._max_age_s:.0f} s); "
                "refused as a possible replay. Check the server clock if this is a fresh event.",
            )
        job = self._accept(event)
        if job is not None:
            background.add_task(self.reply, job)
        return JSONResponse({"error": 0, "message": "accepted" if job else "ignored"})

    def _accept(self, event: dict[str, Any]) -> _Job | None:
        """The reply to make for a verified event, or None when it needs none (duplicate, not from a user)."""
        event_name = str(event.get("event_name", ""))
        # Only events a user sent get a reply: answering oa_send_* echoes or follow/seen events would talk
        # to nobody, or to ourselves.
        if not event_name.startswith("user_send_"):
            return None
        sender = event.get("sender")
        user_id = str(sender.get("id", "")) if isinstance(sender, dict) else ""
        if not user_id:
            log.warning("Zalo event %s without sender.id ignored", event_name)
            return None
        raw_message = event.get("message")
        message: dict[str, Any] = raw_message if isinstance(raw_message, dict) else {}
        msg_id = str(message.get("msg_id", "")).strip()
        if msg_id and not self.seen.claim(msg_id):
            log.info("Zalo message %s delivered again; already answered or being answered", msg_id)
            return None
        if event_name != "user_send_text":
            return _Job(user_id=user_id, text=None, msg_id=msg_id)
        return _Job(user_id=user_id, text=str(message.get("text", "")), msg_id=msg_id)

    async def reply(self, job: _Job) -> bool:
        """Answers the job; its msg_id counts as answered only when the reply was delivered, so Zalo's
        redelivery of an event whose reply failed is answered again."""
        delivered = False
        try:
            delivered = await self._reply(job)
        finally:
            if job.msg_id:
                if delivered:
                    self.seen.answered(job.msg_id)
                else:
                    self.seen.release(job.msg_id)
        return delivered

    async def _reply(self, job: _Job) -> bool:
        if job.text is None or not job.text.strip():
            return await self.sender.send_texts(job.user_id, [NON_TEXT_REPLY])
        try:
            question, _ = check_input(job.text)
        except InputRejected as rejected:
            return await self.sender.send_texts(job.user_id, [rejected.vi])
        async with self.memory.lock(job.user_id):
            history = self.memory.history(job.user_id)
            try:
                answer = await run_in_threadpool(self._assistant.answer, question, history or None)
            except Exception:
                log.exception("answer() failed for a Zalo question: %.200s", question)
                return await self.sender.send_texts(job.user_id, [FAILURE_REPLY])
            delivered = await self.sender.send_texts(job.user_id, split_message(format_reply(answer)))
            if delivered:  # an undelivered answer is not part of the conversation the user saw
                self.memory.remember(job.user_id, question, answer.answer)
            return delivered


def make_router(bot: ZaloBot) -> APIRouter:
    router = APIRouter(tags=["zalo"])

    @router.post("/zalo/webhook", summary="Zalo OA event webhook (signed by Zalo)")
    async def zalo_webhook(request: Request, background: BackgroundTasks) -> JSONResponse:
        return await bot.handle_request(request, background)

    return router


def _refuse(status: int, message: str) -> JSONResponse:
    log.warning("Zalo webhook refused (%d): %s", status, message)
    return JSONResponse({"error": status, "detail": message}, status_code=status)
