"""Folded word tokens and how telling each word is across the indexed passages."""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

from ingest.text import fold

_TOKEN_RE = re.compile(r"[a-z]+|\d+(?:[.,]\d+)*")


@lru_cache(maxsize=32768)
def tokens(text: str) -> tuple[str, ...]:
    """Folded words and numbers as written ("1.850" stays one token). Cached: passages repeat across questions."""
    return tuple(_TOKEN_RE.findall(fold(text)))


@dataclass(frozen=True)
class TermWeights:
    """Inverse document frequency of folded words over all indexed chunks."""

    idf: dict[str, float]
    default: float

    @classmethod
    def from_texts(cls, texts: Iterable[str]) -> TermWeights:
        df: Counter[str] = Counter()
        n = 0
        for text in texts:
            n += 1
            df.update(set(_TOKEN_RE.findall(fold(text))))
        idf = {t: math.log((n + 1) / (c + 1)) + 1.0 for t, c in df.items()}
        # A word no passage uses is as telling as the rarest word.
        return cls(idf=idf, default=math.log(n + 1) + 1.0)

    def weight(self, term: str) -> float:
        return self.idf.get(term, self.default)
