"""Assistant.answer() end to end over the real indexed corpus (real Chroma, real e5 embeddings)."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING

import pytest

from assistant.models import Turn

if TYPE_CHECKING:
    from assistant.service import Assistant

pytestmark = pytest.mark.slow


def test_answer_quotes_the_figure_with_period_document_and_citation(corpus_assistant: Assistant) -> None:
    result = corpus_assistant.answer("Chỉ tiêu kim ngạch xuất khẩu năm 2025 là bao nhiêu?")
    assert result.found
    assert "1.850 triệu USD" in result.answer and "[1]" in result.answer
    cite = result.citations[0]
    assert cite.n == 1 and cite.source == "004_0fe5ee8038d62b66.txt"
    assert "1.850 triệu USD" in cite.quote
    assert cite.date == "06/12/2024"
    assert "c)" in cite.location
    assert result.retrieved and result.retrieved[0].rank == 1
    assert "retrieved" not in result.model_dump(mode="json")


def test_multi_part_question_gets_every_part(corpus_assistant: Assistant) -> None:
    result = corpus_assistant.answer("Cơ cấu kinh tế năm 2025: khu vực I, II, III và thuế sản phẩm chiếm bao nhiêu?")
    for share in ("33,10%", "21,64%", "41,97%", "3,30%"):
        assert share in result.answer


def test_indicator_with_several_periods_lists_each(corpus_assistant: Assistant) -> None:
    result = corpus_assistant.answer("Tỷ lệ người dân tham gia bảo hiểm y tế là bao nhiêu?")
    assert "96,51%" in result.answer and "96,74%" in result.answer
    assert len({c.source for c in result.citations}) >= 2


def test_followup_is_rewritten_from_the_history(corpus_assistant: Assistant) -> None:
    history = [Turn(role="user", content="Mục tiêu kim ngạch xuất khẩu giai đoạn 2021-2025 là bao nhiêu?")]
    result = corpus_assistant.answer("Còn năm 2025 thì sao?", history)
    assert result.question_interpreted == "Mục tiêu kim ngạch xuất khẩu năm 2025 là bao nhiêu?"
    assert "1.850 triệu USD" in result.answer


def test_questions_with_abbreviations_are_answered(corpus_assistant: Assistant) -> None:
    result = corpus_assistant.answer("NQ 5 năm 2021-2025: trường ĐH tại Bến Tre là thành viên của đâu?")
    assert result.found and "Đại học quốc gia thành phố Hồ Chí Minh" in result.answer


@pytest.mark.parametrize("question", ["", "   \n", "x" * 1001])
def test_bad_questions_are_rejected_with_a_clear_message(corpus_assistant: Assistant, question: str) -> None:
    with pytest.raises(ValueError, match="question"):
        corpus_assistant.answer(question)


def test_documents_lists_every_indexed_document_with_chunk_counts(corpus_assistant: Assistant) -> None:
    docs = corpus_assistant.documents()
    assert len(docs) == 5
    assert all(d.chunks > 0 and d.title for d in docs)


def test_questions_arriving_together_build_the_indicator_table_once(
    corpus_assistant: Assistant, monkeypatch: pytest.MonkeyPatch
) -> None:
    import assistant.indicators as indicators

    built: list[int] = []

    class CountedTable(indicators.IndicatorTable):
        def __init__(self, *args: object, **kwargs: object) -> None:
            built.append(1)
            time.sleep(0.5)  # a build at archive size takes seconds: the other questions arrive meanwhile
            super().__init__(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(indicators, "IndicatorTable", CountedTable)
    monkeypatch.setattr(corpus_assistant, "_indicator_table", None, raising=False)
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(lambda _: corpus_assistant.indicators("GRDP"), range(4)))

    assert len(built) == 1
    assert results[0] and all(len(r) == len(results[0]) for r in results)
