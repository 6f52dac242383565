"""Chunking along the document's own structure: headings, list items, paragraphs.

One retrievable unit per list item, paragraph or table row, since the answerer quotes them whole; headings
are not chunks of their own but the `section_path` of what they head. A paragraph longer than
the embedding window is split on sentence boundaries. Photo captions ("(Ảnh: …/TTXVN)"), the
distribution list ("Nơi nhận: …"), web navigation ("Xem thêm") and formula lines in capitals
("QUYẾT NGHỊ:") are not chunked: they hold no facts an official asks about. The document header
(kind, title, issuer lines) and the signature are kept as one chunk each.

A table (found by `ingest.cleaning`) gives one chunk per data row, never split, carrying the table's
title and its column headers: a question about one cell must find that row, not the whole table.
"""

from __future__ import annotations

import hashlib
import math
import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from enum import Enum

from ingest.cleaning import (
    ARTICLE_RE,
    CHAPTER_RE,
    DECIMAL_RE,
    LETTER_ITEM_RE,
    CleanedDocument,
    TableSpan,
    clean_document,
    ends_with_terminal,
    is_all_caps,
    is_name_line,
    is_separator_row,
    is_value,
    is_year,
    pipe_row_text,
    plain,
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
    TABLE = "table"  # a line of a table: its rows are chunked by _Structure._table


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
    kind: str = "paragraph"
    row: _Row | None = None  # set for a table row: never split, text and table context from here


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


def _header_length(blocks: list[_Block], tables: set[int]) -> int:
    n = 0
    while n < len(blocks) - 1 and n not in tables and _is_header_line(blocks[n]):
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


def _trailer(blocks: list[_Block], floor: int, tables: set[int]) -> _Trailer:
    """Signature lines, distribution list and web cruft at the end of the document (never a table's rows)."""
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
    while i >= floor and i not in tables:
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


_SIGNED_RE = re.compile(r"^\(?\s*(?:đã ký|ký|đã ký và đóng dấu)\s*\)?\.?$", re.IGNORECASE)
_SIGNER_TITLE_LINES = 6


def _inner_signatures(blocks: list[_Block], start: int, end: int, tables: set[int]) -> list[int]:
    """Signer blocks that stand before the end: a decision signs before the plan or regulation it issues,
    a resolution before its annexes. A name line under capitalised title lines ("KT. CHỦ TỊCH",
    "PHÓ CHỦ TỊCH") is one, with those lines."""
    found: list[int] = []
    for i in range(start, end):
        if i in tables or not is_name_line(_unstyled(blocks[i].text)):
            continue
        run = [i]
        j = i - 1
        while j >= start and j not in tables and len(run) <= _SIGNER_TITLE_LINES:
            text = _unstyled(blocks[j].text)
            if not (is_all_caps(text) or _SIGNED_RE.match(text)) or blocks[j].label is not None:
                break
            run.append(j)
            j -= 1
        if any(is_all_caps(_unstyled(blocks[k].text)) for k in run[1:]):
            found += run
    return sorted(set(found))


def _unstyled(text: str) -> str:
    """A line without Markdown emphasis: crawled pages write "**CHỦ TỊCH**"."""
    return text.replace("*", "").replace("_", " ").strip()


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


# ---------------------------------------------------------------- tables

# The caption line of a table: "Phụ lục I", "PHỤ LỤC 01", "Biểu số 2", "Bảng 1: …", "Mẫu số 03".
_TABLE_CAPTION_RE = re.compile(r"^(Phụ\s*lục|Biểu|Bảng|Mẫu)\b", re.IGNORECASE)
# Lines between a caption and its table that name no table: "(Kèm theo Nghị quyết …)", "Đơn vị tính: tỷ đồng",
# or both on one line (a crawl joins them).
_UNIT_NOTE_RE = re.compile(r"^(\(.*\)\s*)?(Đơn vị tính|Đơn vị|ĐVT)\s*:", re.IGNORECASE)
_TABLE_NOTE_RE = re.compile(rf"{_UNIT_NOTE_RE.pattern}|^\(.*\)$", re.IGNORECASE)
# What a PDF puts between a table and its continuation on the next page: page numbers.
_PAGE_FURNITURE_RE = re.compile(r"^[-–\s]*(Trang\s*)?\d{1,4}(\s*/\s*\d{1,4})?[-–\s]*$", re.IGNORECASE)
# A caption and its title in capitals, which a crawl or a PDF breaks over several lines.
_TITLE_MAX_LINES = 5
_TABLE_TITLE_MAX_WORDS = 40
_LABEL_MAX_WORDS = 10
# A group row's name is what a question names ("Trường … Phan Huy Chú - Đống Đa"): kept longer in the path.
_GROUP_LABEL_MAX_WORDS = 30
# A row's ordinal ("I", "1", "1.2", "a", "-"), and the rank of its kind: an ordinal of a lower rank opens a
# group that the rows of a higher rank belong to ("I. CÂY CÔNG NGHIỆP" > "1 Cà phê" > "- Diện tích").
_ORDINAL_RE = re.compile(r"^([IVXLC]+|[A-Z]|\d+(?:\.\d+)*|[a-zđ])[.)]?(?:\s|$)")
_TEXT_GROUP_RANK = 10.0
# The loaders write DOCX and PDF table rows as "| a | b |": the outer pipes are theirs, not the document's.
_LOADER_TABLE_TYPES = frozenset({"docx", "pdf"})
_ROW_GROUP_MAX_RANK = 3.0


@dataclass(frozen=True)
class _Row:
    """A table row to chunk: where it sits, the text shown, and its table's context."""

    start: int
    end: int
    text: str
    title: str | None
    columns: tuple[str, ...]
    cells: tuple[str, ...]


@dataclass(frozen=True)
class TableHeader:
    width: int  # columns of the widest row
    columns: tuple[str, ...]  # plain names, header rows merged per column; () when the table has no header
    first_row: tuple[str, ...]  # plain cells of the first header row: recognised when a page repeats it
    rows: int  # rows the header takes (with a Markdown separator row)


@dataclass(frozen=True)
class ReadRow:
    index: int  # row number in the table
    cells: tuple[str, ...]  # aligned with the header's columns
    path: tuple[str, ...]  # the groups it belongs to, then its own label


@dataclass(frozen=True)
class ReadTable:
    header: TableHeader
    rows: list[ReadRow]  # the data rows (header, separator, numbering, empty and group rows give none)


@dataclass(frozen=True)
class _TableBlocks:
    first: dict[int, TableSpan]  # block index of a table's first line -> the table
    last: dict[int, int]  # block index of a table's first line -> of its last line
    members: frozenset[int] = frozenset()  # every block index inside a table
    text: str = ""  # the cleaned text the tables' offsets point into
    bare: bool = False  # rows are shown without their outer pipes (the DOCX/PDF loaders added them)


@dataclass(frozen=True)
class _TableContext:
    """The table just chunked, for a continuation after a page break."""

    last_block: int
    title: str | None
    base: tuple[str, ...]
    header: TableHeader


@dataclass(frozen=True)
class _TablePaths:
    """Rows chunked with their section paths (inside the table)."""

    rows: list[_Row]
    paths: list[tuple[str, ...]]


def _plain_cells(cells: tuple[str, ...] | list[str]) -> tuple[str, ...]:
    return tuple(plain(cell) for cell in cells)


def _has_figure(cells: tuple[str, ...] | list[str]) -> bool:
    """A cell holds a figure (a year alone is what a header holds, not a figure)."""
    return any(plain(c) and is_value(c) and not is_year(c) for c in cells)


def _is_header_continuation(cells: tuple[str, ...], width: int) -> bool:
    """A second header row: a crawl's row of merged headers (fewer cells than the table), or a row under
    a header cell that spans rows (first cell empty); words, no figures, at least two cells."""
    filled = [c for c in _plain_cells(cells) if c]
    if len(filled) < 2 or _has_figure(cells) or not any(any(ch.isalpha() for ch in c) for c in filled):
        return False
    return len(cells) < width or not plain(cells[0])


def _is_numbering_row(cells: tuple[str, ...]) -> bool:
    """"(1) (2) (3) …" or "A B 1 2 3": the column numbers some tables print under the header."""
    filled = [plain(c).strip("()") for c in cells if plain(c)]
    numbers = [int(c) for c in filled if c.isdigit()]
    if len(numbers) < 2 or len(numbers) < len(filled) - 2:
        return False
    return numbers == list(range(numbers[0], numbers[0] + len(numbers)))


def _header_row_count(rows: list[tuple[str, ...]], width: int, inherited: TableHeader | None) -> int:
    separator = next((k for k, row in enumerate(rows[:4]) if is_separator_row(row)), None)
    if separator is not None:
        return separator + 1
    if inherited is not None:
        return inherited.rows if _plain_cells(rows[0]) == inherited.first_row else 0
    if len(rows) == 1:
        return 0  # one row alone is data: a header would leave nothing
    count = 1
    while count < len(rows) - 1 and _is_header_continuation(rows[count], width):
        count += 1
    return count


def _place_header_row(cells: list[str], width: int, covered: int) -> list[str]:
    """One header row spread over the columns. The row below it covers the last `covered` columns;
    cells before those span rows (one column each), the rest span the covered columns evenly."""
    if len(cells) == width:
        return cells
    lead = width - covered
    spanning = len(cells) - lead
    if lead >= 0 and spanning > 0 and covered % spanning == 0:
        share = covered // spanning
        return cells[:lead] + [cell for cell in cells[lead:] for _ in range(share)]
    if covered == width and len(cells) < width:
        return [""] * (width - len(cells)) + cells  # the lowest row: under cells that span rows at the left
    return (cells + [cells[-1]] * width)[:width] if cells else [""] * width


def merge_header(rows: list[tuple[str, ...]], width: int) -> tuple[str, ...]:
    """Column names from the header rows: each column's cells top to bottom, joined with " / "."""
    placed: list[list[str]] = []
    covered = width
    for row in reversed(rows):
        cells = list(_plain_cells(row))
        placed.insert(0, _place_header_row(cells, width, covered))
        covered = len(cells) if len(cells) < width else width
    for upper, lower in zip(placed, placed[1:], strict=False):
        # Equal-width rows: an empty cell above a named one is the span of the cell to its left.
        for j in range(1, width):
            if not upper[j] and lower[j]:
                upper[j] = upper[j - 1]
    names: list[str] = []
    for j in range(width):
        parts: list[str] = []
        for placed_row in placed:
            if placed_row[j] and placed_row[j] not in parts:
                parts.append(placed_row[j])
        names.append(" / ".join(parts))
    return tuple(names)


def _ordinal_rank(cell: str) -> float | None:
    m = _ORDINAL_RE.match(plain(cell))
    if not m:
        return None
    token = m.group(1)
    if re.fullmatch(r"[IVXLC]+", token):
        return 0.0 if token != "C" or len(plain(cell)) <= 2 else None
    if re.fullmatch(r"[A-Z]", token):
        return -1.0
    if token[0].isdigit():
        return 1.0 + token.count(".")
    return 5.0


def _row_label(cells: tuple[str, ...], max_words: int = _LABEL_MAX_WORDS) -> str:
    """'1.2 Rau quả', 'Diện tích': the row's ordinal and name, as a location inside the table."""
    filled = [c for c in _plain_cells(cells) if c]
    if not filled:
        return ""
    first = filled[0]
    if first in {"-", "+", "–", "•", "*"}:
        label = filled[1] if len(filled) > 1 else first
    elif _ORDINAL_RE.fullmatch(first + " ") and len(filled) > 1 and not is_value(filled[1]):
        label = f"{first} {filled[1]}"
    else:
        label = first
    label = re.sub(r"^[-+–•]\s+", "", label)
    words = label.split()
    return label if len(words) <= max_words else " ".join(words[:max_words]) + " …"


def _is_group_row(cells: tuple[str, ...], width: int) -> bool:
    """'I | CÂY CÔNG NGHIỆP | | |', or one cell across the table: names the rows below, holds no figure."""
    filled = [j for j, c in enumerate(cells) if plain(c)]
    if not filled:
        return False
    if len(cells) < width and len(filled) == 1:
        return True
    return width >= 3 and filled[-1] <= 1 and not any(is_value(cells[j]) for j in filled[1:])


def read_table(rows: list[tuple[str, ...]], inherited: TableHeader | None = None) -> ReadTable:
    """Which rows are header, data or group rows; the column names; each data row's place in the groups.

    `inherited` is the header of the table this one continues (after a page break).
    """
    width = max(len(row) for row in rows)
    header_rows = _header_row_count(rows, width, inherited)
    if inherited is not None:
        header = TableHeader(width, inherited.columns, inherited.first_row, inherited.rows)
    else:
        titles = [row for row in rows[:header_rows] if not is_separator_row(row)]
        columns = merge_header(titles, width) if titles else ()
        header = TableHeader(width, columns, _plain_cells(titles[0]) if titles else (), header_rows)
    groups: list[tuple[float, str]] = []
    read: list[ReadRow] = []
    for index in range(header_rows, len(rows)):
        cells = rows[index]
        if is_separator_row(cells) or not any(plain(c) for c in cells):
            continue
        if index == header_rows and _is_numbering_row(cells):
            continue
        label = _row_label(cells)
        rank = _ordinal_rank(cells[0]) if plain(cells[0]) else None
        group = _is_group_row(cells, width)
        if group and rank is None:
            rank = _TEXT_GROUP_RANK
        if rank is not None and (group or rank <= _ROW_GROUP_MAX_RANK):
            # A row closes the groups of its own or a deeper rank ("2 Nhãn" closes "1 Xoài").
            groups = [g for g in groups if g[0] < rank]
        if not group:
            aligned = ("",) * (width - len(cells)) + tuple(cells)  # a short row lost its leading (row-spanning) cells
            read.append(ReadRow(index, aligned, (*[g[1] for g in groups], label)))
        if rank is not None and (group or rank <= _ROW_GROUP_MAX_RANK):
            # A group row names the rows below it; so does a total row ("I | Mặt hàng nông sản | 235.000").
            groups.append((rank, _row_label(cells, _GROUP_LABEL_MAX_WORDS)))
    return ReadTable(header, read)


def _table_title(blocks: list[_Block], first: int, tables: frozenset[int]) -> str | None:
    """The caption lines just above a table ('PHỤ LỤC 01' + its title line), else the line right above it."""
    collected: list[str] = []
    j = first - 1
    while j >= 0 and len(collected) < _TITLE_MAX_LINES and j not in tables:
        text = plain(blocks[j].text)
        j -= 1
        if _TABLE_NOTE_RE.match(text) or not any(ch.isalnum() for ch in text):
            continue  # a note, or a crawl's lone "|" between layout cells
        if word_count(text) > _TABLE_TITLE_MAX_WORDS or ends_with_terminal(text, ".;!?…"):
            break
        collected.append(text)
        if _TABLE_CAPTION_RE.match(text):
            return " ".join(reversed(collected))
    return collected[0] if collected else None


def _table_base(path: tuple[str, ...], title: str | None) -> tuple[str, ...]:
    """A row's path up to its table: an annex ('Phụ lục …') stands alone; another table sits under the
    open headings, without those its title repeats."""
    if title is None:
        return path
    if _TABLE_CAPTION_RE.match(title):
        return (title,)
    kept = list(path)
    while kept and plain(kept[-1]) in title:
        kept.pop()
    return (*kept, title)


def _table_blocks(blocks: list[_Block], cleaned: CleanedDocument, bare: bool) -> _TableBlocks:
    first: dict[int, TableSpan] = {}
    last: dict[int, int] = {}
    members: set[int] = set()
    for table in cleaned.tables:
        inside = [k for k, b in enumerate(blocks) if table.start <= b.start < table.end]
        if inside:
            first[inside[0]] = table
            last[inside[0]] = inside[-1]
            members.update(inside)
    return _TableBlocks(first, last, frozenset(members), cleaned.text, bare)


def _row_text(text: str, start: int, end: int, cells: tuple[str, ...], flattened: bool, bare: bool) -> _Row:
    """What a row chunk shows: the pipe row as written, its cells joined with " | " when the document
    wrote them one per line, and without the outer pipes the DOCX/PDF loaders added.

    Markdown emphasis ("**15**", a crawl's bold group rows) is markup, not the document's words: a row
    that has it shows its plain cells.
    """
    if flattened:
        return _Row(start, end, " | ".join(_plain_cells(cells)), None, (), ())
    if "*" in text[start:end] and any(plain(cell) != cell for cell in cells):
        shown = pipe_row_text(_plain_cells(cells))
        if bare:
            shown = " | ".join(_plain_cells(cells))
        elif not text[start:end].rstrip().endswith("|"):
            shown = shown[: -len(" |")]  # the crawl closed no pipe after the row's last cell
        return _Row(start, end, shown, None, (), ())
    if bare:
        inner_start = text.index("|", start, end) + 1
        inner_end = text.rindex("|", start, end)
        while inner_start < inner_end and text[inner_start].isspace():
            inner_start += 1
        while inner_end > inner_start and text[inner_end - 1].isspace():
            inner_end -= 1
        return _Row(inner_start, inner_end, text[inner_start:inner_end], None, (), ())
    return _Row(start, end, text[start:end], None, (), ())


class _Structure:
    """Walks the body blocks with the stack of open headings and collects chunk spans."""

    def __init__(
        self,
        blocks: list[_Block],
        roles: list[_Role],
        max_tokens: int,
        count: Callable[[str], int],
        tables: _TableBlocks | None = None,
    ):
        self.blocks = blocks
        self.roles = roles
        self.max_tokens = max_tokens
        self.count = count
        self.tables = tables or _TableBlocks({}, {})
        self.previous_table: _TableContext | None = None
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
            elif role is _Role.TABLE:
                i = self._table(i)
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
                kind = "item" if role is _Role.BULLET else "paragraph"
                self.spans.append(_Span(block.start, block.end, path, kind))
                i += 1

    def _table(self, i: int) -> int:
        """Row spans of the table starting at block i; returns the block after it."""
        table = self.tables.first[i]
        last = self.tables.last[i]
        previous = self.previous_table
        carried = previous if previous is not None and self._carries_on(previous, i, table) else None
        if carried is not None:
            title, base = carried.title, carried.base
        else:
            title = _table_title(self.blocks, i, self.tables.members)
            if title is None:
                # The nearest open heading names the table; a unit note ("Đơn vị tính: đồng") names none.
                named = [plain(o.element) for o in self.stack if not _UNIT_NOTE_RE.match(plain(o.element))]
                title = named[-1] if named else None
            base = _table_base(self.path(), title)
        read = read_table([row.cells for row in table.rows], carried.header if carried else None)
        for row in read.rows:
            found = table.rows[row.index]
            shown = _row_text(self.tables.text, found.start, found.end, found.cells, table.flattened, self.tables.bare)
            context = replace(shown, title=title, columns=read.header.columns, cells=_plain_cells(row.cells))
            self.spans.append(_Span(shown.start, shown.end, (*base, *row.path), "row", context))
        self.previous_table = _TableContext(last, title, base, read.header)
        return last + 1

    def _carries_on(self, previous: _TableContext, i: int, table: TableSpan) -> bool:
        """A table right after another one of the same width (only page furniture between them), whose first
        row is data or the other's header again: the same table continued after a page break."""
        between = self.blocks[previous.last_block + 1 : i]
        if any(not _PAGE_FURNITURE_RE.match(block.text) for block in between):
            return False
        first = table.rows[0].cells
        if any(is_separator_row(row.cells) for row in table.rows) or table.flattened:
            return False
        header = previous.header
        if header.width != max(len(row.cells) for row in table.rows):
            return False
        return _plain_cells(first) == header.first_row or _has_figure(first)

    def _labeled(self, i: int) -> int:
        block = self.blocks[i]
        rank = _rank(block)
        self._close(rank)
        parent = self.path()
        kids = self._children(i, rank)
        if not kids:
            self.spans.append(_Span(block.start, block.end, (*parent, _short_label(block)), "item"))
            return i + 1
        if self._absorbs(i, kids):
            self.spans.append(_Span(block.start, self.blocks[kids[-1]].end, (*parent, _short_label(block)), "item"))
            return kids[-1] + 1
        if _is_title_like(block.text):
            self.stack.append(_Open(rank, _title_element(block.text)))
        else:
            element = _short_label(block)
            self.spans.append(_Span(block.start, block.end, (*parent, element), "item"))
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
    tables = _table_blocks(blocks, cleaned, bare=doc.file_type in _LOADER_TABLE_TYPES)
    header_end = _header_length(blocks, set(tables.members))
    trailer = _trailer(blocks, floor=header_end, tables=set(tables.members))
    inner = _inner_signatures(blocks, header_end, trailer.first, set(tables.members))
    # Trailer and signer blocks are emitted apart (signature) or not at all: the body walk must not see them.
    apart = set(inner)
    roles = [
        _Role.DROPPED if i >= trailer.first or i in apart else _Role.TABLE if i in tables.members else _role(b)
        for i, b in enumerate(blocks)
    ]

    spans: list[_Span] = []
    if header_end:
        spans.append(_Span(blocks[0].start, blocks[header_end - 1].end, ()))
    structure = _Structure(blocks, roles, max_tokens, count, tables)
    structure.walk(header_end, trailer.first)
    spans.extend(structure.spans)
    for run in _runs(inner) + _runs(trailer.signature):
        spans.append(_Span(blocks[run[0]].start, blocks[run[-1]].end, (SIGNATURE_SECTION,)))
    if inner:
        spans.sort(key=lambda span: span.start)

    chunks: list[Chunk] = []
    for span in spans:
        # A table row stays whole however wide: cut, its cells would lose their columns.
        pieces = [(span.start, span.end)] if span.row else _split_long(text, span.start, span.end, max_tokens, count)
        for start, end in pieces:
            piece = span.row.text if span.row else text[start:end]
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
                    kind=span.kind,
                    table_title=span.row.title if span.row else None,
                    columns=span.row.columns if span.row else (),
                    cells=span.row.cells if span.row else (),
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
