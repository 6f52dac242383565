"""Repair of text as loaded: line breaks that a PDF or a page break put inside a sentence.

Only whitespace changes: the words (every non-space character) stay exactly the document's,
so a quote cut from the cleaned text is the document's own words. Structure is kept: a list
item, a heading, an all-caps line or a signature name is never joined to the line before it.
"""

from __future__ import annotations

import re
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


def clean_text(text: str) -> str:
    """Characters cleaned (NFC, NBSP, tabs, control characters) and broken sentences joined.

    Blocks (paragraphs, headings, list items) come out one per line; blank lines of the
    source between blocks are kept, blank lines inside a sentence are removed.
    """
    lines = _split_lines(clean_characters(text))
    if not lines:
        return ""
    hard_wrapped = _looks_hard_wrapped(lines)
    out: list[str] = []
    block = lines[0].text
    for nxt in lines[1:]:
        if _continues(block, nxt, hard_wrapped):
            block = f"{block} {nxt.text}"
            continue
        out.append(block)
        out.append("\n\n" if nxt.blank_before else "\n")
        block = nxt.text
    out.append(block)
    return "".join(out)


@dataclass(frozen=True)
class PageStart:
    offset: int  # where the page's first character sits in the cleaned text
    number: int | None


@dataclass(frozen=True)
class CleanedDocument:
    text: str
    page_starts: list[PageStart]

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
    text = document_text(doc)
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
    return CleanedDocument(text=text, page_starts=starts)
