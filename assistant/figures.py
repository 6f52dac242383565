"""Figure checking: every number an LLM writes must stand in a passage it cites."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from ingest.text import find_numbers

_CITATION_RE = re.compile(r"\[(\d+(?:\s*[,;]\s*\d+)*)\]")


@dataclass(frozen=True)
class FigureCheck:
    ok: bool
    cited: list[int]  # passage numbers the text cites, in first-use order
    unsupported: list[str]  # numbers as written that no cited passage holds
    bad_citations: list[int]  # [n] markers pointing at no passage


def cited_numbers(text: str) -> list[int]:
    found: list[int] = []
    for match in _CITATION_RE.finditer(text):
        for part in re.split(r"\s*[,;]\s*", match.group(1)):
            n = int(part)
            if n not in found:
                found.append(n)
    return found


def strip_citations(text: str) -> str:
    return _CITATION_RE.sub(" ", text)


def number_values(texts: Iterable[str]) -> set[Decimal]:
    return {m.value for text in texts for m in find_numbers(text)}


def check_figures(text: str, passages: Sequence[str], also_allowed: Iterable[str] = ()) -> FigureCheck:
    """Numbers compared by value ("1.850" ≡ "1850"); [n] markers are not figures.

    `passages[n-1]` is passage [n]; `also_allowed` holds texts whose numbers may be repeated
    (the question itself, the cited documents' titles, dates and periods).
    """
    cited = cited_numbers(text)
    bad = [n for n in cited if not 1 <= n <= len(passages)]
    allowed = number_values(passages[n - 1] for n in cited if 1 <= n <= len(passages))
    allowed |= number_values(also_allowed)
    unsupported: list[str] = []
    for mention in find_numbers(strip_citations(text)):
        if mention.value not in allowed and mention.raw not in unsupported:
            unsupported.append(mention.raw)
    ok = not unsupported and not bad and bool(cited)
    return FigureCheck(ok=ok, cited=cited, unsupported=unsupported, bad_citations=bad)
