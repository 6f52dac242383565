"""Read documents (.pdf, .docx, .txt) into pages of text, and find them in folders.

A file is recognised by its content (magic bytes) as well as its extension, so a
mis-named or broken file fails with a message that says what it really is and what
to do, instead of yielding garbage text. Text is returned as loaded, only NFC'd:
repairing line breaks is ingest.cleaning's job. Tables of DOCX and PDF files are written as
pipe rows ("| a | b | c |", one line per row) so that chunking reads them row by row.
"""

from __future__ import annotations

import codecs
import hashlib
import io
import logging
import os
import re
import unicodedata
import zipfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from itertools import pairwise
from pathlib import Path
from typing import TYPE_CHECKING

import docx
from docx.oxml.ns import qn
from docx.table import Table, _Cell
from docx.text.paragraph import Paragraph
from pypdf import PageObject, PasswordType, PdfReader
from pypdf.errors import DependencyError, FileNotDecryptedError

from ingest.errors import (
    CorruptDocument,
    EmptyDocument,
    EncryptedDocument,
    IngestError,
    MismatchedType,
    NeedsOCR,
    OcrFailed,
    UnreadableFile,
    UnsupportedFileType,
    WrongEncoding,
)
from ingest.models import LoadedDocument, Page
from ingest.ocr import INSTALL_COMMAND, OcrOptions, find_ocr_tools, ocr_pdf
from ingest.text import nfc

if TYPE_CHECKING:
    from docx.oxml.xmlchemy import BaseOxmlElement
    from docx.types import ProvidesStoryPart

SUPPORTED_SUFFIXES = frozenset({".pdf", ".docx", ".txt"})
DEFAULT_OCR = OcrOptions()
_log = logging.getLogger(__name__)
_SUPPORTED_LIST = ", ".join(sorted(SUPPORTED_SUFFIXES))

# Files that sit beside documents in a corpus folder without being documents.
_COMPANION_NAMES = {"manifest.json", "readme.md", "thumbs.db", "desktop.ini"}


# ---------------------------------------------------------------- discovery


@dataclass(frozen=True)
class SkippedFile:
    path: Path
    reason: str

    @property
    def message(self) -> str:
        return f"{self.path}: skipped: {self.reason}"


@dataclass
class Discovery:
    files: list[Path] = field(default_factory=list)  # sorted, each document once
    skipped: list[SkippedFile] = field(default_factory=list)


def _unsupported_reason(path: Path) -> str:
    suffix = path.suffix.lower()
    what = f"{suffix} is not supported" if suffix else "files without an extension are not supported"
    return f"{what}; supported: {_SUPPORTED_LIST}"


def _is_hidden_or_temporary(name: str) -> bool:
    # "~$x.docx" is the lock file Word leaves beside an open document.
    return name.startswith(".") or name.startswith("~$")


def _link_reason(path: Path) -> str:
    try:
        target = f" (to {os.readlink(path)})"
    except OSError:
        target = ""
    return (
        f"a symbolic link{target}: links are not followed, so nothing outside the folder being ingested "
        "is read; copy the document into the folder instead"
    )


def _outside_reason(path: Path, root: Path) -> str | None:
    """Why `path` must not be read as part of the folder `root` (resolved), or None when it is inside."""
    if path.is_symlink():
        return _link_reason(path)
    try:
        real = path.resolve(strict=True)
    except (OSError, RuntimeError):
        return "cannot be resolved (a broken link or a loop): not followed"
    if not real.is_relative_to(root):
        return f"resolves to {real}, outside the folder being ingested ({root}): not followed"
    return None


def _scan_folder(folder: Path) -> Discovery:
    """Documents under `folder`. Symbolic links (to files or folders) and anything resolving outside the
    folder are reported as skipped, never read: an archive folder must not leak /etc/passwd into answers."""
    found = Discovery()
    root = folder.resolve()
    for dirpath, dirnames, filenames in os.walk(folder, followlinks=False):
        kept_dirs = []
        for name in sorted(dirnames):
            if _is_hidden_or_temporary(name):
                continue
            sub = Path(dirpath) / name
            reason = _outside_reason(sub, root)
            if reason is None:
                kept_dirs.append(name)
            else:
                found.skipped.append(SkippedFile(sub, reason))
        dirnames[:] = kept_dirs
        for name in sorted(filenames):
            if _is_hidden_or_temporary(name) or name.lower() in _COMPANION_NAMES:
                continue
            path = Path(dirpath) / name
            reason = _outside_reason(path, root)
            if reason is not None:
                found.skipped.append(SkippedFile(path, reason))
            elif path.suffix.lower() in SUPPORTED_SUFFIXES:
                found.files.append(path)
            else:
                found.skipped.append(SkippedFile(path, _unsupported_reason(path)))
    return found


def _named_file_skip_reason(path: Path) -> str | None:
    if path.name.lower() == "manifest.json":
        return "manifest.json is the corpus manifest (metadata about the documents), not a document"
    if path.suffix.lower() not in SUPPORTED_SUFFIXES:
        return _unsupported_reason(path)
    return None


def _drop_duplicates(files: list[Path]) -> Discovery:
    """Each file once; and one file per name, because a document is identified by its file name."""
    kept = Discovery()
    seen_real: set[Path] = set()
    by_name: dict[str, Path] = {}
    for path in files:
        real = path.resolve()
        if real in seen_real:
            continue
        seen_real.add(real)
        first = by_name.get(path.name)
        if first is not None:
            kept.skipped.append(
                SkippedFile(
                    path,
                    f"another document with the same name was found first ({first}); documents are "
                    "identified by file name, so rename one of them",
                )
            )
            continue
        by_name[path.name] = path
        kept.files.append(path)
    return kept


def discover_files(paths: Sequence[Path]) -> Discovery:
    """The documents named by `paths` (files, or folders searched recursively), and what was skipped and why.

    Hidden files, Word lock files and a folder's manifest.json / README.md are not documents
    and are passed over silently; everything else that is not loadable is reported. Symbolic links
    are never followed (a folder named on the command line is taken as given; links inside it, or a
    named file that is a link, are skipped with the reason).
    """
    candidates: list[Path] = []
    skipped: list[SkippedFile] = []
    for given in paths:
        path = Path(given)
        if path.is_dir():
            found = _scan_folder(path)
            candidates.extend(found.files)
            skipped.extend(found.skipped)
            if not found.files and not found.skipped:
                skipped.append(SkippedFile(path, f"the folder holds no documents ({_SUPPORTED_LIST})"))
        elif path.is_symlink():
            # A named file that is a link is not followed either: name the document itself.
            skipped.append(SkippedFile(path, _link_reason(path)))
        elif path.is_file():
            reason = _named_file_skip_reason(path)
            if reason is None:
                candidates.append(path)
            else:
                skipped.append(SkippedFile(path, reason))
        elif path.exists() or path.is_symlink():
            skipped.append(SkippedFile(path, "not a regular file or folder (or a broken link)"))
        else:
            skipped.append(SkippedFile(path, "does not exist: check the path"))
    unique = _drop_duplicates(sorted(candidates, key=str))
    return Discovery(files=unique.files, skipped=skipped + unique.skipped)


# ---------------------------------------------------------------- what a file really is


@dataclass(frozen=True)
class _Content:
    kind: str  # "pdf" | "docx" | "zip" | "ole" | "encrypted-office" | "rtf" | "html" | "image" | "text"
    description: str  # how a message names it


_ENCRYPTED_OFFICE_MARK = "EncryptionInfo".encode("utf-16-le")
_IMAGE_MAGIC = {
    b"\x89PNG": "a PNG image",
    b"\xff\xd8\xff": "a JPEG image",
    b"GIF8": "a GIF image",
    b"II*\x00": "a TIFF image",
    b"MM\x00*": "a TIFF image",
}


def _zip_content(data: bytes) -> _Content:
    try:
        names = set(zipfile.ZipFile(io.BytesIO(data)).namelist())
    except (zipfile.BadZipFile, ValueError, OSError):
        return _Content("broken-zip", "a damaged ZIP/Office file")
    if "word/document.xml" in names:
        return _Content("docx", "a Word document (.docx)")
    if "xl/workbook.xml" in names:
        return _Content("zip", "an Excel workbook (.xlsx)")
    if "ppt/presentation.xml" in names:
        return _Content("zip", "a PowerPoint presentation (.pptx)")
    if "content.xml" in names:
        return _Content("zip", "an OpenDocument file (.odt/.ods)")
    return _Content("zip", "a ZIP archive")


def _sniff(data: bytes) -> _Content:
    # PDF readers accept the header anywhere in the first KiB (after junk some servers prepend).
    head = data[:1024]
    if head.startswith(b"%PDF-") or b"\n%PDF-" in head or b"\r%PDF-" in head:
        return _Content("pdf", "a PDF")
    if data.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        return _zip_content(data)
    if data.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        if _ENCRYPTED_OFFICE_MARK in data:
            return _Content("encrypted-office", "a password-protected Office document")
        return _Content("ole", "an old-format Office file (.doc/.xls)")
    if data.startswith(b"{\\rtf"):
        return _Content("rtf", "an RTF document")
    for magic, description in _IMAGE_MAGIC.items():
        if data.startswith(magic):
            return _Content("image", description)
    if data[:512].lstrip().lower().startswith((b"<!doctype html", b"<html")):
        return _Content("html", "a web page (HTML), perhaps a failed download")
    if data.startswith(b"MZ"):
        return _Content("executable", "a Windows program (.exe/.dll), not a document")
    if data.startswith(b"\x7fELF"):
        return _Content("executable", "a Linux program, not a document")
    # Text (UTF-8, UTF-16/32, or a legacy Vietnamese encoding) has almost no control bytes; random or binary
    # data has about one in eight. UTF-16 without a BOM has NULs but is text, for the .txt loader to name.
    sample = data[:4096]
    boms = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE, codecs.BOM_UTF32_BE)
    is_utf16_or_32 = sample.startswith(boms) or _utf16_without_bom(sample) is not None
    controls = sum(1 for b in sample if (b < 0x20 and b not in b"\t\n\r\x0b\x0c\x1a") or b == 0x7F)
    if not is_utf16_or_32 and sample and (b"\x00" in sample or controls > 0.02 * len(sample)):
        return _Content("binary", "binary data of no known document type (not text)")
    return _Content("text", "plain text")


def _remedy_for(content: _Content, path: Path) -> str:
    stem = path.stem
    if content.kind == "pdf":
        return f"Rename it to {stem}.pdf and ingest it again."
    if content.kind == "docx":
        return f"Rename it to {stem}.docx and ingest it again."
    if content.kind == "text":
        return (
            f"If it is the document's text, rename it to {stem}.txt; otherwise export or download it again."
        )
    if content.kind == "html":
        return "Download the document again (this is a web page, not the document)."
    if content.kind == "image":
        return "Run OCR on the image (e.g. save it as a PDF and run `ocrmypdf -l vie`) and ingest the result."
    if content.kind == "ole":
        return "Open it in Word or LibreOffice and save it as .docx (or export a PDF), then ingest that."
    if content.kind == "rtf":
        return "Open it in Word or LibreOffice and save it as .docx, then ingest that."
    if content.kind == "executable":
        return "Do not ingest it: it is a program, not a document. Choose the document itself (PDF, DOCX or TXT)."
    if content.kind == "binary":
        return (
            "It is not a document that can be read: check that the right file was chosen, "
            "or download or export the document again."
        )
    return "Convert it to PDF, DOCX or UTF-8 text and ingest that."


def _check_content_matches(path: Path, suffix: str, content: _Content) -> None:
    expected = {".pdf": "pdf", ".docx": "docx", ".txt": "text"}[suffix]
    if content.kind == expected:
        return
    if suffix == ".docx" and content.kind == "encrypted-office":
        raise EncryptedDocument(
            path,
            "it is a password-protected Word document",
            "Remove the password in Word (File → Info → Protect Document) and ingest the saved copy.",
        )
    if suffix == ".docx" and content.kind == "broken-zip":
        raise CorruptDocument(path, "the .docx (ZIP) container is broken")
    raise MismatchedType(path, content.description, _remedy_for(content, path))


# ---------------------------------------------------------------- text files


_UTF16_BOMS = {codecs.BOM_UTF16_LE: "UTF-16 little-endian", codecs.BOM_UTF16_BE: "UTF-16 big-endian"}
_UTF32_BOMS = {codecs.BOM_UTF32_LE: "UTF-32 little-endian", codecs.BOM_UTF32_BE: "UTF-32 big-endian"}

# Windows-1258 writes most tones as a combining byte after the vowel.
_CP1258_TONE_BYTES = frozenset(b"\xcc\xec\xde\xd2\xf2")
_CP1258_VOWEL_BYTES = frozenset(b"aeiouyAEIOUY\xe2\xea\xf4\xf5\xfd\xe3\xc2\xca\xd4\xd5\xdd\xc3")
# VNI writes tones and hats as a second byte after a plain vowel ("Vieät" = Việt).
_VNI_MARK_BYTES = frozenset(
    b"\xf9\xf8\xfb\xf5\xef\xe1\xe0\xe5\xe3\xe4\xe2\xe9\xe8\xfa\xfc\xeb\xea"
    b"\xd9\xd8\xdb\xd5\xcf\xc1\xc0\xc5\xc3\xc4\xc2\xc9\xc8\xda\xdc\xcb\xca"
)
_VNI_BASE_BYTES = frozenset(b"aeouyAEOUY\xf4\xf6\xd4\xd6")
# TCVN3 (ABC) puts the commonest Vietnamese letters (ă â ê ô ơ ư đ, á à ả ã ạ ...) where
# Latin text almost never has bytes: ¨ © ª « ¬ ­ ® µ ¶ · ¸ ¹.
_TCVN3_BYTES = frozenset(range(0xA8, 0xAF)) | frozenset(range(0xB5, 0xBA))


def _utf16_without_bom(data: bytes) -> str | None:
    """'UTF-16 little-endian' etc. when NULs sit at every other byte, as in UTF-16 text."""
    sample = data[:4096]
    even_nuls = sample[0::2].count(0)
    odd_nuls = sample[1::2].count(0)
    half = max(len(sample) // 2, 1)
    if odd_nuls > 0.3 * half and even_nuls < 0.05 * half:
        return "UTF-16 little-endian"
    if even_nuls > 0.3 * half and odd_nuls < 0.05 * half:
        return "UTF-16 big-endian"
    return None


def _guess_legacy_encoding(data: bytes) -> str:
    high = sum(1 for b in data if b >= 0x80)
    cp1258 = sum(1 for a, b in pairwise(data) if b in _CP1258_TONE_BYTES and a in _CP1258_VOWEL_BYTES)
    vni = sum(1 for a, b in pairwise(data) if b in _VNI_MARK_BYTES and a in _VNI_BASE_BYTES)
    tcvn3 = sum(1 for b in data if b in _TCVN3_BYTES)
    scores = {
        "Windows-1258 (CP1258, Vietnamese)": cp1258,
        "VNI-Windows (a legacy Vietnamese font encoding)": vni,
        "TCVN3/ABC (a legacy Vietnamese font encoding)": tcvn3,
    }
    best, score = max(scores.items(), key=lambda item: item[1])
    if score >= 3 and score >= 0.2 * high:
        return best
    return "a legacy single-byte encoding (Windows-1252, Windows-1258 or similar)"


def _looks_double_encoded(text: str) -> bool:
    """UTF-8 that was once read as Windows-1252 and saved again: 'ạ' became 'áº¡', 'đ' became 'Ä‘'."""
    marks = ("áº", "á»", "Ä‘", "Æ°", "Æ¡", "Ã¡", "Ã´", "Ãª")
    return sum(text.count(m) for m in marks) >= 3


def _decode_text(path: Path, data: bytes) -> str:
    for bom, name in _UTF32_BOMS.items():
        if data.startswith(bom):
            raise WrongEncoding(path, name, "it starts with a UTF-32 byte-order mark")
    for bom, name in _UTF16_BOMS.items():
        if data.startswith(bom):
            raise WrongEncoding(path, name, "it starts with a UTF-16 byte-order mark")
    if b"\x00" in data:
        utf16 = _utf16_without_bom(data)
        if utf16:
            raise WrongEncoding(path, utf16, "every other byte is NUL")
        raise MismatchedType(path, "binary data, not text", _remedy_for(_Content("binary", ""), path))
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8) :]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise WrongEncoding(
            path, _guess_legacy_encoding(data), f"first non-UTF-8 byte on line {line}"
        ) from error
    if _looks_double_encoded(text):
        raise WrongEncoding(
            path,
            "UTF-8 that was decoded as Windows-1252 and saved again (mojibake such as 'áº¡' for 'ạ')",
            remedy="Export the text again from the original document, saving it as UTF-8.",
        )
    return text


# ---------------------------------------------------------------- PDF


@contextmanager
def _pypdf_warnings_quiet() -> Iterator[None]:
    """pypdf logs a warning for every oddity of a broken file; the user gets one clear error instead.

    Only applies when nobody configured the "pypdf" logger; errors are still logged.
    """
    logger = logging.getLogger("pypdf")
    previous = logger.level
    if previous == logging.NOTSET:
        logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        logger.setLevel(previous)


def _unreadable_share(text: str) -> float:
    """Share of visible characters that are private-use or control: fonts without a Unicode map."""
    visible = [ch for ch in text if not ch.isspace()]
    if not visible:
        return 0.0
    bad = sum(1 for ch in visible if unicodedata.category(ch) in ("Co", "Cc", "Cn") or ch == "\ufffd")
    return bad / len(visible)


def _open_pdf(path: Path, data: bytes) -> list[str]:
    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            try:
                opened = reader.decrypt("")
            except DependencyError as error:
                raise EncryptedDocument(
                    path,
                    f"it is encrypted and opening it needs a missing package ({error})",
                    "Install it (`pip install cryptography`) and ingest again.",
                ) from error
            if opened == PasswordType.NOT_DECRYPTED:
                raise EncryptedDocument(
                    path, "the PDF is password-protected (it cannot be opened without one)"
                )
        return [_page_text(page) for page in reader.pages]
    except IngestError:
        raise
    except FileNotDecryptedError as error:
        raise EncryptedDocument(path, f"the PDF is password-protected ({error})") from error
    except Exception as error:
        # pypdf raises many exception types (and plain ValueError/KeyError) on broken
        # files; all of them mean the same thing to the user. The cause stays chained.
        raise CorruptDocument(path, f"{type(error).__name__}: {error}") from error


# A PDF table: text runs separated by 2+ spaces in pypdf's layout mode, their starts aligned row to row.
_CELL_RUN_RE = re.compile(r"\S+(?: \S+)*")
_FIGURE_RE = re.compile(r"(?<!\w)\d[\d.,]*%?(?!\w)")
_ALIGN_TOLERANCE = 2


def _may_hold_table(text: str) -> bool:
    """Cheap test before the slower layout extraction: two lines with two figures each."""
    return sum(1 for line in text.splitlines() if len(_FIGURE_RE.findall(line)) >= 2) >= 2


def _layout_cells(line: str) -> list[tuple[int, str]]:
    """(column, text) of each run of words that 2+ spaces separate from the next."""
    runs: list[tuple[int, str]] = []
    for m in _CELL_RUN_RE.finditer(line):
        runs.append((m.start(), m.group(0)))
    return runs


def _aligned(a: list[tuple[int, str]], b: list[tuple[int, str]]) -> bool:
    """Two lines of one table share a column start besides the left margin."""
    starts = [x for x, _ in a[1:]]
    return any(abs(x - y) <= _ALIGN_TOLERANCE for y, _ in b[1:] for x in starts)


def _pipe_row(cells: list[tuple[int, str]], starts: list[int]) -> str:
    """Cells placed in the table's columns (by nearest start), written as a pipe row."""
    placed = [""] * len(starts)
    for x, text in cells:
        column = min(range(len(starts)), key=lambda k: abs(starts[k] - x))
        placed[column] = f"{placed[column]} {text}".strip()
    return " ".join(["|", *[f"{cell} |" if cell else "|" for cell in placed]])


def _layout_table_rows(layout: str) -> dict[str, str]:
    """Row lines of the page's tables, keyed by their words (spaces collapsed), as pipe rows."""
    lines = [_layout_cells(line) for line in layout.splitlines() if line.strip()]
    rows: dict[str, str] = {}
    group: list[list[tuple[int, str]]] = []
    for cells in [*lines, []]:
        if len(cells) >= 2 and (not group or _aligned(group[-1], cells)):
            group.append(cells)
            continue
        if len(group) >= 2 and max(len(g) for g in group) >= 2:
            widest = max(group, key=len)
            starts = [x for x, _ in widest]
            for row in group:
                rows[" ".join(" ".join(text for _, text in row).split())] = _pipe_row(row, starts)
        group = [cells] if len(cells) >= 2 else []
    return rows


def _page_text(page: PageObject) -> str:
    """The page's text; lines that are rows of a table (columns apart in the layout) become pipe rows."""
    text = page.extract_text() or ""
    if not _may_hold_table(text):
        return text
    rows = _layout_table_rows(page.extract_text(extraction_mode="layout") or "")
    if not rows:
        return text
    return "\n".join(rows.get(" ".join(line.split()), line) for line in text.split("\n"))


def _pages_without_text(texts: Sequence[str]) -> list[int]:
    """Numbers (1-based) of the pages whose text layer is missing or unreadable: the ones to OCR."""
    return [
        number
        for number, text in enumerate(texts, start=1)
        if not text.strip() or _unreadable_share(text) > 0.3
    ]


def _scanned_problem(texts: Sequence[str]) -> str | None:
    """Why the whole PDF needs OCR (no text layer, or an unreadable one), or None when it has text."""
    joined = "".join(texts)
    if not joined.strip():
        pages = f"any of its {len(texts)} pages" if len(texts) > 1 else "its only page"
        return f"there is no text layer on {pages}"
    if _unreadable_share(joined) > 0.3:
        return "its text layer is unreadable (fonts without a Unicode mapping)"
    return None


@dataclass(frozen=True)
class _OcrOutcome:
    texts: dict[int, str]  # page number → the text OCR read there (pages where it read nothing are left out)
    unavailable: str | None = None  # why OCR did not run: the tools are missing, or it is switched off


def _ocr_texts(path: Path, data: bytes, pages: list[int], options: OcrOptions) -> _OcrOutcome:
    if not pages:
        return _OcrOutcome({})
    if not options.enabled:
        return _OcrOutcome({}, "OCR is switched off")
    lookup = find_ocr_tools()
    if lookup.tools is None:
        return _OcrOutcome({}, "; ".join(lookup.missing))
    ocred = ocr_pdf(path, data, pages, lookup.tools, options)
    with _pypdf_warnings_quiet():
        texts = _open_pdf(path, ocred)
    return _OcrOutcome(
        {number: texts[number - 1] for number in pages if number <= len(texts) and texts[number - 1].strip()}
    )


def _load_pdf(path: Path, data: bytes, ocr: OcrOptions) -> list[Page]:
    with _pypdf_warnings_quiet():
        texts = _open_pdf(path, data)
    if not texts:
        raise EmptyDocument(path, "the PDF has no pages")
    blank = _pages_without_text(texts)
    outcome = _ocr_texts(path, data, blank, ocr)
    problem = _scanned_problem(texts)
    if outcome.unavailable is not None:
        if problem is not None:
            install = f"Install OCR (`{INSTALL_COMMAND}`) and ingest it again, or OCR it yourself "
            raise NeedsOCR(
                path,
                f"{problem} ({outcome.unavailable})",
                (install if ocr.enabled else "OCR it ")
                + "(`ocrmypdf -l vie in.pdf out.pdf`) and ingest the result.",
            )
        # A mostly-text PDF is still worth indexing without OCR: its scanned pages stay as loaded.
        _log.warning(
            "%s: page(s) %s have no usable text and were not OCR'd: %s", path, blank, outcome.unavailable
        )
    elif problem is not None and not outcome.texts:
        raise OcrFailed(
            path,
            f"{problem}, and OCR (Tesseract, Vietnamese) read no text from it",
            "Check the scan: it should be upright, sharp and at least 300 dpi; scan it again if not.",
        )
    return [
        Page(number, outcome.texts[number], ocr=True) if number in outcome.texts else Page(number, text)
        for number, text in enumerate(texts, start=1)
    ]


# ---------------------------------------------------------------- DOCX


def _docx_blocks(parent: BaseOxmlElement, owner: ProvidesStoryPart) -> Iterator[str]:
    """Paragraph texts and tables (one block each, a pipe row per line) under a body or cell element, in order."""
    for element in parent.iterchildren():
        if element.tag == qn("w:p"):
            yield Paragraph(element, owner).text
        elif element.tag == qn("w:tbl"):
            yield "\n".join(_table_rows(Table(element, owner)))
        elif element.tag == qn("w:sdt"):
            # Content controls (form fields, cover pages) wrap ordinary paragraphs and tables.
            content = element.find(qn("w:sdtContent"))
            if content is not None:
                yield from _docx_blocks(content, owner)


def _cell_text(cell: _Cell) -> str:
    text = " ".join(" ".join(block.split()) for block in _docx_blocks(cell._tc, cell) if block.strip())
    # A pipe inside a cell would shift every column after it: write it as a slash.
    return text.replace("|", "/")


def _table_rows(table: Table) -> Iterator[str]:
    """One pipe row "| a | b | c |" per row, so chunking reads the table row by row with its columns."""
    for row in table.rows:
        cells: list[str] = []
        previous = None
        for cell in row.cells:
            # A merged cell is returned once per grid column it spans: its text once, then empty cells,
            # so that every row keeps one cell per column.
            cells.append("" if previous is not None and cell._tc is previous else _cell_text(cell))
            previous = cell._tc
        if any(cells):
            yield " ".join(["|", *[f"{cell} |" if cell else "|" for cell in cells]])


def _load_docx(path: Path, data: bytes) -> list[Page]:
    try:
        document = docx.Document(io.BytesIO(data))
        blocks = [block for block in _docx_blocks(document.element.body, document) if block.strip()]
    except Exception as error:
        # python-docx raises KeyError/ValueError/lxml errors on broken packages.
        raise CorruptDocument(path, f"{type(error).__name__}: {error}") from error
    # A blank line between blocks, as in the bundled TXT files: paragraph and row
    # boundaries stay unambiguous for cleaning and chunking.
    return [Page(None, "\n\n".join(blocks))]


# ---------------------------------------------------------------- entry point


def load_document(path: Path, *, ocr: OcrOptions = DEFAULT_OCR) -> LoadedDocument:
    """Load a .pdf (one Page per page, numbered from 1), .docx or .txt (one Page, number None).

    PDF pages without a usable text layer (scans) are OCR'd when ocrmypdf and Tesseract's Vietnamese
    model are installed (see ingest.ocr); their Pages say so (`Page.ocr`).
    Raises an IngestError subclass whose message names the file, the problem and the remedy.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise UnsupportedFileType(path, SUPPORTED_SUFFIXES)
    try:
        data = path.read_bytes()
    except OSError as error:
        raise UnreadableFile(path, error.strerror or type(error).__name__) from error
    if not data:
        raise EmptyDocument(path)
    if not data.strip():
        raise EmptyDocument(path, "the file holds only whitespace")
    _check_content_matches(path, suffix, _sniff(data))

    if suffix == ".pdf":
        pages = _load_pdf(path, data, ocr)
    elif suffix == ".docx":
        pages = _load_docx(path, data)
    else:
        pages = [Page(None, _decode_text(path, data))]

    pages = [Page(page.number, nfc(page.text), page.ocr) for page in pages]
    if not any(page.text.strip() for page in pages):
        raise EmptyDocument(path, "it contains no text")
    return LoadedDocument(
        source=path.name,
        path=path,
        file_type=suffix.lstrip("."),
        pages=pages,
        content_hash=hashlib.sha256(data).hexdigest(),
    )
