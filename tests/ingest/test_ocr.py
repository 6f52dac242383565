"""Scanned PDFs: OCR'd with ocrmypdf and Tesseract's Vietnamese model when installed, a clear error when not.

The scans are made here: Vietnamese text drawn with DejaVu Sans onto a page-sized image, saved as an
image-only PDF (as a scanner writes it). Tests that run the real tools skip when they are missing; the
others put fake tools (or none) on PATH, so they run everywhere.
"""

from __future__ import annotations

import io
import unicodedata
from pathlib import Path

import pytest
from PIL import Image, ImageDraw, ImageFont
from pypdf import PdfReader, PdfWriter

from ingest.errors import NeedsOCR, OcrFailed
from ingest.loaders import load_document
from ingest.ocr import INSTALL_COMMAND, OcrOptions, find_ocr_tools, page_ranges
from ingest.pipeline import prepare_document
from tests.docmaker import DEJAVU_SANS, make_pdf

# Every test here sees the OCR tools this machine really has (tests/conftest.py hides them from others).
pytestmark = pytest.mark.ocr

HEADING = "BÁO CÁO TÌNH HÌNH KINH TẾ - XÃ HỘI"
FIGURE_LINE = "Kim ngạch xuất khẩu đạt 1.850 triệu USD."
TEXT_PAGE = "Tổng sản phẩm trên địa bàn tỉnh (GRDP) tăng 6,5% so với cùng kỳ năm trước."
DPI = 150  # a plain office scan; A4 is 1240 × 1754 pixels
ONE_JOB = OcrOptions(jobs=1)  # the test machine's cores are shared

needs_ocr_tools = pytest.mark.skipif(
    find_ocr_tools().tools is None,
    reason=f"OCR tools are not installed (`{INSTALL_COMMAND}`); CI installs them",
)


def scanned_page(lines: list[str]) -> Image.Image:
    """A white A4 page at DPI with `lines` in black: the heading large, the rest as body text."""
    page = Image.new("L", (1240, 1754), 255)
    draw = ImageDraw.Draw(page)
    heading = ImageFont.truetype(str(DEJAVU_SANS), 40)
    body = ImageFont.truetype(str(DEJAVU_SANS), 30)
    for row, line in enumerate(lines):
        draw.text((120, 150 + 90 * row), line, font=heading if row == 0 else body, fill=0)
    return page


def make_scanned_vietnamese_pdf(path: Path, pages: list[list[str]]) -> Path:
    """An image-only PDF, one scanned page per item of `pages`."""
    images = [scanned_page(lines) for lines in pages]
    images[0].save(path, format="PDF", resolution=DPI, save_all=True, append_images=images[1:])
    return path


def make_mixed_pdf(path: Path) -> Path:
    """Page 1 has a text layer; page 2 is a scan."""
    writer = PdfWriter()
    text_pdf = make_pdf(path.with_suffix(".text.pdf"), [TEXT_PAGE])
    scan = io.BytesIO()
    scanned_page([HEADING, FIGURE_LINE]).save(scan, format="PDF", resolution=DPI)
    for source in (PdfReader(text_pdf), PdfReader(io.BytesIO(scan.getvalue()))):
        writer.append(source)
    with path.open("wb") as out:
        writer.write(out)
    return path


def fake_tools(folder: Path, ocrmypdf_body: str, languages: str = "eng\nvie") -> Path:
    """A PATH folder with a stand-in `ocrmypdf` (running `ocrmypdf_body`) and a `tesseract` listing `languages`."""
    folder.mkdir()
    listing = "\n".join(f"echo {lang}" for lang in languages.split())
    scripts = {
        "tesseract": f'#!/bin/sh\necho "List of available languages in /x/ (2):"\n{listing}\n',
        "ocrmypdf": f"#!/bin/sh\n{ocrmypdf_body}\n",
    }
    for name, script in scripts.items():
        (folder / name).write_text(script)
        (folder / name).chmod(0o755)
    return folder


# ---------------------------------------------------------------- with the real tools


@needs_ocr_tools
def test_scanned_pdf_is_read_by_ocr_with_page_numbers(tmp_path: Path) -> None:
    path = make_scanned_vietnamese_pdf(
        tmp_path / "bao-cao-scan.pdf",
        [[HEADING, FIGURE_LINE], ["TRANG HAI", FIGURE_LINE.replace("1.850", "2.640")]],
    )
    loaded = load_document(path, ocr=ONE_JOB)
    assert [page.number for page in loaded.pages] == [1, 2]
    assert all(page.ocr for page in loaded.pages)
    first, second = (page.text for page in loaded.pages)
    assert "1.850 triệu USD" in first and "2.640 triệu USD" in second
    assert "Kim ngạch xuất khẩu" in first
    assert "KINH TẾ" in first
    assert all(unicodedata.is_normalized("NFC", page.text) for page in loaded.pages)


@needs_ocr_tools
def test_mixed_pdf_keeps_its_text_pages_and_records_the_ocr_pages(tmp_path: Path) -> None:
    path = make_mixed_pdf(tmp_path / "hon-hop.pdf")
    without_ocr = load_document(path, ocr=OcrOptions(enabled=False))
    loaded = load_document(path, ocr=ONE_JOB)

    text_page, scanned = loaded.pages
    assert (text_page.number, text_page.ocr) == (1, False)
    assert text_page.text == without_ocr.pages[0].text  # the file's own text, not a re-read of it
    assert (scanned.number, scanned.ocr) == (2, True)
    assert "1.850 triệu USD" in scanned.text

    # Through cleaning, metadata and chunking as an ingest runs them: the figure is quoted from page 2,
    # and the document's metadata says which page OCR read.
    prepared = prepare_document(
        path, manifest={}, count_tokens=lambda text: len(text.split()), max_tokens=400
    )
    assert prepared.meta.ocr_pages == [2]
    assert [chunk.page for chunk in prepared.chunks if "1.850 triệu USD" in chunk.text] == [2]
    assert any(chunk.page == 1 and "6,5%" in chunk.text for chunk in prepared.chunks)


def test_text_pdf_never_calls_ocr(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(fake_tools(tmp_path / "bin", "exit 99")))
    loaded = load_document(make_pdf(tmp_path / "chu.pdf", [TEXT_PAGE]))
    assert "6,5%" in loaded.pages[0].text and not loaded.pages[0].ocr


# ---------------------------------------------------------------- without the tools, or when they fail


def test_without_ocr_tools_the_error_names_the_packages(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = make_scanned_vietnamese_pdf(tmp_path / "scan.pdf", [[HEADING, FIGURE_LINE]])
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))

    with pytest.raises(NeedsOCR) as caught:
        load_document(path)
    message = str(caught.value)
    assert "apt-get install ocrmypdf tesseract-ocr-vie" in message
    assert "ocrmypdf is not installed" in message and "its only page" in message
    assert str(path) in message


def test_without_the_vietnamese_model_the_error_says_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = make_scanned_vietnamese_pdf(tmp_path / "scan.pdf", [[HEADING, FIGURE_LINE]])
    monkeypatch.setenv("PATH", str(fake_tools(tmp_path / "bin", "exit 0", languages="eng osd")))

    with pytest.raises(NeedsOCR, match="Vietnamese model") as caught:
        load_document(path)
    assert "tesseract-ocr-vie" in str(caught.value)


def test_ocr_switched_off_gives_the_scanned_error(tmp_path: Path) -> None:
    path = make_scanned_vietnamese_pdf(tmp_path / "scan.pdf", [[HEADING, FIGURE_LINE]])
    with pytest.raises(NeedsOCR, match="switched off"):
        load_document(path, ocr=OcrOptions(enabled=False))


def test_a_stuck_ocr_run_is_stopped_with_a_clear_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = make_scanned_vietnamese_pdf(tmp_path / "scan.pdf", [[HEADING, FIGURE_LINE]])
    # The stand-in hangs in a child process, as ocrmypdf does when Tesseract hangs.
    monkeypatch.setenv("PATH", str(fake_tools(tmp_path / "bin", "/bin/sleep 60 & wait")))

    with pytest.raises(OcrFailed) as caught:
        load_document(path, ocr=OcrOptions(startup_seconds=0.5, seconds_per_page=0.5))
    message = str(caught.value)
    assert "did not finish within 1 s and was stopped" in message
    assert "ocrmypdf -l vie" in message


def test_a_failed_ocr_run_names_the_exit_code_and_the_cause(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = make_scanned_vietnamese_pdf(tmp_path / "scan.pdf", [[HEADING, FIGURE_LINE]])
    monkeypatch.setenv(
        "PATH", str(fake_tools(tmp_path / "bin", 'echo "InputFileError: bad page tree" >&2; exit 2'))
    )

    with pytest.raises(OcrFailed, match="exit code 2: InputFileError: bad page tree"):
        load_document(path)


# ---------------------------------------------------------------- pure parts


def test_page_ranges_for_ocrmypdf() -> None:
    assert page_ranges([1]) == "1"
    assert page_ranges([5, 1, 3, 4]) == "1,3-5"
    assert page_ranges([2, 3, 7, 9, 10, 11]) == "2-3,7,9-11"


def test_timeout_grows_with_the_pages_ocred() -> None:
    options = OcrOptions(startup_seconds=30, seconds_per_page=120)
    assert options.timeout_seconds(1) == 150
    assert options.timeout_seconds(10) == 1230
