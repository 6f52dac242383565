"""DocumentIndex: the documents registry, their vectors in Chroma and a BM25 index, kept consistent.

Files under index_dir:
  registry.json        the truth: documents (meta, content hash, chunk ids, payload file, write id),
                       the embedding model
  payloads/*.json      one per document version: chunk texts, metadata and lexical tokens
  write.lock           held (fcntl) by the one process allowed to write

A write adds everything under new names (payload file, vector ids prefixed by a fresh write id), then
replaces registry.json atomically (the commit point), then deletes what the old registry pointed at.
Readers trust only what the registry lists, so a write killed at any point leaves the previous state
readable; what it left behind is collected at the next open.

The BM25 index is kept in memory, built from the payloads' tokens at open and updated by each commit
with only what the commit changed (vectorstore/lexical.py): a commit costs time in proportion to its
batch, not to the archive. Readers never wait for a writer: everything they use is one immutable
`_State`, replaced as a whole at each commit, so a search runs on the last committed state while an
ingest is in progress.

With a Chroma server (chroma_url) the registry and the payloads are records on that server beside the
vectors (vectorstore/shared_registry.py), so every server process answers from the same documents; only
write.lock (writers of this machine) stays under index_dir. Writers on different machines cannot share a
lock: each commit claims the next generation on the server and, when another writer claimed it first,
is rebased on what that one committed (or refused, if both changed the same document). Readers check
for a new commit (one record fetched by id) at most every RELOAD_INTERVAL_S seconds.
"""

from __future__ import annotations

import collections
import contextlib
import dataclasses
import fcntl
import json
import logging
import os
import re
import shutil
import threading
import time
import uuid
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from vectorstore import shared_registry
from vectorstore.chroma_store import READ_PAGE, REINDEX_HINT, ChromaStore, VectorRecord
from vectorstore.errors import EmbeddingMismatchError, IndexCorruptError, IndexLockedError
from vectorstore.lexical import LexicalIndex
from vectorstore.shared_registry import CommitLostError, IndexConflictError, RegistrySnapshot, SharedRegistry

log = logging.getLogger(__name__)

REGISTRY_FILE = "registry.json"
LOCK_FILE = "write.lock"
PAYLOAD_DIR = "payloads"
# Where the index kept one BM25 build per commit before the lexical index became incremental; an old
# index's directory is deleted at open.
LEGACY_LEXICAL_DIR = "lexical"
# Attempts to read a consistent registry and payloads while another process keeps committing.
_LOAD_ATTEMPTS = 5
# Commits lost to other servers' writers before a write gives up (each loss is one commit of theirs).
_COMMIT_ATTEMPTS = 20
# Payloads read together when loading the index.
_PAYLOAD_GROUP = 64
# Hits asked beyond k in an unfiltered dense search, for vectors the registry no longer (or not yet) lists.
_DENSE_SLACK = 32
# A search within a few named documents scores their vectors here: Chroma's filter on write ids costs about
# twice an unfiltered search of a thousand documents, where a few thousand dot products cost almost nothing.
_DIRECT_SCORING_MAX_CHUNKS = 5000
# Documents whose vectors stay in memory for that (the documents questions name recur).
_CACHED_DOCUMENT_VECTORS = 32
# Up to this many vectors an unfiltered dense search scores all of them in memory (one matrix-vector product)
# instead of asking Chroma's HNSW: on the 996-document archive (47,535 vectors of 384 dimensions, 73 MB) it
# costs 3.9 ms of CPU against 8.3 ms (scripts/bench_dense_matrix.py), and it finds the exact nearest chunks,
# which HNSW (ef_search 1000) misses now and then: on the real 60-document index 0.8% of top-40 lists differ
# beyond ties. The product's cost grows with the vectors and HNSW's barely: past about 100,000 vectors HNSW
# is the cheaper. 0 turns the matrix off.
EXACT_SEARCH_MAX_VECTORS = 100_000
_TOP_SAMPLE_STRIDE = 16
_FORMAT = 1
# With a shared registry, readers ask the server whether anything was committed at most this often: a
# document committed through one server is in every other server's answers this many seconds later.
RELOAD_INTERVAL_S = 2.0
# The clock reload's interval is measured with (tests replace it).
_monotonic = time.monotonic


class EmbeddingModelInfo(Protocol):
    """What the index needs to know about the embedding model (ModelEmbeddings satisfies it)."""

    @property
    def model_id(self) -> str: ...

    @property
    def dimension(self) -> int: ...


@dataclass(frozen=True)
class StoredChunk:
    """A chunk as the index keeps it; `metadata` carries document fields (title, kind, period, date...)."""

    chunk_id: str
    source: str
    ordinal: int
    text: str
    section: str = ""
    page: int | None = None
    start: int = 0
    end: int = 0
    metadata: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ScoredChunk:
    chunk: StoredChunk
    score: float
    rank: int  # 1-based, in the order the search returned


@dataclass(frozen=True)
class IndexedDocument:
    source: str
    meta: dict[str, Any]
    content_hash: str
    chunk_ids: tuple[str, ...]
    ingested_at: str  # ISO 8601, UTC
    payload: str  # file name under payloads/
    write_id: str  # prefix of this version's vector ids in Chroma

    @property
    def n_chunks(self) -> int:
        return len(self.chunk_ids)


@dataclass(frozen=True)
class DocumentWrite:
    """One document version to write: what replace_document takes, for replace_documents' batches."""

    meta: Mapping[str, Any]
    content_hash: str
    chunks: Sequence[StoredChunk]
    vectors: Sequence[Sequence[float]] | Any
    token_lists: Sequence[Sequence[str]]


@dataclass(frozen=True)
class StoredDocument:
    """A document as the registry and its payload hold it: enough to re-embed it without its file."""

    document: IndexedDocument
    chunks: list[StoredChunk]
    token_lists: list[list[str]]


@dataclass(frozen=True)
class _State:
    """Everything readers use, swapped as one reference so a search never sees half a write. Never
    mutated once published: a commit copies what it changes."""

    documents: dict[str, IndexedDocument]
    chunks: dict[str, StoredChunk]
    vector_to_chunk: dict[str, str]
    lexical: LexicalIndex
    generation: int
    signature: tuple[int, ...] | None  # the registry file's identity, or a shared registry's generation


@dataclass(frozen=True)
class _DocumentVectors:
    """One document version's vectors, rows scaled to length 1, in the order of its chunk ids."""

    chunk_ids: tuple[str, ...]
    unit_rows: np.ndarray


@dataclass(frozen=True)
class _DenseMatrix:
    """Every vector of one set of document versions, for an exact search of the whole index.

    `documents` is the very mapping of the state it was built from: a search uses the matrix only when its
    state holds that same object, and every commit or reload that changes a document publishes a new one,
    so a stale matrix never answers. A write id names one document version's vectors, which never change:
    the next matrix keeps the columns of the write ids both share and reads only the others' from Chroma.

    Columns, not rows (the matrix is dimension × vectors): with one thread OpenBLAS scores this layout in
    half the time (3.4 against 6.6 ms for 47,535 × 384; each is bound by reading the 73 MB once)."""

    documents: Mapping[str, IndexedDocument]
    spans: Mapping[str, tuple[int, int]]  # write id → its columns
    chunk_ids: tuple[str, ...]  # of each column: documents in source order, each one's chunks in order
    columns: np.ndarray  # float32, scaled to length 1


def _unit_query(vector: Sequence[float]) -> np.ndarray | None:
    query = np.asarray(vector, dtype=np.float32)
    norm = float(np.linalg.norm(query))
    return None if norm == 0.0 else query / norm


def _top(similarities: np.ndarray, k: int) -> np.ndarray:
    """Positions of the k highest similarities, highest first; among equals the lower position first, so
    every process on one index breaks ties alike (at the k-th place too).

    Only the positions at or above the k-th highest of every 16th similarity are sorted: the k best are
    among them (the k-th highest of all is at least the k-th highest of a part), and there are about 16·k
    of them, found in a tenth of the time an argpartition of all 47,535 takes."""
    sample = similarities[::_TOP_SAMPLE_STRIDE]
    if k < len(sample):
        threshold = np.partition(sample, len(sample) - k)[len(sample) - k]
        candidates = np.flatnonzero(similarities >= threshold)
    else:
        candidates = np.arange(len(similarities))
    return candidates[np.argsort(-similarities[candidates], kind="stable")][:k]


def _unit_rows(rows: Sequence[Sequence[float]] | np.ndarray) -> np.ndarray:
    matrix = np.asarray(rows, dtype=np.float32)
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    return matrix / np.where(norms == 0.0, 1.0, norms)


def _empty_state() -> _State:
    # A fresh lexical index each time: its vocabulary grows with the index it starts and is not shared.
    return _State({}, {}, {}, LexicalIndex.build([], []), 0, None)


def _vector_id(write_id: str, chunk_id: str) -> str:
    return f"{write_id}:{chunk_id}"


def _slug(source: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", source)[:80] or "document"


def _file_signature(path: Path) -> tuple[int, int, int] | None:
    try:
        st = path.stat()
    except FileNotFoundError:
        return None
    return (st.st_ino, st.st_mtime_ns, st.st_size)


def _read_registry(path: Path) -> tuple[Any, tuple[int, int, int]] | None:
    """The registry and the signature of the very file read (a commit may replace it meanwhile)."""
    try:
        handle = open(path, "rb")  # noqa: SIM115 - closed below; fstat needs the open file
    except FileNotFoundError:
        return None
    with handle:
        st = os.fstat(handle.fileno())
        raw = handle.read()
    try:
        return json.loads(raw.decode("utf-8")), (st.st_ino, st.st_mtime_ns, st.st_size)
    except ValueError as exc:
        raise IndexCorruptError(
            f"cannot read the index registry {path} ({type(exc).__name__}: {exc}); the index is damaged: {REINDEX_HINT}"
        ) from exc


def _write_json_atomic(path: Path, data: Any) -> None:
    """Write next to the target, flush to disk, then rename over it: readers see old or new, never half."""
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.tmp")
    with open(tmp, "w", encoding="utf-8") as handle:
        # json.dumps, not json.dump: dump streams through the pure-Python encoder, several times slower on the
        # registry every commit rewrites (it grows with the archive); the bytes written are the same.
        handle.write(json.dumps(data, ensure_ascii=False))
        handle.flush()
        os.fsync(handle.fileno())
    try:
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _document_entry(source: str, entry: dict[str, Any]) -> IndexedDocument:
    """One document of the registry file as the index holds it."""
    return IndexedDocument(
        source=source,
        meta=entry["meta"],
        content_hash=entry["content_hash"],
        chunk_ids=tuple(entry["chunk_ids"]),
        ingested_at=entry["ingested_at"],
        payload=entry["payload"],
        write_id=entry["write_id"],
    )


def _registry_entry(document: IndexedDocument) -> dict[str, Any]:
    """A document as the registry file holds it (the inverse of _document_entry).

    Built by hand, not with dataclasses.asdict: every commit writes every document's entry, and asdict's deep
    copy of each one's meta made that the part of a commit growing fastest with the archive. The JSON is the
    same: the fields in declaration order, less `source` (the key), chunk ids as a list."""
    return {
        "meta": document.meta,
        "content_hash": document.content_hash,
        "chunk_ids": document.chunk_ids,
        "ingested_at": document.ingested_at,
        "payload": document.payload,
        "write_id": document.write_id,
    }


def _read_json(path: Path, what: str) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise IndexCorruptError(
            f"cannot read the {what} {path} ({type(exc).__name__}: {exc}); the index is damaged: {REINDEX_HINT}"
        ) from exc


def _as_vector(vector: Sequence[float] | Any) -> list[float]:
    return [float(x) for x in vector]


def _version(state: _State, source: str) -> str | None:
    document = state.documents.get(source)
    return None if document is None else document.write_id


class _Registry(Protocol):
    """Where the registry and the payloads live: files under index_dir, or records on a Chroma server."""

    @property
    def shared(self) -> bool: ...

    def changed_since(self, signature: tuple[int, ...] | None) -> bool: ...

    def read(self) -> RegistrySnapshot | None: ...

    def read_payloads(self, names: Mapping[str, str]) -> dict[str, Any]: ...

    def write_payloads(self, payloads: Mapping[str, Any]) -> None: ...

    def delete_payloads(self, names: Iterable[str]) -> None: ...

    def commit(self, registry: Mapping[str, Any], generation: int) -> tuple[int, ...] | None: ...

    def collect_garbage(self, live_payloads: set[str], latest: tuple[int, ...] | None) -> None: ...

    def close(self) -> None: ...


class _FileRegistry:
    """registry.json and payloads/*.json under index_dir: the embedded index, and the only writer is the
    process holding write.lock, so a commit is one atomic file replacement."""

    shared = False

    def __init__(self, index_dir: Path) -> None:
        self.index_dir = index_dir

    @property
    def _path(self) -> Path:
        return self.index_dir / REGISTRY_FILE

    @property
    def _payload_dir(self) -> Path:
        return self.index_dir / PAYLOAD_DIR

    def changed_since(self, signature: tuple[int, ...] | None) -> bool:
        return _file_signature(self._path) != signature

    def read(self) -> RegistrySnapshot | None:
        read = _read_registry(self._path)
        return None if read is None else RegistrySnapshot(read[0], read[1])

    def read_payloads(self, names: Mapping[str, str]) -> dict[str, Any]:
        return {
            name: _read_json(self._payload_dir / name, f"chunks file of {source}") for name, source in names.items()
        }

    def write_payloads(self, payloads: Mapping[str, Any]) -> None:
        for name, payload in payloads.items():
            _write_json_atomic(self._payload_dir / name, payload)

    def delete_payloads(self, names: Iterable[str]) -> None:
        for name in names:
            (self._payload_dir / name).unlink(missing_ok=True)

    def commit(self, registry: Mapping[str, Any], generation: int) -> tuple[int, ...] | None:
        _write_json_atomic(self._path, registry)
        return _file_signature(self._path)

    def collect_garbage(self, live_payloads: set[str], latest: tuple[int, ...] | None) -> None:
        # The caller holds write.lock: any payload the registry does not list is an interrupted write's.
        for path in self._payload_dir.iterdir():
            if path.name not in live_payloads:
                path.unlink(missing_ok=True)
        shutil.rmtree(self.index_dir / LEGACY_LEXICAL_DIR, ignore_errors=True)
        for path in self.index_dir.glob(f".{REGISTRY_FILE}.*.tmp"):
            path.unlink(missing_ok=True)

    def close(self) -> None:
        pass


class DocumentIndex:
    """Documents, their chunks, vectors and BM25 index; one writer process at a time, any number of readers."""

    def __init__(
        self,
        index_dir: Path,
        embeddings: EmbeddingModelInfo,
        store: ChromaStore,
        reopen_store: Any,
        registry: _Registry | None = None,
        reload_interval_s: float = 0.0,
        exact_search_max_vectors: int = EXACT_SEARCH_MAX_VECTORS,
    ):
        self.index_dir = index_dir
        self.embeddings = embeddings
        self._store = store
        self._reopen_store = reopen_store
        self._registry: _Registry = registry or _FileRegistry(index_dir)
        self._reload_interval_s = reload_interval_s
        self._last_check = float("-inf")
        # Writers of this process, one at a time (a batch holds it for a whole ingest). Readers never take it.
        self._write_lock = threading.RLock()
        # Taken briefly: one reload at a time, and never while a writer of this process is at work.
        self._reload_lock = threading.Lock()
        self._writer_active = False
        self._store_lock = threading.Lock()  # the embedded store is reopened by reload: not mid-query
        # write id → that document version's vectors; a new version has a new write id, so nothing goes stale.
        self._document_vectors: collections.OrderedDict[str, _DocumentVectors] = collections.OrderedDict()
        self._document_vectors_lock = threading.Lock()
        self._exact_search_max_vectors = exact_search_max_vectors
        # The matrix is read and updated by one background thread at a time; searches never wait for it.
        self._dense_matrix: _DenseMatrix | None = None
        self._matrix_unavailable_for: Mapping[str, IndexedDocument] | None = None
        self._matrix_thread: threading.Thread | None = None
        self._matrix_lock = threading.Lock()
        self._closing = False
        self._lock_handle: Any = None
        self._lock_depth = 0
        self._state = self._load_state(_empty_state())

    # ---- opening -------------------------------------------------------------------------------

    @classmethod
    def open(
        cls,
        index_dir: str | Path,
        *,
        embeddings: EmbeddingModelInfo,
        chroma_path: str | Path | None = None,
        chroma_url: str | None = None,
        collection: str = "documents",
        reload_interval_s: float | None = None,
        exact_search_max_vectors: int = EXACT_SEARCH_MAX_VECTORS,
    ) -> DocumentIndex:
        """Open (creating if needed) the index; the embedded Chroma store defaults to index_dir/chroma.

        With chroma_url the registry and payloads are on that server too (shared by every server using
        it) and reload() asks it at most every `reload_interval_s` seconds (RELOAD_INTERVAL_S).
        Unfiltered dense searches score the vectors in memory while the index holds at most
        `exact_search_max_vectors` (0: always Chroma's HNSW query); see prepare_dense_search."""
        index_dir = Path(index_dir)
        model_id, dimension = embeddings.model_id, int(embeddings.dimension)
        registry: _Registry
        if chroma_url:
            index_dir.mkdir(parents=True, exist_ok=True)
            registry = SharedRegistry.open(chroma_url, collection)
            try:
                snapshot = registry.read()
                if snapshot is None and (index_dir / REGISTRY_FILE).exists():
                    _check_registry_model(index_dir, model_id, dimension)
                    snapshot = _import_local_registry(index_dir, registry)
                if snapshot is not None:
                    _check_model(snapshot.registry, f"the index on {registry.location}", model_id, dimension)
            except BaseException:
                registry.close()
                raise
            interval = RELOAD_INTERVAL_S if reload_interval_s is None else reload_interval_s
        else:
            for sub in ("", PAYLOAD_DIR):
                (index_dir / sub).mkdir(parents=True, exist_ok=True)
            _check_registry_model(index_dir, model_id, dimension)
            registry = _FileRegistry(index_dir)
            interval = reload_interval_s or 0.0
        path = None if chroma_url else Path(chroma_path) if chroma_path is not None else index_dir / "chroma"

        def reopen_store() -> ChromaStore:
            return ChromaStore.open(
                model_id=model_id, dimension=dimension, path=path, url=chroma_url, collection=collection
            )

        try:
            store = reopen_store()
        except BaseException:
            registry.close()
            raise
        index = cls(index_dir, embeddings, store, reopen_store, registry, interval, exact_search_max_vectors)
        index._collect_garbage_if_idle()
        return index

    def close(self) -> None:
        with self._matrix_lock:
            self._closing = True
            thread = self._matrix_thread
        if thread is not None and thread is not threading.current_thread():
            thread.join()  # it stops after the read in progress: the store must not close under it
        with self._write_lock:
            if self._lock_handle is not None:
                self._lock_handle.close()
                self._lock_handle = None
                self._lock_depth = 0
            self._store.close()
            self._registry.close()

    def __enter__(self) -> DocumentIndex:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ---- reading -------------------------------------------------------------------------------

    @property
    def generation(self) -> int:
        """Counts commits (of any process, once reloaded): changes whenever what readers see changes."""
        return self._state.generation

    def documents(self) -> list[IndexedDocument]:
        documents = self._state.documents
        return [documents[s] for s in sorted(documents)]

    def get_document(self, source: str) -> IndexedDocument | None:
        return self._state.documents.get(source)

    def chunk(self, chunk_id: str) -> StoredChunk:
        try:
            return self._state.chunks[chunk_id]
        except KeyError:
            raise KeyError(
                f"no chunk {chunk_id!r} in the index (was its document re-ingested or removed?)"
            ) from None

    def all_chunks(self) -> list[StoredChunk]:
        return sorted(self._state.chunks.values(), key=lambda c: (c.source, c.ordinal))

    def dense_search(
        self, query_vector: Sequence[float], k: int, sources: Sequence[str] | None = None
    ) -> list[ScoredChunk]:
        """The k chunks nearest the query vector (score: cosine similarity), only among `sources` if given."""
        state = self._state
        write_ids = [
            doc.write_id
            for doc in state.documents.values()
            if (sources is None or doc.source in sources) and doc.chunk_ids
        ]
        if not write_ids or k <= 0:
            return []
        vector = _as_vector(query_vector)
        if sources is not None:
            named = [doc for doc in state.documents.values() if doc.source in sources and doc.chunk_ids]
            if sum(doc.n_chunks for doc in named) <= _DIRECT_SCORING_MAX_CHUNKS:
                scored = self._scored_directly(state, named, vector, k)
                if scored is not None:
                    return scored

        def listed(hits: Sequence[Any]) -> list[ScoredChunk]:
            # Vectors the registry does not list belong to an unfinished, abandoned or replaced write.
            found = [(state.chunks[state.vector_to_chunk[h.id]], h.similarity) for h in hits if h.id in state.vector_to_chunk]
            return [ScoredChunk(chunk, score, rank) for rank, (chunk, score) in enumerate(found, start=1)]

        if sources is None:
            matrix = self._matrix_in_step(state)
            if matrix is not None and (scored := _scored_by_matrix(state, matrix, vector, k)) is not None:
                return scored
            # The whole index: ask Chroma without a filter (a filter on a thousand live write ids costs
            # about 30 times the search itself) and drop what the registry does not list. Only if those
            # crowd out live hits, ask again filtered.
            fetch = k + _DENSE_SLACK
            with self._store_lock:
                hits = self._store.query(vector, fetch, where=None)
            result = listed(hits)
            if len(result) >= k or len(hits) < fetch:
                return result[:k]
        # Filtering on the live write ids keeps vectors of an unfinished or abandoned write out of the results.
        with self._store_lock:
            hits = self._store.query(vector, k, where={"write": {"$in": write_ids}})
        return listed(hits)

    # ---- the vectors in memory, for exact unfiltered searches -------------------------------------

    def prepare_dense_search(self, wait: bool = False) -> None:
        """Start reading every vector into memory for exact unfiltered searches, in the background; until
        it is done they are answered by Chroma's HNSW query. The first unfiltered search starts it too: call
        this when the index is opened to serve questions, so that few are. `wait`: return once it is done.

        Not started at open: an ingest run opens the index without searching, and would only spend 1.5-3 s
        of a core and 73 MB (a 1000-document archive) on it. Not built by the first search itself: that
        question would wait those seconds."""
        while True:
            thread = self._start_matrix_refresh()
            if not wait or thread is None:
                return
            thread.join()

    def _matrix_in_step(self, state: _State) -> _DenseMatrix | None:
        """The matrix of exactly `state`'s document versions; None (and a refresh started) when there is none."""
        matrix = self._dense_matrix
        if matrix is not None and matrix.documents is state.documents:
            return matrix
        self._start_matrix_refresh()
        return None

    def _start_matrix_refresh(self) -> threading.Thread | None:
        """The thread bringing the matrix in step with the published state (started if needed); None when
        it is in step, or cannot be for this state, or the index is closing."""
        with self._matrix_lock:
            if self._matrix_thread is None and not self._matrix_settled():
                self._matrix_thread = threading.Thread(
                    target=self._refresh_dense_matrix, name="dense-matrix", daemon=True
                )
                self._matrix_thread.start()
            return self._matrix_thread

    def _matrix_settled(self) -> bool:
        """Nothing for a refresh to do; the caller holds _matrix_lock."""
        documents = self._state.documents
        matrix = self._dense_matrix
        return (
            self._closing
            or self._exact_search_max_vectors <= 0
            or (matrix is not None and matrix.documents is documents)
            or documents is self._matrix_unavailable_for
        )

    def _refresh_dense_matrix(self) -> None:
        """The background thread: build the matrix for the published state, and again for each commit or
        reload published meanwhile, until it is in step.

        With a Chroma server too: the shared registry's write ids name the vectors exactly as the file
        registry's do, so a reload (every RELOAD_INTERVAL_S) costs reading the vectors of the versions it
        brings, as here. Each serving process holds its own matrix (73 MB for 1000 documents)."""
        while True:
            with self._matrix_lock:
                if self._matrix_settled():
                    self._matrix_thread = None
                    return
                documents = self._state.documents
                previous = self._dense_matrix
            try:
                built = self._built_matrix(documents, previous)
            except Exception as exc:  # e.g. the Chroma server is down: its query still answers, or says why
                log.warning("could not read the vectors for exact search (%s); Chroma's query answers", exc)
                built = None
            with self._matrix_lock:
                if built is not None:
                    self._dense_matrix = built
                    continue
                # Chroma's query answers this state. The previous matrix stays (another state is not served
                # from it) to be updated for the next commit, unless the index grew past the limit.
                self._matrix_unavailable_for = documents
                if _vector_count(documents) > self._exact_search_max_vectors:
                    self._dense_matrix = None

    def _built_matrix(
        self, documents: Mapping[str, IndexedDocument], previous: _DenseMatrix | None
    ) -> _DenseMatrix | None:
        """The matrix of these document versions, reusing `previous`'s columns of the versions it holds; None
        when the index holds too many vectors, one cannot be read, or the index is closing."""
        if _vector_count(documents) > self._exact_search_max_vectors:
            return None
        listed = [documents[source] for source in sorted(documents) if documents[source].chunk_ids]
        held = previous.spans if previous is not None else {}
        # Filled in place, the read pages straight into their columns: a matrix of rows first, then
        # transposed, would hold the archive's vectors twice at once, and np.concatenate of transposed
        # blocks would lay the columns out as rows again.
        columns = np.empty((int(self.embeddings.dimension), _vector_count(documents)), dtype=np.float32)
        spans: dict[str, tuple[int, int]] = {}
        targets: dict[str, int] = {}  # vector id to read → its column
        start = 0
        for doc in listed:
            end = start + doc.n_chunks
            if previous is not None and doc.write_id in held:
                columns[:, start:end] = previous.columns[:, slice(*held[doc.write_id])]
            else:
                targets.update((_vector_id(doc.write_id, cid), start + i) for i, cid in enumerate(doc.chunk_ids))
            spans[doc.write_id] = (start, end)
            start = end
        if not self._read_unit_columns(targets, columns):
            return None
        chunk_ids = tuple(cid for doc in listed for cid in doc.chunk_ids)
        return _DenseMatrix(documents, spans, chunk_ids, columns)

    def _read_unit_columns(self, targets: Mapping[str, int], columns: np.ndarray) -> bool:
        """Read these vectors, scaled to length 1, into their columns; False if one is not in Chroma (a
        damaged index: its search then answers as it always did) or the index is closing."""
        vector_ids = list(targets)
        found = 0
        for start in range(0, len(vector_ids), READ_PAGE):
            if self._closing:
                return False
            # Under the lock a reload holds while it swaps the embedded store (whose vectors it sees).
            with self._store_lock:
                ids, page = self._store.vector_rows(vector_ids[start : start + READ_PAGE])
            if ids:
                at = np.fromiter((targets[i] for i in ids), dtype=np.int64, count=len(ids))
                columns[:, at] = _unit_rows(page).T
                found += len(ids)
        return found == len(vector_ids)

    def _scored_directly(
        self, state: _State, documents: Sequence[IndexedDocument], vector: Sequence[float], k: int
    ) -> list[ScoredChunk] | None:
        """Exact cosine ranking of these documents' chunks; None when a document's vectors cannot all be read."""
        parts = [self._vectors_of(doc) for doc in documents]
        if any(part is None for part in parts):
            return None
        held = [part for part in parts if part is not None]
        chunk_ids = [cid for part in held for cid in part.chunk_ids]
        query = _unit_query(vector)
        if query is None:
            return None
        similarities = np.concatenate([part.unit_rows @ query for part in held])
        order = np.argsort(-similarities, kind="stable")[:k]
        return [
            ScoredChunk(state.chunks[chunk_ids[i]], float(similarities[i]), rank)
            for rank, i in enumerate(order.tolist(), start=1)
        ]

    def _vectors_of(self, document: IndexedDocument) -> _DocumentVectors | None:
        with self._document_vectors_lock:
            cached = self._document_vectors.get(document.write_id)
            if cached is not None:
                self._document_vectors.move_to_end(document.write_id)
                return cached
        ids = [_vector_id(document.write_id, cid) for cid in document.chunk_ids]
        with self._store_lock:
            found = self._store.vectors_of(ids)
        if len(found) != len(ids):
            return None
        vectors = _DocumentVectors(document.chunk_ids, _unit_rows([found[i] for i in ids]))
        with self._document_vectors_lock:
            self._document_vectors[document.write_id] = vectors
            while len(self._document_vectors) > _CACHED_DOCUMENT_VECTORS:
                self._document_vectors.popitem(last=False)
        return vectors

    def lexical_search(
        self, tokens: Sequence[str], k: int, sources: Sequence[str] | None = None
    ) -> list[ScoredChunk]:
        """BM25 over the chunks' token lists (tokens made by the same function as at ingest)."""
        state = self._state
        allowed = None
        if sources is not None:
            allowed = {cid for s in sources if (doc := state.documents.get(s)) for cid in doc.chunk_ids}
        hits = state.lexical.search(tokens, k, allowed_ids=allowed)
        return [
            ScoredChunk(state.chunks[h.id], h.score, rank)
            for rank, h in enumerate((h for h in hits if h.id in state.chunks), start=1)
        ]

    def reload(self) -> bool:
        """Pick up what another process committed (cheap when nothing changed). True if the state changed.

        Never waits for a writer: while this process writes (its commits catch up with others') or
        another thread reloads, it returns False at once and readers go on with the last committed state.
        A shared registry is asked at most every reload_interval_s seconds; in between this returns False."""
        if not self._reload_lock.acquire(blocking=False):
            return False
        try:
            if self._writer_active:
                return False
            now = _monotonic()
            if now - self._last_check < self._reload_interval_s:
                return False
            self._last_check = now
            if not self._registry.changed_since(self._state.signature):
                return False
            return self._catch_up()
        finally:
            self._reload_lock.release()

    # ---- writing -------------------------------------------------------------------------------

    @contextlib.contextmanager
    def batch(self) -> Iterator[DocumentIndex]:
        """Hold the writer lock across many writes (an ingest run); each write still commits on its own."""
        with self._writing():
            yield self

    def replace_document(
        self,
        meta: Mapping[str, Any],
        content_hash: str,
        chunks: Sequence[StoredChunk],
        vectors: Sequence[Sequence[float]] | Any,
        token_lists: Sequence[Sequence[str]],
    ) -> IndexedDocument:
        """Add or replace one document atomically: afterwards readers see all of the new version or, if this
        fails or is killed, all of the old one."""
        return self.replace_documents([DocumentWrite(meta, content_hash, chunks, vectors, token_lists)])[0]

    def replace_documents(self, writes: Sequence[DocumentWrite]) -> list[IndexedDocument]:
        """Add or replace many documents with one commit (one registry write, one BM25 build): afterwards
        readers see every new version or, if this fails or is killed, every old one. An archive ingest
        commits in batches so its cost per document does not grow with the archive."""
        checked: list[tuple[str, DocumentWrite, list[list[float]]]] = []
        seen: set[str] = set()
        for write in writes:
            source = write.meta.get("source")
            if not isinstance(source, str) or not source:
                raise ValueError("meta must name the document's file in meta['source']")
            if source in seen:
                raise ValueError(f"{source} is written twice in one batch; give each document once")
            seen.add(source)
            vector_rows = [_as_vector(v) for v in write.vectors]
            self._validate(source, write.meta, write.chunks, vector_rows, write.token_lists)
            checked.append((source, write, vector_rows))
        if not checked:
            return []
        with self._writing():
            state = self._state
            new_documents: dict[str, IndexedDocument] = {}
            new_chunks: dict[str, StoredChunk] = {}
            new_tokens: dict[str, list[str]] = {}
            payloads: dict[str, dict[str, Any]] = {}
            records: list[VectorRecord] = []
            now = datetime.now(UTC).isoformat(timespec="seconds")
            started = time.time()
            # On a shared server an unlisted vector is collected only once old: this says how old it is.
            stamp: dict[str, int] = {"written_at": int(started)} if self._registry.shared else {}
            for source, write, vector_rows in checked:
                write_id = uuid.uuid4().hex[:12]
                payload_name = f"{_slug(source)}-{write_id}.json"
                document = IndexedDocument(
                    source=source,
                    meta=dict(write.meta),
                    content_hash=write.content_hash,
                    chunk_ids=tuple(c.chunk_id for c in write.chunks),
                    ingested_at=now,
                    payload=payload_name,
                    write_id=write_id,
                )
                for chunk_id in document.chunk_ids:
                    owner = state.chunks.get(chunk_id) or new_chunks.get(chunk_id)
                    if owner is not None and owner.source != source:
                        raise ValueError(f"chunk id {chunk_id!r} already belongs to {owner.source!r}")
                new_documents[source] = document
                new_chunks.update((c.chunk_id, c) for c in write.chunks)
                new_tokens.update(
                    (c.chunk_id, list(t)) for c, t in zip(write.chunks, write.token_lists, strict=True)
                )
                payloads[payload_name] = _payload_json(
                    source, write.content_hash, write_id, write.chunks, write.token_lists
                )
                records.extend(
                    VectorRecord(
                        _vector_id(write_id, c.chunk_id),
                        v,
                        {"source": source, "write": write_id, "chunk_id": c.chunk_id, "ordinal": c.ordinal, **stamp},
                    )
                    for c, v in zip(write.chunks, vector_rows, strict=True)
                )
            created_vectors: list[str] = []
            commit_tried = False
            try:
                self._registry.write_payloads(payloads)
                if records:
                    created_vectors = [r.id for r in records]
                    self._store.upsert(records)
                commit_tried = True
                superseded = self._commit(new_documents, chunks=new_chunks, tokens=new_tokens, started=started)
            except BaseException as exc:
                # Undo what is not referenced by the registry; anything missed is collected later. Undone only
                # when surely not committed: a shared registry's commit that failed otherwise than by losing
                # to other writers (IndexConflictError) may have reached the server.
                if self._registry.shared:
                    certain = not commit_tried or isinstance(exc, IndexConflictError)
                else:
                    certain = self._state is state
                with contextlib.suppress(Exception):
                    if certain:
                        self._store.delete(created_vectors)
                        self._registry.delete_payloads(payloads)
                raise
            for old in superseded:
                self._discard_document_files(old)
            return list(new_documents.values())

    def remove_document(self, source: str) -> bool:
        """Drop a document and everything of it. False if it was not indexed."""
        return bool(self.remove_documents([source]))

    def remove_documents(self, sources: Sequence[str]) -> list[str]:
        """Drop documents with one commit; returns those that were indexed (and now are not)."""
        with self._writing():
            gone = [self._state.documents[s] for s in dict.fromkeys(sources) if s in self._state.documents]
            if not gone:
                return []
            superseded = self._commit({}, removed={doc.source for doc in gone})
            for old in superseded:
                self._discard_document_files(old)
            return [doc.source for doc in gone]

    # ---- internals -----------------------------------------------------------------------------

    def _validate(
        self,
        source: str,
        meta: Mapping[str, Any],
        chunks: Sequence[StoredChunk],
        vectors: list[list[float]],
        token_lists: Sequence[Sequence[str]],
    ) -> None:
        if not (len(chunks) == len(vectors) == len(token_lists)):
            raise ValueError(
                f"{source}: {len(chunks)} chunks, {len(vectors)} vectors and {len(token_lists)} token lists; "
                "give exactly one vector and one token list per chunk"
            )
        dimension = int(self.embeddings.dimension)
        for chunk, vector in zip(chunks, vectors, strict=True):
            if chunk.source != source:
                raise ValueError(f"chunk {chunk.chunk_id!r} belongs to {chunk.source!r}, not to {source!r}")
            if len(vector) != dimension:
                raise ValueError(
                    f"chunk {chunk.chunk_id!r} has a {len(vector)}-dimensional vector; this index holds "
                    f"{dimension}-dimensional vectors of {self.embeddings.model_id}"
                )
        ids = [c.chunk_id for c in chunks]
        if len(set(ids)) != len(ids):
            raise ValueError(f"{source}: chunk ids repeat; each chunk needs its own id")
        try:
            json.dumps(dict(meta), ensure_ascii=False)
            json.dumps([c.metadata for c in chunks], ensure_ascii=False)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"{source}: document and chunk metadata must be JSON values ({exc})") from exc

    @contextlib.contextmanager
    def _writing(self) -> Iterator[None]:
        with self._write_lock:
            if self._lock_depth == 0:
                with self._reload_lock:  # waits for a reload in progress, which must not see a writer
                    self._writer_active = True
                try:
                    self._acquire_file_lock()
                    # Another process may have committed since we read the registry: never write over it.
                    if self._registry.changed_since(self._state.signature):
                        self._catch_up()
                except BaseException:
                    self._release_writer()
                    raise
            self._lock_depth += 1
            try:
                yield
            finally:
                self._lock_depth -= 1
                if self._lock_depth == 0:
                    self._release_writer()

    def _release_writer(self) -> None:
        if self._lock_handle is not None:
            self._lock_handle.close()  # closing the file releases the flock
            self._lock_handle = None
        self._writer_active = False

    def _catch_up(self) -> bool:
        """Read what another process committed and publish it; the caller excludes writers of this process."""
        state = self._load_state(self._state)
        if state.signature == self._state.signature:
            return False
        if self._store.embedded:
            # An embedded Chroma client caches its vector segment in memory: reopen it to see new vectors.
            # Searches wait meanwhile (the old client is unusable once closed); the state is swapped with
            # the store so no search pairs new write ids with the old client.
            with self._store_lock:
                self._store.close()
                self._store = self._reopen_store()
                self._state = state
        else:
            self._state = state
        return True

    def _try_file_lock(self) -> bool:
        handle = open(self.index_dir / LOCK_FILE, "a+", encoding="utf-8")  # noqa: SIM115 - held across calls
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            return False
        handle.seek(0)
        handle.truncate()
        handle.write(f"{os.getpid()}\n")
        handle.flush()
        self._lock_handle = handle
        return True

    def _acquire_file_lock(self) -> None:
        if not self._try_file_lock():
            holder = (self.index_dir / LOCK_FILE).read_text(encoding="utf-8", errors="replace").strip() or "?"
            raise IndexLockedError(
                f"another ingest is running on {self.index_dir} (process {holder}); "
                "wait for it to finish and run this again"
            )

    def _load_state(self, previous: _State) -> _State:
        """The committed state, reusing what `previous` already holds of unchanged documents."""
        for attempt in range(_LOAD_ATTEMPTS):
            last = attempt + 1 == _LOAD_ATTEMPTS
            try:
                snapshot = self._registry.read()
            except IndexCorruptError:
                # A shared registry is collected a few commits after it is superseded: read the newer one.
                if last or not self._registry.shared:
                    raise
                continue
            if snapshot is None:
                return _empty_state()
            if snapshot.signature == previous.signature:
                return previous
            try:
                return self._state_from(snapshot.registry, snapshot.signature, previous)
            except IndexCorruptError:
                # Another process committed meanwhile and deleted a payload the registry we read named:
                # read the new registry. A payload missing from an unchanged registry is real damage.
                if last or not self._registry.changed_since(snapshot.signature):
                    raise
        raise AssertionError("unreachable")

    def _state_from(self, registry: Any, signature: tuple[int, ...], previous: _State) -> _State:
        documents = {source: _document_entry(source, entry) for source, entry in registry.get("documents", {}).items()}
        kept = {
            source
            for source, doc in documents.items()
            if (old := previous.documents.get(source)) is not None and old.write_id == doc.write_id
        }
        stale = [doc for source, doc in previous.documents.items() if source not in kept]
        fresh = [doc for source, doc in documents.items() if source not in kept]
        new_chunks: dict[str, StoredChunk] = {}
        new_tokens: dict[str, list[str]] = {}
        for group in _groups(fresh):
            # A group at a time (one request to a Chroma server), so payloads are not all in memory at once.
            payloads = self._registry.read_payloads({document.payload: document.source for document in group})
            for document in group:
                for raw in payloads[document.payload]["chunks"]:
                    raw = dict(raw)
                    new_tokens[raw["chunk_id"]] = raw.pop("tokens")
                    new_chunks[raw["chunk_id"]] = StoredChunk(source=document.source, **raw)
        return _next_state(
            previous, documents, stale, fresh, new_chunks, new_tokens, int(registry.get("generation", 0)), signature
        )

    def _commit(
        self,
        upserts: Mapping[str, IndexedDocument],
        *,
        removed: set[str] | None = None,
        chunks: Mapping[str, StoredChunk] | None = None,
        tokens: Mapping[str, list[str]] | None = None,
        started: float | None = None,
        rebase: bool = True,
    ) -> list[IndexedDocument]:
        """Replace the registry (the commit point), then publish the new state to readers. Returns the
        versions this commit superseded, for the caller to delete.

        Only what changes is touched: the lexical index takes the new and old documents' chunks, the
        registry is the one file (or record set) rewritten whole. With a shared registry another server
        may commit first: this commit is then rebased on theirs, unless theirs changed one of the same
        documents (IndexConflictError, nothing committed); `rebase=False` lets CommitLostError through."""
        removed = removed or set()
        touched = [*upserts, *sorted(removed - set(upserts))]
        base = self._state
        for _ in range(_COMMIT_ATTEMPTS):
            state = self._state
            changed = [s for s in touched if _version(state, s) != _version(base, s)]
            if changed:
                raise IndexConflictError(
                    f"{', '.join(changed)} changed through another server while this write was in progress; "
                    "this write was not committed: run it again"
                )
            limit = shared_registry.ORPHAN_GRACE_S / 2
            if started is not None and self._registry.shared and time.time() - started > limit:
                # Other servers collect unlisted records this old: ours may be gone.
                raise IndexConflictError(
                    f"this write of {', '.join(touched)} took over {limit:.0f} s before it could commit; "
                    "it was not committed: run it again"
                )
            documents = {s: d for s, d in state.documents.items() if s not in removed}
            documents.update(upserts)
            stale = [state.documents[s] for s in touched if s in state.documents]
            generation = state.generation + 1
            registry = {
                "format": _FORMAT,
                "embedding": {"model_id": self.embeddings.model_id, "dimension": int(self.embeddings.dimension)},
                "generation": generation,
                "documents": {source: _registry_entry(doc) for source, doc in sorted(documents.items())},
            }
            # Built before the commit point: if it fails, nothing was committed.
            new_state = _next_state(
                state, documents, stale, list(upserts.values()), chunks or {}, tokens or {}, generation, None
            )
            try:
                signature = self._registry.commit(registry, generation)
            except CommitLostError:
                if not rebase:
                    raise
                self._catch_up()
                continue
            self._state = dataclasses.replace(new_state, signature=signature)
            return stale
        raise IndexConflictError(
            f"other servers committed first {_COMMIT_ATTEMPTS} times in a row; this write of "
            f"{', '.join(touched)} was not committed: run it again"
        )

    def _discard_document_files(self, old: IndexedDocument) -> None:
        """Delete a superseded version; failures only leave orphans for the next open to collect."""
        try:
            self._store.delete(_vector_id(old.write_id, cid) for cid in old.chunk_ids)
            self._registry.delete_payloads([old.payload])
        except Exception as exc:
            log.warning(
                "could not delete the old version of %s (%s); it will be collected later", old.source, exc
            )

    def _collect_garbage_if_idle(self) -> None:
        """Delete what interrupted writes left behind, unless a writer is at work right now."""
        with self._write_lock:
            if self._lock_depth:
                return
            with self._reload_lock:
                self._writer_active = True
            self._lock_depth = 1
            try:
                if not self._try_file_lock():
                    return
                if self._registry.changed_since(self._state.signature):
                    self._catch_up()
                self._collect_garbage()
            finally:
                self._lock_depth = 0
                self._release_writer()

    def _collect_garbage(self) -> None:
        state = self._state
        stored = self._store.all_ids()
        orphans = stored - state.vector_to_chunk.keys()
        if orphans and self._registry.shared:
            orphans = self._abandoned(orphans)
        if orphans:
            log.info("deleting %d vectors of interrupted writes", len(orphans))
            self._store.delete(sorted(orphans))
        missing_sources = {
            state.chunks[cid].source for vid, cid in state.vector_to_chunk.items() if vid not in stored
        }
        if missing_sources:
            # e.g. the Chroma store was deleted or a new server is used: forget these documents so the
            # next ingest adds them again instead of skipping them as unchanged.
            log.warning(
                "vectors missing in Chroma for %s; dropping them from the registry so the next ingest re-adds them",
                ", ".join(sorted(missing_sources)),
            )
            try:
                # Not rebased: if another server committed since the vectors were listed, its commit may be
                # what deleted them (a newer version), and dropping the document would lose that version.
                dropped = self._commit({}, removed=missing_sources, rebase=False)
            except CommitLostError:
                log.info("another server committed meanwhile; missing vectors are looked for again at the next open")
                dropped = []
            for doc in dropped:
                self._discard_document_files(doc)
        self._registry.collect_garbage({doc.payload for doc in self._state.documents.values()}, self._state.signature)

    def _abandoned(self, orphans: set[str]) -> set[str]:
        """Of vectors no registry lists, those old enough to be an abandoned write: a writer on another
        machine may be about to commit younger ones."""
        cutoff = int(time.time() - shared_registry.ORPHAN_GRACE_S)
        metadata = self._store.metadata_of(sorted(orphans))
        return {vid for vid in orphans if float(metadata.get(vid, {}).get("written_at", 0)) <= cutoff}


def _vector_count(documents: Mapping[str, IndexedDocument]) -> int:
    return sum(doc.n_chunks for doc in documents.values())


def _scored_by_matrix(
    state: _State, matrix: _DenseMatrix, vector: Sequence[float], k: int
) -> list[ScoredChunk] | None:
    """Exact cosine ranking of every chunk the matrix holds; None for a zero query (Chroma's query decides)."""
    query = _unit_query(vector)
    if query is None:
        return None
    similarities = query @ matrix.columns
    return [
        ScoredChunk(state.chunks[matrix.chunk_ids[i]], float(similarities[i]), rank)
        for rank, i in enumerate(_top(similarities, k).tolist(), start=1)
    ]


def _next_state(
    state: _State,
    documents: dict[str, IndexedDocument],
    stale: Sequence[IndexedDocument],
    fresh: Sequence[IndexedDocument],
    new_chunks: Mapping[str, StoredChunk],
    new_tokens: Mapping[str, list[str]],
    generation: int,
    signature: tuple[int, ...] | None,
) -> _State:
    """`state` without the `stale` document versions and with the `fresh` ones. The maps are copied
    (a C-speed copy, about a millisecond per 50,000 chunks) so readers of `state` are never disturbed;
    everything else costs time in proportion to the documents changed."""
    chunks = dict(state.chunks)
    vector_to_chunk = dict(state.vector_to_chunk)
    removed: set[str] = set()
    for old in stale:
        for cid in old.chunk_ids:
            chunks.pop(cid, None)
            vector_to_chunk.pop(_vector_id(old.write_id, cid), None)
            removed.add(cid)
    added: list[str] = []
    for document in fresh:
        for cid in document.chunk_ids:
            chunks[cid] = new_chunks[cid]
            vector_to_chunk[_vector_id(document.write_id, cid)] = cid
            added.append(cid)
    # Token lists go into the lexical index's postings and are not kept: the payloads hold them on disk.
    lexical = state.lexical.updated(remove=removed, add_ids=added, add_token_lists=[new_tokens[c] for c in added])
    return _State(documents, chunks, vector_to_chunk, lexical, generation, signature)


def read_stored_documents(index_dir: str | Path) -> list[StoredDocument]:
    """Every document the registry under index_dir lists, with its chunks and tokens from its payload.

    Reads files only (no Chroma, no embedding model): `ingest --reindex` uses it to re-embed documents
    whose files are not at hand (uploads), with a new model. An absent index yields []."""
    index_dir = Path(index_dir)
    path = index_dir / REGISTRY_FILE
    if not path.exists():
        return []
    registry = _read_json(path, "index registry")
    out = []
    for source, entry in sorted(registry.get("documents", {}).items()):
        document = _document_entry(source, entry)
        payload = _read_json(index_dir / PAYLOAD_DIR / document.payload, f"chunks file of {source}")
        chunks, token_lists = [], []
        for raw in payload["chunks"]:
            raw = dict(raw)
            token_lists.append(list(raw.pop("tokens")))
            chunks.append(StoredChunk(source=source, **raw))
        out.append(StoredDocument(document, chunks, token_lists))
    return out


def _payload_json(
    source: str,
    content_hash: str,
    write_id: str,
    chunks: Sequence[StoredChunk],
    token_lists: Sequence[Sequence[str]],
) -> dict[str, Any]:
    rows = []
    for chunk, tokens in zip(chunks, token_lists, strict=True):
        row = asdict(chunk)
        del row["source"]
        row["tokens"] = list(tokens)
        rows.append(row)
    return {
        "format": _FORMAT,
        "source": source,
        "content_hash": content_hash,
        "write_id": write_id,
        "chunks": rows,
    }


def _check_registry_model(index_dir: Path, model_id: str, dimension: int) -> None:
    path = index_dir / REGISTRY_FILE
    if not path.exists():
        return
    _check_model(_read_json(path, "index registry"), f"the index in {index_dir}", model_id, dimension)


def _check_model(registry: Mapping[str, Any], where: str, model_id: str, dimension: int) -> None:
    recorded = registry.get("embedding", {})
    if recorded.get("model_id") != model_id or recorded.get("dimension") != dimension:
        raise EmbeddingMismatchError(
            f"{where} was built with the embedding model {recorded.get('model_id')!r} "
            f"({recorded.get('dimension')} dimensions), not {model_id!r} ({dimension} dimensions); "
            f"use that model again, or re-index: {REINDEX_HINT}"
        )


def _import_local_registry(index_dir: Path, registry: SharedRegistry) -> RegistrySnapshot | None:
    """Move the registry and payloads that index_dir holds to a Chroma server holding none yet.

    Before the registry was shared, an index on a Chroma server kept them here: moved once, its
    documents (uploads included) stay indexed. The local registry is renamed, not deleted. Returns what
    the server holds afterwards (another server may have committed first: then that stands)."""
    local = _read_json(index_dir / REGISTRY_FILE, "index registry")
    documents = local.get("documents", {})
    payloads = {
        entry["payload"]: _read_json(index_dir / PAYLOAD_DIR / entry["payload"], f"chunks file of {source}")
        for source, entry in documents.items()
    }
    registry.write_payloads(payloads)
    try:
        registry.commit(dict(local, generation=1), 1)
    except CommitLostError:
        registry.delete_payloads(payloads)
        return registry.read()
    log.info("moved the registry of %d documents from %s to %s", len(documents), index_dir, registry.location)
    os.replace(index_dir / REGISTRY_FILE, index_dir / f"{REGISTRY_FILE}.moved-to-chroma")
    return registry.read()


def export_shared_index(chroma_url: str, collection: str, target: str | Path) -> bool:
    """Copy the registry and payloads of the index on a Chroma server to files under `target`, laid out as
    an embedded index's (read_stored_documents reads them): `ingest --reindex` re-embeds from there while
    the server's collections are rebuilt. The copy appears whole or not at all. False: no index there."""
    target = Path(target)
    registry = SharedRegistry.open(chroma_url, collection)
    staging = target.with_name(f".{target.name}.{uuid.uuid4().hex[:8]}.tmp")
    try:
        for attempt in range(_LOAD_ATTEMPTS):
            shutil.rmtree(staging, ignore_errors=True)
            snapshot = registry.read()
            if snapshot is None:
                return False
            try:
                _copy_payloads(registry, snapshot, staging / PAYLOAD_DIR)
            except IndexCorruptError:
                # Another server committed meanwhile and deleted what we were reading: copy the newer one.
                if attempt + 1 == _LOAD_ATTEMPTS or not registry.changed_since(snapshot.signature):
                    raise
                continue
            _write_json_atomic(staging / REGISTRY_FILE, snapshot.registry)
            os.rename(staging, target)
            return True
        raise AssertionError("unreachable")
    finally:
        registry.close()
        shutil.rmtree(staging, ignore_errors=True)


def _copy_payloads(registry: SharedRegistry, snapshot: RegistrySnapshot, payload_dir: Path) -> None:
    payload_dir.mkdir(parents=True)
    names = {entry["payload"]: source for source, entry in snapshot.registry.get("documents", {}).items()}
    for group in _groups(list(names)):
        # A group at a time: an archive's payloads need not fit in memory together.
        for name, payload in registry.read_payloads({n: names[n] for n in group}).items():
            _write_json_atomic(payload_dir / name, payload)


def _groups(items: Sequence[Any]) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), _PAYLOAD_GROUP):
        yield items[start : start + _PAYLOAD_GROUP]
