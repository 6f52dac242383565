"""Question understanding: periods, document hints, unaccented typing, follow-ups."""

from __future__ import annotations

import pytest

from assistant.document_refs import DocumentRef
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
    bare = understand("ty le do thi hoa nam 2025 la bao nhieu")
    # Without accents "đô thị" cannot be told from the stop words "do", "thì"; the rest is the same.
    assert accented.terms == ("ty", "le", "do", "thi", "hoa") and bare.terms == ("ty", "le", "hoa")
    assert bare.periods == accented.periods == ("2025",)
    assert understand("Tỷ lệ đô thị hoá năm 2025 là bao nhiêu?").terms == accented.terms


def test_scaffolding_words_are_not_content_terms() -> None:
    intent = understand("Chỉ tiêu tỷ lệ người dân tham gia BHYT của tỉnh Bến Tre là bao nhiêu?")
    assert "bao" in intent.terms  # "bảo hiểm", expanded from BHYT; "bao nhiêu" is gone
    assert "nhieu" not in intent.terms
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


def test_a_ruled_out_clause_is_neither_period_nor_indicator() -> None:
    intent = understand("Giá trị xuất khẩu cà phê năm 2028 (không phải mục tiêu 2030) là bao nhiêu?")
    assert intent.periods == ("2028",)
    sibling = understand("Tổng thu ngân sách cấp tỉnh (chứ không phải tổng thu NSĐP) là bao nhiêu?")
    assert "phuong" not in sibling.terms and "phuong" in sibling.excluded
    assert intent.normalized == "Giá trị xuất khẩu cà phê năm 2028 là bao nhiêu?"
    # Unbracketed, "không phải" is part of the question ("does not have to").
    kept = understand("Có bao nhiêu xã giữ nguyên, không phải sắp xếp?")
    assert "sap" in kept.terms and not kept.excluded


def test_followup_keeps_a_deadline_as_a_deadline() -> None:
    # "đến 2030" asks a plan's target; "năm 2030" alone would ask that year's own figure.
    intent = understand("Còn phủ sóng 5G thì mục tiêu thế nào?", ["Tỷ lệ hộ dùng cáp quang đến 2030 là bao nhiêu?"])
    assert intent.interpreted == "Phủ sóng 5G thì mục tiêu đến năm 2030 là bao nhiêu?"
    plain = understand("Còn phủ sóng 5G thì sao?", ["Tỷ lệ hộ dùng cáp quang năm 2030 là bao nhiêu?"])
    assert plain.interpreted == "Phủ sóng 5G năm 2030 là bao nhiêu?"


def test_question_without_period_in_a_conversation_keeps_the_previous_period() -> None:
    intent = understand("Thông qua tại kỳ họp thứ mấy?", ["Nghị quyết kế hoạch 5 năm 2021-2025 do ai ký?"])
    assert intent.periods == ("2021-2025",)
    assert "nghị quyết" in intent.doc_hints
    assert "2021-2025" in intent.interpreted


def test_standalone_question_is_left_alone() -> None:
    intent = understand("Kim ngạch xuất khẩu năm 2025?", [])
    assert intent.interpreted == "Kim ngạch xuất khẩu năm 2025?" and not intent.is_followup


def test_a_year_inside_the_plan_period_named_is_a_date_in_that_plan() -> None:
    intent = understand("Kế hoạch 5 năm 2021-2025 đặt tỷ lệ hộ nghèo đến cuối năm 2025 là bao nhiêu?")
    assert intent.periods == ("2021-2025",)
    assert understand("Tỷ lệ hộ nghèo năm 2025 và giai đoạn 2016-2020?").periods == ("2016-2020", "2025")


def test_a_deadline_question_does_not_ask_for_a_figure() -> None:
    assert not understand("Đến khi nào phải hoàn thành xóa nhà tạm?").wants_figure
    assert understand("Đến khi nào và bao nhiêu căn nhà tạm phải xóa?").wants_figure


def test_words_naming_the_source_are_not_indicator_terms() -> None:
    intent = understand("Hội nghị Tỉnh ủy sơ kết 6 tháng đầu năm 2023 đánh giá tỷ lệ hộ nghèo bao nhiêu?")
    assert "tin" in intent.doc_hints
    assert intent.terms == ("ty", "le", "ho", "ngheo")


def test_who_questions_ask_for_a_person() -> None:
    assert understand("Ai phát biểu chỉ đạo tại hội nghị?").asks_person
    assert "ai" not in understand("Ai phát biểu chỉ đạo tại hội nghị?").terms
    assert not understand("Tỷ lệ hộ nghèo là bao nhiêu?").asks_person


def test_an_article_is_no_question_about_its_author() -> None:
    # "bài viết" folds to "bai viet": the words "ai viết" stand inside it, but nobody asked who wrote.
    assert understand("Theo bài viết của Bí thư, ai chỉ đạo phòng chống dịch?").asks_person
    # "Ai viết" itself still asks for the author, answered from the signature block, not as a person question.
    assert not understand("Ai viết bài viết về phòng chống dịch?").asks_person


def test_context_carries_over_several_follow_ups() -> None:
    history = ["Hội nghị Tỉnh ủy sơ kết 6 tháng đầu năm 2023 tổ chức ngày nào?", "Ai phát biểu chỉ đạo?"]
    intent = understand("Ông ấy yêu cầu các cấp ủy làm gì?", history)
    assert intent.periods == ("6 tháng đầu năm 2023",) and "tin" in intent.doc_hints
    followup = understand(
        "Còn giai đoạn 2021-2025 thì sao?", ["Tỷ lệ đô thị hóa năm 2025?", "còn tỷ lệ hộ nghèo?"]
    )
    assert followup.interpreted == "Tỷ lệ hộ nghèo giai đoạn 2021-2025 là bao nhiêu?"


def test_a_question_naming_only_a_period_continues_the_conversation() -> None:
    intent = understand("Vậy năm 2020 đạt bao nhiêu?", ["Tăng trưởng GRDP năm 2025 là bao nhiêu?"])
    assert intent.interpreted == "Tăng trưởng GRDP năm 2020 là bao nhiêu?" and intent.is_followup
    assert understand("Vậy năm 2020 đạt bao nhiêu?").interpreted == "Vậy năm 2020 đạt bao nhiêu?"


def test_a_content_word_that_folds_onto_a_stop_word_is_kept_when_written_with_its_accents() -> None:
    # "tái tạo" folds like "tại", "đất" like "đạt": the accents tell them apart.
    assert understand("Phát triển bao nhiêu MW điện tái tạo?").terms == (
        "phat",
        "trien",
        "mw",
        "dien",
        "tai",
        "tao",
    )
    assert "dat" in understand("Diện tích đất nông nghiệp là bao nhiêu?").terms
    assert "dat" not in understand("Kim ngạch xuất khẩu đạt bao nhiêu?").terms


def test_a_restorer_tells_content_words_from_stop_words_in_an_unaccented_question() -> None:
    def restore(text: str) -> str:
        return text.replace("do thi", "đô thị")

    assert understand("ty le do thi hoa nam 2025", restore=restore).terms == ("ty", "le", "do", "thi", "hoa")


def test_administrative_abbreviations_are_spelt_out() -> None:
    intent = understand("BC điều hành 2020: KT-XH và các DA trọng điểm của KH 2021-2025, trường ĐH")
    assert "báo cáo" in intent.doc_hints
    for word in ("kinh", "te", "xa", "hoi", "du", "an", "ke", "hoach", "dai", "hoc"):
        assert word in intent.terms
    # Lower-case "da" is the word "đã", not the abbreviation of "dự án".
    assert "du" not in understand("Các da trọng điểm").terms


def test_in_an_accented_question_unaccented_units_and_content_words_stay() -> None:
    assert understand("Diện tích trồng dừa bao nhiêu ha?").terms == ("dien", "tich", "trong", "dua", "ha")
    assert understand("Có bao nhiêu DN giải thể?").terms == ("doanh", "nghiep", "giai", "the")


def test_a_reference_to_the_secretary_s_article_names_the_document() -> None:
    intent = understand(
        "bai cua bi thu tinh uy nam 2021 yeu cau giai ngan bao nhieu phan tram von dau tu cong"
    )
    assert intent.doc_hints == ("bài viết",)
    assert "bai" not in intent.terms and "uy" not in intent.terms


def test_toi_reads_as_den_and_dbscl_is_spelt_out() -> None:
    intent = understand("Tới 2025 Bến Tre phấn đấu thành tỉnh thế nào của vùng ĐBSCL?")
    assert "toi" not in intent.terms
    assert intent.terms[-5:] == ("dong", "bang", "song", "cuu", "long")


def test_report_shorthand_is_spelt_out() -> None:
    intent = understand("9 tháng 2021 GTSX CN-TTCN giảm bao nhiêu %, vốn đầu tư toàn XH vượt dự toán TW?")
    for word in ("gia", "tri", "san", "xuat", "cong", "nghiep", "tieu", "thu", "xa", "hoi", "trung", "uong"):
        assert word in intent.terms
    # "KH&CN" is science and technology, not a plan.
    science = understand("Đề án KH&CN").terms
    assert {"khoa", "hoc", "cong", "nghe"} <= set(science) and "hoach" not in science


def test_a_month_of_a_year_is_that_year_and_not_an_indicator_word() -> None:
    intent = understand("T9/2021 tổng số DN đang hoạt động là bao nhiêu?")
    assert intent.periods == ("2021",)
    assert "t" not in intent.terms


def test_shortened_half_year_phrases_name_the_half_year() -> None:
    for question in ("Sơ kết 6 tháng 2023 GRDP tăng bao nhiêu?", "GRDP nửa đầu năm 2023?", "GRDP H1/2023?"):
        assert understand(question).periods == ("6 tháng đầu năm 2023",), question
    # A date is not a half-year.
    assert understand("Hội nghị ngày 16 tháng 6 năm 2023 bàn gì?").periods == ("2023",)


def test_a_comparison_follow_up_is_about_the_previous_indicator() -> None:
    intent = understand(
        "So với cùng kỳ 2020 thì bằng bao nhiêu?",
        ["9 tháng đầu năm 2021 có bao nhiêu DN đăng ký tạm ngừng hoạt động?"],
    )
    assert intent.is_followup
    assert {"tam", "ngung", "doanh", "nghiep"} <= set(intent.terms)
    # The year compared with is not the period asked about.
    assert intent.periods == ("2021",)


def test_a_follow_up_with_its_own_question_word_keeps_it() -> None:
    intent = understand(
        "Còn huyện nào chỉ cơ bản đạt chuẩn?", ["Năm 2025 những huyện nào phấn đấu đạt chuẩn huyện NTM?"]
    )
    assert intent.interpreted == "Huyện nào chỉ cơ bản đạt chuẩn năm 2025?"


@pytest.mark.parametrize(
    ("question", "periods"),
    [
        # Two-digit years after a period word, as officials type them.
        ("Mục tiêu giai đoạn 21-25 và năm 2020 thế nào?", ("2021-2025", "2020")),
        ("Thời kỳ 16-20 so với năm 2021?", ("2016-2020", "2021")),
        # "GĐ" before a span is "giai đoạn", not "giáo dục".
        ("GĐ 2026-2030 so với năm 2025?", ("2026-2030", "2025")),
        # The end of a span shortened, and spaces around the dash.
        ("Kế hoạch 2026-30 so với năm 2025?", ("2026-2030", "2025")),
        ("Kế hoạch 2026 - 2030 so với năm 2025?", ("2026-2030", "2025")),
        # Not a period: an age band, a percentage after a year.
        ("Thanh niên 18-25 tuổi năm 2024 có bao nhiêu?", ("2024",)),
        ("Năm 2024 tăng 2024-25% là sai?", ("2024",)),
    ],
)
def test_short_forms_of_a_plan_period_are_read_as_that_period(
    question: str, periods: tuple[str, ...]
) -> None:
    from assistant.query import named_periods

    assert named_periods(question) == periods


def test_gd_before_a_span_is_no_indicator_word_and_kv_is_khu_vuc() -> None:
    intent = understand("Tỷ lệ hộ nghèo GĐ 2026-2030?")
    assert intent.periods == ("2026-2030",) and "giao" not in intent.terms
    assert understand("KV II năm 2024 tăng bao nhiêu?").terms[:3] == ("khu", "vuc", "ii")
    # "GD" not before a span is still education.
    assert "giao" in understand("Ngành GD tỉnh có bao nhiêu trường?").terms


def test_a_document_named_by_its_full_symbol_is_a_reference_and_none_of_its_words_an_indicator() -> None:
    alone = understand("Theo 58/2025/NQ-HĐND, học phí trường chất lượng cao là bao nhiêu?")
    assert alone.document_refs == (DocumentRef("58", "2025", "nq"),)
    assert alone.terms[:2] == ("hoc", "phi") and "nq" not in alone.terms
    decision = understand("Theo QĐ 2639/QĐ-TTg, tỉnh Lào Cai được bổ sung bao nhiêu?")
    assert decision.document_refs == (DocumentRef("2639", None, "qd"),)
    assert not {"quyet", "dinh", "ttg"} & set(decision.terms)
    notice = understand("Ai ký Thông báo 636/TB-VPCP?")
    assert not {"thong", "bao", "pcp", "vpcp"} & set(notice.terms)


def test_abbreviations_outside_a_documents_symbol_are_still_spelt_out() -> None:
    assert understand("Tỷ lệ BHXH/BHYT năm 2025?").terms == ("ty", "le", "bao", "hiem", "xa", "hoi", "bao", "hiem", "y", "te")


def test_the_national_assemblys_symbol_leaves_no_number_behind() -> None:
    intent = understand("Nghị quyết 245/2025/QH15 giao tổng thu ngân sách nhà nước năm 2026 là bao nhiêu?")
    assert intent.document_refs == (DocumentRef("245", "2025", "nq"),)
    assert intent.numbers == () and intent.periods == ("2026",)
