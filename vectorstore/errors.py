"""Errors of the vector store: each message says what is wrong and what to do about it."""

from __future__ import annotations


class VectorStoreError(Exception):
    """Base of every error this package raises on purpose."""


class EmbeddingBackendError(VectorStoreError, ImportError):
    """An embedding backend cannot be used: its package is missing or its model is not on this machine."""


class EmbeddingMismatchError(VectorStoreError):
    """The index was built with another embedding model or dimension than the one asked for."""


class ChromaUnavailableError(VectorStoreError):
    """The Chroma server (or the on-disk store) cannot be reached or opened."""


class IndexLockedError(VectorStoreError):
    """Another process is writing to the index."""


class IndexCorruptError(VectorStoreError):
    """A file the registry relies on is missing or unreadable."""
