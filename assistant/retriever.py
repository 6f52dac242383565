"""Hybrid retrieval: dense + lexical, fused by reciprocal rank, then period and document aware.

The same indicator (GRDP growth, health-insurance coverage …) appears in several documents for
different periods; when the question names a period or a document, the matching one must win.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from functools import lru_cache
from typing import Any, Protocol

from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.embeddings import Embeddings
from langchain_core.retrievers import BaseRetriever
from pydantic import ConfigDict, PrivateAttr

from assistant.diacritics import DiacriticRestorer, typed_without_diacritics
from assistant.document_refs import named_sources
from assistant.places import asked_place, place_of, same_place
from assistant.query import DEFAULT_FIVE_YEAR_PERIOD, QueryIntent, understand
from ingest.text import fold, search_tokens

# Reciprocal rank fusion constant: the usual 60 keeps a rank-1 hit in one list from drowning a
# passage that both lists rank well.
RRF_K = 60
# How many hits each retriever contributes before fusion: enough that the right list item of a
# long document survives even when the question is phrased unlike the document.
CANDIDATES_PER_RETRIEVER = 40
# Multipliers on the fused score. A document whose period is the question's period beats the same
# indicator elsewhere; a passage that merely names the year gets part of that; a document of
# another period is pushed down but stays retrievable (the answerer decides to refuse).
BOOST_PERIOD_EXACT = 1.6
BOOST_PERIOD_MENTIONED = 1.3
PENALTY_PERIOD_OTHER = 0.75
BOOST_DOC_HINT = 1.3
# The place a question names ("GRDP Bến Tre"): its documents rise, another place's sink. Not a filter:
# a document with no place read from it stays as it was.
BOOST_PLACE = 1.3
PENALTY_OTHER_PLACE = 0.6
# A question naming no period or document may be answered by several documents, one value each
# (GRDP growth: the 5-year plan, the 2025 plan, the 2020 report …). Of the passages handed to the
# answerer, up to this many are reserved for documents whose best passage ranked below the cut.
MAX_RESERVED_FOR_OTHER_DOCUMENTS = 4
# A document the question names by number ("NQ 48/2025", "Công điện 220") is searched on its own too, and
# its passages weigh this much more than their rank within it: a long document's answer is otherwise
# outranked by its indexed siblings (same issuer, same phrasing). More documents than this sharing the
# number (a bare "QĐ 12" across years and provinces) name nothing in particular.
BOOST_NAMED_DOCUMENT = 1.5
MAX_NAMED_DOCUMENTS = 3


class IndexLike(Protocol):
    def dense_search(self, query_vector: Sequence[float], k: int, sources: Sequence[str] | None = None) -> list[Any]: ...

    def lexical_search(self, tokens: Sequence[str], k: int, sources: Sequence[str] | None = None) -> list[Any]: ...


@dataclass(frozen=True)
class RankedChunk:
    """One fused hit: the stored chunk and why it ranked where it did."""

    chunk: Any  # vectorstore StoredChunk: chunk_id, source, text, section, page, metadata
    score: float
    dense_rank: int | None
    lexical_rank: int | None
    doc_meta: dict[str, Any] = field(default_factory=dict)  # the document's registry entry (signer, issuer …)
    dense_score: float | None = None  # cosine similarity of the question and the chunk, when dense search found it

    @property
    def meta(self) -> dict[str, Any]:
        merged = dict(self.doc_meta)
        merged.update({k: v for k, v in (getattr(self.chunk, "metadata", None) or {}).items() if v is not None})
        merged.setdefault("source", getattr(self.chunk, "source", None))
        return merged


@lru_cache(maxsize=8192)
def folded_text(text: str) -> str:
    """fold() of a chunk's text, cached: chunk texts repeat across queries and folding is costly."""
    return fold(text)


def _hit_chunk(hit: Any) -> Any:
    return getattr(hit, "chunk", hit)


def chunk_id_of(chunk: Any) -> str:
    return str(getattr(chunk, "chunk_id", None) or getattr(chunk, "id", ""))


def period_relation(question_period: str, doc_period: str | None, text_folded: str) -> str:
    """'exact' (the document is about that period), 'mentioned' (the passage names it), or 'other'."""
    if doc_period and fold(doc_period).replace(" ", "") == fold(question_period).replace(" ", ""):
        return "exact"
    if re.fullmatch(r"\d{4}", question_period):
        # The year itself, not the end of a range ("giai đoạn 2022 - 2025" is no 2025 figure).
        if re.search(rf"(?<![\d\-–/] )(?<![\d\-–/]){question_period}(?!\s*[-–]\s*\d)", text_folded):
            return "mentioned"
    elif fold(question_period) in text_folded:
        return "mentioned"
    half = re.fullmatch(r"6 thang dau nam (\d{4})", fold(question_period))
    if half and doc_period and fold(doc_period).strip() == half.group(1) and "6 thang dau nam" in text_folded:
        # The year's report naming its first half ("trong 6 tháng đầu năm tăng trưởng âm 1,37%").
        return "mentioned"
    years = re.findall(r"\d{4}", question_period)
    if len(years) == 2 and f"{years[0]} - {years[1]}" in text_folded:
        return "mentioned"
    return "other"


def doc_hint_matches(hint: str, meta: dict[str, Any]) -> bool:
    kind = fold(str(meta.get("kind") or ""))
    issuer = fold(str(meta.get("issuer") or ""))
    title = fold(str(meta.get("title") or ""))
    period = str(meta.get("period") or "")
    hint_f = fold(hint)
    if hint_f in ("nghi quyet", "bao cao"):
        return kind == hint_f or title.startswith(hint_f)
    if hint_f == "ubnd":
        return "ubnd" in issuer or "uy ban nhan dan" in issuer
    if hint_f == "hdnd":
        return "hdnd" in issuer or "hoi dong nhan dan" in issuer
    if hint_f in ("quoc hoi", "chinh phu"):
        return hint_f in issuer or (hint_f == "chinh phu" and "thu tuong" in issuer)
    if hint_f == "ke hoach 5 nam":
        return bool(re.fullmatch(r"\d{4}-\d{4}", period.replace(" ", "")))
    if hint_f == "bai viet":
        return kind == "bai viet" or "bi thu" in title
    if hint_f == "tin":
        return kind == "tin"
    return False


def rrf_fuse(dense: Sequence[Any], lexical: Sequence[Any], rrf_k: int = RRF_K) -> list[RankedChunk]:
    """Reciprocal rank fusion of two ranked hit lists (by chunk id)."""
    chunks: dict[str, Any] = {}
    dense_ranks: dict[str, int] = {}
    dense_scores: dict[str, float] = {}
    lexical_ranks: dict[str, int] = {}
    for rank, hit in enumerate(dense, start=1):
        chunk = _hit_chunk(hit)
        cid = chunk_id_of(chunk)
        chunks.setdefault(cid, chunk)
        dense_ranks.setdefault(cid, rank)
        if isinstance(getattr(hit, "score", None), float):
            dense_scores.setdefault(cid, hit.score)
    for rank, hit in enumerate(lexical, start=1):
        chunk = _hit_chunk(hit)
        cid = chunk_id_of(chunk)
        chunks.setdefault(cid, chunk)
        lexical_ranks.setdefault(cid, rank)
    fused = []
    for cid, chunk in chunks.items():
        score = sum(1.0 / (rrf_k + ranks[cid]) for ranks in (dense_ranks, lexical_ranks) if cid in ranks)
        fused.append(
            RankedChunk(chunk, score, dense_ranks.get(cid), lexical_ranks.get(cid), dense_score=dense_scores.get(cid))
        )
    fused.sort(key=lambda r: r.score, reverse=True)
    return fused


def with_document_meta(ranked: Sequence[RankedChunk], documents: dict[str, dict[str, Any]]) -> list[RankedChunk]:
    return [
        replace(r, doc_meta=documents.get(str(getattr(r.chunk, "source", "")), {}))
        for r in ranked
    ]


def apply_boosts(
    ranked: Sequence[RankedChunk], intent: QueryIntent, place: str | None = None, home: str | None = None
) -> list[RankedChunk]:
    """Fused scores weighed by the question's period, document hints and place. The deployment's own place
    (`home`, when the question names none) only sinks other provinces' documents: its own documents and those
    of no province (a news article, a national decree) keep their order among themselves."""
    out = []
    for item in ranked:
        meta = item.meta
        factor = 1.0
        if place is not None:
            document_place = place_of(meta)
            if same_place(document_place, place):
                factor *= BOOST_PLACE
            elif document_place is not None:
                factor *= PENALTY_OTHER_PLACE
        elif home is not None:
            document_place = place_of(meta)
            if document_place is not None and not same_place(document_place, home):
                factor *= PENALTY_OTHER_PLACE
        if intent.periods:
            text_folded = folded_text(str(getattr(item.chunk, "text", "")))
            relations = [period_relation(p, meta.get("period"), text_folded) for p in intent.periods]
            if "exact" in relations:
                factor *= BOOST_PERIOD_EXACT
            elif "mentioned" in relations:
                factor *= BOOST_PERIOD_MENTIONED
            else:
                factor *= PENALTY_PERIOD_OTHER
        if intent.doc_hints and any(doc_hint_matches(h, meta) for h in intent.doc_hints):
            factor *= BOOST_DOC_HINT
        out.append(replace(item, score=item.score * factor))
    out.sort(key=lambda r: r.score, reverse=True)
    return out


def _source_of(item: RankedChunk) -> str:
    return str(getattr(item.chunk, "source", "") or "")


def best_per_document(ranked: Sequence[RankedChunk]) -> list[RankedChunk]:
    """Each document's best dense hit and best lexical hit, in fused order.

    Both: the fused order of a long document's passages is dominated by passages both halves find
    middling, while the one holding the indicator is often first in one list only.
    """
    best: dict[tuple[str, str], RankedChunk] = {}
    for item in ranked:
        for half, rank in (("dense", item.dense_rank), ("lexical", item.lexical_rank)):
            if rank is None:
                continue
            key = (_source_of(item), half)
            held = best.get(key)
            held_rank = None if held is None else (held.dense_rank if half == "dense" else held.lexical_rank)
            if held_rank is None or rank < held_rank:
                best[key] = item
    chosen = {chunk_id_of(item.chunk): item for item in best.values()}
    return sorted(chosen.values(), key=lambda r: r.score, reverse=True)


def with_every_document(ranked: Sequence[RankedChunk], k: int) -> list[RankedChunk]:
    """The top k, with the last places given to other documents' best passages that fell below k."""
    top = list(ranked[:k])
    in_top = {chunk_id_of(item.chunk) for item in top}
    missing = [item for item in best_per_document(ranked) if chunk_id_of(item.chunk) not in in_top]
    reserved = missing[: min(MAX_RESERVED_FOR_OTHER_DOCUMENTS, k // 2)]
    if not reserved:
        return top
    return top[: k - len(reserved)] + reserved


def with_named_documents(ranked: Sequence[RankedChunk], inside: Sequence[RankedChunk]) -> list[RankedChunk]:
    """The ranking with the named documents' own best passages (ranked within them) raised into it."""
    scores = {chunk_id_of(item.chunk): item for item in ranked}
    for item in inside:
        cid = chunk_id_of(item.chunk)
        score = item.score * BOOST_NAMED_DOCUMENT
        held = scores.get(cid)
        if held is None:
            # Its ranks stay those of the whole index's searches, which did not find it.
            scores[cid] = replace(item, score=score, dense_rank=None, lexical_rank=None)
        elif held.score < score:
            scores[cid] = replace(held, score=score)
    return sorted(scores.values(), key=lambda r: r.score, reverse=True)


def lexical_query_tokens(intent: QueryIntent, place: str | None = None) -> list[str]:
    # Content terms and period words only: question scaffolding ("là bao nhiêu") is noise to BM25,
    # and the place is weighed apart (most passages never write their province's name).
    place_words = set(place.split()) if place else set()
    text = " ".join(t for t in intent.terms if t not in place_words) + " " + " ".join(intent.periods)
    tokens = search_tokens(text)
    return tokens or search_tokens(intent.interpreted)


def to_document(item: RankedChunk) -> Document:
    chunk = item.chunk
    meta = item.meta
    return Document(
        page_content=str(getattr(chunk, "text", "")),
        metadata={
            "chunk_id": chunk_id_of(chunk),
            "source": getattr(chunk, "source", None) or meta.get("source"),
            "title": meta.get("title"),
            "section": getattr(chunk, "section", ""),
            "page": getattr(chunk, "page", None),
            "period": meta.get("period"),
            "score": item.score,
        },
    )


class HybridRetriever(BaseRetriever):
    """LangChain retriever over a DocumentIndex: dense + lexical, RRF, period/document boosts."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    index: Any
    embeddings: Embeddings
    k: int = 8
    candidates: int = CANDIDATES_PER_RETRIEVER
    five_year_period: str = DEFAULT_FIVE_YEAR_PERIOD
    # source → the document's metadata (issuer, signer … that chunks do not carry)
    document_meta: dict[str, dict[str, Any]] = {}
    known_places: list[str] = []
    # The deployment's own place (folded): boosted like a named place when the question names neither a place
    # nor a document.
    home_place: str | None = None
    _restorer: DiacriticRestorer | None = PrivateAttr(default=None)

    def restorer(self) -> DiacriticRestorer:
        """Built once from the indexed chunks, on first use (a retriever is rebuilt after ingest)."""
        if self._restorer is None:
            self._restorer = DiacriticRestorer.from_texts(str(getattr(c, "text", "")) for c in self.index.all_chunks())
        return self._restorer

    def dense_query(self, intent: QueryIntent) -> str:
        """What the dense model embeds: a question typed without diacritics gets them back first."""
        if typed_without_diacritics(intent.normalized):
            return self.restorer().restore(intent.normalized)
        return intent.normalized

    def retrieve(self, intent: QueryIntent, k: int | None = None) -> list[RankedChunk]:
        vector = self.embeddings.embed_query(self.dense_query(intent))
        dense = self.index.dense_search(vector, self.candidates)
        place = asked_place(intent.normalized, intent.folded, self.known_places)
        tokens = lexical_query_tokens(intent, place)
        home = None if place or intent.document_refs else self.home_place
        ranked = self._ranked(dense, self.index.lexical_search(tokens, self.candidates), intent, place, home)
        named = named_sources(intent.document_refs, self.document_meta)
        if 0 < len(named) <= MAX_NAMED_DOCUMENTS:
            # A place that is not the named document's own is content, not a hint: a national dispatch's
            # annex has a row per province.
            own_place = all(same_place(place_of(self.document_meta.get(source, {})), place) for source in named)
            inside = self._ranked(
                self.index.dense_search(vector, self.candidates, sources=named),
                self.index.lexical_search(
                    tokens if own_place else lexical_query_tokens(intent), self.candidates, sources=named
                ),
                intent,
                place,
            )
            ranked = with_named_documents(ranked, inside)
        elif not (intent.periods or intent.doc_hints):
            return with_every_document(ranked, k or self.k)
        return ranked[: k or self.k]

    def _ranked(
        self,
        dense: Sequence[Any],
        lexical: Sequence[Any],
        intent: QueryIntent,
        place: str | None,
        home: str | None = None,
    ) -> list[RankedChunk]:
        """Two hit lists fused, with their documents' metadata, boosted for the question's period, place and hints."""
        return apply_boosts(with_document_meta(rrf_fuse(dense, lexical), self.document_meta), intent, place, home)

    def _get_relevant_documents(
        self, query: str, *, run_manager: CallbackManagerForRetrieverRun
    ) -> list[Document]:
        intent = understand(query, five_year_period=self.five_year_period)
        return [to_document(item) for item in self.retrieve(intent)]
