"""Scoring rules an eval reader relies on: what counts as saying a figure, citing it, inventing one."""

from __future__ import annotations

import pytest

from assistant.models import Answer, Citation, RetrievedPassage
from evals.scoring import (
    EvalItem,
    aggregate,
    by_kind,
    contains_expected,
    evidence_in_citations,
    failure_reasons,
    first_hit_rank,
    invented_figures,
    missing_expected,
    percentile,
    score_error,
    score_item,
)

SOURCE = "004_0fe5ee8038d62b66.txt"
EVIDENCE = "c) Kim ngạch xuất khẩu\nđạt 1.850 triệu USD;"
QUOTE = "c) Kim ngạch xuất khẩu đạt 1.850 triệu USD;"


def citation(quote: str = QUOTE, source: str = SOURCE, n: int = 1, **extra: str) -> Citation:
    return Citation(n=n, source=source, title=extra.get("title", "Nghị quyết năm 2025"), location=extra.get(
        "location", "2. Các chỉ tiêu chủ yếu > c)"), quote=quote, date=extra.get("date"), period=extra.get("period"))


def answer(text: str, found: bool = True, citations: list[Citation] | None = None,
           retrieved: list[RetrievedPassage] | None = None) -> Answer:
    return Answer(answer=text, found=found, citations=citations if citations is not None else [citation()],
                  question_interpreted="q", retrieved=retrieved or [])


def item(**overrides: object) -> EvalItem:
    data: dict[str, object] = {
        "id": "fig-001",
        "question": "Chỉ tiêu kim ngạch xuất khẩu năm 2025?",
        "answerable": True,
        "expected": ["1.850 triệu USD"],
        "source": SOURCE,
        "evidence": EVIDENCE,
        "kind": "figure",
    }
    data.update(overrides)
    return EvalItem.model_validate(data)


# --- saying the expected string -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("answer_text", "expected", "says_it"),
    [
        ("kim ngạch xuất khẩu đạt 1.850 triệu USD [1].", "1.850 triệu USD", True),
        ("đạt 1850 triệu USD", "1.850 triệu USD", True),  # same value, compared as a number
        ("đạt 1 850 triệu USD", "1.850 triệu USD", False),  # two numbers, not the figure
        ("đạt 11.850 triệu USD", "1.850 triệu USD", False),  # a longer figure is another figure
        ("đạt 1.850,5 triệu USD", "1.850 triệu USD", False),
        ("đạt 1.850 tỷ USD", "1.850 triệu USD", False),  # the unit is part of the figure
        ("GRDP năm là 6,0% - 6,5%", "6,0% - 6,5%", True),
        ("GRDP năm là 6,0%-6,5%", "6,0% - 6,5%", True),  # spacing around symbols is layout
        ("GRDP năm là 6,0 - 6,5", "6,0% - 6,5%", False),  # the percent sign is meaning
        ("GRDP năm là 6,0% – 6,5%", "6,0% - 6,5%", True),  # en dash for hyphen
        ("tăng 6,50%", "6,5%", True),  # 6,50 and 6,5 are the same value
        ("tăng 6,5%", "6,50%", True),
        ("tăng 65%", "6,5%", False),
        ("Tỷ lệ đô thị hoá khoảng 30%", "đô thị hóa khoảng 30%", True),  # tone placement
        ("TỶ LỆ ĐÔ THỊ HÓA", "tỷ lệ đô thị hóa", True),  # case
        ("tỷ lệ đô  thị\nhóa", "tỷ lệ đô thị hóa", True),  # whitespace and line breaks
        ("ty le do thi hoa", "tỷ lệ đô thị hóa", False),  # diacritics are not optional in answers
        ("thu nội địa 6.300 tỷ đồng", "6.388,3 tỷ đồng", False),
        ("đạt 6.388,3 tỷ đồng [2]", "6.388,3 tỷ đồng", True),
        ("xuất khẩu [1] 1.850 triệu USD", "1.850 triệu USD", True),
        ("1.657/1.840 người", "1.657/1.840", True),
        ("1.657 / 1.840 người", "1.657/1.840", True),
        ("1.657 1.840 người", "1.657/1.840", False),
        ("ông Phan Văn Mãi ký", "Phan Văn Mãi", True),
        ("huyện Châu Thành, Thạnh Phú", "Châu Thành, Thạnh Phú", True),
        ("Thạnh Phú, Châu Thành", "Châu Thành, Thạnh Phú", False),  # order matters
        ("trên 1.950 ha nuôi tôm", "1.950ha", True),  # a glued unit is still the figure and its unit
        ("trên 1.950ha nuôi tôm", "1.950 ha", True),
        ("trên 1.950ha nuôi tôm", "950ha", False),
    ],
)
def test_contains_expected(answer_text: str, expected: str, says_it: bool) -> None:
    assert contains_expected(answer_text, expected) is says_it


def test_citation_marker_is_not_the_figure() -> None:
    # "[1]" must not stand in for an expected "1".
    assert not contains_expected("Có [1] xã đạt chuẩn.", "1 xã")


def test_missing_expected_lists_what_is_absent() -> None:
    text = "Khu vực I: 33,10%; Khu vực II: 21,64%"
    assert missing_expected(text, ["33,10%", "21,64%", "41,97%"]) == ["41,97%"]


# --- citations ------------------------------------------------------------------------------------


def test_evidence_with_pdf_line_breaks_lies_in_a_quote_that_joined_them() -> None:
    assert evidence_in_citations([citation()], SOURCE, EVIDENCE)


def test_evidence_in_another_documents_quote_does_not_count() -> None:
    assert not evidence_in_citations([citation(source="002_dafdf37ecc6638ab.txt")], SOURCE, EVIDENCE)


def test_quote_shorter_than_the_evidence_does_not_count() -> None:
    assert not evidence_in_citations([citation(quote="đạt 1.850 triệu USD")], SOURCE, EVIDENCE)


def test_evidence_compared_after_nfc() -> None:
    decomposed = "c) Kim nga\u0323ch xuất khẩu đạt 1.850 triệu USD;"
    assert evidence_in_citations([citation(quote=decomposed)], SOURCE, EVIDENCE)


# --- invented figures -----------------------------------------------------------------------------


def test_figure_from_the_quote_is_not_invented() -> None:
    assert invented_figures("Kim ngạch đạt 1.850 triệu USD [1].", [citation()], ["năm 2025?"]) == []


def test_rounded_figure_is_invented() -> None:
    assert invented_figures("Kim ngạch khoảng 1,9 tỷ USD [1].", [citation()], []) == ["1,9"]


def test_figures_from_the_question_and_document_metadata_are_allowed() -> None:
    cited = citation(date="06/12/2024", period="năm 2025", title="Nghị quyết số 12/2024/NQ-HĐND")
    text = "Theo Nghị quyết số 12/2024/NQ-HĐND (thông qua ngày 06/12/2024), năm 2025 đạt 1.850 triệu USD [1]."
    assert invented_figures(text, [cited], ["Xuất khẩu năm 2025?"]) == []


def test_figure_glued_to_its_unit_is_checked() -> None:
    cited = [citation(quote="trên 1.950ha nuôi tôm công nghệ cao")]
    assert invented_figures("trên 1.950 ha [1]", cited, []) == []
    assert invented_figures("trên 2.000ha [1]", cited, []) == ["2.000"]


def test_citation_markers_are_not_figures() -> None:
    assert invented_figures("đạt 1.850 triệu USD [3][4]", [citation()], []) == []


def test_number_written_differently_but_same_value_is_not_invented() -> None:
    assert invented_figures("đạt 1850 triệu USD", [citation()], []) == []


def test_uncited_figure_is_invented_even_if_true_elsewhere() -> None:
    assert invented_figures("đạt 1.850 triệu USD", [], []) == ["1.850"]


# --- retrieval ------------------------------------------------------------------------------------


def passage(rank: int, text: str, source: str = SOURCE) -> RetrievedPassage:
    return RetrievedPassage(rank=rank, chunk_id=f"{source}#{rank}", source=source, text=text)


def test_first_hit_rank_is_the_first_right_passage() -> None:
    retrieved = [passage(1, "khác"), passage(2, QUOTE, source="002_dafdf37ecc6638ab.txt"), passage(3, "x " + QUOTE)]
    assert first_hit_rank(retrieved, SOURCE, EVIDENCE) == 3


def test_no_hit_is_none() -> None:
    assert first_hit_rank([passage(1, "khác")], SOURCE, EVIDENCE) is None


# --- one item and aggregates ----------------------------------------------------------------------


def test_right_answer_passes() -> None:
    score = score_item(item(), answer("đạt 1.850 triệu USD [1]", retrieved=[passage(1, QUOTE)]), 12.0)
    assert score.correct and score.citation_ok and score.passed
    assert score.hit_rank == 1


def test_right_figure_without_the_evidence_cited_fails_on_citation() -> None:
    score = score_item(item(), answer("đạt 1.850 triệu USD [1]", citations=[citation(quote="đạt 1.850 triệu USD")]), 1.0)
    assert score.correct and not score.citation_ok and not score.passed
    assert failure_reasons(score) == ["evidence not in a cited quote of the right document"]


def test_refusing_an_answerable_question_fails() -> None:
    score = score_item(item(), answer("Tài liệu không có thông tin.", found=False, citations=[]), 1.0)
    assert not score.correct and not score.refusal_ok and not score.citation_ok
    assert failure_reasons(score)[0] == "refused an answerable question"


def test_unanswerable_refused_passes_and_answered_fails() -> None:
    unanswerable = item(id="un-1", answerable=False, expected=[], source=None, evidence=None, kind="unanswerable")
    refused = score_item(unanswerable, answer("Không có thông tin.", found=False, citations=[]), 1.0)
    answered = score_item(unanswerable, answer("đạt 1.850 triệu USD [1]"), 1.0)
    assert refused.passed and refused.refusal_ok
    assert not answered.passed and failure_reasons(answered) == ["answered an unanswerable question"]


def test_extra_evidence_must_each_be_cited() -> None:
    other = "002_dafdf37ecc6638ab.txt"
    multi = item(kind="multi", extra_evidence=[{"source": other, "evidence": "đạt 8,5%-9,5%"}])
    only_one = score_item(multi, answer("đạt 1.850 triệu USD [1]"), 1.0)
    both = score_item(multi, answer("1.850 triệu USD [1]; 8,5%-9,5% [2]", citations=[
        citation(), citation(quote="GRDP bình quân đạt 8,5%-9,5%.", source=other, n=2)]), 1.0)
    assert not only_one.citation_ok
    assert both.citation_ok and both.passed


def test_answerable_item_without_evidence_is_rejected_with_a_clear_message() -> None:
    with pytest.raises(ValueError, match="needs non-empty 'expected', 'source' and 'evidence'"):
        item(evidence=None)


def test_unknown_kind_is_rejected() -> None:
    with pytest.raises(ValueError):
        item(kind="figures")


def test_aggregate_rates_and_split() -> None:
    unanswerable = item(id="un-1", answerable=False, expected=[], source=None, evidence=None, kind="unanswerable")
    scores = [
        score_item(item(id="a"), answer("1.850 triệu USD [1]", retrieved=[passage(1, QUOTE)]), 10.0),
        score_item(item(id="b"), answer("khoảng 1,9 tỷ USD"), 20.0),  # wrong and invented, cites the evidence
        score_item(item(id="c"), answer("Không có.", found=False, citations=[],
                                        retrieved=[passage(1, "x"), passage(2, QUOTE)]), 30.0),
        score_item(unanswerable, answer("Không có.", found=False, citations=[]), 40.0),
        score_error(item(id="e"), "RuntimeError: boom"),
    ]
    m = aggregate(scores)
    assert (m.n_items, m.n_answerable, m.n_unanswerable) == (5, 4, 1)
    assert m.answer_accuracy == pytest.approx(1 / 4)
    assert m.citation_accuracy == pytest.approx(2 / 4)
    assert m.refusal_accuracy == pytest.approx(3 / 5)  # a, b answered; unanswerable refused
    assert m.refusal_recall == 1.0
    assert m.refusal_balanced_accuracy == pytest.approx((1.0 + 2 / 4) / 2)
    assert m.false_refusal_rate == pytest.approx(2 / 4)  # c refused, e errored
    assert m.invented_figure_answers == 1
    assert m.hit_at_1 == pytest.approx(1 / 4) and m.hit_at_5 == pytest.approx(2 / 4)
    assert m.mrr == pytest.approx((1 + 0.5) / 4)
    assert m.latency_p50_ms == pytest.approx(25.0)
    assert m.passed == 2 and m.errors == 1
    kinds = {k.kind: k for k in by_kind(scores)}
    assert list(kinds) == ["figure", "unanswerable"]
    assert kinds["unanswerable"].accuracy == 1.0 and kinds["figure"].n == 4


def test_percentile_interpolates() -> None:
    assert percentile([], 50) is None
    assert percentile([5.0], 95) == 5.0
    assert percentile([1.0, 2.0, 3.0, 4.0], 50) == pytest.approx(2.5)
    assert percentile(list(map(float, range(1, 101))), 95) == pytest.approx(95.05)
