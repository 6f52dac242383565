"""Question understanding: what an official asked, for which period, in which document.

Everything here is pure text handling on the folded (diacritic-free, lower-case) form, so a
question typed without diacritics ("ty le ho ngheo nam 2025") is understood like one with them.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from assistant.diacritics import typed_without_diacritics
from assistant.document_refs import SYMBOL_SPAN_RE, DocumentRef, document_refs, without_document_refs
from ingest.text import canonical_tones, fold, index_text

# The five-year plan period of the bundled corpus. "5 năm" / "nhiệm kỳ" without years means it;
# callers with other corpora pass their own via `five_year_period`.
DEFAULT_FIVE_YEAR_PERIOD = "2021-2025"
H1_PREFIX = "6 tháng đầu năm "
# Earlier user questions read to understand a follow-up: context older than this has moved on.
MAX_CONTEXT_TURNS = 4

# Words that carry no indicator meaning: question scaffolding, the province's name, generic
# "target/indicator" words (every list item is one), and period words (periods are parsed apart).
_STOP_PHRASES = re.compile(
    r"\b(?:la bao nhieu|bao nhieu phan tram|bao nhieu|nhu the nao|the nao|ra sao|thi sao|chi tieu|muc tieu"
    r"|nghi quyet|bao cao|uy ban nhan dan|hoi dong nhan dan|bi thu tinh uy|bi thu|bai viet"
    r"|ke hoach 5 nam|ke hoach nam nam|5 nam|giai doan|nhiem ky|phan dau|de ra|cho biet|hien nay|ket qua"
    r"|cu the|van ban|tai lieu|luc nao|khi nao|bao gio|thoi diem nao|thoi gian nao"
    # Verbs of reporting name what the source did, not the indicator: "hội nghị sơ kết … đánh giá GRDP".
    r"|so ket|tong ket|danh gia|nhan dinh)\b"
)
STOP_WORDS = frozenset(
    """
    la gi nao the sao vay con thi a ha nhi oi cho hoi xin biet muon minh toi tinh cua cac nhung mot
    duoc dat va voi trong tren theo ve nam thang dau cuoi den co khong khoang bang may nhu dang da
    se can bi tai o ra vao hay hoac ubnd hdnd tin muc khi phai de hien toan nay do kia ay ai
    """.split()  # noqa: SIM905 - a word list reads better as text
)
# The same stop words as written with diacritics. Folding merges them with content words ("tại"
# and "tái tạo", "đầu năm" and "đầu tư" stay merged, but "đất", "xã hội", "cơ cấu", "nhà máy",
# "khí hậu" do not), so an accented word is dropped only in one of these forms.
_STOP_FORMS = frozenset(
    """
    là gì nào thế sao vậy còn thì à a hả nhỉ ơi cho hỏi xin biết muốn mình tôi tỉnh của các những nhưng
    một được đạt và với trong trên theo về năm tháng đầu cuối đến có không khoảng bằng mấy như đang đã
    sẽ cần bị tại ở ra vào hay hoặc ubnd hdnd tin mức mục khi phải để hiện toàn này nay do đó kia ấy ai
    đâu tới
    """.split()  # noqa: SIM905 - a word list reads better as text
)
# Abbreviations officials type, expanded to the documents' words (folded).
_EXPANSIONS = {
    "bhyt": "bao hiem y te",
    "bhxh": "bao hiem xa hoi",
    "bhtn": "bao hiem that nghiep",
    "gdp": "grdp",
    "dn": "doanh nghiep",
    "ntm": "nong thon moi",
    "xk": "xuat khau",
    "nsnn": "ngan sach nha nuoc",
    "kcn": "khu cong nghiep",
    "ccn": "cum cong nghiep",
    "htx": "hop tac xa",
    # Administrative abbreviations that fold onto no Vietnamese word, so typed in any case they
    # are the abbreviation ("BC điều hành 2020", "KH 2021-2025", "NQ … số mấy", "KT-XH").
    "bc": "bao cao",
    # Before "kh": "KH&CN" is science and technology, not a plan.
    "kh&cn": "khoa hoc va cong nghe",
    "kh": "ke hoach",
    "nq": "nghi quyet",
    "qd": "quyet dinh",
    "kt-xh": "kinh te xa hoi",
    "kt xh": "kinh te xa hoi",
    "ktxh": "kinh te xa hoi",
    "dh": "dai hoc",
    "thpt": "trung hoc pho thong",
    "gddt": "giao duc va dao tao",
    "cntt": "cong nghe thong tin",
    "khcn": "khoa hoc va cong nghe",
    "gtvt": "giao thong van tai",
    "dbscl": "dong bang song cuu long",
    # Shorthand of government reports as officials type it ("vốn đầu tư toàn XH", "GTSX CN-TTCN",
    # "vượt dự toán TW"). Each folds onto no Vietnamese word, so it is expanded in any case.
    "xh": "xa hoi",
    "kt": "kinh te",
    "tw": "trung uong",
    "ns": "ngan sach",
    "nsdp": "ngan sach dia phuong",
    "hh": "hang hoa",
    "dv": "dich vu",
    "tm": "thuong mai",
    "gtsx": "gia tri san xuat",
    "dtpt": "dau tu phat trien",
    "sxkd": "san xuat kinh doanh",
    "kd": "kinh doanh",
    "sx": "san xuat",
    "cn": "cong nghiep",
    "ttcn": "tieu thu cong nghiep",
    "nn&ptnt": "nong nghiep va phat trien nong thon",
    "ptnt": "phat trien nong thon",
    "knxk": "kim ngach xuat khau",
    "xnk": "xuat nhap khau",
    "nk": "nhap khau",
    "bq": "binh quan",
    "sl": "san luong",
    "dtxd": "dau tu xay dung",
    "xd": "xay dung",
    "gd&dt": "giao duc va dao tao",
    "gd": "giao duc",
    "yt": "y te",
    "vh": "van hoa",
    "ld": "lao dong",
    "hn": "hoi nghi",
    "qh": "quy hoach",
    "cp": "chinh phu",
    "bch": "ban chap hanh",
    "mttq": "mat tran to quoc",
    "atgt": "an toan giao thong",
    "csht": "co so ha tang",
    "gpmb": "giai phong mat bang",
    "cbcc": "can bo cong chuc",
    "cb": "can bo",
    "thcs": "trung hoc co so",
    "kv": "khu vuc",
}
# Abbreviations that fold onto common words ("DA" is also "đã", "CT" also "chi thị"): expanded only
# when written in capitals, on the question as typed.
_UPPERCASE_EXPANSIONS = {
    "DA": "dự án",
    "CT": "công trình",
    "CCN": "cụm công nghiệp",
    "KCN": "khu công nghiệp",
    "ĐH": "đại học",
    "TP": "thành phố",
    "TU": "Tỉnh ủy",
}
_UPPERCASE_RE = re.compile(r"(?<![\w/-])(" + "|".join(_UPPERCASE_EXPANSIONS) + r")(?![\w/-])")
_WORD_RE = re.compile(r"[a-z]+|\d+(?:[.,]\d+)*")
_RANGE_RE = re.compile(
    r"(?:giai doan|nhiem ky|thoi ky|ke hoach 5 nam|5 nam)?\s*\(?((?:19|20)\d{2})\s*[-–]\s*((?:19|20)\d{2})\)?"
)
# "6 tháng đầu năm 2023", and as officials shorten it: "6 tháng 2023", "nửa đầu năm 2023", "H1/2023".
_H1_RE = re.compile(r"(?:\b6 thang (?:dau )?(?:nam\s*)?|nua dau nam\s*|\bh1\s*[/-]?\s*)((?:19|20)\d{2})")
# "T9/2021", "tháng 9/2021": a month of a year, read as "tháng 9 năm 2021" (the year is the period).
_MONTH_YEAR_RE = re.compile(r"\b(?:t|thang\s*)(\d{1,2})\s*/\s*((?:19|20)\d{2})\b")
_H1_BARE_RE = re.compile(r"6 thang dau nam\b|nua dau nam")
# "3 tháng", "9 tháng (đầu) năm 2021": the months from the start of a year, as reports state results.
_MONTHS_TO_DATE_RE = re.compile(r"\b0?([39]) thang (?:dau )?(?:nam\s*)?((?:19|20)\d{2})")
_YEAR_RE = re.compile(r"(?:nam|den|cuoi nam|trong nam)?\s*\b((?:19|20)\d{2})\b")
_FIVE_YEAR_RE = re.compile(r"\b(?:5|nam) nam\b|nhiem ky|ca giai doan|giai doan nay")
_NUMBER_QUESTION_RE = re.compile(
    r"bao nhieu|\bmay\b|ty le|toc do|phan tram|%|con so|ngay nao|so may|thu may|lan thu|muc tieu|chi tieu"
)
# "Đến khi nào …?": a deadline ("cuối năm 2023", "trước quý III"), not a figure, unless the question
# also asks how much.
_WHEN_QUESTION_RE = re.compile(r"\b(?:khi nao|bao gio|luc nao|thoi gian nao|thoi diem nao)\b")
# "(chứ không phải tổng thu NSĐP)": what the official rules out, which names the sibling figure to avoid,
# not the one asked. Only a parenthesised clause: "giữ nguyên, không phải sắp xếp" is part of what is asked.
_EXCLUSION_RE = re.compile(r"\(\s*(?:chu\s+)?khong\s+phai\b([^)]*)\)")
# "Ai phát biểu …?", "người nào …": the answer names a person.
_PERSON_QUESTION_RE = re.compile(r"(?:^|[^\w])ai\b|\bnguoi nao\b|\bdo ai\b|\bla ai\b")
# "Who signed / who wrote": answered from the document's signature block.
# Whole words only: "bài viết" (an article) folds to "bai viet", which holds "ai viet".
AUTHOR_QUESTION_RE = re.compile(r"\b(?:ai ky|nguoi ky|do ai|la cua ai|cua ai|tac gia|ai viet|ky boi)\b")
_FOLLOWUP_START_RE = re.compile(r"^(?:the |vay |con |va |nhung )?(?:con|the con|vay con|va|con ve)\b")
# A follow-up that writes its own question word ("huyện nào", "bao nhiêu", "là gì").
_OWN_QUESTION_RE = re.compile(r"\b(?:nao|bao nhieu|may|gi|ai|dau)\b")
# Words of a comparison: a question made only of them ("So với cùng kỳ 2020 thì bằng bao nhiêu?")
# is about the indicator of the previous question.
_RELATIONAL_TERMS = frozenset(
    "so cung ky bang tang giam hon lai them nua chenh lech ke hoach du toan".split()  # noqa: SIM905
)
# "giá so sánh 2010": the base year of constant prices, no period asked either.
_COMPARISON_YEAR_RE = re.compile(r"((?:cung ky|gia so sanh)(?: nam)?\s*)((?:19|20)\d{2})\b")
_FOLLOWUP_END_RE = re.compile(r"(?:thi sao|the nao|ra sao|sao|nhi|thi)\s*\??$")

# Document hints, matched on the folded question: (pattern, hint key).
_DOC_HINTS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"nghi quyet"), "nghị quyết"),
    (re.compile(r"bao cao"), "báo cáo"),
    (re.compile(r"\bubnd\b|uy ban nhan dan"), "UBND"),
    (re.compile(r"\bhdnd\b|hoi dong nhan dan"), "HĐND"),
    (re.compile(r"\bquoc hoi\b"), "Quốc hội"),
    (re.compile(r"\bchinh phu\b|\bthu tuong\b"), "Chính phủ"),
    (re.compile(r"ke hoach 5 nam|ke hoach nam nam"), "kế hoạch 5 năm"),
    # The whole reference names the document: "bài (viết) của Bí thư Tỉnh ủy".
    (re.compile(r"(?:\bbai (?:viet )?(?:cua )?)?bi thu(?: tinh uy)?|bai viet"), "bài viết"),
    (re.compile(r"\bttxvn\b|\bban tin\b|\bbai bao\b|\bhoi nghi tinh uy\b|\btin tuc\b"), "tin"),
)


@dataclass(frozen=True)
class QueryIntent:
    """A question as understood: the standalone form, its period(s), document hints and terms."""

    question: str  # as the user typed it
    interpreted: str  # standalone question (follow-ups rewritten from the history)
    normalized: str  # index_text form: NFC, canonical tones
    folded: str  # diacritic-free lower-case key
    periods: tuple[str, ...] = ()  # "2025", "2021-2025", "6 tháng đầu năm 2023"
    doc_hints: tuple[str, ...] = ()
    terms: tuple[str, ...] = ()  # folded content words, in question order
    wants_figure: bool = False
    is_followup: bool = False
    numbers: tuple[str, ...] = field(default=())  # numbers named in the question other than years
    names: tuple[str, ...] = ()  # folded proper names ("tien giang"): a passage must name them too
    asks_person: bool = False  # "Ai phát biểu …?": the answer names someone
    document_refs: tuple[DocumentRef, ...] = ()  # documents named by number: "NQ 48/2025", "Công điện 220"
    excluded: tuple[str, ...] = ()  # folded words of what the question rules out: "(không phải tổng thu NSĐP)"

    @property
    def years(self) -> tuple[str, ...]:
        return tuple(p for p in self.periods if re.fullmatch(r"\d{4}", p))


def _expansion_words(folded: str) -> frozenset[str]:
    """Words an abbreviation spells out ("KT-XH" → "kinh tế xã hội"): content words, never stop words."""
    return frozenset(
        w
        for short, long in _EXPANSIONS.items()
        if re.search(rf"\b{re.escape(short)}\b", folded)
        for w in long.split()
    )


def _spell_capitals(text: str) -> str:
    """'các DA trọng điểm' → 'các dự án trọng điểm' (not inside a document number like 16-CT/TU)."""
    return _UPPERCASE_RE.sub(lambda m: _UPPERCASE_EXPANSIONS[m.group(1)], text)


def _spell_months(folded: str) -> str:
    return _MONTH_YEAR_RE.sub(lambda m: f"thang {m.group(1)} nam {m.group(2)}", folded)


# Plan periods as officials shorten them: "GĐ 2021-2025" (before a span "gđ" is "giai đoạn", not "giáo
# dục"), "giai đoạn 21-25", "2021-25". Two-digit years are read only after a period word, or as the end of a
# span whose start is written in full, so "21-25 tuổi" stays an age.
_PERIOD_WORDS = r"(?:giai doan|thoi ky|nhiem ky|ke hoach 5 nam|5 nam)"
_GD_SPAN_RE = re.compile(r"\bgd\s*(?=(?:19|20)?\d{2}\s*[-–]\s*\d{2})")
_SHORT_SPAN_RE = re.compile(rf"\b({_PERIOD_WORDS}\s*)(\d{{2}})\s*[-–]\s*(\d{{2}})(?![\d%.,/])")
_HALF_SPAN_RE = re.compile(r"\b((?:19|20)\d{2})\s*[-–]\s*(\d{2})(?![\d%.,/])")


def _spell_short_periods(folded: str) -> str:
    """'gđ 21-25' → 'giai doan 2021-2025', '2021-25' → '2021-2025' (folded text in, folded text out)."""
    folded = _GD_SPAN_RE.sub("giai doan ", folded)

    def short(m: re.Match[str]) -> str:
        start, end = m.group(2), m.group(3)
        return f"{m.group(1)}20{start}-20{end}" if int(end) > int(start) else m.group(0)

    def half(m: re.Match[str]) -> str:
        start, end = m.group(1), m.group(2)
        return f"{start}-{start[:2]}{end}" if int(end) > int(start[2:]) else m.group(0)

    return _HALF_SPAN_RE.sub(half, _SHORT_SPAN_RE.sub(short, folded))


def spelled_word(word: str) -> str:
    """One folded word with an official's abbreviation spelled out ("dn" → "doanh nghiep"), else itself."""
    return _EXPANSIONS.get(word, word)


def expand_shorthand(folded: str) -> str:
    """Officials' shorthand spelled out in folded text ("kt-xh" → "kinh te xa hoi", "gđ 21-25" → a period)."""
    folded = _spell_short_periods(folded)
    # A document's symbol keeps its codes: "2639/qd-ttg" is a number to match, "qd" in it no decision to spell out.
    # Split on the symbols, captured: the odd pieces are the symbols themselves.
    pieces = re.split(f"({SYMBOL_SPAN_RE.pattern})", folded)
    return "".join(piece if i % 2 else _expand_words(piece) for i, piece in enumerate(pieces))


def _expand_words(folded: str) -> str:
    for short, long in _EXPANSIONS.items():
        folded = re.sub(rf"\b{re.escape(short)}\b", long, folded)
    return folded


def _periods(folded: str, five_year_period: str) -> tuple[tuple[str, ...], str]:
    """Periods named in the question, and the question with those phrases blanked out."""
    found: list[str] = []
    rest = folded

    def take(match: re.Match[str], value: str) -> str:
        found.append(value)
        return " " * len(match.group(0))

    # "so với cùng kỳ 2020": the year a comparison is made with, not the period asked about.
    rest = _COMPARISON_YEAR_RE.sub(lambda m: m.group(1) + " " * len(m.group(2)), rest)
    rest = _H1_RE.sub(lambda m: take(m, H1_PREFIX + m.group(1)), rest)
    rest = _RANGE_RE.sub(lambda m: take(m, f"{m.group(1)}-{m.group(2)}"), rest)
    rest = _YEAR_RE.sub(lambda m: take(m, m.group(1)), rest)
    if not found and _FIVE_YEAR_RE.search(rest):
        found.append(five_year_period)
    if _H1_BARE_RE.search(rest) and not any(p.startswith(H1_PREFIX) for p in found):
        # "6 tháng đầu năm" without a year: the H1 of the year named elsewhere, if any.
        years = [p for p in found if p.isdigit()]
        if years:
            found = [H1_PREFIX + years[0]] + [p for p in found if p != years[0]]
    return _without_years_inside_ranges(tuple(dict.fromkeys(found))), rest


def named_periods(question: str, five_year_period: str = DEFAULT_FIVE_YEAR_PERIOD) -> tuple[str, ...]:
    """Every period a question names, a year inside a named plan period included: a comparison
    ("năm 2025 so với kế hoạch 2021-2025") asks about each of them."""
    folded = expand_shorthand(fold(question))
    found: list[str] = []
    rest = _COMPARISON_YEAR_RE.sub(lambda m: m.group(1) + " " * len(m.group(2)), folded)
    for match in _H1_RE.finditer(rest):
        found.append(H1_PREFIX + match.group(1))
    rest = _H1_RE.sub(lambda m: " " * len(m.group(0)), rest)
    for match in _MONTHS_TO_DATE_RE.finditer(rest):
        found.append(f"{match.group(1)} tháng năm {match.group(2)}")
    rest = _MONTHS_TO_DATE_RE.sub(lambda m: " " * len(m.group(0)), rest)
    for match in _RANGE_RE.finditer(rest):
        found.append(f"{match.group(1)}-{match.group(2)}")
    rest = _RANGE_RE.sub(lambda m: " " * len(m.group(0)), rest)
    found += [m.group(1) for m in _YEAR_RE.finditer(rest)]
    if _FIVE_YEAR_RE.search(rest) and five_year_period not in found:
        found.append(five_year_period)
    return tuple(dict.fromkeys(found))


def _without_years_inside_ranges(periods: tuple[str, ...]) -> tuple[str, ...]:
    """A year inside a plan period the question also names is a date within that plan.

    "Kế hoạch 5 năm 2021-2025 đặt GRDP bình quân đầu người cuối năm 2025 là bao nhiêu?" asks the
    5-year plan's target for its last year, not the annual plan for 2025.
    """
    ranges = [tuple(int(y) for y in p.split("-")) for p in periods if re.fullmatch(r"\d{4}-\d{4}", p)]
    return tuple(
        p for p in periods if not (p.isdigit() and any(start <= int(p) <= end for start, end in ranges))
    )


def _terms(folded_rest: str, content: frozenset[str] = frozenset()) -> tuple[str, ...]:
    """Indicator words; `content` lists folded stop words the question wrote as content words."""
    # Numbers other than periods ("tháng 9") are kept in QueryIntent.numbers, not as indicator words.
    words = [
        w
        for w in _WORD_RE.findall(_STOP_PHRASES.sub(" ", folded_rest))
        if (w not in STOP_WORDS or w in content) and not w[0].isdigit()
    ]
    return tuple(words)


def _accented(text: str, restore: Callable[[str], str] | None) -> str:
    return restore(text) if restore is not None and typed_without_diacritics(text) else text


def _accented_content_words(question: str) -> frozenset[str]:
    """Folded forms of the question's accented words that fold onto a stop word but are not one."""
    if typed_without_diacritics(question):
        # Unaccented words say nothing about which word was meant ("trong" or "trồng").
        return frozenset()
    # In an accented question an unaccented word is written as meant: "ha" is the hectare, not "hả".
    words = re.findall(r"[^\W\d_]+", canonical_tones(question).lower())
    return frozenset(fold(w) for w in words if w not in _STOP_FORMS and fold(w) in STOP_WORDS)


def _doc_hints(folded: str) -> tuple[str, ...]:
    return tuple(hint for pattern, hint in _DOC_HINTS if pattern.search(folded))


def _without_document_phrases(folded: str) -> str:
    """The question without the words that name the document it is about (they are hints, not terms)."""
    for pattern, _ in _DOC_HINTS:
        folded = pattern.sub(lambda m: " " * len(m.group(0)), folded)
    return folded


def _non_year_numbers(folded_rest: str) -> tuple[str, ...]:
    return tuple(w for w in _WORD_RE.findall(folded_rest) if w[0].isdigit())


def is_elliptic(question: str) -> bool:
    """A follow-up that only makes sense with the previous question ("Còn năm 2025 thì sao?")."""
    folded = fold(question).strip()
    if _FOLLOWUP_START_RE.search(folded):
        return True
    return bool(_FOLLOWUP_END_RE.search(folded)) and len(_WORD_RE.findall(folded)) <= 6


def _bare_reading(question: str, five_year_period: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The periods and indicator words of a question read on its own, before any context."""
    periods, rest = _periods(expand_shorthand(fold(question)), five_year_period)
    return periods, _terms(_without_document_phrases(rest))


def _only_a_period(question: str, five_year_period: str) -> bool:
    """'Vậy năm 2020 đạt bao nhiêu?': a period and no indicator, which only the conversation supplies."""
    periods, terms = _bare_reading(question, five_year_period)
    return bool(periods) and not terms


def _only_a_comparison(question: str, five_year_period: str) -> bool:
    """'So với cùng kỳ 2020 thì bằng bao nhiêu?': no indicator word, only the words of a comparison."""
    _, terms = _bare_reading(question, five_year_period)
    return bool(terms) and set(terms) <= _RELATIONAL_TERMS


def _period_phrase(folded: str) -> re.Match[str] | None:
    for pattern in (_H1_RE, _RANGE_RE, _YEAR_RE):
        match = pattern.search(folded)
        if match and match.group(0).strip():
            return match
    return None


def _followup_core(question: str) -> str:
    """The follow-up without its scaffolding: 'Còn tỷ lệ hộ nghèo thì sao?' → 'tỷ lệ hộ nghèo'."""
    text = question.strip().rstrip("?").strip()
    text = re.sub(
        r"^(?:thế còn|vậy còn|còn về|thế|vậy|và|nhưng|còn|the con|vay con|con ve|the|vay|va|nhung|con)\s+",
        "",
        text,
        flags=re.IGNORECASE,
    )
    text = re.sub(
        r"\s*(?:thì sao|thế nào|ra sao|thì|nhỉ|thi sao|the nao|ra sao|thi|nhi)\s*$",
        "",
        text,
        flags=re.IGNORECASE,
    )
    return text.strip(" ,")


def _spoken_period(period: str, framed_by: str = "") -> str:
    """The period as words; `framed_by` is the folded question it came from, whose deadline framing ("đến năm
    2030": a plan's target, not the year's own figure) the period keeps."""
    if re.fullmatch(r"\d{4}", period):
        if re.search(rf"\bden (?:het |cuoi )?(?:nam )?{period}\b", framed_by):
            return f"đến năm {period}"
        return f"năm {period}"
    if re.fullmatch(r"\d{4}-\d{4}", period):
        return f"giai đoạn {period}"
    return period


def rewrite_followup(question: str, previous: str, five_year_period: str = DEFAULT_FIVE_YEAR_PERIOD) -> str:
    """Make an elliptic follow-up standalone from the previous user question.

    Only a period → the previous question with its period replaced (or added).
    An indicator (and maybe a period) → the new indicator with the previous period,
    or the new one.
    """
    core = _followup_core(question)
    core_folded = fold(core)
    periods, rest = _periods(core_folded, five_year_period)
    terms = _terms(rest)
    previous = previous.strip()
    if not terms:
        if not periods:
            return previous
        new_phrase = _spoken_period(periods[0])
        match = _period_phrase(fold(previous))
        if match is None:
            base = previous.rstrip("?").rstrip()
            return f"{base} {new_phrase}?"
        start = match.start() + (len(match.group(0)) - len(match.group(0).lstrip()))
        # Folding keeps character positions (one folded character per NFC character).
        return previous[:start] + new_phrase + previous[match.end() :]
    prev_periods, _ = _periods(fold(previous), five_year_period)
    chosen = periods or prev_periods
    indicator = core[0].upper() + core[1:] if core else core
    # "Còn huyện nào chỉ cơ bản đạt chuẩn?" asks its own question: only the period is added.
    asked = "?" if _OWN_QUESTION_RE.search(core_folded) else " là bao nhiêu?"
    if chosen and not periods:
        return f"{indicator} {_spoken_period(chosen[0], fold(previous))}{asked}"
    return f"{indicator}{asked}"


def _inherit_context(
    question: str, previous: QueryIntent, five_year_period: str
) -> tuple[str, tuple[str, ...]]:
    """In a conversation, a question naming no period (or document) keeps the previous one's.

    "Thông qua tại kỳ họp thứ mấy?" after a question about the 2021-2025 resolution is about that
    resolution; the period is written into the interpreted question so users see it.
    """
    folded = fold(question)
    periods, _ = _periods(folded, five_year_period)
    interpreted = question
    if not periods and previous.periods:
        interpreted = f"{question.rstrip().rstrip('?').rstrip()} ({_spoken_period(previous.periods[0], previous.folded)})?"
    hints = () if _doc_hints(folded) else previous.doc_hints
    return interpreted, hints


# Capitalised words that are not place or person names.
_NOT_NAMES = frozenset(
    {"nghi quyet", "bao cao", "ke hoach", "tinh uy", "uy ban nhan dan", "hoi dong nhan dan"}
)


def proper_names(question: str) -> tuple[str, ...]:
    """Place and person names in the question ("Tiền Giang"), folded; not acronyms, not the first word."""
    found: list[str] = []
    run: list[str] = []
    words = list(re.finditer(r"\w+|[.?!:;,()]", question.strip()))
    for i, match in enumerate(words):
        word = match.group(0)
        after_stop = i == 0 or words[i - 1].group(0) in ".?!:"
        is_name_word = word[0].isupper() and not word.isupper() and word.isalpha() and not after_stop
        if is_name_word:
            run.append(word)
            continue
        if len(run) >= 2:
            # Vietnamese names capitalise every syllable (Tiền Giang, Lê Đức Thọ); institutions only
            # the first (Tỉnh ủy, Chính phủ), so a run of two or more is a name.
            found.append(fold(" ".join(run)))
        run = []
    if len(run) >= 2:
        found.append(fold(" ".join(run)))
    names = [n for n in found if n not in _NOT_NAMES and not n.startswith("ben tre") and len(n) >= 3]
    return tuple(dict.fromkeys(names))


def _split_exclusion(folded: str) -> tuple[str, str]:
    """(the folded question without its ruled-out clauses, the clauses' words). Folding keeps positions,
    so the same spans come out of the cased question (see `_without_exclusion`)."""
    excluded = " ".join(m.group(1) for m in _EXCLUSION_RE.finditer(folded))
    return " ".join(_EXCLUSION_RE.sub(" ", folded).split()), excluded


def _without_exclusion(question: str) -> str:
    folded = fold(question)
    if len(folded) != len(question):
        return question
    kept, last = [], 0
    for match in _EXCLUSION_RE.finditer(folded):
        kept.append(question[last : match.start()])
        last = match.end()
    kept.append(question[last:])
    return re.sub(r"\s+([?.,;:])", r"\1", " ".join(" ".join(kept).split()))


def understand(
    question: str,
    history: Sequence[str] = (),
    five_year_period: str = DEFAULT_FIVE_YEAR_PERIOD,
    restore: Callable[[str], str] | None = None,
) -> QueryIntent:
    """Understand a question; `history` lists the earlier user questions, oldest first.

    `restore` (e.g. `HybridRetriever.restorer().restore`) writes a question typed without
    diacritics back with them, so "dien tai tao" keeps "tái" where "tại" would be dropped.
    """
    original = question.strip()
    interpreted = original
    is_followup = False
    earlier = [h for h in history if h.strip()][-MAX_CONTEXT_TURNS:]
    # The previous question as it was understood, itself in its context: a conversation about the
    # H1-2023 conference stays about it over several follow-ups that never name it again.
    previous = understand(earlier[-1], earlier[:-1], five_year_period, restore) if earlier else None
    if previous is not None and (is_elliptic(original) or _only_a_period(original, five_year_period)):
        interpreted = rewrite_followup(original, previous.interpreted, five_year_period)
        is_followup = True
    elif previous is not None and _only_a_comparison(original, five_year_period):
        interpreted = f"{previous.interpreted.rstrip().rstrip('?').rstrip()}: {original}"
        is_followup = True
    # An elliptic follow-up ("Còn trẻ em thì sao?") is about the document the conversation named; a whole
    # question of its own is not, even when it inherits the conversation's period or kind of document.
    elliptic = is_followup
    inherited_hints: tuple[str, ...] = ()
    if previous is not None and not is_followup:
        interpreted, inherited_hints = _inherit_context(original, previous, five_year_period)
        is_followup = interpreted != original or bool(inherited_hints)
    normalized = index_text(_without_exclusion(interpreted))
    folded, excluded = _split_exclusion(expand_shorthand(_spell_months(fold(_spell_capitals(interpreted)))))
    periods, rest = _periods(without_document_refs(folded), five_year_period)
    hints = tuple(dict.fromkeys(_doc_hints(folded) + inherited_hints))
    return QueryIntent(
        question=original,
        interpreted=interpreted,
        normalized=normalized,
        folded=folded,
        periods=periods,
        doc_hints=hints,
        terms=_terms(
            _without_document_phrases(rest),
            _accented_content_words(_accented(interpreted, restore)) | _expansion_words(fold(interpreted)),
        ),
        wants_figure=_wants_figure(folded),
        is_followup=is_followup,
        numbers=_non_year_numbers(rest),
        names=proper_names(interpreted),
        asks_person=bool(_PERSON_QUESTION_RE.search(folded)) and not AUTHOR_QUESTION_RE.search(folded),
        document_refs=document_refs(folded) or (previous.document_refs if previous is not None and elliptic else ()),
        excluded=_terms(_periods(excluded, five_year_period)[1]),
    )


def _wants_figure(folded: str) -> bool:
    if _WHEN_QUESTION_RE.search(folded) and not re.search(r"bao nhieu|\bmay\b|ty le|phan tram", folded):
        return False
    return bool(_NUMBER_QUESTION_RE.search(folded))
