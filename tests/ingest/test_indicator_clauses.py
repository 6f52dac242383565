"""Indicator records read from report and resolution sentences as the documents write them: figures in a
remark on another period, cumulative and acronym counts, siblings named under their subject. One passage
each, made here (no index needed)."""

from __future__ import annotations

from ingest.indicators import ACHIEVED, IndicatorRecord, extract_indicators
from vectorstore.index import StoredChunk


def _report(text: str, period: str = "2020") -> list[IndicatorRecord]:
    """The records of one paragraph of a year's report."""
    chunk = StoredChunk("bc.txt#0001@x", "bc.txt", 1, text, section="I. Kết quả", metadata={"section_path": ["I. Kết quả"]})
    return extract_indicators([chunk], {"source": "bc.txt", "kind": "Báo cáo", "period": period})


def _target_item(text: str, period: str) -> list[IndicatorRecord]:
    """The records of one item under a resolution's "Các chỉ tiêu chủ yếu"."""
    meta = {"chunk_kind": "item", "section_path": ["2. Các chỉ tiêu chủ yếu"]}
    chunk = StoredChunk("nq.txt#0001@x", "nq.txt", 1, text, section="2. Các chỉ tiêu chủ yếu", metadata=meta)
    return extract_indicators([chunk], {"source": "nq.txt", "kind": "Nghị quyết", "period": period})


def _by_value(records: list[IndicatorRecord]) -> dict[str, IndicatorRecord]:
    return {r.value_text: r for r in records}


def test_a_remark_giving_another_periods_figure_is_that_periods_record_sign_included() -> None:
    records = _by_value(_report(
        "Khu vực dịch vụ đạt mức tăng trưởng dương cả năm, đạt 1,29% (6 tháng đầu năm tăng trưởng âm 2,07%)."
    ))
    assert records["1,29%"].period == "2020"
    first_half = records["âm 2,07%"]  # "âm" is the figure's sign: the document's words, not 2,07%
    assert first_half.period == "6 tháng đầu năm 2020"
    assert first_half.status == ACHIEVED
    # The remark measures the figure it follows: one indicator, two periods.
    assert first_half.indicator == records["1,29%"].indicator
    assert "dịch vụ" in first_half.indicator.lower()


def test_a_remark_of_the_same_period_stays_context_and_a_compared_year_is_not_the_period() -> None:
    records = _by_value(_report("Giá trị sản xuất công nghiệp ước đạt 1.240 tỷ đồng (tăng 7,2% so với cùng kỳ năm 2019)."))
    assert list(records) == ["1.240 tỷ đồng"]
    assert records["1.240 tỷ đồng"].period == "2020"  # "so với cùng kỳ năm 2019" is what it is compared with


def test_the_whole_year_between_verb_and_figure_still_introduces_it() -> None:
    records = _by_value(_report(
        "Mặc dù trong 6 tháng đầu năm tăng trưởng ngành nông nghiệp giảm sâu, nhưng sản xuất khu vực I "
        "đã phục hồi và đạt mức tăng trưởng dương cả năm 0,12%."
    ))
    # The first half named earlier in the sentence is not this figure's period.
    assert records["0,12%"].period == "2020"
    assert "khu vực I" in records["0,12%"].indicator


def test_cumulative_and_newly_recognised_counts_are_records() -> None:
    records = _by_value(_report(
        "Ước đến cuối năm 2020, công nhận thêm 06 xã đạt chuẩn; lũy kế có 55 xã đạt 19 tiêu chí."
    ))
    assert records["06 xã"].period == "2020"
    assert "công nhận" in records["06 xã"].indicator
    assert records["55 xã"].period == "2020"
    assert "lũy kế" in records["55 xã"].indicator


def test_a_count_of_an_acronym_is_a_record() -> None:
    records = _by_value(_report("Từ đầu năm đến nay, có 320 DN đăng ký thành lập mới.", period="2021"))
    assert records["320 DN"].unit == "DN"


def test_siblings_hang_under_their_subject_and_a_new_sentence_ends_a_breakdown() -> None:
    records = _by_value(_target_item(
        "t) Xây dựng lực lượng dân quân tự vệ đạt 1,66% so với dân số, trong đó lực lượng tự vệ đạt 60% trở lên. "
        "Huấn luyện lực lượng thường trực hàng năm đạt 100%, dự bị động viên đạt 98,5% và dân quân tự vệ đạt "
        "80% trở lên so với tổng lực lượng;",
        "2021-2025",
    ))
    assert records["100%"].indicator == "Huấn luyện lực lượng thường trực"
    assert records["98,5%"].indicator == "Huấn luyện lực lượng thường trực: dự bị động viên"
    assert records["80% trở lên"].indicator == "Huấn luyện lực lượng thường trực: dân quân tự vệ"


def test_a_period_before_the_verb_is_not_the_indicators_name() -> None:
    records = _by_value(_target_item(
        "c) Phát triển công nghiệp năng lượng; phấn đấu đến năm 2025 phát triển ít nhất 1.500 MW điện tái tạo;",
        "2021-2025",
    ))
    assert records["ít nhất 1.500 MW"].indicator == "phát triển điện tái tạo"
    assert records["ít nhất 1.500 MW"].period == "2025"


def test_a_figure_written_against_its_unit_is_read_whole_and_named_by_its_own_words() -> None:
    records = _by_value(_report(
        "Tỉnh có hơn 74.000ha trồng dừa và trên 1.950ha nuôi tôm công nghệ cao; đang là lợi thế.", period="2021"
    ))
    assert records["hơn 74.000ha"].numbers == (74000.0,)
    assert records["hơn 74.000ha"].indicator.endswith("trồng dừa")
    assert records["trên 1.950ha"].numbers == (1950.0,)
    assert records["trên 1.950ha"].indicator == "nuôi tôm công nghệ cao"


def test_an_area_planned_is_named_by_what_follows_it() -> None:
    records = _by_value(_target_item("Hoàn thành kế hoạch phát triển 4.000 ha nuôi tôm biển công nghệ cao;", "2025"))
    assert records["4.000 ha"].indicator.endswith("nuôi tôm biển công nghệ cao")
    assert records["4.000 ha"].period == "2025"


def test_a_share_of_the_plan_is_a_result_whatever_verb_brings_it() -> None:
    records = _by_value(_report("Tỉnh đẩy nhanh tiến độ, vốn ODA thực hiện giải ngân 100% kế hoạch vốn đầu tư công.", "2021"))
    assert records["100%"].comparison == "100% kế hoạch vốn đầu tư công"
    assert "giải ngân" in records["100%"].indicator


def _plan_document(*paragraphs: str, period: str = "2031-2035") -> list[IndicatorRecord]:
    """The records of a plan's target paragraphs, read as one document (the counted nouns of one paragraph
    tell where those of another end)."""
    meta = {"chunk_kind": "item", "section_path": ["1. Các chỉ tiêu chủ yếu"]}
    chunks = [
        StoredChunk(f"kh.txt#{i:04d}@x", "kh.txt", i, text, section="1. Các chỉ tiêu chủ yếu", metadata=meta)
        for i, text in enumerate(paragraphs, start=1)
    ]
    return extract_indicators(chunks, {"source": "kh.txt", "kind": "Kế hoạch", "period": period})


def test_a_counted_noun_ends_where_the_document_writes_it_with_other_words() -> None:
    records = _by_value(_plan_document(
        "a) Thành lập mới 300 hợp tác xã với vốn điều lệ 90 tỷ đồng, trong đó 40 hợp tác xã chuyển đổi số, "
        "25 hợp tác xã thủy sản;",
        "b) Xây dựng tối thiểu 06 mô hình thí điểm dữ liệu cấp huyện.",
        "c) Hỗ trợ các mô hình sản xuất sạch.",
    ))
    # "hợp tác xã" is written with other words after it: the noun counted is "hợp tác xã", what follows says
    # which ones (and names the indicator).
    assert "25 hợp tác xã" in records
    assert "thủy sản" in records["25 hợp tác xã"].indicator
    # "mô hình" is listed elsewhere with other words after it ("các mô hình sản xuất"): the count is "06 mô hình".
    assert "tối thiểu 06 mô hình" in records
    assert "thí điểm" in records["tối thiểu 06 mô hình"].indicator


def test_a_compound_the_document_always_writes_whole_stays_whole() -> None:
    # "trạm quan trắc" is written with other words after it, but its own head "trạm quan" never is.
    records = _by_value(_plan_document("a) Có 12 trạm quan trắc; các trạm quan trắc được nâng cấp."))
    assert "12 trạm quan trắc" in records


def test_a_rate_per_year_covers_the_later_clauses_of_its_sentence() -> None:
    records = _by_value(_plan_document(
        "- Phấn đấu mỗi năm phát triển từ 03 sản phẩm dịch vụ công trực tuyến; có tối thiểu 02 nền tảng "
        "dùng chung cấp tỉnh. Đến năm 2035, có ít nhất 10 nền tảng số.",
        "- Các nền tảng số được kết nối.",
    ))
    assert records["tối thiểu 02 nền tảng"].period == "2031-2035"
    # A new sentence that names its own year is that year's.
    assert records["ít nhất 10 nền tảng"].period == "2035"


def test_a_signed_figure_in_parentheses_after_how_much_it_moved_is_that_periods_record() -> None:
    records = _by_value(_report(
        "Dù trong 6 tháng đầu năm sản lượng ngành thủy sản giảm mạnh (-4,2%), nhưng cả năm sản lượng thủy "
        "sản vẫn đạt 1,05%."
    ))
    # The minus sign is the document's: the figure as written, and a number below zero.
    first_half = records["-4,2%"]
    assert first_half.numbers == (-4.2,)
    assert first_half.period == "6 tháng đầu năm 2020"
    assert "thủy sản" in first_half.indicator and "(" not in first_half.indicator
    assert records["1,05%"].period == "2020"
    # A range or a reference keeps its dash: "4%-4,7%" is one value, not a figure below zero.
    assert list(_by_value(_report("Khu vực I tăng 4%-4,7%/năm."))) == ["4%-4,7%/năm"]
