"""The peer a user would build first: textbook LangChain RAG over the same files and embedding model.

RecursiveCharacterTextSplitter(1000, 200) over the raw text, dense top-4 from an in-memory
vector store, the top chunk's text as the answer. No metadata, no lexical search, no refusal:
`found` is always true. It answers through the same `Answer` model so the same code scores it.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from langchain_core.documents import Document
from langchain_core.embeddings import Embeddings
from langchain_core.vectorstores import InMemoryVectorStore
from langchain_text_splitters import RecursiveCharacterTextSplitter

from assistant.models import Answer, Citation, RetrievedPassage, Turn

log = logging.getLogger(__name__)

ANSWER_K = 4
# Retrieval metrics look a little deeper than the 4 chunks the answer uses, so hit@5 means the same
# thing for both systems.
RETRIEVE_K = 10


class _PrecomputedEmbeddings(Embeddings):
    """Serves already computed passage vectors by text; anything else (queries) goes to the model."""

    def __init__(self, model: Embeddings, vectors: dict[str, list[float]]) -> None:
        self.model = model
        self.vectors = vectors

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        unknown = [t for t in texts if t not in self.vectors]
        if unknown:
            self.vectors.update(zip(unknown, self.model.embed_documents(unknown), strict=True))
        return [self.vectors[t] for t in texts]

    def embed_query(self, text: str) -> list[float]:
        return self.model.embed_query(text)


def load_raw_text(path: Path) -> str:
    """The file as a first attempt would load it: .txt as plain UTF-8; other formats through our loader
    (the textbook would use a PDF/DOCX loader there) with pages joined by blank lines."""
    if path.suffix.lower() == ".txt":
        return path.read_text(encoding="utf-8")
    from ingest.loaders import load_document

    return "\n\n".join(page.text for page in load_document(path).pages)


def split_corpus(files: Sequence[Path], chunk_size: int = 1000, chunk_overlap: int = 200) -> list[Document]:
    splitter = RecursiveCharacterTextSplitter(
        chunk_size=chunk_size, chunk_overlap=chunk_overlap, add_start_index=True
    )
    documents: list[Document] = []
    for path in files:
        documents.extend(splitter.create_documents([load_raw_text(path)], metadatas=[{"source": path.name}]))
    return documents


def _cache_key(model_id: str, texts: Sequence[str]) -> str:
    digest = hashlib.sha256(model_id.encode())
    for text in texts:
        digest.update(b"\0" + text.encode())
    return digest.hexdigest()[:24]


def embed_chunks(
    embeddings: Embeddings, texts: Sequence[str], model_id: str, cache_dir: Path | None
) -> dict[str, list[float]]:
    """Passage vectors for the chunks, from a per-corpus cache file when one matches (embedding the
    baseline's ~200 chunks costs tens of seconds on 2 cores; the chunks only change with the corpus)."""
    cache_file = cache_dir / f"baseline-{_cache_key(model_id, texts)}.npy" if cache_dir else None
    if cache_file is not None and cache_file.exists():
        array = np.load(cache_file)
        if array.shape[0] == len(texts):
            return {t: [float(x) for x in row] for t, row in zip(texts, array, strict=True)}
        log.warning("ignoring baseline embedding cache %s: it does not match the chunks", cache_file)
    vectors = embeddings.embed_documents(list(texts))
    if cache_file is not None:
        cache_file.parent.mkdir(parents=True, exist_ok=True)
        partial = cache_file.with_name(cache_file.name + ".partial.npy")
        np.save(partial, np.asarray(vectors, dtype=np.float32))
        partial.replace(cache_file)
    return dict(zip(texts, vectors, strict=True))


class TextbookRag:
    """Dense top-4 over character-split chunks; the top chunk is the answer."""

    name = "textbook LangChain RAG"

    def __init__(self, store: InMemoryVectorStore, n_chunks: int) -> None:
        self.store = store
        self.n_chunks = n_chunks

    @classmethod
    def build(
        cls,
        files: Sequence[Path],
        embeddings: Embeddings,
        model_id: str = "",
        cache_dir: Path | None = None,
    ) -> TextbookRag:
        if not files:
            raise ValueError("the textbook baseline needs corpus files; none were given")
        chunks = split_corpus(files)
        texts = [c.page_content for c in chunks]
        vectors = embed_chunks(embeddings, texts, model_id or type(embeddings).__name__, cache_dir)
        store = InMemoryVectorStore(embedding=_PrecomputedEmbeddings(embeddings, vectors))
        store.add_documents(chunks)
        return cls(store, len(chunks))

    def answer(self, question: str, history: list[Turn] | None = None) -> Answer:
        # A textbook chain without a chat model has no question condenser: history is ignored.
        hits = self.store.similarity_search_with_score(question, k=RETRIEVE_K)
        retrieved = [
            RetrievedPassage(
                rank=rank,
                chunk_id=_chunk_id(doc),
                source=str(doc.metadata["source"]),
                text=doc.page_content,
                score=float(score),
            )
            for rank, (doc, score) in enumerate(hits, start=1)
        ]
        citations = [
            Citation(
                n=n,
                source=str(doc.metadata["source"]),
                title=str(doc.metadata["source"]),
                location=f"ký tự {doc.metadata.get('start_index', 0)}",
                quote=doc.page_content,
                chunk_id=_chunk_id(doc),
            )
            for n, (doc, _score) in enumerate(hits[:ANSWER_K], start=1)
        ]
        return Answer(
            answer=hits[0][0].page_content if hits else "",
            found=True,
            citations=citations,
            question_interpreted=question,
            retrieved=retrieved,
        )


def _chunk_id(doc: Document) -> str:
    return f"{doc.metadata['source']}@{doc.metadata.get('start_index', 0)}"
