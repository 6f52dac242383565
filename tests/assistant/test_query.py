"""Question understanding: periods, document hints, unaccented typing, follow-ups."""

from __future__ import annotations

import pytest

from assistant.query import understand


@pytest.mark.parametrize(
    ("question", "period"),
    [
        ("Kim ngạch xuất khẩu năm 2025 là bao nhiêu?", "2025"),
        ("Mục tiêu GRDP giai đoạn 2021-2025?", "2021-2025"),
        ("Kế hoạch 5 năm đặt tỷ lệ hộ nghèo giảm bao nhiêu?", "2021-2025"),
        ("Tăng trưởng GRDP 6 tháng đầu năm 2023", "6 tháng đầu năm 2023"),
        ("GRDP năm 2020 tăng bao nhiêu?", "2020"),
    ],
)
def test_the_period_a_question_names_is_found(question: str, period: str) -> None:
    assert understand(question).periods[0] == period


def test_unaccented_and_tone_variant_questions_read_the_same() -> None:
    accented = understand("Tỷ lệ đô thị hóa năm 2025 là bao nhiêu?")
    assert understand("ty le do thi hoa nam 2025 la bao nhieu").terms == accented.terms
    assert understand("Tỷ lệ đô thị hoá năm 2025 là bao nhiêu?").terms == accented.terms
    assert accented.periods == ("2025",)


def test_scaffolding_words_are_not_content_terms() -> None:
    intent = understand("Chỉ tiêu tỷ lệ người dân tham gia BHYT của tỉnh Bến Tre là bao nhiêu?")
    assert "bao" in intent.terms  # "bảo hiểm", expanded from BHYT; "bao nhiêu" is gone
    assert "nhieu" not in intent.terms and "tre" not in intent.terms
    assert intent.wants_figure


def test_document_hints() -> None:
    intent = understand("Theo báo cáo của UBND, tỷ lệ lao động qua đào tạo?")
    assert set(intent.doc_hints) >= {"báo cáo", "UBND"}


def test_followup_naming_only_a_period_replaces_the_period() -> None:
    intent = understand(
        "Còn năm 2025 thì sao?", ["Mục tiêu kim ngạch xuất khẩu giai đoạn 2021-2025 là bao nhiêu?"]
    )
    assert intent.interpreted == "Mục tiêu kim ngạch xuất khẩu năm 2025 là bao nhiêu?"
    assert intent.periods == ("2025",) and intent.is_followup


def test_followup_naming_a_bare_year() -> None:
    intent = understand("Thế còn 2020?", ["Tăng trưởng GRDP năm 2025 là bao nhiêu?"])
    assert intent.interpreted == "Tăng trưởng GRDP năm 2020 là bao nhiêu?"


def test_followup_naming_another_indicator_keeps_the_period() -> None:
    intent = understand("còn tỷ lệ hộ nghèo?", ["Tỷ lệ đô thị hóa năm 2025 là bao nhiêu?"])
    assert intent.interpreted == "Tỷ lệ hộ nghèo năm 2025 là bao nhiêu?"
    assert "ngheo" in intent.terms


def test_question_without_period_in_a_conversation_keeps_the_previous_period() -> None:
    intent = understand("Thông qua tại kỳ họp thứ mấy?", ["Nghị quyết kế hoạch 5 năm 2021-2025 do ai ký?"])
    assert intent.periods == ("2021-2025",)
    assert "nghị quyết" in intent.doc_hints
    assert "2021-2025" in intent.interpreted


def test_standalone_question_is_left_alone() -> None:
    intent = understand("Kim ngạch xuất khẩu năm 2025?", [])
    assert intent.interpreted == "Kim ngạch xuất khẩu năm 2025?" and not intent.is_followup
