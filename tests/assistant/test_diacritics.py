"""Questions typed without diacritics get them back from the documents' own words."""

from __future__ import annotations

from assistant.diacritics import DiacriticRestorer, typed_without_diacritics

DOCUMENTS = [
    "Tốc độ tăng trưởng kinh tế (GRDP) bình quân giai đoạn 2021-2025 đạt 8,5%-9,5%.",
    "Tăng cường công tác quản lý; thực hiện tốt chính sách an sinh xã hội.",
    "Tỷ lệ hộ dân sử dụng nước sạch đạt 85%; tỷ lệ hộ nghèo giảm còn dưới 1%.",
    "Chính sách hỗ trợ doanh nghiệp, chính sách thu hút đầu tư.",
]


def test_each_syllable_gets_the_form_its_neighbours_call_for() -> None:
    restorer = DiacriticRestorer.from_texts(DOCUMENTS)
    # "tang" is "tăng" and "sach" is "sạch" after "nước" but "sách" after "chính": the neighbour decides.
    assert restorer.restore("tang truong grdp binh quan") == "tăng trưởng grdp bình quân"
    assert restorer.restore("ty le ho dan su dung nuoc sach") == "tỷ lệ hộ dân sử dụng nước sạch"
    assert restorer.restore("chinh sach ho tro doanh nghiep") == "chính sách hỗ trợ doanh nghiệp"


def test_question_words_numbers_case_and_unknown_words_are_kept_right() -> None:
    restorer = DiacriticRestorer.from_texts(DOCUMENTS)
    restored = restorer.restore("Ty le ho ngheo nam 2025 la bao nhieu, theo GRDP xyz?")
    # Documents state and never ask: "bao nhiêu" comes from the question words, not from "bảo".
    assert restored == "Tỷ lệ hộ nghèo năm 2025 là bao nhiêu, theo GRDP xyz?"


def test_typed_without_diacritics() -> None:
    assert typed_without_diacritics("ty le ho ngheo nam 2025")
    assert typed_without_diacritics("ty le ho ngheo cua Bến Tre nam 2025 la bao nhieu")
    assert not typed_without_diacritics("Tỷ lệ hộ nghèo năm 2025 là bao nhiêu?")
    assert not typed_without_diacritics("2025")
