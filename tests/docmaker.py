"""Real documents for tests: PDFs and DOCX made from Vietnamese text, and broken files.

PDFs embed DejaVuSans so Vietnamese glyphs (and their Unicode mapping) survive a
round trip through pypdf; DOCX files are written with python-docx. Every helper
writes to `path` and returns it.
"""

from __future__ import annotations

import io
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import docx
from fpdf import FPDF
from fpdf.enums import EncryptionMethod
from PIL import Image, ImageDraw

DEJAVU_SANS = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")

TableRows = Sequence[Sequence[str]]


@dataclass(frozen=True)
class Heading:
    """A DOCX heading paragraph (style "Heading N")."""

    text: str
    level: int = 1


DocxBlock = str | Heading | TableRows


def _new_pdf() -> FPDF:
    pdf = FPDF(format="A4")
    pdf.set_auto_page_break(auto=True, margin=15)
    pdf.add_font("DejaVu", fname=str(DEJAVU_SANS))
    pdf.set_font("DejaVu", size=12)
    return pdf


def make_pdf(path: Path, pages: Sequence[str]) -> Path:
    """A text PDF with one page per item of `pages` (long text wraps as in real PDFs)."""
    pdf = _new_pdf()
    for text in pages:
        pdf.add_page()
        pdf.multi_cell(0, 7, text)
    pdf.output(str(path))
    return path


def make_encrypted_pdf(
    path: Path,
    pages: Sequence[str] = ("Tài liệu mật: kim ngạch xuất khẩu đạt 1.850 triệu USD.",),
    user_password: str = "secret",
    owner_password: str = "owner",
    aes: bool = False,
) -> Path:
    """An encrypted PDF. With user_password="" it opens without a password (permissions only)."""
    pdf = _new_pdf()
    for text in pages:
        pdf.add_page()
        pdf.multi_cell(0, 7, text)
    pdf.set_encryption(
        owner_password=owner_password,
        user_password=user_password,
        encryption_method=EncryptionMethod.AES_128 if aes else EncryptionMethod.RC4,
    )
    pdf.output(str(path))
    return path


def make_scanned_pdf(path: Path, pages: int = 2) -> Path:
    """An image-only PDF, as a scanner makes it: pictures of text, no text layer."""
    pdf = FPDF(format="A4")
    for number in range(1, pages + 1):
        image = Image.new("L", (620, 877), 255)
        draw = ImageDraw.Draw(image)
        for line in range(12):
            draw.text((40, 40 + 24 * line), f"Trang {number} - dong {line + 1}: kim ngach xuat khau", fill=0)
        buffer = io.BytesIO()
        image.save(buffer, format="PNG")
        buffer.seek(0)
        pdf.add_page()
        pdf.image(buffer, x=0, y=0, w=210)
    pdf.output(str(path))
    return path


def make_corrupt_pdf(path: Path, keep: float = 0.5) -> Path:
    """A real PDF cut short, as an interrupted download leaves it."""
    whole = make_pdf(path, ["Báo cáo tình hình kinh tế - xã hội tỉnh Bến Tre năm 2023."]).read_bytes()
    path.write_bytes(whole[: int(len(whole) * keep)])
    return path


def make_docx(path: Path, paragraphs: Sequence[DocxBlock], tables: Sequence[TableRows] | None = None) -> Path:
    """A DOCX whose body is `paragraphs` in order: a str is a paragraph, a Heading a heading,
    a sequence of rows a table. `tables` are appended after them."""
    document = docx.Document()
    for block in [*paragraphs, *(tables or [])]:
        if isinstance(block, str):
            document.add_paragraph(block)
        elif isinstance(block, Heading):
            document.add_heading(block.text, level=block.level)
        else:
            rows = [list(row) for row in block]
            table = document.add_table(rows=len(rows), cols=max(len(row) for row in rows))
            for cells, row in zip(table.rows, rows, strict=False):
                for cell, text in zip(cells.cells, row, strict=False):
                    cell.text = text
    document.save(str(path))
    return path


def cp1258_bytes(text: str) -> bytes:
    """`text` as Windows-1258 writes it: precomposed letters where the code page has them,
    otherwise the base letter followed by a combining tone byte."""
    out = bytearray()
    for char in unicodedata.normalize("NFC", text):
        try:
            out += char.encode("cp1258")
            continue
        except UnicodeEncodeError:
            pass
        decomposed = unicodedata.normalize("NFD", char)
        tones = [c for c in decomposed if c in "\u0300\u0301\u0303\u0309\u0323"]
        base = unicodedata.normalize("NFC", "".join(c for c in decomposed if c not in tones))
        out += (base + "".join(tones)).encode("cp1258")
    return bytes(out)
