"""DocumentIndex: the documents registry, their vectors in Chroma and a BM25 index, kept consistent.

Files under index_dir:
  registry.json        the truth: documents (meta, content hash, chunk ids, payload file, write id),
                       the embedding model, the live lexical generation
  payloads/*.json      one per document version: chunk texts, metadata and lexical tokens
  lexical/<gen>/       one BM25 index per registry generation
  write.lock           held (fcntl) by the one process allowed to write

A write adds everything under new names (payload file, vector ids prefixed by a fresh write id,
lexical generation), then replaces registry.json atomically (the commit point), then deletes what the
old registry pointed at. Readers trust only what the registry lists, so a write killed at any point
leaves the previous state readable; what it left behind is collected at the next open.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
import re
import shutil
import threading
import uuid
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

from vectorstore.chroma_store import REINDEX_HINT, ChromaStore, VectorRecord
from vectorstore.errors import EmbeddingMismatchError, IndexCorruptError, IndexLockedError
from vectorstore.lexical import LexicalIndex

log = logging.getLogger(__name__)

REGISTRY_FILE = "registry.json"
LOCK_FILE = "write.lock"
PAYLOAD_DIR = "payloads"
LEXICAL_DIR = "lexical"
_FORMAT = 1


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
    """Everything readers use, swapped as one reference so a search never sees half a write."""

    documents: dict[str, IndexedDocument]
    chunks: dict[str, StoredChunk]
    tokens: dict[str, list[str]]
    vector_to_chunk: dict[str, str]
    lexical: LexicalIndex
    lexical_generation: str | None
    generation: int
    signature: tuple[int, int, int] | None


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


def _write_json_atomic(path: Path, data: Any) -> None:
    """Write next to the target, flush to disk, then rename over it: readers see old or new, never half."""
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.tmp")
    with open(tmp, "w", encoding="utf-8") as handle:
        json.dump(data, handle, ensure_ascii=False)
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


def _read_json(path: Path, what: str) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise IndexCorruptError(
            f"cannot read the {what} {path} ({type(exc).__name__}: {exc}); the index is damaged: {REINDEX_HINT}"
        ) from exc


def _as_vector(vector: Sequence[float] | Any) -> list[float]:
    return [float(x) for x in vector]


class DocumentIndex:
    """Documents, their chunks, vectors and BM25 index; one writer process at a time, any number of readers."""

    def __init__(
        self, index_dir: Path, embeddings: EmbeddingModelInfo, store: ChromaStore, reopen_store: Any
    ):
        self.index_dir = index_dir
        self.embeddings = embeddings
        self._store = store
        self._reopen_store = reopen_store
        self._thread_lock = threading.RLock()  # writes and reloads within this process, one at a time
        self._store_lock = threading.Lock()
        self._lock_handle: Any = None
        self._lock_depth = 0
        self._state = self._load_state()

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
    ) -> DocumentIndex:
        """Open (creating if needed) the index; the embedded Chroma store defaults to index_dir/chroma."""
        index_dir = Path(index_dir)
        for sub in ("", PAYLOAD_DIR, LEXICAL_DIR):
            (index_dir / sub).mkdir(parents=True, exist_ok=True)
        model_id, dimension = embeddings.model_id, int(embeddings.dimension)
        _check_registry_model(index_dir, model_id, dimension)
        path = None if chroma_url else Path(chroma_path) if chroma_path is not None else index_dir / "chroma"

        def reopen_store() -> ChromaStore:
            return ChromaStore.open(
                model_id=model_id, dimension=dimension, path=path, url=chroma_url, collection=collection
            )

        index = cls(index_dir, embeddings, reopen_store(), reopen_store)
        index._collect_garbage_if_idle()
        return index

    def close(self) -> None:
        with self._thread_lock:
            if self._lock_handle is not None:
                self._lock_handle.close()
                self._lock_handle = None
                self._lock_depth = 0
            self._store.close()

    def __enter__(self) -> DocumentIndex:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ---- reading -------------------------------------------------------------------------------

    def documents(self) -> list[IndexedDocument]:
        return [self._state.documents[s] for s in sorted(self._state.documents)]

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
        # Filtering on the live write ids keeps vectors of an unfinished or abandoned write out of the results.
        with self._store_lock:
            hits = self._store.query(_as_vector(query_vector), k, where={"write": {"$in": write_ids}})
        found = [
            (state.chunks[state.vector_to_chunk[h.id]], h.similarity)
            for h in hits
            if h.id in state.vector_to_chunk
        ]
        return [ScoredChunk(chunk, score, rank) for rank, (chunk, score) in enumerate(found, start=1)]

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
        """Pick up what another process committed (cheap when nothing changed). True if the state changed."""
        with self._thread_lock:
            if _file_signature(self._registry_path) == self._state.signature:
                return False
            if self._store.embedded:
                # An embedded Chroma client caches its vector segment in memory: reopen it to see new
                # vectors. Searches wait meanwhile, as the old client is unusable once closed.
                with self._store_lock:
                    self._store.close()
                    self._store = self._reopen_store()
            self._state = self._load_state()
            return True

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
            payloads: list[tuple[str, dict[str, Any]]] = []
            records: list[VectorRecord] = []
            now = datetime.now(UTC).isoformat(timespec="seconds")
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
                payloads.append(
                    (payload_name, _payload_json(source, write.content_hash, write_id, write.chunks, write.token_lists))
                )
                records.extend(
                    VectorRecord(
                        _vector_id(write_id, c.chunk_id),
                        v,
                        {"source": source, "write": write_id, "chunk_id": c.chunk_id, "ordinal": c.ordinal},
                    )
                    for c, v in zip(write.chunks, vector_rows, strict=True)
                )
            created_vectors: list[str] = []
            written_payloads: list[str] = []
            try:
                for payload_name, payload in payloads:
                    written_payloads.append(payload_name)
                    _write_json_atomic(self._payload_dir / payload_name, payload)
                if records:
                    created_vectors = [r.id for r in records]
                    self._store.upsert(records)
                documents = {**state.documents, **new_documents}
                self._commit(documents, extra_chunks=new_chunks, extra_tokens=new_tokens)
            except BaseException:
                # Undo what is not referenced by the registry; anything missed is collected at the next open.
                with contextlib.suppress(Exception):
                    if self._state is state:
                        self._store.delete(created_vectors)
                        for payload_name in written_payloads:
                            (self._payload_dir / payload_name).unlink(missing_ok=True)
                raise
            for source in new_documents:
                old = state.documents.get(source)
                if old is not None:
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
            names = {doc.source for doc in gone}
            self._commit({s: d for s, d in self._state.documents.items() if s not in names})
            for old in gone:
                self._discard_document_files(old)
            return [doc.source for doc in gone]

    # ---- internals -----------------------------------------------------------------------------

    @property
    def _registry_path(self) -> Path:
        return self.index_dir / REGISTRY_FILE

    @property
    def _payload_dir(self) -> Path:
        return self.index_dir / PAYLOAD_DIR

    @property
    def _lexical_dir(self) -> Path:
        return self.index_dir / LEXICAL_DIR

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
        with self._thread_lock:
            if self._lock_depth == 0:
                self._acquire_file_lock()
                # Another process may have committed since we read the registry: never write over it.
                if _file_signature(self._registry_path) != self._state.signature:
                    self._state = self._load_state()
            self._lock_depth += 1
            try:
                yield
            finally:
                self._lock_depth -= 1
                if self._lock_depth == 0 and self._lock_handle is not None:
                    self._lock_handle.close()  # closing the file releases the flock
                    self._lock_handle = None

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

    def _load_state(self) -> _State:
        signature = _file_signature(self._registry_path)
        if signature is None:
            return _State({}, {}, {}, {}, LexicalIndex.build([], []), None, 0, None)
        registry = _read_json(self._registry_path, "index registry")
        documents: dict[str, IndexedDocument] = {}
        chunks: dict[str, StoredChunk] = {}
        tokens: dict[str, list[str]] = {}
        vector_to_chunk: dict[str, str] = {}
        for source, entry in registry.get("documents", {}).items():
            document = _document_entry(source, entry)
            documents[source] = document
            payload = _read_json(self._payload_dir / document.payload, f"chunks file of {source}")
            for raw in payload["chunks"]:
                raw = dict(raw)
                tokens[raw["chunk_id"]] = raw.pop("tokens")
                chunks[raw["chunk_id"]] = StoredChunk(source=source, **raw)
                vector_to_chunk[_vector_id(document.write_id, raw["chunk_id"])] = raw["chunk_id"]
        generation_name = registry.get("lexical_generation")
        lexical = self._load_lexical(generation_name, chunks, tokens)
        return _State(
            documents,
            chunks,
            tokens,
            vector_to_chunk,
            lexical,
            generation_name,
            int(registry.get("generation", 0)),
            signature,
        )

    def _load_lexical(
        self, generation_name: str | None, chunks: dict[str, StoredChunk], tokens: dict[str, list[str]]
    ) -> LexicalIndex:
        if generation_name:
            try:
                lexical = LexicalIndex.load(self._lexical_dir / generation_name)
                if set(lexical.ids) == set(chunks):
                    return lexical
            except Exception as exc:  # a damaged BM25 file must not make the index unusable
                log.warning("lexical index %s unreadable (%s); rebuilding it in memory", generation_name, exc)
        ids = sorted(chunks)
        return LexicalIndex.build(ids, [tokens[i] for i in ids])

    def _commit(
        self,
        documents: dict[str, IndexedDocument],
        extra_chunks: Mapping[str, StoredChunk] | None = None,
        extra_tokens: Mapping[str, list[str]] | None = None,
    ) -> None:
        """Build the lexical generation for `documents`, then replace the registry: the commit point."""
        state = self._state
        all_chunks = {**state.chunks, **(extra_chunks or {})}
        all_tokens = {**state.tokens, **(extra_tokens or {})}
        chunks = {cid: all_chunks[cid] for doc in documents.values() for cid in doc.chunk_ids}
        tokens = {cid: all_tokens[cid] for cid in chunks}
        vector_to_chunk = {
            _vector_id(doc.write_id, cid): cid for doc in documents.values() for cid in doc.chunk_ids
        }
        ids = sorted(chunks)
        lexical = LexicalIndex.build(ids, [tokens[i] for i in ids])
        generation = state.generation + 1
        generation_name = f"g{generation:06d}-{uuid.uuid4().hex[:6]}"
        staging = self._lexical_dir / f".{generation_name}.tmp"
        lexical.save(staging)
        os.rename(staging, self._lexical_dir / generation_name)
        registry = {
            "format": _FORMAT,
            "embedding": {"model_id": self.embeddings.model_id, "dimension": int(self.embeddings.dimension)},
            "generation": generation,
            "lexical_generation": generation_name,
            "documents": {
                source: {k: v for k, v in asdict(doc).items() if k != "source"}
                for source, doc in sorted(documents.items())
            },
        }
        try:
            _write_json_atomic(self._registry_path, registry)
        except BaseException:
            shutil.rmtree(self._lexical_dir / generation_name, ignore_errors=True)
            raise
        self._state = _State(
            documents,
            chunks,
            tokens,
            vector_to_chunk,
            lexical,
            generation_name,
            generation,
            _file_signature(self._registry_path),
        )
        if state.lexical_generation:
            shutil.rmtree(self._lexical_dir / state.lexical_generation, ignore_errors=True)

    def _discard_document_files(self, old: IndexedDocument) -> None:
        """Delete a superseded version; failures only leave orphans for the next open to collect."""
        try:
            self._store.delete(_vector_id(old.write_id, cid) for cid in old.chunk_ids)
            (self._payload_dir / old.payload).unlink(missing_ok=True)
        except Exception as exc:
            log.warning(
                "could not delete the old version of %s (%s); it will be collected later", old.source, exc
            )

    def _collect_garbage_if_idle(self) -> None:
        """Delete what interrupted writes left behind, unless a writer is at work right now."""
        with self._thread_lock:
            if self._lock_depth or not self._try_file_lock():
                return
            self._lock_depth = 1
            try:
                if _file_signature(self._registry_path) != self._state.signature:
                    self._state = self._load_state()
                self._collect_garbage()
            finally:
                self._lock_depth = 0
                if self._lock_handle is not None:
                    self._lock_handle.close()
                    self._lock_handle = None

    def _collect_garbage(self) -> None:
        state = self._state
        stored = self._store.all_ids()
        orphans = stored - state.vector_to_chunk.keys()
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
            dropped = [state.documents[s] for s in sorted(missing_sources)]
            self._commit({s: d for s, d in state.documents.items() if s not in missing_sources})
            for doc in dropped:
                self._discard_document_files(doc)
        live_payloads = {doc.payload for doc in self._state.documents.values()}
        for path in self._payload_dir.iterdir():
            if path.name not in live_payloads:
                path.unlink(missing_ok=True)
        for path in self._lexical_dir.iterdir():
            if path.name != self._state.lexical_generation:
                shutil.rmtree(path, ignore_errors=True)
        for path in self.index_dir.glob(f".{REGISTRY_FILE}.*.tmp"):
            path.unlink(missing_ok=True)


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
    recorded = _read_json(path, "index registry").get("embedding", {})
    if recorded.get("model_id") != model_id or recorded.get("dimension") != dimension:
        raise EmbeddingMismatchError(
            f"the index in {index_dir} was built with the embedding model {recorded.get('model_id')!r} "
            f"({recorded.get('dimension')} dimensions), not {model_id!r} ({dimension} dimensions); "
            f"use that model again, or re-index: {REINDEX_HINT}"
        )
