"""The default answerer: quotes the list item or sentence that answers, exactly as written.

It never composes a figure: the answer text is built from the document's own words, the
document's title and date, and the period. When nothing covers the question's indicator, or the
question's period is covered by no passage, it refuses and lists the closest passages.

Within a long paragraph the sentence that answers is the one whose figure stands among the
question's words and carries the form asked: the unit of "bao nhiêu ha / doanh nghiệp / %", the
document number of "báo cáo số mấy", the rank of "đứng thứ mấy". A passage counting something
else ("bao nhiêu bệnh viện" vs "khỏi bệnh, xuất viện"; a percentage for "bao nhiêu người") does
not answer.
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
from assistant.query import STOP_WORDS as QUESTION_STOP_WORDS
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
MULTI_VALUE_MARGIN = 0.2  # 0.12 dropped "Tốc độ tăng trưởng kinh tế (GRDP)" (phrase split by "kinh tế")
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
# "Đóng góp của TFP vào tăng trưởng GRDP" is about the contribution, not growth: a passage whose
# lead names the question's indicator only after "của"/"vào" (a modifier) while its head is
# something not asked ranks below one whose head is the indicator.
MODIFIER_PENALTY = 0.3
# "Ai phát biểu …?": a passage naming a person ranks above one that only matches the words.
PERSON_BONUS = 0.3
# Passages read per question: beyond the top retrieved chunks the right one is practically never found.
CANDIDATE_CHUNKS = 12
# A list item ("a) …") shorter than this is quoted whole; longer chunks are split into sentences.
WHOLE_ITEM_MAX_CHARS = 600
# Weight of two-word phrases ("ho_ngheo") against single words in coverage: phrases tell
# "tỷ lệ hộ nghèo" from "tỷ lệ" + "nghèo" scattered over a long sentence.
BIGRAM_WEIGHT = 0.35
# A long sentence holds many figures; the one that answers sits among the question's words.
# Words read on each side of a figure (within its clause), and the weight of how well they cover
# the question in the ranking.
FOCUS_WINDOW = 8
FOCUS_WEIGHT = 0.3
# "bao nhiêu ha", "mấy nhóm giải pháp": a passage whose figure carries the unit asked is the answer
# rather than a figure of the same topic counted in something else.
UNIT_MATCH_BONUS = 0.25
# "báo cáo số mấy", "nghị quyết số mấy": the passage citing a document number of that kind.
REFERENCE_BONUS = 0.35
# Ranking bonus for the share of the question's three-word runs a passage writes verbatim: the
# passage saying "triển khai Tầm nhìn Chiến lược phát triển tỉnh" is about what was asked.
PHRASE_WEIGHT = 0.3
# Further passages of the same document quoted for the parts of a question the best one leaves
# unanswered ("kế hoạch số mấy, gồm mấy nhóm giải pháp").
MAX_PART_QUOTES = 2

_LIST_MARKER_RE = re.compile(r"^\s*(?:[a-zđ]|\d{1,2}(?:\.\d{1,2})*|[IVX]{1,4})[).]\s+", re.IGNORECASE)
_SENTENCE_END_RE = re.compile(r"(?<=[.!?…])\s+(?=[\"“(]?[A-ZÀ-ỸĐ])")
_TOKEN_RE = re.compile(r"[a-z]+|\d+(?:[.,]\d+)*")
_YEAR_RE = re.compile(r"^(?:19|20)\d{2}$")
# "6 tháng đầu năm", "9 tháng": a number naming a period, not a figure.
_PERIOD_NUMBER_RE = re.compile(r"\s*tháng\b", re.IGNORECASE)
_SIGNATURE_RE = re.compile(r"CHỦ TỊCH|BÍ THƯ|Bí thư|TM\.|KT\.")
DocumentChunks = Callable[[str], Sequence[Any]]
_PERCENT_BASE_RE = re.compile(r"(\d[\d.,]*\s*%)[^;,]*")
# "so với cùng kỳ": a comparison's base ends at the next comma, parenthesis or clause.
_COMPARISON_RE = re.compile(r"\bso với\b[^,;)]*")
# A figure as written: "74.000", "96,51", "1.657/1.840". Not glued to a word ("Covid-19", "C2").
_FIGURE_RE = re.compile(r"(?<![\w.,/-])\d+(?:[.,]\d+)*(?:/\d+(?:[.,]\d+)*)*")
# Not figures: a document number ("510/BC-UBND", "01-NQ/TU") or a date ("20-10-2020", "ngày 16/6").
_NOT_FIGURE_AFTER_RE = re.compile(
    r"(?:[/-][A-ZĐ]|[/-]\d{1,2}[/-](?:19|20)\d{2}\b|\s+năm\s+(?:19|20)\d{2}\b)", re.IGNORECASE
)
_DATE_BEFORE_RE = re.compile(r"\bngày\s*$", re.IGNORECASE)
# A heading or list number opening a passage ("3. Rà soát", "3.4 Tập trung"): an ordinal, not a
# figure (a dot before one or two digits is never a Vietnamese thousands separator).
_HEADING_NUMBER_RE = re.compile(r"\s*(?:\d{1,2}(?:\.\d{1,2})*[.)]\s|\d{1,2}(?:\.\d{1,2})+\s)")
# Document numbers: "Báo cáo số 510/BC-UBND", "Nghị quyết số 01-NQ/TU", "21/2019/NQ-HĐND".
_REFERENCE_RE = re.compile(r"\b\d+(?:/\d{4})?[/-]([A-ZĐ][A-Za-zĐđ]*)(?:[/-][A-ZĐ][A-Za-zĐđ]*)*")
# Kinds of documents officials ask the number of, and the code their numbers carry (folded name).
_REFERENCE_KINDS = {
    "bao cao": "BC",
    "ke hoach": "KH",
    "nghi quyet": "NQ",
    "to trinh": "TTr",
    "chi thi": "CT",
    "quyet dinh": "QĐ",
    "thong bao": "TB",
    "nghi dinh": "NĐ",
    "cong van": "CV",
    "thong tu": "TT",
    # A law's number carries the National Assembly's code: "Luật Đất đai số 31/2024/QH15".
    "luat": "QH",
}
# The abbreviations questions write for a kind ("NĐ số mấy"), folded.
_KIND_ABBREVIATIONS = {"nd": "nghi dinh", "qd": "quyet dinh", "ct": "chi thi", "tt": "thong tu", "nq": "nghi quyet"}
_REFERENCE_KIND_RE = re.compile(r"\b(" + "|".join([*_REFERENCE_KINDS, *_KIND_ABBREVIATIONS]) + r")\b")
# "năm nào", "tới năm nào": the answer is a year the passage writes.
_YEAR_ASKED_RE = re.compile(r"\bnam nao\b")
_YEAR_IN_TEXT_RE = re.compile(r"\b(?:19|20)\d{2}\b")
# "ngày nào", "ngày mấy": the answer is a date the passage writes, in any of the documents' forms.
_DATE_ASKED_RE = re.compile(r"\bngay (?:nao|may|thang nao)\b")
_DATE_IN_TEXT_RE = re.compile(
    r"\bngày\s+\d{1,2}(?:\s+tháng\s+\d{1,2}(?:\s+năm\s+\d{4})?|\s*[/-]\s*\d{1,2}(?:\s*[/-]\s*\d{4})?)"
    r"|\b\d{1,2}[/-]\d{1,2}[/-](?:19|20)\d{2}\b",
    re.IGNORECASE,
)
# "giai đoạn mấy", "đợt mấy": the answer is that word followed by its number ("giai đoạn 1").
_ORDINAL_ASKED_RE = re.compile(r"\b(?:(giai doan|dot|khoa|ky hop) (?:may|thu may|nao)|(loai) (?:may|thu may))\b")
# "là gì", "thế nào", "ra sao", "gồm những gì": a definition, answered by words, not a figure.
_DEFINITION_ASKED_RE = re.compile(r"\b(?:la gi|the nao|ra sao|gom nhung gi|nhu the nao)\b")
# "… báo cáo số mấy", "kế hoạch số bao nhiêu": the kind named last before the question word.
_NUMBER_ASKED_RE = re.compile(r"\bso (?:may|bao nhieu|hieu)\b")
REFERENCE_LOOKBACK_CHARS = 40
# Abbreviations documents use for counted things (uppercase in the text, so "DA" is never "đã").
_DOCUMENT_ABBREVIATIONS = {
    "DN": "doanh nghiệp",
    "CT": "công trình",
    "DA": "dự án",
    "HTX": "hợp tác xã",
    "KCN": "khu công nghiệp",
    "CCN": "cụm công nghiệp",
    "NTM": "nông thôn mới",
    "BHYT": "bảo hiểm y tế",
    "BHXH": "bảo hiểm xã hội",
    "BHTN": "bảo hiểm thất nghiệp",
    "NSNN": "ngân sách nhà nước",
    "KH&CN": "khoa học và công nghệ",
}
# Not inside a document number: "16-CT/TU" is a directive (chỉ thị), not a construction work.
_ABBREVIATION_RE = re.compile(
    r"(?<![\w&/-])(" + "|".join(re.escape(k) for k in _DOCUMENT_ABBREVIATIONS) + r")(?![\w&/-])"
)
# What a "bao nhiêu X" / "mấy X" question counts: X, folded. Not after "thứ"/"số" (an ordinal or a
# document number) nor "nhà máy" (a plant), and X must be a noun, not the next word of the sentence.
_ASKED_UNIT_RE = re.compile(r"(?<!\bthu )(?<!\bso )(?<!\bnha )(?<!\bdoan )(?<!\bdot )\b(?:bao nhieu|may)\s+([a-z%]+(?:\s+[a-z]+){0,2})")
_NOT_UNIT_WORDS = frozenset(
    """
    vao cho so voi trong tren duoc la thi o tai de va nam thang ngay khi nua con vay nhi the ca dat tang
    giam hien mot co khong nhu nao gi sao moi hang binh gom theo
    """.split()  # noqa: SIM905 - a word list reads better as text
)
# Verbs that frame a question about a document ("bài viết nói …", "báo cáo nêu …", "nhắc đến"): not
# indicator words, so a passage need not hold them.
_FRAMING_TERMS = frozenset({"noi", "nhac", "neu"})
# "đứng thứ mấy cả nước", "xếp hạng thứ mấy": the rank is the figure ("thứ 1/63"); these words
# frame the question and the passage says "xếp vị trí thứ …" in its own words.
_RANK_QUESTION_RE = re.compile(
    r"\b(?:(?:dung|xep|xep hang|hang|dung hang|o vi tri|vi tri)\s+)?thu may\b(?:\s+(?:trong\s+)?(?:ca nuoc|toan quoc))?"
)
# A rank as documents write it: "xếp vị trí thứ 7/63", "đứng thứ 2".
_RANK_FIGURE_RE = re.compile(r"\bthứ\s*$", re.IGNORECASE)
_ROMAN_RANK_RE = re.compile(r"\b(?:thứ|khóa|khoá)\s+[IVXL]+\b")
# "Ai …?", "… là ai?", "người nào": the answer is a person.
_WHO_QUESTION_RE = re.compile(r"(?:^|[\s,])ai\b|\bnguoi nao\b")
# A person's name: a common Vietnamese family name and one to three more capitalised syllables
# ("Lê Đức Thọ", "Phan Văn Mãi"); place names rarely start with one of these.
_FAMILY_NAMES = (
    "Nguyễn|Trần|Lê|Phạm|Hoàng|Huỳnh|Phan|Vũ|Võ|Đặng|Bùi|Đỗ|Hồ|Ngô|Dương|Lý|Trương|Đinh|Lâm|Mai|Tô|Đào|Cao|Lương|Đoàn|Trịnh"
)
_PERSON_NAME_RE = re.compile(rf"\b(?:{_FAMILY_NAMES})(?:\s+[A-ZÀ-ỸĐ][a-zà-ỹđ]+){{1,3}}\b")
_MONEY_WORDS = frozenset({"ty", "trieu", "nghin", "ngan", "dong", "usd", "tien"})
_MAGNITUDE_WORDS = frozenset({"ty", "trieu", "nghin", "ngan", "van"})


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
class Figure:
    """A figure as the document writes it, and the words right after it (its unit)."""

    raw: str
    start: int
    end: int
    unit: tuple[str, ...]  # folded, abbreviations spelt out; ("%",) for a percentage
    ranked: bool = False  # a rank: "thứ 7/63", "thứ 2"


@dataclass(frozen=True)
class AskedForm:
    """What form the answer takes: the unit counted, the kind of document number asked."""

    units: tuple[tuple[str, ...], ...] = ()  # ("doanh", "nghiep"), ("ha",), ("%",)
    reference_kinds: tuple[str, ...] = ()  # folded kind names: "bao cao", "ke hoach" …
    rank: bool = False  # "đứng thứ mấy": a rank ("thứ 7/63")
    year: bool = False  # "năm nào": a year
    ordinals: tuple[str, ...] = ()  # "giai đoạn mấy": the folded word the number follows
    date: bool = False  # "ban hành ngày nào": a date ("ngày 23 tháng 02 năm 2023", "16/6/2023")

    @property
    def parts(self) -> int:
        return (
            len(self.units)
            + len(self.reference_kinds)
            + int(self.rank)
            + int(self.year)
            + len(self.ordinals)
            + int(self.date)
        )

    @property
    def shaped(self) -> bool:
        """The answer is a value of a shape (a year, a phase, a document number, a date), not a measured figure."""
        return bool(self.reference_kinds or self.rank or self.year or self.ordinals or self.date)


@dataclass(frozen=True)
class SegmentInfo:
    """A sentence or list item with what scoring needs, computed once per chunk."""

    text: str
    tokens: tuple[str, ...]
    subject_tokens: tuple[tuple[str, ...], ...]  # per clause: the words before its first figure
    has_figure: bool
    figures: tuple[Figure, ...] = ()
    windows: tuple[tuple[str, ...], ...] = ()  # per figure: the words around it in its clause
    references: tuple[str, ...] = ()  # kinds of the document numbers it cites ("BC", "NQ")


def _spell_abbreviations(text: str) -> str:
    """'65 DN' → '65 doanh nghiệp': the words questions use for what the document abbreviates."""
    return _ABBREVIATION_RE.sub(lambda m: _DOCUMENT_ABBREVIATIONS[m.group(1)], text)


_ACRONYM_RE = re.compile(r"\(([A-ZĐ][A-ZĐ0-9&]{1,7})\)")
ACRONYM_REACH = 3


def _acronym_pairs(text: str) -> tuple[str, ...]:
    """'tăng trưởng kinh tế (GRDP)' also reads 'tăng trưởng GRDP': the acronym after each of the
    phrase's last words, so the question's pair ("trưởng GRDP") is found though the parenthesis splits it."""
    out: list[str] = []
    for match in _ACRONYM_RE.finditer(text):
        acronym = fold(match.group(1))
        for word in _tokens(text[: match.start()])[-ACRONYM_REACH:]:
            out += [word, acronym]
    return tuple(out)


def _unit_after(text: str, end: int) -> tuple[str, ...]:
    rest = text[end : end + 60]
    if rest.lstrip().startswith("%"):
        return ("%",)
    return tuple(_TOKEN_RE.findall(fold(_spell_abbreviations(rest))))[:3]


def figures_in(text: str) -> list[Figure]:
    """Figures of a passage: not years, dates, document numbers, "6 tháng", or digits of a name."""
    found = []
    heading = _HEADING_NUMBER_RE.match(text)
    skip_until = heading.end() if heading else 0
    for match in _FIGURE_RE.finditer(text, skip_until):
        raw = match.group(0)
        if _YEAR_RE.match(raw) or _PERIOD_NUMBER_RE.match(text, match.end()):
            continue
        if _NOT_FIGURE_AFTER_RE.match(text, match.end()) or _DATE_BEFORE_RE.search(text[: match.start()]):
            continue
        ranked = "/" in raw or bool(_RANK_FIGURE_RE.search(text[: match.start()]))
        found.append(Figure(raw, match.start(), match.end(), _unit_after(text, match.end()), ranked))
    return found


def _figure_windows(text: str, figures: Sequence[Figure]) -> tuple[tuple[str, ...], ...]:
    """The words on each side of each figure, not crossing a ';' or a sentence end."""
    out = []
    for fig in figures:
        left = re.split(r"[;.!?](?:\s|$)", text[: fig.start])[-1]
        right = re.split(r"[;.!?](?:\s|$)", text[fig.end :])[0]
        out.append(tuple(_tokens(left)[-FOCUS_WINDOW:] + _tokens(right)[:FOCUS_WINDOW]))
    return tuple(out)


def _references(text: str) -> tuple[str, ...]:
    return tuple(dict.fromkeys(m.group(1) for m in _REFERENCE_RE.finditer(text)))


def _head(text: str) -> str:
    for mention in find_numbers(text):
        if not _YEAR_RE.match(mention.raw) and not _PERIOD_NUMBER_RE.match(text, mention.end):
            return text[: mention.start]
    return text


def _subject_tokens(segment: str) -> tuple[tuple[str, ...], ...]:
    """What each ';'-clause holding a figure is about: the item's lead words plus the clause.

    Words after a percentage are its base, not the indicator: "Tỷ lệ người dân tham gia bảo hiểm
    y tế đạt 96,51% dân số" is about health insurance, not population; so is "so với dân số".
    The lead is the clause the first figure stands in: earlier clauses without a figure are about
    something else ("… phát triển diện tích nuôi trồng thủy sản …; … Đề án phát triển 4.000ha").
    """
    figures = figures_in(segment)
    lead = segment[: figures[0].start] if figures else segment
    lead = lead.split(";")[-1]
    out = []
    for clause in re.split(r";", segment):
        if not has_figure(clause):
            continue
        about = _PERCENT_BASE_RE.sub(r"\1", clause)
        about = _COMPARISON_RE.sub("", about)
        out.append(tuple(_tokens(lead + " " + about)))
    return tuple(out)


def segment_info(text: str) -> SegmentInfo:
    spelt = _spell_abbreviations(text)
    figures = figures_in(spelt)
    implied = tuple(w for fig in figures[:1] if fig.unit[:1] for w in _IMPLIED_BY_UNIT.get(fig.unit[0], ()))
    return SegmentInfo(
        text,
        tuple(_tokens(spelt)) + implied + _acronym_pairs(text),
        tuple(toks + implied for toks in _subject_tokens(spelt)),
        bool(figures),
        tuple(figures),
        _figure_windows(spelt, figures),
        _references(text),
    )


def asked_form(folded_question: str) -> AskedForm:
    """The unit(s) a question counts in and the document numbers it asks for, from its folded text."""
    units: list[tuple[str, ...]] = []
    for match in _ASKED_UNIT_RE.finditer(folded_question):
        words = match.group(1).split()
        if words[:2] == ["phan", "tram"]:
            units.append(("%",))
        elif words[0] not in _NOT_UNIT_WORDS:
            units.append(tuple(words))
    kinds = []
    for asked in _NUMBER_ASKED_RE.finditer(folded_question):
        before = folded_question[max(0, asked.start() - REFERENCE_LOOKBACK_CHARS) : asked.start()]
        named = _REFERENCE_KIND_RE.findall(before)
        if named:
            kinds.append(_KIND_ABBREVIATIONS.get(named[-1], named[-1]))
    rank = bool(_RANK_QUESTION_RE.search(folded_question))
    # "đô thị loại mấy" asks for the class ("loại I"); "loại nào" asks which kind, in words.
    ordinals = tuple(dict.fromkeys(m.group(1) or m.group(2) for m in _ORDINAL_ASKED_RE.finditer(folded_question)))
    year = bool(_YEAR_ASKED_RE.search(folded_question))
    date = bool(_DATE_ASKED_RE.search(folded_question))
    return AskedForm(tuple(dict.fromkeys(units)), tuple(dict.fromkeys(kinds)), rank, year, ordinals, date)


# "bao nhiêu người" is answered by a count of any kind of people ("7.194 lao động").
_PEOPLE_UNITS = frozenset({"nguoi", "lao", "hoc", "can", "dang", "thanh", "benh", "cong", "doan", "hoi", "ho"})


# "mấy vụ", "bao nhiêu lượt": counts of occurrences, whichever word the document uses ("9 trường hợp").
_CASE_UNITS = frozenset({"vu", "truong", "lan", "luot"})
# A figure in hectares is an area: "74.000ha trồng dừa" answers "diện tích trồng dừa".
_IMPLIED_BY_UNIT = {"ha": ("dien", "tich")}


def _unit_matches(asked: Sequence[str], unit: Sequence[str]) -> bool:
    if not asked or not unit:
        return False
    if asked[0] == "nguoi" and unit[0] in _PEOPLE_UNITS:
        return True
    if asked[0] in _CASE_UNITS and unit[0] in _CASE_UNITS:
        return True
    if asked[0] in _MONEY_WORDS:
        return unit[0] in _MONEY_WORDS and (asked[0] == "tien" or asked[0] == unit[0])
    if unit[0] in _MAGNITUDE_WORDS:
        # "1,2 triệu tấn", "230 ngàn lượt": the unit follows the magnitude.
        unit = unit[1:]
    return bool(unit) and asked[0] == unit[0]


# Small counts written in words: "ít nhất một cụm công nghiệp". ("năm", "sáu", "bảy" fold onto
# other words and are left out.)
_NUMBER_WORDS = frozenset({"mot", "hai", "ba", "bon", "muoi"})


def _counted_in_words(form: AskedForm, tokens: Sequence[str]) -> frozenset[int]:
    """The asked units a passage counts with a number word ("một cụm công nghiệp" for "mấy CCN")."""
    out = set()
    text = " ".join(tokens)
    for i, asked in enumerate(form.units):
        if asked[0] != "%" and re.search(rf"\b(?:{'|'.join(_NUMBER_WORDS)}) {' '.join(asked)}\b", text):
            out.add(i)
    return frozenset(out)


def _parts_answered(form: AskedForm, seg: SegmentInfo) -> frozenset[int]:
    """Which of the question's asked parts (units, then document kinds) the passage answers."""
    out = set()
    for i, asked in enumerate(form.units):
        if any(_unit_matches(asked, fig.unit) for fig in seg.figures):
            out.add(i)
    for j, kind in enumerate(form.reference_kinds):
        if _REFERENCE_KINDS[kind] in seg.references:
            out.add(len(form.units) + j)
    base = len(form.units) + len(form.reference_kinds)
    if form.rank and (any(fig.ranked for fig in seg.figures) or _ROMAN_RANK_RE.search(seg.text)):
        out.add(base)
    base += int(form.rank)
    if form.year and _YEAR_IN_TEXT_RE.search(seg.text):
        out.add(base)
    base += int(form.year)
    folded = " ".join(seg.tokens)
    for k, word in enumerate(form.ordinals):
        if re.search(rf"\b{word} (?:\d+|thu [a-z0-9]+|[ivxl]+)\b", folded):
            out.add(base + k)
    base += len(form.ordinals)
    if form.date and _DATE_IN_TEXT_RE.search(seg.text):
        out.add(base)
    return frozenset(out)


# Units of measure (folded), as opposed to counted things ("doanh nghiệp", "dự án", "người").
_MEASURE_UNITS = frozenset(
    {"ha", "km", "m", "m2", "m3", "tan", "kg", "mw", "kw", "kwh", "ty", "trieu", "nghin", "dong", "usd", "lit"}
)


def _form_conflict(form: AskedForm, seg: SegmentInfo, parts: frozenset[int]) -> bool:
    """The passage answers none of the asked parts and holds something else: no document number of
    the kind asked, or figures counting another thing: the thing asked is not even named ("bao nhiêu
    bệnh viện" vs "khỏi bệnh, xuất viện") or every figure is a percentage when a count was asked
    (or the reverse)."""
    if not form.parts or parts:
        return False
    if form.shaped:
        return True
    if not seg.figures:
        # "bao nhiêu ha" is not answered by a passage that gives no figure at all.
        return True
    if any(asked[0] in _MEASURE_UNITS for asked in form.units):
        # A measure ("bao nhiêu ha", "mấy MW") is answered only by a figure in that measure: that the
        # word shows up elsewhere proves nothing ("hạ tầng" folds to "ha").
        return True
    percents = [fig.unit[:1] == ("%",) for fig in seg.figures]
    pairs = set(zip(seg.tokens, seg.tokens[1:], strict=False))
    for asked in form.units:
        if asked == ("%",):
            if not any(percents):
                return True
            continue
        if all(percents):
            return True
        phrase = asked[:2]
        named = phrase[0] in seg.tokens if len(phrase) == 1 else tuple(phrase) in pairs
        if not named:
            return True
    return False


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
    parts: frozenset[int] = frozenset()  # asked parts (AskedForm) it answers
    form_conflict: bool = False  # its figures count something other than what was asked
    head_ok: bool = True  # it names the head phrase of the indicator asked ("thu nhập", "trồng lúa")
    sibling: bool = False  # it names a sibling indicator: "sử dụng nước sạch" for "sử dụng điện"


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
    """A number that is not just a year, a date, a document number or a list ordinal."""
    return bool(figures_in(segment))


def _period_of(intent: QueryIntent, item: RankedChunk, segment: str, wants_figure: bool) -> str:
    if not intent.periods:
        return "none"
    doc_period = str(item.meta.get("period") or "")
    relations = [period_relation(p, doc_period, folded_text(segment)) for p in intent.periods]
    for rel in ("exact", "mentioned"):
        if rel in relations:
            return rel
    if not wants_figure and any(doc_period == H1_PREFIX + p for p in intent.periods):
        # A half-year report's decisions and plans are the year's; its figures are not the year's.
        return "mentioned"
    title = fold(str(item.meta.get("title") or ""))
    if not wants_figure and any(re.search(rf"\b{re.escape(p)}\b", title) for p in intent.years):
        # "Báo cáo … năm 2020 và nhiệm vụ … năm 2021": its tasks are the next year's, though its
        # figures are not.
        return "mentioned"
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


def _head_phrase(terms: Sequence[str], folded_question: str, weights: TermWeights) -> tuple[str, ...]:
    """The indicator's head word, when the question opens with the indicator's name.

    "Thu nhập bình quân đầu người …" is not "GRDP bình quân đầu người", "Diện tích trồng lúa …" is
    not "4.000 ha nuôi tôm": a figure answers only a passage naming the head. A question opening
    with something else (a document, a period, an abbreviation the corpus never writes) has no
    head to require.
    """
    occasion = set(" ".join(_OCCASION_RE.findall(folded_question)).split())
    content = [t for t in terms if t not in _HEAD_SKIP_WORDS and t not in occasion]
    opening = [
        w for w in re.findall(r"[a-z]+|\d+", _OCCASION_RE.sub(" ", folded_question)) if w not in _HEAD_SKIP_WORDS
    ]
    if not content or not opening or opening[0] != content[0] or content[0] not in weights.idf:
        return ()
    # A measure word right after the head belongs to it: "dân số" is not "người dân".
    following = re.search(rf"\b{content[0]} ([a-z]+)", folded_question)
    if following and following.group(1) in _MEASURE_WORDS and following.group(1) in terms:
        return (content[0], following.group(1))
    return (content[0],)


def _indicator_terms(terms: Sequence[str], form: AskedForm, folded_question: str) -> tuple[str, ...]:
    """The question's words a passage must hold: framing verbs and the words of a rank question
    ("đứng thứ mấy cả nước") out; for a document number asked, the kind of document ("báo cáo")
    in and the "số" of "số mấy" out."""
    framing = set(_FRAMING_TERMS)
    for match in _RANK_QUESTION_RE.finditer(folded_question):
        framing.update(match.group(0).split())
    out = [t for t in terms if t not in framing]
    if form.reference_kinds:
        out = [t for t in out if t != "so" and t not in _KIND_ABBREVIATIONS]
        out += [w for kind in form.reference_kinds for w in kind.split()]
    return tuple(out) or tuple(terms)


def candidates(
    intent: QueryIntent, ranked: Sequence[RankedChunk], weights: TermWeights, cache: SegmentCache
) -> list[Candidate]:
    form = asked_form(intent.folded)
    terms = _indicator_terms(intent.terms, form, intent.folded)
    # A definition ("chủ đề … là gì") or a value of a shape ("năm nào") is answered by the passage
    # that covers the question's words and holds the value, not by a measured figure.
    wants_figure = intent.wants_figure and not (form.year or form.ordinals or form.date) and not _DEFINITION_ASKED_RE.search(intent.folded)
    wants_person = intent.asks_person or bool(_WHO_QUESTION_RE.search(intent.folded))
    head = _head_phrase(terms, intent.folded, weights) if wants_figure else ()
    # The question's words up to where it asks for the value: its indicator, as phrases.
    indicator = _VALUE_QUESTION_RE.split(intent.folded, maxsplit=1)[0]
    phrases = _question_phrases(indicator, terms)
    question_trigrams = _trigrams(indicator, set(terms))
    asked_words = frozenset(_tokens(intent.folded))
    found: list[Candidate] = []
    for rank, item in enumerate(ranked[:CANDIDATE_CHUNKS]):
        hint = bool(intent.doc_hints) and any(doc_hint_matches(h, item.meta) for h in intent.doc_hints)
        context = _context_tokens(item)
        # Phrases of the document's title name the document, not what a passage says.
        asked_phrases = question_trigrams - _segment_trigrams(str(item.meta.get("title") or ""))
        segments = cache.get(item.chunk)
        for n_seg, seg in enumerate(segments):
            # A paragraph's opening sentence names what its later sentences count ("Công tác xây
            # dựng nông thôn mới …. Ước đến cuối năm 2020, công nhận thêm 06 xã đạt chuẩn").
            topic = segments[0].tokens if n_seg and not segments[0].has_figure else ()
            cov = coverage(terms, seg.tokens + context + topic, weights)
            focus = max((coverage(terms, w, weights, SUBJECT_BIGRAM_WEIGHT) for w in seg.windows), default=0.0)
            cites_asked = any(_REFERENCE_KINDS[kind] in seg.references for kind in form.reference_kinds)
            worded = _counted_in_words(form, seg.tokens)
            if not wants_figure or cites_asked or worded:
                # A document number is the answer itself: the passage as a whole must be about it.
                subject = coverage(terms, seg.tokens, weights)
            elif seg.subject_tokens and cov:
                subject = max(
                    coverage(terms, topic + toks, weights, SUBJECT_BIGRAM_WEIGHT) for toks in seg.subject_tokens
                )
                subject = max(subject, focus)
            else:
                subject = 0.0
            parts = _parts_answered(form, seg) | worded
            if len(form.units) >= 2 and all(i in parts for i in range(len(form.units))):
                # "gồm bao nhiêu DN, bao nhiêu đơn vị trực thuộc, bao nhiêu hộ KD": a passage counting
                # every thing asked is about it, whatever words frame each figure.
                subject = max(subject, cov)
            answers_form = seg.has_figure or cites_asked or bool(worded) or bool(parts)
            period = _period_of(intent, item, seg.text, wants_figure)
            whole = str(getattr(item.chunk, "text", ""))
            if form.year and period == "other" and _period_of(intent, item, whole, wants_figure) != "other":
                # "Hạn mặn mùa khô 2019-2020 vượt mốc năm nào?": the asked year is not the question's
                # period, which the paragraph names around the sentence.
                period = "mentioned"
            score = _score(cov, subject, period, answers_form, intent.wants_figure, rank, hint)
            score += LEAD_PRECISION_WEIGHT * _lead_precision(terms, seg.text, weights)
            score += FOCUS_WEIGHT * focus
            score += PHRASE_WEIGHT * _phrase_overlap(asked_phrases, seg.text, weights)
            if form.units:
                score += UNIT_MATCH_BONUS * sum(1 for i in parts if i < len(form.units)) / len(form.units)
            shaped_parts = form.parts - len(form.units)
            if shaped_parts:
                # "nghị quyết số mấy, ngày nào": a passage giving both outranks one giving a date only.
                score += REFERENCE_BONUS * sum(1 for i in parts if i >= len(form.units)) / shaped_parts
            if intent.wants_figure and _asked_only_as_modifier(terms, seg.text):
                score -= MODIFIER_PENALTY
            if wants_person and _PERSON_NAME_RE.search(seg.text):
                score += PERSON_BONUS
            words = " ".join(seg.tokens + context)
            names_ok = all(re.search(rf"\b{re.escape(n)}\b", words) for n in intent.names)
            sibling = wants_figure and _names_sibling(
                phrases, set(seg.tokens + topic + context), seg.text, asked_words, weights
            )
            head_ok = not head or re.search(rf"\b{' '.join(head)}\b", " ".join(seg.tokens + topic + context)) is not None
            found.append(
                Candidate(
                    seg.text,
                    item,
                    rank,
                    names_ok,
                    cov,
                    subject,
                    period,
                    seg.has_figure,
                    score,
                    parts,
                    _form_conflict(form, seg, parts),
                    bool(head_ok),
                    sibling,
                )
            )
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


def _is_author_question(folded: str) -> bool:
    """'Ai ký …?', 'của ai?' — a match starting inside a word ("bài viết" holds "ai viet") is not one."""
    return any(
        m.start() == 0 or not folded[m.start() - 1].isalnum() for m in AUTHOR_QUESTION_RE.finditer(folded)
    )


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
    if document_chunks is not None and _is_author_question(intent.folded):
        authored = answer_author(intent, ranked, document_chunks)
        if authored is not None:
            return authored
        if ranked:
            # A document without a signature block: quoting another passage would name the wrong person.
            return refusal(
                intent,
                ranked[:1],
                f"{document_phrase(ranked[0].meta)}: văn bản không ghi người ký "
                f"(không có thông tin trả lời câu hỏi: “{_question_subject(intent)}”).",
            )
    # A passage counting something other than what was asked is no answer, nor a reason to refuse.
    pool = [c for c in candidates(intent, ranked, weights, cache or SegmentCache()) if not c.form_conflict]
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
    result = _with_runner_up(pool, best, asked_form(intent.folded))
    if intent.periods and not intent.doc_hints and best.period == "exact":
        result = _with_year_named_elsewhere(result, pool, best)
    return result


def _with_year_named_elsewhere(result: ExtractiveAnswer, pool: Sequence[Candidate], best: Candidate) -> ExtractiveAnswer:
    """Another document's value for the same year ("GRDP bình quân đầu người đến cuối năm 2025" in
    the five-year plan beside the 2025 resolution's): officials see both, each with its document."""
    other = next(
        (
            c
            for c in pool[1:]
            if c.period == "mentioned"
            and _source(c) != _source(best)
            and _answers(c)
            and c.has_figure == best.has_figure
            and _support(c) >= _support(best) - MULTI_VALUE_MARGIN
        ),
        None,
    )
    if other is None:
        return result
    n = len(result.cited) + 1
    answer = f"{result.answer}\nVăn bản khác: {_value_line(other, n)}."
    return ExtractiveAnswer(found=True, answer=answer, cited=[*result.cited, other.item])


def _part_quotes(pool: Sequence[Candidate], best: Candidate, form: AskedForm) -> list[Candidate]:
    """Passages of the best one's document answering the asked parts it leaves open."""
    extra: list[Candidate] = []
    covered = set(best.parts)
    for part in range(form.parts):
        if part in covered or len(extra) >= MAX_PART_QUOTES:
            continue
        match = next(
            (
                c
                for c in pool
                if part in c.parts
                and c.text != best.text
                and _source(c) == _source(best)
                and c.names_ok
                and c.coverage >= MIN_COVERAGE
                and not c.form_conflict
            ),
            None,
        )
        if match is not None and match not in extra:
            extra.append(match)
            covered |= match.parts
    return extra


def _with_runner_up(pool: Sequence[Candidate], best: Candidate, form: AskedForm | None = None) -> ExtractiveAnswer:
    extra = _part_quotes(pool, best, form) if form is not None else []
    if not extra:
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
        extra = [runner] if runner is not None else []
    answer = _single_answer(best)
    cited = [best.item]
    for other in extra:
        ids = [chunk_id_of(c.chunk) for c in cited]
        cid = chunk_id_of(other.item.chunk)
        if cid not in ids:
            cited.append(other.item)
            ids.append(cid)
        answer += f" Cùng văn bản: \"{display_segment(other.text)}\" [{ids.index(cid) + 1}]."
    return ExtractiveAnswer(found=True, answer=answer, cited=cited)


def _values_across_documents(pool: Sequence[Candidate], best: Candidate) -> list[Candidate]:
    """The best passage per document when several documents hold the indicator for other periods."""
    chosen = [best]
    seen_sources = {_source(best)}
    seen_chunks = {chunk_id_of(best.item.chunk)}
    for cand in pool[1:]:
        if len(chosen) >= MAX_VALUES:
            break
        if not _answers(cand) or (best.has_figure and not cand.has_figure):
            continue
        source = _source(cand)
        if source in seen_sources or chunk_id_of(cand.item.chunk) in seen_chunks:
            continue
        # The document's best-ranked passage speaks for it: a lower-ranked one that merely repeats
        # the question's words ("đóng góp … vào tăng trưởng GRDP") does not replace it.
        seen_sources.add(source)
        if _support(cand) < _support(best) - MULTI_VALUE_MARGIN:
            continue
        if cand.item.meta.get("period") == best.item.meta.get("period"):
            continue
        chosen.append(cand)
        seen_chunks.add(chunk_id_of(cand.item.chunk))
    return chosen


def _support(candidate: Candidate) -> float:
    """How well a passage covers the question's indicator, as the refusal threshold sees it."""
    return 0.5 * candidate.coverage + 0.5 * candidate.subject


def _answers(candidate: Candidate) -> bool:
    """Enough of the question's words in the passage, and in what its figure is about."""
    return (
        candidate.names_ok
        and candidate.head_ok
        and not candidate.sibling
        and not candidate.form_conflict
        and candidate.coverage >= MIN_COVERAGE
        and candidate.subject >= MIN_SUBJECT_COVERAGE
    )


def _lead_precision(terms: Sequence[str], segment: str, weights: TermWeights) -> float:
    """Share of the passage's lead (its words before the first figure) that the question asks about.

    "Đóng góp của năng suất nhân tố tổng hợp (TFP) vào tăng trưởng GRDP" mentions GRDP growth but is
    about TFP; "Tốc độ tăng trưởng kinh tế (GRDP)" is about growth itself.
    """
    asked = set(terms)
    lead = [
        t
        for t in _tokens(_head(_LIST_MARKER_RE.sub("", segment, count=1)))[:LEAD_MAX_TOKENS]
        if t in asked or (t not in _LEAD_FILLER_WORDS and not t[0].isdigit())
    ]
    if not lead:
        return 0.0
    total = sum(weights.weight(t) for t in lead)
    return sum(weights.weight(t) for t in lead if t in asked) / total if total else 0.0


# Measure words heading an indicator ("tốc độ tăng trưởng", "tỷ lệ hộ nghèo"): not its topic.
_MEASURE_WORDS = frozenset(["toc", "do", "ty", "le", "trong", "muc", "tong", "gia", "tri", "so", "chi", "quy", "mo"])
# Words of a lead that say how or when an indicator is measured, not what it is ("bình quân giai
# đoạn 2021-2025 đạt"): they do not make a lead less about what was asked.
_LEAD_FILLER_WORDS = _MEASURE_WORDS | frozenset(["binh", "quan", "giai", "doan", "nam", "dat", "la", "khoang", "o", "muc"])
# Words before an indicator's head: measures, "diện tích", "trồng"/"nuôi" before the crop or animal.
# Also occasion and discourse words opening a question ("Đợt dịch năm 2020 …", "Riêng …", "Mỗi …").
_HEAD_SKIP_WORDS = _MEASURE_WORDS | frozenset(
    "dien tich nuoi san luong ke hoach du toan dot ky lan rieng moi tung con va".split()  # noqa: SIM905
)
# "Đợt dịch", "kỳ họp": when something happened, not what is counted.
_OCCASION_RE = re.compile(r"\b(?:dot|ky|lan) [a-z]+")
_MODIFIER_RE = re.compile(r"\s(?:của|vào)\s", re.IGNORECASE)


def _asked_only_as_modifier(terms: Sequence[str], segment: str) -> bool:
    """The lead's head ("Đóng góp") is not asked; the asked words come only after "của"/"vào"."""
    lead = _head(_LIST_MARKER_RE.sub("", segment, count=1))
    split = _MODIFIER_RE.search(lead)
    if split is None:
        return False
    asked = set(terms)
    head = [t for t in _tokens(lead[: split.start()]) if t not in _MEASURE_WORDS]
    return bool(head) and not asked.intersection(head) and bool(asked.intersection(_tokens(lead[split.end() :])))


# Words that may follow an indicator's name without naming another indicator: how the value is
# stated ("đạt", "tăng", "khoảng"), when, and the document's function words (folded).
_FUNCTION_WORDS = QUESTION_STOP_WORDS | frozenset(
    """
    dat tang giam la chiem uoc khoang tren duoi vuot bang con tu den nam thang ngay va voi cua cho
    trong theo tai o so dau cuoi toan tinh nay do thi se da dang duoc bi co khong hon nhat moi
    binh quan muc ty le tong gia tri chi tieu phan dau hang it toi thieu gan
    """.split()  # noqa: SIM905 - a word list reads better as text
)
# Where a question stops naming its indicator and asks for the value.
_VALUE_QUESTION_RE = re.compile(r"\b(?:la bao nhieu|bao nhieu|may|dat|la|chiem|tang|giam|o muc|duoc)\b")
_PHRASE_TOKEN_RE = re.compile(r"[a-z]+|\d+(?:[.,]\d+)*|[^\sa-z\d]")


def _words(folded: str) -> list[str]:
    return [w for w in _PHRASE_TOKEN_RE.findall(folded) if w[0].isalpha()]


def _question_phrases(indicator: str, terms: Sequence[str]) -> tuple[tuple[str, str, str], ...]:
    """Each two-word phrase of the question's indicator followed by an indicator word: ("su", "dung",
    "dien") of "sử dụng điện", ("dau", "tu", "xa") of "vốn đầu tư toàn xã hội" (function words skipped)."""
    asked = set(terms)
    words = _words(indicator)
    out = []
    for i in range(1, len(words) - 1):
        if words[i] not in asked:
            continue
        # One function word may stand between ("đầu tư toàn xã hội"), not more.
        following = words[i + 1] if words[i + 1] not in QUESTION_STOP_WORDS or i + 2 >= len(words) else words[i + 2]
        if following in asked and following not in _FUNCTION_WORDS and following not in (words[i - 1], words[i]):
            out.append((words[i - 1], words[i], following))
    return tuple(out)


@lru_cache(maxsize=16384)
def _segment_continuations(segment: str) -> dict[tuple[str, str], frozenset[str]]:
    """For each two-word phrase of a passage, the word after it within its clause."""
    out: dict[tuple[str, str], set[str]] = {}
    # Only what the passage's figure is about: its words before the first figure.
    tokens = _PHRASE_TOKEN_RE.findall(fold(_spell_abbreviations(_head(_LIST_MARKER_RE.sub("", segment, count=1)))))
    for a, b, c in zip(tokens, tokens[1:], tokens[2:], strict=False):
        if a[0].isalpha() and b[0].isalpha() and c[0].isalpha():
            out.setdefault((a, b), set()).add(c)
    return {k: frozenset(v) for k, v in out.items()}


def _names_sibling(
    phrases: Sequence[tuple[str, str, str]],
    present: set[str],
    segment: str,
    asked: frozenset[str],
    weights: TermWeights,
) -> bool:
    """The passage continues the question's phrase with another word: "sử dụng nước sạch" for "sử
    dụng điện", "vốn đầu tư công" for "vốn đầu tư toàn xã hội". The question's own next word must be
    a word the corpus knows and absent from the passage, so a paraphrase is not mistaken for one."""
    continuations = _segment_continuations(segment)
    for first, second, following in phrases:
        if following in present or following not in weights.idf:
            continue
        if any(w not in _FUNCTION_WORDS and w not in asked for w in continuations.get((first, second), ())):
            return True
    return False


def _trigrams(folded: str, asked: set[str]) -> frozenset[tuple[str, str, str]]:
    """Three-word runs of the question holding at least two indicator words ("tầm nhìn chiến lược")."""
    words = _words(folded)
    return frozenset(
        (a, b, c) for a, b, c in zip(words, words[1:], words[2:], strict=False) if sum(w in asked for w in (a, b, c)) >= 2
    )


@lru_cache(maxsize=16384)
def _segment_trigrams(segment: str) -> frozenset[tuple[str, str, str]]:
    words = _words(fold(_spell_abbreviations(segment)))
    return frozenset(zip(words, words[1:], words[2:], strict=False))


def _phrase_overlap(
    question_trigrams: frozenset[tuple[str, str, str]], segment: str, weights: TermWeights
) -> float:
    """Share of the question's three-word runs the passage writes as they are, each weighted by its
    rarest word: "tầm nhìn chiến lược" tells passages apart, "kinh tế - xã hội" does not."""
    if not question_trigrams:
        return 0.0
    weight = {t: min(weights.weight(w) for w in t) for t in question_trigrams}
    found = question_trigrams & _segment_trigrams(segment)
    return sum(weight[t] for t in found) / sum(weight.values())


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
