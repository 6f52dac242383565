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
import re
import time
from collections import OrderedDict, deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import httpx
from fastapi import APIRouter, BackgroundTasks, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from assistant.api import MAX_QUESTION_CHARS
from assistant.models import Answer, Turn

if TYPE_CHECKING:
    from assistant.server import AssistantLike
    from assistant.settings import Settings

log = logging.getLogger(__name__)

ZALO_TEXT_LIMIT = 2000
SIGNATURE_HEADER = "X-ZEvent-Signature"
SEND_PATH = "/v3.0/oa/message/cs"
DEFAULT_RETRY_DELAYS_S: tuple[float, ...] = (0.5, 1.0, 2.0)

NON_TEXT_REPLY = (
    "Xin chào! Hiện tôi chỉ đọc được tin nhắn văn bản. Anh/chị vui lòng gõ câu hỏi bằng chữ, ví dụ: "
    "“Chỉ tiêu kim ngạch xuất khẩu năm 2025 là bao nhiêu?”"
)
TOO_LONG_REPLY = "Câu hỏi dài quá 1.000 ký tự. Anh/chị vui lòng hỏi ngắn gọn hơn, mỗi lần một ý."
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
    """Bounded LRU of message ids, so a redelivered event is answered once."""

    def __init__(self, max_size: int = 10_000) -> None:
        self._ids: OrderedDict[str, None] = OrderedDict()
        self._max_size = max_size

    def first_time(self, msg_id: str) -> bool:
        if msg_id in self._ids:
            self._ids.move_to_end(msg_id)
            return False
        self._ids[msg_id] = None
        if len(self._ids) > self._max_size:
            self._ids.popitem(last=False)
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
        turns.append(Turn(role="assistant", content=answer_text))

    def __len__(self) -> int:
        return len(self._users)


# ---------------------------------------------------------------- sending


class ZaloSender:
    """Sends one text to one user, retrying with backoff on an HTTP failure or a Zalo ``error`` ≠ 0."""

    def __init__(
        self,
        api_base: str,
        access_token: str | None,
        retry_delays_s: Sequence[float] = DEFAULT_RETRY_DELAYS_S,
        timeout_s: float = 10.0,
    ) -> None:
        self.url = api_base.rstrip("/") + SEND_PATH
        self._access_token = access_token
        self._retry_delays_s = tuple(retry_delays_s)
        self._timeout_s = timeout_s

    async def send_texts(self, user_id: str, texts: Sequence[str]) -> bool:
        if not self._access_token:
            log.error("Cannot reply on Zalo: ASSISTANT_ZALO_ACCESS_TOKEN is not set.")
            return False
        async with httpx.AsyncClient(timeout=self._timeout_s) as client:
            for text in texts:
                if not await self._send_with_retries(client, user_id, text):
                    return False  # later parts would make no sense without this one
        return True

    async def _send_with_retries(self, client: httpx.AsyncClient, user_id: str, text: str) -> bool:
        attempts = len(self._retry_delays_s) + 1
        for attempt in range(1, attempts + 1):
            problem = await self._send_once(client, user_id, text)
            if problem is None:
                return True
            log.warning("Zalo send to user %s failed (attempt %d/%d): %s", user_id, attempt, attempts, problem)
            if attempt < attempts:
                await asyncio.sleep(self._retry_delays_s[attempt - 1])
        log.error("Giving up sending a Zalo reply to user %s after %d attempts.", user_id, attempts)
        return False

    async def _send_once(self, client: httpx.AsyncClient, user_id: str, text: str) -> str | None:
        body = {"recipient": {"user_id": user_id}, "message": {"text": text}}
        headers = {"access_token": self._access_token or "", "Content-Type": "application/json"}
        try:
            response = await client.post(self.url, json=body, headers=headers)
        except httpx.HTTPError as error:
            return f"{type(error).__name__}: {error}"
        if response.status_code >= 400:
            return f"HTTP {response.status_code}: {response.text[:200]}"
        try:
            result = response.json()
        except ValueError:
            return f"response is not JSON: {response.text[:200]}"
        code = result.get("error", 0) if isinstance(result, dict) else None
        if code != 0:
            return f"Zalo error {code}: {result.get('message', '') if isinstance(result, dict) else result}"
        return None


# ---------------------------------------------------------------- the webhook


@dataclass(frozen=True)
class _Job:
    user_id: str
    text: str | None  # None: a non-text event, answered with the polite fixed reply


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
        sender = ZaloSender(settings.zalo_api_base, settings.zalo_access_token)
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
        if msg_id and not self.seen.first_time(msg_id):
            log.info("Zalo message %s delivered again; already answered", msg_id)
            return None
        if event_name != "user_send_text":
            return _Job(user_id=user_id, text=None)
        return _Job(user_id=user_id, text=str(message.get("text", "")))

    async def reply(self, job: _Job) -> None:
        if job.text is None:
            await self.sender.send_texts(job.user_id, [NON_TEXT_REPLY])
            return
        question = job.text.strip()
        if not question:
            await self.sender.send_texts(job.user_id, [NON_TEXT_REPLY])
            return
        if len(question) > MAX_QUESTION_CHARS:
            await self.sender.send_texts(job.user_id, [TOO_LONG_REPLY])
            return
        async with self.memory.lock(job.user_id):
            reply = await self._answer(job.user_id, question)
            await self.sender.send_texts(job.user_id, split_message(reply))

    async def _answer(self, user_id: str, question: str) -> str:
        history = self.memory.history(user_id)
        try:
            answer = await run_in_threadpool(self._assistant.answer, question, history or None)
        except Exception:
            log.exception("answer() failed for a Zalo question: %.200s", question)
            return FAILURE_REPLY
        self.memory.remember(user_id, question, answer.answer)
        return format_reply(answer)


def make_router(bot: ZaloBot) -> APIRouter:
    router = APIRouter(tags=["zalo"])

    @router.post("/zalo/webhook", summary="Zalo OA event webhook (signed by Zalo)")
    async def zalo_webhook(request: Request, background: BackgroundTasks) -> JSONResponse:
        return await bot.handle_request(request, background)

    return router


def _refuse(status: int, message: str) -> JSONResponse:
    log.warning("Zalo webhook refused (%d): %s", status, message)
    return JSONResponse({"error": status, "detail": message}, status_code=status)
