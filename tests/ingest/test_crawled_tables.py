"""Tables of a web crawl (one cell per line between lone "|" lines) become one chunk per row."""

import hashlib
from pathlib import Path

from ingest.chunking import chunk_document
from ingest.cleaning import clean_text
from ingest.models import Chunk, LoadedDocument, Page


def text_doc(text: str) -> LoadedDocument:
    return LoadedDocument("bang.txt", Path("bang.txt"), "txt", [Page(None, text)], hashlib.sha256(text.encode()).hexdigest())


def rows_of(chunks: list[Chunk]) -> list[Chunk]:
    return [c for c in chunks if c.kind == "row"]


def crawled(*cells: str) -> str:
    """Crawl layout: each cell between lone pipes; "" is an empty gap (a row's end or an empty cell)."""
    out = ["|"]
    for cell in cells:
        out.extend([cell, "|"] if cell else ["|"])
    return "\n".join(out)


# A page crawled without a single blank line: a body between layout pipes, a signature, the annex caption, then
# a table whose group rows are bold and whose school name the crawl broke over two lines; text after it.
NO_BLANK_LINES = "\n".join(
    [
        "|",
        "**Điều 1.** Quy định mức học phí năm học 2025-2026 đối với các cơ sở giáo dục",
        "công lập chất lượng cao trên địa bàn thành phố theo Phụ lục kèm theo.",
        "**Điều 2.** Ủy ban nhân dân thành phố tổ chức thực hiện Nghị quyết này.",
        "**Điều 3.** Nghị quyết có hiệu lực từ ngày ký.",
        "Nơi nhận:",
        "- Như Điều 3;",
        "- Lưu: VT.",
        "|",
        "**CHỦ TỊCH**",
        "Nguyễn Văn An",
        "|",
        "**PHỤ LỤC**",
        "MỨC HỌC PHÍ NĂM HỌC 2025-2026",
        "*(Kèm theo Nghị quyết số 58/2025/NQ-HĐND)*",
        "*Đơn vị: Đồng/học sinh/tháng*",
        crawled(
            "**STT**", "**Tên đơn vị**", "**Mức học phí**", "",
            "**I**", "**CƠ SỞ GIÁO DỤC CHẤT LƯỢNG CAO**", "** **", "",
            "**14**", "**Trường Trung học cơ sở Lê Lợi**", "** **", "",
            "14.1", "Khối 6", "4.400.000", "",
            "14.2", "Khối 7", "4.400.000", "",
            "**15**", "**Trường Trung học phổ thông Phan Huy Chú - Đống\nĐa**", "", "",
            "15.1", "Khối 10", "6.100.000", "",
            "15.2", "Khối 11", "6.100.000", "",
            "**16**", "**Trường Trung học cơ sở Chu Văn An**", "4.200.000",
        ),
        "Nghị quyết 58/2025/NQ-HĐND quy định mức thu học phí đối với các cơ sở giáo dục",
        "Văn bản này chưa cập nhật nội dung Tiếng Anh",
        "Ban hành:",
        "01/12/2025",
        "Hiệu lực: Đã biết",
        "Tình trạng: Đã biết",
        "Cập nhật:",
        "13/12/2025",
        "|",
    ]
)


def test_table_of_a_page_without_blank_lines_gives_one_chunk_per_row() -> None:
    rows = rows_of(chunk_document(text_doc(NO_BLANK_LINES)))

    assert [r.text for r in rows] == [
        "| 14.1 | Khối 6 | 4.400.000 |",
        "| 14.2 | Khối 7 | 4.400.000 |",
        "| 15.1 | Khối 10 | 6.100.000 |",
        "| 15.2 | Khối 11 | 6.100.000 |",
        "| 16 | Trường Trung học cơ sở Chu Văn An | 4.200.000 |",
    ]
    khoi_10 = rows[2]
    assert khoi_10.columns == ("STT", "Tên đơn vị", "Mức học phí")
    assert khoi_10.cells == ("15.1", "Khối 10", "6.100.000")
    assert khoi_10.table_title == "PHỤ LỤC MỨC HỌC PHÍ NĂM HỌC 2025-2026"
    # The school the row belongs to (its bold group row, one name over two lines) is in the row's path.
    assert khoi_10.section_path == (
        "PHỤ LỤC MỨC HỌC PHÍ NĂM HỌC 2025-2026",
        "I CƠ SỞ GIÁO DỤC CHẤT LƯỢNG CAO",
        "15 Trường Trung học phổ thông Phan Huy Chú - Đống Đa",
        "15.1 Khối 10",
    )
    assert rows[0].section_path[-2] == "14 Trường Trung học cơ sở Lê Lợi"


def test_text_around_a_crawled_table_is_not_taken_into_it() -> None:
    chunks = chunk_document(text_doc(NO_BLANK_LINES))

    # The body between the layout pipes stays text, not a cell of a table.
    assert any("Điều 2." in c.text for c in chunks if c.kind != "row")
    # The text the crawl put after the last row, before the next pipe, is not a cell of that row.
    assert "Nghị quyết 58/2025" not in rows_of(chunks)[-1].text
    assert any("Văn bản này chưa cập nhật" in c.text for c in chunks if c.kind != "row")


def test_last_cell_left_open_by_the_crawl_ends_at_its_line() -> None:
    # No pipe after "71.500": the crawl ran the page's footer on in the same gap.
    text = "\n".join(
        [
            "**PHỤ LỤC**",
            "KINH PHÍ BỔ SUNG CHO CÁC ĐỊA PHƯƠNG",
            crawled(
                "**STT**", "**Địa phương**", "**Kinh phí**", "", "", "**TỔNG**", "**375.600**", "",
                "1", "TUYÊN QUANG", "152.100", "", "2", "CAO BẰNG", "68.900", "", "3", "CÀ MAU",
            ),
            "71.500",
            *[f"Văn bản liên quan số {k} được cập nhật ngày 13/12/2025" for k in range(1, 30)],
            "|",
        ]
    )

    rows = rows_of(chunk_document(text_doc(text)))

    assert [r.cells for r in rows] == [
        ("", "TỔNG", "375.600"),
        ("1", "TUYÊN QUANG", "152.100"),
        ("2", "CAO BẰNG", "68.900"),
        ("3", "CÀ MAU", "71.500"),
    ]
    assert rows[0].text == "| | TỔNG | 375.600 |"
    assert rows[-1].columns == ("STT", "Địa phương", "Kinh phí")


EMPTY_CELLS = "\n".join(
    [
        "Bảng 2: Tỷ lệ phân chia nguồn thu (%)",
        "",
        crawled(
            "STT", "Nội dung", "NS Trung ương", "NS Thành phố", "NS xã", "",
            "1", "Thuế tài nguyên", "", "100", "", "",
            "", "Phường Ba Đình", "", "89", "11", "",
            "2", "Lệ phí trước bạ", "", "", "100", "",
            "3", "Thuế thu nhập cá nhân", "60", "40", "",
        ),
        "",
        "Điều 3. Tổ chức thực hiện.",
    ]
)


def test_rows_with_empty_cells_keep_their_cells_in_their_columns() -> None:
    assert clean_text(EMPTY_CELLS).split("\n")[2:7] == [
        "| STT | Nội dung | NS Trung ương | NS Thành phố | NS xã |",
        "| 1 | Thuế tài nguyên | | 100 | |",
        "| | Phường Ba Đình | | 89 | 11 |",
        "| 2 | Lệ phí trước bạ | | | 100 |",
        "| 3 | Thuế thu nhập cá nhân | 60 | 40 | |",
    ]
    rows = rows_of(chunk_document(text_doc(EMPTY_CELLS)))

    assert [r.cells for r in rows] == [
        ("1", "Thuế tài nguyên", "", "100", ""),
        ("", "Phường Ba Đình", "", "89", "11"),
        ("2", "Lệ phí trước bạ", "", "", "100"),
        ("3", "Thuế thu nhập cá nhân", "60", "40", ""),
    ]
    assert all(r.columns == ("STT", "Nội dung", "NS Trung ương", "NS Thành phố", "NS xã") for r in rows)
    assert rows[1].section_path[-2:] == ("1 Thuế tài nguyên", "Phường Ba Đình")
    assert all(r.table_title == "Bảng 2: Tỷ lệ phân chia nguồn thu (%)" for r in rows)


def test_long_cells_do_not_end_a_table() -> None:
    # A cell that lists rules over many lines is still a cell, not text between two tables.
    rules = "\n".join(f"- Trên {k}.000 người được thêm {k} điểm" for k in range(1, 11))
    text = "\n".join(
        [
            "Bảng 3: Tiêu chí phân bổ",
            "",
            crawled("STT", "Tiêu chí", "Cách tính", "", "1", "Dân số", rules, "", "2", "Diện tích", "8 điểm", "",
                    "3", "Số xã", "4 điểm"),
        ]
    )

    rows = rows_of(chunk_document(text_doc(text)))

    assert [r.cells[:2] for r in rows] == [("1", "Dân số"), ("2", "Diện tích"), ("3", "Số xã")]
    assert rows[0].cells[2].startswith("- Trên 1.000 người") and rows[0].cells[2].endswith("thêm 10 điểm")


# Two annexes crawled as one pipe region with no blank line: the first one's header merges cells over two rows
# in a way no reading fits; the second, after its own caption, is a plain table and must still be read row by row.
TWO_ANNEXES = "\n".join(
    [
        "|",
        "**Điều 2.** Các bộ, cơ quan và địa phương tổ chức thực hiện Công điện này.",
        "|",
        "**THỦ TƯỚNG**",
        "Nguyễn Văn Bình",
        "|",
        "**PHỤ LỤC I**",
        "TỔNG HỢP KẾT QUẢ CẮT GIẢM THỦ TỤC",
        "*(Kèm theo Công điện số 75/CĐ-TTg)*",
        crawled(
            "**STT**", "**Bộ, cơ quan**", "**Đã cắt giảm**", "**Dự kiến cắt giảm**", "",
            "**Tổng số**", "", "**Đơn giản hóa**", "**Bãi bỏ**", "**Đơn giản hóa**", "**Bãi bỏ**", "**Ghi chú**", "",
            "1.", "Bộ Tư pháp", "12", "", "3", "",
            "**Cộng**", "**319**", "**21**", "", "",
        ),
        "**PHỤ LỤC II**",
        "KẾT QUẢ CUNG CẤP DỊCH VỤ CÔNG TRỰC TUYẾN",
        "*(Kèm theo Công điện số 75/CĐ-TTg)*",
        crawled(
            "**STT**", "**Địa phương**", "**Tổng số TTHC**", "**Tỷ lệ (%)**", "",
            "1.", "Sơn La", "1146", "87,26", "",
            "2.", "Lai Châu", "1010", "59,42", "",
            "3.", "Hà Tĩnh", "1188", "91,20", "",
            "4.", "Cao Bằng", "1090", "91,1",
        ),
    ]
)


def test_a_table_after_an_annex_that_reads_as_no_table_is_still_read_row_by_row() -> None:
    rows = rows_of(chunk_document(text_doc(TWO_ANNEXES)))
    son_la = [r for r in rows if "Sơn La" in r.text]
    assert son_la, [r.text for r in rows]
    assert "87,26" in son_la[0].text and "1146" in son_la[0].text
    assert son_la[0].table_title and "PHỤ LỤC II" in son_la[0].table_title
