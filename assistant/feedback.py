"""👍/👎 feedback on answers: an append-only JSONL file, and export of the flagged answers as eval candidates.

Each line holds what a reviewer needs to judge the answer later without the index at hand: the question,
the earlier user questions, the answer text and its citations (with their quotes), the rating and a UTC
timestamp. The file lives at ``data_dir/feedback.jsonl``.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, ValidationError

from assistant.models import Answer, Citation

log = logging.getLogger(__name__)

Rating = Literal["up", "down"]
FEEDBACK_FILE_NAME = "feedback.jsonl"


class FeedbackEntry(BaseModel):
    question: str
    history: list[str] = Field(default_factory=list, description="Earlier user questions of the conversation")
    answer: str
    found: bool
    question_interpreted: str = ""
    citations: list[Citation] = Field(default_factory=list)
    rating: Rating
    channel: str = "ui"
    timestamp: str


class CandidateEvalItem(BaseModel):
    """A flagged answer turned into the shape of an eval item (evals/dataset.jsonl), to be completed by a
    reviewer: `answerable`, `expected` and `kind` cannot be known from a 👎 alone, so they are left open."""

    id: str
    question: str
    history: list[str] = Field(default_factory=list)
    answerable: bool | None = None
    expected: list[str] = Field(default_factory=list)
    source: str | None = None
    evidence: str | None = None
    kind: str | None = None
    needs_review: bool = True
    flagged_answer: str
    flagged_citations: list[Citation] = Field(default_factory=list)
    flagged_at: str


class FeedbackStore:
    """Thread-safe append-only store; one JSON object per line."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()

    @classmethod
    def in_data_dir(cls, data_dir: Path) -> FeedbackStore:
        return cls(data_dir / FEEDBACK_FILE_NAME)

    def record(
        self,
        question: str,
        answer: Answer,
        rating: Rating,
        history: list[str] | None = None,
        channel: str = "ui",
    ) -> FeedbackEntry:
        entry = FeedbackEntry(
            question=question,
            history=list(history or []),
            answer=answer.answer,
            found=answer.found,
            question_interpreted=answer.question_interpreted,
            citations=answer.citations,
            rating=rating,
            channel=channel,
            timestamp=datetime.now(UTC).isoformat(timespec="seconds"),
        )
        line = entry.model_dump_json() + "\n"
        with self._lock:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            if not _ends_with_newline(self.path):
                line = "\n" + line  # after a torn last line, start a fresh one instead of gluing onto it
            with self.path.open("a", encoding="utf-8") as handle:
                handle.write(line)
        return entry

    def entries(self) -> list[FeedbackEntry]:
        if not self.path.exists():
            return []
        with self._lock:
            lines = self.path.read_text(encoding="utf-8").splitlines()
        return [entry for entry in map(_parse_line, lines) if entry is not None]

    def export_candidates(self) -> list[CandidateEvalItem]:
        """The 👎-rated answers as candidate eval items, one per question and conversation.

        The latest rating of an answer wins, so a 👎 later corrected by a 👍 is not exported."""
        latest: dict[str, FeedbackEntry] = {}
        for entry in self.entries():
            latest[_answer_key(entry)] = entry
        candidates: dict[str, CandidateEvalItem] = {}
        for entry in latest.values():
            if entry.rating != "down":
                continue
            item_id = "fb-" + _question_key(entry)[:10]
            candidates[item_id] = _candidate_from(item_id, entry)
        return list(candidates.values())


def export_candidates(data_dir: Path) -> list[CandidateEvalItem]:
    """Candidate eval items from the feedback stored under ``data_dir`` (what the eval runner calls)."""
    return FeedbackStore.in_data_dir(data_dir).export_candidates()


def _candidate_from(item_id: str, entry: FeedbackEntry) -> CandidateEvalItem:
    first = entry.citations[0] if entry.citations else None
    return CandidateEvalItem(
        id=item_id,
        question=entry.question,
        history=entry.history,
        source=first.source if first else None,
        evidence=first.quote if first else None,
        flagged_answer=entry.answer,
        flagged_citations=entry.citations,
        flagged_at=entry.timestamp,
    )


def _question_key(entry: FeedbackEntry) -> str:
    raw = json.dumps([entry.history, entry.question], ensure_ascii=False)
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


def _answer_key(entry: FeedbackEntry) -> str:
    return _question_key(entry) + hashlib.sha256(entry.answer.encode("utf-8")).hexdigest()


def _ends_with_newline(path: Path) -> bool:
    if not path.exists() or path.stat().st_size == 0:
        return True
    with path.open("rb") as handle:
        handle.seek(-1, 2)
        return handle.read(1) == b"\n"


def _parse_line(line: str) -> FeedbackEntry | None:
    if not line.strip():
        return None
    try:
        return FeedbackEntry.model_validate_json(line)
    except ValidationError:
        # A torn last line (crash mid-write) must not hide every other rating.
        log.warning("Skipping an unreadable line in the feedback file: %.80s", line)
        return None
