"""Questions the bundled documents do not answer get a plain refusal, never a neighbouring figure."""

from __future__ import annotations

import pytest

from assistant.service import Assistant

pytestmark = pytest.mark.slow


@pytest.mark.parametrize(
    "question",
    [
        "Chỉ tiêu kim ngạch xuất khẩu năm 2026 là bao nhiêu?",
        "Dân số tỉnh Bến Tre là bao nhiêu người?",
        "Thu nhập bình quân đầu người năm 2025 là bao nhiêu?",
        "Khu công nghiệp Phú Thuận quy mô bao nhiêu ha?",
        "Ai ký nghị quyết về nhiệm vụ năm 2025?",
    ],
)
def test_unanswerable_questions_are_refused_plainly(corpus_assistant: Assistant, question: str) -> None:
    result = corpus_assistant.answer(question)
    assert not result.found, result.answer
    assert "không" in result.answer


def test_a_measure_is_answered_with_a_figure_in_that_measure(corpus_assistant: Assistant) -> None:
    result = corpus_assistant.answer("Năm 2025 có bao nhiêu lao động được giải quyết việc làm?")
    assert result.found, result.answer
    assert "20.000 lao động" in result.answer
