"""Answer units: the sentences, list items and table rows an answer quotes, and the figures in them."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from assistant.retriever import RankedChunk, chunk_id_of
from ingest.text import fold

# A list item shorter than this is one unit; a longer one is split into its sentences.
WHOLE_ITEM_MAX_CHARS = 600
_LIST_MARKER_RE = re.compile(r"^\s*(?:[-+*•]\s+|(?:[a-zđ]|\d{1,2}(?:\.\d{1,2})*|[IVX]{1,4})[).]\s+)", re.IGNORECASE)
_SENTENCE_END_RE = re.compile(r"(?<=[.!?…])\s+(?=[\"“(]?[A-ZÀ-ỸĐ])")
_WORD_RE = re.compile(r"[^\W\d_]{2,}")
_YEAR_RE = re.compile(r"^(?:19|20)\d{2}$")
# A figure as written: "74.000", "96,51", "1.657/1.840". Not glued to a word ("Covid-19", "C2").
_FIGURE_RE = re.compile(r"(?<![\w.,/-])\d+(?:[.,]\d+)*(?:/\d+(?:[.,]\d+)*)*")
# "6 tháng đầu năm", "9 tháng": a number naming a period, not a figure.
_PERIOD_NUMBER_RE = re.compile(r"\s*tháng\b", re.IGNORECASE)
# Not figures: a document number ("510/BC-UBND", "01-NQ/TU") or a date ("20-10-2020", "ngày 16/6").
_NOT_FIGURE_AFTER_RE = re.compile(
    r"(?:[/-][A-ZĐ]|[/-]\d{1,2}[/-](?:19|20)\d{2}\b|\s+năm\s+(?:19|20)\d{2}\b)", re.IGNORECASE
)
_DATE_BEFORE_RE = re.compile(r"\bngày\s*$", re.IGNORECASE)
# Telephone numbers ("Hỗ trợ: (028) 3930.3279 _ 0906.229966" in a legal database's footer) are no figures: a
# number starting with 0 and holding 9 to 11 digits in groups is one, as no quantity is written so.
_PHONE_RE = re.compile(r"\(0\d{1,3}\)\s*\d{3,4}[. ]?\d{3,4}|(?<![\d.,])0\d{2,3}(?:[. ]?\d{2,6}){1,3}(?!\d)")
_PHONE_DIGITS = range(9, 12)
# A heading or list number opening a passage ("3. Rà soát", "3.4 Tập trung"): an ordinal, not a figure.
_HEADING_NUMBER_RE = re.compile(r"\s*(?:\d{1,2}(?:\.\d{1,2})*[.)]\s|\d{1,2}(?:\.\d{1,2})+\s)")
_UNIT_WORD_RE = re.compile(r"%|[^\W\d_]+")
# Markdown emphasis in crawled pages. A run closing one bold span and opening the next ("****"), a run
# after a sentence's end, or a closing run before a capitalised word ("bộ máy ** Trên cơ sở") ends a
# heading or a paragraph the crawl glued to the next one: a unit boundary. Other runs are only styling.
_EMPHASIS_BOUNDARY_RE = re.compile(r"\*{4,}|(?<=[.!?…:;])\s*\*{2,}|\s\*{2,}\s+(?=[A-ZÀ-ỸĐ])")
_EMPHASIS_RE = re.compile(r"\*{2,}")


@dataclass(frozen=True)
class Figure:
    """A figure as the document writes it, and the first word after it (its unit), folded."""

    raw: str
    start: int
    end: int
    unit: tuple[str, ...]


def _unit_after(text: str, end: int) -> tuple[str, ...]:
    # A table cell ends a figure's unit: in "| 14. | Lai Châu | 2068 |" the place is the next cell, not what 14 counts.
    words = _UNIT_WORD_RE.findall(text[end : end + 30].split("|", 1)[0])
    return tuple(fold(w) for w in words[:2])


def figures_in(text: str) -> list[Figure]:
    """Figures of a passage: not years, dates, document numbers, telephone numbers, "6 tháng", or a heading's number."""
    found = []
    heading = _HEADING_NUMBER_RE.match(text)
    phones = [m.span() for m in _PHONE_RE.finditer(text) if sum(c.isdigit() for c in m.group(0)) in _PHONE_DIGITS]
    for match in _FIGURE_RE.finditer(text, heading.end() if heading else 0):
        raw = match.group(0)
        if any(start <= match.start() < end for start, end in phones):
            continue
        if _YEAR_RE.match(raw) or _PERIOD_NUMBER_RE.match(text, match.end()):
            continue
        if _NOT_FIGURE_AFTER_RE.match(text, match.end()) or _DATE_BEFORE_RE.search(text[: match.start()]):
            continue
        found.append(Figure(raw, match.start(), match.end(), _unit_after(text, match.end())))
    return found


def collapse(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def display_text(unit_text: str) -> str:
    """The quoted words without the list marker and the list's trailing ';' (figures untouched)."""
    return _LIST_MARKER_RE.sub("", unit_text, count=1).strip().rstrip(";,: ").strip()


@dataclass(frozen=True)
class Unit:
    """One sentence, list item or table row of a retrieved passage: what an answer quotes."""

    text: str  # the document's words, whitespace collapsed
    item: RankedChunk  # the passage it stands in, as retrieval ranked it
    rank: int  # the passage's rank (0 = best)
    position: int  # the unit's place within its passage
    kind: str  # "row" | "item" | "sentence"
    context: str  # the words that frame it: document title, section, table title and column headers
    hint_match: bool = False  # the document is of the kind or issuer the question names

    @property
    def meta(self) -> dict[str, Any]:
        return self.item.meta

    @property
    def dense(self) -> float | None:
        return self.item.dense_score

    @property
    def key(self) -> tuple[str, int]:
        return chunk_id_of(self.item.chunk), self.position


def _context(item: RankedChunk) -> str:
    meta = item.meta
    parts = [str(meta.get("title") or ""), str(getattr(item.chunk, "section", "") or "")]
    parts.append(str(meta.get("table_title") or ""))
    parts += [str(c) for c in (meta.get("columns") or [])]
    return " ".join(p for p in parts if p)


def _without_emphasis(text: str) -> str:
    return collapse(_EMPHASIS_RE.sub(" ", text).replace(" ,", ",").replace(" .", "."))


def split_units(text: str, section: str = "", is_row: bool = False) -> list[tuple[str, str]]:
    """(text, kind) of each unit of a passage: a row or a short list item whole, else its sentences."""
    text = collapse(text)
    if not text:
        return []
    if is_row:
        return [(_without_emphasis(text), "row")]
    if "**" in text:
        pieces = [_without_emphasis(p) for p in _EMPHASIS_BOUNDARY_RE.split(text)]
        return [unit for piece in pieces if piece for unit in _split_plain(piece, section)]
    return _split_plain(text, section)


def _split_plain(text: str, section: str) -> list[tuple[str, str]]:
    last_section = section.split("›")[-1].strip() if section else ""
    is_item = bool(_LIST_MARKER_RE.match(text)) or bool(re.fullmatch(r"[a-zđ]\)", last_section))
    if is_item and len(text) <= WHOLE_ITEM_MAX_CHARS:
        return [(text, "item")]
    # A heading number left alone by the split ("2.") is no unit: it says nothing.
    return [(s, "sentence") for s in _SENTENCE_END_RE.split(text) if _WORD_RE.search(s)]


def chunk_units(chunk: Any) -> list[tuple[str, str]]:
    """(text, kind) of each unit of a stored passage, in order: the same at ingest and at query time."""
    metadata = getattr(chunk, "metadata", None) or {}
    return split_units(str(getattr(chunk, "text", "")), str(getattr(chunk, "section", "") or ""), bool(metadata.get("columns")))


def units_of(item: RankedChunk, rank: int, hint_match: bool = False) -> list[Unit]:
    context = _context(item)
    return [
        Unit(text, item, rank, position, kind, context, hint_match)
        for position, (text, kind) in enumerate(chunk_units(item.chunk))
    ]
