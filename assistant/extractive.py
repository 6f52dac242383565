"""The default answerer: quotes the list item or sentence that answers, exactly as written.

It never composes a figure: the answer text is built from the document's own words, the
document's title and date, and the period. When nothing covers the question's indicator, or the
question's period is covered by no passage, it refuses and lists the closest passages.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from assistant.query import AUTHOR_QUESTION_RE, H1_PREFIX, QueryIntent
from assistant.retriever import RankedChunk, chunk_id_of, doc_hint_matches, folded_text, period_relation
from ingest.text import find_numbers, fold

# A passage answers only when it holds most of the question's indicator words, weighted by how
# rare each word is in the corpus ("nghèo" matters, "tỷ lệ" barely). Calibrated on evals/dataset.jsonl:
# below this, the closest passage is about another indicator.
MIN_COVERAGE = 0.5
# The same, for the clause holding the figure (its lead words and the clause, the percentage's
# base left out): "96,51% dân số" answers health insurance, not the province's population.
MIN_SUBJECT_COVERAGE = 0.4
# What a figure is about must hold the question's phrases, not just its words: "bệnh viện" is not
# "khỏi bệnh, xuất viện", "dân số" is not "người dân".
SUBJECT_BIGRAM_WEIGHT = 0.35  # 0.55 refused both but lost 8 answerable items of the eval set
# Other documents' values are listed too (question names no period) when they cover the indicator
# almost as well as the best passage.
MULTI_VALUE_MARGIN = 0.12
MAX_VALUES = 4
# Added to a passage's score by how its document's period relates to the question's: the
# document about that period wins; a passage that names the year is second; another period loses.
PERIOD_SCORE = {"exact": 0.3, "mentioned": 0.1, "other": -0.3, "none": 0.0}
# Ranking bonus for passages whose lead is mostly what was asked, and how much of the lead is read.
LEAD_PRECISION_WEIGHT = 0.3
LEAD_MAX_TOKENS = 20
# A second passage of the same document and period is quoted too when it answers almost as well:
# officials then see both rather than lose the right one to a near tie.
RUNNER_UP_MARGIN = 0.08
# Passages read per question: beyond the top retrieved chunks the right one is practically never found.
CANDIDATE_CHUNKS = 12
# A list item ("a) …") shorter than this is quoted whole; longer chunks are split into sentences.
WHOLE_ITEM_MAX_CHARS = 600
# Weight of two-word phrases ("ho_ngheo") against single words in coverage: phrases tell
# "tỷ lệ hộ nghèo" from "tỷ lệ" + "nghèo" scattered over a long sentence.
BIGRAM_WEIGHT = 0.35

_LIST_MARKER_RE = re.compile(r"^\s*(?:[a-zđ]|\d{1,2}(?:\.\d{1,2})*|[IVX]{1,4})[).]\s+", re.IGNORECASE)
_SENTENCE_END_RE = re.compile(r"(?<=[.!?…])\s+(?=[\"“(]?[A-ZÀ-ỸĐ])")
_TOKEN_RE = re.compile(r"[a-z]+|\d+(?:[.,]\d+)*")
_YEAR_RE = re.compile(r"^(?:19|20)\d{2}$")
# "6 tháng đầu năm", "9 tháng": a number naming a period, not a figure.
_PERIOD_NUMBER_RE = re.compile(r"\s*tháng\b", re.IGNORECASE)
_SIGNATURE_RE = re.compile(r"CHỦ TỊCH|BÍ THƯ|Bí thư|TM\.|KT\.")
DocumentChunks = Callable[[str], Sequence[Any]]
_PERCENT_BASE_RE = re.compile(r"(\d[\d.,]*\s*%)[^;,]*")


@dataclass(frozen=True)
class TermWeights:
    """Inverse document frequency of folded words over all indexed chunks."""

    idf: dict[str, float]
    default: float

    @classmethod
    def from_texts(cls, texts: Iterable[str]) -> TermWeights:
        df: Counter[str] = Counter()
        n = 0
        for text in texts:
            n += 1
            df.update(set(_TOKEN_RE.findall(fold(text))))
        idf = {t: math.log((n + 1) / (c + 1)) + 1.0 for t, c in df.items()}
        # A word no document uses is as telling as the rarest word.
        return cls(idf=idf, default=math.log(n + 1) + 1.0)

    def weight(self, term: str) -> float:
        return self.idf.get(term, self.default)


@dataclass(frozen=True)
class SegmentInfo:
    """A sentence or list item with what scoring needs, computed once per chunk."""

    text: str
    tokens: tuple[str, ...]
    subject_tokens: tuple[tuple[str, ...], ...]  # per clause: the words before its first figure
    has_figure: bool


def _head(text: str) -> str:
    for mention in find_numbers(text):
        if not _YEAR_RE.match(mention.raw) and not _PERIOD_NUMBER_RE.match(text, mention.end):
            return text[: mention.start]
    return text


def _subject_tokens(segment: str) -> tuple[tuple[str, ...], ...]:
    """What each ';'-clause holding a figure is about: the item's lead words plus the clause.

    Words after a percentage are its base, not the indicator: "Tỷ lệ người dân tham gia bảo hiểm
    y tế đạt 96,51% dân số" is about health insurance, not population; so is "so với dân số".
    """
    lead = _head(segment)
    out = []
    for clause in re.split(r";", segment):
        if not has_figure(clause):
            continue
        about = _PERCENT_BASE_RE.sub(r"\1", clause)
        about = re.sub(r"\bso với\b.*", "", about)
        out.append(tuple(_tokens(lead + " " + about)))
    return tuple(out)


def segment_info(text: str) -> SegmentInfo:
    return SegmentInfo(text, tuple(_tokens(text)), _subject_tokens(text), has_figure(text))


@dataclass(frozen=True)
class Candidate:
    """One sentence or list item that might answer, and how well it does."""

    text: str  # the document's words, whitespace collapsed, list marker and trailing ';' kept off
    item: RankedChunk
    rank: int  # retrieval rank of its chunk (0 = best)
    names_ok: bool  # every proper name of the question is in the passage or its document's title
    coverage: float  # of the question's words by the whole passage
    subject: float  # of the question's words by what the passage's figures are about
    period: str  # "exact" | "mentioned" | "other" | "none" (question names no period)
    has_figure: bool
    score: float


@dataclass(frozen=True)
class ExtractiveAnswer:
    found: bool
    answer: str
    cited: list[RankedChunk]  # citation [n] is cited[n-1]


def collapse(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def split_segments(text: str, section: str = "") -> list[str]:
    """A short list item stays whole; anything longer is split into sentences."""
    text = collapse(text)
    if not text:
        return []
    last_section = section.split("›")[-1].strip() if section else ""
    is_item = bool(_LIST_MARKER_RE.match(text)) or bool(re.fullmatch(r"[a-zđ]\)", last_section))
    if is_item and len(text) <= WHOLE_ITEM_MAX_CHARS:
        return [text]
    return [s for s in _SENTENCE_END_RE.split(text) if s.strip()]


def display_segment(segment: str) -> str:
    """The quoted words without the list marker and the list's trailing ';' (figures untouched)."""
    text = _LIST_MARKER_RE.sub("", segment, count=1).strip()
    return text.rstrip(";,: ").strip()


@lru_cache(maxsize=16384)
def _cached_tokens(text: str) -> tuple[str, ...]:
    return tuple(_TOKEN_RE.findall(fold(text)))


def _tokens(text: str) -> list[str]:
    return list(_cached_tokens(text))


def coverage(
    terms: Sequence[str], segment_tokens: Sequence[str], weights: TermWeights, bigram_weight: float = BIGRAM_WEIGHT
) -> float:
    """Share of the question's indicator words (idf-weighted) and phrases the passage holds."""
    unique = list(dict.fromkeys(t for t in terms if not _YEAR_RE.match(t)))
    if not unique:
        return 0.0
    present = set(segment_tokens)
    total = sum(weights.weight(t) for t in unique)
    uni = sum(weights.weight(t) for t in unique if t in present) / total
    pairs = [(a, b) for a, b in zip(terms, terms[1:], strict=False) if not _YEAR_RE.match(a + b)]
    if not pairs:
        return uni
    seg_pairs = set(zip(segment_tokens, segment_tokens[1:], strict=False))
    bi = sum(1 for p in pairs if p in seg_pairs) / len(pairs)
    return (1 - bigram_weight) * uni + bigram_weight * bi


def has_figure(segment: str) -> bool:
    """A number that is not just a year, a list ordinal or a date part."""
    for mention in find_numbers(segment):
        if _YEAR_RE.match(mention.raw) or _PERIOD_NUMBER_RE.match(segment, mention.end):
            continue
        return True
    return False


def _period_of(intent: QueryIntent, item: RankedChunk, segment: str) -> str:
    if not intent.periods:
        return "none"
    relations = [period_relation(p, item.meta.get("period"), folded_text(segment)) for p in intent.periods]
    for rel in ("exact", "mentioned"):
        if rel in relations:
            return rel
    return "other"


def _score(cov: float, subject: float, period: str, figure: bool, wants_figure: bool, rank: int, hint: bool) -> float:
    score = 0.5 * cov + 0.5 * subject
    score += PERIOD_SCORE[period]
    if wants_figure:
        score += 0.08 if figure else -0.15
    if hint:
        score += 0.1
    return score + 0.05 / (1 + rank)


def _context_tokens(item: RankedChunk) -> tuple[str, ...]:
    """The document title and section a passage stands under: words that name its context."""
    title = str(item.meta.get("title") or "")
    section = str(getattr(item.chunk, "section", "") or "")
    return tuple(_tokens(f"{title} {section}"))


class SegmentCache:
    """Segments of each chunk, split and tokenised once (chunks are immutable under their id)."""

    def __init__(self) -> None:
        self._by_chunk: dict[str, list[SegmentInfo]] = {}

    def get(self, chunk: object) -> list[SegmentInfo]:
        cid = chunk_id_of(chunk)
        found = self._by_chunk.get(cid)
        if found is None:
            text = str(getattr(chunk, "text", ""))
            section = str(getattr(chunk, "section", "") or "")
            found = [segment_info(s) for s in split_segments(text, section)]
            self._by_chunk[cid] = found
        return found


def candidates(
    intent: QueryIntent, ranked: Sequence[RankedChunk], weights: TermWeights, cache: SegmentCache
) -> list[Candidate]:
    found: list[Candidate] = []
    for rank, item in enumerate(ranked[:CANDIDATE_CHUNKS]):
        hint = bool(intent.doc_hints) and any(doc_hint_matches(h, item.meta) for h in intent.doc_hints)
        context = _context_tokens(item)
        for seg in cache.get(item.chunk):
            cov = coverage(intent.terms, seg.tokens + context, weights)
            if not intent.wants_figure:
                subject = coverage(intent.terms, seg.tokens, weights)
            elif seg.subject_tokens and cov:
                subject = max(
                    coverage(intent.terms, toks, weights, SUBJECT_BIGRAM_WEIGHT) for toks in seg.subject_tokens
                )
            else:
                subject = 0.0
            period = _period_of(intent, item, seg.text)
            score = _score(cov, subject, period, seg.has_figure, intent.wants_figure, rank, hint)
            score += LEAD_PRECISION_WEIGHT * _lead_precision(intent.terms, seg.text, weights)
            words = " ".join(seg.tokens + context)
            names_ok = all(re.search(rf"\b{re.escape(n)}\b", words) for n in intent.names)
            found.append(Candidate(seg.text, item, rank, names_ok, cov, subject, period, seg.has_figure, score))
    found.sort(key=lambda c: c.score, reverse=True)
    return found


def period_label(period: str | None) -> str | None:
    if not period:
        return None
    if re.fullmatch(r"\d{4}", period):
        return f"năm {period}"
    if re.fullmatch(r"\d{4}\s*-\s*\d{4}", period):
        return f"giai đoạn {period}"
    return period


def _date_display(meta: dict[str, object]) -> str | None:
    date = str(meta.get("date") or "")
    parts = date.split("-")
    if len(parts) == 3 and all(parts):
        return f"{parts[2]}/{parts[1]}/{parts[0]}"
    if len(parts) == 2 and all(parts):
        return f"{parts[1]}/{parts[0]}"
    return date or None


def document_phrase(meta: dict[str, object]) -> str:
    """'Nghị quyết … (thông qua ngày 06/12/2024)': how the answer names its source."""
    title = str(meta.get("title") or meta.get("source") or "văn bản")
    date = _date_display(meta)
    if not date:
        return title
    verb = "thông qua ngày" if fold(str(meta.get("kind") or "")) == "nghi quyet" else "ngày"
    return f"{title} ({verb} {date})"


def _value_line(candidate: Candidate, n: int) -> str:
    meta = candidate.item.meta
    label = period_label(str(meta.get("period") or "")) or ""
    prefix = f"{label[0].upper()}{label[1:]} — theo " if label else "Theo "
    return f"{prefix}{document_phrase(meta)}: \"{display_segment(candidate.text)}\" [{n}]"


def _single_answer(candidate: Candidate) -> str:
    meta = candidate.item.meta
    label = period_label(str(meta.get("period") or ""))
    kind = f" ({label})" if label else ""
    return f"Theo {document_phrase(meta)}{kind}: \"{display_segment(candidate.text)}\" [1]."


def _question_subject(intent: QueryIntent) -> str:
    return intent.interpreted.strip().rstrip("?").strip()


def refusal(intent: QueryIntent, related: Sequence[RankedChunk], reason: str) -> ExtractiveAnswer:
    lines = [reason]
    cited: list[RankedChunk] = []
    for item in related[:3]:
        cited.append(item)
        meta = item.meta
        where = str(getattr(item.chunk, "section", "") or "")
        title = str(meta.get("title") or meta.get("source") or "")
        lines.append(f"- {title}{' › ' + where if where else ''} [{len(cited)}]")
    if cited:
        lines.insert(1, "Các đoạn gần nhất, có thể liên quan (không trả lời trực tiếp câu hỏi):")
    return ExtractiveAnswer(found=False, answer="\n".join(lines), cited=cited)


def _uncovered_periods(intent: QueryIntent, best: Candidate) -> bool:
    return bool(intent.periods) and best.period == "other"


def _signature_chunk(chunks: Sequence[Any], signer: str | None) -> Any | None:
    """The chunk holding the document's signature block (the signer's name), searching from the end."""
    for chunk in reversed(chunks):
        folded = fold(str(getattr(chunk, "text", "")))
        if signer and fold(signer) in folded:
            return chunk
    if signer:
        return None
    for chunk in reversed(chunks[-5:]):
        if _SIGNATURE_RE.search(str(getattr(chunk, "text", ""))):
            return chunk
    return None


def answer_author(
    intent: QueryIntent, ranked: Sequence[RankedChunk], document_chunks: DocumentChunks
) -> ExtractiveAnswer | None:
    """'Ai ký …?' / 'Bài viết … của ai?': the signature block of the document the question is about."""
    if not ranked:
        return None
    target = ranked[0]
    source = str(getattr(target.chunk, "source", "") or target.meta.get("source") or "")
    meta = target.meta
    signer = str(meta.get("signer") or "") or None
    chunk = _signature_chunk(document_chunks(source), signer)
    if chunk is None:
        return None
    item = RankedChunk(chunk, target.score, None, None, target.doc_meta)
    quote = collapse(str(getattr(chunk, "text", "")))
    who = f"người ký là {signer}" if signer else "phần ký tên"
    return ExtractiveAnswer(found=True, answer=f"Theo {document_phrase(meta)}, {who}: \"{quote}\" [1].", cited=[item])


def answer_extractively(
    intent: QueryIntent,
    ranked: Sequence[RankedChunk],
    weights: TermWeights,
    cache: SegmentCache | None = None,
    document_chunks: DocumentChunks | None = None,
) -> ExtractiveAnswer:
    if document_chunks is not None and AUTHOR_QUESTION_RE.search(intent.folded):
        authored = answer_author(intent, ranked, document_chunks)
        if authored is not None:
            return authored
    pool = candidates(intent, ranked, weights, cache or SegmentCache())
    subject = _question_subject(intent)
    if not pool or not _answers(pool[0]):
        return refusal(
            intent,
            ranked,
            f"Các văn bản trong kho dữ liệu không có thông tin trả lời câu hỏi: “{subject}”.",
        )
    best = pool[0]
    if _uncovered_periods(intent, best):
        named = ", ".join(period_label(p) or p for p in intent.periods)
        return refusal(
            intent,
            ranked,
            f"Các văn bản trong kho dữ liệu không có số liệu cho {named} về nội dung này: “{subject}”.",
        )
    if not (intent.periods or intent.doc_hints):
        chosen = _values_across_documents(pool, best)
        if len(chosen) > 1:
            lines = ["Chỉ tiêu này có trong nhiều văn bản, cho các kỳ khác nhau:"]
            lines += [f"- {_value_line(c, n)}" for n, c in enumerate(chosen, start=1)]
            return ExtractiveAnswer(found=True, answer="\n".join(lines), cited=[c.item for c in chosen])
    return _with_runner_up(pool, best)


def _with_runner_up(pool: Sequence[Candidate], best: Candidate) -> ExtractiveAnswer:
    runner = next(
        (
            c
            for c in pool[1:6]
            if c.text != best.text
            and _answers(c)
            and c.has_figure == best.has_figure
            and _source(c) == _source(best)
            and c.score >= best.score - RUNNER_UP_MARGIN
        ),
        None,
    )
    answer = _single_answer(best)
    cited = [best.item]
    if runner is not None:
        same_chunk = chunk_id_of(runner.item.chunk) == chunk_id_of(best.item.chunk)
        if not same_chunk:
            cited.append(runner.item)
        answer += f" Cùng văn bản: \"{display_segment(runner.text)}\" [{1 if same_chunk else 2}]."
    return ExtractiveAnswer(found=True, answer=answer, cited=cited)


def _values_across_documents(pool: Sequence[Candidate], best: Candidate) -> list[Candidate]:
    """The best passage per document when several documents hold the indicator for other periods."""
    chosen = [best]
    seen_sources = {_source(best)}
    seen_chunks = {chunk_id_of(best.item.chunk)}
    for cand in pool[1:]:
        if len(chosen) >= MAX_VALUES:
            break
        if not _answers(cand) or _support(cand) < _support(best) - MULTI_VALUE_MARGIN:
            continue
        if best.has_figure and not cand.has_figure:
            continue
        source = _source(cand)
        if source in seen_sources or chunk_id_of(cand.item.chunk) in seen_chunks:
            continue
        if cand.item.meta.get("period") == best.item.meta.get("period"):
            continue
        chosen.append(cand)
        seen_sources.add(source)
        seen_chunks.add(chunk_id_of(cand.item.chunk))
    return chosen


def _support(candidate: Candidate) -> float:
    """How well a passage covers the question's indicator, as the refusal threshold sees it."""
    return 0.5 * candidate.coverage + 0.5 * candidate.subject


def _answers(candidate: Candidate) -> bool:
    """Enough of the question's words in the passage, and in what its figure is about."""
    return (
        candidate.names_ok
        and candidate.coverage >= MIN_COVERAGE
        and candidate.subject >= MIN_SUBJECT_COVERAGE
    )


def _lead_precision(terms: Sequence[str], segment: str, weights: TermWeights) -> float:
    """Share of the passage's lead (its words before the first figure) that the question asks about.

    "Đóng góp của năng suất nhân tố tổng hợp (TFP) vào tăng trưởng GRDP" mentions GRDP growth but is
    about TFP; "Tốc độ tăng trưởng kinh tế (GRDP)" is about growth itself.
    """
    lead = _tokens(_head(_LIST_MARKER_RE.sub("", segment, count=1)))[:LEAD_MAX_TOKENS]
    if not lead:
        return 0.0
    asked = set(terms)
    total = sum(weights.weight(t) for t in lead)
    return sum(weights.weight(t) for t in lead if t in asked) / total if total else 0.0


def _source(candidate: Candidate) -> str:
    return str(getattr(candidate.item.chunk, "source", "") or candidate.item.meta.get("source") or "")


__all__ = [
    "H1_PREFIX",
    "ExtractiveAnswer",
    "TermWeights",
    "answer_extractively",
    "document_phrase",
    "display_segment",
    "split_segments",
]
