"""From files to the index: load, repair, chunk, describe, embed, store. Incremental and atomic per document."""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import queue
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Literal, Protocol

from ingest.chunking import chunk_document
from ingest.cleaning import clean_document
from ingest.errors import IngestError
from ingest.loaders import discover_files, load_document
from ingest.metadata import apply_manifest, extract_metadata, load_manifest
from ingest.models import Chunk, DocumentMeta, LoadedDocument
from ingest.text import index_text, search_tokens
from vectorstore.errors import VectorStoreError
from vectorstore.index import DocumentIndex, DocumentWrite, StoredChunk, StoredDocument

log = logging.getLogger(__name__)

# Bump when chunking/cleaning/metadata change in a way that must re-ingest unchanged files.
PIPELINE_VERSION = "5"  # 3: crawled tables without blank lines read row by row, rows shown without emphasis; 4: signer blocks before annexes; 5: a legal database's property block read as metadata, a crawled annex after an unreadable one read row by row
EMBED_BATCH = 64
# Documents per commit (one registry write, one vector upsert) at most, and seconds a batch may wait.
COMMIT_EVERY = 64
COMMIT_SECONDS = 30.0
COMMIT_COST_SHARE = 0.05
# Documents read, cleaned and chunked ahead of the one being embedded (by a thread of their own).
PREPARE_AHEAD = 4
# Niceness of a background ingest's threads (and their embedding threads): answers come first.
BACKGROUND_NICENESS = 10
MB = 1024 * 1024

Status = Literal["added", "updated", "unchanged", "failed", "skipped"]


class EmbeddingsLike(Protocol):
    @property
    def model_id(self) -> str: ...

    def embed_documents(self, texts: list[str]) -> list[list[float]]: ...

    def count_tokens(self, text: str) -> int: ...


class ProgressLike(Protocol):
    """What the pipeline reports to; a tqdm-backed reporter lives with the CLI."""

    def start_files(self, total: int) -> None: ...

    def file_done(self, name: str) -> None: ...

    def embedding_batch(self, done: int, total: int) -> None: ...

    def close(self) -> None: ...


@dataclass
class FileOutcome:
    source: str
    path: str
    status: Status
    chunks: int = 0
    reason: str | None = None
    duplicate_of: str | None = None  # skipped: this content is already indexed under that name
    restored: bool = False  # re-embedded from the index's own copy (`--reindex`), not read from a file


@dataclass
class IngestSummary:
    outcomes: list[FileOutcome] = field(default_factory=list)
    pruned: list[str] = field(default_factory=list)
    seconds: float = 0.0
    embedding_seconds: float = 0.0
    commits: int = 0  # batches committed (each: one registry write)

    def _count(self, status: Status) -> int:
        return sum(1 for o in self.outcomes if o.status == status)

    @property
    def added(self) -> int:
        return self._count("added")

    @property
    def updated(self) -> int:
        return self._count("updated")

    @property
    def unchanged(self) -> int:
        return self._count("unchanged")

    @property
    def failed(self) -> int:
        return self._count("failed")

    @property
    def skipped(self) -> int:
        return self._count("skipped")

    @property
    def ok(self) -> bool:
        return self.failed == 0

    def to_dict(self) -> dict[str, object]:
        return {
            "added": self.added,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "failed": self.failed,
            "skipped": self.skipped,
            "pruned": list(self.pruned),
            "seconds": round(self.seconds, 3),
            "embedding_seconds": round(self.embedding_seconds, 3),
            "commits": self.commits,
            "files": [asdict(o) for o in self.outcomes],
        }


@dataclass(frozen=True)
class PreparedDocument:
    """Everything about one document except its vectors: computed before the index is touched."""

    meta: DocumentMeta
    fingerprint: str
    chunks: list[Chunk]
    embedding_texts: list[str]
    token_lists: list[list[str]]


def file_fingerprint(data: bytes, manifest_entry: dict[str, object] | None) -> str:
    """Content hash that also changes when the manifest entry or the pipeline changes."""
    digest = hashlib.sha256(data)
    digest.update(json.dumps(manifest_entry or {}, sort_keys=True, ensure_ascii=False).encode())
    digest.update(PIPELINE_VERSION.encode())
    return digest.hexdigest()


def _context_header(meta: DocumentMeta, chunk: Chunk) -> str:
    # The header lets the dense index tell the same indicator apart across documents and periods.
    parts = [meta.title]
    if meta.period:
        parts.append(f"kỳ: {meta.period}")
    if chunk.table_title and chunk.table_title not in chunk.section_path:
        parts.append(chunk.table_title)
    if chunk.section:
        parts.append(chunk.section)
    return " | ".join(parts)


def cell_pairs(chunk: Chunk) -> str:
    """A table row's cells named by their columns: "Năm 2027: 150; Năm 2028: 170".

    A cell alone ("150") says nothing; paired with its column, a question about "năm 2027" finds it.
    """
    pairs = [f"{column}: {cell}" for column, cell in zip(chunk.columns, chunk.cells, strict=False) if column and cell]
    return "; ".join(pairs)


def embedding_text(meta: DocumentMeta, chunk: Chunk) -> str:
    pairs = cell_pairs(chunk)
    body = f"{chunk.text}\n{pairs}" if pairs else chunk.text
    return index_text(f"{_context_header(meta, chunk)}\n{body}")


def lexical_tokens(meta: DocumentMeta, chunk: Chunk) -> list[str]:
    pairs = cell_pairs(chunk)
    return search_tokens(f"{chunk.section} {chunk.text} {pairs}" if pairs else f"{chunk.section} {chunk.text}")


def prepare_document(
    path: Path,
    *,
    manifest: dict[str, dict[str, object]],
    count_tokens: Callable[[str], int],
    max_tokens: int,
) -> PreparedDocument:
    """Load, repair, describe and chunk one file. Raises IngestError with a user-facing message."""
    loaded = load_document(path)
    entry = manifest.get(loaded.source)
    fingerprint = file_fingerprint(path.read_bytes(), entry)
    loaded = LoadedDocument(
        source=loaded.source, path=loaded.path, file_type=loaded.file_type,
        pages=loaded.pages, content_hash=fingerprint,
    )
    cleaned = clean_document(loaded)
    meta = extract_metadata(loaded, cleaned.text)
    if entry:
        meta = apply_manifest(meta, entry)
    chunks = chunk_document(loaded, max_tokens=max_tokens, count_tokens=count_tokens, cleaned=cleaned)
    if not chunks:
        raise IngestError(f"{path}: no text to index after cleaning. Check that the file has readable text.")
    return PreparedDocument(
        meta=meta,
        fingerprint=fingerprint,
        chunks=chunks,
        embedding_texts=[embedding_text(meta, c) for c in chunks],
        token_lists=[lexical_tokens(meta, c) for c in chunks],
    )


def _manifest_for(files: Sequence[Path]) -> dict[str, dict[str, object]]:
    merged: dict[str, dict[str, object]] = {}
    for folder in sorted({f.parent for f in files}):
        merged.update(load_manifest(folder))
    return merged


def ingest_paths(
    paths: Sequence[Path],
    *,
    index: DocumentIndex,
    embeddings: EmbeddingsLike,
    prune: bool = False,
    max_tokens: int = 400,
    progress: ProgressLike | None = None,
    on_outcome: OutcomeCallback | None = None,
    max_file_bytes: int | None = None,
    restore: Sequence[StoredDocument] = (),
    commit_every: int = COMMIT_EVERY,
    commit_seconds: float = COMMIT_SECONDS,
    background: bool = False,
) -> IngestSummary:
    """Index files and folders. Unchanged files are skipped; a failing file writes nothing.

    Documents are committed in batches (one registry write and one vector upsert per batch): the first
    batches are small so a run shows results at once, then they grow to `commit_every` documents, and
    a batch waits at most `commit_seconds`. A killed run loses at most the batch in progress.
    A file whose content is already indexed under another name is skipped as a duplicate; a file
    larger than `max_file_bytes` (uploads) fails with the limit. `restore` (from `ingest --reindex`) is
    the previous registry's documents: those not re-ingested from a file are re-embedded from their
    stored copy, so uploads survive a re-index. `on_outcome` hears of each document once its fate is
    final (committed, failed, skipped), with the run's throughput: `ingest --json` streams it.

    The next documents are read, cleaned and chunked in a thread while the current one is embedded.
    `background` (an upload beside a serving process) runs the work in threads of lower CPU priority,
    so answers given meanwhile keep their speed; readers of the index are never blocked either way.
    """
    if background:
        return _in_background_thread(
            lambda: ingest_paths(
                paths, index=index, embeddings=embeddings, prune=prune, max_tokens=max_tokens,
                progress=progress, on_outcome=on_outcome, max_file_bytes=max_file_bytes, restore=restore,
                commit_every=commit_every, commit_seconds=commit_seconds,
            )
        )
    started = time.perf_counter()
    summary = IngestSummary()
    discovery = discover_files(list(paths))
    names = {f.name for f in discovery.files}
    to_restore = [d for d in restore if d.document.source not in names]
    run = _Run(
        index=index, embeddings=embeddings, progress=progress, summary=summary, on_outcome=on_outcome,
        started=started, total=len(discovery.skipped) + len(discovery.files) + len(to_restore),
        commit_every=commit_every, commit_seconds=commit_seconds,
    )
    for skipped in discovery.skipped:
        # The reason names the file, as failure reasons do: the summary prints reasons alone.
        reason = f"{skipped.path}: {skipped.reason}"
        run.finish(FileOutcome(source=Path(skipped.path).name, path=str(skipped.path), status="skipped", reason=reason))
    manifest: dict[str, dict[str, object]] = {}
    try:
        manifest = _manifest_for(discovery.files)
    except IngestError as exc:
        # A broken manifest must not silently drop the metadata officials see: fail the run, index untouched.
        for f in discovery.files:
            run.finish(FileOutcome(source=f.name, path=str(f), status="failed", reason=str(exc)))
        summary.seconds = time.perf_counter() - started
        return summary

    if progress:
        progress.start_files(len(discovery.files) + len(to_restore))
    try:
        with index.batch():
            run.learn_hashes(prune=prune, names=names)
            try:
                with _Preparer(
                    discovery.files, lambda path: _prepare_one(path, run, manifest, max_tokens, max_file_bytes)
                ) as prepared:
                    for path, item in prepared:
                        if isinstance(item, FileOutcome):
                            run.finish(item)
                        else:
                            _embed_and_stage(item, run)
                        if progress:
                            progress.file_done(path.name)
                # Documents of the previous registry not re-read from a file (uploads; files that failed now).
                indexed_now = {o.source for o in summary.outcomes if o.status in ("added", "updated", "unchanged")}
                for stored in [*to_restore, *(d for d in restore if d.document.source in names)]:
                    source = stored.document.source
                    if source in indexed_now or index.get_document(source) is not None:
                        continue
                    _restore_one(stored, run)
                    if progress and source not in names:
                        progress.file_done(source)
            except KeyboardInterrupt:
                run.flush()  # what is embedded already is kept: a re-run goes on after it
                raise
            run.flush()
            if prune:
                present = {o.source for o in summary.outcomes if o.status != "skipped"}
                summary.pruned = _prune_missing(index, present)
    finally:
        # Also on Ctrl-C, so the bars do not garble the message that follows.
        if progress:
            progress.close()
    summary.seconds = time.perf_counter() - started
    return summary


@dataclass(frozen=True)
class RunProgress:
    """How far a run is: documents whose work is done (committed ones may trail by a batch)."""

    done: int
    total: int
    elapsed_s: float

    @property
    def docs_per_second(self) -> float | None:
        return self.done / self.elapsed_s if self.done and self.elapsed_s > 0 else None

    @property
    def eta_seconds(self) -> float | None:
        rate = self.docs_per_second
        if rate is None:
            return None
        return max(self.total - self.done, 0) / rate


OutcomeCallback = Callable[[FileOutcome, RunProgress], None]


class _Run:
    """One ingest run's state: outcomes in file order, the batch waiting for its commit, content hashes."""

    def __init__(
        self,
        *,
        index: DocumentIndex,
        embeddings: EmbeddingsLike,
        progress: ProgressLike | None,
        summary: IngestSummary,
        on_outcome: OutcomeCallback | None,
        started: float,
        total: int,
        commit_every: int,
        commit_seconds: float,
    ) -> None:
        self.index = index
        self.embeddings = embeddings
        self.progress = progress
        self.summary = summary
        self.on_outcome = on_outcome
        self.started = started
        self.total = total
        self.processed = 0
        self.commit_every = max(1, commit_every)
        self.commit_seconds = commit_seconds
        self.batch_limit = 1  # doubles after each commit up to commit_every: the first documents show at once
        self.pending: list[tuple[FileOutcome, DocumentWrite]] = []
        self.batch_started = time.perf_counter()
        self.commit_wait = commit_seconds
        self.by_hash: dict[str, str] = {}  # file sha256 → the source indexed (or being indexed) with it
        self.surviving: Callable[[str], bool] = lambda source: True

    def learn_hashes(self, *, prune: bool, names: set[str]) -> None:
        """Content hashes of what is indexed; which documents will still be indexed after this run."""
        for doc in self.index.documents():
            digest = doc.meta.get("file_sha256") or _legacy_file_sha256(doc.meta, doc.content_hash)
            if isinstance(digest, str):
                self.by_hash.setdefault(digest, doc.source)

        def surviving(source: str) -> bool:
            # With --prune, a document whose file is gone (renamed, moved away) is about to be dropped:
            # its content under a new name is then no duplicate.
            if not prune or source in names:
                return True
            doc = self.index.get_document(source)
            stored_path = doc.meta.get("path") if doc is not None else None
            return doc is None or not stored_path or Path(str(stored_path)).exists()

        self.surviving = surviving

    def duplicate_of(self, digest: str, source: str) -> str | None:
        other = self.by_hash.get(digest)
        if other is None or other == source or not self.surviving(other):
            return None
        return other

    def state(self) -> RunProgress:
        return RunProgress(done=self.processed, total=self.total, elapsed_s=time.perf_counter() - self.started)

    def record(self, outcome: FileOutcome) -> None:
        self.summary.outcomes.append(outcome)
        self.processed += 1

    def finish(self, outcome: FileOutcome) -> None:
        """An outcome that is final now (unchanged, skipped, failed)."""
        self.record(outcome)
        self._emit(outcome)

    def _emit(self, outcome: FileOutcome) -> None:
        if self.on_outcome is not None:
            self.on_outcome(outcome, self.state())

    def stage(self, outcome: FileOutcome, write: DocumentWrite, digest: str | None) -> None:
        """A document ready to commit: it joins the batch, which commits when full or old enough."""
        self.record(outcome)
        if not self.pending:
            self.batch_started = time.perf_counter()
        self.pending.append((outcome, write))
        if digest:
            self.by_hash.setdefault(digest, outcome.source)
        full = len(self.pending) >= self.batch_limit
        if full or time.perf_counter() - self.batch_started >= self.commit_wait:
            self.flush()

    def flush(self) -> None:
        if not self.pending:
            return
        batch, self.pending = self.pending, []
        t0 = time.perf_counter()
        try:
            self.index.replace_documents([write for _, write in batch])
        except (VectorStoreError, OSError) as exc:
            # The store refused this write (server gone, lock, disk full): the index keeps its previous
            # version of each of these documents, and the run goes on.
            for outcome, _ in batch:
                outcome.status, outcome.chunks = "failed", 0
                outcome.reason = f"{outcome.path}: not indexed: {exc}"
                outcome.duplicate_of = None
            self._forget_hashes(batch)
        self.summary.commits += 1
        self.batch_limit = min(self.batch_limit * 2, self.commit_every)
        # A commit rewrites the registry, which grows with the archive: a batch waits at least
        # COMMIT_COST_SHARE⁻¹ times as long as the last commit took, keeping commits a small share of the run.
        self.commit_wait = max(self.commit_seconds, (time.perf_counter() - t0) / COMMIT_COST_SHARE)
        for outcome, _ in batch:
            self._emit(outcome)

    def _forget_hashes(self, batch: list[tuple[FileOutcome, DocumentWrite]]) -> None:
        sources = {outcome.source for outcome, _ in batch}
        self.by_hash = {h: s for h, s in self.by_hash.items() if s not in sources or self.index.get_document(s)}


def _legacy_file_sha256(meta: dict[str, object], content_hash: str) -> str | None:
    """The file hash of a document indexed before the registry recorded it: read from its file, when the
    file is still where it was and still holds what was indexed."""
    stored_path = meta.get("path")
    if not stored_path:
        return None
    path = Path(str(stored_path))
    try:
        data = path.read_bytes()
        entry = load_manifest(path.parent).get(path.name)
    except (OSError, IngestError):
        return None
    if file_fingerprint(data, entry) != content_hash:
        return None
    return hashlib.sha256(data).hexdigest()


def size_refusal(name: str, size: int, max_bytes: int) -> str | None:
    """The message refusing a file over the upload limit, or None when it is within it."""
    if size <= max_bytes:
        return None
    return (
        f"{name}: the file is {size / MB:.1f} MB; uploads are limited to {max_bytes / MB:g} MB "
        "(ASSISTANT_MAX_UPLOAD_MB). Nothing of it was indexed: split the document, or ask an "
        "administrator to raise the limit or to ingest it with `assistant ingest`."
    )


@dataclass(frozen=True)
class _ReadyDocument:
    """A file read, cleaned and chunked, waiting for its vectors."""

    path: Path
    prepared: PreparedDocument
    digest: str
    updating: bool


def _prepare_one(
    path: Path,
    run: _Run,
    manifest: dict[str, dict[str, object]],
    max_tokens: int,
    max_file_bytes: int | None,
) -> FileOutcome | _ReadyDocument:
    """Everything about one file short of embedding it: its final outcome (unchanged, skipped, failed)
    or the document ready to embed. Runs ahead of the embedding, in the preparing thread."""
    source = path.name
    existing = run.index.get_document(source)
    try:
        if path.is_symlink():  # replaced by a link since discovery: still not followed
            return FileOutcome(source=source, path=str(path), status="skipped",
                               reason=f"{path}: a symbolic link: links are not followed")
        if max_file_bytes is not None:
            refusal = size_refusal(str(path), path.stat().st_size, max_file_bytes)
            if refusal:
                return FileOutcome(source=source, path=str(path), status="failed", reason=refusal)
        data = path.read_bytes()
        fingerprint = file_fingerprint(data, manifest.get(source))
        if existing is not None and existing.content_hash == fingerprint:
            return FileOutcome(source=source, path=str(path), status="unchanged", chunks=len(existing.chunk_ids))
        digest = hashlib.sha256(data).hexdigest()
        twin = run.duplicate_of(digest, source)
        if twin is not None:
            return FileOutcome(
                source=source, path=str(path), status="skipped", duplicate_of=twin,
                reason=f"{path}: duplicate: the same content is already indexed as {twin}; nothing was changed",
            )
        prepared = _prepare_or_fail(path, manifest, run.embeddings, max_tokens)
    except IngestError as exc:
        return FileOutcome(source=source, path=str(path), status="failed", reason=str(exc))
    except OSError as exc:
        return FileOutcome(source=source, path=str(path), status="failed", reason=f"{path}: cannot read: {exc}")
    # Claimed now, before it is embedded: a later file with the same content is its duplicate.
    run.by_hash.setdefault(digest, source)
    return _ReadyDocument(path, prepared, digest, updating=existing is not None)


def _embed_and_stage(ready: _ReadyDocument, run: _Run) -> None:
    prepared, path = ready.prepared, ready.path
    t0 = time.perf_counter()
    vectors = _embed(run.embeddings, prepared.embedding_texts, run.progress)
    run.summary.embedding_seconds += time.perf_counter() - t0
    meta = asdict(prepared.meta) | {"path": str(path.resolve()), "file_sha256": ready.digest}
    write = DocumentWrite(
        meta, prepared.fingerprint, [_stored_chunk(prepared.meta, c) for c in prepared.chunks],
        vectors, prepared.token_lists,
    )
    outcome = FileOutcome(
        source=path.name, path=str(path), status="updated" if ready.updating else "added",
        chunks=len(prepared.chunks),
    )
    run.stage(outcome, write, None)


_DONE = object()


class _Preparer:
    """Runs `prepare` over the paths in a thread of its own, at most PREPARE_AHEAD documents ahead of the
    consumer, and hands the results over in file order. Leaving the `with` block stops the thread."""

    def __init__(self, paths: Sequence[Path], prepare: Callable[[Path], FileOutcome | _ReadyDocument]) -> None:
        self._paths = list(paths)
        self._prepare = prepare
        self._queue: queue.Queue[object] = queue.Queue(maxsize=PREPARE_AHEAD)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._work, name="ingest-prepare", daemon=True)

    def __enter__(self) -> _Preparer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        while self._thread.is_alive():
            with contextlib.suppress(queue.Empty):
                self._queue.get(timeout=0.05)  # unblocks a put the thread is waiting on
        self._thread.join()

    def _put(self, item: object) -> bool:
        while not self._stop.is_set():
            try:
                self._queue.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def _work(self) -> None:
        try:
            for path in self._paths:
                if self._stop.is_set() or not self._put((path, self._prepare(path))):
                    return
        except BaseException as exc:  # handed to the consumer, which raises it in its own thread
            self._put(_Failure(exc))
            return
        self._put(_DONE)

    def __iter__(self) -> Iterator[tuple[Path, FileOutcome | _ReadyDocument]]:
        while True:
            item = self._queue.get()
            if item is _DONE:
                return
            if isinstance(item, _Failure):
                raise item.error
            yield item  # type: ignore[misc]


@dataclass(frozen=True)
class _Failure:
    error: BaseException


def _in_background_thread(work: Callable[[], IngestSummary]) -> IngestSummary:
    """Run `work` in a new thread of lower CPU priority (Linux: niceness is per thread and inherited by
    the threads it starts, the preparing thread and the embedding engine's own), and wait for it."""
    result: list[IngestSummary] = []
    failure: list[BaseException] = []

    def run() -> None:
        with contextlib.suppress(OSError, AttributeError):  # not permitted, or not Linux: run as is
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), BACKGROUND_NICENESS)
        try:
            result.append(work())
        except BaseException as exc:
            failure.append(exc)

    worker = threading.Thread(target=run, name="ingest-background")
    worker.start()
    worker.join()
    if failure:
        raise failure[0]
    return result[0]


# Chunk fields kept in a stored chunk's metadata, by the metadata key _stored_chunk writes them under.
_CHUNK_FIELDS_IN_METADATA = {"kind": "chunk_kind", "table_title": "table_title", "columns": "columns", "cells": "cells"}


def _chunk_from_stored(stored: StoredChunk) -> Chunk:
    """The Chunk a stored chunk was made from, as far as embedding_text needs it."""
    names = {f.name for f in fields(Chunk)}
    extra: dict[str, object] = {}
    for name, key in _CHUNK_FIELDS_IN_METADATA.items():
        value = stored.metadata.get(key)
        if name in names and value is not None:
            extra[name] = tuple(value) if isinstance(value, list) else value
    return Chunk(
        chunk_id=stored.chunk_id, source=stored.source, ordinal=stored.ordinal, text=stored.text,
        section_path=tuple(stored.metadata.get("section_path") or ()), page=stored.page,
        start=stored.start, end=stored.end, **extra,  # type: ignore[arg-type]
    )


def _restore_one(stored: StoredDocument, run: _Run) -> None:
    """Re-embed a document of the previous registry from its stored copy (its file is not at hand)."""
    document = stored.document
    meta_fields = {f.name for f in fields(DocumentMeta)}
    raw = {k: v for k, v in document.meta.items() if k in meta_fields}
    meta = DocumentMeta(**{"source": document.source, "title": document.source, "kind": "văn bản", **raw})
    chunks = [_chunk_from_stored(c) for c in stored.chunks]
    path = str(document.meta.get("path") or document.source)
    t0 = time.perf_counter()
    vectors = _embed(run.embeddings, [embedding_text(meta, c) for c in chunks], run.progress)
    run.summary.embedding_seconds += time.perf_counter() - t0
    outcome = FileOutcome(
        source=document.source, path=path, status="added", chunks=len(chunks), restored=True,
        reason=f"{document.source}: re-embedded from the index's own copy (its file was not among the paths ingested)",
    )
    digest = document.meta.get("file_sha256")
    write = DocumentWrite(document.meta, document.content_hash, stored.chunks, vectors, stored.token_lists)
    run.stage(outcome, write, digest if isinstance(digest, str) else None)


def _prepare_or_fail(
    path: Path, manifest: dict[str, dict[str, object]], embeddings: EmbeddingsLike, max_tokens: int
) -> PreparedDocument:
    """prepare_document, with any unexpected error in reading one file turned into that file's failure:
    one odd file must not stop the run for the others."""
    try:
        return prepare_document(path, manifest=manifest, count_tokens=embeddings.count_tokens, max_tokens=max_tokens)
    except (IngestError, OSError):
        raise
    except Exception as exc:
        log.warning("unexpected error while reading %s", path, exc_info=True)
        raise IngestError(
            f"{path}: could not be read ({type(exc).__name__}: {exc}). Nothing of it was indexed; "
            "check the file (open and re-save it) and report it if the error stays.",
            path,
        ) from exc


def _stored_chunk(meta: DocumentMeta, chunk: Chunk) -> StoredChunk:
    return StoredChunk(
        chunk_id=chunk.chunk_id,
        source=chunk.source,
        ordinal=chunk.ordinal,
        text=chunk.text,
        section=chunk.section,
        page=chunk.page,
        start=chunk.start,
        end=chunk.end,
        metadata={
            "title": meta.title,
            "kind": meta.kind,
            "number": meta.number,
            "date": meta.date,
            "period": meta.period,
            "section_path": list(chunk.section_path),
            # A table row: what table it is and the name of each of its cells, so an answer can name the column.
            "chunk_kind": chunk.kind,
            "table_title": chunk.table_title,
            "columns": list(chunk.columns),
            "cells": list(chunk.cells),
        },
    )


def _embed(embeddings: EmbeddingsLike, texts: list[str], progress: ProgressLike | None) -> list[list[float]]:
    # Batches driven here so any LangChain Embeddings reports progress the same way.
    vectors: list[list[float]] = []
    for start in range(0, len(texts), EMBED_BATCH):
        vectors.extend(embeddings.embed_documents(texts[start : start + EMBED_BATCH]))
        if progress:
            progress.embedding_batch(len(vectors), len(texts))
    return vectors


def _prune_missing(index: DocumentIndex, present: set[str]) -> list[str]:
    """Drop documents whose file is gone, in one commit. A document found in this run is kept even if the
    path it was first ingested from is gone (its folder was moved): it is unchanged, not missing."""
    missing = []
    for doc in index.documents():
        stored_path = doc.meta.get("path")
        if doc.source in present:
            continue
        if stored_path and not Path(str(stored_path)).exists():
            missing.append(doc.source)
    return index.remove_documents(missing)
