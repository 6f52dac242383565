"""One named record of features per (question, answer unit): what the answer-selection model weighs.

Every feature is a general property of a question and a passage (how much of the question's
indicator the passage names, whether its period and document are the ones asked, whether it holds
the kind of value asked). None names a document or an eval item: the weights that turn them into a
probability are fitted from labelled questions (`evals/train.py`), not set by hand.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, fields
from functools import lru_cache

from assistant.document_refs import own_refs, refers_to
from assistant.passages import Figure, Unit, figures_in
from assistant.places import asked_place, place_of, same_place
from assistant.query import STOP_WORDS, QueryIntent, spelled_word
from assistant.retriever import folded_text, period_relation
from assistant.terms import TermWeights, tokens
from ingest.chunking import SIGNATURE_SECTION

# What the question asks for, read from its question words (folded).
_ASKED_UNIT_RE = re.compile(r"\b(?:bao nhieu|may)\s+([a-z%]+)")
# Words that follow "bao nhiêu" / "mấy" without being what it counts: "tăng bao nhiêu so với cùng kỳ",
# "bao nhiêu mỗi năm", "đứng thứ mấy cả nước", "bao nhiêu theo Quyết định …", "bao nhiêu phần trăm" (read as "%").
# Two stop words fold onto units: "hả" / "ha" (hectares), "do" / "độ" (degrees).
_NOT_ASKED_UNITS = (STOP_WORDS - {"ha", "do"}) | {"so", "moi", "ca", "phan", "lan"}
# A number that names a place rather than counts: "số 76 Hàng Buồm" (a name follows: a capital, then lower case;
# "tổng số 4.143 DN" counts).
_ADDRESS_NUMBER_RE = re.compile(r"\bsố\s*$", re.IGNORECASE)
_CAPITALISED_NEXT_RE = re.compile(r"\s+[A-ZÀ-ỸĐ][a-zà-ỹđ]")
# A column header or a label cell that states a unit: "Giá trị (nghìn USD)", "đồng/lượt/khách".
_STATED_UNIT_RE = re.compile(r"\([^)]*[^\W\d_%][^)]*\)|%|\w+\s*/\s*\w+")
# Words that ask an amount of money whatever its scale ("bao nhiêu tiền", "bao nhiêu đồng"), and the first words
# of the units documents write money in. A scale asked alone ("bao nhiêu nghìn …", "mấy triệu …") may count
# tonnes or people: it matches only itself.
_MONEY_ASKED = frozenset({"tien", "kinh", "dong", "usd", "vnd"})
_MONEY_WRITTEN = frozenset({"dong", "ty", "trieu", "nghin", "ngan", "usd", "vnd"})
_SCALES = frozenset({"nghin", "ngan", "trieu", "ty", "ti", "van"})
_PERCENT_ASKED_RE = re.compile(r"%|phan tram|\bty le\b|\bti le\b|\btoc do\b|\bty trong\b")
_DATE_ASKED_RE = re.compile(r"\bngay (?:nao|may|thang nao)\b|\bkhi nao\b|\bbao gio\b|\bthoi (?:gian|diem|han) nao\b|\bluc nao\b")
_YEAR_ASKED_RE = re.compile(r"\bnam nao\b|\bnam may\b")
# "ký" (signs) folds onto "kỳ" (cùng kỳ), "ký" of "đăng ký", "ký hiệu", "kỹ thuật", "kỷ niệm": alone it asks
# no person. "Ai ký …" is asked by "ai".
_AUTHOR_ASKED_RE = re.compile(r"(?:^|\s)(?:ai|nguoi nao)(?:\s|$|\?)|\btac gia\b|\bcua ai\b|\bnguoi ky\b|\bky boi\b")
_NUMBER_ASKED_RE = re.compile(r"\bso (?:hieu|may|bao nhieu)\b|\bky hieu\b")
# Values of those kinds in a passage.
_DATE_RE = re.compile(
    r"\b\d{1,2}[/-]\d{1,2}[/-](?:19|20)\d{2}\b|ngày\s+\d{1,2}\s+tháng\s+\d{1,2}|tháng\s+\d{1,2}\s*(?:/|năm)\s*(?:19|20)\d{2}"
    r"|\bquý\s+[IV1-4]+\b|\bnăm\s+(?:19|20)\d{2}\b",
    re.IGNORECASE,
)
_YEAR_RE = re.compile(r"\b(?:19|20)\d{2}\b")
# Words on each side of a figure that say what it counts.
FOCUS_WORDS = 8
_NAME_RE = re.compile(r"(?<![\w])[A-ZÀ-ỸĐ][a-zà-ỹđ]+(?:\s+[A-ZÀ-ỸĐ][a-zà-ỹđ]+){1,3}")
_DOC_NUMBER_RE = re.compile(r"\b\d{1,5}(?:/\d{4})?[/-][A-ZĐ]{1,6}(?:[/-][A-ZĐa-zđ]{1,8})*")
# The code a document number carries for each kind (Decree 30/2020/NĐ-CP, appendix III), folded kind → code.
_KIND_CODES = {
    "bao cao": "BC", "ke hoach": "KH", "nghi quyet": "NQ", "quyet dinh": "QĐ", "chi thi": "CT",
    "nghi dinh": "NĐ", "thong tu": "TT", "thong bao": "TB", "to trinh": "TTr", "cong van": "CV", "luat": "QH",
}
_KIND_CODE_ASKED_RE = re.compile(r"\b(" + "|".join(_KIND_CODES) + r")\b[^?]*?\bso (?:hieu|may|bao nhieu)\b")


@dataclass(frozen=True)
class UnitFeatures:
    """The features of one answer unit for one question, each in [0, 1] unless said otherwise."""

    bias: float
    dense: float  # cosine of the question and the unit's passage
    dense_gap: float  # how far below the best candidate's cosine (0 for the best)
    fused_rank: float  # 1 / (1 + the passage's rank after retrieval)
    coverage: float  # idf-weighted share of the question's indicator words in the unit
    coverage_context: float  # the same, counting the title, section, table title and column headers
    coverage_gap: float  # how far below the best candidate's coverage_context
    rarest_missing: float  # weight of the rarest question word the unit and its context lack, / the rarest word's
    missing_share: float  # share of the question's words (unweighted) the unit and its context lack
    bigrams: float  # share of the question's word pairs the unit (with its context) writes
    lead_coverage: float  # share of the indicator words before the unit's first figure
    lead_precision: float  # share of the words before the first figure that the question also has
    figure_focus: float  # the best coverage of the question's words within a few words of one of its figures
    period_exact: float  # the document covers the asked period
    period_mentioned: float  # the unit names the asked period
    period_other: float  # a period was asked; the unit does not name it, its document has no period or spans that year
    period_conflict: float  # a period was asked and the unit's document covers another one
    other_year: float  # a year was asked and the unit (or its row's column headers) writes only other years
    document_hint: float  # the kind or issuer the question names is the document's
    place_match: float  # the place the question names is the document's
    place_conflict: float  # the question names another place than the document's
    name_written: float  # the unit writes a place or name the question names (a national document's row per province)
    excluded_present: float  # share of the words of what the question rules out ("không phải …") the unit writes
    number_match: float  # the document number the question names is this document's
    number_conflict: float  # the question names another document number
    identifiers_present: float  # share of the question's non-year numbers the unit writes
    identifiers_missing: float  # the question names numbers and the unit writes none of them
    has_figure: float
    figure_missing: float  # a figure is asked and the unit has none
    unit_match: float  # the unit counts in the unit asked ("bao nhiêu ha", "%")
    unit_conflict: float  # a unit is asked and the unit's figures are all in other units (0.5: their column names none)
    date_match: float  # a date is asked and the unit writes one
    year_match: float  # a year is asked ("năm nào") and the unit writes one
    person_match: float  # a person is asked and the unit names one
    number_asked_match: float  # a document number is asked and the unit writes one
    names_signer: float  # the unit writes the name of the document's signer
    signature_block: float  # the unit stands in the document's signature block
    header_block: float  # the unit stands in the document's header (number, place, date, title)
    number_kind_match: float  # a document number is asked of a kind ("báo cáo số mấy") and the unit writes one of it
    phrase_run: float  # the longest run of the question's words the unit writes in order, / their count
    dense_rank: float  # 1 / the passage's rank in dense search (0 when dense search did not find it)
    lexical_rank: float  # 1 / the passage's rank in lexical search (0 when it did not find it)
    is_row: float  # a table row
    is_item: float  # a list item
    log_length: float  # log of the unit's word count, / 5


FEATURE_NAMES: tuple[str, ...] = tuple(f.name for f in fields(UnitFeatures))


def as_vector(features: UnitFeatures) -> list[float]:
    return [float(getattr(features, name)) for name in FEATURE_NAMES]


@dataclass(frozen=True)
class AskedShape:
    """What kind of value the question asks for."""

    figure: bool
    units: tuple[str, ...]  # first folded word of each unit asked, "%" for a percentage
    date: bool
    year: bool
    person: bool
    document_number: bool
    document_number_code: str | None  # "BC" of "báo cáo số mấy"
    place: str | None  # the place the question names (known to the index or not), folded
    # The deployment's own place, when the question names neither a place nor a document: another province's
    # passages are not its answer. Not a feature: on the deployment's own documents it changes nothing.
    home: str | None = None


def asked_shape(intent: QueryIntent, known_places: Sequence[str], home_place: str | None = None) -> AskedShape:
    folded = intent.folded
    place = asked_place(intent.normalized, folded, known_places)
    units = [m.group(1) for m in _ASKED_UNIT_RE.finditer(folded) if m.group(1) not in _NOT_ASKED_UNITS]
    if _PERCENT_ASKED_RE.search(folded):
        units.append("%")
    code = _KIND_CODE_ASKED_RE.search(folded)
    return AskedShape(
        figure=intent.wants_figure,
        units=tuple(dict.fromkeys(units)),
        date=bool(_DATE_ASKED_RE.search(folded)),
        year=bool(_YEAR_ASKED_RE.search(folded)),
        person=intent.asks_person or bool(_AUTHOR_ASKED_RE.search(folded)),
        document_number=bool(_NUMBER_ASKED_RE.search(folded)),
        document_number_code=_KIND_CODES[code.group(1)] if code else None,
        place=place,
        home=home_place if place is None and not intent.document_refs else None,
    )


def indicator_terms(intent: QueryIntent, shape: AskedShape) -> list[str]:
    """The question's content words, without the place it names (a hint about the document, not the indicator)."""
    place = set(shape.place.split()) if shape.place else set()
    return [t for t in intent.terms if not t.isdigit() and t not in place]


_ABBREVIATION_RE = re.compile(r"[b-df-hj-np-tv-xz]{2,6}")


def _abbreviated(terms: Sequence[str], words: Sequence[str]) -> set[str]:
    """The question's abbreviations that the passage writes out: an official types a phrase as its syllables'
    initials ("HH & DT" for "hàng hóa và doanh thu", "TTHC" for "thủ tục hành chính"). A folded Vietnamese syllable
    always has a vowel, so a word of consonants only is an abbreviation; it is present where a run of the passage's
    words starts with its letters, one word a letter."""
    return {t for t in terms if _ABBREVIATION_RE.fullmatch(t) and _spelled_out(t, words)}


def _present(terms: Sequence[str], words: Sequence[str]) -> set[str]:
    """The passage's words, and the question's abbreviations it writes out."""
    return set(words) | _abbreviated(terms, words)


def _spelled_out(abbreviation: str, words: Sequence[str]) -> bool:
    """A run of the passage's words whose initials are the abbreviation's letters."""
    n = len(abbreviation)
    return any(
        all(w[0] == letter for w, letter in zip(words[i : i + n], abbreviation, strict=True))
        for i in range(len(words) - n + 1)
    )


def coverage(terms: Sequence[str], present: set[str], weights: TermWeights) -> float:
    unique = list(dict.fromkeys(terms))
    if not unique:
        return 0.0
    total = sum(weights.weight(t) for t in unique)
    return sum(weights.weight(t) for t in unique if t in present) / total


def _rarest_missing(terms: Sequence[str], present: set[str], weights: TermWeights) -> float:
    """A sibling indicator lacks the one telling word ("điện" where the unit says "nước sạch"):
    how telling the most telling missing word is, against the most telling word asked."""
    if not terms:
        return 0.0
    top = max(weights.weight(t) for t in terms)
    missing = [weights.weight(t) for t in terms if t not in present]
    return max(missing) / top if missing else 0.0


def _bigram_share(terms: Sequence[str], words: Sequence[str]) -> float:
    pairs = set(zip(terms, terms[1:], strict=False))
    if not pairs:
        return 0.0
    have = set(zip(words, words[1:], strict=False))
    return len(pairs & have) / len(pairs)


def _longest_run(terms: Sequence[str], words: Sequence[str]) -> float:
    """The longest run of the question's words that the unit writes in the same order, / their count."""
    if not terms:
        return 0.0
    at: dict[str, list[int]] = {}
    for j, term in enumerate(terms):
        at.setdefault(term, []).append(j)
    best = 0
    run: dict[int, int] = {}  # question position j → length of the common run ending at (this word, terms[j])
    for word in words:
        positions = at.get(word)
        if positions is None:
            run = {}
            continue
        run = {j: run.get(j - 1, 0) + 1 for j in positions}
        best = max(best, *run.values())
    return best / len(terms)


def _figure_focus(terms: Sequence[str], text: str, figures: Sequence[Figure], weights: TermWeights) -> float:
    """How much of the question stands right around one figure of the unit: in a sentence that
    gives many figures, the one asked is the one its words surround."""
    best = 0.0
    for fig in figures:
        left = re.split(r"[;.!?](?:\s|$)", text[: fig.start])[-1]
        right = re.split(r"[;.!?](?:\s|$)", text[fig.end :])[0]
        window = set(tokens(left)[-FOCUS_WORDS:]) | set(tokens(right)[:FOCUS_WORDS])
        best = max(best, coverage(terms, window, weights))
    return best


def _period_relation(intent: QueryIntent, unit: Unit, text: str, headers: str) -> str:
    """`text`: the unit's folded text; `headers`: its figures' column headers (`_figure_headers`)."""
    if not intent.periods:
        return "none"
    doc_period = str(unit.meta.get("period") or "")
    relations = {period_relation(p, doc_period, text) for p in intent.periods}
    if headers and any(period_relation(p, None, headers) == "mentioned" for p in intent.periods):
        # A yearly table's row names its years in the column headers ("Kế hoạch 2028 / Lượng (Tấn)").
        relations.add("mentioned")
    for relation in ("exact", "mentioned"):
        if relation in relations:
            return relation
    if doc_period and all(_within(p, doc_period, intent.folded) for p in intent.periods):
        return "other"
    return "conflict" if doc_period else "other"


_SPAN_RE = re.compile(r"\b((?:19|20)\d\d)\s*[-–]\s*((?:19|20)\d\d)\b")


def _writes_only_other_years(asked: Sequence[str], folded: str) -> bool:
    """"Đến năm 2030 đạt 18.000 tấn" answers no question about 2027; "giai đoạn 2026 - 2030" may."""
    if not asked:
        return False
    written = set(_YEAR_RE.findall(folded))
    if not written or written & set(asked):
        return False
    spans = [(int(a), int(b)) for a, b in _SPAN_RE.findall(folded)]
    return not any(start <= int(year) <= end for year in asked for start, end in spans)


def _within(asked: str, doc_period: str, folded_question: str) -> bool:
    """A year the document's period is about: the year a part-year report covers (unless the whole year is
    asked: "cả năm 2023"); a multi-year plan's years before its last (its yearly columns), or its last one
    asked as a deadline ("đến năm 2030" of a 2026-2030 plan). "Năm 2025" alone asks the year's own figure,
    which a 2021-2025 plan's five-year totals and averages are not."""
    years = re.findall(r"(?:19|20)\d\d", doc_period)
    if re.fullmatch(r"(?:19|20)\d\d", asked.strip()) is None:
        return False
    if len(years) == 1:
        return years[0] == asked.strip() and re.search(rf"\bca nam {years[0]}\b", folded_question) is None
    if len(years) != 2:
        return False
    first, last, year = int(years[0]), int(years[1]), int(asked)
    if first <= year < last:
        return True
    return year == last and re.search(rf"\bden (?:het |cuoi )?(?:nam )?{year}\b", folded_question) is not None


def _same_unit(asked: str, written: str) -> bool:
    # "bao nhiêu tiền" asks an amount of money, whatever its currency or scale.
    return asked == written or (asked in _MONEY_ASKED and written in _MONEY_WRITTEN)


@lru_cache(maxsize=16384)
def _written_units(text: str) -> tuple[tuple[str, ...], ...]:
    """The unit words of each figure that counts something, abbreviations spelled out as the question's are
    ("320 DN" → "doanh nghiep"); a figure with no unit gives (). Address numbers ("số 76 Hàng Buồm") are left out.
    Cached: the same units come back question after question, and the candidate filter and the features both read them."""
    units = []
    for fig in figures_in(text):
        if _ADDRESS_NUMBER_RE.search(text, max(0, fig.start - 12), fig.start) and _CAPITALISED_NEXT_RE.match(text, fig.end):
            continue
        units.append(tuple(" ".join(spelled_word(w) for w in fig.unit).split()))
    return tuple(units)


def _units_match(asked: Sequence[str], unit: Unit) -> tuple[float, float]:
    """(match, conflict) of the units asked with the unit's figures."""
    if not asked:
        return 0.0, 0.0
    units = _written_units(unit.text)
    written = [u[0] if u else "" for u in units]
    if not written:
        return 0.0, 0.0
    # "12.000 nghìn tấn" counts tonnes at a scale: it answers "bao nhiêu tấn" as well as "bao nhiêu nghìn".
    counted = [u[1] for u in units if len(u) > 1 and u[0] in _SCALES]
    if any(_same_unit(a, w) for a in asked for w in written + counted if w):
        return 1.0, 0.0
    if "" in written:
        # A bare number's unit stands in its column's header ("Giá trị (nghìn USD)") or its row's label
        # ("Diện tích (km²) | 284,11", "| đồng/lượt/khách | 20.000 |"). Found there, it matches; a header or
        # label that states another unit conflicts. A header that states none ("Tọa độ X", but also "Dân số"
        # over a count of people) is half a conflict; with no header to read, the unit is unknown.
        around = _bare_number_headers(unit)
        if around is None:
            return float(_names_unit(asked, folded_text(f"{unit.text} {unit.context}"))), 0.0
        if _names_unit(asked, around):
            return 1.0, 0.0
        return 0.0, 1.0 if _STATED_UNIT_RE.search(around) else 0.5
    return 0.0, 1.0


def share_conflict(shape: AskedShape, unit: Unit) -> bool:
    """A percentage asked where every figure is an amount, or an amount ("bao nhiêu người") asked where every figure
    is a percentage ("96,51% dân số"). Figures whose unit stands elsewhere (a bare table cell) leave it open."""
    asked = shape.units
    units = _written_units(unit.text)
    if not shape.figure or not asked or not units or any(not u for u in units):
        return False
    shares = [u[0] == "%" for u in units]
    if set(asked) == {"%"}:
        return not any(shares)
    return "%" not in asked and all(shares)


def _names_unit(asked: Sequence[str], folded: str) -> bool:
    words = {spelled_word(w).split()[0] for w in tokens(folded)}
    return any(_same_unit(a, w) for a in asked for w in words) or ("%" in asked and "%" in folded)


def _writes_name(name: str, words: Sequence[str]) -> bool:
    wanted = tuple(name.split())
    return any(tuple(words[i : i + len(wanted)]) == wanted for i in range(len(words) - len(wanted) + 1))


def _excluded_present(intent: QueryIntent, present: set[str]) -> float:
    # Only the words that tell the ruled-out figure from the asked one: "tổng thu" is in both of "tổng thu
    # ngân sách cấp tỉnh (chứ không phải tổng thu NSĐP)", "địa phương" only in what is ruled out.
    ruled_out = set(intent.excluded) - set(intent.terms)
    return sum(1 for w in ruled_out if w in present) / len(ruled_out) if ruled_out else 0.0


def _aligned_cells(unit: Unit) -> list[tuple[str, str]] | None:
    """(cell, column header) of a table row whose cells line up with its table's columns, else None."""
    columns = [str(c) for c in (unit.item.meta.get("columns") or [])]
    if unit.kind != "row" or not columns:
        return None
    cells = [c.strip() for c in unit.text.strip().strip("|").split("|")]
    if len(cells) != len(columns):
        return None
    return list(zip(cells, columns, strict=True))


def _figure_headers(unit: Unit) -> str:
    """The folded headers of the columns in which a table row writes a figure ("" when not a lined-up row)."""
    aligned = _aligned_cells(unit) or []
    return folded_text(" | ".join(h for c, h in aligned if figures_in(c)))


def _bare_number_headers(unit: Unit) -> str | None:
    """The headers of the columns a table row writes bare numbers in, with the row's label cells; None when
    the unit is no row or its cells do not line up with the table's columns."""
    aligned = _aligned_cells(unit)
    if aligned is None:
        return None
    labels = [c for c, _ in aligned if not figures_in(c) and c]
    bare = [h for c, h in aligned if (found := figures_in(c)) and not found[0].unit]
    return folded_text(" ".join(labels + bare))


def featurize(
    intent: QueryIntent,
    shape: AskedShape,
    unit: Unit,
    weights: TermWeights,
    *,
    best_dense: float,
    best_coverage: float,
) -> UnitFeatures:
    terms = indicator_terms(intent, shape)
    words = tokens(unit.text)
    context = tokens(unit.context)
    present = _present(terms, words)
    with_context = present | _present(terms, context)
    figures = figures_in(unit.text)
    lead = tokens(unit.text[: figures[0].start]) if figures else words
    lead_content = [w for w in lead if not w.isdigit() and weights.weight(w) > 1.5]
    cov_context = coverage(terms, with_context, weights)
    folded = folded_text(unit.text)
    headers = _figure_headers(unit)
    period = _period_relation(intent, unit, folded, headers)
    place = place_of(unit.meta)
    named_here = any(refers_to(ref, unit.meta) for ref in intent.document_refs)
    identifiers = [n for n in intent.numbers if n not in ("1",)]
    ident_present = sum(1 for n in identifiers if n in present) / len(identifiers) if identifiers else 0.0
    unit_match, unit_conflict = _units_match(shape.units, unit) if shape.figure else (0.0, 0.0)
    dense = unit.dense if unit.dense is not None else 0.0
    signer = folded_text(str(unit.meta.get("signer") or ""))
    section_path = unit.meta.get("section_path") or []
    numbers_written = _DOC_NUMBER_RE.findall(unit.text)
    code = shape.document_number_code
    return UnitFeatures(
        bias=1.0,
        dense=dense,
        dense_gap=max(0.0, best_dense - dense),
        fused_rank=1.0 / (1 + unit.rank),
        coverage=coverage(terms, present, weights),
        coverage_context=cov_context,
        coverage_gap=max(0.0, best_coverage - cov_context),
        rarest_missing=_rarest_missing(terms, with_context, weights),
        missing_share=sum(1 for t in set(terms) if t not in with_context) / len(set(terms)) if terms else 0.0,
        bigrams=_bigram_share(terms, context + words),
        lead_coverage=coverage(terms, set(lead) | set(context), weights),
        figure_focus=_figure_focus(terms, unit.text, figures, weights),
        lead_precision=sum(1 for w in lead_content if w in terms) / len(lead_content) if lead_content else 0.0,
        period_exact=float(period == "exact"),
        period_mentioned=float(period == "mentioned"),
        period_other=float(period == "other"),
        period_conflict=float(period == "conflict"),
        other_year=float(_writes_only_other_years(intent.years, f"{folded} | {headers}")),
        document_hint=float(unit.hint_match),
        place_match=float(same_place(place, shape.place)),
        place_conflict=float(shape.place is not None and place is not None and not same_place(place, shape.place)),
        excluded_present=_excluded_present(intent, present),
        name_written=float(any(_writes_name(n, words) for n in (shape.place, *intent.names) if n)),
        number_match=float(named_here),
        number_conflict=float(bool(intent.document_refs) and not named_here and bool(own_refs(unit.meta))),
        identifiers_present=ident_present,
        identifiers_missing=float(bool(identifiers) and ident_present == 0.0),
        has_figure=float(bool(figures)),
        figure_missing=float(shape.figure and not figures),
        unit_match=float(unit_match),
        unit_conflict=float(unit_conflict),
        date_match=float(shape.date and bool(_DATE_RE.search(unit.text))),
        year_match=float(shape.year and bool(_YEAR_RE.search(unit.text))),
        person_match=float(shape.person and bool(_NAME_RE.search(unit.text[1:]))),
        number_asked_match=float(shape.document_number and bool(_DOC_NUMBER_RE.search(unit.text))),
        names_signer=float(bool(signer) and signer in folded),
        signature_block=float(bool(section_path) and section_path[-1] == SIGNATURE_SECTION),
        header_block=float(getattr(unit.item.chunk, "ordinal", None) == 0 and not section_path),
        number_kind_match=float(code is not None and any(code in n.split("/")[-1] or f"-{code}" in n for n in numbers_written)),
        phrase_run=_longest_run(terms, words),
        dense_rank=1.0 / unit.item.dense_rank if unit.item.dense_rank else 0.0,
        lexical_rank=1.0 / unit.item.lexical_rank if unit.item.lexical_rank else 0.0,
        is_row=float(unit.kind == "row"),
        is_item=float(unit.kind == "item"),
        log_length=math.log1p(len(words)) / 5,
    )


def featurize_all(
    intent: QueryIntent, shape: AskedShape, units: Sequence[Unit], weights: TermWeights
) -> list[UnitFeatures]:
    terms = indicator_terms(intent, shape)
    best_dense = max((u.dense or 0.0 for u in units), default=0.0)
    best_coverage = max(
        (coverage(terms, _present(terms, tokens(u.text)) | _present(terms, tokens(u.context)), weights) for u in units),
        default=0.0,
    )
    return [
        featurize(intent, shape, u, weights, best_dense=best_dense, best_coverage=best_coverage) for u in units
    ]
