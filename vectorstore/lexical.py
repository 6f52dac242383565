"""BM25 over token lists the caller made (ingest.text.search_tokens), persisted with bm25s."""

from __future__ import annotations

import json
import logging
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from pathlib import Path

import bm25s
import numpy as np

_IDS_FILE = "ids.json"

# bm25s sets its own logger to DEBUG on import, so every index build printed
# "DEBUG bm25s: Building index from tokens" once the CLI configured logging.
logging.getLogger("bm25s").setLevel(logging.WARNING)


@dataclass(frozen=True)
class LexicalHit:
    id: str
    score: float


class LexicalIndex:
    """A BM25 index whose documents are named by ids; an empty index answers every query with nothing."""

    def __init__(self, ids: list[str], retriever: bm25s.BM25 | None) -> None:
        self.ids = ids
        self._retriever = retriever
        self._position = {chunk_id: i for i, chunk_id in enumerate(ids)}

    @classmethod
    def build(cls, ids: Sequence[str], token_lists: Sequence[Sequence[str]]) -> LexicalIndex:
        if len(ids) != len(token_lists):
            raise ValueError(f"{len(ids)} ids but {len(token_lists)} token lists: give one token list per id")
        if len(set(ids)) != len(ids):
            raise ValueError("lexical index ids must be unique")
        if not ids:
            return cls([], None)
        retriever = bm25s.BM25()
        retriever.index([list(tokens) for tokens in token_lists], show_progress=False)
        return cls(list(ids), retriever)

    def __len__(self) -> int:
        return len(self.ids)

    def search(
        self, tokens: Sequence[str], k: int, allowed_ids: Collection[str] | None = None
    ) -> list[LexicalHit]:
        """The k best-scoring ids with a positive score, best first; only among allowed_ids when given."""
        if self._retriever is None or k <= 0:
            return []
        vocab = self._retriever.vocab_dict
        known = [t for t in tokens if t in vocab]
        if not known:
            return []
        scores = np.asarray(self._retriever.get_scores(known), dtype=np.float64)
        if allowed_ids is not None:
            mask = np.zeros(len(self.ids), dtype=bool)
            for chunk_id in allowed_ids:
                position = self._position.get(chunk_id)
                if position is not None:
                    mask[position] = True
            scores = np.where(mask, scores, 0.0)
        candidates = np.flatnonzero(scores > 0)
        if candidates.size == 0:
            return []
        # Ties broken by position so results are stable from run to run.
        order = sorted(candidates.tolist(), key=lambda i: (-scores[i], i))[:k]
        return [LexicalHit(self.ids[i], float(scores[i])) for i in order]

    def save(self, directory: str | Path) -> None:
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        if self._retriever is not None:
            self._retriever.save(str(directory), show_progress=False)
        # Written last: its presence marks a complete save.
        (directory / _IDS_FILE).write_text(json.dumps(self.ids, ensure_ascii=False), encoding="utf-8")

    @classmethod
    def load(cls, directory: str | Path) -> LexicalIndex:
        directory = Path(directory)
        ids_path = directory / _IDS_FILE
        if not ids_path.is_file():
            raise FileNotFoundError(f"no lexical index in {directory} (missing {_IDS_FILE})")
        ids = json.loads(ids_path.read_text(encoding="utf-8"))
        if not ids:
            return cls([], None)
        retriever = bm25s.BM25.load(str(directory), show_progress=False)
        return cls(ids, retriever)
