"""Answer units of crawled pages: Markdown emphasis never glues a heading or paragraph to the next one."""

from __future__ import annotations

from assistant.passages import figures_in, split_units


def test_a_bold_lead_and_a_bold_heading_end_their_units() -> None:
    text = (
        "**Ngày 3/12/2025, Thủ tướng ban hành Quyết định 2639/QĐ-TTg về bổ sung kinh phí (đợt 2).****"
        "Bổ sung 2.615 tỷ đồng cho 27 địa phương **\nTrên cơ sở đề nghị của Bộ Tài chính tại văn bản số 18345/BTC-NSNN."
    )
    units = [t for t, _ in split_units(text)]
    assert units == [
        "Ngày 3/12/2025, Thủ tướng ban hành Quyết định 2639/QĐ-TTg về bổ sung kinh phí (đợt 2).",
        "Bổ sung 2.615 tỷ đồng cho 27 địa phương",
        "Trên cơ sở đề nghị của Bộ Tài chính tại văn bản số 18345/BTC-NSNN.",
    ]


def test_emphasis_inside_a_sentence_is_only_styling() -> None:
    units = split_units("Tăng trưởng 9 tháng ước đạt **8,19%**, thuộc nhóm **cao nhất** cả nước. Vốn đạt **THƯ VIỆN** số liệu.")
    assert [t for t, _ in units] == [
        "Tăng trưởng 9 tháng ước đạt 8,19%, thuộc nhóm cao nhất cả nước.",
        "Vốn đạt THƯ VIỆN số liệu.",
    ]


def test_telephone_numbers_and_the_next_table_cell_are_not_figures_or_units() -> None:
    assert figures_in("- Hỗ trợ: (028) 3930.3279 _ 0906.229966") == []
    assert figures_in("Điện thoại: 0275.3822.123") == []
    assert [f.raw for f in figures_in("Có 02 xã đạt 19 tiêu chí; GRDP tăng 0,5%.")] == ["02", "19", "0,5"]
    row = figures_in("| 14. | Lai Châu | 1751 | 94,9% |")
    assert [(f.raw, f.unit) for f in row] == [("14", ()), ("1751", ()), ("94,9", ("%",))]
