"""The adapter contract: what the API, the chat UI and the Zalo bot need from the Assistant, what they show of
an indexed document, and the one check of a question and its history that all of them apply.

Adapters import this module; it imports only models, so there is no cycle (server.py imports the adapters,
none of them imports server.py).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Protocol

from fastapi.encoders import jsonable_encoder
from pydantic import BaseModel, Field

from assistant.models import Answer, Turn

# The question: one indicator at a time fits easily; 1,000 characters is a paragraph.
MAX_QUESTION_CHARS = 1000
# The history: follow-ups only need the last few exchanges (the UI and Zalo send at most 8 turns). Each turn
# may be an earlier answer sent back by an API client, so it is allowed to be longer than a question.
MAX_HISTORY_TURNS = 20
MAX_TURN_CHARS = 4000


class AssistantLike(Protocol):
    """What every adapter needs from the Assistant (assistant/service.py)."""

    def answer(self, question: str, history: list[Turn] | None = None) -> Answer: ...

    def documents(self) -> Sequence[Any]: ...

    def ingest(self, paths: Sequence[Path]) -> Any: ...


class InputRejected(ValueError):
    """A question or history the assistant will not take. ``vi`` is what an official reads (UI, Zalo);
    ``en`` is for API clients; ``where`` names the field (``question``, ``history``, ``history.3.content``)."""

    def __init__(self, where: str, vi: str, en: str) -> None:
        super().__init__(f"{en} ({vi})")
        self.where = where
        self.vi = vi
        self.en = en


def check_input(question: str, history: Sequence[Turn] | None = None) -> tuple[str, list[Turn]]:
    """The question (stripped) and history an adapter may pass to answer(), or InputRejected.

    Rejects: an empty or too long question, text that is not valid Unicode (a lone surrogate such as
    ``"\\ud800"``, which JSON allows but no encoder can write), more than MAX_HISTORY_TURNS turns, and a turn
    longer than MAX_TURN_CHARS."""
    if not isinstance(question, str):
        raise InputRejected("question", "Câu hỏi phải là văn bản.", "the question must be a string")
    text = question.strip()
    if not text:
        raise InputRejected(
            "question", "Vui lòng nhập câu hỏi.", "the question is empty: write the question text"
        )
    _check_unicode("question", text, "câu hỏi")
    if len(text) > MAX_QUESTION_CHARS:
        raise InputRejected(
            "question",
            f"Câu hỏi dài {_vn(len(text))} ký tự; tối đa là {_vn(MAX_QUESTION_CHARS)} ký tự. "
            "Vui lòng hỏi ngắn gọn hơn, mỗi lần một ý.",
            f"the question has {len(text)} characters; the limit is {MAX_QUESTION_CHARS}: ask a shorter question",
        )
    turns = list(history or [])
    if len(turns) > MAX_HISTORY_TURNS:
        raise InputRejected(
            "history",
            f"Lịch sử hội thoại có {len(turns)} lượt; tối đa là {MAX_HISTORY_TURNS} lượt.",
            f"the history has {len(turns)} turns; the limit is {MAX_HISTORY_TURNS}: send only the latest turns",
        )
    for position, turn in enumerate(turns):
        where = f"history.{position}.content"
        _check_unicode(where, turn.content, f"lượt hội thoại {position + 1}")
        if len(turn.content) > MAX_TURN_CHARS:
            raise InputRejected(
                where,
                f"Lượt hội thoại {position + 1} dài {_vn(len(turn.content))} ký tự; "
                f"tối đa là {_vn(MAX_TURN_CHARS)} ký tự.",
                f"this turn has {len(turn.content)} characters; the limit per turn is {MAX_TURN_CHARS}",
            )
    return text, turns


def _vn(number: int) -> str:
    """1000 → '1.000', as Vietnamese writes thousands."""
    return f"{number:,}".replace(",", ".")


def _check_unicode(where: str, text: str, what_vi: str) -> None:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as error:
        raise InputRejected(
            where,
            f"Nội dung {what_vi} có ký tự không hợp lệ (vị trí {error.start + 1}); vui lòng gõ lại.",
            f"the text holds an invalid character at position {error.start + 1} (a lone UTF-16 surrogate such as "
            "\\ud800, not valid Unicode): send valid UTF-8 text",
        ) from None


# ---------------------------------------------------------------- documents


class DocumentInfo(BaseModel):
    """One indexed document as the adapters show it. ``source`` (the file name) is how a document is known."""

    source: str = Field(description="File name of the document: how the index knows it")
    title: str
    kind: str | None = None
    number: str | None = None
    issuer: str | None = None
    date: str | None = Field(default=None, description="Issue date, dd/mm/yyyy")
    period: str | None = None
    pages: int | None = None
    chunks: int = Field(description="Number of indexed passages")
    ingested_at: str | None = None


def describe_document(document: Any) -> DocumentInfo:
    """One indexed document (a registry entry, the service's record, or a plain mapping) in the adapters' shape."""
    data = _as_mapping(document)
    meta = _as_mapping(data.get("meta") or {})
    merged = {**meta, **{k: v for k, v in data.items() if k != "meta" and v is not None}}
    chunk_ids = merged.get("chunk_ids")
    chunks = merged.get("chunks", merged.get("chunk_count"))
    if chunks is None:
        chunks = len(chunk_ids) if isinstance(chunk_ids, list | tuple) else 0
    source = str(merged.get("source", ""))
    return DocumentInfo(
        source=source,
        title=str(merged.get("title") or source),
        kind=_text_or_none(merged.get("kind")),
        number=_text_or_none(merged.get("number")),
        issuer=_text_or_none(merged.get("issuer")),
        date=_display_date(_text_or_none(merged.get("date"))),
        period=_text_or_none(merged.get("period")),
        pages=merged.get("pages") if isinstance(merged.get("pages"), int) else None,
        chunks=int(chunks),
        ingested_at=_text_or_none(merged.get("ingested_at")),
    )


def list_documents(assistant: AssistantLike) -> list[DocumentInfo]:
    return [describe_document(d) for d in assistant.documents()]


def _as_mapping(value: Any) -> dict[str, Any]:
    if isinstance(value, Mapping):
        return dict(value)
    encoded = jsonable_encoder(value)
    return dict(encoded) if isinstance(encoded, Mapping) else {}


def _text_or_none(value: Any) -> str | None:
    return None if value is None or value == "" else str(value)


def _display_date(value: str | None) -> str | None:
    """ISO yyyy-mm-dd (how the registry stores it) shown as dd/mm/yyyy, like the citations."""
    if value and len(value) == 10 and value[4] == "-" and value[7] == "-":
        return f"{value[8:10]}/{value[5:7]}/{value[0:4]}"
    return value
