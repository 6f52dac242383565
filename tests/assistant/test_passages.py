"""Answer units of crawled pages: Markdown emphasis never glues a heading or paragraph to the next one."""

from __future__ import annotations

from assistant.passages import split_units


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
