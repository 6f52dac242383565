"""👍/👎 feedback on answers: an append-only JSONL file, and export of the flagged answers as eval candidates.

Each line holds what a reviewer needs to judge the answer later without the index at hand: the question,
the earlier user questions, the answer text and its citations (with their quotes), the rating and a UTC
timestamp. The file lives at ``data_dir/feedback.jsonl``.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, ValidationError

from assistant.models import Answer, Citation

log = logging.getLogger(__name__)

Rating = Literal["up", "down"]
FEEDBACK_FILE_NAME = "feedback.jsonl"
MAX_COMMENT_CHARS = 500


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
    vote_id: str = Field(default="", description="One answer as shown once: a later vote with the same id replaces this one")
    comment: str = Field(default="", description="What the official wrote with a 👎, e.g. 'số liệu sai, đúng là …'")


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
    comment: str = Field(default="", description="The official's correction: the reviewer turns it into `expected`")
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
        vote_id: str = "",
        comment: str = "",
    ) -> FeedbackEntry:
        """Stores a vote. With a ``vote_id``, a vote already stored under it (the same answer, rated again) is
        replaced, keeping its comment while the rating stays 👎."""
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
            vote_id=vote_id,
            comment=comment[:MAX_COMMENT_CHARS],
        )
        if vote_id:
            with self._lock:
                previous = self._find(vote_id)
                if previous is not None and rating == "down" and not entry.comment:
                    entry.comment = previous.comment
                self._rewrite(lambda e: e.vote_id != vote_id, append=entry)
            return entry
        line = entry.model_dump_json() + "\n"
        with self._lock:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            if not _ends_with_newline(self.path):
                line = "\n" + line  # after a torn last line, start a fresh one instead of gluing onto it
            with self.path.open("a", encoding="utf-8") as handle:
                handle.write(line)
        return entry

    def add_comment(self, vote_id: str, comment: str) -> FeedbackEntry | None:
        """Attaches a comment to the vote stored under ``vote_id`` (None when there is none)."""
        with self._lock:
            entry = self._find(vote_id)
            if entry is None:
                return None
            entry.comment = comment.strip()[:MAX_COMMENT_CHARS]
            self._rewrite(lambda e: e.vote_id != vote_id, append=entry)
            return entry

    def withdraw(self, vote_id: str) -> None:
        """Removes the vote stored under ``vote_id`` (the official took it back)."""
        with self._lock:
            if self._find(vote_id) is not None:
                self._rewrite(lambda e: e.vote_id != vote_id)

    def _find(self, vote_id: str) -> FeedbackEntry | None:
        if not vote_id or not self.path.exists():
            return None
        found = None
        for entry in map(_parse_line, self.path.read_text(encoding="utf-8").splitlines()):
            if entry is not None and entry.vote_id == vote_id:
                found = entry
        return found

    def _rewrite(self, keep: Callable[[FeedbackEntry], bool], append: FeedbackEntry | None = None) -> None:
        """Rewrites the file without the entries ``keep`` rejects (unreadable lines are kept as they are),
        then ``append``; atomically (a crash leaves the old file or the new one)."""
        lines = self.path.read_text(encoding="utf-8").splitlines() if self.path.exists() else []
        kept = [line for line in lines if line.strip() and ((e := _parse_line(line)) is None or keep(e))]
        if append is not None:
            kept.append(append.model_dump_json())
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_name(self.path.name + ".tmp")
        with tmp.open("w", encoding="utf-8") as handle:
            handle.write("".join(line + "\n" for line in kept))
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, self.path)

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
        comment=entry.comment,
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
