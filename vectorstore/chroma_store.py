"""The Chroma collection holding the vectors: embedded on disk or on a Chroma server.

Vectors are always computed by our own embeddings and passed explicitly: the collection has no
embedding function, so Chroma never downloads its default ONNX model.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import numpy as np

from vectorstore.errors import ChromaUnavailableError, EmbeddingMismatchError

MODEL_KEY = "embedding_model"
DIMENSION_KEY = "embedding_dimension"
REINDEX_HINT = "delete the data directory (ASSISTANT_DATA_DIR) or run `assistant ingest --reindex`"
_WRITE_BATCH = 1000
# Vectors read by id per request when reading many. Larger pages read an archive's 47,535 vectors sooner
# (2.3 s in pages of 5000, 3.3 s in pages of 1000) but hold the GIL longer: a search thread beside the
# reader stalled up to 120 ms with pages of 5000, 40 ms with pages of 2000.
READ_PAGE = 2000
_COLLECTION_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{1,510}[A-Za-z0-9]")


HNSW_EF_SEARCH = 1000


@dataclass(frozen=True)
class VectorRecord:
    id: str
    vector: Sequence[float]
    metadata: dict[str, str | int | float | bool]


@dataclass(frozen=True)
class VectorHit:
    id: str
    distance: float  # cosine distance: 0 is identical

    @property
    def similarity(self) -> float:
        return 1.0 - self.distance


def _settings() -> Any:
    from chromadb.config import Settings

    return Settings(anonymized_telemetry=False)


def _http_client(url: str) -> Any:
    import chromadb

    parsed = urlparse(url if "://" in url else f"http://{url}")
    if not parsed.hostname:
        raise ChromaUnavailableError(
            f"cannot read a Chroma server address from {url!r}; expected e.g. http://127.0.0.1:8000"
        )
    ssl = parsed.scheme == "https"
    port = parsed.port or (443 if ssl else 8000)
    try:
        client = chromadb.HttpClient(host=parsed.hostname, port=port, ssl=ssl, settings=_settings())
        client.heartbeat()
    except Exception as exc:
        raise ChromaUnavailableError(
            f"the Chroma server at {url} does not answer ({type(exc).__name__}: {exc}); "
            "start it (e.g. `chroma run --path DIR --host 127.0.0.1 --port 8000`) "
            "or unset ASSISTANT_CHROMA_URL to use the embedded store"
        ) from exc
    return client


def http_client(url: str) -> Any:
    """A client of the Chroma server at `url`, checked to answer (the shared registry opens its own)."""
    return _http_client(url)


def _persistent_client(path: Path) -> Any:
    import chromadb

    try:
        path.mkdir(parents=True, exist_ok=True)
        return chromadb.PersistentClient(path=str(path), settings=_settings())
    except Exception as exc:
        raise ChromaUnavailableError(
            f"cannot open the Chroma store in {path} ({type(exc).__name__}: {exc}); "
            "check the directory is writable and not used by another Chroma version"
        ) from exc


class ChromaStore:
    """One collection, tied to one embedding model and dimension."""

    def __init__(self, client: Any, collection: Any, location: str, embedded: bool) -> None:
        self._client = client
        self._collection = collection
        self.location = location
        self.embedded = embedded

    @classmethod
    def open(
        cls,
        *,
        model_id: str,
        dimension: int,
        path: str | Path | None = None,
        url: str | None = None,
        collection: str = "documents",
    ) -> ChromaStore:
        """Open (or create) the collection; EmbeddingMismatchError if another model built it."""
        if not _COLLECTION_NAME.fullmatch(collection):
            raise ValueError(
                f"invalid Chroma collection name {collection!r}: use 3-512 letters, digits, '.', '_' or '-', "
                "starting and ending with a letter or digit"
            )
        if url:
            client = _http_client(url)
            location = url
        elif path is not None:
            client = _persistent_client(Path(path))
            location = str(path)
        else:
            raise ValueError("give a Chroma path (embedded store) or a Chroma server url")
        try:
            handle = client.get_or_create_collection(
                collection,
                embedding_function=None,
                # A wide search makes every process on one index return the same hits (with the default,
                # two processes returned different lists, and an answer could change after a restart), and
                # the exact nearest passages on a small index. At archive size (48k vectors) it is still
                # approximate: about 70% of top-40 lists equal an exact search's, and two builds of the same
                # vectors differ as much, since insertion order shapes the graph. It costs a few milliseconds.
                configuration={"hnsw": {"space": "cosine", "ef_search": HNSW_EF_SEARCH}},
                metadata={MODEL_KEY: model_id, DIMENSION_KEY: dimension},
            )
        except Exception as exc:
            raise ChromaUnavailableError(
                f"cannot open the Chroma collection {collection!r} at {location} ({type(exc).__name__}: {exc})"
            ) from exc
        recorded = handle.metadata or {}
        built_model = recorded.get(MODEL_KEY)
        built_dimension = recorded.get(DIMENSION_KEY)
        if built_model != model_id or built_dimension != dimension:
            raise EmbeddingMismatchError(
                f"the Chroma collection {collection!r} at {location} was built with the embedding model "
                f"{built_model!r} ({built_dimension} dimensions), not {model_id!r} ({dimension} dimensions); "
                f"use that model again, or re-index: {REINDEX_HINT}"
            )
        return cls(client, handle, location, embedded=not url)

    def count(self) -> int:
        return int(self._collection.count())

    def all_ids(self) -> set[str]:
        with self._calling("list vector ids"):
            return set(self._collection.get(include=[])["ids"])

    @contextlib.contextmanager
    def _calling(self, action: str) -> Iterator[None]:
        """Chroma's own errors (server gone, disk full) named with the store and what we were doing."""
        try:
            yield
        except Exception as exc:
            raise ChromaUnavailableError(
                f"Chroma at {self.location} failed to {action} ({type(exc).__name__}: {exc}); "
                "check the Chroma server or disk and run the command again"
            ) from exc

    def upsert(self, records: Sequence[VectorRecord]) -> None:
        for start in range(0, len(records), _WRITE_BATCH):
            batch = records[start : start + _WRITE_BATCH]
            with self._calling("store vectors"):
                self._collection.upsert(
                    ids=[r.id for r in batch],
                    embeddings=[list(r.vector) for r in batch],
                    metadatas=[dict(r.metadata) for r in batch],
                )

    def delete(self, ids: Iterable[str]) -> None:
        id_list = list(ids)
        for start in range(0, len(id_list), _WRITE_BATCH):
            with self._calling("delete vectors"):
                self._collection.delete(ids=id_list[start : start + _WRITE_BATCH])

    def metadata_of(self, ids: Sequence[str]) -> dict[str, dict[str, Any]]:
        """The metadata of these vectors (those that exist), fetched in batches."""
        found: dict[str, dict[str, Any]] = {}
        for start in range(0, len(ids), _WRITE_BATCH):
            with self._calling("read vector metadata"):
                got = self._collection.get(ids=list(ids[start : start + _WRITE_BATCH]), include=["metadatas"])
            found.update(zip(got["ids"], (dict(m or {}) for m in got["metadatas"] or []), strict=False))
        return found

    def vectors_of(self, ids: Sequence[str]) -> dict[str, list[float]]:
        """The stored vectors of these ids (those that exist), fetched in batches."""
        found: dict[str, list[float]] = {}
        for start in range(0, len(ids), _WRITE_BATCH):
            with self._calling("read vectors"):
                got = self._collection.get(ids=list(ids[start : start + _WRITE_BATCH]), include=["embeddings"])
            embeddings = got.get("embeddings")
            if embeddings is None:
                continue
            found.update(zip(got["ids"], ([float(x) for x in e] for e in embeddings), strict=False))
        return found

    def vector_rows(self, ids: Sequence[str]) -> tuple[list[str], np.ndarray]:
        """The stored vectors of these ids (those that exist; give at most READ_PAGE) as float32 rows, with
        their ids in the same order. Unlike vectors_of no Python float is made per value, which for a whole
        archive's vectors halves the time."""
        with self._calling("read vectors"):
            got = self._collection.get(ids=list(ids), include=["embeddings"])
        return _rows_of(got)

    def query(self, vector: Sequence[float], k: int, where: dict[str, Any] | None = None) -> list[VectorHit]:
        if k <= 0:
            return []
        with self._calling("search"):
            result = self._collection.query(
                query_embeddings=[list(vector)], n_results=k, where=where, include=["distances"]
            )
        ids = result["ids"][0] if result["ids"] else []
        distances = (result.get("distances") or [[]])[0] or []
        return [VectorHit(i, float(d)) for i, d in zip(ids, distances, strict=True)]

    def close(self) -> None:
        """Release the client; an embedded store's files are closed once its last client is."""
        close = getattr(self._client, "close", None)
        if close is not None:
            with contextlib.suppress(Exception):
                close()


def _rows_of(got: Any) -> tuple[list[str], np.ndarray]:
    ids = list(got["ids"])
    embeddings = got.get("embeddings")
    if embeddings is None or not ids:
        return [], np.empty((0, 0), dtype=np.float32)
    return ids, np.asarray(embeddings, dtype=np.float32)
