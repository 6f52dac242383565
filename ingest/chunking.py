"""Chunking along the document's own structure: headings, list items, paragraphs.

One retrievable unit per list item or paragraph, since the answerer quotes them whole; headings
are not chunks of their own but the `section_path` of what they head. A paragraph longer than
the embedding window is split on sentence boundaries. Photo captions ("(Ảnh: …/TTXVN)"), the
distribution list ("Nơi nhận: …"), web navigation ("Xem thêm") and formula lines in capitals
("QUYẾT NGHỊ:") are not chunked: they hold no facts an official asks about. The document header
(kind, title, issuer lines) and the signature are kept as one chunk each.
"""

from __future__ import annotations

import hashlib
import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum

from ingest.cleaning import (
    ARTICLE_RE,
    CHAPTER_RE,
    DECIMAL_RE,
    LETTER_ITEM_RE,
    CleanedDocument,
    clean_document,
    ends_with_terminal,
    is_all_caps,
    is_name_line,
    structure_label,
    word_count,
)
from ingest.models import Chunk, LoadedDocument

SIGNATURE_SECTION = "Chữ ký"

# Heading ranks: a new heading closes every open heading of the same or a deeper rank.
_RANKS = {"roman": 0.0, "article": 2.0, "arabic": 3.0, "decimal": 4.0, "letter": 5.0}
_CHAPTER_RANKS = {"Phần": -1.0, "Chương": 0.0, "Mục": 1.0}

_CAPTION_RE = re.compile(r"\(\s*(Ảnh|Nguồn ảnh|Ảnh minh họa|Ảnh minh hoạ|Video)\s*:[^()]*\)\s*$")
_DISTRIBUTION_RE = re.compile(r"^Nơi nhận\b", re.IGNORECASE)
_WEB_CRUFT = frozenset({"xem thêm", "chia sẻ", "in bài", "bình luận", "tin liên quan", "đọc thêm"})
# "Nghị quyết này được … thông qua", "Trên đây là báo cáo …": they speak for the whole document.
_CLOSING_RE = re.compile(r"^((Nghị quyết|Quyết định|Báo cáo|Kế hoạch|Chỉ thị|Thông báo) này\b|Trên đây là\b)")

_HEADER_MAX_WORDS = 30
_SIGNATURE_MAX_WORDS = 12
_UNLABELED_HEADING_MAX_WORDS = 25
# A heading this short is a title whatever its punctuation; a longer one only if it ends open.
_TITLE_MAX_WORDS = 20
_OPEN_TITLE_MAX_WORDS = 60
# "b) Cơ cấu kinh tế:" takes the lines it introduces into its chunk, up to this many.
_ABSORB_MAX_BLOCKS = 5

# Sentence end: . ! ? … (maybe inside closing quotes/brackets) then space and a capital, digit or quote.
_SENTENCE_BREAK_RE = re.compile(r"(?<=[.!?…])[)\"'”’»]*\s+(?=[\"“‘(\[]?[A-ZÀ-ỸĐ0-9])")
_CLAUSE_BREAK_RE = re.compile(r"(?<=;)\s+")
_PHRASE_BREAK_RE = re.compile(r"(?<=,)\s+")
_WORD_BREAK_RE = re.compile(r"\s+")
# Abbreviations that end with a period but do not end a sentence.
_ABBREVIATIONS = frozenset(
    {"TP", "Tp", "TX", "TT", "TS", "Ts", "ThS", "Ths", "GS", "Gs", "PGS", "KS", "BS", "TM", "KT", "PCT", "CT",
     "Th", "St", "Q", "P", "ĐT", "QL", "TL", "ĐC"}
)
_TOKEN_RE = re.compile(r"\w+|[^\w\s]")


def estimate_tokens(text: str) -> int:
    """Cheap stand-in for the embedding model's tokenizer, on the safe (high) side.

    multilingual-e5 spends about 1.3 tokens per Vietnamese syllable; numbers and punctuation more.
    """
    return math.ceil(len(_TOKEN_RE.findall(text)) * 1.4) + 2


class _Role(Enum):
    TEXT = "text"  # a paragraph, list item or closing formula: one chunk
    LABELED = "labeled"  # a numbered heading or list item: heading, chunk, or both
    BULLET = "bullet"
    HEADING = "heading"  # a heading line without a number
    CLOSING = "closing"
    DROPPED = "dropped"


@dataclass(frozen=True)
class _Block:
    text: str
    start: int
    end: int
    label: str | None


@dataclass(frozen=True)
class _Span:
    start: int
    end: int
    path: tuple[str, ...]


@dataclass
class _Open:
    rank: float
    element: str
    numbered: bool = True  # False for a heading line without a number (ranked under the numbered ones)


def _blocks(text: str) -> list[_Block]:
    blocks = []
    for m in re.finditer(r"[^\n]+", text):
        line = m.group(0)
        if line.strip():
            blocks.append(_Block(line, m.start(), m.end(), structure_label(line)))
    return blocks


def _is_header_line(block: _Block) -> bool:
    if block.label is not None:
        return False
    if is_all_caps(block.text) or re.match(r"^Số\s*:", block.text):
        return True
    return not ends_with_terminal(block.text, ".;!?…") and word_count(block.text) <= _HEADER_MAX_WORDS


def _header_length(blocks: list[_Block]) -> int:
    n = 0
    while n < len(blocks) - 1 and _is_header_line(blocks[n]):
        n += 1
    return n


def _is_cruft(block: _Block) -> bool:
    return block.text.strip().strip(".:…").lower() in _WEB_CRUFT


def _is_signature_line(block: _Block) -> bool:
    if is_all_caps(block.text) or is_name_line(block.text):
        return True
    return (
        block.label is None
        and not ends_with_terminal(block.text)
        and word_count(block.text) <= _SIGNATURE_MAX_WORDS
    )


@dataclass(frozen=True)
class _Trailer:
    first: int  # index of the first trailer block
    signature: list[int]
    dropped: set[int]


def _trailer(blocks: list[_Block], floor: int) -> _Trailer:
    """Signature lines, distribution list and web cruft at the end of the document."""
    dropped: set[int] = set()
    for i in range(len(blocks) - 1, max(floor, len(blocks) - 25) - 1, -1):
        if _DISTRIBUTION_RE.match(blocks[i].text):
            dropped.add(i)
            j = i + 1
            while j < len(blocks) and blocks[j].label == "bullet":
                dropped.add(j)
                j += 1
            break
    signature: list[int] = []
    first = len(blocks)
    i = len(blocks) - 1
    while i >= floor:
        block = blocks[i]
        if i in dropped or _is_cruft(block):
            dropped.add(i)
        elif _is_signature_line(block):
            signature.append(i)
        else:
            break
        first = i
        i -= 1
    return _Trailer(first=first, signature=sorted(signature), dropped=dropped)


def _is_caption(block: _Block) -> bool:
    return bool(_CAPTION_RE.search(block.text)) and word_count(block.text) <= 40


def _role(block: _Block) -> _Role:
    if _is_caption(block) or _is_cruft(block):
        return _Role.DROPPED
    if block.label == "bullet":
        return _Role.BULLET
    if block.label is not None:
        return _Role.LABELED
    if is_all_caps(block.text):
        return _Role.DROPPED  # "QUYẾT NGHỊ:": a formula, its content follows
    if _CLOSING_RE.match(block.text):
        return _Role.CLOSING
    if not ends_with_terminal(block.text) and word_count(block.text) <= _UNLABELED_HEADING_MAX_WORDS:
        return _Role.HEADING
    return _Role.TEXT


def _rank(block: _Block) -> float:
    if block.label == "chapter":
        m = CHAPTER_RE.match(block.text)
        return _CHAPTER_RANKS.get(m.group(1) if m else "", 0.0)
    return _RANKS[block.label or ""]


def _short_label(block: _Block) -> str:
    """'Điều 1', 'Chương II', 'I.', '2.', '3.1', 'c)': what a path shows for a heading with text."""
    text = block.text
    if block.label == "article":
        m = ARTICLE_RE.match(text)
        return f"Điều {m.group(1)}" if m else text.split(".")[0]
    if block.label == "chapter":
        m = CHAPTER_RE.match(text)
        return f"{m.group(1)} {m.group(2)}" if m else text.split()[0]
    if block.label == "decimal":
        m = DECIMAL_RE.match(text)
        return m.group(1) if m else text.split()[0]
    if block.label == "letter":
        m = LETTER_ITEM_RE.match(text)
        return f"{m.group(1)})" if m else text.split()[0]
    return text.split()[0]


def _title_element(text: str) -> str:
    return text.rstrip().rstrip(":;.,").rstrip()


def _is_title_like(text: str) -> bool:
    words = word_count(text)
    return words <= _TITLE_MAX_WORDS or (not ends_with_terminal(text) and words <= _OPEN_TITLE_MAX_WORDS)


class _Structure:
    """Walks the body blocks with the stack of open headings and collects chunk spans."""

    def __init__(self, blocks: list[_Block], roles: list[_Role], max_tokens: int, count: Callable[[str], int]):
        self.blocks = blocks
        self.roles = roles
        self.max_tokens = max_tokens
        self.count = count
        self.stack: list[_Open] = []
        self.spans: list[_Span] = []

    def path(self) -> tuple[str, ...]:
        return tuple(o.element for o in self.stack)

    def _close(self, rank: float) -> None:
        while self.stack and self.stack[-1].rank >= rank:
            self.stack.pop()

    def _next(self, i: int) -> int | None:
        j = i + 1
        while j < len(self.blocks) and self.roles[j] is _Role.DROPPED:
            j += 1
        return j if j < len(self.blocks) else None

    def _heads_something(self, i: int, stop: int) -> bool:
        nxt = self._next(i)
        return nxt is not None and nxt < stop

    def _children(self, i: int, rank: float) -> list[int]:
        """Blocks under block i: up to the next heading of the same or a higher rank."""
        kids = []
        j = self._next(i)
        while j is not None:
            role = self.roles[j]
            if role is _Role.CLOSING or (role is _Role.LABELED and _rank(self.blocks[j]) <= rank):
                break
            kids.append(j)
            j = self._next(j)
        return kids

    def _absorbs(self, i: int, kids: list[int]) -> bool:
        """'b) Cơ cấu kinh tế:' followed by the plain lines it introduces: one target, one chunk."""
        if not kids or len(kids) > _ABSORB_MAX_BLOCKS or not self.blocks[i].text.rstrip().endswith(":"):
            return False
        if any(self.roles[k] is not _Role.TEXT for k in kids):
            return False
        text = self.blocks[i].text + " " + " ".join(self.blocks[k].text for k in kids)
        return self.count(text) <= self.max_tokens

    def walk(self, first: int, stop: int) -> None:
        i = first
        while i < stop:
            block, role = self.blocks[i], self.roles[i]
            if role is _Role.DROPPED:
                i += 1
            elif role is _Role.LABELED:
                i = self._labeled(i)
            elif role is _Role.HEADING and self._heads_something(i, stop):
                numbered = [o.rank for o in self.stack if o.numbered]
                rank = (max(numbered) if numbered else -2.0) + 0.5
                self._close(rank)
                self.stack.append(_Open(rank, _title_element(block.text), numbered=False))
                i += 1
            else:
                path = () if role is _Role.CLOSING else self.path()
                self.spans.append(_Span(block.start, block.end, path))
                i += 1

    def _labeled(self, i: int) -> int:
        block = self.blocks[i]
        rank = _rank(block)
        self._close(rank)
        parent = self.path()
        kids = self._children(i, rank)
        if not kids:
            self.spans.append(_Span(block.start, block.end, (*parent, _short_label(block))))
            return i + 1
        if self._absorbs(i, kids):
            self.spans.append(_Span(block.start, self.blocks[kids[-1]].end, (*parent, _short_label(block))))
            return kids[-1] + 1
        if _is_title_like(block.text):
            self.stack.append(_Open(rank, _title_element(block.text)))
        else:
            element = _short_label(block)
            self.spans.append(_Span(block.start, block.end, (*parent, element)))
            self.stack.append(_Open(rank, element))
        return i + 1


def _ends_with_abbreviation(text: str) -> bool:
    words = text.rstrip(".)\"'”’»").split()
    if not words:
        return False
    last = words[-1]
    return last in _ABBREVIATIONS or (len(last) == 1 and last.isupper())


def _units(text: str, start: int, end: int, pattern: re.Pattern[str]) -> list[tuple[int, int]]:
    """Split text[start:end] at the pattern's gaps; a sentence break after an abbreviation is no break."""
    units = []
    cut = start
    for m in pattern.finditer(text, start, end):
        if pattern is _SENTENCE_BREAK_RE and _ends_with_abbreviation(text[cut : m.start()]):
            continue
        units.append((cut, m.start()))
        cut = m.end()
    units.append((cut, end))
    return [(a, b) for a, b in units if b > a]


_SPLIT_LEVELS = (_SENTENCE_BREAK_RE, _CLAUSE_BREAK_RE, _PHRASE_BREAK_RE, _WORD_BREAK_RE)


def _split_long(
    text: str, start: int, end: int, max_tokens: int, count: Callable[[str], int], level: int = 0
) -> list[tuple[int, int]]:
    """Pieces of text[start:end] within max_tokens, cut at sentence ends (then ';', ',', spaces)."""
    if count(text[start:end]) <= max_tokens or level >= len(_SPLIT_LEVELS):
        return [(start, end)]
    pieces: list[tuple[int, int]] = []
    current: tuple[int, int] | None = None
    for a, b in _units(text, start, end, _SPLIT_LEVELS[level]):
        if current is not None and count(text[current[0] : b]) <= max_tokens:
            current = (current[0], b)
            continue
        if current is not None:
            pieces.append(current)
        if count(text[a:b]) > max_tokens:
            *whole, current = _split_long(text, a, b, max_tokens, count, level + 1)
            pieces.extend(whole)
        else:
            current = (a, b)
    if current is not None:
        pieces.append(current)
    return pieces


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def chunk_document(
    doc: LoadedDocument,
    *,
    max_tokens: int = 400,
    count_tokens: Callable[[str], int] | None = None,
    cleaned: CleanedDocument | None = None,
) -> list[Chunk]:
    """The document's retrievable units, in reading order, with heading path, page and offsets.

    Offsets point into `ingest.cleaning.document_text(doc)`. `count_tokens` should be the
    embedding model's tokenizer; leave room under its window for the query/passage prefix and
    the context header the index adds. Pass `cleaned` when the caller already cleaned `doc`.
    """
    count = count_tokens or estimate_tokens
    cleaned = cleaned or clean_document(doc)
    text = cleaned.text
    blocks = _blocks(text)
    if not blocks:
        return []
    header_end = _header_length(blocks)
    trailer = _trailer(blocks, floor=header_end)
    # Trailer blocks are emitted apart (signature) or not at all: the body walk must not see them.
    roles = [_Role.DROPPED if i >= trailer.first else _role(b) for i, b in enumerate(blocks)]

    spans: list[_Span] = []
    if header_end:
        spans.append(_Span(blocks[0].start, blocks[header_end - 1].end, ()))
    structure = _Structure(blocks, roles, max_tokens, count)
    structure.walk(header_end, trailer.first)
    spans.extend(structure.spans)
    for run in _runs(trailer.signature):
        spans.append(_Span(blocks[run[0]].start, blocks[run[-1]].end, (SIGNATURE_SECTION,)))

    chunks: list[Chunk] = []
    for span in spans:
        for start, end in _split_long(text, span.start, span.end, max_tokens, count):
            piece = text[start:end]
            ordinal = len(chunks)
            chunks.append(
                Chunk(
                    chunk_id=f"{doc.source}#{ordinal:04d}@{doc.content_hash[:12]}",
                    source=doc.source,
                    ordinal=ordinal,
                    text=piece,
                    section_path=span.path,
                    page=cleaned.page_at(start),
                    start=start,
                    end=end,
                    content_hash=_sha256(piece),
                )
            )
    return chunks


def _runs(indices: list[int]) -> list[list[int]]:
    """Consecutive runs: signature lines separated by a dropped list become separate chunks."""
    runs: list[list[int]] = []
    for i in indices:
        if runs and runs[-1][-1] == i - 1:
            runs[-1].append(i)
        else:
            runs.append([i])
    return runs
