"""The extractive answerer on hand-made chunks: exact quotes, periods, several values, refusals."""

from __future__ import annotations

from dataclasses import dataclass, field

from assistant.extractive import TermWeights, answer_extractively, display_segment, split_segments
from assistant.query import understand
from assistant.retriever import RankedChunk

META_2025 = {"title": "Nghị quyết về nhiệm vụ năm 2025", "kind": "nghị quyết", "date": "2024-12-06", "period": "2025"}
META_5Y = {"title": "Nghị quyết kế hoạch 5 năm 2021-2025", "kind": "nghị quyết", "date": "2020-12-09", "period": "2021-2025"}


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
