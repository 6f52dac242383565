"""Questions the bundled documents do not answer get a plain refusal, never a neighbouring figure."""

from __future__ import annotations

import pytest

from assistant.service import Assistant

pytestmark = pytest.mark.slow


@pytest.mark.parametrize(
    "question",
    [
        "Chỉ tiêu kim ngạch xuất khẩu năm 2026 là bao nhiêu?",
        "Chỉ tiêu tăng trưởng GRDP năm 2025 của tỉnh Tiền Giang là bao nhiêu?",
        "GRDP năm 2024 của tỉnh thực tế tăng bao nhiêu?",
        "Dân số tỉnh Bến Tre là bao nhiêu người?",
        "Thu nhập bình quân đầu người năm 2025 là bao nhiêu?",
        # "GRDP bình quân đầu người" is another indicator than income per head.
        "Thu nhập bình quân đầu người của dân Bến Tre hiện nay bao nhiêu?",
        "Diện tích trồng lúa năm 2025 là bao nhiêu ha?",
        "Khu công nghiệp Phú Thuận quy mô bao nhiêu ha?",
        "Ai ký nghị quyết về nhiệm vụ năm 2025?",
    ],
)
def test_unanswerable_questions_are_refused_plainly(corpus_assistant: Assistant, question: str) -> None:
    result = corpus_assistant.answer(question)
    assert not result.found, result.answer
    assert "không có" in result.answer
    assert "1.850" not in result.answer


def test_a_measure_is_answered_with_a_figure_in_that_measure(corpus_assistant: Assistant) -> None:
    result = corpus_assistant.answer("Năm 2025 có bao nhiêu lao động được giải quyết việc làm?")
    assert result.found, result.answer
    assert "20.000 lao động" in result.answer


def test_a_sibling_indicator_does_not_answer(corpus_assistant: Assistant) -> None:
    # The 2025 resolution sets the share of households using clean water (85%), not electricity.
    result = corpus_assistant.answer("Chỉ tiêu tỷ lệ hộ dân sử dụng điện năm 2025 là bao nhiêu %?")
    assert not result.found, result.answer
    assert "85%" not in result.answer.split("\n")[0]
    water = corpus_assistant.answer("Chỉ tiêu tỷ lệ hộ dân sử dụng nước sạch năm 2025 là bao nhiêu %?")
    assert water.found and "85%" in water.answer


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("Vốn ĐTPT toàn XH năm 2020 tăng mấy % so cùng kỳ", "tăng 4,1% so cùng kỳ"),
        ("Khu vực II giai đoạn 2021-2025 phải tăng bình quân bao nhiêu mỗi năm theo nghị quyết 5 năm?", "15%-17%/năm"),
        ("230 đơn vị chạy phương án 3 tại chỗ hồi 9/2021 gồm bao nhiêu DN, bao nhiêu đơn vị trực thuộc?", "29 đơn vị trực thuộc"),
        ("HN Tỉnh ủy giữa năm 2023 đề xuất cơ chế đặc thù để TP Bến Tre đạt chuẩn đô thị loại mấy?", "đô thị loại I"),
        ("Tổng mức bán lẻ HH & DT dịch vụ 2020 được bao nhiêu % kế hoạch?", "92,8% kế hoạch"),
        # A date asked: the passage giving one, in the document's own words.
        ("Chỉ thị 13-CT/TU của Tỉnh uỷ về BHXH tự nguyện, BHYT hộ gia đình ban hành ngày nào?", "23 tháng 02 năm 2023"),
        # A law's number carries the National Assembly's code.
        ("NQ 2025: điều chỉnh QH sử dụng đất theo Luật Đất đai số mấy?", "31/2024/QH15"),
        # The passage writing the question's phrase verbatim wins over one sharing its words.
        (
            "Nhiệm vụ 2021 trong BC của UBND tỉnh: triển khai Tầm nhìn chiến lược phát triển tỉnh tới năm nào?",
            "Tầm nhìn Chiến lược phát triển tỉnh Bến Tre đến năm 2030 và năm 2045",
        ),
    ],
)
def test_questions_as_officials_type_them_find_the_answer(
    corpus_assistant: Assistant, question: str, expected: str
) -> None:
    result = corpus_assistant.answer(question)
    assert result.found, result.answer
    assert expected in result.answer
