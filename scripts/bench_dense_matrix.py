"""Unfiltered dense search: the vectors scored in memory (the matrix) against Chroma's HNSW query.

Usage: OMP_NUM_THREADS=1 .venv/bin/python scripts/bench_dense_matrix.py --data-dir DIR [--k 40] [--rounds 3]

DIR is a data dir holding an index (DIR/index, DIR/chroma). Opening an index collects what interrupted writes
left behind, so give a copy of an index that must not change. Every distinct question of evals/*.jsonl is
embedded with the index's model (Settings(data_dir=DIR)) and searched for its k nearest chunks:

1. the time to read the vectors into the matrix (prepare_dense_search), its size, and the RSS it adds;
2. how far the two searches agree (top-k lists identical, same set, shared hits, same first hit), and how
   far each agrees with an exact float64 search of the same stored vectors (the truth, ties aside);
3. CPU milliseconds per search (process time: the background reader is done), old and new alternated
   `--rounds` times, as a shared machine's load drifts;
4. the time a commit that removes one document costs the matrix (its columns are copied once).
Figures are reported, not gated.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from assistant.components import build_embeddings  # noqa: E402
from assistant.settings import Settings  # noqa: E402
from vectorstore.chroma_store import READ_PAGE  # noqa: E402
from vectorstore.index import DocumentIndex  # noqa: E402

# Exact (float64) scores this close are a tie: float32 scoring may order them either way (equal texts have
# equal vectors; a float32 product is exact to about 1e-7).
TIE = 1e-6


@dataclass(frozen=True)
class Agreement:
    identical: float  # share of questions whose top-k lists are equal, order included
    identical_but_ties: float  # ... whose lists hold, rank by rank, chunks of equal exact scores (within TIE)
    same_set: float  # ... whose top-k sets are equal
    shared: float  # mean share of one list's hits in the other
    same_first: float  # share of questions with the same first hit


def questions() -> list[str]:
    seen: dict[str, None] = {}
    for path in sorted((ROOT / "evals").glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip() and isinstance(question := json.loads(line).get("question"), str):
                seen.setdefault(question, None)
    return list(seen)


def rss_mb() -> tuple[float, float]:
    """VmRSS and VmHWM of this process, in MB."""
    fields = dict(line.split(":", 1) for line in Path("/proc/self/status").read_text().splitlines() if ":" in line)
    return int(fields["VmRSS"].split()[0]) / 1024, int(fields["VmHWM"].split()[0]) / 1024


def open_index(settings: Settings, embeddings: object, exact_search_max_vectors: int | None) -> DocumentIndex:
    extra = {} if exact_search_max_vectors is None else {"exact_search_max_vectors": exact_search_max_vectors}
    return DocumentIndex.open(
        settings.index_dir,
        embeddings=embeddings,  # type: ignore[arg-type]
        chroma_path=settings.chroma_dir,
        collection=settings.collection,
        **extra,  # type: ignore[arg-type]
    )


def top_ids(index: DocumentIndex, vectors: Sequence[Sequence[float]], k: int) -> list[list[str]]:
    return [[hit.chunk.chunk_id for hit in index.dense_search(vector, k)] for vector in vectors]


@dataclass(frozen=True)
class Exact:
    """Float64 cosine of every question with every stored vector, read again from Chroma: the truth."""

    chunk_ids: list[str]
    scores: np.ndarray  # questions × chunks

    def top(self, k: int) -> list[list[str]]:
        order = np.argsort(-self.scores, axis=1, kind="stable")[:, :k]
        return [[self.chunk_ids[i] for i in row] for row in order]

    def score_lists(self, lists: Sequence[list[str]]) -> list[np.ndarray]:
        column = {cid: i for i, cid in enumerate(self.chunk_ids)}
        return [self.scores[q, [column[c] for c in hits]] for q, hits in enumerate(lists)]


def exact_scores(index: DocumentIndex, vectors: Sequence[Sequence[float]]) -> Exact:
    documents = index.documents()
    chunk_of = {f"{doc.write_id}:{cid}": cid for doc in documents for cid in doc.chunk_ids}
    vector_ids = list(chunk_of)
    ids: list[str] = []
    pages: list[np.ndarray] = []
    for start in range(0, len(vector_ids), READ_PAGE):
        got, rows = index._store.vector_rows(vector_ids[start : start + READ_PAGE])
        ids += got
        pages.append(rows.astype(np.float64))
    matrix = np.concatenate(pages)
    matrix /= np.linalg.norm(matrix, axis=1, keepdims=True)
    queries = np.asarray(vectors, dtype=np.float64)
    queries /= np.linalg.norm(queries, axis=1, keepdims=True)
    return Exact([chunk_of[i] for i in ids], queries @ matrix.T)


def agreement(left: Sequence[list[str]], right: Sequence[list[str]], exact: Exact) -> Agreement:
    pairs = list(zip(left, right, strict=True))
    gaps = [
        float(np.max(np.abs(a - b))) if len(a) == len(b) and len(a) else float("inf")
        for a, b in zip(exact.score_lists(left), exact.score_lists(right), strict=True)
    ]
    return Agreement(
        identical=statistics.mean(a == b for a, b in pairs),
        identical_but_ties=statistics.mean(gap <= TIE for gap in gaps),
        same_set=statistics.mean(set(a) == set(b) for a, b in pairs),
        shared=statistics.mean(len(set(a) & set(b)) / max(len(a), 1) for a, b in pairs),
        same_first=statistics.mean(a[:1] == b[:1] for a, b in pairs),
    )


def cpu_ms_per_search(index: DocumentIndex, vectors: Sequence[Sequence[float]], k: int) -> float:
    start = time.process_time()
    for vector in vectors:
        index.dense_search(vector, k)
    return (time.process_time() - start) / len(vectors) * 1000


def commit_cost_ms(index: DocumentIndex) -> float:
    """What the matrix costs a commit removing one document: no vector to read, every column copied once."""
    matrix = index._dense_matrix
    assert matrix is not None
    documents = dict(matrix.documents)
    documents.pop(next(iter(documents)))
    start = time.perf_counter()
    index._built_matrix(documents, matrix)
    return (time.perf_counter() - start) * 1000


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, required=True, help="a data dir (a copy: opening may write)")
    parser.add_argument("--k", type=int, default=40, help="hits per search (the retriever asks 40)")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()

    settings = Settings(data_dir=args.data_dir)
    embeddings = build_embeddings(settings)
    texts = questions()
    vectors = [embeddings.embed_query(text) for text in texts]
    chroma = open_index(settings, embeddings, exact_search_max_vectors=0)
    exact = open_index(settings, embeddings, exact_search_max_vectors=None)
    chunks = sum(doc.n_chunks for doc in exact.documents())
    print(f"index: {len(exact.documents())} documents, {chunks} vectors; {len(texts)} questions, k={args.k}")

    rss_before, _ = rss_mb()
    wall, cpu = time.perf_counter(), time.process_time()
    exact.prepare_dense_search(wait=True)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    rss_after, hwm = rss_mb()
    assert exact._dense_matrix is not None, "the matrix could not be built"
    size_mb = exact._dense_matrix.columns.nbytes / 2**20
    print(f"matrix: {size_mb:.1f} MiB; built in {wall:.2f} s ({cpu:.2f} s CPU)")
    print(f"RSS of this process (two indexes open): {rss_before:.0f} -> {rss_after:.0f} MB, peak {hwm:.0f} MB")

    old_hits, new_hits = top_ids(chroma, vectors, args.k), top_ids(exact, vectors, args.k)
    exact_truth = exact_scores(exact, vectors)
    truth = exact_truth.top(args.k)
    for label, left, right in (
        ("HNSW vs matrix", old_hits, new_hits),
        ("matrix vs float64", new_hits, truth),
        ("HNSW vs float64", old_hits, truth),
    ):
        a = agreement(left, right, exact_truth)
        print(
            f"{label:18s} identical lists {a.identical:7.2%} (ties aside {a.identical_but_ties:7.2%})  "
            f"same set {a.same_set:7.2%}  shared hits {a.shared:7.3%}  same first hit {a.same_first:7.2%}"
        )

    old_ms: list[float] = []
    new_ms: list[float] = []
    for _ in range(args.rounds):
        old_ms.append(cpu_ms_per_search(chroma, vectors, args.k))
        new_ms.append(cpu_ms_per_search(exact, vectors, args.k))
    print(f"CPU ms per search, per round: HNSW {[round(x, 2) for x in old_ms]}  matrix {[round(x, 2) for x in new_ms]}")
    print(f"median: HNSW {statistics.median(old_ms):.2f} ms, matrix {statistics.median(new_ms):.2f} ms")
    print(f"a commit removing one document costs the matrix {commit_cost_ms(exact):.0f} ms (in the background)")
    chroma.close()
    exact.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
