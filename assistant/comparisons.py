"""Questions that compare one indicator across documents and periods, answered from the indicator table.

"GRDP năm 2020 đạt bao nhiêu so với mục tiêu giai đoạn 2021-2025?" needs a figure from the 2020
report and one from the 5-year resolution. The answer-selection model finds the indicator (the unit
it ranks best among those the table holds a record of); the table then gives that indicator's
figures in every document, each quoted as written with its own citation. No arithmetic is done.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from assistant.answerer import Selection
from assistant.indicators import IndicatorGroup, unit_class
from assistant.query import expand_shorthand
from assistant.retriever import chunk_id_of
from assistant.terms import TermWeights
from ingest.indicators import IndicatorRecord, indicator_key
from ingest.text import fold

# Words that ask for one indicator across periods or documents: "so với" a plan, target or period.
# "So với cùng kỳ", "so với cả nước" are not: they ask for a change one document states itself; nor is
# "giá so sánh" (constant prices).
_COMPARISON_RE = re.compile(
    r"\bso voi(?: \w+){0,3} (?:ke hoach|muc tieu|chi tieu|nghi quyet|giai doan|nhiem ky|5 nam|nam (?:19|20)\d\d)\b"
    r"|(?<!\bgia )\bso sanh\b|\bqua cac\b|\bqua tung\b|\bcac (?:van ban|nam|ky|giai doan)\b"
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
# Not the year of a document number ("58/2025/NQ-HĐND"), but a month's ("tháng 9/2021").
_PERIOD_MENTION_RE = re.compile(
    r"(?<!/)\b(?:19|20)\d{2}\b(?!/)|\bthang \d{1,2}/(?:19|20)\d{2}\b|\b5 nam\b|\bnhiem ky\b"
)
# Words that join two periods asked about side by side ("giai đoạn 2021-2025 và năm 2025").
# A comma does not: "theo kế hoạch 2021-2025, cơ cấu đến 2025 …" asks one plan.
_JOINING_RE = re.compile(r"\bva\b|\bcon\b|\bvoi\b")
# What asks for a figure: two of them with two periods are two figures asked side by side.
# "mấy xã" asks a count ("nhà máy", "máy móc", "may mặc" fold to the same word and do not).
_ASKED_RE = re.compile(
    r"\bbao nhieu\b|\bthe nao\b|\bra sao\b|\bmuc nao\b|(?<!\bnha )\bmay\b(?= [a-z])(?! (?:moc|mac)\b)"
)


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


# Cached: a comparison that reads the whole indicator table keys every record's period, and an archive's
# table holds tens of thousands of records over a few hundred distinct periods.
@functools.lru_cache(maxsize=4096)
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


@functools.lru_cache(maxsize=4096)
def _spelled_key(indicator: str) -> str:
    # The question's shorthand is spelled out before it is read ("DN" → "doanh nghiệp"); a record's name is
    # spelled out by the same table, so "320 DN" and "bao nhiêu doanh nghiệp" meet.
    return indicator_key(expand_shorthand(fold(indicator)))


def record_key(record: IndicatorRecord) -> str:
    """The record's indicator key with the shorthand officials write spelled out. A rate's unit names what
    is measured as much as the words before it ("trung bình đạt 15,18 tiêu chí/xã"): its words count."""
    unit = record.unit or ""
    if "/" in unit and re.match(r"[^\W\d_]", unit):
        return _spelled_key(f"{record.indicator} {unit.replace('/', ' ')}")
    return _spelled_key(record.indicator)


def _name_overlap(question_key: str, record: IndicatorRecord, weights: TermWeights) -> float:
    # Both sides as indicator keys, so "khu vực công nghiệp - xây dựng" meets "khu vực II".
    named = set(record_key(record).split())
    return sum(weights.weight(t) for t in set(question_key.split()) if t in named)


def _extra_words(question_key: str, record: IndicatorRecord) -> int:
    """Words of the record's name the question does not say: the fewer, the closer the fit."""
    asked = set(question_key.split())
    return len([w for w in record_key(record).split() if w not in asked])


def _best_held(
    held: Sequence[tuple[IndicatorGroup, IndicatorRecord]],
    periods: Sequence[str],
    question_key: str,
    weights: TermWeights,
    asked_units: Sequence[str] = (),
    folded_question: str = "",
) -> tuple[IndicatorGroup, IndicatorRecord]:
    """The indicator a unit states that the question asks: the one whose name shares most of the question's
    words; among names that share as much ("huy động vốn đầu tư" as a sum and as a change, a target and its
    breakdown), the one in the unit the question asks for ("tăng bao nhiêu %": the change, not the sum),
    then the one the table holds for more of the periods asked, then the one adding fewest words.

    How the question asks ("chỉ tiêu … bao nhiêu") names nothing: "chứng chỉ" does not share "chỉ" with it."""
    named_key = _QUESTION_FRAMING_RE.sub(" ", question_key)

    def fit(pair: tuple[IndicatorGroup, IndicatorRecord]) -> tuple[float, bool, int, int]:
        group, record = pair
        _, covered = _for_periods(group, periods)
        return (
            round(_name_overlap(named_key, record, weights), 6),
            _of_unit_asked(record, asked_units, folded_question),
            len(covered),
            -_extra_words(question_key, record),
        )

    return max(held, key=fit)


def _of_unit_asked(record: IndicatorRecord, asked_units: Sequence[str], folded_question: str = "") -> bool:
    """The record's unit is one the question asks for ("%" for "bao nhiêu %", the first word of a unit), or
    the rate it writes ("số tiêu chí/xã" asks a figure per commune: "15,18 tiêu chí/xã", not "55 xã")."""
    unit = fold(record.unit or "").strip()
    if not unit:
        return False
    per = re.search(r"/\s*([a-z]+)", unit)
    if per is not None and re.search(rf"/\s*{per.group(1)}\b", folded_question):
        return True
    if not asked_units:
        return False
    return ("%" in asked_units and unit.startswith("%")) or unit.split()[0] in asked_units


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
    folded_question: str = "",
    listed: Sequence[IndicatorRecord] = (),
) -> Comparison | None:
    """A second indicator the question names beside the first, held by the top units, with figures for a
    period asked (not a figure the first's answer already lists, `listed`, nor words its names say):
    - a phrase of the question the first group's key leaves unsaid ("số giường bệnh và bác sĩ trên vạn
      dân"): the group whose key shares most of it. A phrase, two words in a row: one shared word ("tỷ",
      "tổng") is how siblings look alike, not a second indicator asked;
    - a count asked by its noun ("bao nhiêu doanh nghiệp, vốn đăng ký bao nhiêu") when the first figure
      is not that count: the group counting that noun whose name shares most of the question;
    - the whole of a breakdown the first is a part of, named on its own beside the part ("huấn luyện lực
      lượng thường trực và dự bị động viên" asks the whole's figure and the part's);
    - the share a part holds in the economy's structure ("khu vực CN-XD … mức tăng và tỷ trọng"), asked beside
      the part's growth: the structure group naming that part;
    - a rate the question writes ("bình quân số tiêu chí/xã … so với yêu cầu của kế hoạch") when the first
      figure is not that rate: the group measured in it."""
    first_record = first.records[0] if first.records else None
    listed_ids = {r.id for r in listed}
    others = [(g, r) for g, r in held if g.id != first.id]
    chosen = _phrase_named([first], others, question_key, weights)
    if chosen is not None and all(r.id in listed_ids for r in _for_periods(chosen, periods)[0].records):
        # The phrase is the first answer's own (a figure it already lists): no second indicator there.
        chosen = None
        others = [(g, r) for g, r in others if r.id not in listed_ids]
    if chosen is None and first_record is not None:
        chosen = _count_asked(first_record, others, question_key, folded_question, weights)
    if chosen is None and first_record is not None:
        chosen = _whole_named(first_record, others, folded_question)
    if chosen is None and first_record is not None:
        chosen = _structure_share_asked(first_record, others, folded_question)
    if chosen is None and first_record is not None and not _of_unit_asked(first_record, (), folded_question):
        # A rate the question writes ("số tiêu chí/xã") that the first figure is not.
        rates = [(g, r) for g, r in others if "/" in (r.unit or "") and _of_unit_asked(r, (), folded_question)]
        chosen = max(rates, key=lambda gr: _name_overlap(question_key, gr[1], weights))[0] if rates else None
    if chosen is None:
        return None
    comparison, _ = _for_periods(chosen, periods)
    return comparison if comparison.records else None


def _phrase_named(
    answered: Sequence[IndicatorGroup],
    others: Sequence[tuple[IndicatorGroup, IndicatorRecord]],
    question_key: str,
    weights: TermWeights,
    share_words: bool = True,
) -> IndicatorGroup | None:
    """The indicator among `others` that names a phrase of the question (two words in a row, in both) with
    a word no `answered` group's name says, the one adding most weight of such words. A pair only the
    answered names say is theirs ("khu vực II" beside "lĩnh vực công nghiệp" adds "II"). A group's name is
    its first record's: the words of its other records ("… và tiểu thủ công nghiệp") may still name another
    group asked."""
    said = {w for g in answered for r in g.records[:1] for w in record_key(r).split()}
    framed = _QUESTION_FRAMING_RE.sub(" ", _DOCUMENT_FRAMING_RE.sub(" ", question_key))
    if not share_words or any((r.unit or "").startswith("%") for g in answered for r in g.records):
        # "tỷ lệ bao nhiêu" of an indicator the table holds as a share names the share, not a second one.
        framed = _SHARE_WORDS_RE.sub(" ", framed)
    asked = framed.split()
    asked_pairs = {pair for pair in zip(asked, asked[1:], strict=False) if not set(pair) <= said}
    best: tuple[float, float, IndicatorGroup] | None = None
    for group, record in others:
        key = record_key(record).split()
        shared = asked_pairs & set(zip(key, key[1:], strict=False))
        if not shared:
            continue
        # What it adds: the weight of its words the answered names lack; then, of names adding as much
        # ("khu vực I" of the structure and of the growth), the one sharing more of the question.
        gain = sum(weights.weight(w) for w in {w for pair in shared for w in pair} - said)
        fit = (gain, _name_overlap(question_key, record, weights))
        if best is None or fit > best[:2]:
            best = (*fit, group)
    return best[2] if best is not None else None


# Every indicator a question lists ("tỷ trọng khu vực I, khu vực II, khu vực III và thuế sản phẩm") is
# answered, up to this many blocks.
MAX_BLOCKS = 6
# How a question names the documents it compares ("nghị quyết KT-XH năm 2025"): not an indicator's words,
# though "kinh tế - xã hội" is also in the names of indicators ("vốn đầu tư toàn xã hội").
_DOCUMENT_FRAMING_RE = re.compile(
    r"\b(?:nghi quyet|ke hoach|bao cao|van ban|chuong trinh|de an)(?: kinh te xa hoi)?\b"
)


def _named_parts(
    blocks: Sequence[Comparison],
    held: Sequence[tuple[IndicatorGroup, IndicatorRecord]],
    question_key: str,
    periods: Sequence[str],
    weights: TermWeights,
    fill: Callable[[Comparison, set[str], IndicatorRecord], Comparison],
) -> list[Comparison]:
    """The further indicators a question lists beside those answered ("BHYT, BHXH và BHTN", "khu vực I,
    khu vực II, khu vực III"): each named by a phrase of the question no answered name says, each with its
    figures for the periods asked. A breakdown across documents is asked whole, part by part."""
    found: list[Comparison] = []
    answered = [c.group for c in blocks]
    listed = {r.id for c in blocks for r in c.records}
    while len(blocks) + len(found) < MAX_BLOCKS:
        taken = {g.id for g in answered}
        others = [(g, r) for g, r in held if g.id not in taken]
        # "Tỷ lệ", "tốc độ" frame a figure asked; alone they name no further indicator of a list.
        group = _phrase_named(answered, others, question_key, weights, share_words=False)
        if group is None:
            break
        # Its words count as said either way: a name with no figure for the periods asked is not retried.
        answered.append(group)
        comparison, covered = _for_periods(group, periods)
        head = next((r for g, r in held if g.id == group.id), None)
        if head is not None and periods:
            comparison = fill(comparison, covered, head)
        kept = tuple(r for r in comparison.records if r.id not in listed)
        if kept:
            found.append(Comparison(group, kept, comparison.missing_periods))
            listed |= {r.id for r in kept}
    return found


# Words that ask for a share or a rate (folded key words).
_SHARE_WORDS_RE = re.compile(r"\b(?:ty le|ti le|ty trong|phan tram|toc do)\b")
# "bao nhiêu doanh nghiệp", "mấy xã": a count asked by the noun it counts (folded).
_COUNT_ASKED_RE = re.compile(r"\b(?:bao nhieu|may|so) ((?:[a-z]+ ){0,2}[a-z]+)")


def _counted(unit: str | None) -> str:
    """A counted noun as the question spells it ("DN" → "doanh nghiep"); "" for a measure or a share."""
    if not unit or re.search(r"[\d%/]", unit):
        return ""
    return expand_shorthand(fold(unit)).strip()


def _count_asked(
    first: IndicatorRecord,
    others: Sequence[tuple[IndicatorGroup, IndicatorRecord]],
    question_key: str,
    folded_question: str,
    weights: TermWeights,
) -> IndicatorGroup | None:
    asked_nouns = [m.group(1) for m in _COUNT_ASKED_RE.finditer(folded_question)]
    if not asked_nouns or any(n.startswith(_counted(first.unit) or "\0") for n in asked_nouns):
        return None
    counts = [
        (g, r) for g, r in others if _counted(r.unit) and any(n.startswith(_counted(r.unit)) for n in asked_nouns)
    ]
    if not counts:
        return None
    return max(counts, key=lambda gr: _name_overlap(question_key, gr[1], weights))[0]


# A part's share of the whole: documents head the shares "Cơ cấu kinh tế" where a question says "tỷ trọng".
_STRUCTURE_RE = re.compile(r"\b(?:ty trong|ti trong|co cau)\b")


def _structure_share_asked(
    first: IndicatorRecord, others: Sequence[tuple[IndicatorGroup, IndicatorRecord]], folded_question: str
) -> IndicatorGroup | None:
    # The folded question, not its key: "trong" of "tỷ trọng" is a joining word a key leaves out.
    if not _STRUCTURE_RE.search(folded_question) or _STRUCTURE_RE.search(fold(first.indicator)):
        return None
    part = set(_spelled_key(first.indicator.rsplit(": ", 1)[-1]).split())
    shares = [
        g
        for g, r in others
        if _STRUCTURE_RE.search(fold(r.indicator))
        and unit_class(r.unit) == "%"
        and part
        and part <= set(_spelled_key(r.indicator.rsplit(": ", 1)[-1]).split())
    ]
    return shares[0] if shares else None


def _whole_named(
    first: IndicatorRecord, others: Sequence[tuple[IndicatorGroup, IndicatorRecord]], folded_question: str
) -> IndicatorGroup | None:
    if ": " not in first.indicator:
        return None
    whole, part = first.indicator.rsplit(": ", 1)
    whole_key, part_key = _spelled_key(whole).split(), _spelled_key(part).split()
    if not whole_key or not part_key:
        return None
    # The whole's name ends, then "và" (or a comma) and the part's name begins.
    joined = rf"\b{re.escape(whole_key[-1])}\s*(?:,|\bva\b)\s*(?:[a-z]+\s+){{0,2}}{re.escape(part_key[0])}\b"
    if not re.search(joined, folded_question):
        return None
    return next((g for g, r in others if fold(r.indicator) == fold(whole)), None)


def _fills(
    record: IndicatorRecord, group: IndicatorGroup, group_overlap: float, question_key: str, weights: TermWeights
) -> bool:
    """The record may give the group's figure for a period it lacks: its name shares nearly as much of the
    question as the group's. A part of a breakdown ("Vận động thành lập mới doanh nghiệp: vốn đăng ký") may
    be stated on its own in another document ("… với vốn đăng ký ban đầu 5.000 tỷ đồng"): there the part's
    own name is the measure, in the same unit."""
    overlap = _name_overlap(question_key, record, weights)
    if overlap >= FILL_SHARE * group_overlap > 0:
        return True
    head = group.records[0]
    if ": " not in head.indicator or unit_class(record.unit) != unit_class(head.unit):
        return False
    part = set(_spelled_key(head.indicator.rsplit(": ", 1)[1]).split())
    if not part <= set(record_key(record).split()):
        return False  # another part of the breakdown ("khu vực II" beside "khu vực I"), not this one
    part_overlap = sum(weights.weight(t) for t in set(question_key.split()) if t in part)
    return overlap >= FILL_SHARE * part_overlap > 0


def _states_beside(record: IndicatorRecord, own: IndicatorRecord, question_key: str) -> bool:
    """One passage states both figures, in one kind of unit, under names sharing a word the question asks:
    a report contrasting two periods of one indicator ("6 tháng đầu năm giảm …, cả năm tăng …")."""
    if record.chunk_id != own.chunk_id or record.quote != own.quote:
        return False
    if unit_class(record.unit) != unit_class(own.unit) or record.status == "so sánh" or own.status == "so sánh":
        return False
    shared = set(record_key(record).split()) & set(record_key(own).split())
    return bool(shared & set(_QUESTION_FRAMING_RE.sub(" ", question_key).split()))


def _names_all_asked_of(record: IndicatorRecord, group: IndicatorGroup, question_key: str) -> bool:
    """The record's name says every word of the question the group's name says: a passage the ranking did
    not reach is trusted only when it names the indicator asked as fully as the group does."""
    if not group.records:
        return False
    framed = _QUESTION_FRAMING_RE.sub(" ", _DOCUMENT_FRAMING_RE.sub(" ", question_key))
    asked = set(framed.split()) & set(record_key(group.records[0]).split())
    return bool(asked) and asked <= set(record_key(record).split())


def _dated(
    pool: Sequence[tuple[IndicatorGroup, IndicatorRecord]], key: str, listed: set[str]
) -> list[tuple[IndicatorGroup, IndicatorRecord]]:
    """The figures of a period (a `_period_key`): those dated with the period itself; else a plan's figure
    for its last year, unless it is already listed (one figure does not answer two periods asked)."""
    return [(g, r) for g, r in pool if _period_key(r.period) == key] or [
        (g, r) for g, r in pool if _covers(r, key) and r.id not in listed
    ]


def _filled_from_top_units(
    comparison: Comparison,
    covered: set[str],
    held_by_top: Sequence[tuple[IndicatorGroup, IndicatorRecord]],
    first_overlap: float,
    question_key: str,
    weights: TermWeights,
    periods: Sequence[str] = (),
    table: Sequence[tuple[IndicatorGroup, IndicatorRecord]] = (),
) -> tuple[Comparison, set[str]]:
    """A period the group has no figure for may still be in a unit the ranking put on top, written in
    other words than the group's ("Tỷ lệ điều tra, khám phá án" / "Điều tra, khám phá án hình sự"):
    its record joins when its name shares nearly as much of the question as the group's does. Failing
    the top units, the passage that states one of the group's figures may state that period's beside it
    ("6 tháng đầu năm tăng trưởng ngành nông nghiệp giảm (-5,31%) … khu vực I … cả năm 0,12%"), and
    failing that, any passage of the `table` (a document the ranking did not reach) may."""
    records = list(comparison.records)
    asked = {_period_key(p) for p in periods}
    missing = []
    for period in comparison.missing_periods:
        key = _period_key(period)
        if key in covered:
            continue  # brought by a record filled for another period
        listed = {r.id for r in records}
        # Of the names that share enough of the question, the group's own name first ("xã đạt chuẩn nông
        # thôn mới nâng cao" as a share in the plan and as a count in the year's resolution), then the most
        # shared ("… thêm huyện" shares a word more of the question, but is another indicator).
        candidates = _dated(held_by_top, key, listed)
        enough = [gr for gr in candidates if _fills(gr[1], comparison.group, first_overlap, question_key, weights)]
        if not enough:
            beside = [
                (g, r)
                for g, r in _dated(table, key, listed)
                if r.id not in listed and any(_states_beside(r, own, question_key) for own in records)
            ]
            enough = beside or [
                gr
                for gr in _dated(table, key, listed)
                if _fills(gr[1], comparison.group, first_overlap, question_key, weights)
                and _names_all_asked_of(gr[1], comparison.group, question_key)
            ]
            candidates = candidates + enough
        own_names = {fold(r.indicator) for r in comparison.group.records}
        best = max(
            enough,
            key=lambda gr: (fold(gr[1].indicator) in own_names, _name_overlap(question_key, gr[1], weights)),
            default=None,
        )
        if best is not None:
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
    for the periods asked (every record when none is named) are the answer, a second indicator's when
    the question names two, and every further one a question lists (`_named_parts`).

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
            bests.append(
                _best_held(held, periods, question_key, weights, selection.shape.units, selection.intent.folded)
            )
    # The best-ranked of them, unless its name says less than half as much of the question as another top
    # unit's: a passage ranked first for its other words ("dịch vụ logistics") does not name the indicator.
    most = max((_name_overlap(question_key, r, weights) for _, r in bests), default=0.0)
    for group, best_record in bests:
        if _name_overlap(question_key, best_record, weights) < UNIT_SHARE * most:
            continue
        comparison, covered = _for_periods(group, periods)
        if not comparison.records:
            continue
        own = comparison, covered
        # Whether the table bears the comparison out is judged on the top units alone, as the ranking found it;
        # the rest of the table may then complete the answer.
        comparison, covered = _filled_from_top_units(
            comparison, covered, held_by_top, _name_overlap(question_key, best_record, weights), question_key,
            weights, periods,
        )
        second = _second_indicator(
            group, held_by_top, question_key, periods, weights, selection.intent.folded, comparison.records
        )
        if second is not None:
            # A figure the first block already lists is not repeated under the second.
            listed = {r.id for r in comparison.records}
            kept = tuple(r for r in second.records if r.id not in listed)
            second = Comparison(second.group, kept, second.missing_periods) if kept else None
        both = [comparison] if second is None else [comparison, second]
        # Two documents each giving the indicator a figure for a period asked bear the comparison out as
        # much as two periods do ("kế hoạch 5 năm và nghị quyết năm 2025" both set the 2025 figure); so do
        # two indicators asked side by side, each with the figure of its own period.
        covered_all = {_period_key(r.period) for c in both for r in c.records} & {_period_key(p) for p in periods}
        sure = (
            selection.confidence >= threshold
            or len(covered | covered_all) >= 2
            or len({r.source for c in both for r in c.records}) >= 2
        )
        if not sure:
            return ()
        # The whole table is read only for a comparison the ranking bears out: at archive size it is the costly part.
        table = [pair for pairs in by_chunk.values() for pair in pairs]

        def fill(
            comparison: Comparison,
            covered: set[str],
            head: IndicatorRecord,
            table: Sequence[tuple[IndicatorGroup, IndicatorRecord]] = table,
        ) -> Comparison:
            overlap = _name_overlap(question_key, head, weights)
            filled, _ = _filled_from_top_units(
                comparison, covered, held_by_top, overlap, question_key, weights, periods, table
            )
            return filled

        completed = fill(*own, best_record)
        if second is not None:
            kept = tuple(r for r in second.records if r.id not in {r.id for r in completed.records})
            second = Comparison(second.group, kept, second.missing_periods) if kept else None
        both = [completed] if second is None else [completed, second]
        both += _named_parts(both, held_by_top, question_key, periods, weights, fill)
        if _PLAN_SHARE_ASKED_RE.search(selection.intent.folded):
            both = [_with_plan_shares(c, by_chunk) for c in both]
        return tuple(_without_plan_end_years(c) for c in both)
    return ()


# "bằng bao nhiêu % kế hoạch", "đạt mấy phần trăm dự toán": the share of the plan a result reached is asked
# beside the result itself (folded).
_PLAN_SHARE_ASKED_RE = re.compile(r"(?:%|\bphan tram)\s*(?:so voi\s+)?(?:ke hoach|kh|du toan|chi tieu)\b")
_AGAINST_PLAN_RE = re.compile(r"\b(?:ke hoach|kh|du toan|chi tieu)\b")


def _with_plan_shares(
    comparison: Comparison, by_chunk: Mapping[str, Sequence[tuple[IndicatorGroup, IndicatorRecord]]]
) -> Comparison:
    """Each result listed with the share of the plan its passage says it reached ("19.522 tỷ đồng, tăng 4,1%
    so cùng kỳ và đạt 88,6% kế hoạch"): a figure of its own in the table, under the same name, that the
    question asks beside it. The change against last year is not asked and stays out."""
    kept: dict[str, IndicatorRecord] = {}
    for own in comparison.records:
        kept.setdefault(own.id, own)
        for record in _plan_shares_of(own, by_chunk.get(own.chunk_id, ())):
            kept.setdefault(record.id, record)
    return Comparison(comparison.group, tuple(kept.values())[:MAX_RECORDS], comparison.missing_periods)


def _plan_shares_of(
    own: IndicatorRecord, same_passage: Sequence[tuple[IndicatorGroup, IndicatorRecord]]
) -> list[IndicatorRecord]:
    return [
        r
        for _, r in same_passage
        if r.id != own.id
        and r.indicator == own.indicator
        and r.period == own.period
        and _AGAINST_PLAN_RE.search(fold(r.comparison or ""))
    ]


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


# A remark that measures the figure before it against another period or the plan, in its own words (folded).
_MEASURED_AGAINST_RE = re.compile(r"\bso (?:voi |cung ky)|\b(?:ke hoach|kh|du toan)\b")


def _compared_remark(record: IndicatorRecord) -> str:
    """The remark in parentheses right after the figure that measures it ("5.000 tỷ đồng (bằng 1,67 lần về
    vốn đăng ký so với cùng kỳ năm 2020)"), as written: the table keeps it as the figure's context, not a
    figure of its own, and the answer quotes it with the figure. "" when there is none."""
    at = record.quote.find(record.value_text)
    if at < 0 or record.quote.find(record.value_text, at + 1) >= 0:
        return ""
    remark = re.match(r"\s*(\([^()]*\d[^()]*\))", record.quote[at + len(record.value_text) :])
    if remark is None or not _MEASURED_AGAINST_RE.search(fold(remark.group(1))):
        return ""
    return f" {remark.group(1)}"


def _period_phrase(period: str | None) -> str:
    if not period:
        return "Không ghi kỳ"
    if re.fullmatch(r"\d{4}", period):
        return f"Năm {period}"
    if re.fullmatch(r"\d{4}\s*-\s*\d{4}", period):
        return f"Giai đoạn {period}"
    return period[0].upper() + period[1:]


def unstated_periods(comparisons: Sequence[Comparison]) -> tuple[str, ...]:
    """The periods asked that no block gives a figure for: a side of the comparison no indexed document
    states. One indicator listed lacking a period another gives ("BHTN" in the plan, beside its "BHYT") is
    not a side missing."""
    if not comparisons:
        return ()
    return tuple(
        p for p in comparisons[0].missing_periods if all(p in c.missing_periods for c in comparisons[1:])
    )


def comparison_found(comparisons: Sequence[Comparison]) -> bool:
    """The comparison is answered: a figure for every period asked. With a side no document states, the
    answer refuses the comparison (found False) though it still quotes the sides that exist."""
    return bool(comparisons) and not unstated_periods(comparisons)


def _stands_for(have: str | None, asked: str) -> bool:
    """A passage of a document covering `have` stands for the period asked: the same period, or a part of
    the same year ("9 tháng năm 2021" asked, the 2021 article quoted). A plan period does not stand for a year
    inside it: the 2021-2025 resolution quoted for "năm 2025" is one side, not two."""
    have_key, asked_key = _period_key(have), _period_key(asked)
    if not have_key:
        return False
    if have_key == asked_key:
        return True
    have_year, asked_year = (re.search(r"(?:19|20)\d{2}$", k) for k in (have_key, asked_key))
    if have_year is None or asked_year is None or "-" in have_key + asked_key:
        return False
    return have_year.group(0) == asked_year.group(0)


def sides_unquoted(periods: Sequence[str], quoted_periods: Sequence[str | None]) -> tuple[str, ...]:
    """The periods a comparison names (two or more) that no quoted passage's document covers: a side the
    answer would leave out. One period named is no comparison of sides."""
    if len(periods) < 2:
        return ()
    return tuple(p for p in periods if not any(_stands_for(h, p) for h in quoted_periods))


def refuse_one_sided(unquoted: Sequence[str], answer: str, question: str) -> str:
    """A comparison answered by passages of one side only opens as a refusal: the official sees what was
    found and that the other side was not."""
    return (
        f"Không so sánh được: không tìm thấy đoạn nào trong các văn bản đã nạp ghi nội dung này cho "
        f"{_sides_phrase(unquoted, question)}. "
        f"Đoạn liên quan nhất tìm được:\n{answer}"
    )


def _sides_phrase(periods: Sequence[str], question: str) -> str:
    """The sides a refusal names ("năm 2023, giai đoạn 2021-2025"), each as the question named it."""
    folded_question = fold(question)
    return ", ".join(_asked_period_phrase(p, folded_question, question).lower() for p in periods)


def _asked_period_phrase(period: str, folded_question: str, question: str) -> str:
    # "kế hoạch 5 năm" was resolved to the plan period of the indexed documents: a year no quote bears out
    # must not appear in the answer.
    written = all(year in folded_question for year in re.findall(r"\d{4}", period))
    return _period_phrase(period) if written or not question else "Kế hoạch 5 năm"


def compose_comparison(
    comparisons: Sequence[Comparison],
    cite: Callable[[IndicatorRecord], int],
    source_phrase: Callable[[IndicatorRecord], str],
    question: str = "",
) -> str:
    """One line per figure: its period, what kind of figure it is, the words as written, its source;
    one block per indicator. A side no document states opens the answer as a refusal of the comparison.

    A period no document gives a figure for is named as the question named it: "kế hoạch 5 năm" was
    resolved to the plan period of the indexed documents, and a year no quote bears out must not
    appear in the answer."""
    lines: list[str] = []
    folded_question = fold(question)
    unstated = unstated_periods(comparisons)
    if unstated:
        lines.append(
            f"Không so sánh được: các văn bản đã nạp không ghi số liệu {_sides_phrase(unstated, question)} của chỉ tiêu này. "
            "Số liệu các văn bản có ghi:"
        )
    for comparison in comparisons:
        lines.append(f'Chỉ tiêu "{comparison.group.label}" trong các văn bản đã nạp:')
        for record in comparison.records:
            status = f" ({record.status})" if record.status else ""
            # The value in quotes is the document's own text; the indicator's name frames it.
            named = f"{record.indicator}: " if record.indicator else ""
            extra = (
                f" ({record.comparison})"
                if record.comparison and record.comparison != record.value_text
                else _compared_remark(record)
            )
            lines.append(
                f'- {_period_phrase(record.period)}{status}: {named}"{_as_written(record)}"{extra}'
                f" — theo {source_phrase(record)} [{cite(record)}]"
            )
        for period in comparison.missing_periods:
            label = _asked_period_phrase(period, folded_question, question)
            lines.append(f"- {label}: các văn bản đã nạp không ghi số liệu của chỉ tiêu này.")
    lines.append("Các số liệu được trích nguyên văn từ từng văn bản; trợ lý không tự tính chênh lệch.")
    return "\n".join(lines)
