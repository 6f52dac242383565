"""The Assistant: built once from settings, then answers questions with citations."""

from __future__ import annotations

import logging
import re
import threading
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from assistant.answer_model import AnswerModel
from assistant.answerer import ExtractiveAnswer, Selection, compose, document_phrase, select
from assistant.comparisons import (
    asks_comparison,
    comparison_found,
    compose_comparison,
    find_comparison,
    refuse_one_sided,
    sides_unquoted,
)
from assistant.contract import DocumentInfo, check_input, describe_document
from assistant.models import Answer, Citation, RetrievedPassage, Turn
from assistant.places import home_place, known_places, place_of, places_written, text_place
from assistant.query import DEFAULT_FIVE_YEAR_PERIOD, QueryIntent, named_periods, understand
from assistant.retriever import HybridRetriever, RankedChunk, chunk_id_of
from assistant.settings import Settings
from assistant.terms import TermWeights
from ingest.indicators import IndicatorRecord
from ingest.text import display_date, fold

if TYPE_CHECKING:
    from assistant.indicators import IndicatorGroup, IndicatorTable
    from assistant.llm import LLMAnswerer

log = logging.getLogger(__name__)

# Passages handed to the answerer and reported in Answer.retrieved (hit@k, MRR).
RETRIEVE_K = 12


def location_of(chunk: Any, meta: dict[str, Any]) -> str:
    """'trang 3 · Điều 1 › 2. Các chỉ tiêu chủ yếu › c)': page only for PDFs."""
    parts = []
    page = getattr(chunk, "page", None)
    file_type = str(meta.get("file_type") or "")
    source = str(getattr(chunk, "source", "") or meta.get("source") or "")
    if page is not None and (file_type == "pdf" or source.lower().endswith(".pdf")):
        parts.append(f"trang {page}")
    section = str(getattr(chunk, "section", "") or "")
    if section:
        parts.append(section)
    return " · ".join(parts) or "toàn văn"


def _quote(chunk: Any, meta: dict[str, Any]) -> str:
    """The passage as written; a table row comes under its column headers, so each cell can be read."""
    text = re.sub(r"[ \t]*\n[ \t]*", " ", str(getattr(chunk, "text", ""))).strip()
    columns = [str(c) for c in (meta.get("columns") or []) if str(c).strip()]
    return f"{' | '.join(columns)}\n{text}" if columns else text


def citation_for(n: int, item: RankedChunk) -> Citation:
    chunk = item.chunk
    meta = item.meta
    return Citation(
        n=n,
        source=str(getattr(chunk, "source", "") or meta.get("source") or ""),
        title=str(meta.get("title") or meta.get("source") or ""),
        number=meta.get("number") or None,
        date=display_date(meta.get("date")),
        period=meta.get("period") or None,
        location=location_of(chunk, meta),
        quote=_quote(chunk, meta),
        chunk_id=chunk_id_of(chunk),
    )


def _retrieved(ranked: Sequence[RankedChunk]) -> list[RetrievedPassage]:
    return [
        RetrievedPassage(
            rank=i,
            chunk_id=chunk_id_of(item.chunk),
            source=str(getattr(item.chunk, "source", "") or item.meta.get("source") or ""),
            text=str(getattr(item.chunk, "text", "")),
            section=str(getattr(item.chunk, "section", "") or ""),
            score=item.score,
        )
        for i, item in enumerate(ranked, start=1)
    ]


def _five_year_period(documents: Sequence[Any]) -> str:
    """The multi-year plan period among the indexed documents ('5 năm', 'nhiệm kỳ' mean it)."""
    for doc in documents:
        period = str((getattr(doc, "meta", None) or {}).get("period") or "").replace(" ", "")
        if re.fullmatch(r"\d{4}-\d{4}", period):
            return period
    return DEFAULT_FIVE_YEAR_PERIOD


def _with_text_places(document_meta: dict[str, dict[str, Any]], chunks: Sequence[Any]) -> dict[str, dict[str, Any]]:
    """Each document whose issuer and title name no place gets the place its text is about ("text_place")."""
    counts: dict[str, Counter[str]] = {}
    for chunk in chunks:
        source = str(getattr(chunk, "source", ""))
        meta = document_meta.get(source)
        if meta is not None and place_of(meta) is None:
            counts.setdefault(source, Counter()).update(places_written(str(getattr(chunk, "text", ""))))
    for source, named in counts.items():
        place = text_place(named)
        if place:
            document_meta[source]["text_place"] = place
    return document_meta


def _home_place(settings: Settings | None, documents: Sequence[Any]) -> str | None:
    """The deployment's own place: as configured, or read from the documents ingested from corpus_dir."""
    if settings is None:
        return None
    if settings.home_place.strip().lower() != "auto":
        return " ".join(fold(settings.home_place).split()) or None
    own = {p.name for p in settings.corpus_dir.iterdir()} if settings.corpus_dir.is_dir() else set()
    return home_place(dict(doc.meta) for doc in documents if doc.source in own)


class Assistant:
    """Question answering over the indexed documents. Build once (`from_settings`), reuse."""

    def __init__(
        self,
        index: Any,
        embeddings: Any,
        *,
        llm: LLMAnswerer | None = None,
        top_k: int = RETRIEVE_K,
        settings: Settings | None = None,
        model: AnswerModel | None = None,
    ) -> None:
        self.model = model or AnswerModel.load()
        self.index = index
        self.embeddings = embeddings
        self.settings = settings
        self.llm = llm
        self.top_k = top_k
        self._indicator_lock = threading.Lock()
        self._home_weighed = True
        self._refresh()

    def _refresh(self) -> None:
        """Rebuild what depends on the indexed documents (term weights, plan period)."""
        documents = self.index.documents()
        chunks = list(self.index.all_chunks())
        document_meta = _with_text_places({doc.source: dict(doc.meta) for doc in documents}, chunks)
        self.five_year_period = _five_year_period(documents)
        self.home_place = _home_place(self.settings, documents) if self._home_weighed else None
        self.retriever = HybridRetriever(
            index=self.index,
            embeddings=self.embeddings,
            k=self.top_k,
            five_year_period=self.five_year_period,
            document_meta=document_meta,
            known_places=known_places(document_meta.values()),
            home_place=self.home_place,
        )
        self.weights = TermWeights.from_texts(str(getattr(c, "text", "")) for c in chunks)
        self.known_places = self.retriever.known_places

    def weigh_home_place(self, weighed: bool) -> None:
        """Whether questions that name no place are asked about the deployment's own province. Off for question
        sets over other provinces' documents: each stands for its own province's deployment."""
        self._home_weighed = weighed
        self.home_place = _home_place(self.settings, self.index.documents()) if weighed else None
        self.retriever.home_place = self.home_place

    @classmethod
    def from_settings(cls, settings: Settings) -> Assistant:
        from assistant.components import build_embeddings, open_index

        embeddings = build_embeddings(settings)
        index = open_index(settings, embeddings)
        llm = None
        if settings.llm_mode != "extractive":
            from assistant.llm import LLMAnswerer

            llm = LLMAnswerer.from_settings(settings)
        # The in-memory vectors are read in the background while Chroma answers the first questions.
        index.prepare_dense_search()
        return cls(index, embeddings, llm=llm, top_k=max(settings.top_k, RETRIEVE_K), settings=settings)

    def _document_chunks(self, source: str) -> list[Any]:
        doc = self.index.get_document(source)
        if doc is None:
            return []
        return [self.index.chunk(cid) for cid in doc.chunk_ids]

    def understand(self, question: str, history: list[Turn] | None = None) -> QueryIntent:
        previous = [t.content for t in (history or []) if t.role == "user"]
        return understand(
            question, previous, five_year_period=self.five_year_period, restore=self.retriever.restorer().restore
        )

    def answer(self, question: str, history: list[Turn] | None = None) -> Answer:
        question, history = check_input(question, history)
        if self.index.reload():
            # Another process (`assistant ingest` beside a running server) committed documents.
            self._refresh()
        selection, ranked = self.select(question, history)
        compared = self._comparison(selection)
        if compared is not None:
            return self._to_answer(selection.intent, compared, ranked)
        extractive = self._all_sides(selection, compose(selection, self.model))
        result = extractive
        if self.llm is not None and extractive.found:
            result = self.llm.answer(selection.intent, ranked, fallback=extractive)
        return self._to_answer(selection.intent, result, ranked)

    def _comparison(self, selection: Selection) -> ExtractiveAnswer | None:
        """One indicator across documents and periods, from the indicator table (None: not asked, or not found)."""
        if not asks_comparison(selection.intent.interpreted):
            return None
        periods = named_periods(selection.intent.interpreted, self.five_year_period)
        by_chunk = self._indicators().records_by_chunk()
        found = find_comparison(selection, by_chunk, periods, self.model.threshold, self.weights)
        if not found:
            return None
        cited: list[RankedChunk] = []
        documents = self.retriever.document_meta  # every indexed document's metadata, kept since the last refresh

        def cite(record: IndicatorRecord) -> int:
            for n, item in enumerate(cited, start=1):
                if chunk_id_of(item.chunk) == record.chunk_id:
                    return n
            cited.append(RankedChunk(self.index.chunk(record.chunk_id), 0.0, None, None, documents.get(record.source, {})))
            return len(cited)

        def source_phrase(record: IndicatorRecord) -> str:
            return document_phrase(documents.get(record.source, {"title": record.title, "source": record.source}))

        return ExtractiveAnswer(
            comparison_found(found), compose_comparison(found, cite, source_phrase, selection.intent.interpreted), cited
        )

    def _all_sides(self, selection: Selection, extractive: ExtractiveAnswer) -> ExtractiveAnswer:
        """A comparison the indicator table could not answer, answered by passages of one side only, is
        refused: on the comparison sets this refused 12 answers, 11 of them wrong (stop 22)."""
        if not extractive.found or not asks_comparison(selection.intent.interpreted):
            return extractive
        periods = named_periods(selection.intent.interpreted, self.five_year_period)
        unquoted = sides_unquoted(periods, [item.meta.get("period") for item in extractive.cited])
        if not unquoted:
            return extractive
        return ExtractiveAnswer(
            False, refuse_one_sided(unquoted, extractive.answer, selection.intent.interpreted), extractive.cited
        )

    def select(self, question: str, history: list[Turn] | None = None) -> tuple[Selection, list[RankedChunk]]:
        """Every candidate unit with its features and probability (the answer, and the model's training data)."""
        intent = self.understand(question, history)
        ranked = self.retriever.retrieve(intent)
        selection = select(
            intent, ranked, self.model, self.weights, self.known_places, self._document_chunks, self.home_place
        )
        return selection, ranked

    def _to_answer(self, intent: QueryIntent, result: ExtractiveAnswer, ranked: Sequence[RankedChunk]) -> Answer:
        return Answer(
            answer=result.answer,
            found=result.found,
            citations=[citation_for(n, item) for n, item in enumerate(result.cited, start=1)],
            question_interpreted=intent.interpreted,
            retrieved=_retrieved(ranked),
        )

    def documents(self) -> list[DocumentInfo]:
        if self.index.reload():  # another server or process may have added or removed documents
            self._refresh()
        return [describe_document(doc) for doc in self.index.documents()]

    def indicators(
        self, query: str | None = None, *, period: str | None = None, document: str | None = None
    ) -> list[IndicatorGroup]:
        """The indicator table (targets and results across documents), grouped by indicator."""
        return self._indicators().search(query, period=period, document=document)

    def _indicators(self) -> IndicatorTable:
        from assistant.indicators import IndicatorTable

        if self.index.reload():
            self._refresh()
        # Building the table takes seconds at archive size: concurrent first questions wait for one build
        # rather than each building (and holding) a table of their own.
        with self._indicator_lock:
            table = getattr(self, "_indicator_table", None)
            if table is None:
                # Persisted beside the index it is read from (index_dir is where settings put it); an index
                # without a directory (a test's fake) keeps its table in memory.
                index_dir = getattr(self.index, "index_dir", None)
                path = Path(index_dir) / "indicators" if index_dir else None
                table = self._indicator_table = IndicatorTable(self.index, self.embeddings, path)
        return table

    def remove_document(self, source: str) -> bool:
        """Delete one document (registry, vectors, lexical index) by its name; False if none is indexed so.

        Its file, if any, is left alone: ingesting its folder again adds it back."""
        removed = bool(self.index.remove_document(source))
        if removed:
            self._refresh()
        return removed

    def ingest(self, paths: Sequence[Path], *, prune: bool = False, progress: Any = None) -> Any:
        """Index files/folders through ingest.pipeline, then refresh what depends on the documents.

        This is the upload path (UI, API): a file over ASSISTANT_MAX_UPLOAD_MB fails with the limit, and
        a file whose content is already indexed under another name is skipped as a duplicate. `progress`
        (ingest.pipeline.ProgressLike) hears of each embedded batch: the upload jobs show it."""
        from ingest.pipeline import MB, ingest_paths

        settings = self.settings or Settings(_env_file=None)  # type: ignore[call-arg]
        summary = ingest_paths(
            list(paths), index=self.index, embeddings=self.embeddings, prune=prune, progress=progress,
            max_file_bytes=int(settings.max_upload_mb * MB), commit_every=settings.ingest_commit_every,
            # Answers beside an upload come first: the ingest's threads run at a lower priority.
            background=True,
        )
        self._refresh()
        return summary
