"""Repair of loaded text: broken sentences joined, structure never merged, words untouched."""

import unicodedata
from pathlib import Path

import pytest

from ingest.cleaning import clean_document, clean_text, structure_label
from ingest.models import LoadedDocument, Page
from ingest.text import clean_characters

CORPUS = Path(__file__).resolve().parents[2] / "corpus"


def corpus_text(prefix: str) -> str:
    return next(CORPUS.glob(f"{prefix}_*.txt")).read_text(encoding="utf-8")


def words(text: str) -> list[str]:
    return text.split()


@pytest.mark.parametrize("prefix", ["000", "001", "002", "003", "004"])
def test_cleaning_changes_only_whitespace(prefix):
    raw = corpus_text(prefix)
    assert words(clean_text(raw)) == words(clean_characters(raw))


def test_hard_line_breaks_inside_sentences_are_joined():
    lines = clean_text(corpus_text("004")).split("\n")
    assert "c) Kim ngạch xuất khẩu đạt 1.850 triệu USD;" in lines
    assert "e) Thu ngân sách nhà nước trên địa bàn đạt 6.388,3 tỷ đồng; trong đó, thu nội địa 6.300 tỷ đồng, " \
           "thu từ hoạt động xuất nhập khẩu 80 tỷ đồng;" in lines
    # A sentence continued after ';' on a lower-case line stays in its item.
    item_k = next(line for line in lines if line.startswith("k) "))
    assert "các huyện: Châu Thành" in item_k and item_k.endswith("nông thôn mới nâng cao;")


def test_split_headings_are_joined_into_one_heading_line():
    lines = clean_text(corpus_text("004")).split("\n")
    assert lines[0] == "2. Các chỉ tiêu chủ yếu"
    assert "3. Một số nhiệm vụ trọng tâm" in lines
    assert "d) Về phát triển kinh tế" in lines  # not glued to the paragraph that follows
    assert "g) Công tác cải cách hành chính, chế độ công vụ, công chức; phòng chống tham nhũng, tiêu cực, lãng phí" in lines


def test_list_items_are_never_merged():
    lines = clean_text(corpus_text("004")).split("\n")
    labels = [line.split()[0] for line in lines if structure_label(line) == "letter"]
    assert labels[:21] == [f"{c})" for c in "abcdđeghiklmnopqrstuvx"][:21]
    assert labels[21] == "x)"
    lines_002 = clean_text(corpus_text("002")).split("\n")
    targets = lines_002[lines_002.index("2. Các chỉ tiêu chủ yếu:") + 1 :]
    targets = targets[: next(i for i, line in enumerate(targets) if line.startswith("Điều 2."))]
    assert [line.split()[0] for line in targets if line] == [f"{c})" for c in "abcdđeghiklmnopqrst"]


def test_page_break_blank_line_inside_a_sentence_is_repaired():
    cleaned = clean_text(corpus_text("001"))
    assert "phân nhiệm cho các ngành, các cấp thực hiện thống nhất từ tỉnh đến cơ sở" in cleaned
    assert "đúng trình tự, thủ tục theo quy định. Tính đến ngày 31/10/2019" in cleaned
    # A capitalised proper noun after the page break: still the same sentence.
    assert "hoạt động của Không gian Đổi mới sáng tạo Mekong" in cleaned
    # An item that ends without punctuation before the next numbered item is not merged into it.
    assert "\n\n5. Triển khai đồng loạt" in cleaned


def test_headings_all_caps_and_signatures_are_kept_apart():
    cleaned = clean_text(corpus_text("002")).split("\n")
    for line in ["NGHỊ QUYẾT", "HỘI ĐỒNG NHÂN DÂN TỈNH BẾN TRE", "KHÓA IX - KỲ HỌP THỨ 19", "QUYẾT NGHỊ:",
                 "Điều 3. Tổ chức thực hiện", "CHỦ TỊCH", "Phan Văn Mãi"]:
        assert line in cleaned
    article = clean_text(corpus_text("000")).split("\n")
    assert 'Tiếp tục tập trung thực hiện "mục tiêu kép", tiến tới "Xanh hóa toàn tỉnh"' in article
    assert article[-2:] == ["LÊ ĐỨC THỌ", "Ủy viên Trung ương Đảng, Bí thư Tỉnh ủy Bến Tre"]


def test_non_nfc_tab_and_nbsp_are_cleaned():
    raw = corpus_text("002")
    assert not unicodedata.is_normalized("NFC", raw)
    cleaned = clean_text(raw)
    assert unicodedata.is_normalized("NFC", cleaned)
    assert "\t" not in cleaned and "\u00a0" not in cleaned


def test_synthetic_pdf_style_text():
    text = (
        "1. Mục tiêu\nchung\nPhấn đấu tăng trưởng\nkinh tế đạt 7%; thu ngân sách đạt\n1.200 tỷ đồng.\n"
        "a) Chỉ tiêu một;\nb) Chỉ tiêu\nhai;\n- Gạch đầu dòng\nmột\n- Gạch hai.\nII. PHẦN HAI\n"
        "Nội dung ở tỉnh Bến\nTre và ở huyện\nChợ Lách được nêu\nrõ.\n"
    )
    assert clean_text(text).split("\n") == [
        "1. Mục tiêu chung",
        "Phấn đấu tăng trưởng kinh tế đạt 7%; thu ngân sách đạt 1.200 tỷ đồng.",
        "a) Chỉ tiêu một;",
        "b) Chỉ tiêu hai;",
        "- Gạch đầu dòng một",
        "- Gạch hai.",
        "II. PHẦN HAI",
        "Nội dung ở tỉnh Bến Tre và ở huyện Chợ Lách được nêu rõ.",
    ]


def test_one_paragraph_per_line_text_keeps_short_heading_lines():
    text = "Tiêu đề mục không có dấu chấm\nĐoạn văn thứ nhất kết thúc.\nĐoạn thứ hai.\n"
    assert clean_text(text) == "Tiêu đề mục không có dấu chấm\nĐoạn văn thứ nhất kết thúc.\nĐoạn thứ hai."


def test_blank_line_between_sentences_is_kept():
    assert clean_text("Câu một kết thúc.\n\nCâu hai.") == "Câu một kết thúc.\n\nCâu hai."
    assert clean_text("Câu bị cắt ngang\n\nbởi trang mới.") == "Câu bị cắt ngang bởi trang mới."


def test_empty_and_whitespace_only_text():
    assert clean_text("") == ""
    assert clean_text(" \n\t\n\u00a0") == ""


def test_clean_document_knows_where_each_pdf_page_starts():
    doc = LoadedDocument(
        source="x.pdf", path=Path("x.pdf"), file_type="pdf", content_hash="0" * 64,
        pages=[Page(1, "Trang một có câu bị cắt\n"), Page(2, "ngang ở đây.\nCâu khác."), Page(3, "Trang ba.")],
    )
    cleaned = clean_document(doc)
    assert cleaned.text == "Trang một có câu bị cắt ngang ở đây.\nCâu khác.\n\nTrang ba."
    assert cleaned.page_at(cleaned.text.index("ngang")) == 2
    assert cleaned.page_at(0) == 1
    assert cleaned.page_at(cleaned.text.index("Trang ba")) == 3


def test_table_lines_are_never_joined_into_paragraphs() -> None:
    pipe = "Bảng 1: Chỉ tiêu\n| STT | Chỉ tiêu | Năm 2026 |\n|---|---|---|\n| 1 | Rau quả | 150 |\n| 2 | Thủy sản | 120 |"
    assert clean_text(pipe).split("\n") == pipe.split("\n")
    flattened = "STT\nChỉ tiêu\nNăm 2026\n1\nRau quả\n150\n2\nThủy sản\n120"
    assert clean_text(flattened).split("\n") == flattened.split("\n")


def test_crawled_table_cells_become_one_pipe_row_per_line() -> None:
    # A web crawl's table: every cell on its own line between lone "|" lines; "|" "|" ends a row or an empty cell.
    crawled = "\n".join(
        ["|", "TT", "|", "Chỉ tiêu", "|", "Năm 2026", "|", "|", "I", "|", "Nông sản", "|", "|",
         "|", "1", "|", "Xoài", "|", "13.500", "|", "|", "2", "|", "Nhãn", "|", "6.400", "|"]
    )
    assert clean_text(crawled).split("\n") == [
        "| TT | Chỉ tiêu | Năm 2026 |",
        "| I | Nông sản | |",
        "| 1 | Xoài | 13.500 |",
        "| 2 | Nhãn | 6.400 |",
    ]
