"""Features of (question, unit) pairs: each one a property a reader would check by eye."""

from __future__ import annotations

from types import SimpleNamespace

from assistant.features import _longest_run, asked_shape, featurize_all
from assistant.passages import units_of
from assistant.query import understand
from assistant.retriever import RankedChunk
from assistant.terms import TermWeights

PLACES = ["ben tre", "phu yen"]


def _item(text: str, source: str = "a.txt", section: str = "", rank: int = 0, **meta: object) -> RankedChunk:
    chunk = SimpleNamespace(chunk_id=f"{source}#{rank}", source=source, text=text, section=section, metadata={})
    return RankedChunk(chunk, 1.0 / (1 + rank), rank + 1, rank + 1, {"source": source, **meta}, dense_score=0.8)


def _features(question: str, *items: RankedChunk):
    intent = understand(question)
    shape = asked_shape(intent, PLACES)
    weights = TermWeights.from_texts(str(i.chunk.text) for i in items)
    units = [u for rank, item in enumerate(items) for u in units_of(item, rank)]
    return dict(zip((u.text for u in units), featurize_all(intent, shape, units, weights), strict=True))


def test_the_document_of_the_asked_period_is_exact_and_one_of_another_period_conflicts() -> None:
    plan = _item("a) Kim ngạch xuất khẩu đạt 1.850 triệu USD;", "plan.txt", period="2025")
    five = _item("b) Kim ngạch xuất khẩu đạt 8.000 triệu USD;", "five.txt", period="2021-2025", rank=1)
    found = _features("Kim ngạch xuất khẩu năm 2025 là bao nhiêu?", plan, five)
    assert found[plan.chunk.text].period_exact == 1.0
    assert found[five.chunk.text].period_conflict == 1.0


def test_a_place_the_question_names_matches_its_documents_and_conflicts_with_others() -> None:
    home = _item("GRDP tăng 6,5%.", "bt.txt", issuer="UBND tỉnh Bến Tre")
    other = _item("GRDP tăng 7,1%.", "py.txt", issuer="HĐND tỉnh Phú Yên", rank=1)
    found = _features("GRDP Bến Tre tăng bao nhiêu?", home, other)
    assert (found["GRDP tăng 6,5%."].place_match, found["GRDP tăng 6,5%."].place_conflict) == (1.0, 0.0)
    assert (found["GRDP tăng 7,1%."].place_match, found["GRDP tăng 7,1%."].place_conflict) == (0.0, 1.0)


def test_a_document_number_named_in_the_question_must_be_the_documents() -> None:
    right = _item("Tổng thu ngân sách 4.500 tỷ đồng.", "57.txt", number="57/NQ-HĐND")
    wrong = _item("Tổng thu ngân sách 3.900 tỷ đồng.", "58.txt", number="58/NQ-HĐND", rank=1)
    found = _features("Theo NQ 57 tổng thu ngân sách là bao nhiêu?", right, wrong)
    assert found[right.chunk.text].number_match == 1.0
    assert found[wrong.chunk.text].number_conflict == 1.0


def test_an_identifier_in_the_question_is_matched_exactly() -> None:
    exact = _item("Chỉ tiêu thử nghiệm số 137 đạt 42 mẫu.", "n137.txt")
    prefix = _item("Chỉ tiêu thử nghiệm số 13 đạt 17 mẫu.", "n13.txt", rank=1)
    found = _features("Chỉ tiêu thử nghiệm số 137 đạt bao nhiêu mẫu?", exact, prefix)
    assert found[exact.chunk.text].identifiers_present == 1.0
    assert found[prefix.chunk.text].identifiers_missing == 1.0


def test_the_unit_asked_is_matched_against_the_units_figures() -> None:
    area = _item("Diện tích nuôi tôm đạt 4.000 ha.", "a.txt")
    count = _item("Số hộ nuôi tôm đạt 4.000 hộ.", "b.txt", rank=1)
    found = _features("Diện tích nuôi tôm bao nhiêu ha?", area, count)
    assert found[area.chunk.text].unit_match == 1.0
    assert found[count.chunk.text].unit_conflict == 1.0


def test_money_asked_matches_any_currency_and_a_bare_number_takes_its_unit_from_the_row() -> None:
    budget = _item("Kinh phí hỗ trợ khoảng 2,5 - 5,5 tỷ đồng/xã.", "a.txt")
    area = _item("| Diện tích (km²) | 284,11 | 720,70 |", "b.txt", rank=1)
    coordinates = _item("| 1 | Khu nuôi A | 2251609 | 521731 |", "c.txt", rank=2)
    money = _features("Mỗi xã được hỗ trợ bao nhiêu tiền?", budget)
    assert (money[budget.chunk.text].unit_match, money[budget.chunk.text].unit_conflict) == (1.0, 0.0)
    # A scale asked alone counts what follows it: thousands of tonnes are no amount of money.
    tonnes = _features("Sản lượng xoài đạt bao nhiêu nghìn tấn?", budget)
    assert tonnes[budget.chunk.text].unit_conflict == 1.0
    found = _features("Diện tích huyện A là bao nhiêu km²?", area, coordinates)
    assert found[area.chunk.text].unit_match == 1.0
    # A number written with no unit anywhere near it is of an unknown unit: neither a match nor a conflict.
    assert (found[coordinates.chunk.text].unit_match, found[coordinates.chunk.text].unit_conflict) == (0.0, 0.0)


def _row(text: str, columns: list[str], source: str, rank: int) -> RankedChunk:
    chunk = SimpleNamespace(
        chunk_id=f"{source}#{rank}", source=source, text=text, section="", metadata={"columns": columns}
    )
    return RankedChunk(chunk, 1.0 / (1 + rank), rank + 1, rank + 1, {"source": source}, dense_score=0.8)


def test_a_bare_number_in_a_table_takes_its_unit_from_its_own_column() -> None:
    value = _row("| 6 | Sản phẩm chè | 10.200 | 26.700 |", ["TT", "Sản phẩm", "Sản lượng (tấn)", "Giá trị (nghìn USD)"], "a.txt", 0)
    place = _row("| 2 | Cửa sông A | 2209277 | 603812 |", ["TT", "Địa điểm quan trắc", "Tọa độ X", "Tọa độ Y"], "b.txt", 1)
    found = _features("Giá trị xuất khẩu chè là bao nhiêu nghìn USD?", value)
    assert found[value.chunk.text].unit_match == 1.0
    # Columns that state no unit leave what the bare numbers count in doubt: coordinates are half a conflict
    # with a count of sampling points, a stated unit ("nghìn USD" asked in tonnes) a whole one.
    points = _features("Quan trắc tại bao nhiêu vị trí?", place)
    assert (points[place.chunk.text].unit_match, points[place.chunk.text].unit_conflict) == (0.0, 0.5)
    tonnes = _features("Giá trị xuất khẩu chè là bao nhiêu tấn?", value)
    assert tonnes[value.chunk.text].unit_match == 1.0
    weight = _features("Xuất khẩu chè bao nhiêu kg?", value)
    assert weight[value.chunk.text].unit_conflict == 1.0


def test_the_unit_is_what_the_figure_counts_not_the_word_after_bao_nhieu() -> None:
    share = _item("Tỷ lệ tham gia bảo hiểm y tế đạt 95% dân số.", "a.txt")
    people = _features("Dân số của tỉnh là bao nhiêu người?", share)
    assert people[share.chunk.text].unit_conflict == 1.0
    # "so với", "mỗi năm" follow "bao nhiêu" without being a unit.
    growth = _features("Xuất khẩu tăng bao nhiêu so với cùng kỳ?", share)
    assert (growth[share.chunk.text].unit_match, growth[share.chunk.text].unit_conflict) == (0.0, 0.0)
    # An official's abbreviation counts what its words do.
    firms = _item("Có 410 DN đăng ký thành lập mới.", "b.txt")
    found = _features("Bao nhiêu doanh nghiệp thành lập mới?", firms)
    assert found[firms.chunk.text].unit_match == 1.0
    total = _item("Toàn tỉnh có tổng số 2.530 DN đang hoạt động.", "c.txt")
    assert _features("Có bao nhiêu doanh nghiệp đang hoạt động?", total)[total.chunk.text].unit_match == 1.0


def test_an_address_or_the_next_cell_is_not_what_a_figure_counts() -> None:
    fee = _row("| 2 | Nhà văn hóa, số 15 Lê Lợi | đồng/người | 30.000 |", ["TT", "Điểm", "Đơn vị tính", "Mức thu"], "a.txt", 0)
    found = _features("Vé vào nhà văn hóa là bao nhiêu tiền?", fee)
    assert (found[fee.chunk.text].unit_match, found[fee.chunk.text].unit_conflict) == (1.0, 0.0)


def test_a_year_inside_a_plans_period_is_no_conflict() -> None:
    plan = _item("- Kinh tế số chiếm 45% GRDP tỉnh.", "plan.txt", period="2026-2030")
    older = _item("- Kinh tế số chiếm 20% GRDP tỉnh.", "old.txt", period="2021-2025", rank=1)
    found = _features("Đến năm 2030 kinh tế số chiếm bao nhiêu % GRDP?", plan, older)
    assert (found[plan.chunk.text].period_conflict, found[plan.chunk.text].period_other) == (0.0, 1.0)
    assert found[older.chunk.text].period_conflict == 1.0


def test_a_part_of_the_year_asked_is_no_conflict_unless_the_whole_year_is_asked() -> None:
    half = _item("Tỉnh đẩy nhanh giải ngân vốn ODA.", "h1.txt", period="6 tháng đầu năm 2023")
    mid = _features("Giữa năm 2023 tỉnh yêu cầu đẩy nhanh giải ngân nguồn vốn nào?", half)
    assert mid[half.chunk.text].period_conflict == 0.0
    whole = _features("Cả năm 2023 tỉnh giải ngân nguồn vốn nào?", half)
    assert whole[half.chunk.text].period_conflict == 1.0


def test_a_figure_at_a_scale_counts_its_own_unit() -> None:
    tonnes = _item("Sản lượng lúa đạt 1.200 nghìn tấn.", "a.txt")
    found = _features("Sản lượng lúa bao nhiêu tấn?", tonnes)
    assert (found[tonnes.chunk.text].unit_match, found[tonnes.chunk.text].unit_conflict) == (1.0, 0.0)


def test_a_yearly_tables_row_names_the_years_of_its_column_headers() -> None:
    columns = ["TT", "Sản phẩm", "Kế hoạch 2027 / Lượng (Tấn)", "Kế hoạch 2028 / Lượng (Tấn)"]
    row = _row("| 7 | Cà phê | 35.000 | 36.000 |", columns, "plan.txt", 0)
    row.meta["period"] = "2026-2030"
    found = _features("Năm 2028 xuất khẩu bao nhiêu tấn cà phê?", row)
    assert (found[row.chunk.text].period_mentioned, found[row.chunk.text].period_conflict) == (1.0, 0.0)
    # The plan's last year is its deadline, which a yearly column does not name here.
    late = _features("Năm 2030 xuất khẩu bao nhiêu tấn cà phê?", row)
    assert late[row.chunk.text].period_mentioned == 0.0


def test_what_the_question_rules_out_is_told_apart_from_what_it_asks() -> None:
    province = _item("a) Tổng thu ngân sách cấp tỉnh: 6.131.420 triệu đồng;", "b.txt")
    local = _item("Tổng thu ngân sách địa phương: 7.914.000 triệu đồng.", "b.txt", rank=1)
    found = _features("Tổng thu ngân sách cấp tỉnh (chứ không phải tổng thu NSĐP) là bao nhiêu?", province, local)
    assert found[local.chunk.text].excluded_present == 1.0
    assert found[province.chunk.text].excluded_present == 0.0
    # The ruled-out words are no part of what is asked.
    assert found[province.chunk.text].coverage == 1.0


def test_a_national_documents_row_for_the_asked_province_writes_its_place() -> None:
    row = _item("| 6 | PHÚ THỌ | 172.900 |", "national.txt")
    other = _item("| 23 | ĐỒNG THÁP | 106.600 |", "national.txt", rank=1)
    found = _features("Ngân sách trung ương hỗ trợ tỉnh Phú Thọ bao nhiêu?", row, other)
    assert (found[row.chunk.text].name_written, found[other.chunk.text].name_written) == (1.0, 0.0)


def test_a_unit_writing_only_another_year_than_the_one_asked() -> None:
    deadline = _item("+ Xoài xuất khẩu đến năm 2030 đạt 18.000 tấn;", "plan.txt", period="2026-2030")
    span = _item("Giai đoạn 2026 - 2030 xuất khẩu xoài tăng 8%/năm.", "plan.txt", period="2026-2030", rank=1)
    found = _features("Năm 2027 xuất khẩu bao nhiêu tấn xoài?", deadline, span)
    assert (found[deadline.chunk.text].other_year, found[span.chunk.text].other_year) == (1.0, 0.0)


def test_table_rows_carry_their_headers_as_context() -> None:
    row = _item("| 1 | Rau quả | tấn | 150 |", "t.txt")
    row.chunk.metadata.update({"columns": ["STT", "Sản phẩm", "Đơn vị", "Năm 2027"], "table_title": "Phụ lục I"})
    (unit,) = units_of(row, 0)
    assert unit.kind == "row"
    assert "Năm 2027" in unit.context and "Phụ lục I" in unit.context


def _longest_run_by_every_start(terms: list[str], words: list[str]) -> float:
    best = 0
    for i in range(len(words)):
        for j in range(len(terms)):
            k = 0
            while i + k < len(words) and j + k < len(terms) and words[i + k] == terms[j + k]:
                k += 1
            best = max(best, k)
    return best / len(terms) if terms else 0.0


def test_phrase_run_is_the_longest_run_of_question_words_in_order() -> None:
    import random

    assert _longest_run(["kim", "ngach", "xuat"], ["dat", "kim", "ngach", "xuat", "nam"]) == 1.0
    assert _longest_run(["xuat", "khau", "kim", "ngach"], ["kim", "ngach", "xuat"]) == 0.5
    assert _longest_run([], ["kim"]) == 0.0 and _longest_run(["kim"], []) == 0.0
    rng = random.Random(10)
    for _ in range(3000):  # repeated words, runs that restart, runs at either end
        terms = [rng.choice("abcd") for _ in range(rng.randint(0, 7))]
        words = [rng.choice("abcde") for _ in range(rng.randint(0, 25))]
        assert _longest_run(terms, words) == _longest_run_by_every_start(terms, words)


def test_ky_asks_a_person_only_as_who_signs() -> None:
    # "ký" folds onto "kỳ", "đăng ký", "ký hiệu" and "kỷ niệm": only "ai ký" / "người ký" asks a signer.
    assert asked_shape(understand("Ai ký quyết định về giá đất?"), PLACES).person
    assert asked_shape(understand("Người ký nghị quyết là ai?"), PLACES).person
    for question in (
        "Vốn đăng ký của doanh nghiệp mới tăng bao nhiêu so với cùng kỳ?",
        "Công trình có ký hiệu là gì?",
        "Năm 2025 kỷ niệm bao nhiêu năm thành lập tỉnh?",
    ):
        assert not asked_shape(understand(question), PLACES).person, question


def test_an_abbreviation_the_question_types_is_covered_where_the_passage_spells_it_out() -> None:
    spelled = _item("Tỷ lệ thủ tục hành chính giải quyết đúng hạn đạt 98%.", "a.txt")
    other = _item("Tỷ lệ hồ sơ giải quyết đúng hạn đạt 91%.", "b.txt", rank=1)
    found = _features("Tỷ lệ TTHC giải quyết đúng hạn là bao nhiêu?", spelled, other)
    assert found[spelled.chunk.text].missing_share == 0.0
    assert found[other.chunk.text].missing_share > 0.0
