"""Loading real PDF/DOCX/TXT files made in the test, and every kind of bad file a user may drop in."""

from __future__ import annotations

import hashlib
import logging
import unicodedata
from pathlib import Path

import docx
import pytest

from ingest.errors import (
    CorruptDocument,
    EmptyDocument,
    EncryptedDocument,
    IngestError,
    MismatchedType,
    NeedsOCR,
    UnsupportedFileType,
    WrongEncoding,
)
from ingest.loaders import SUPPORTED_SUFFIXES, discover_files, load_document
from tests.docmaker import (
    Heading,
    cp1258_bytes,
    make_corrupt_pdf,
    make_docx,
    make_encrypted_pdf,
    make_pdf,
    make_scanned_pdf,
)

CORPUS = Path(__file__).resolve().parents[2] / "corpus"
EXPORT_SENTENCE = "Kim ngạch xuất khẩu đạt 1.850 triệu USD"


def _is_nfc(text: str) -> bool:
    return unicodedata.is_normalized("NFC", text)


def _fails_with(error_type: type[IngestError], path: Path, *remedy_words: str) -> IngestError:
    """Loading `path` raises `error_type` with a message naming the file and the remedy."""
    with pytest.raises(error_type) as caught:
        load_document(path)
    message = str(caught.value)
    assert path.name in message
    for word in remedy_words:
        assert word.lower() in message.lower(), f"{word!r} not in {message!r}"
    return caught.value


# ---------------------------------------------------------------- documents that load


def test_pdf_pages_keep_numbers_and_vietnamese_text(tmp_path: Path) -> None:
    path = make_pdf(
        tmp_path / "bao-cao.pdf",
        [
            "BÁO CÁO\nTình hình kinh tế - xã hội tỉnh Bến Tre năm 2023",
            f"Thủy sản, hoá chất.\n{EXPORT_SENTENCE}, tăng 12,5% so với cùng kỳ.",
        ],
    )

    doc = load_document(path)

    assert [page.number for page in doc.pages] == [1, 2]
    assert "Bến Tre" in doc.pages[0].text
    assert EXPORT_SENTENCE in doc.pages[1].text
    assert EXPORT_SENTENCE not in doc.pages[0].text
    assert all(_is_nfc(page.text) for page in doc.pages)
    assert doc.source == "bao-cao.pdf"
    assert doc.file_type == "pdf"
    assert doc.content_hash == hashlib.sha256(path.read_bytes()).hexdigest()


def test_pdf_with_decomposed_text_layer_comes_back_nfc(tmp_path: Path) -> None:
    path = make_pdf(tmp_path / "nfd.pdf", [unicodedata.normalize("NFD", EXPORT_SENTENCE)])

    text = load_document(path).pages[0].text

    assert EXPORT_SENTENCE in text
    assert _is_nfc(text)


@pytest.mark.parametrize("aes", [False, True], ids=["rc4", "aes"])
def test_pdf_protected_only_against_editing_opens_without_password(tmp_path: Path, aes: bool) -> None:
    path = make_encrypted_pdf(tmp_path / "permissions.pdf", [EXPORT_SENTENCE], user_password="", aes=aes)

    assert EXPORT_SENTENCE in load_document(path).pages[0].text


def test_docx_paragraphs_and_tables_in_document_order(tmp_path: Path) -> None:
    path = make_docx(
        tmp_path / "nghi-quyet.docx",
        [
            Heading("NGHỊ QUYẾT"),
            "Điều 1. Các chỉ tiêu chủ yếu năm 2025:",
            [["Chỉ tiêu", "Kế hoạch", "Thực hiện"], ["Kim ngạch xuất khẩu (triệu USD)", "1.800", "1.850"]],
            "Điều 2. Tổ chức thực hiện.",
        ],
        tables=[[["Nơi nhận", "Lưu: VT"]]],
    )

    doc = load_document(path)

    assert [page.number for page in doc.pages] == [None]
    text = doc.pages[0].text
    order = [
        "NGHỊ QUYẾT",
        "Điều 1. Các chỉ tiêu chủ yếu năm 2025:",
        "Chỉ tiêu | Kế hoạch | Thực hiện",
        "Kim ngạch xuất khẩu (triệu USD) | 1.800 | 1.850",
        "Điều 2. Tổ chức thực hiện.",
        "Nơi nhận | Lưu: VT",
    ]
    positions = [text.index(part) for part in order]
    assert positions == sorted(positions)
    # One pipe row per table row.
    assert "| Kim ngạch xuất khẩu (triệu USD) | 1.800 | 1.850 |" in text.splitlines()
    assert doc.file_type == "docx"
    assert _is_nfc(text)


def test_docx_merged_cells_appear_once_per_row(tmp_path: Path) -> None:
    path = make_docx(tmp_path / "merged.docx", [[["Năm 2025", "", ""], ["GRDP", "6,0%", "6,5%"]]])
    document = docx.Document(str(path))
    top = document.tables[0].rows[0]
    top.cells[0].merge(top.cells[2])
    document.save(str(path))

    lines = load_document(path).pages[0].text.splitlines()

    # The merged cell's text once, its other grid columns empty: every row keeps one cell per column.
    assert "| Năm 2025 | | |" in lines
    assert "| GRDP | 6,0% | 6,5% |" in lines


def test_txt_loads_as_one_unnumbered_page(tmp_path: Path) -> None:
    path = tmp_path / "tin.txt"
    path.write_text(f"Tin kinh tế\n\n{EXPORT_SENTENCE}.\n", encoding="utf-8")

    doc = load_document(path)

    assert len(doc.pages) == 1
    assert doc.pages[0].number is None
    assert doc.pages[0].text == f"Tin kinh tế\n\n{EXPORT_SENTENCE}.\n"
    assert doc.file_type == "txt"


def test_txt_with_utf8_bom_loads_without_the_bom(tmp_path: Path) -> None:
    path = tmp_path / "bom.txt"
    path.write_bytes(b"\xef\xbb\xbf" + EXPORT_SENTENCE.encode("utf-8"))

    text = load_document(path).pages[0].text

    assert text == EXPORT_SENTENCE


def test_txt_in_decomposed_form_comes_back_nfc(tmp_path: Path) -> None:
    path = tmp_path / "nfd.txt"
    path.write_text(unicodedata.normalize("NFD", EXPORT_SENTENCE), encoding="utf-8")

    assert load_document(path).pages[0].text == EXPORT_SENTENCE


def test_bundled_corpus_loads_and_is_nfc() -> None:
    files = discover_files([CORPUS]).files

    assert len(files) >= 5
    for path in files:
        doc = load_document(path)
        assert doc.source == path.name
        assert doc.pages[0].text.strip()
        assert _is_nfc(doc.pages[0].text)


# ---------------------------------------------------------------- bad files: clear errors


def test_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "rong.txt"
    path.write_bytes(b"")
    _fails_with(EmptyDocument, path, "empty", "nothing to index")


def test_whitespace_only_file(tmp_path: Path) -> None:
    path = tmp_path / "trang.pdf"
    path.write_bytes(b"  \n\t\n")
    _fails_with(EmptyDocument, path, "whitespace")


def test_docx_without_text(tmp_path: Path) -> None:
    path = make_docx(tmp_path / "blank.docx", ["", "  "])
    _fails_with(EmptyDocument, path, "no text")


def test_utf16_text_with_bom(tmp_path: Path) -> None:
    path = tmp_path / "utf16.txt"
    path.write_bytes(EXPORT_SENTENCE.encode("utf-16"))
    error = _fails_with(WrongEncoding, path, "UTF-16", "convert it to UTF-8")
    assert isinstance(error, WrongEncoding) and "UTF-16" in error.encoding


def test_utf16_text_without_bom(tmp_path: Path) -> None:
    path = tmp_path / "utf16le.txt"
    path.write_bytes(f"{EXPORT_SENTENCE}\nBến Tre".encode("utf-16-le"))
    _fails_with(WrongEncoding, path, "UTF-16", "convert it to UTF-8")


def test_windows_1258_text(tmp_path: Path) -> None:
    path = tmp_path / "cp1258.txt"
    path.write_bytes(cp1258_bytes(f"Báo cáo năm 2023\n{EXPORT_SENTENCE}, thủy sản tăng trưởng khá."))
    _fails_with(WrongEncoding, path, "Windows-1258", "convert it to UTF-8", "line 1")


def test_vni_text_is_named(tmp_path: Path) -> None:
    path = tmp_path / "vni.txt"
    # "Kim ngạch xuất khẩu tỉnh Bến Tre năm 2023" as the VNI-Windows font encoding writes it.
    path.write_bytes(b"Kim nga\xefch xua\xe1t kha\xe5u t\xf2nh Be\xe1n Tre na\xeam 2023")
    _fails_with(WrongEncoding, path, "VNI", "UTF-8")


def test_tcvn3_text_is_named(tmp_path: Path) -> None:
    path = tmp_path / "tcvn3.txt"
    # "Kim ngạch xuất khẩu đạt 1.850 triệu USD" in the TCVN3 (ABC) font encoding.
    path.write_bytes(b"Kim ng\xb9ch xu\xcat kh\xc8u \xae\xb9t 1.850 tri\xd6u USD")
    _fails_with(WrongEncoding, path, "TCVN3", "Unikey", "UTF-8")


def test_western_european_text_is_called_legacy(tmp_path: Path) -> None:
    path = tmp_path / "latin.txt"
    path.write_bytes("Café, déjà vu, naïve".encode("cp1252"))
    _fails_with(WrongEncoding, path, "legacy single-byte", "UTF-8")


def test_double_encoded_utf8(tmp_path: Path) -> None:
    path = tmp_path / "mojibake.txt"
    path.write_text(EXPORT_SENTENCE.encode("utf-8").decode("cp1252", errors="replace"), encoding="utf-8")
    _fails_with(WrongEncoding, path, "mojibake", "UTF-8")


def test_scanned_pdf_needs_ocr(tmp_path: Path) -> None:
    path = make_scanned_pdf(tmp_path / "scan.pdf", pages=2)
    _fails_with(NeedsOCR, path, "needs OCR", "scanned", "ocrmypdf", "2 pages")


def test_password_protected_pdf(tmp_path: Path) -> None:
    path = make_encrypted_pdf(tmp_path / "mat.pdf")
    _fails_with(EncryptedDocument, path, "password", "qpdf --decrypt")


def test_truncated_pdf_is_corrupt_and_pypdf_stays_quiet(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = make_corrupt_pdf(tmp_path / "cut.pdf")
    _fails_with(CorruptDocument, path, "damaged", "download or export it again")
    noisy = [r for r in caplog.records if r.name.startswith("pypdf") and r.levelno < logging.ERROR]
    assert noisy == []
    assert logging.getLogger("pypdf").level == logging.NOTSET  # left as it was


def test_pdf_that_is_really_text(tmp_path: Path) -> None:
    path = tmp_path / "notes.pdf"
    path.write_text(EXPORT_SENTENCE, encoding="utf-8")
    _fails_with(MismatchedType, path, "named .pdf", "plain text", "notes.txt")


def test_pdf_that_is_really_a_docx(tmp_path: Path) -> None:
    path = tmp_path / "report.pdf"
    path.write_bytes(make_docx(tmp_path / "source.docx", [EXPORT_SENTENCE]).read_bytes())
    _fails_with(MismatchedType, path, "Word document", "rename it to report.docx")


def test_pdf_that_is_a_saved_web_page(tmp_path: Path) -> None:
    path = tmp_path / "download.pdf"
    path.write_text("<!DOCTYPE html><html><body>404 Not Found</body></html>", encoding="utf-8")
    _fails_with(MismatchedType, path, "web page", "download the document again")


def test_docx_that_is_not_a_zip(tmp_path: Path) -> None:
    path = tmp_path / "fake.docx"
    path.write_text(EXPORT_SENTENCE, encoding="utf-8")
    _fails_with(MismatchedType, path, "named .docx", "plain text")


def test_docx_that_is_an_old_word_file(tmp_path: Path) -> None:
    path = tmp_path / "old.docx"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504)
    _fails_with(MismatchedType, path, "old-format Office", "save it as .docx")


def test_docx_with_broken_zip(tmp_path: Path) -> None:
    whole = make_docx(tmp_path / "whole.docx", [EXPORT_SENTENCE]).read_bytes()
    path = tmp_path / "broken.docx"
    path.write_bytes(whole[: len(whole) // 2])
    _fails_with(CorruptDocument, path, "damaged", "again")


def test_txt_that_is_really_a_pdf(tmp_path: Path) -> None:
    path = tmp_path / "scan.txt"
    path.write_bytes(make_pdf(tmp_path / "real.pdf", [EXPORT_SENTENCE]).read_bytes())
    _fails_with(MismatchedType, path, "a PDF", "rename it to scan.pdf")


def test_unsupported_type_named_directly(tmp_path: Path) -> None:
    path = tmp_path / "bang.xlsx"
    path.write_bytes(b"PK\x05\x06" + b"\x00" * 18)
    _fails_with(UnsupportedFileType, path, ".xlsx", "supported: .docx, .pdf, .txt")


# ---------------------------------------------------------------- discovering files


def test_discover_files_expands_folders_and_explains_skips(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    (corpus / "2023").mkdir(parents=True)
    (corpus / ".git").mkdir()
    make_pdf(corpus / "b.pdf", [EXPORT_SENTENCE])
    make_docx(corpus / "a.docx", [EXPORT_SENTENCE])
    (corpus / "2023" / "c.TXT").write_text(EXPORT_SENTENCE, encoding="utf-8")
    (corpus / "bang-so-lieu.xlsx").write_bytes(b"PK\x05\x06" + b"\x00" * 18)
    (corpus / "manifest.json").write_text("{}", encoding="utf-8")
    (corpus / "README.md").write_text("# corpus", encoding="utf-8")
    (corpus / ".hidden.txt").write_text("x", encoding="utf-8")
    (corpus / "~$a.docx").write_bytes(b"lock")
    (corpus / ".git" / "notes.txt").write_text("x", encoding="utf-8")
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "b.pdf").write_bytes(b"%PDF-1.4 same name")
    missing = tmp_path / "khong-co.pdf"

    found = discover_files([corpus, missing, corpus / "a.docx", tmp_path / "other"])

    assert found.files == sorted([corpus / "2023" / "c.TXT", corpus / "a.docx", corpus / "b.pdf"], key=str)
    reasons = {skip.path.name: skip.reason for skip in found.skipped}
    assert set(reasons) == {"bang-so-lieu.xlsx", "khong-co.pdf", "b.pdf"}
    assert reasons["bang-so-lieu.xlsx"] == ".xlsx is not supported; supported: .docx, .pdf, .txt"
    assert "does not exist" in reasons["khong-co.pdf"]
    assert "same name" in reasons["b.pdf"] and "rename" in reasons["b.pdf"]
    assert all(skip.path.name in skip.message for skip in found.skipped)


def test_discover_files_names_manifest_and_empty_folders(tmp_path: Path) -> None:
    manifest = tmp_path / "manifest.json"
    manifest.write_text("{}", encoding="utf-8")
    (tmp_path / "empty").mkdir()

    found = discover_files([manifest, tmp_path / "empty"])

    assert found.files == []
    reasons = [skip.reason for skip in found.skipped]
    assert "not a document" in reasons[0]
    assert "no documents" in reasons[1]


def test_supported_suffixes() -> None:
    assert {".pdf", ".docx", ".txt"} == SUPPORTED_SUFFIXES
