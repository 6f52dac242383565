"""Questions that compare one indicator across documents and periods, answered from the indicator table.

"GRDP năm 2020 đạt bao nhiêu so với mục tiêu giai đoạn 2021-2025?" needs a figure from the 2020
report and one from the 5-year resolution. The answer-selection model finds the indicator (the unit
it ranks best among those the table holds a record of); the table then gives that indicator's
figures in every document, each quoted as written with its own citation. No arithmetic is done.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from assistant.answerer import Selection
from assistant.indicators import IndicatorGroup
from assistant.retriever import chunk_id_of
from assistant.terms import TermWeights
from ingest.indicators import IndicatorRecord, indicator_key
from ingest.text import fold

# Words that ask for one indicator across periods or documents: "so với" a plan, target or period.
# "So với cùng kỳ", "so với cả nước" are not: they ask for a change one document states itself.
_COMPARISON_RE = re.compile(
    r"\bso voi(?: \w+){0,3} (?:ke hoach|muc tieu|chi tieu|nghi quyet|giai doan|nhiem ky|5 nam|nam (?:19|20)\d\d)\b"
    r"|\bso sanh\b|\bqua cac\b|\bqua tung\b|\bcac (?:van ban|nam|ky|giai doan)\b"
    r"|\bthay doi (?:the nao|ra sao|nhu the nao)\b|\bchenh lech\b|\btang hay giam\b"
    # "… năm 2020 tăng bao nhiêu; chỉ tiêu năm 2025 cao hay thấp hơn?": one figure weighed against another.
    r"|\b(?:cao|nhieu|lon) (?:hon )?hay (?:thap|it|nho) hon\b"
)
# Units of the ranking searched for the indicator the question is about.
INDICATOR_UNITS = 5
# How a question frames what it asks ("chỉ tiêu … bao nhiêu, có khác không"): no indicator's name.
_QUESTION_FRAMING_RE = re.compile(
    r"\b(?:chi tieu|muc tieu|ke hoach|bao nhieu|the nao|ra sao|khac khong|co khac|chenh lech|chenh nhau|so sanh|qua cac)\b"
)
# How much of the question's words another unit's record must name, against the group's own, to give
# the figure of a period the group lacks.
FILL_SHARE = 0.8
# How much of the question's words a top unit's indicator must name, against the best of the top units', to
# be the indicator asked.
UNIT_SHARE = 0.5
# Figures one comparison answer lists at most.
MAX_RECORDS = 8


# A period as a question writes it: a year (a range is two), "5 năm", "nhiệm kỳ".
# Not the year of a document number ("58/2025/NQ-HĐND").
_PERIOD_MENTION_RE = re.compile(r"(?<!/)\b(?:19|20)\d{2}\b(?!/)|\b5 nam\b|\bnhiem ky\b")
# Words that join two periods asked about side by side ("giai đoạn 2021-2025 và năm 2025").
# A comma does not: "theo kế hoạch 2021-2025, cơ cấu đến 2025 …" asks one plan.
_JOINING_RE = re.compile(r"\bva\b|\bcon\b|\bvoi\b")
# What asks for a figure: two of them with two periods are two figures asked side by side.
_ASKED_RE = re.compile(r"\bbao nhieu\b|\bthe nao\b|\bra sao\b|\bmuc nao\b")


def asks_comparison(question: str) -> bool:
    """Asks for one indicator across periods or documents: comparison words, two periods joined
    ("mục tiêu 2021-2025 và năm 2025"), or two periods each asked for a figure ("kế hoạch 5 năm đặt
    bao nhiêu, nghị quyết năm 2025 bao nhiêu?"). Two periods alone do not say so: "kế hoạch 2021-2025
    đặt GRDP cuối năm 2025 …" asks one plan for one figure."""
    folded = fold(question)
    if _COMPARISON_RE.search(folded):
        return True
    mentions = list(_PERIOD_MENTION_RE.finditer(folded))
    if len(mentions) >= 2 and len(_ASKED_RE.findall(folded)) >= 2:
        return True
    return any(
        _JOINING_RE.search(folded[a.end() : b.start()]) for a, b in zip(mentions, mentions[1:], strict=False)
    )


@dataclass(frozen=True)
class Comparison:
    """The indicator found, its figures for the periods asked, and the periods no document gives."""

    group: IndicatorGroup
    records: tuple[IndicatorRecord, ...]
    missing_periods: tuple[str, ...]


def _period_key(period: str | None) -> str:
    # "9 tháng đầu năm 2021" and "9 tháng năm 2021" are one period: months counted from the year's start.
    key = re.sub(r"\s+", " ", fold(period or "")).replace(" - ", "-").strip()
    return re.sub(r"^(\d+ thang) dau ", r"\1 ", key)


def _covers(record: IndicatorRecord, key: str) -> bool:
    """The record gives a figure for the period asked (a `_period_key`). A plan's target for its last year
    ("cơ cấu kinh tế đến năm 2025" in the 2021-2025 resolution) is that plan's figure: it answers "kế
    hoạch 2021-2025" as much as "năm 2025"."""
    have = _period_key(record.period)
    if have == key:
        return True
    span = re.fullmatch(r"(?:19|20)\d{2}-((?:19|20)\d{2})", key)
    return (
        span is not None and have == span.group(1) and key in re.sub(r"\s*[-–]\s*", "-", fold(record.title))
    )


def _without_plan_end_years(comparison: Comparison) -> Comparison:
    """A plan period no record is dated with is not missing when the plan sets its last year's figure."""
    missing = tuple(
        p
        for p in comparison.missing_periods
        if not any(_covers(r, _period_key(p)) for r in comparison.records)
    )
    return Comparison(comparison.group, comparison.records, missing)


def _record_in_unit(record: IndicatorRecord, unit_text: str) -> bool:
    return fold(record.value_text) in fold(unit_text)


def _name_overlap(question_key: str, record: IndicatorRecord, weights: TermWeights) -> float:
    # Both sides as indicator keys, so "khu vực công nghiệp - xây dựng" meets "khu vực II".
    named = set(record.key.split())
    return sum(weights.weight(t) for t in set(question_key.split()) if t in named)


def _extra_words(question_key: str, record: IndicatorRecord) -> int:
    """Words of the record's name the question does not say: the fewer, the closer the fit."""
    asked = set(question_key.split())
    return len([w for w in record.key.split() if w not in asked])


def _best_held(
    held: Sequence[tuple[IndicatorGroup, IndicatorRecord]],
    periods: Sequence[str],
    question_key: str,
    weights: TermWeights,
) -> tuple[IndicatorGroup, IndicatorRecord]:
    """The indicator a unit states that the question asks: the one whose name shares most of the question's
    words; among names that share as much ("huy động vốn đầu tư" as a sum and as a change, a target and its
    breakdown), the one the table holds for more of the periods asked, then the one adding fewest words."""

    def fit(pair: tuple[IndicatorGroup, IndicatorRecord]) -> tuple[float, int, int]:
        group, record = pair
        _, covered = _for_periods(group, periods)
        return (
            round(_name_overlap(question_key, record, weights), 6),
            len(covered),
            -_extra_words(question_key, record),
        )

    return max(held, key=fit)


def _for_periods(group: IndicatorGroup, periods: Sequence[str]) -> tuple[Comparison, set[str]]:
    """The group's figures for the periods asked (all of them when none is), and the periods covered."""
    asked = {_period_key(p): p for p in periods}
    if not asked:
        return Comparison(group, tuple(group.records[:MAX_RECORDS]), ()), set()
    records = [r for r in group.records if _period_key(r.period) in asked]
    covered = {_period_key(r.period) for r in records}
    missing = tuple(p for key, p in asked.items() if key not in covered)
    return Comparison(group, tuple(records[:MAX_RECORDS]), missing), covered


def _second_indicator(
    first: IndicatorGroup,
    held: Sequence[tuple[IndicatorGroup, IndicatorRecord]],
    question_key: str,
    periods: Sequence[str],
    weights: TermWeights,
) -> Comparison | None:
    """A second indicator the question names beside the first ("số giường bệnh và bác sĩ trên vạn dân"):
    the group held by the top units whose key shares most of a phrase of the question that the first
    group's key leaves unsaid, with figures for a period asked. A phrase, two words in a row: one
    shared word ("tỷ", "tổng") is how siblings look alike, not a second indicator asked."""
    first_words = set(first.records[0].key.split()) if first.records else set()
    asked = _QUESTION_FRAMING_RE.sub(" ", question_key).split()
    asked_pairs = {pair for pair in zip(asked, asked[1:], strict=False) if not set(pair) & first_words}
    best: tuple[float, IndicatorGroup] | None = None
    for group, record in held:
        if group.id == first.id:
            continue
        key = record.key.split()
        # A phrase of the question (two words in a row, in both) the first indicator does not name.
        shared = asked_pairs & set(zip(key, key[1:], strict=False))
        gain = sum(weights.weight(w) for pair in shared for w in pair)
        if shared and (best is None or gain > best[0]):
            best = (gain, group)
    if best is None:
        return None
    comparison, _ = _for_periods(best[1], periods)
    return comparison if comparison.records else None


def _filled_from_top_units(
    comparison: Comparison,
    covered: set[str],
    held_by_top: Sequence[tuple[IndicatorGroup, IndicatorRecord]],
    first_overlap: float,
    question_key: str,
    weights: TermWeights,
    periods: Sequence[str] = (),
) -> tuple[Comparison, set[str]]:
    """A period the group has no figure for may still be in a unit the ranking put on top, written in
    other words than the group's ("Tỷ lệ điều tra, khám phá án" / "Điều tra, khám phá án hình sự"):
    its record joins when its name shares nearly as much of the question as the group's does."""
    records = list(comparison.records)
    asked = {_period_key(p) for p in periods}
    missing = []
    for period in comparison.missing_periods:
        key = _period_key(period)
        if key in covered:
            continue  # brought by a record filled for another period
        # A figure dated with the period itself first; else a plan's figure for its last year, unless it is
        # already the answer's figure for that year (one figure does not answer two periods asked).
        listed = {r.id for r in records}
        candidates = [(g, r) for g, r in held_by_top if _period_key(r.period) == key] or [
            (g, r) for g, r in held_by_top if _covers(r, key) and r.id not in listed
        ]
        best = max(candidates, key=lambda gr: _name_overlap(question_key, gr[1], weights), default=None)
        if (
            best is not None
            and _name_overlap(question_key, best[1], weights) >= FILL_SHARE * first_overlap > 0
        ):
            group, record = best
            # The figure and its change stated together ("5.665,3 tỷ đồng, tăng 14,6% so cùng kỳ") are two
            # records of one name; the indicator it names may hold the figures of other periods asked
            # ("thuế sản phẩm tăng 14,2%" in the plan, "5,38%" in the year's resolution): all of them answer.
            same = [
                r for _, r in candidates if r.chunk_id == record.chunk_id and r.indicator == record.indicator
            ]
            kin = [r for r in group.records if _period_key(r.period) in asked]
            known = {r.id for r in records}
            records.extend({r.id: r for r in (*same, *kin) if r.id not in known}.values())
            covered = covered | {key} | {_period_key(r.period) for r in kin}
        else:
            missing.append(period)
    return Comparison(comparison.group, tuple(records[:MAX_RECORDS]), tuple(missing)), covered


def find_comparison(
    selection: Selection,
    by_chunk: dict[str, list[tuple[IndicatorGroup, IndicatorRecord]]],
    periods: Sequence[str],
    threshold: float,
    weights: TermWeights,
) -> tuple[Comparison, ...]:
    """The best-ranked unit that holds an indicator record names the indicator; its group's records
    for the periods asked (every record when none is named) are the answer, and a second indicator's
    when the question names two.

    Answered when the model is as sure of the ranking as for any answer, or when the table bears the
    question out: the group holds figures for two of the periods asked, or (no period named) figures
    in two documents. Nothing (an empty tuple) otherwise."""
    if len(periods) == 1:
        # One period named ("9 tháng năm 2021 tăng hay giảm so với cùng kỳ?"): the document that
        # reports that period states the change itself; the unit ranking answers it.
        return ()
    question_key = indicator_key(selection.intent.folded)
    held_by_top = [
        (g, r)
        for scored in selection.scored[:INDICATOR_UNITS]
        for g, r in by_chunk.get(chunk_id_of(scored.unit.item.chunk), [])
        if _record_in_unit(r, scored.unit.text)
    ]
    # Each top unit's best-fitting indicator: a unit may state several ("GRDP tăng …; khu vực dịch vụ tăng
    # …"), the one asked is the one whose name shares most of the question's words.
    bests = []
    for scored in selection.scored[:INDICATOR_UNITS]:
        held = [
            (g, r)
            for g, r in by_chunk.get(chunk_id_of(scored.unit.item.chunk), [])
            if _record_in_unit(r, scored.unit.text)
        ]
        if held:
            bests.append(_best_held(held, periods, question_key, weights))
    # The best-ranked of them, unless its name says less than half as much of the question as another top
    # unit's: a passage ranked first for its other words ("dịch vụ logistics") does not name the indicator.
    most = max((_name_overlap(question_key, r, weights) for _, r in bests), default=0.0)
    for group, best_record in bests:
        if _name_overlap(question_key, best_record, weights) < UNIT_SHARE * most:
            continue
        comparison, covered = _for_periods(group, periods)
        if not comparison.records:
            return ()
        comparison, covered = _filled_from_top_units(
            comparison,
            covered,
            held_by_top,
            _name_overlap(question_key, best_record, weights),
            question_key,
            weights,
            periods,
        )
        # Two documents each giving the indicator a figure for a period asked bear the comparison out as
        # much as two periods do ("kế hoạch 5 năm và nghị quyết năm 2025" both set the 2025 figure).
        sure = (
            selection.confidence >= threshold
            or len(covered) >= 2
            or len({r.source for r in comparison.records}) >= 2
        )
        if not sure:
            return ()
        comparison = _without_plan_end_years(comparison)
        second = _second_indicator(group, held_by_top, question_key, periods, weights)
        return (comparison,) if second is None else (comparison, _without_plan_end_years(second))
    return ()


# "đạt 70% hộ dân;": the few words that end a percentage's clause name what it is a share of, and belong with
# it as the document writes it. Not the plan or period it is measured against ("92,8% kế hoạch").
_SHARE_OF = re.compile(r"\s((?:[^\W\d_]+\s?){1,3}?)(?=\s*(?:[;,.)]|$))")
_NOT_A_SHARE = re.compile(
    r"\b(?:ke hoach|kh|chi tieu|du toan|so|cung ky|tro len|nam|thang|nghi quyet|muc tieu)\b"
)


def _as_written(record: IndicatorRecord) -> str:
    """The value as quoted in the answer: the document's own words, with the noun a share is of."""
    at = record.quote.find(record.value_text)
    if record.unit != "%" or at < 0 or record.quote.find(record.value_text, at + 1) >= 0:
        return record.value_text
    end = at + len(record.value_text)
    share = _SHARE_OF.match(record.quote, end)
    if share is None or _NOT_A_SHARE.search(fold(share.group(1))):
        return record.value_text
    return record.quote[at : share.end(1)].rstrip()


def _period_phrase(period: str | None) -> str:
    if not period:
        return "Không ghi kỳ"
    if re.fullmatch(r"\d{4}", period):
        return f"Năm {period}"
    if re.fullmatch(r"\d{4}\s*-\s*\d{4}", period):
        return f"Giai đoạn {period}"
    return period[0].upper() + period[1:]


def compose_comparison(
    comparisons: Sequence[Comparison],
    cite: Callable[[IndicatorRecord], int],
    source_phrase: Callable[[IndicatorRecord], str],
    question: str = "",
) -> str:
    """One line per figure: its period, what kind of figure it is, the words as written, its source;
    one block per indicator.

    A period no document gives a figure for is named as the question named it: "kế hoạch 5 năm" was
    resolved to the plan period of the indexed documents, and a year no quote bears out must not
    appear in the answer."""
    lines: list[str] = []
    folded_question = fold(question)
    for comparison in comparisons:
        lines.append(f'Chỉ tiêu "{comparison.group.label}" trong các văn bản đã nạp:')
        for record in comparison.records:
            status = f" ({record.status})" if record.status else ""
            # The value in quotes is the document's own text; the indicator's name frames it.
            named = f"{record.indicator}: " if record.indicator else ""
            extra = (
                f" ({record.comparison})"
                if record.comparison and record.comparison != record.value_text
                else ""
            )
            lines.append(
                f'- {_period_phrase(record.period)}{status}: {named}"{_as_written(record)}"{extra}'
                f" — theo {source_phrase(record)} [{cite(record)}]"
            )
        for period in comparison.missing_periods:
            written = all(year in folded_question for year in re.findall(r"\d{4}", period))
            label = _period_phrase(period) if written or not question else "Kế hoạch 5 năm"
            lines.append(f"- {label}: các văn bản đã nạp không ghi số liệu của chỉ tiêu này.")
    lines.append("Các số liệu được trích nguyên văn từ từng văn bản; trợ lý không tự tính chênh lệch.")
    return "\n".join(lines)
