"""Repair of text as loaded: line breaks that a PDF or a page break put inside a sentence.

Only whitespace changes: the words (every non-space character) stay exactly the document's,
so a quote cut from the cleaned text is the document's own words. Structure is kept: a list
item, a heading, an all-caps line or a signature name is never joined to the line before it.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass

from ingest.models import LoadedDocument
from ingest.text import clean_characters

# Vietnamese list letters (no f j w z): a b c d đ e g h i k l m n o p q r s t u v x y.
LIST_LETTERS = "abcdđeghiklmnopqrstuvxy"
LETTER_ITEM_RE = re.compile(rf"^([{LIST_LETTERS}])\)\s")
BULLET_RE = re.compile(r"^[-–—+•]\s")
ROMAN_RE = re.compile(r"^([IVX]{1,5})\.\s+")
CHAPTER_RE = re.compile(r"^(Chương|Mục|Phần)\s+([IVX]+|\d+)\b")
ARTICLE_RE = re.compile(r"^Điều\s+(\d+[a-z]?)\.\s")
ARABIC_RE = re.compile(r"^(\d{1,2})\.\s+")
DECIMAL_RE = re.compile(r"^(\d{1,2}(?:\.\d{1,2})+)\.?\s+")

# A sentence may end inside closing quotes, brackets, markdown emphasis or the "./." end mark.
_TRAILING_CLOSERS = ")]}\"'”’»*"
_TERMINAL = ".;:!?…"
_SENTENCE_END = ".!?…"

# Common Vietnamese family names: a short line of capitalised words starting with one is a signer.
SURNAMES = frozenset(
    {"Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng", "Bùi", "Đỗ", "Hồ", "Ngô",
     "Dương", "Lý", "Đào", "Đoàn", "Vương", "Trịnh", "Trương", "Lâm", "Phùng", "Mai", "Tô", "Hà", "Tạ", "Cao",
     "Lương", "Châu", "Quách", "Thái", "La", "Đinh", "Lưu", "Kiều", "Tăng", "Từ", "Triệu", "Chu", "Lò"}
)

# A body paragraph this long that stops without punctuation was cut by a page break, not a heading.
_BODY_MIN_WORDS = 30
# A numbered heading or list label this short, followed by a capitalised line, is a heading line.
_HEADING_MAX_WORDS = 25


def structure_label(line: str) -> str | None:
    """The kind of structural label a line starts with, or None for running text.

    'chapter' (Chương/Mục/Phần), 'roman' (I.), 'article' (Điều N.), 'arabic' (1.), 'decimal' (3.1),
    'letter' (a) … x)), 'bullet' (- item).
    """
    if CHAPTER_RE.match(line):
        return "chapter"
    if ARTICLE_RE.match(line):
        return "article"
    # Numbers open a heading only before a capital: "2. Các chỉ tiêu", not a wrapped "2. và …".
    for kind, pattern in (("roman", ROMAN_RE), ("decimal", DECIMAL_RE), ("arabic", ARABIC_RE)):
        m = pattern.match(line)
        if m and _first_letter(line[m.end() :]).isupper():
            return kind
    if LETTER_ITEM_RE.match(line):
        return "letter"
    if BULLET_RE.match(line):
        return "bullet"
    return None


def is_all_caps(line: str) -> bool:
    """'NGHỊ QUYẾT', 'QUYẾT NGHỊ:', 'TM. ỦY BAN NHÂN DÂN' — not an acronym like 'USD;' alone."""
    letters = [ch for ch in line if ch.isalpha()]
    words = [w for w in line.split() if any(ch.isalpha() for ch in w)]
    return len(letters) >= 6 and len(words) >= 2 and all(ch.isupper() for ch in letters)


def is_name_line(line: str) -> bool:
    """A line that is only a person's name (a signature): 'Phan Văn Mãi', 'LÊ ĐỨC THỌ'."""
    words = line.split()
    if not 2 <= len(words) <= 5 or not all(w.isalpha() for w in words):
        return False
    if not all(w[0].isupper() for w in words):
        return False
    return words[0].capitalize() in SURNAMES


def ends_with_terminal(text: str, marks: str = _TERMINAL) -> bool:
    stripped = text.rstrip().rstrip(_TRAILING_CLOSERS)
    return bool(stripped) and stripped[-1] in marks


def word_count(text: str) -> int:
    return len(text.split())


def _first_letter(line: str) -> str:
    for ch in line:
        if ch.isalnum():
            return ch
    return ""


def _last_word(text: str) -> str:
    words = text.split()
    return words[-1].strip("()[]\"'“”‘’,") if words else ""


def _is_protected(line: str) -> bool:
    """Lines that always start a block of their own."""
    return structure_label(line) is not None or is_all_caps(line) or is_name_line(line)


def _is_heading_candidate(block: str) -> bool:
    """A numbered heading or list label still being assembled: '3. Một số nhiệm vụ trọng tâm'."""
    label = structure_label(block)
    return label is not None and label != "bullet" and word_count(block) <= _HEADING_MAX_WORDS


@dataclass(frozen=True)
class _Line:
    text: str
    blank_before: bool  # a blank line (page or paragraph break) separates it from the previous line


def _continues(block: str, nxt: _Line, hard_wrapped: bool) -> bool:
    """Whether the next line carries on the sentence that `block` (joined so far) leaves open."""
    if _is_protected(nxt.text) or is_all_caps(block):
        return False
    first = _first_letter(nxt.text)
    if not first:
        return False
    if first.islower():
        # A sentence carried on, even after ';' ("… kiểu mẫu;\ncác huyện: …").
        return True
    if first.isdigit():
        return not ends_with_terminal(block, _SENTENCE_END)
    if ends_with_terminal(block):
        return False
    # Capitalised next line after an open sentence: a proper noun carried over, or a new block.
    if hard_wrapped:
        # "d) Về phát triển kinh tế" then "Tiếp tục xây dựng …": a heading ends; "cảng Giao\nLong" does not.
        return not (_is_heading_candidate(block) and _last_word(block)[:1].islower())
    # One paragraph per line: only a long body paragraph cut mid-sentence carries on.
    return structure_label(block) is None and word_count(block) >= _BODY_MIN_WORDS


def _split_lines(text: str) -> list[_Line]:
    lines: list[_Line] = []
    blank = False
    for raw in text.split("\n"):
        tidy = " ".join(raw.split())
        if not tidy:
            blank = bool(lines)
            continue
        lines.append(_Line(tidy, blank))
        blank = False
    return lines


def _looks_hard_wrapped(lines: list[_Line]) -> bool:
    """True when the text is wrapped at a fixed width (copied from a PDF), not one paragraph per line."""
    adjacent = [(a, b) for a, b in zip(lines, lines[1:], strict=False) if not b.blank_before]
    mid_sentence = sum(
        1
        for a, b in adjacent
        if not ends_with_terminal(a.text) and _first_letter(b.text).islower() and not _is_protected(b.text)
    )
    return mid_sentence >= 3 and mid_sentence >= 0.15 * len(adjacent)


# ---------------------------------------------------------------- tables
#
# Tables come in four shapes: Markdown pipe rows ("| a | b | c |", also what the DOCX and PDF loaders
# write), a web crawl's cells on lines of their own between lone "|" lines, and cells one per line with no
# pipes at all ("flattened"). Cleaning finds them, never joins their lines into paragraphs, writes crawled
# cells as one pipe row per line (only whitespace changes: the pipes are the document's own) and reports
# where each row sits and its cells, so chunking can make one chunk per row without guessing again.
# A crawled page may have no blank line at all: its layout pipes, body text and tables are then one region,
# in which the tables are the runs of gaps that fall into regular rows (see `_next_table`).

_SEPARATOR_CELL_RE = re.compile(r"^:?-{3,}:?$")
# A cell that is a figure or a placeholder for one: "150", "1.850", "6,5", "12%", "-", "x".
_VALUE_RE = re.compile(r"^[-+–]?\s*\d[\d.,]*\s*[%‰]?$|^[-–—x…]$")
_YEAR_RE = re.compile(r"^(19|20)\d\d$")
# Crawled tables: the widest row considered, and the fewest rows that make a table (the 2-row layout
# tables of a document's header and signature are not data tables).
_CRAWL_MAX_COLUMNS = 30
_CRAWL_MIN_ROWS = 3
# A page crawled without blank lines is one pipe region from its header to its footer: running text between
# the tables must be told from cells. A cell of more than a few lines may be text (a caption, a distribution
# list) or a long cell (a list of rules): a table may end there. Beyond a page of lines it is text.
_CRAWL_CELL_MAX_LINES = 6
_CRAWL_TEXT_MIN_LINES = 20
# Layout cells (a signature, a caption) that may stand between running text and a table's first cell.
_CRAWL_MAX_LEAD = 8
# Whole rows a reading of a crawled table may have fewer than the best reading: a header whose cells merge
# over columns gives short rows, so reading it in costs a whole row.
_CRAWL_FULL_ROWS_SLACK = 1
# Flattened tables: a cell line is short; a table has 2..12 columns and at least 2 data rows.
_CELL_MAX_WORDS = 12
_FLAT_MAX_COLUMNS = 12
_FLAT_MAX_LEAD = 3


@dataclass(frozen=True)
class TableRow:
    """One row as found: its cells in order and where it sits in the cleaned text."""

    start: int
    end: int
    cells: tuple[str, ...]


@dataclass(frozen=True)
class TableSpan:
    """A table of the cleaned text. `flattened`: cells one per line (a row spans several lines)."""

    start: int
    end: int
    rows: tuple[TableRow, ...]
    flattened: bool = False


def plain(text: str) -> str:
    """Text without Markdown emphasis ("**Năm 2026**" -> "Năm 2026"), spaces collapsed."""
    return " ".join(re.sub(r"\*+", " ", text).split())


def pipe_cells(line: str) -> list[str] | None:
    """The cells of a pipe row "| a | b |", or None when the line is not one."""
    stripped = line.strip()
    if len(stripped) < 3 or not (stripped.startswith("|") and stripped.endswith("|")):
        return None
    return [cell.strip() for cell in stripped[1:-1].split("|")]


def is_separator_row(cells: Sequence[str]) -> bool:
    """"|---|:---:|": the line under a Markdown header."""
    return bool(cells) and all(_SEPARATOR_CELL_RE.match(cell.replace(" ", "")) for cell in cells)


def is_value(cell: str) -> bool:
    return bool(_VALUE_RE.match(plain(cell)))


def is_year(cell: str) -> bool:
    return bool(_YEAR_RE.match(plain(cell)))


def _has_letters(text: str) -> bool:
    return any(ch.isalpha() for ch in text)


# --- crawled tables: "|", cell lines, "|", ... ; an empty gap between two pipes ends a row or is an empty cell


def _segment_rows(gaps: Sequence[str], columns: int) -> tuple[int, list[tuple[int, int]]] | None:
    """Rows of `columns` cells each (fewer only where cells were merged), as (first, end) gap indices.

    A row's last pipe and the next row's first pipe leave an empty gap between them, which an empty cell
    also does: the split that needs the fewest short rows is the table's. Returns (short rows, rows).
    """
    total = len(gaps)
    inf = total + 1
    cost = [inf] * (total + 1)
    back: list[tuple[int, int] | None] = [None] * (total + 1)
    cost[0] = 0
    for first in range(total):
        if cost[first] == inf:
            continue
        filled = False
        for width in range(1, columns + 1):
            end = first + width
            if end > total:
                break
            filled = filled or bool(gaps[end - 1])
            if not filled or (end < total and gaps[end]):
                continue
            nxt = min(end + 1, total)
            candidate = cost[first] + (0 if width == columns else 1)
            if candidate < cost[nxt]:
                cost[nxt] = candidate
                back[nxt] = (first, end)
    if cost[total] == inf:
        return None
    rows: list[tuple[int, int]] = []
    at = total
    while at > 0:
        step = back[at]
        if step is None:
            return None
        rows.append(step)
        at = step[0]
    return cost[total], rows[::-1]


def _crawled_rows(gaps: Sequence[str]) -> list[list[str]] | None:
    """The rows of a crawled table, or None when its cells do not fall into regular rows.

    The narrowest width that splits the cells into rows is the table's: a wider one would take two rows
    and the empty gap between them for one row (a row without an empty cell cannot be cut narrower).
    """
    # A run of filled gaps has no row end inside it: the table is at least that wide.
    widest_run = max((len(run) for run in "".join("x" if g else " " for g in gaps).split()), default=0)
    for columns in range(max(2, widest_run), min(_CRAWL_MAX_COLUMNS, len(gaps)) + 1):
        found = _segment_rows(gaps, columns)
        if found is None:
            continue
        short, rows = found
        full = len(rows) - short
        # Most rows must have every cell: otherwise the "table" is a layout of free text.
        if len(rows) >= _CRAWL_MIN_ROWS and full >= 2 and full >= len(rows) / 2:
            return [list(gaps[a:b]) for a, b in rows]
    return None


def pipe_row_text(cells: Sequence[str]) -> str:
    """"| a | | c |": cells as one pipe row, an empty cell as a lone pipe."""
    return " ".join(["|", *[part for cell in cells for part in ((cell, "|") if cell else ("|",))]])


@dataclass(frozen=True)
class _Gap:
    """The lines between two lone "|" lines of a crawl (first, end: line indices; end is the closing pipe)."""

    first: int
    end: int
    text: str
    closed: bool = True  # False for the lines after a region's last pipe

    @property
    def size(self) -> int:
        return self.end - self.first


@dataclass(frozen=True)
class _CrawledTable:
    """A table found among a crawled region's gaps: gaps[first:end] as rows, maybe an open last cell."""

    first: int
    end: int
    rows: list[list[str]]
    open_cell: int = 0  # lines of gaps[end] that are the last row's last cell (the crawl wrote no pipe after it)


def _region_gaps(lines: Sequence[_Line], first: int, end: int) -> list[_Gap]:
    """The gaps between the lone pipes of lines[first:end]; lines after the last pipe are a last, open gap."""
    pipes = [k for k in range(first, end) if lines[k].text == "|"]
    gaps = [_Gap(a + 1, b, " ".join(lines[k].text for k in range(a + 1, b))) for a, b in zip(pipes, pipes[1:], strict=False)]
    if pipes[-1] + 1 < end:
        tail = " ".join(lines[k].text for k in range(pipes[-1] + 1, end))
        gaps.append(_Gap(pipes[-1] + 1, end, tail, closed=False))
    return gaps


# The caption that opens a table ("**PHỤ LỤC II**", "Biểu số 2", "Bảng 1: …"): where a crawl runs two annex
# tables together with only their captions between, the first table ends there. A caption runs over several
# lines (heading, title, "Kèm theo …"); a one-line gap that starts so may be a cell ("Bảng giá đất").
_TABLE_CAPTION_RE = re.compile(r"^[*_\s]*(?:Phụ\s*lục|Biểu|Bảng)\b", re.IGNORECASE)


def _opens_table(gap: _Gap) -> bool:
    return gap.size > 1 and bool(_TABLE_CAPTION_RE.match(gap.text))


def _is_running_text(gap: _Gap) -> bool:
    """Text between layout pipes (a document's body), too long to be one cell of a table."""
    return gap.size > _CRAWL_TEXT_MIN_LINES


def _continues_cell(cell: str, line: str) -> bool:
    """A cell broken over lines: its emphasis still open ("**Trường … Đống" / "Đa**"), or a line that
    carries on a sentence (lower-case start)."""
    return cell.count("**") % 2 == 1 or _first_letter(line).islower()


def _open_cell_lines(lines: Sequence[_Line], gap: _Gap) -> int:
    """How many leading lines of a gap make one cell: the crawl left a table's last cell open, so the
    text after the table runs on in the same gap."""
    cell = lines[gap.first].text
    taken = 1
    while gap.first + taken < gap.end and _continues_cell(cell, lines[gap.first + taken].text):
        cell = f"{cell} {lines[gap.first + taken].text}"
        taken += 1
    return taken


def _width(rows: Sequence[Sequence[str]]) -> int:
    return max(len(row) for row in rows)


def _full_rows(rows: Sequence[Sequence[str]]) -> int:
    width = _width(rows)
    return sum(1 for row in rows if len(row) == width)


def _next_table(gaps: Sequence[_Gap], at: int, stop: int) -> tuple[int, int, list[list[str]]] | None:
    """The first table of gaps[at:stop]: (first gap, end gap, rows), or None.

    A few leading gaps may be layout cells of the page (a distribution list, a signature, a caption), and the
    table may end before a long gap (text the crawl put after it, before the next pipe). Taken into the table,
    such gaps force it wider: two true rows and the gap between them read as one row. So the narrowest
    bounds are the table's, then the longest; but only among bounds that give about as many whole rows as
    the best ones (cutting into a header with empty cells also makes a narrower, ragged table).
    """
    ends = [stop, *[k for k in range(stop - 1, at, -1) if gaps[k].size > _CRAWL_CELL_MAX_LINES or _opens_table(gaps[k])]]
    fits: list[_Fit] = []
    for end in ends:
        for first in range(at, min(at + _CRAWL_MAX_LEAD, end - 1)):
            rows = _crawled_rows([gap.text for gap in gaps[first:end]])
            if rows is not None:
                fits.append(_Fit(first, end, rows, _full_rows(rows)))
    if not fits:
        return None
    regular = max(fit.full for fit in fits) - _CRAWL_FULL_ROWS_SLACK
    best = min((fit for fit in fits if fit.full >= regular), key=lambda fit: (_width(fit.rows), fit.first - fit.end))
    return best.first, best.end, best.rows


@dataclass(frozen=True)
class _Fit:
    """One reading of gaps[first:end] as a table, and how many of its rows have every cell."""

    first: int
    end: int
    rows: list[list[str]]
    full: int


def _crawled_tables(lines: Sequence[_Line], gaps: Sequence[_Gap]) -> list[_CrawledTable]:
    """The tables of a crawled region, in order; the gaps around them stay as they are.

    Running text and the open tail split the region into runs of cells; a run may hold several tables.
    """
    tables: list[_CrawledTable] = []
    at = 0
    while at < len(gaps):
        stop = at
        while stop < len(gaps) and gaps[stop].closed and not _is_running_text(gaps[stop]):
            stop += 1
        found = _next_table(gaps, at, stop)
        if found is None:
            # No table reads from here (an annex whose merged header defeats the reading): the next caption
            # may open one that does.
            caption = next((k for k in range(at + 1, stop) if _opens_table(gaps[k])), None)
            at = caption if caption is not None else stop + 1
            continue
        first, end, rows = found
        table = _CrawledTable(first, end, rows)
        # The last row is one cell short and no pipe closed it: its last cell opens the gap after it.
        if gaps[end - 1].text and len(rows[-1]) == _width(rows) - 1 and end < len(gaps) and gaps[end].text:
            taken = _open_cell_lines(lines, gaps[end])
            cell = " ".join(lines[k].text for k in range(gaps[end].first, gaps[end].first + taken))
            table = _CrawledTable(first, end, [*rows[:-1], [*rows[-1], cell]], taken)
        tables.append(table)
        at = end + 1
    return tables


def _crawled_region_end(lines: Sequence[_Line], first: int) -> int:
    """End (exclusive) of the lines from a lone "|" up to a blank line or the end of the text."""
    end = first + 1
    while end < len(lines) and not lines[end].blank_before:
        end += 1
    return end


def _unflatten_crawled(lines: list[_Line]) -> tuple[list[_Line], dict[int, tuple[str, ...]]]:
    """Crawled tables rewritten as one pipe row per line; also the cells of each of those row lines."""
    out: list[_Line] = []
    rows_at: dict[int, tuple[str, ...]] = {}
    i = 0
    while i < len(lines):
        if lines[i].text != "|":
            out.append(lines[i])
            i += 1
            continue
        end = _crawled_region_end(lines, i)
        gaps = _region_gaps(lines, i, end)
        at = i
        for table in _crawled_tables(lines, gaps):
            opening = gaps[table.first].first - 1  # the lone "|" before the table's first cell
            out.extend(lines[at:opening])
            closed = gaps[table.end - 1].end < end
            for n, cells in enumerate(table.rows):
                rows_at[len(out)] = tuple(cells)
                text = pipe_row_text(cells)
                if n == len(table.rows) - 1 and (table.open_cell or not closed):
                    text = text[: -len(" |")]  # no pipe after the last cell: the crawl wrote none
                out.append(_Line(text, lines[opening].blank_before if n == 0 else False))
            if table.open_cell:
                at = gaps[table.end].first + table.open_cell
            else:
                at = gaps[table.end - 1].end + 1 if closed else end  # after the pipe that closed the last row
        out.extend(lines[at:end])
        i = end
    return out, rows_at


# --- flattened tables: a header of n short lines, then rows of n lines whose figures sit in the same columns


def _is_cell_line(text: str) -> bool:
    if pipe_cells(text) is not None or text == "|":
        return False
    if word_count(text) > _CELL_MAX_WORDS or ends_with_terminal(text, ".;!?…:"):
        return False
    return structure_label(text) in (None, "decimal", "roman")


def _value_columns(row: Sequence[str]) -> tuple[int, ...]:
    return tuple(j for j, cell in enumerate(row) if is_value(cell))


def _flat_rows(texts: Sequence[str], columns: int) -> int:
    """How many data rows follow a header of `columns` cells at texts[0]; 0 when it is no table."""
    header = texts[:columns]
    if len(header) < columns or not any(_has_letters(c) and not is_value(c) for c in header):
        return 0
    if any(is_value(c) and not is_year(c) for c in header):
        return 0
    pattern: tuple[int, ...] | None = None
    rows = 0
    for start in range(columns, len(texts) - columns + 1, columns):
        row = texts[start : start + columns]
        values = _value_columns(row)
        # Figures in the same columns every row, the last column among them, and a label with words.
        if pattern is None:
            if not values or values[-1] != columns - 1 or not any(_has_letters(c) for c in row):
                break
            pattern = values
        elif values != pattern or not any(_has_letters(c) for c in row):
            break
        rows += 1
    return rows if rows >= (3 if columns == 2 else 2) else 0


def _flattened_tables(texts: Sequence[str]) -> list[tuple[int, int, int]]:
    """(first line, columns, rows incl. header) of each flattened table in a run of cell lines."""
    found: list[tuple[int, int, int]] = []
    at = 0
    while at < len(texts):
        best: tuple[int, int, int] | None = None
        for lead in range(min(_FLAT_MAX_LEAD, len(texts) - at - 1) + 1):
            for columns in range(2, _FLAT_MAX_COLUMNS + 1):
                rows = _flat_rows(texts[at + lead :], columns)
                if rows and (best is None or (rows + 1) * columns > (best[2]) * best[1]):
                    best = (at + lead, columns, rows + 1)
            if best is not None:
                break
        if best is None:
            at += 1
            continue
        found.append(best)
        at = best[0] + best[1] * best[2]
    return found


@dataclass(frozen=True)
class _FlatTable:
    lines: list[int]  # line indices, row by row, header first
    columns: int


def _flattened_lines(lines: Sequence[_Line], taken: set[int]) -> list[_FlatTable]:
    """Flattened tables found in runs of cell lines (lines already in a table are not looked at)."""
    tables: list[_FlatTable] = []
    i = 0
    while i < len(lines):
        if i in taken or not _is_cell_line(lines[i].text):
            i += 1
            continue
        run = [i]
        while run[-1] + 1 < len(lines) and run[-1] + 1 not in taken and _is_cell_line(lines[run[-1] + 1].text):
            run.append(run[-1] + 1)
        for first, columns, rows in _flattened_tables([lines[k].text for k in run]):
            tables.append(_FlatTable(run[first : first + columns * rows], columns))
        i = run[-1] + 1
    return tables


# --- cleaning


def _table_plan(lines: Sequence[_Line], pipe_rows: Collection[int]) -> tuple[dict[int, int], dict[int, int]]:
    """Which line belongs to which table (by number), and for flattened tables their column counts."""
    table_of: dict[int, int] = {}
    columns_of: dict[int, int] = {}
    number = -1
    previous = -2
    for i, line in enumerate(lines):
        if i in pipe_rows or pipe_cells(line.text) is not None:
            if previous != i - 1 or line.blank_before:
                number += 1
            table_of[i] = number
            previous = i
    for table in _flattened_lines(lines, set(table_of)):
        number += 1
        columns_of[number] = table.columns
        for i in table.lines:
            table_of[i] = number
    return table_of, columns_of


def _clean(text: str) -> tuple[str, list[TableSpan]]:
    lines = _split_lines(clean_characters(text))
    if not lines:
        return "", []
    lines, crawled = _unflatten_crawled(lines)
    table_of, columns_of = _table_plan(lines, crawled)
    hard_wrapped = _looks_hard_wrapped(lines)
    out: list[str] = []
    length = 0
    placed: dict[int, list[_Placed]] = {}  # table number -> its lines

    def emit(piece: str) -> None:
        nonlocal length
        out.append(piece)
        length += len(piece)

    block = lines[0].text
    block_index = 0
    for i in range(1, len(lines)):
        nxt = lines[i]
        in_table = i in table_of or block_index in table_of
        if not in_table and _continues(block, nxt, hard_wrapped):
            block = f"{block} {nxt.text}"
            continue
        _place(_Placed(length, length + len(block), block, crawled.get(block_index)), block_index, table_of, placed)
        emit(block)
        emit("\n\n" if nxt.blank_before else "\n")
        block = nxt.text
        block_index = i
    _place(_Placed(length, length + len(block), block, crawled.get(block_index)), block_index, table_of, placed)
    emit(block)
    return "".join(out), [_table_span(placed[k], columns_of.get(k)) for k in sorted(placed)]


@dataclass(frozen=True)
class _Placed:
    """A table line as written to the cleaned text; `cells` when cleaning rebuilt it from a crawl."""

    start: int
    end: int
    text: str
    cells: tuple[str, ...] | None = None


def _place(line: _Placed, index: int, table_of: dict[int, int], placed: dict[int, list[_Placed]]) -> None:
    if index in table_of:
        placed.setdefault(table_of[index], []).append(line)


def _table_span(lines: list[_Placed], flat_columns: int | None) -> TableSpan:
    if flat_columns is None:
        rows = tuple(
            TableRow(line.start, line.end, line.cells if line.cells is not None else tuple(pipe_cells(line.text) or ()))
            for line in lines
        )
        return TableSpan(lines[0].start, lines[-1].end, rows)
    grouped = [lines[k : k + flat_columns] for k in range(0, len(lines), flat_columns)]
    rows = tuple(TableRow(g[0].start, g[-1].end, tuple(line.text for line in g)) for g in grouped)
    return TableSpan(lines[0].start, lines[-1].end, rows, flattened=True)


def clean_text(text: str) -> str:
    """Characters cleaned (NFC, NBSP, tabs, control characters) and broken sentences joined.

    Blocks (paragraphs, headings, list items) come out one per line; blank lines of the
    source between blocks are kept, blank lines inside a sentence are removed. Table rows are
    never joined: a pipe row stays one line, a crawled table becomes one pipe row per line.
    """
    return _clean(text)[0]


@dataclass(frozen=True)
class PageStart:
    offset: int  # where the page's first character sits in the cleaned text
    number: int | None


@dataclass(frozen=True)
class CleanedDocument:
    text: str
    page_starts: list[PageStart]
    tables: tuple[TableSpan, ...] = ()  # where the tables' rows sit in `text`

    def page_at(self, offset: int) -> int | None:
        """The page a position of the cleaned text comes from (None for TXT/DOCX)."""
        page: int | None = self.page_starts[0].number if self.page_starts else None
        for start in self.page_starts:
            if start.offset > offset:
                break
            page = start.number
        return page


def document_text(doc: LoadedDocument) -> str:
    """The document's cleaned text: what chunk offsets point into. Pages are joined as paragraphs."""
    return clean_text("\n\n".join(page.text for page in doc.pages))


def _non_space_count(text: str) -> int:
    return sum(1 for ch in text if not ch.isspace())


def clean_document(doc: LoadedDocument) -> CleanedDocument:
    """Cleaned text plus where each page starts in it.

    Cleaning changes only whitespace, so the n-th non-space character of the cleaned text is the
    n-th of the pages' characters: counting them places every page boundary.
    """
    text, tables = _clean("\n\n".join(page.text for page in doc.pages))
    targets: list[tuple[int, int | None]] = []
    seen = 0
    for page in doc.pages:
        targets.append((seen, page.number))
        seen += _non_space_count(clean_characters(page.text))
    starts: list[PageStart] = []
    count = 0
    pos = 0
    for target, number in targets:
        while pos < len(text) and (text[pos].isspace() or count < target):
            if not text[pos].isspace():
                count += 1
            pos += 1
        starts.append(PageStart(offset=pos, number=number))
    return CleanedDocument(text=text, page_starts=starts, tables=tuple(tables))
