"""Hybrid retrieval over the real indexed corpus: period and document awareness."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from langchain_core.documents import Document

from assistant.query import understand
from assistant.retriever import RankedChunk, rrf_fuse, with_every_document

if TYPE_CHECKING:
    from assistant.service import Assistant

pytestmark = pytest.mark.slow


def test_langchain_interface_returns_documents_with_metadata(corpus_assistant: Assistant) -> None:
    docs = corpus_assistant.retriever.invoke("Kim ngạch xuất khẩu năm 2025 là bao nhiêu?")
    assert docs and all(isinstance(d, Document) for d in docs)
    top = docs[0]
    assert "1.850" in top.page_content
    assert top.metadata["source"] == "004_0fe5ee8038d62b66.txt"
    assert {"chunk_id", "title", "section", "period", "score"} <= set(top.metadata)


@pytest.mark.parametrize(
    ("question", "source"),
    [
        ("Mục tiêu tăng trưởng GRDP giai đoạn 2021-2025 là bao nhiêu?", "002_dafdf37ecc6638ab.txt"),
        ("Tốc độ tăng trưởng GRDP năm 2025 là bao nhiêu?", "004_0fe5ee8038d62b66.txt"),
        ("GRDP năm 2020 tăng bao nhiêu?", "001_41c8df0f7ff6743b.txt"),
        ("Tăng trưởng GRDP 6 tháng đầu năm 2023", "003_ec175f286d404a6a.txt"),
    ],
)
def test_the_document_of_the_named_period_wins(corpus_assistant: Assistant, question: str, source: str) -> None:
    ranked = corpus_assistant.retriever.retrieve(understand(question))
    assert ranked[0].chunk.source == source


def test_unaccented_question_retrieves_the_passage_the_answerer_reads(corpus_assistant: Assistant) -> None:
    from assistant.answerer import CANDIDATE_CHUNKS

    accented = corpus_assistant.retriever.retrieve(understand("Tỷ lệ hộ dân sử dụng nước sạch năm 2025"))
    bare = corpus_assistant.retriever.retrieve(understand("ty le ho dan su dung nuoc sach nam 2025"))
    assert accented[0].chunk.chunk_id in [r.chunk.chunk_id for r in bare[:CANDIDATE_CHUNKS]]
    assert "85%" in corpus_assistant.answer("ty le ho dan su dung nuoc sach nam 2025").answer


@pytest.mark.parametrize(
    ("accented", "bare"),
    [
        ("Tỷ lệ hộ nghèo năm 2025 giảm bao nhiêu?", "ty le ho ngheo nam 2025 giam bao nhieu"),
        ("Số bác sĩ trên một vạn dân năm 2025", "so bac si tren mot van dan nam 2025"),
    ],
)
def test_unaccented_question_ranks_first_what_its_accented_form_does(
    corpus_assistant: Assistant, accented: str, bare: str
) -> None:
    # The dense model reads unaccented Vietnamese poorly; the diacritics are restored from the
    # documents' own words before embedding.
    restored = corpus_assistant.retriever.dense_query(understand(bare))
    assert restored == understand(accented).normalized.lower().rstrip("?")
    with_accents = corpus_assistant.retriever.retrieve(understand(accented))
    without = corpus_assistant.retriever.retrieve(understand(bare))
    assert without[0].chunk.chunk_id == with_accents[0].chunk.chunk_id


def test_every_document_keeps_its_best_passage_among_the_candidates() -> None:
    class Chunk:
        def __init__(self, cid: str, source: str) -> None:
            self.chunk_id, self.source = cid, source

    # Document "a" fills the top; "b" holds the indicator in a passage only the lexical half ranks well.
    ranked = [RankedChunk(Chunk(f"a{i}", "a"), 1.0 - i / 100, i + 1, i + 1) for i in range(10)]
    ranked.append(RankedChunk(Chunk("b0", "b"), 0.1, None, 2))
    top = with_every_document(ranked, 6)
    assert len(top) == 6
    assert [r.chunk.chunk_id for r in top][:5] == ["a0", "a1", "a2", "a3", "a4"]
    assert top[-1].chunk.chunk_id == "b0"


def test_rrf_rewards_agreement_between_the_two_lists() -> None:
    class Hit:
        def __init__(self, cid: str) -> None:
            self.chunk_id = cid

    a, b, c = Hit("a"), Hit("b"), Hit("c")
    fused = rrf_fuse([a, b], [b, c])
    assert fused[0].chunk.chunk_id == "b"
