"""Pure scoring of answers against eval items: one item at a time, then aggregated.

Nothing here runs a model or reads files; the runner feeds it `Answer`s and timings,
so the same code scores our assistant and the textbook baseline.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, Field, model_validator

from assistant.models import Answer, Citation, RetrievedPassage
from ingest.text import NumberMention, canonical_tones, find_numbers, nfc

Kind = Literal[
    "figure", "disambiguation", "multi", "fact", "no_diacritics", "tone_variant", "unanswerable", "followup", "table",
    "comparison",
]
KINDS: tuple[str, ...] = (
    "figure",
    "disambiguation",
    "multi",
    "fact",
    "no_diacritics",
    "tone_variant",
    "unanswerable",
    "followup",
    "table",
    "comparison",
)

_EMPHASIS_RE = re.compile(r"\*+")
_PIPE_RE = re.compile(r"\s*\|\s*")
# [n] markers point at citations; they are not figures of the answer.
_CITATION_MARKER_RE = re.compile(r"\[\d+(?:\s*[,;-]\s*\d+)*\]")
# Symbols that change what a figure means ("6%-7%", "1.657/1.840", "≥ 90%"); other punctuation is layout.
_MEANINGFUL_SYMBOLS = "%/+<>≤≥-"
_DASHES = {"\u2010": "-", "\u2011": "-", "\u2012": "-", "\u2013": "-", "\u2014": "-", "\u2212": "-"}
_WORD_OR_SYMBOL_RE = re.compile(r"[^\W_]+|[" + re.escape(_MEANINGFUL_SYMBOLS) + "]")
_WHITESPACE_RE = re.compile(r"\s+")
# A unit glued to a figure ("1.950ha", "30MW") hides the figure from find_numbers.
_DIGIT_LETTER_RE = re.compile(r"(?<=\d)(?=[^\W\d_])")


# --- eval items -----------------------------------------------------------------------------------


class ExtraEvidence(BaseModel):
    source: str
    evidence: str


class EvalItem(BaseModel):
    """One line of evals/dataset.jsonl (format: ARCHITECTURE.md, "Eval items")."""

    id: str
    question: str
    history: list[str] = Field(default_factory=list)
    answerable: bool
    expected: list[str] = Field(default_factory=list)
    source: str | None = None
    evidence: str | None = None
    extra_evidence: list[ExtraEvidence] = Field(default_factory=list)
    kind: Kind

    @model_validator(mode="after")
    def _answerable_items_say_what_is_expected(self) -> EvalItem:
        if self.answerable and not (self.expected and self.source and self.evidence):
            raise ValueError("an answerable item needs non-empty 'expected', 'source' and 'evidence'")
        return self


# --- text matching --------------------------------------------------------------------------------


def collapse_whitespace(text: str) -> str:
    return _WHITESPACE_RE.sub(" ", text).strip()


def evidence_key(text: str) -> str:
    """How evidence and quotes are compared: NFC, PDF-style line breaks and runs of spaces as one space,
    without Markdown emphasis (a crawled table's "**TỔNG**" is shown as "TỔNG"), pipes spaced alike."""
    text = _EMPHASIS_RE.sub("", nfc(text))
    return collapse_whitespace(_PIPE_RE.sub(" | ", text)).strip(" |")


def strip_citation_markers(text: str) -> str:
    return _CITATION_MARKER_RE.sub(" ", text)


def separate_units(text: str) -> str:
    """'1.950ha' → '1.950 ha', so the figure is read as a number whether or not the unit is glued."""
    return _DIGIT_LETTER_RE.sub(" ", text)


def figures(text: str) -> list[NumberMention]:
    return find_numbers(separate_units(text))


def match_tokens(text: str) -> list[str]:
    """Comparable tokens: numbers by value ("#1850" for "1.850" and "1850"), words with canonical tones
    and lower case, and the symbols that change a figure's meaning. Other punctuation is dropped."""
    text = separate_units(canonical_tones(text))
    for dash, plain in _DASHES.items():
        text = text.replace(dash, plain)
    tokens: list[str] = []
    position = 0
    for number in find_numbers(text):
        tokens.extend(_word_tokens(text[position : number.start]))
        tokens.append(_number_token(number.value))
        position = number.end
    tokens.extend(_word_tokens(text[position:]))
    return tokens


def _word_tokens(text: str) -> list[str]:
    return [m.group(0).casefold() for m in _WORD_OR_SYMBOL_RE.finditer(text)]


def _number_token(value: Decimal) -> str:
    # normalize() makes 6,5 and 6,50 the same value; "f" avoids 1.85E+3.
    return "#" + format(value.normalize(), "f")


def _contains_run(haystack: Sequence[str], needle: Sequence[str]) -> bool:
    if not needle:
        return True
    width = len(needle)
    first = needle[0]
    return any(
        haystack[i] == first and list(haystack[i : i + width]) == list(needle)
        for i in range(len(haystack) - width + 1)
    )


def contains_expected(answer_text: str, expected: str) -> bool:
    """True when the answer says `expected`: same words (tone marks, case and spacing aside) and the
    same figures by value, in the same order. "1 850" is two numbers, so it does not say "1.850"."""
    return _contains_run(match_tokens(strip_citation_markers(answer_text)), match_tokens(expected))


def missing_expected(answer_text: str, expected: Iterable[str]) -> list[str]:
    answer_tokens = match_tokens(strip_citation_markers(answer_text))
    return [e for e in expected if not _contains_run(answer_tokens, match_tokens(e))]


# --- citations, figures, retrieval -----------------------------------------------------------------


def evidence_in_citations(citations: Iterable[Citation], source: str, evidence: str) -> bool:
    """The evidence lies inside the quote of a citation of the right document."""
    key = evidence_key(evidence)
    return any(c.source == source and key in evidence_key(c.quote) for c in citations)


def _citation_numbers(citation: Citation) -> set[Decimal]:
    # The document's own metadata (its number, date, period, page) may be named in the answer.
    texts = [citation.quote, citation.title, citation.number or "", citation.date or "", citation.period or ""]
    texts.append(citation.location)
    return {m.value for text in texts for m in figures(text)}


def invented_figures(answer_text: str, citations: Iterable[Citation], asked: Iterable[str]) -> list[str]:
    """Numbers in the answer found in no cited passage (or its document's metadata) and not in what was
    asked: figures the answer made up. Returned as written, in order, without repeats."""
    allowed: set[Decimal] = set()
    for citation in citations:
        allowed |= _citation_numbers(citation)
    for text in asked:
        allowed |= {m.value for m in figures(text)}
    invented: list[str] = []
    for mention in figures(strip_citation_markers(answer_text)):
        if mention.value not in allowed and mention.raw not in invented:
            invented.append(mention.raw)
    return invented


def first_hit_rank(retrieved: Iterable[RetrievedPassage], source: str, evidence: str) -> int | None:
    """1-based rank of the first retrieved passage of the right document that contains the evidence."""
    key = evidence_key(evidence)
    for position, passage in enumerate(sorted(retrieved, key=lambda p: p.rank), start=1):
        if passage.source == source and key in evidence_key(passage.text):
            return position
    return None


# --- one item -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ItemScore:
    id: str
    kind: str
    answerable: bool
    found: bool
    # Answerable: found and every expected string present. Unanswerable: refused.
    correct: bool
    missing: list[str]
    # None for unanswerable items: there is nothing to cite.
    citation_ok: bool | None
    refusal_ok: bool
    invented: list[str]
    # None when no retrieved passage holds the evidence (or the item is unanswerable).
    hit_rank: int | None
    latency_ms: float | None
    error: str | None = None

    @property
    def passed(self) -> bool:
        """Everything right: what the regression gate remembers per item."""
        if self.error is not None or self.invented:
            return False
        if self.answerable:
            return self.correct and bool(self.citation_ok)
        return self.refusal_ok


def score_item(item: EvalItem, answer: Answer, latency_ms: float | None) -> ItemScore:
    asked = [item.question, *item.history]
    invented = invented_figures(answer.answer, answer.citations, asked)
    if not item.answerable:
        return ItemScore(
            id=item.id,
            kind=item.kind,
            answerable=False,
            found=answer.found,
            correct=not answer.found,
            missing=[],
            citation_ok=None,
            refusal_ok=not answer.found,
            invented=invented,
            hit_rank=None,
            latency_ms=latency_ms,
        )
    assert item.source is not None and item.evidence is not None  # guaranteed by EvalItem's validator
    missing = missing_expected(answer.answer, item.expected)
    evidences = [(item.source, item.evidence)] + [(e.source, e.evidence) for e in item.extra_evidence]
    citation_ok = answer.found and all(evidence_in_citations(answer.citations, s, e) for s, e in evidences)
    return ItemScore(
        id=item.id,
        kind=item.kind,
        answerable=True,
        found=answer.found,
        correct=answer.found and not missing,
        missing=missing,
        citation_ok=citation_ok,
        refusal_ok=answer.found,
        invented=invented,
        hit_rank=first_hit_rank(answer.retrieved, item.source, item.evidence),
        latency_ms=latency_ms,
    )


def score_error(item: EvalItem, error: str) -> ItemScore:
    """An item whose answer() raised: it fails every check it has."""
    return ItemScore(
        id=item.id,
        kind=item.kind,
        answerable=item.answerable,
        found=False,
        correct=False,
        missing=list(item.expected),
        citation_ok=False if item.answerable else None,
        refusal_ok=False,
        invented=[],
        hit_rank=None,
        latency_ms=None,
        error=error,
    )


# --- aggregates -----------------------------------------------------------------------------------


def percentile(values: Sequence[float], q: float) -> float | None:
    """Linear-interpolated percentile (q in 0..100), None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    position = (len(ordered) - 1) * q / 100.0
    low = math.floor(position)
    high = math.ceil(position)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def _rate(flags: Sequence[bool]) -> float | None:
    return sum(flags) / len(flags) if flags else None


@dataclass(frozen=True)
class Metrics:
    n_items: int
    n_answerable: int
    n_unanswerable: int
    answer_accuracy: float | None  # over answerable items
    citation_accuracy: float | None  # over answerable items
    refusal_accuracy: float | None  # over all items
    refusal_recall: float | None  # unanswerable items refused
    false_refusal_rate: float | None  # answerable items refused
    # Mean of refusal recall and answer rate: refusal accuracy over all items rewards never refusing
    # (a chain that always answers scores the answerable share), this does not.
    refusal_balanced_accuracy: float | None
    invented_figure_answers: int
    hit_at_1: float | None  # over answerable items
    hit_at_5: float | None
    mrr: float | None
    latency_p50_ms: float | None
    latency_p95_ms: float | None
    passed: int
    errors: int


def aggregate(scores: Sequence[ItemScore]) -> Metrics:
    answerable = [s for s in scores if s.answerable]
    unanswerable = [s for s in scores if not s.answerable]
    ranks = [s.hit_rank for s in answerable]
    latencies = [s.latency_ms for s in scores if s.latency_ms is not None]
    refusal_recall = _rate([not s.found for s in unanswerable])
    false_refusal_rate = _rate([not s.found for s in answerable])
    balanced = (
        (refusal_recall + 1.0 - false_refusal_rate) / 2
        if refusal_recall is not None and false_refusal_rate is not None
        else None
    )
    return Metrics(
        n_items=len(scores),
        n_answerable=len(answerable),
        n_unanswerable=len(unanswerable),
        answer_accuracy=_rate([s.correct for s in answerable]),
        citation_accuracy=_rate([bool(s.citation_ok) for s in answerable]),
        refusal_accuracy=_rate([s.refusal_ok for s in scores]),
        refusal_recall=refusal_recall,
        false_refusal_rate=false_refusal_rate,
        refusal_balanced_accuracy=balanced,
        invented_figure_answers=sum(1 for s in scores if s.invented),
        hit_at_1=_rate([r == 1 for r in ranks]),
        hit_at_5=_rate([r is not None and r <= 5 for r in ranks]),
        mrr=sum(1.0 / r for r in ranks if r is not None) / len(ranks) if ranks else None,
        latency_p50_ms=percentile(latencies, 50),
        latency_p95_ms=percentile(latencies, 95),
        passed=sum(1 for s in scores if s.passed),
        errors=sum(1 for s in scores if s.error is not None),
    )


@dataclass(frozen=True)
class KindMetrics:
    kind: str
    n: int
    accuracy: float | None  # answer accuracy; for unanswerable items, refusal
    citation_accuracy: float | None
    hit_at_5: float | None
    passed: int


def by_kind(scores: Sequence[ItemScore]) -> list[KindMetrics]:
    """Per-kind figures, in the dataset's canonical kind order (unknown kinds last)."""
    kinds = [k for k in KINDS if any(s.kind == k for s in scores)]
    kinds += sorted({s.kind for s in scores} - set(kinds))
    result = []
    for kind in kinds:
        group = [s for s in scores if s.kind == kind]
        answerable = [s for s in group if s.answerable]
        result.append(
            KindMetrics(
                kind=kind,
                n=len(group),
                accuracy=_rate([s.correct for s in group]),
                citation_accuracy=_rate([bool(s.citation_ok) for s in answerable]),
                hit_at_5=_rate([s.hit_rank is not None and s.hit_rank <= 5 for s in answerable]),
                passed=sum(1 for s in group if s.passed),
            )
        )
    return result


@dataclass(frozen=True)
class Failure:
    """What a reader needs to see why an item failed."""

    id: str
    kind: str
    question: str
    history: list[str]
    answer: str
    found: bool
    reasons: list[str]
    expected: list[str] = field(default_factory=list)
    evidence: str | None = None
    source: str | None = None
    cited_sources: list[str] = field(default_factory=list)


def failure_reasons(score: ItemScore) -> list[str]:
    if score.error is not None:
        return [f"answer() raised: {score.error}"]
    reasons: list[str] = []
    if score.answerable:
        if not score.found:
            reasons.append("refused an answerable question")
        elif score.missing:
            reasons.append("missing expected: " + "; ".join(repr(m) for m in score.missing))
        if score.found and not score.citation_ok:
            reasons.append("evidence not in a cited quote of the right document")
    elif score.found:
        reasons.append("answered an unanswerable question")
    if score.invented:
        reasons.append("invented figures: " + ", ".join(score.invented))
    return reasons


def describe_failure(item: EvalItem, answer: Answer | None, score: ItemScore) -> Failure:
    return Failure(
        id=item.id,
        kind=item.kind,
        question=item.question,
        history=list(item.history),
        answer=answer.answer if answer is not None else "",
        found=score.found,
        reasons=failure_reasons(score),
        expected=list(item.expected),
        evidence=item.evidence,
        source=item.source,
        cited_sources=[c.source for c in answer.citations] if answer is not None else [],
    )
