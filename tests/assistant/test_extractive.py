"""The extractive answerer on hand-made chunks: exact quotes, periods, several values, refusals."""

from __future__ import annotations

from dataclasses import dataclass, field

from assistant.extractive import (
    TermWeights,
    answer_extractively,
    display_segment,
    figures_in,
    segment_info,
    split_segments,
)
from assistant.query import understand
from assistant.retriever import RankedChunk

META_2025: dict[str, object] = {"title": "Nghị quyết về nhiệm vụ năm 2025", "kind": "nghị quyết", "date": "2024-12-06", "period": "2025"}
META_5Y: dict[str, object] = {"title": "Nghị quyết kế hoạch 5 năm 2021-2025", "kind": "nghị quyết", "date": "2020-12-09", "period": "2021-2025"}


@dataclass
class Chunk:
    chunk_id: str
    source: str
    text: str
    section: str = ""
    page: int | None = None
    metadata: dict[str, object] = field(default_factory=dict)


CHUNKS = [
    Chunk("004#1", "004.txt", "c) Kim ngạch xuất khẩu\nđạt 1.850 triệu USD;", "2. Các chỉ tiêu chủ yếu › c)", None, META_2025),
    Chunk("002#1", "002.txt", "e) Tổng kim ngạch xuất khẩu đạt 10.000 triệu USD;", "2. Các chỉ tiêu chủ yếu › e)", None, META_5Y),
    Chunk("004#2", "004.txt", "r) Tỷ lệ hộ dân sử dụng nước sạch đạt 85%;", "2. Các chỉ tiêu chủ yếu › r)", None, META_2025),
    Chunk("002#2", "002.txt", "n) Tỷ lệ người dân tham gia bảo hiểm y tế đạt 96,51% dân số;", "2. › n)", None, META_5Y),
    Chunk("004#3", "004.txt", "g) Tỷ lệ đô thị hóa khoảng 30%;", "2. › g)", None, META_2025),
]
WEIGHTS = TermWeights.from_texts(c.text for c in CHUNKS)


def _ranked(*ids: str) -> list[RankedChunk]:
    by_id = {c.chunk_id: c for c in CHUNKS}
    return [RankedChunk(by_id[i], 1.0 / (n + 1), n + 1, n + 1) for n, i in enumerate(ids)]


def test_figure_is_quoted_exactly_with_document_and_period() -> None:
    result = answer_extractively(understand("Kim ngạch xuất khẩu năm 2025 là bao nhiêu?"), _ranked("002#1", "004#1"), WEIGHTS)
    assert result.found
    assert "1.850 triệu USD" in result.answer and "10.000" not in result.answer
    assert "Nghị quyết về nhiệm vụ năm 2025" in result.answer and "06/12/2024" in result.answer
    assert result.cited[0].chunk.chunk_id == "004#1"


def test_no_period_and_several_documents_gives_each_value_with_its_period() -> None:
    result = answer_extractively(understand("Kim ngạch xuất khẩu là bao nhiêu?"), _ranked("004#1", "002#1"), WEIGHTS)
    assert "1.850 triệu USD" in result.answer and "10.000 triệu USD" in result.answer
    assert "Năm 2025" in result.answer and "Giai đoạn 2021-2025" in result.answer
    assert {c.chunk.chunk_id for c in result.cited} == {"004#1", "002#1"}


def test_uncovered_year_is_refused_not_answered_with_a_neighbouring_year() -> None:
    result = answer_extractively(understand("Kim ngạch xuất khẩu năm 2026 là bao nhiêu?"), _ranked("004#1", "002#1"), WEIGHTS)
    assert not result.found
    assert "không có" in result.answer
    assert "1.850" not in result.answer


def test_indicator_no_passage_covers_is_refused() -> None:
    result = answer_extractively(understand("Sản lượng lúa năm 2025 là bao nhiêu tấn?"), _ranked("004#2", "004#3"), WEIGHTS)
    assert not result.found


def test_unaccented_question_finds_the_same_passage() -> None:
    result = answer_extractively(understand("ty le ho dan dung nuoc sach nam 2025"), _ranked("004#2", "004#3"), WEIGHTS)
    assert result.found and "85%" in result.answer


def test_segments_keep_short_list_items_whole_and_display_drops_only_the_marker() -> None:
    item = "b) Cơ cấu kinh tế: Khu vực I: 33,10%; Khu vực II: 21,64%;"
    assert split_segments(item) == [item]
    assert display_segment(item) == "Cơ cấu kinh tế: Khu vực I: 33,10%; Khu vực II: 21,64%"
    long_text = "Câu một có 5 số. " * 60 + "Câu cuối đạt 7%."
    assert split_segments(long_text)[-1] == "Câu cuối đạt 7%."


META_NEWS: dict[str, object] = {"title": "Tiếp tục thực hiện mục tiêu kép năm 2021", "kind": "bài viết", "date": "2021-09", "period": "2021"}
META_REPORT: dict[str, object] = {"title": "Báo cáo kiểm điểm năm 2020", "kind": "báo cáo", "date": "2020-11", "period": "2020"}
META_CONF: dict[str, object] = {"title": "Hội nghị Tỉnh ủy", "kind": "tin", "date": "2023-06-16", "period": "6 tháng đầu năm 2023"}
LONG = [
    Chunk(
        "000#1",
        "000.txt",
        "Với đặc điểm kinh tế nông nghiệp đa dạng, tỉnh tập trung phát triển kinh tế vườn và thủy sản. "
        "Đặc biệt, với hơn 74.000ha trồng dừa và trên 1.950ha nuôi tôm công nghệ cao; đang là tiềm năng của tỉnh. "
        "Các ngành hỗ trợ phát triển chuỗi giá trị con tôm gắn với Đề án phát triển 4.000ha nuôi tôm biển.",
        "Vượt qua khó khăn",
        None,
        META_NEWS,
    ),
    Chunk(
        "000#2",
        "000.txt",
        "Đến sáng ngày 14-9-2021, toàn tỉnh có 1.657/1.840 người nhiễm Covid-19 đã được điều trị khỏi bệnh, xuất viện.",
        "Phòng chống dịch",
        None,
        META_NEWS,
    ),
    Chunk(
        "000#3",
        "000.txt",
        "Dịch bệnh Covid-19 ảnh hưởng đến doanh nghiệp (DN). Từ đầu năm đến nay, có 320 DN đăng ký thành lập mới với "
        "vốn 5.000 tỷ đồng (bằng 1,67 lần so với cùng kỳ năm 2020); 65 DN (bằng 72,22% so với cùng kỳ 2020) đăng ký giải thể.",
        "Doanh nghiệp",
        None,
        META_NEWS,
    ),
    Chunk(
        "001#1",
        "001.txt",
        "Cụ thể hóa các nhiệm vụ năm 2020, UBND tỉnh đã ban hành Kế hoạch số 328/KH-UBND về những nhiệm vụ, giải pháp "
        "chủ yếu thực hiện kế hoạch phát triển kinh tế - xã hội năm 2020. Kế hoạch đề ra 9 nhóm giải pháp trọng tâm, "
        "phân công cho các ngành thực hiện. Căn cứ Chỉ thị số 18/CT-TTg, các ngành xây dựng kế hoạch thực hiện.",
        "Về công tác triển khai",
        None,
        META_REPORT,
    ),
    Chunk(
        "003#1",
        "003.txt",
        "Tại hội nghị, các đại biểu đã thảo luận, chỉ đạo nhiều nội dung. "
        "Bí thư Tỉnh ủy Lê Đức Thọ phát biểu chỉ đạo, nhấn mạnh các nhiệm vụ trọng tâm.",
        "",
        None,
        META_CONF,
    ),
]
LONG_WEIGHTS = TermWeights.from_texts(c.text for c in LONG + CHUNKS)


def _ranked_long(*ids: str) -> list[RankedChunk]:
    by_id = {c.chunk_id: c for c in LONG + CHUNKS}
    return [RankedChunk(by_id[i], 1.0 / (n + 1), n + 1, n + 1) for n, i in enumerate(ids)]


def test_the_sentence_whose_figure_carries_the_unit_asked_answers_in_a_long_paragraph() -> None:
    result = answer_extractively(
        understand("Bài viết năm 2021 nói tỉnh có bao nhiêu ha trồng dừa?"), _ranked_long("000#1", "000#2"), LONG_WEIGHTS
    )
    assert result.found and "74.000ha trồng dừa" in result.answer
    assert "người ký" not in result.answer  # "bài viết" holds "ai viet" but asks no author


def test_count_asked_is_found_beside_other_figures_of_the_same_sentence() -> None:
    result = answer_extractively(
        understand("9 tháng đầu năm 2021 bao nhiêu doanh nghiệp đăng ký giải thể?"), _ranked_long("000#3"), LONG_WEIGHTS
    )
    assert result.found and "65 DN" in result.answer


def test_a_count_is_not_answered_by_a_percentage_or_by_another_thing_counted() -> None:
    population = answer_extractively(
        understand("Dân số tỉnh hiện nay là bao nhiêu người?"), _ranked_long("002#2", "000#2"), LONG_WEIGHTS
    )
    assert not population.found and "96,51%" not in population.answer
    hospitals = answer_extractively(
        understand("Toàn tỉnh hiện có bao nhiêu bệnh viện?"), _ranked_long("000#2", "002#2"), LONG_WEIGHTS
    )
    assert not hospitals.found and "1.657" not in hospitals.answer


def test_document_number_and_count_asked_together_are_both_quoted() -> None:
    result = answer_extractively(
        understand("Kế hoạch năm 2020 của UBND tỉnh là kế hoạch số mấy, gồm mấy nhóm giải pháp?"),
        _ranked_long("001#1"),
        LONG_WEIGHTS,
    )
    assert result.found
    assert "328/KH-UBND" in result.answer and "9 nhóm giải pháp" in result.answer
    assert "18/CT-TTg" not in result.answer


def test_who_question_quotes_the_passage_naming_a_person() -> None:
    result = answer_extractively(
        understand("Ai phát biểu chỉ đạo tại hội nghị Tỉnh ủy 6 tháng đầu năm 2023?"), _ranked_long("003#1"), LONG_WEIGHTS
    )
    assert result.found and "Lê Đức Thọ" in result.answer


def test_names_dates_and_document_numbers_are_not_figures() -> None:
    text = "Covid-19 ngày 20-10-2020, Báo cáo số 510/BC-UBND ngày 16/6, ngày 01 tháng 7 năm 2019 đạt 96,51% dân số"
    assert [f.raw for f in figures_in(text)] == ["96,51"]
    assert [(f.raw, f.unit[0]) for f in figures_in("hơn 74.000ha trồng dừa, 65 DN giải thể")] == [
        ("74.000", "ha"),
        ("65", "doanh"),
    ]


def test_another_indicator_sharing_the_question_s_words_does_not_answer() -> None:
    chunk = Chunk("004#9", "004.txt", "đ) GRDP bình quân đầu người đạt 62,0 triệu đồng/người;", "2. › đ)", None, META_2025)
    ranked = [RankedChunk(chunk, 1.0, 1, 1)]
    weights = TermWeights.from_texts([*(c.text for c in CHUNKS), chunk.text, "Thu nhập của người dân"])
    income = answer_extractively(understand("Thu nhập bình quân đầu người năm 2025 là bao nhiêu?"), ranked, weights)
    assert not income.found and "62,0" not in income.answer
    grdp = answer_extractively(understand("GRDP bình quân đầu người năm 2025 là bao nhiêu?"), ranked, weights)
    assert grdp.found and "62,0 triệu đồng/người" in grdp.answer


def test_a_parenthesised_acronym_reads_with_the_phrase_it_names() -> None:
    info = segment_info("a) Tốc độ tăng trưởng kinh tế (GRDP) năm là 6,0% - 6,5%;")
    assert ("truong", "grdp") in set(zip(info.tokens, info.tokens[1:], strict=False))


def test_an_area_in_hectares_answers_a_question_about_area() -> None:
    info = segment_info("Đặc biệt, với hơn 74.000ha trồng dừa;")
    assert {"dien", "tich"} <= set(info.tokens)


SHAPE_CHUNKS = [
    Chunk(
        "001#9",
        "001.txt",
        "Mùa khô 2019-2020, hạn mặn diễn biến gay gắt. Tuy nhiên, tình hình xâm nhập mặn diễn biến gay gắt, "
        "khốc liệt và vượt mốc lịch sử năm 2016, độ mặn duy trì ở mức cao.",
        "3.1",
        None,
        {"title": "Báo cáo năm 2020", "kind": "báo cáo", "date": "2020-11", "period": "2020"},
    ),
    Chunk(
        "002#9",
        "002.txt",
        "Ưu tiên nguồn vốn đầu tư công cho các công trình hạ tầng trọng điểm, đặc biệt là đầu tư hoàn thành "
        "giai đoạn 1 tuyến động lực ven biển, các công trình giao thông trọng điểm;",
        "2. › c)",
        None,
        META_5Y,
    ),
    Chunk(
        "002#8",
        "002.txt",
        "đ) Thực hiện tốt công tác sắp xếp tổ chức bộ máy; tiếp tục thực hiện Nghị định số 16/2015/NĐ-CP ngày "
        "14 tháng 02 năm 2015 của Chính phủ quy định cơ chế tự chủ của đơn vị sự nghiệp công lập.",
        "2. › đ)",
        None,
        META_5Y,
    ),
]
SHAPE_WEIGHTS = TermWeights.from_texts(c.text for c in [*CHUNKS, *SHAPE_CHUNKS])


def _ranked_shape(*ids: str) -> list[RankedChunk]:
    by_id = {c.chunk_id: c for c in SHAPE_CHUNKS}
    return [RankedChunk(by_id[i], 1.0 / (n + 1), n + 1, n + 1) for n, i in enumerate(ids)]


def test_a_year_asked_is_answered_by_the_sentence_naming_a_year() -> None:
    result = answer_extractively(
        understand("Hạn mặn mùa khô 2019-2020 vượt mốc lịch sử năm nào?"), _ranked_shape("001#9"), SHAPE_WEIGHTS
    )
    assert result.found and "vượt mốc lịch sử năm 2016" in result.answer


def test_a_phase_asked_is_answered_by_the_passage_writing_the_phase_number() -> None:
    result = answer_extractively(
        understand("Kế hoạch 2021-2025 đặt mục tiêu hoàn thành giai đoạn mấy của tuyến động lực ven biển?"),
        _ranked_shape("002#9", "002#8"),
        SHAPE_WEIGHTS,
    )
    assert result.found and "giai đoạn 1 tuyến động lực ven biển" in result.answer


def test_an_abbreviated_document_kind_asks_for_that_kind_of_number() -> None:
    result = answer_extractively(
        understand("NQ 5 năm 2021-2025 tiếp tục thực hiện NĐ số mấy về cơ chế tự chủ của đơn vị sự nghiệp công lập?"),
        _ranked_shape("002#9", "002#8"),
        SHAPE_WEIGHTS,
    )
    assert result.found and "16/2015/NĐ-CP" in result.answer


def test_a_phase_no_passage_numbers_is_refused() -> None:
    result = answer_extractively(
        understand("Kế hoạch 2021-2025 hoàn thành giai đoạn mấy của dự án cầu Rạch Miễu 2?"),
        _ranked_shape("002#9", "002#8"),
        SHAPE_WEIGHTS,
    )
    assert not result.found
