"""Builds the library parts from settings: the one place that maps settings to constructors."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import TYPE_CHECKING

from assistant.settings import Settings

if TYPE_CHECKING:
    from vectorstore.embeddings import ModelEmbeddings
    from vectorstore.index import DocumentIndex, StoredDocument


def build_embeddings(settings: Settings) -> ModelEmbeddings:
    from vectorstore.embeddings import make_embeddings

    return make_embeddings(
        settings.embedding_mode,
        settings.embedding_model,
        settings.embedding_batch_size,
        threads=settings.embedding_threads,
    )


def open_index(
    settings: Settings,
    embeddings: ModelEmbeddings,
    *,
    reload_interval_s: float | None = None,
    exact_search_max_vectors: int | None = None,
) -> DocumentIndex:
    """The index: embedded under data_dir, or on the Chroma server at chroma_url (vectors, registry and
    payloads all there, shared by every server process using it). `reload_interval_s`: how often a server
    asks the Chroma server for new commits (default vectorstore.index.RELOAD_INTERVAL_S);
    `exact_search_max_vectors` overrides the setting of that name."""
    from vectorstore.index import DocumentIndex

    return DocumentIndex.open(
        settings.index_dir,
        embeddings=embeddings,
        chroma_path=None if settings.chroma_url else settings.chroma_dir,
        chroma_url=settings.chroma_url,
        collection=settings.collection,
        reload_interval_s=reload_interval_s,
        exact_search_max_vectors=(
            settings.exact_search_max_vectors if exact_search_max_vectors is None else exact_search_max_vectors
        ),
    )


def start_shared_reindex(settings: Settings, backup: Path) -> list[StoredDocument]:
    """`ingest --reindex` with a Chroma server: copy the shared index's documents to `backup` (files laid out
    as an embedded index's), then drop its collections so the new index starts empty. A re-index killed
    half-way finds `backup` and starts again from it, as an embedded re-index does."""
    from vectorstore.index import export_shared_index, read_stored_documents
    from vectorstore.shared_registry import drop_shared_index

    if not settings.chroma_url:
        raise ValueError("start_shared_reindex needs settings.chroma_url")
    if not backup.exists():
        backup.parent.mkdir(parents=True, exist_ok=True)
        export_shared_index(settings.chroma_url, settings.collection, backup)
    drop_shared_index(settings.chroma_url, settings.collection)
    # What this server derived from the old index (the indicator table, built with the old model).
    shutil.rmtree(settings.index_dir, ignore_errors=True)
    return read_stored_documents(backup)
