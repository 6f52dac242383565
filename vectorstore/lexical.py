"""BM25 over token lists the caller made (ingest.text.search_tokens), updated in place of rebuilt.

A `LexicalIndex` is an immutable snapshot: `updated()` returns a new one that shares everything it did
not change, so a reader holding the old snapshot keeps searching it while a writer builds the next.
Postings live in segments (one per update, merged with their neighbours once they are about as large);
BM25 statistics (document frequencies, collection size, mean length) are summed over the live rows at
query time, so adding a batch costs time in proportion to the batch, not to the index.

Scores are those of bm25s (method "lucene", k1 1.5, b 0.75, float32 sums) over the same rows: the index
replaced a bm25s index rebuilt at every commit, and retrieval was tuned on its ranking.
"""

from __future__ import annotations

import math
import threading
from collections import Counter
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass

import numpy as np

K1 = 1.5
B = 0.75
# A new segment is merged into the one before it while that one holds at most this many times its rows:
# segment sizes then fall geometrically, so a search visits O(log n) segments and a row is copied
# O(log n) times over its life.
MERGE_RATIO = 4
# A segment whose rows are mostly deleted (replaced or removed documents) is rewritten without them.
MAX_DEAD_SHARE = 0.5


@dataclass(frozen=True)
class LexicalHit:
    id: str
    score: float


class _Vocabulary:
    """Term → integer id, shared by a chain of snapshots. It only grows: an id never changes meaning, so
    a snapshot is unaffected by terms a later one added (it has no postings for them)."""

    def __init__(self) -> None:
        self.ids: dict[str, int] = {}
        self._adding = threading.Lock()

    def id_of(self, term: str) -> int:
        found = self.ids.get(term)
        if found is None:
            with self._adding:  # two new terms must never get the same id
                found = self.ids.setdefault(term, len(self.ids))
        return found


@dataclass(frozen=True)
class _Segment:
    """Postings of some rows, by term: the rows of term `terms[j]` are rows[indptr[j]:indptr[j + 1]]."""

    ids: tuple[str, ...]
    row_of: dict[str, int]
    lengths: np.ndarray  # float64, tokens per row
    terms: np.ndarray  # int64, sorted term ids
    indptr: np.ndarray  # int64
    rows: np.ndarray  # int32
    tfs: np.ndarray  # float32
    live: np.ndarray  # bool per row; deleted rows stay until the segment is rewritten
    n_live: int
    live_length: float

    @classmethod
    def from_postings(
        cls, ids: Sequence[str], lengths: np.ndarray, terms: np.ndarray, rows: np.ndarray, tfs: np.ndarray
    ) -> _Segment:
        # Stable: rows stay ascending within a term, as the callers give them in row order per term.
        order = np.argsort(terms, kind="stable")
        terms, rows, tfs = terms[order], rows[order], tfs[order]
        unique, starts = np.unique(terms, return_index=True)
        indptr = np.append(starts, len(terms)).astype(np.int64)
        return cls(
            ids=tuple(ids),
            row_of={chunk_id: i for i, chunk_id in enumerate(ids)},
            lengths=lengths,
            terms=unique.astype(np.int64),
            indptr=indptr,
            rows=rows.astype(np.int32),
            tfs=tfs.astype(np.float32),
            live=np.ones(len(ids), dtype=bool),
            n_live=len(ids),
            live_length=float(lengths.sum()),
        )

    @classmethod
    def from_tokens(
        cls, vocabulary: _Vocabulary, ids: Sequence[str], token_lists: Sequence[Sequence[str]]
    ) -> _Segment:
        terms: list[int] = []
        rows: list[int] = []
        tfs: list[int] = []
        lengths = np.empty(len(ids), dtype=np.float64)
        id_of = vocabulary.id_of
        for row, tokens in enumerate(token_lists):
            lengths[row] = len(tokens)
            counts = Counter(tokens)
            terms.extend(id_of(t) for t in counts)
            tfs.extend(counts.values())
            rows.extend([row] * len(counts))
        return cls.from_postings(
            ids,
            lengths,
            np.asarray(terms, dtype=np.int64),
            np.asarray(rows, dtype=np.int32),
            np.asarray(tfs, dtype=np.float32),
        )

    def without(self, rows: Iterable[int]) -> _Segment:
        live = self.live.copy()
        live[list(rows)] = False
        return _Segment(
            self.ids, self.row_of, self.lengths, self.terms, self.indptr, self.rows, self.tfs,
            live, int(live.sum()), float(self.lengths[live].sum()),
        )

    def postings(self, term: int) -> tuple[np.ndarray, np.ndarray]:
        j = int(np.searchsorted(self.terms, term))
        if j == len(self.terms) or self.terms[j] != term:
            return _NO_ROWS, _NO_TFS
        start, end = self.indptr[j], self.indptr[j + 1]
        return self.rows[start:end], self.tfs[start:end]

    def _triples(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(term, row, tf) of every posting, rows renumbered over the live rows only."""
        counts = np.diff(self.indptr)
        terms = np.repeat(self.terms, counts)
        keep = self.live[self.rows]
        renumber = np.cumsum(self.live) - 1
        return terms[keep], renumber[self.rows[keep]], self.tfs[keep]

    @staticmethod
    def merged(segments: Sequence[_Segment]) -> _Segment:
        """One segment holding the live rows of `segments`, in their order."""
        ids: list[str] = []
        lengths: list[np.ndarray] = []
        parts: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
        offset = 0
        for segment in segments:
            terms, rows, tfs = segment._triples()
            parts.append((terms, rows + offset, tfs))
            ids.extend(chunk_id for chunk_id, alive in zip(segment.ids, segment.live, strict=True) if alive)
            lengths.append(segment.lengths[segment.live])
            offset += segment.n_live
        return _Segment.from_postings(
            ids,
            np.concatenate(lengths) if lengths else np.empty(0),
            np.concatenate([p[0] for p in parts]) if parts else np.empty(0, dtype=np.int64),
            np.concatenate([p[1] for p in parts]) if parts else np.empty(0, dtype=np.int32),
            np.concatenate([p[2] for p in parts]) if parts else np.empty(0, dtype=np.float32),
        )


_NO_ROWS = np.empty(0, dtype=np.int32)
_NO_TFS = np.empty(0, dtype=np.float32)


class LexicalIndex:
    """A BM25 index whose documents are named by ids; an empty index answers every query with nothing."""

    def __init__(self, vocabulary: _Vocabulary, segments: tuple[_Segment, ...]) -> None:
        self._vocabulary = vocabulary
        self._segments = segments
        self._size = sum(s.n_live for s in segments)

    @classmethod
    def build(cls, ids: Sequence[str], token_lists: Sequence[Sequence[str]]) -> LexicalIndex:
        return cls(_Vocabulary(), ()).updated(add_ids=ids, add_token_lists=token_lists)

    def updated(
        self,
        *,
        remove: Collection[str] = (),
        add_ids: Sequence[str] = (),
        add_token_lists: Sequence[Sequence[str]] = (),
    ) -> LexicalIndex:
        """A new snapshot without the rows `remove` names and with the rows given; self is unchanged.

        An id both removed and added is replaced. Costs time in proportion to what changes (and, now and
        then, to a merge of the newest segments)."""
        if len(add_ids) != len(add_token_lists):
            raise ValueError(f"{len(add_ids)} ids but {len(add_token_lists)} token lists: give one token list per id")
        if len(set(add_ids)) != len(add_ids):
            raise ValueError("lexical index ids must be unique")
        gone = set(remove)
        segments: list[_Segment] = []
        for segment in self._segments:
            rows = [row for chunk_id in gone if (row := segment.row_of.get(chunk_id)) is not None]
            rows = [row for row in rows if segment.live[row]]
            if rows:
                segment = segment.without(rows)
            if segment.n_live:
                segments.append(segment)
        added = set(add_ids)
        clashing = [cid for cid in added - gone if any(s.live[r] for s in segments if (r := s.row_of.get(cid)) is not None)]
        if clashing:
            raise ValueError(f"lexical index ids must be unique: {clashing[0]!r} is indexed already")
        if add_ids:
            segments.append(_Segment.from_tokens(self._vocabulary, add_ids, add_token_lists))
        return LexicalIndex(self._vocabulary, _compacted(segments))

    @property
    def ids(self) -> list[str]:
        """Every indexed id, sorted."""
        return sorted(cid for s in self._segments for cid, alive in zip(s.ids, s.live, strict=True) if alive)

    @property
    def segment_count(self) -> int:
        return len(self._segments)

    def __len__(self) -> int:
        return self._size

    def search(
        self, tokens: Sequence[str], k: int, allowed_ids: Collection[str] | None = None
    ) -> list[LexicalHit]:
        """The k best-scoring ids with a positive score, best first; only among allowed_ids when given."""
        if not self._size or k <= 0:
            return []
        vocabulary = self._vocabulary.ids
        term_ids = [term for t in tokens if (term := vocabulary.get(t)) is not None]
        if not term_ids:
            return []
        segments = self._segments
        n = self._size
        mean_length = sum(s.live_length for s in segments) / n
        scores = [np.zeros(len(s.ids), dtype=np.float32) for s in segments]
        contributions: dict[int, list[tuple[np.ndarray, np.ndarray]]] = {}
        for term in term_ids:  # a repeated query token counts again, as it did in bm25s
            if term not in contributions:
                contributions[term] = _term_contributions(segments, term, n, mean_length)
            for i, (rows, values) in enumerate(contributions[term]):
                if rows.size:
                    scores[i][rows] += values
        found_scores: list[np.ndarray] = []
        found_rows: list[np.ndarray] = []
        for segment, segment_scores in zip(segments, scores, strict=True):
            keep = segment.live & (segment_scores > 0)
            if allowed_ids is not None:
                allowed = np.zeros(len(segment.ids), dtype=bool)
                allowed[[r for cid in allowed_ids if (r := segment.row_of.get(cid)) is not None]] = True
                keep &= allowed
            rows = np.flatnonzero(keep)
            found_scores.append(segment_scores[rows])
            found_rows.append(rows)
        flat = np.concatenate(found_scores)
        if not flat.size:
            return []
        if flat.size > k:
            # Only rows scoring at least the k-th best can make the list (ties at that score included).
            kth = np.partition(flat, flat.size - k)[flat.size - k]
            chosen = np.flatnonzero(flat >= kth)
        else:
            chosen = np.arange(flat.size)
        # Ids looked up for the chosen rows only: a common word scores tens of thousands of rows.
        ends = np.cumsum([rows.size for rows in found_rows])
        which = np.searchsorted(ends, chosen, side="right")
        starts = ends - np.asarray([rows.size for rows in found_rows])
        chosen_ids = [
            segments[s].ids[int(found_rows[s][i - starts[s]])]
            for s, i in zip(which.tolist(), chosen.tolist(), strict=True)
        ]
        # Ties broken by id so results are stable from run to run.
        candidates = sorted(
            ((float(flat[i]), cid) for i, cid in zip(chosen.tolist(), chosen_ids, strict=True)),
            key=lambda c: (-c[0], c[1]),
        )
        return [LexicalHit(chunk_id, score) for score, chunk_id in candidates[:k]]


def _term_contributions(
    segments: Sequence[_Segment], term: int, n: int, mean_length: float
) -> list[tuple[np.ndarray, np.ndarray]]:
    """Each segment's rows holding `term` and the term's BM25 share of their scores."""
    postings = [s.postings(term) for s in segments]
    df = sum(int(np.count_nonzero(s.live[rows])) for s, (rows, _) in zip(segments, postings, strict=True))
    if df == 0:
        return [(_NO_ROWS, _NO_TFS)] * len(segments)
    # The same arithmetic and precision as bm25s builds its score matrix with, so ties fall alike.
    idf = np.float32(math.log(1 + (n - df + 0.5) / (df + 0.5)))
    out = []
    for segment, (rows, tfs) in zip(segments, postings, strict=True):
        if not rows.size:
            out.append((rows, tfs))
            continue
        norm = K1 * ((1 - B) + B * segment.lengths[rows] / np.float64(mean_length))
        values = (idf * (tfs / (norm + tfs))).astype(np.float32)
        out.append((rows, values))
    return out


def _compacted(segments: list[_Segment]) -> tuple[_Segment, ...]:
    """Rewrite mostly-dead segments, then merge the newest segment into older ones of comparable size."""
    out: list[_Segment] = []
    for segment in segments:
        if segment.n_live < len(segment.ids) * (1 - MAX_DEAD_SHARE):
            segment = _Segment.merged([segment])
        out.append(segment)
        while len(out) >= 2 and out[-2].n_live <= MERGE_RATIO * out[-1].n_live:
            last = out.pop()
            out[-1] = _Segment.merged([out[-1], last])
    return tuple(out)
