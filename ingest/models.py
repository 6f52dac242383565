"""Named results passed between the ingest steps."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ingest.text import display_date


@dataclass(frozen=True)
class Page:
    """One page of text as loaded. number is 1-based for PDFs, None for TXT/DOCX."""

    number: int | None
    text: str
    ocr: bool = False  # the text was read by OCR from a picture of the page (a scan), not from the file


@dataclass(frozen=True)
class LoadedDocument:
    source: str  # the file name, e.g. "004_0fe5ee8038d62b66.txt": how eval sets refer to documents
    path: Path
    file_type: str  # "pdf" | "docx" | "txt"
    pages: list[Page]
    content_hash: str  # sha256 hex of the file's bytes


@dataclass
class DocumentMeta:
    """What a document is. Extracted from its text; the corpus manifest overrides and fills."""

    source: str
    title: str
    kind: str  # "nghị quyết" | "báo cáo" | "bài viết" | "tin" | "văn bản"
    number: str | None = None  # e.g. "510/BC-UBND"
    issuer: str | None = None  # e.g. "HĐND tỉnh Bến Tre"
    date: str | None = None  # ISO yyyy-mm-dd
    period: str | None = None  # e.g. "2021-2025", "2025", "2020", "6 tháng đầu năm 2023"
    signer: str | None = None
    pages: int | None = None  # PDFs only
    note: str | None = None  # e.g. "khóa X, kỳ họp thứ 16": what else identifies the document
    # PDF pages whose text OCR read from a scan: a quote from them may hold misread characters.
    ocr_pages: list[int] = field(default_factory=list)

    @property
    def date_display(self) -> str | None:
        return display_date(self.date)


@dataclass(frozen=True)
class Chunk:
    """One retrievable unit: a list item, a paragraph, or a sentence-bounded piece of one."""

    chunk_id: str  # "<source>#<ordinal>@<doc content hash[:12]>"
    source: str
    ordinal: int
    text: str  # the document's own words (NFC): what users are shown as the quote
    section_path: tuple[str, ...] = field(default_factory=tuple)  # ("Điều 1", "2. Các chỉ tiêu chủ yếu", "c)")
    page: int | None = None
    start: int = 0  # offsets into the document's cleaned text
    end: int = 0
    content_hash: str = ""  # sha256 of text
    kind: str = "paragraph"  # "row" (a table row) | "item" (a numbered or bulleted list item) | "paragraph"
    table_title: str | None = None  # a row's table: its caption ("Phụ lục I …", "Biểu …") or nearest heading
    columns: tuple[str, ...] = ()  # a row's column headers (header rows merged per column), plain text
    cells: tuple[str, ...] = ()  # a row's cells, aligned with `columns`

    @property
    def section(self) -> str:
        return " › ".join(self.section_path)
