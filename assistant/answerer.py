"""The default answerer: picks the units that answer with the fitted model, and quotes them.

It never composes a figure: the answer text is the document's own sentence, list item or table
row, named by its document, date and period. One calibrated decision says whether to answer: the
best unit's probability must reach the model's threshold (fitted so that at most about one answer
in a hundred is wrong); otherwise it refuses and shows the closest units themselves.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from assistant.answer_model import AnswerModel
from assistant.features import AskedShape, UnitFeatures, asked_shape, featurize_all, share_conflict
from assistant.passages import Unit, display_text, units_of
from assistant.places import place_of
from assistant.query import QueryIntent
from assistant.retriever import RankedChunk, chunk_id_of, doc_hint_matches, folded_text
from assistant.terms import TermWeights
from ingest.text import display_date, fold

# Passages whose units are weighed: retrieval's top ones.
CANDIDATE_CHUNKS = 12
# Units quoted at most in one answer (several figures asked, or one indicator in several documents).
MAX_UNITS = 3
# For "who signed" questions: the passages of the top documents that name their signer, and their last ones.
SIGNATURE_CHUNKS = 2
SIGNATURE_DOCUMENTS = 2
DocumentChunks = Callable[[str], Sequence[Any]]


@dataclass(frozen=True)
class ExtractiveAnswer:
    found: bool
    answer: str
    cited: list[RankedChunk]  # citation [n] is cited[n-1]


@dataclass(frozen=True)
class ScoredUnit:
    unit: Unit
    features: UnitFeatures
    score: float  # the ranking's score
    share: float  # its share of the question's ranking (softmax of the scores)


@dataclass(frozen=True)
class Selection:
    """Every candidate unit of one question, best first, and how sure the model is of the best."""

    intent: QueryIntent
    shape: AskedShape
    scored: list[ScoredUnit]
    confidence: float  # estimated chance that the best unit answers

    def chosen(self, threshold: float, extra_share: float) -> list[ScoredUnit]:
        """The units to quote: none below the threshold; else the best, and any other unit holding
        at least `extra_share` of the ranking (several figures asked, or one in several documents)."""
        if not self.scored or self.confidence < threshold:
            return []
        texts = [s.unit.text for s in self.scored]
        return [self.scored[i] for i in units_to_quote(texts, [s.share for s in self.scored], extra_share)]


def units_to_quote(texts: Sequence[str], shares: Sequence[float], extra_share: float) -> list[int]:
    """Positions, in a best-first list of units, of those an answer quotes: the best, then each
    next one holding at least `extra_share` of the ranking, once per text, MAX_UNITS at most."""
    picked = [0]
    for i in range(1, len(texts)):
        if len(picked) >= MAX_UNITS or shares[i] < extra_share:
            break
        if texts[i] not in {texts[j] for j in picked}:
            picked.append(i)
    return picked


def _signature_items(ranked: Sequence[RankedChunk], document_chunks: DocumentChunks) -> list[RankedChunk]:
    sources = list(dict.fromkeys(str(getattr(r.chunk, "source", "")) for r in ranked))[:SIGNATURE_DOCUMENTS]
    doc_meta = {str(getattr(r.chunk, "source", "")): r.doc_meta for r in ranked}
    out = []
    for source in sources:
        meta = doc_meta.get(source, {})
        chunks = list(document_chunks(source))
        picked = _signer_chunks(chunks, str(meta.get("signer") or "")) + chunks[-SIGNATURE_CHUNKS:]
        for chunk in list({chunk_id_of(c): c for c in picked}.values()):
            out.append(RankedChunk(chunk, 0.0, None, None, meta))
    return out


def _signer_chunks(chunks: Sequence[Any], signer: str) -> list[Any]:
    """The passages that write the signer's name: a decision or resolution signs before its annexes or the
    plan it issues, so its signer block often stands mid-document, not in its last passages."""
    name = fold(signer).strip()
    if not name:
        return []
    # A crawled page may break the name over two lines.
    return [c for c in chunks if name in " ".join(folded_text(str(getattr(c, "text", ""))).split())][:SIGNATURE_CHUNKS]


def candidate_units(
    intent: QueryIntent, shape: AskedShape, ranked: Sequence[RankedChunk], document_chunks: DocumentChunks
) -> list[Unit]:
    items = list(ranked[:CANDIDATE_CHUNKS])
    if shape.person:
        known = {chunk_id_of(r.chunk) for r in items}
        items += [r for r in _signature_items(items, document_chunks) if chunk_id_of(r.chunk) not in known]
    units: list[Unit] = []
    # The place a question names (else the deployment's own) is a filter, not a hint: another province's
    # figure is never the answer. (A document number is only weighed: a question may name a document another one cites.)
    items = [i for i in items if not _other_place(shape, i.meta)]
    for rank, item in enumerate(items):
        hint = bool(intent.doc_hints) and any(doc_hint_matches(h, item.meta) for h in intent.doc_hints)
        units += units_of(item, rank, hint)
    # Nor is a share the answer to an amount, or an amount to a share: of the 593 such units among the training
    # questions' candidates (stop 21), none answered its question. A weighed feature could not learn this: the
    # ranking already puts them low where other candidates exist, so the decision never met one on top.
    return [u for u in units if not share_conflict(shape, u)]


def _other_place(shape: AskedShape, meta: dict[str, Any]) -> bool:
    place = place_of(meta)
    asked = shape.place or shape.home
    return asked is not None and place is not None and place != asked


def select(
    intent: QueryIntent,
    ranked: Sequence[RankedChunk],
    model: AnswerModel,
    weights: TermWeights,
    known_places: Sequence[str],
    document_chunks: DocumentChunks,
    home_place: str | None = None,
) -> Selection:
    shape = asked_shape(intent, known_places, home_place)
    units = candidate_units(intent, shape, ranked, document_chunks)
    features = featurize_all(intent, shape, units, weights)
    ranking = model.rank(features)
    scored = [
        ScoredUnit(u, f, score, share)
        for u, f, score, share in zip(units, features, ranking.scores, ranking.shares, strict=True)
    ]
    scored.sort(key=lambda s: (-s.score, s.unit.rank, s.unit.position))
    return Selection(intent, shape, scored, ranking.confidence)


# --- wording ----------------------------------------------------------------------------------------


def period_label(period: str | None) -> str | None:
    if not period:
        return None
    if re.fullmatch(r"\d{4}", period):
        return f"năm {period}"
    if re.fullmatch(r"\d{4}\s*-\s*\d{4}", period):
        return f"giai đoạn {period}"
    return period


def document_phrase(meta: dict[str, object]) -> str:
    """'Nghị quyết … số 57/NQ-HĐND (thông qua ngày 06/12/2024)': how the answer names its source."""
    title = str(meta.get("title") or meta.get("source") or "văn bản")
    number = str(meta.get("number") or "")
    if number and number not in title:
        title = f"{title} số {number}"
    date = display_date(meta.get("date"))
    if not date:
        return title
    verb = "thông qua ngày" if fold(str(meta.get("kind") or "")) == "nghi quyet" else "ngày"
    return f"{title} ({verb} {date})"


def _quoted(unit: Unit) -> str:
    text = display_text(unit.text)
    columns = [str(c) for c in (unit.meta.get("columns") or []) if str(c).strip()]
    if unit.kind == "row" and columns:
        return f"\"{text}\" (cột: {' | '.join(columns)})"
    return f"\"{text}\""


def _where(unit: Unit) -> str:
    section = str(getattr(unit.item.chunk, "section", "") or "")
    return f" › {section}" if section else ""


def _cite(cited: list[RankedChunk], item: RankedChunk) -> int:
    cid = chunk_id_of(item.chunk)
    for n, held in enumerate(cited, start=1):
        if chunk_id_of(held.chunk) == cid:
            return n
    cited.append(item)
    return len(cited)


def compose(selection: Selection, model: AnswerModel) -> ExtractiveAnswer:
    chosen = selection.chosen(model.threshold, model.extra_share)
    if not chosen:
        return refusal(selection)
    cited: list[RankedChunk] = []
    if len(chosen) == 1:
        unit = chosen[0].unit
        n = _cite(cited, unit.item)
        label = period_label(str(unit.meta.get("period") or ""))
        period = f" ({label})" if label else ""
        return ExtractiveAnswer(True, f"Theo {document_phrase(unit.meta)}{period}: {_quoted(unit)} [{n}].", cited)
    lines = ["Các văn bản ghi:"]
    for scored in chosen:
        unit = scored.unit
        n = _cite(cited, unit.item)
        label = period_label(str(unit.meta.get("period") or ""))
        prefix = f"{label[0].upper()}{label[1:]} — theo " if label else "Theo "
        lines.append(f"- {prefix}{document_phrase(unit.meta)}: {_quoted(unit)} [{n}]")
    return ExtractiveAnswer(True, "\n".join(lines), cited)


def refusal(selection: Selection, closest: int = 3) -> ExtractiveAnswer:
    """Says plainly that the documents do not answer, and shows the closest units themselves."""
    asked = selection.intent.interpreted.strip().rstrip("?").strip()
    lines = [f"Các văn bản đã nạp không có thông tin trả lời câu hỏi: \"{asked}\"."]
    cited: list[RankedChunk] = []
    shown: set[str] = set()
    for scored in selection.scored:
        unit = scored.unit
        if len(shown) >= closest or chunk_id_of(unit.item.chunk) in shown:
            continue
        shown.add(chunk_id_of(unit.item.chunk))
        n = _cite(cited, unit.item)
        title = str(unit.meta.get("title") or unit.meta.get("source") or "")
        lines.append(f"- {_quoted(unit)} — {title}{_where(unit)} [{n}]")
    if cited:
        lines.insert(1, "Các đoạn gần nhất (có thể liên quan, không trả lời trực tiếp câu hỏi):")
    return ExtractiveAnswer(False, "\n".join(lines), cited)
