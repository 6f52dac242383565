"""Documents a question names by number, and whether an indexed document is the one named."""

from __future__ import annotations

import pytest

from assistant.document_refs import DocumentRef, document_refs, named_sources, refers_to
from ingest.text import fold


@pytest.mark.parametrize(
    ("question", "refs"),
    [
        ("Theo NQ 12/2025/NQ-HĐND của HĐND tỉnh X, mức chi là bao nhiêu?", [DocumentRef("12", "2025", "nq")]),
        ("Công điện 75 của Thủ tướng yêu cầu gì?", [DocumentRef("75", None, "cd")]),
        ("Ai ký Quyết định số 0815/QĐ-UBND?", [DocumentRef("815", None, "qd")]),
        ("Nghị quyết số 9 ngày 5/3 quy định gì?", [DocumentRef("9", None, "nq")]),
        ("Kết luận 18-KL/TW đặt mục tiêu gì?", [DocumentRef("18", None, "kl")]),
        ("Văn bản 4400/BTC-NSNN nói gì về vốn?", [DocumentRef("4400", None, "btc")]),
        # A year, a plan's length and a test item's number are not document numbers.
        ("Nghị quyết 2025 đặt chỉ tiêu GRDP bao nhiêu?", []),
        ("Kế hoạch 5 năm đặt mục tiêu gì?", []),
        ("Chỉ tiêu thử nghiệm số 137 đạt bao nhiêu mẫu?", []),
    ],
)
def test_the_numbers_a_question_names_documents_by(question: str, refs: list[DocumentRef]) -> None:
    assert list(document_refs(fold(question))) == refs


def test_a_document_is_named_by_its_number_exactly_and_by_its_year_and_kind_where_both_say_them() -> None:
    meta = {"number": "12/2025/NQ-HĐND", "title": "Nghị quyết quy định mức chi"}
    assert refers_to(DocumentRef("12"), meta)
    assert refers_to(DocumentRef("12", "2025", "nq"), meta)
    assert not refers_to(DocumentRef("1"), meta)
    assert not refers_to(DocumentRef("120"), meta)
    assert not refers_to(DocumentRef("12", "2024"), meta)
    assert not refers_to(DocumentRef("12", None, "qd"), meta)


def test_a_document_without_a_number_field_is_named_by_the_number_its_title_writes() -> None:
    assert refers_to(DocumentRef("18590"), {"number": None, "title": "Toàn văn Công văn 18590/BTC-PTHT năm 2025"})
    assert not refers_to(DocumentRef("18590"), {"number": None, "title": "Công văn về vốn đầu tư công"})


def test_named_sources_lists_every_document_the_numbers_name() -> None:
    documents = {
        "a.txt": {"number": "12/2025/NQ-HĐND"},
        "b.txt": {"number": "12/2024/NQ-HĐND"},
        "c.txt": {"number": "13/2025/NQ-HĐND"},
        "d.txt": {},
    }
    assert named_sources([DocumentRef("12")], documents) == ["a.txt", "b.txt"]
    assert named_sources([DocumentRef("12", "2025")], documents) == ["a.txt"]
    assert named_sources([], documents) == []


def test_the_year_and_number_of_a_named_document_are_not_the_period_or_figures_asked() -> None:
    from assistant.query import understand

    named = understand("Theo NQ 20/2025/NQ-HĐND của tỉnh X, học phí trung học phổ thông là bao nhiêu?")
    assert named.periods == () and named.numbers == ()
    assert named.document_refs == (DocumentRef("20", "2025", "nq"),)
    assert understand("Nghị quyết năm 2025 đặt GRDP tăng bao nhiêu?").periods == ("2025",)


def test_an_elliptic_follow_up_is_about_the_document_the_conversation_named_and_a_new_question_is_not() -> None:
    from assistant.query import understand

    history = ["Theo NQ 7/2025, mức thu phí tham quan đối với người lớn là bao nhiêu?"]
    assert understand("Còn trẻ em thì sao?", history).document_refs == (DocumentRef("7", "2025", "nq"),)
    assert understand("GRDP năm 2025 tăng bao nhiêu?", history).document_refs == ()
