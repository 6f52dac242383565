"""Builds the library parts from settings: the one place that maps settings to constructors."""

from __future__ import annotations

from typing import TYPE_CHECKING

from assistant.settings import Settings

if TYPE_CHECKING:
    from vectorstore.embeddings import ModelEmbeddings
    from vectorstore.index import DocumentIndex


def build_embeddings(settings: Settings) -> ModelEmbeddings:
    from vectorstore.embeddings import make_embeddings

    return make_embeddings(
        settings.embedding_mode,
        settings.embedding_model,
        settings.embedding_batch_size,
        threads=settings.embedding_threads,
    )


def open_index(settings: Settings, embeddings: ModelEmbeddings) -> DocumentIndex:
    from vectorstore.index import DocumentIndex

    return DocumentIndex.open(
        settings.index_dir,
        embeddings=embeddings,
        chroma_path=None if settings.chroma_url else settings.chroma_dir,
        chroma_url=settings.chroma_url,
        collection=settings.collection,
    )
