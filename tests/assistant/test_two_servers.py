"""Two servers of the assistant on one real Chroma server (`chroma run`), each with its own data directory, as
two machines would run them: what is ingested or removed through one is answered, or not, by the other."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from assistant.settings import PROJECT_ROOT, Settings
from tests.chroma_server import chroma_server, unique_collection
from tests.conftest import make_settings
from vectorstore.shared_registry import CommitLostError, SharedRegistry

if TYPE_CHECKING:
    from assistant.service import Assistant
    from vectorstore.embeddings import ModelEmbeddings

pytestmark = pytest.mark.slow

CHO_LACH = """NGHỊ QUYẾT
Về nhiệm vụ phát triển kinh tế - xã hội huyện Chợ Lách năm 2025

2. Các chỉ tiêu chủ yếu
a) Diện tích hoa kiểng của huyện đạt {area} ha;
b) Tỷ lệ lao động qua đào tạo đạt 72%;
"""

BA_TRI = """NGHỊ QUYẾT
Về nhiệm vụ phát triển kinh tế - xã hội huyện Ba Tri năm 2025

2. Các chỉ tiêu chủ yếu
a) Kim ngạch xuất khẩu của huyện đạt 120 triệu USD;
b) Tỷ lệ hộ nghèo giảm 1%;
"""

AREA_QUESTION = "Diện tích hoa kiểng huyện Chợ Lách năm 2025 là bao nhiêu?"
EXPORT_QUESTION = "Kim ngạch xuất khẩu huyện Ba Tri năm 2025 là bao nhiêu?"


@pytest.fixture(scope="module")
def chroma_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    log = tmp_path_factory.mktemp("chroma-log") / "server.log"
    with chroma_server(tmp_path_factory.mktemp("chroma-server"), log) as url:
        yield url


@pytest.fixture(scope="module")
def embeddings() -> ModelEmbeddings:
    from assistant.components import build_embeddings

    return build_embeddings(make_settings(Path("unused")))


class Servers:
    """Assistants on one collection of the Chroma server, each with its own data directory; they ask the
    Chroma server for new commits at every question (the real default waits RELOAD_INTERVAL_S between asks)."""

    def __init__(self, url: str, collection: str, root: Path, embeddings: ModelEmbeddings) -> None:
        self.url, self.collection, self.root, self.embeddings = url, collection, root, embeddings
        self.started: list[Assistant] = []

    def settings(self, name: str) -> Settings:
        return make_settings(self.root / name, chroma_url=self.url, collection=self.collection)

    def start(self, name: str) -> Assistant:
        from assistant.components import open_index
        from assistant.service import Assistant

        settings = self.settings(name)
        index = open_index(settings, self.embeddings, reload_interval_s=0.0)
        assistant = Assistant(index, self.embeddings, settings=settings)
        self.started.append(assistant)
        return assistant


@pytest.fixture
def servers(
    chroma_url: str, tmp_path: Path, embeddings: ModelEmbeddings, request: pytest.FixtureRequest
) -> Iterator[Servers]:
    collection = unique_collection(request)
    running = Servers(chroma_url, collection, tmp_path, embeddings)
    yield running
    for assistant in running.started:
        assistant.index.close()


def write(folder: Path, name: str, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def sources(assistant: Assistant) -> list[str]:
    return sorted(d.source for d in assistant.documents())


def test_a_document_ingested_through_one_server_is_answered_by_the_other(servers: Servers, tmp_path: Path) -> None:
    one, two = servers.start("one"), servers.start("two")
    assert not two.answer(AREA_QUESTION).found

    summary = one.ingest([write(tmp_path / "docs", "cl.txt", CHO_LACH.format(area="2.345"))])
    assert summary.added == 1, summary.to_dict()

    answer = two.answer(AREA_QUESTION)
    assert answer.found, answer.answer
    assert "2.345 ha" in answer.answer and answer.citations[0].source == "cl.txt"
    assert sources(two) == ["cl.txt"]
    # The index lives on the Chroma server: neither data directory holds a registry or payloads.
    for name in ("one", "two"):
        index_dir = servers.settings(name).index_dir
        assert not (index_dir / "registry.json").exists() and not (index_dir / "payloads").exists()


def test_a_removal_through_one_server_disappears_from_the_other(servers: Servers, tmp_path: Path) -> None:
    one, two = servers.start("one"), servers.start("two")
    one.ingest([
        write(tmp_path / "docs", "cl.txt", CHO_LACH.format(area="2.345")),
        write(tmp_path / "docs", "bt.txt", BA_TRI),
    ])
    assert two.answer(AREA_QUESTION).found and sources(two) == ["bt.txt", "cl.txt"]

    assert two.remove_document("cl.txt") is True
    assert not one.answer(AREA_QUESTION).found
    assert sources(one) == ["bt.txt"]
    assert "120 triệu USD" in one.answer(EXPORT_QUESTION).answer


def test_two_servers_committing_at_once_both_keep_their_documents(
    servers: Servers, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    one, two = servers.start("one"), servers.start("two")
    # Each server's first commit waits for the other's, so both claim the same generation at once.
    barrier = threading.Barrier(2)
    lost: list[int] = []
    first_commit_of = threading.local()
    real_commit = SharedRegistry.commit

    def racing_commit(self: SharedRegistry, registry: Any, generation: int) -> tuple[int, ...]:
        if not getattr(first_commit_of, "done", False):
            first_commit_of.done = True
            barrier.wait(timeout=120)
        try:
            return real_commit(self, registry, generation)
        except CommitLostError:
            lost.append(generation)
            raise

    monkeypatch.setattr(SharedRegistry, "commit", racing_commit)
    folders = {
        "one": [write(tmp_path / "one-docs", "cl.txt", CHO_LACH.format(area="2.345"))],
        "two": [write(tmp_path / "two-docs", "bt.txt", BA_TRI)],
    }
    summaries: dict[str, Any] = {}

    def ingest(name: str, assistant: Assistant) -> None:
        summaries[name] = assistant.ingest(folders[name])

    threads = [threading.Thread(target=ingest, args=item) for item in (("one", one), ("two", two))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert summaries["one"].added == summaries["two"].added == 1
    assert lost == [1]  # one of them lost generation 1, and committed generation 2 on top of the other's
    for assistant in (one, two, servers.start("three")):
        assert sources(assistant) == ["bt.txt", "cl.txt"]
        assert "2.345 ha" in assistant.answer(AREA_QUESTION).answer
        assert "120 triệu USD" in assistant.answer(EXPORT_QUESTION).answer
        assert assistant.index.generation == 2


class _Killed(BaseException):
    """The server dying between writing a document's payload and vectors and committing them."""


def test_a_killed_write_leaves_the_previous_state_readable_from_the_other_server(
    servers: Servers, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    one, two = servers.start("one"), servers.start("two")
    one.ingest([write(tmp_path / "docs", "cl.txt", CHO_LACH.format(area="2.345"))])
    assert "2.345 ha" in two.answer(AREA_QUESTION).answer

    def killed(self: SharedRegistry, registry: Any, generation: int) -> tuple[int, ...]:
        raise _Killed

    with monkeypatch.context() as patch:
        patch.setattr(SharedRegistry, "commit", killed)
        with pytest.raises(_Killed):
            one.ingest([write(tmp_path / "docs", "cl.txt", CHO_LACH.format(area="3.456"))])

    for assistant in (two, servers.start("three"), one):
        answer = assistant.answer(AREA_QUESTION)
        assert "2.345 ha" in answer.answer and "3.456" not in answer.answer
        assert sources(assistant) == ["cl.txt"] and assistant.index.generation == 1


def test_reindex_through_the_command_keeps_every_document_on_the_chroma_server(
    servers: Servers, tmp_path: Path
) -> None:
    docs = tmp_path / "docs"
    write(docs, "cl.txt", CHO_LACH.format(area="2.345"))
    write(docs, "bt.txt", BA_TRI)
    settings = servers.settings("cli")
    env = {**os.environ, "ASSISTANT_CHROMA_URL": servers.url, "ASSISTANT_COLLECTION": servers.collection}

    def cli(*args: str) -> str:
        cmd = [sys.executable, "-m", "assistant.cli", "--data-dir", str(settings.data_dir), *args]
        done = subprocess.run(cmd, cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=600)
        assert done.returncode == 0, done.stdout + done.stderr
        return done.stdout + done.stderr

    cli("ingest", "--no-progress", "--no-eval", str(docs))
    before = {d.source: d.write_id for d in servers.start("before").index.documents()}
    # cl.txt's file is gone (as an upload's is on another machine): the index's own copy is re-embedded.
    (docs / "cl.txt").unlink()
    out = cli("ingest", "--reindex", "--no-progress", "--no-eval", str(docs))
    assert "1 re-embedded from the index's own copy" in out, out
    assert not (settings.data_dir / "index.before-reindex").exists()

    other = servers.start("other")
    after = {d.source: d.write_id for d in other.index.documents()}
    assert sorted(after) == sorted(before) == ["bt.txt", "cl.txt"]
    assert not set(after.values()) & set(before.values())  # every document was written again
    assert "2.345 ha" in other.answer(AREA_QUESTION).answer
