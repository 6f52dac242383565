"""A question that names a document by number ("NQ 7/2025") is answered from that document, even when a dozen
sibling resolutions of the same council write the same sentence with other figures."""

from __future__ import annotations

from dataclasses import replace

import pytest

from assistant.query import understand
from assistant.service import Assistant
from tests.conftest import make_settings

pytestmark = pytest.mark.slow

_TOPICS = [
    "Chùa Hương", "Cổ Loa", "Hoàng thành", "Văn Miếu", "Thành cổ Sơn Tây", "Đền Hai Bà Trưng", "Chùa Thầy",
    "Làng cổ Đường Lâm", "Đền Sóc", "Chùa Tây Phương", "Khu di tích K9", "Đình Chu Quyến", "Chùa Mía",
    "Đền Và", "Chùa Trăm Gian", "Đình Tây Đằng",
]


def _resolution(number: int, topic: str, adult_fee: str) -> str:
    """A council resolution of the usual layout: its fee article among articles that every sibling shares."""
    articles = "\n\n".join(
        f"Điều {n}. Quy định chung số {n}\nỦy ban nhân dân Thành phố chỉ đạo các sở, ngành triển khai nội dung số {n} "
        f"của Nghị quyết này, bảo đảm công khai, minh bạch và đúng quy định của pháp luật về phí, lệ phí."
        for n in range(3, 9)
    )
    return f"""HỘI ĐỒNG NHÂN DÂN THÀNH PHỐ HÀ NỘI
CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM
Độc lập - Tự do - Hạnh phúc
Số: {number}/2025/NQ-HĐND
Hà Nội, ngày 27 tháng 11 năm 2025

NGHỊ QUYẾT
Quy định mức thu phí tham quan di tích {topic}

HỘI ĐỒNG NHÂN DÂN THÀNH PHỐ HÀ NỘI

Căn cứ Luật Phí và lệ phí ngày 25 tháng 11 năm 2015;

QUYẾT NGHỊ:

Điều 1. Phạm vi điều chỉnh
Nghị quyết này quy định mức thu phí tham quan di tích {topic} trên địa bàn Thành phố.

Điều 2. Mức thu phí
Mức thu phí tham quan đối với người lớn là {adult_fee} đồng/lượt; trẻ em, học sinh, sinh viên được giảm 50%.

{articles}

Điều 9. Hiệu lực thi hành
Nghị quyết này có hiệu lực từ ngày 01 tháng 01 năm 2026.

CHỦ TỊCH

Phùng Thị Hồng Hà
"""


@pytest.fixture(scope="module")
def siblings(tmp_path_factory: pytest.TempPathFactory) -> Assistant:
    root = tmp_path_factory.mktemp("siblings")
    corpus = root / "docs"
    corpus.mkdir()
    for n, topic in enumerate(_TOPICS, start=1):
        fee = f"{10 + n}.000"
        (corpus / f"nq-{n:02d}-phi-tham-quan.txt").write_text(_resolution(n, topic, fee), encoding="utf-8")
    assistant = Assistant.from_settings(make_settings(root / "data"))
    assert assistant.ingest([corpus]).ok
    return assistant


def _fee_passage_sources(assistant: Assistant, question: str) -> list[str]:
    ranked = assistant.retriever.retrieve(understand(question))
    return [str(r.chunk.source) for r in ranked if "người lớn là" in str(r.chunk.text)]


def test_the_document_named_by_number_is_retrieved_among_its_siblings(siblings: Assistant) -> None:
    for number in (7, 13):
        sources = _fee_passage_sources(siblings, f"Theo NQ {number}/2025, mức thu phí tham quan đối với người lớn là bao nhiêu?")
        assert sources and sources[0] == f"nq-{number:02d}-phi-tham-quan.txt", sources


def test_the_named_documents_figure_is_what_the_official_reads_first(siblings: Assistant) -> None:
    """Sixteen resolutions write the same sentence: the answer (or, when the model is not sure enough, the
    closest passage it shows) is the named one's, with its citation."""
    result = siblings.answer("Nghị quyết số 13/2025/NQ-HĐND quy định mức thu phí tham quan đối với người lớn là bao nhiêu?")

    first = result.citations[0]
    assert first.source == "nq-13-phi-tham-quan.txt"
    assert "23.000 đồng" in first.quote and "23.000 đồng" in result.answer


def test_a_number_no_indexed_document_carries_changes_nothing(siblings: Assistant) -> None:
    """A question may name a document that is not indexed (one the indexed ones cite): retrieval then
    searches the whole index as for any question."""
    intent = understand("Theo NQ 99/2025, mức thu phí tham quan đối với người lớn là bao nhiêu?")
    assert intent.document_refs
    named = siblings.retriever.retrieve(intent)
    unnamed = siblings.retriever.retrieve(replace(intent, document_refs=()))
    assert [r.chunk.chunk_id for r in named] == [r.chunk.chunk_id for r in unnamed]
