"""Documents a question names by number: "NQ 48/2025", "Công điện 220", "58/2025/NQ-HĐND", "QĐ số 2639".

A number that identifies a document must match exactly ("số 137" is not "số 13"), and the document it
names, when indexed, is where the answer is looked for first (see `HybridRetriever.retrieve`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from ingest.text import fold

# Kind words as officials write them, folded, and the code a document number of that kind carries
# (Decree 30/2020/NĐ-CP, appendix III; folded: QĐ → qd). None: the kind carries no code of its own.
_KIND_CODES: dict[str, str | None] = {
    "nghi quyet": "nq", "nq": "nq",
    "quyet dinh": "qd", "qd": "qd",
    "nghi dinh": "nd", "nd": "nd",
    "thong tu": "tt", "tt": "tt",
    "chi thi": "ct", "ct": "ct",
    "ke hoach": "kh", "kh": "kh",
    "bao cao": "bc", "bc": "bc",
    "thong bao": "tb", "tb": "tb",
    "to trinh": "ttr", "ttr": "ttr",
    "cong dien": "cd", "cd": "cd",
    "cong van": None, "cv": None,
    "van ban": None,
}
_KIND_ALTERNATION = "|".join(sorted((re.escape(k) for k in _KIND_CODES), key=len, reverse=True))
# "nq 48", "nghi quyet so 48/2025", "qd so 2639": a kind word, then the number (not a year nor a duration:
# "nghị quyết 2025" is the year's resolution, "kế hoạch 5 năm" a plan's length).
_KIND_NUMBER_RE = re.compile(
    rf"\b({_KIND_ALTERNATION})\s*(?:so\s*)?(?!(?:19|20)\d\d\b(?!/))0*(\d{{1,5}})(?:/((?:19|20)\d\d))?\b(?!\s*(?:nam|thang)\b)"
)
# "58/2025/nq-hdnd", "220/cd-ttg", "18590/btc-ptht", "68-nq/tw": a full number and symbol.
_SYMBOL_RE = re.compile(r"\b0*(\d{1,5})(?:/((?:19|20)\d\d))?/([a-z]{1,6})-[a-z]|\b0*(\d{1,5})-([a-z]{1,4})/[a-z]")
# A whole number and symbol as written, to blank or keep intact: "58/2025/nq-hdnd", "634/tb-vpcp", "68-nq/tw", and
# the National Assembly's "245/2025/qh15" (its code ends in the legislature's number, which is no figure asked).
SYMBOL_SPAN_RE = re.compile(r"\b\d{1,5}(?:/(?:19|20)\d\d)?/[a-z&][a-z&\d]*(?:-[a-z&\d]+)*|\b\d{1,5}-[a-z]+/[a-z]+")
# A document's own number, folded: "58/2025/nq-hdnd" → 58, 2025, nq.
_OWN_NUMBER_RE = re.compile(r"^\s*0*(\d+)(?:/(\d{4}))?(?:/([a-z]+)|-([a-z]+)/)")


@dataclass(frozen=True)
class DocumentRef:
    """A document named by number: its number, and the year and kind code when the question gives them."""

    number: str  # without leading zeros
    year: str | None = None
    code: str | None = None  # folded kind code: "nq", "qd", "cd"


def document_refs(folded: str) -> tuple[DocumentRef, ...]:
    """The documents a folded question names by number, in the order it names them."""
    found: list[tuple[int, DocumentRef]] = []
    for m in _SYMBOL_RE.finditer(folded):
        if m.group(1):
            found.append((m.start(), DocumentRef(m.group(1), m.group(2), m.group(3))))
        else:
            found.append((m.start(), DocumentRef(m.group(4), None, m.group(5))))
    covered = [range(m.start(), m.end()) for m in _SYMBOL_RE.finditer(folded)]
    for m in _KIND_NUMBER_RE.finditer(folded):
        if any(m.start(2) in span for span in covered):
            continue
        found.append((m.start(), DocumentRef(m.group(2), m.group(3), _KIND_CODES[m.group(1)])))
    return tuple(dict.fromkeys(ref for _, ref in sorted(found, key=lambda pair: pair[0])))


def without_document_refs(folded: str) -> str:
    """The folded question with the documents it names by number blanked out (same length): the year of
    "NQ 48/2025" dates the resolution, it is not the period asked about, and "48" is no figure."""
    # The whole reference goes: "quyết định 2639/QĐ-TTg" names a document, and none of its words is an indicator's.
    spans = [m.span() for m in SYMBOL_SPAN_RE.finditer(folded)] + [m.span() for m in _KIND_NUMBER_RE.finditer(folded)]
    chars = list(folded)
    for start, end in spans:
        chars[start:end] = " " * (end - start)
    return "".join(chars)


def own_refs(meta: Mapping[str, Any]) -> tuple[DocumentRef, ...]:
    """What a document's metadata says its number is: the number field, else the numbers its title writes."""
    return _own_refs(str(meta.get("number") or ""), str(meta.get("title") or ""))


@lru_cache(maxsize=16384)
def _own_refs(number: str, title: str) -> tuple[DocumentRef, ...]:
    # Cached: every candidate unit of a question naming a document asks it of its document.
    m = _OWN_NUMBER_RE.match(fold(number))
    if m:
        return (DocumentRef(m.group(1), m.group(2), m.group(3) or m.group(4)),)
    return document_refs(fold(title))


def refers_to(ref: DocumentRef, meta: Mapping[str, Any]) -> bool:
    """Whether the document with this metadata is the one the reference names (the number exactly; the
    year and the kind code wherever both sides give them)."""
    for own in own_refs(meta):
        if own.number != ref.number:
            continue
        if ref.year and own.year and ref.year != own.year:
            continue
        if ref.code and own.code and ref.code != own.code:
            continue
        return True
    return False


def named_sources(refs: Sequence[DocumentRef], documents: Mapping[str, Mapping[str, Any]]) -> list[str]:
    """The indexed documents the question names by number (several when a number is ambiguous)."""
    if not refs:
        return []
    numbers = {ref.number for ref in refs}
    # A substring test first: a thousand documents' metadata is read for every question naming one.
    return sorted(
        source
        for source, meta in documents.items()
        if any(n in str(meta.get("number") or "") or n in str(meta.get("title") or "") for n in numbers)
        and any(refers_to(ref, meta) for ref in refs)
    )
