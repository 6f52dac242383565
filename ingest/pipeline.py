"""From files to the index: load, repair, chunk, describe, embed, store. Incremental and atomic per document."""

from __future__ import annotations

import hashlib
import json
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
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
from vectorstore.index import DocumentIndex, StoredChunk

log = logging.getLogger(__name__)

# Bump when chunking/cleaning/metadata change in a way that must re-ingest unchanged files.
PIPELINE_VERSION = "1"
EMBED_BATCH = 64

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


@dataclass
class IngestSummary:
    outcomes: list[FileOutcome] = field(default_factory=list)
    pruned: list[str] = field(default_factory=list)
    seconds: float = 0.0
    embedding_seconds: float = 0.0

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
    if chunk.section:
        parts.append(chunk.section)
    return " | ".join(parts)


def embedding_text(meta: DocumentMeta, chunk: Chunk) -> str:
    return index_text(f"{_context_header(meta, chunk)}\n{chunk.text}")


def lexical_tokens(meta: DocumentMeta, chunk: Chunk) -> list[str]:
    return search_tokens(f"{chunk.section} {chunk.text}")


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
) -> IngestSummary:
    """Index files and folders. Unchanged files are skipped; a failing file writes nothing."""
    started = time.perf_counter()
    summary = IngestSummary()
    discovery = discover_files(list(paths))
    for skipped in discovery.skipped:
        # The reason names the file, as failure reasons do: the summary prints reasons alone.
        reason = f"{skipped.path}: {skipped.reason}"
        summary.outcomes.append(
            FileOutcome(source=Path(skipped.path).name, path=str(skipped.path), status="skipped", reason=reason)
        )
    manifest: dict[str, dict[str, object]] = {}
    try:
        manifest = _manifest_for(discovery.files)
    except IngestError as exc:
        # A broken manifest must not silently drop the metadata officials see: fail the run, index untouched.
        summary.outcomes.extend(
            FileOutcome(source=f.name, path=str(f), status="failed", reason=str(exc)) for f in discovery.files
        )
        summary.seconds = time.perf_counter() - started
        return summary

    if progress:
        progress.start_files(len(discovery.files))
    try:
        with index.batch():
            for path in discovery.files:
                outcome = _ingest_one(path, index, embeddings, manifest, max_tokens, progress, summary)
                summary.outcomes.append(outcome)
                if progress:
                    progress.file_done(path.name)
            if prune:
                present = {o.source for o in summary.outcomes if o.status != "skipped"}
                summary.pruned = _prune_missing(index, present)
    finally:
        # Also on Ctrl-C, so the bars do not garble the message that follows.
        if progress:
            progress.close()
    summary.seconds = time.perf_counter() - started
    return summary


def _ingest_one(
    path: Path,
    index: DocumentIndex,
    embeddings: EmbeddingsLike,
    manifest: dict[str, dict[str, object]],
    max_tokens: int,
    progress: ProgressLike | None,
    summary: IngestSummary,
) -> FileOutcome:
    source = path.name
    existing = index.get_document(source)
    try:
        fingerprint = file_fingerprint(path.read_bytes(), manifest.get(source))
        if existing is not None and existing.content_hash == fingerprint:
            return FileOutcome(source=source, path=str(path), status="unchanged", chunks=len(existing.chunk_ids))
        prepared = _prepare_or_fail(path, manifest, embeddings, max_tokens)
        t0 = time.perf_counter()
        vectors = _embed(embeddings, prepared.embedding_texts, progress)
        summary.embedding_seconds += time.perf_counter() - t0
        meta = asdict(prepared.meta) | {"path": str(path.resolve())}
        index.replace_document(
            meta, prepared.fingerprint, [_stored_chunk(prepared.meta, c) for c in prepared.chunks],
            vectors, prepared.token_lists,
        )
    except IngestError as exc:
        return FileOutcome(source=source, path=str(path), status="failed", reason=str(exc))
    except OSError as exc:
        return FileOutcome(source=source, path=str(path), status="failed", reason=f"{path}: cannot read: {exc}")
    except VectorStoreError as exc:
        # The store refused this write (server gone, lock, mismatch): the index keeps its previous version.
        return FileOutcome(source=source, path=str(path), status="failed", reason=f"{path}: not indexed: {exc}")
    return FileOutcome(
        source=source, path=str(path), status="updated" if existing is not None else "added",
        chunks=len(prepared.chunks),
    )


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
    """Drop documents whose file is gone. A document found in this run is kept even if the path it was
    first ingested from is gone (its folder was moved): it is unchanged, not missing."""
    pruned = []
    for doc in index.documents():
        stored_path = doc.meta.get("path")
        if doc.source in present:
            continue
        if stored_path and not Path(str(stored_path)).exists():
            index.remove_document(doc.source)
            pruned.append(doc.source)
    return pruned
