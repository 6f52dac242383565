"""Indicators (chỉ tiêu) read from indexed chunks: every figure-bearing target or result, as written.

A record is one figure of one indicator in one passage: the value exactly as the document writes it, the
numbers read the Vietnamese way, its unit, period and status (target, estimate, achieved, comparison).
Where a figure comes from decides what counts as one: a list item under a target heading gives every
figure with a unit; a table row gives every figure cell under its column's period; any other sentence
gives only figures a result verb ("đạt", "tăng", "giảm", "chiếm" …) introduces.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ingest.text import NumberMention, find_numbers, fold, nfc, parse_vn_number
from vectorstore.index import StoredChunk

TARGET = "mục tiêu"
ESTIMATE = "ước thực hiện"
ACHIEVED = "thực hiện"
COMPARISON = "so sánh"
STATUSES = (TARGET, ESTIMATE, ACHIEVED, COMPARISON)


@dataclass(frozen=True)
class IndicatorRecord:
    """One figure of one indicator, read from one passage; every field a citation needs travels with it."""

    id: str  # f"{chunk_id}:{k}": stable while the document is unchanged
    indicator: str  # the indicator as written ("Tốc độ tăng trưởng kinh tế (GRDP)")
    key: str  # normalised key: folded, no diacritics, stop words out
    value_text: str  # exactly as written, bounds included ("6,5 - 7%", "1.850 triệu USD", "từ 35% trở lên")
    numbers: tuple[float, ...]  # parsed; a range keeps both ends
    unit: str | None  # "%", "triệu USD", "tỷ đồng", "USD/người" ...
    period: str | None  # "2025", "2021-2025", "6 tháng đầu năm 2023" ...
    status: str  # "mục tiêu" | "ước thực hiện" | "thực hiện" | "so sánh"
    comparison: str | None  # "đạt 100,3% kế hoạch", "tăng 3,49% so với cùng kỳ"
    source: str
    title: str
    number: str | None
    date: str | None  # as the index stores it (ISO)
    location: str  # section path / table row, as a citation shows it
    quote: str  # the passage the value is read from, as written
    chunk_id: str
    qualifier: str | None = None  # the bound before the value, on its own: "khoảng", "trên", "ít nhất"


# ---- vocabulary: general Vietnamese administrative words, not any one document's --------------------------

# Headings that announce a list of targets ("2. Các chỉ tiêu chủ yếu", "… với các mục tiêu").
_TARGET_LIST_HEADING = re.compile(r"chi tieu|muc tieu")
_TARGET_HEADING = re.compile(r"chi tieu|muc tieu|nhiem vu|phuong huong|ke hoach|du toan|dinh huong")
_RESULT_HEADING = re.compile(r"ket qua|tinh hinh thuc hien|danh gia|kiem diem")
_TARGET_KINDS = ("nghi quyet", "ke hoach", "quyet dinh", "chuong trinh", "de an", "chien luoc", "du toan")
_RESULT_KINDS = ("bao cao", "tin", "bai viet", "thong bao")
# Words that mark a figure as planned, estimated or done, wherever they sit in its clause.
_ESTIMATE_CUE = re.compile(r"\buoc (?:dat|thuc hien|tinh|ca nam|dat duoc)|\buoc\b")
_TARGET_CUE = re.compile(
    r"\b(?:phan dau|muc tieu|chi tieu|du kien|du toan|ke hoach dat|dinh huong|toi thieu)\b"
)
_ACHIEVED_CUE = re.compile(r"\b(?:da dat|dat duoc|da thuc hien|thuc hien duoc|dat muc)\b")
# A figure measured against a plan or an earlier period, as the document says it.
_COMPARISON_TAIL = re.compile(
    # "bằng 1,67 lần về vốn đăng ký so với cùng kỳ": what is measured may stand between figure and comparison.
    r"^\s*(?:(?:ve(?:\s+[a-z]+){1,3}?\s+)?so\s+(?:voi\s+)?(?:cung\s+ky|nam\s+truoc|ke\s+hoach|chi\s+tieu|nghi\s+quyet|du\s+toan|nam\s+\d{4}|"
    r"ky\s+truoc|thang\s+truoc|binh\s+quan)|(?:ke\s+hoach|kh|chi\s+tieu|du\s+toan|nghi\s+quyet|muc\s+tieu)\b)"
)
# Verbs and links that put a figure to the words before it.
_RESULT_VERB = re.compile(
    r"(?:\b(?:dat|tang|giam|chiem|la|o muc|uoc|bang|con|len|xuong|vuot|duy tri|phat trien|khoang|tren|duoi|it nhat|"
    r"toi thieu|toi da|tu|hon|gan|am|duong|gap|tiet kiem|cat giam)|:)"
    # "tăng bình quân 05 - 06%/năm", "đạt bình quân hàng năm khoảng 8%": an average between verb and value.
    r"(?:\s+(?:binh quan|trung binh|hang nam|moi nam|thêm|them|ca nam))*(?:\s+(?:khoang|tren|tu|it nhat|toi thieu))?"
    # "giảm sâu (-5,31%)", "tăng mạnh (18%)": how much, then the figure in parentheses.
    r"(?:\s+(?:sau|manh|nhe|nhanh))?(?:\s*\(\s*-?)?\s*$"
)
# A rate per year refers to the whole span, not to the end year a clause names ("đến năm 2030 đạt …, tăng
# bình quân hàng năm trong giai đoạn này 10 - 13%/năm").
_PER_YEAR = re.compile(
    r"/năm\b|\bbình quân\b|\bhàng năm\b|\bmỗi năm\b|giai đoạn này|thời kỳ này", re.IGNORECASE
)
# Bounds and approximations before a value, and a sign written as a word ("âm 1,37%" is below zero): part of
# what the document says, not of the value itself.
_QUALIFIER = re.compile(
    r"(?<!\w)(?:không thấp hơn|không dưới|không quá|ít nhất|tối thiểu|tối đa|xấp xỉ|khoảng|trên|dưới|hơn|gần|từ|âm)"
    r"\s+$",
    re.IGNORECASE,
)
# "… 35% trở lên": the bound after a value.
_QUALIFIER_AFTER = re.compile(r"\s+trở lên", re.IGNORECASE)
# Trailing words of an indicator phrase that are the verb or bound of its value, not its name.
_TRAILING = re.compile(
    # "chứng chỉ đạt 40%": the "chỉ" of a noun, not the "only" of "chỉ đạt".
    r"(?:\s|^)(?:đạt|đạt được|(?<!chứng\s)chỉ đạt|mới đạt|vượt|gấp|(?:tăng|giảm) (?:sâu|mạnh|nhẹ|nhanh)|tăng|giảm|chiếm|là|ở mức|ước đạt|ước thực hiện|ước|bằng|còn|lên|xuống|"
    r"khoảng|trên|dưới|ít nhất|tối thiểu|tối đa|từ|hơn|gần|âm|dương|duy trì|phấn đấu|dự kiến|có|được|"
    r"ước tính|bình quân|hàng năm|mỗi năm|/năm|năm|trong năm|cả năm|với|và|trở lên|"
    r"(?:xếp|đứng)(?: hạng)?(?: ở)?(?: vị trí)?|:|-|–|,)\s*$",
    re.IGNORECASE,
)
_BOUNDS_TRAILING = re.compile(
    r"(?:\s|^)(?:đạt|là|khoảng|trên|dưới|ít nhất|tối thiểu|tối đa|từ|hơn|gần|âm|:|-|–|,)\s*$", re.IGNORECASE
)
_LEADING = re.compile(
    r"^(?:[-+•*(]\s*|[a-zđ]\)\s*|\d+(?:\.\d+)*[.)]\s+|trong đó[,:]?\s*|đồng thời[,:]?\s*|riêng\s+|"
    r"phấn đấu\s+|đảm bảo\s+|bảo đảm\s+|ước\s+|đạt\s+|có\s+|với\s+|và\s+|của\s+|tổng cộng\s+|mặc dù\s+|tuy\s+)",
    re.IGNORECASE,
)
# Words a key leaves out: they join an indicator's words without telling indicators apart.
_KEY_STOP = frozenset(
    ["cua", "va", "cac", "nhung", "trong", "tren", "dia", "ban", "tinh", "thanh", "pho", "toan", "so", "voi", "cho", "duoc", "tai", "theo", "ve", "la", "o", "co", "mot", "tu", "den", "nam", "giai", "doan", "binh", "quan", "hang", "moi", "dat", "khoang", "it", "nhat", "tro", "len", "nham", "muc", "ca", "duong", "am"]
)
# A target phrase may open with its direction ("Giảm tỷ lệ hộ nghèo"): the indicator is what follows.
_KEY_DIRECTION = re.compile(r"^(?:giam|tang(?! truong)|nang|phan dau|dat|duy tri|keo giam)\s+")
# Numbers that are never indicator values: calendar words, legal references, ordinals before them.
_NOT_A_VALUE_BEFORE = re.compile(
    r"(?:\b(?:năm|tháng|ngày|quý|điều|khoản|chương|mục|khóa|khoá|số|lần thứ|thứ|kỳ họp|phiên|giai đoạn|"
    r"phụ lục|biểu|mẫu|tuần|nhiệm kỳ|thời kỳ|đợt|cấp|loại|hạng|độ|lớp|tầm nhìn đến|đến năm|từ năm)|"
    r"[/.-])\s*$",
    re.IGNORECASE,
)
_TIME_NOUNS = frozenset(
    ["năm", "tháng", "ngày", "quý", "tuần", "giờ", "phút", "lần", "tuổi", "giây", "kỳ", "đợt", "khóa", "khoá"]
)
# A counted noun ends where a verb, link or bound starts ("550 doanh nghiệp với vốn …").
_COUNT_STOP = frozenset(
    ["đạt", "tăng", "giảm", "với", "và", "trong", "đó", "được", "có", "theo", "trở", "lên", "đi", "làm", "từ", "tại", "của", "cho", "là", "so", "trên", "dưới", "khoảng", "thuộc", "gồm", "ở", "đến", "hoặc", "hay", "nhưng", "đã", "sẽ", "đang", "vào", "chuyển"]
)

_NUM = r"\d{1,3}(?:\.\d{3})+(?:,\d+)?|\d+(?:,\d+)?"
_MONEY = r"(?:(?:nghìn|ngàn|triệu|tỷ|tỉ)\s+)?(?:đồng|USD|usd|đô la(?: Mỹ)?)(?:/(?:người/năm|người|năm|tháng|hộ|ha))?"
_MEASURE = r"(?:ha|km2|km²|km|m2|m²|m3|m³|tấn|kg|MW|kW|kWh|GWh|lít|tỷ kWh|triệu kWh|triệu tấn|nghìn tấn|triệu lượt|nghìn lượt)"
_RATE = r"[^\W\d_]+(?:\s[^\W\d_]+){0,2}/(?:(?:vạn|nghìn|ngàn|triệu|trăm)\s)?[^\W\d_]+"
_UNIT_AT = [
    re.compile(r"\s?%(?:/năm)?"),
    re.compile(rf"\s(?:{_MONEY})(?![\w])"),
    re.compile(rf"\s?(?:{_MEASURE})(?![\w])"),
    re.compile(rf"\s(?:{_RATE})"),
]
_MEASURE_UNIT = re.compile(_MEASURE)
_RANGE_JOIN = re.compile(r"\s?[-–]\s?|\s(?:đến|tới)\s")
_PERIOD_PATTERNS = [
    re.compile(
        r"(?P<p>(?:6|06|9|09|3|03|sáu|chín|ba)\s+tháng\s+(?:đầu\s+|cuối\s+)?năm\s+(?P<y>\d{4}))",
        re.IGNORECASE,
    ),
    re.compile(
        r"(?:giai đoạn|thời kỳ|nhiệm kỳ|kế hoạch 5 năm|5 năm)\s+(?P<a>\d{4})\s?[-–]\s?(?P<b>\d{4})",
        re.IGNORECASE,
    ),
    re.compile(r"(?<![\d/.-])(?P<a>(?:19|20)\d{2})\s?[-–]\s?(?P<b>(?:19|20)\d{2})(?![\d/])"),
    re.compile(
        r"(?:đến|cuối|trong|vào|của|đầu|hết|tính đến|năm)\s+(?:năm\s+)?(?P<y>(?:19|20)\d{2})\b", re.IGNORECASE
    ),
    re.compile(r"\bnăm\s+(?P<y>(?:19|20)\d{2})\b", re.IGNORECASE),
]


_MONTH_COUNTS = {"sáu": "6", "chín": "9", "ba": "3"}


@dataclass(frozen=True)
class Value:
    """A figure found in a clause: where it is, as written, and what it is in."""

    start: int  # offsets into the clause
    end: int
    text: str
    numbers: tuple[float, ...]
    unit: str | None
    counted: bool  # the unit is the noun counted ("550 doanh nghiệp"), not a measure


@dataclass(frozen=True)
class Clause:
    text: str
    start: int  # offset in the chunk text
    lead: str | None  # the indicator a "trong đó" or "X:" list hangs under


# ---- small pure functions ---------------------------------------------------------------------------------


def period_in(text: str) -> str | None:
    """The period a phrase names: "6 tháng đầu năm 2023", "2021-2025", "2025"; None if it names none."""
    for pattern in _PERIOD_PATTERNS:
        m = pattern.search(text)
        if not m:
            continue
        groups = m.groupdict()
        if groups.get("p"):
            # "Sáu tháng đầu năm 2023", "06 tháng …" → "6 tháng đầu năm 2023": one spelling per period.
            months, rest = re.sub(r"\s+", " ", m.group("p")).split(" ", 1)
            return f"{_MONTH_COUNTS.get(months.lower(), months.lstrip('0'))} {rest}"
        if groups.get("a") and groups.get("b"):
            return f"{groups['a']}-{groups['b']}"
        if groups.get("y"):
            return groups["y"]
    return None


# The three economic sectors of the national statistics (GSO), which documents name either way: "Khu vực I"
# or "khu vực nông - lâm - thủy sản", "khu vực II" or "công nghiệp - xây dựng", "khu vực III" or "dịch vụ".
# Officials also say "ngành" or "lĩnh vực" for a sector, when the name is the sector's whole name ("ngành dịch
# vụ", "ngành công nghiệp - xây dựng", "ngành nông, lâm, thủy sản"); "ngành công nghiệp" alone is industry.
_SECTOR_NAMES = (
    (
        re.compile(
            r"\bkhu vuc nong(?: nghiep)?(?:\W+lam(?: nghiep)?)?(?:\W+(?:va\W+)?(?:ngu nghiep|thuy san))?"
        ),
        "khu vuc i",
    ),
    (
        re.compile(
            r"\b(?:nganh|linh vuc) nong(?: nghiep)?\W+lam(?: nghiep)?\W+(?:va\W+)?(?:ngu nghiep|thuy san)"
        ),
        "khu vuc i",
    ),
    (re.compile(r"\bkhu vuc cong nghiep(?:\W+(?:va\W+)?xay dung)?"), "khu vuc ii"),
    (re.compile(r"\b(?:nganh|linh vuc) cong nghiep\W+(?:va\W+)?xay dung\b"), "khu vuc ii"),
    (re.compile(r"\b(?:khu vuc|nganh|linh vuc) dich vu\b"), "khu vuc iii"),
)


def _sector_named_by_number(folded: str) -> str:
    for pattern, name in _SECTOR_NAMES:
        folded = pattern.sub(name, folded)
    return folded


def indicator_key(indicator: str) -> str:
    """Folded words of an indicator, its figures, periods and joining words left out; an economic sector
    by its number."""
    words = re.findall(r"[a-z0-9]+", _sector_named_by_number(_KEY_DIRECTION.sub("", fold(indicator).strip())))
    return " ".join(w for w in words if w not in _KEY_STOP and not w.isdigit())


def _unit_after(text: str, pos: int) -> tuple[str, int] | None:
    for pattern in _UNIT_AT:
        m = pattern.match(text, pos)
        if m:
            return m.group(0).strip(), m.end()
    return None


# A noun phrase the document counts or lists ("550 doanh nghiệp với", "các kịch bản sử dụng"): its words.
_COUNTED_PHRASE = re.compile(r"(?:(?<!\w)(?:các|những)|\d)\s+([^\W\d_]+(?:\s[^\W\d_]+){0,4})", re.IGNORECASE)


def counted_phrases(texts: Sequence[str]) -> frozenset[tuple[str, ...]]:
    """The word sequences a document writes after a count or a plural marker, lower-cased: how it names
    what it counts. `_counted_noun` reads from them where a counted noun ends."""
    return frozenset(
        tuple(m.group(1).lower().split()) for text in texts for m in _COUNTED_PHRASE.finditer(text)
    )


def _noun_end(words: list[str], seen: frozenset[tuple[str, ...]]) -> int:
    """How many of `words` (after a count) are the noun counted: the shortest head of two words or more that
    the document also counts or lists followed by other words ("134 doanh nghiệp khởi nghiệp" beside "550
    doanh nghiệp với …": the noun is "doanh nghiệp", "khởi nghiệp" says which). A compound always written
    whole ("15 hợp tác xã") stays whole."""
    lower = [w.lower() for w in words]
    for j in range(2, len(lower)):
        head = tuple(lower[:j])
        if any(s[:j] == head and (len(s) == j or s[j] != lower[j]) for s in seen):
            return j
    return len(words)


def _counted_noun(
    text: str, pos: int, seen: frozenset[tuple[str, ...]] = frozenset()
) -> tuple[str, int] | None:
    """The noun a bare count counts: "550 doanh nghiệp với …" → "doanh nghiệp"."""
    m = re.match(r"\s([^\W\d_]+(?:\s[^\W\d_]+){0,3})", text[pos:])
    if not m:
        return None
    words: list[str] = []
    for word in m.group(1).split():
        if word.lower() in _COUNT_STOP or (words and word[0].isupper()):
            break
        words.append(word)
    words = words[: _noun_end(words, seen)]
    # A capitalised word is a name ("Bến Tre"), but an acronym is a noun counted ("320 DN", "15 HTX").
    acronym = bool(words) and re.fullmatch(r"[A-ZĐ]{2,5}", words[0]) is not None
    if not words or words[0].lower() in _TIME_NOUNS or (words[0][0].isupper() and not acronym):
        return None
    noun = words[0] if acronym else " ".join(words)  # an acronym is the whole noun: "320 DN đăng ký …"
    return noun, pos + 1 + len(noun)


# A figure written against its unit, as typed or extracted from a PDF: "1.950ha", "30MW", "12,5%".
_GLUED_NUMBER = re.compile(rf"(?<![\w.,])(?:{_NUM})(?=(?:{_MEASURE})(?!\w))")


def _numbers_with_glued_units(clause: str) -> list[NumberMention]:
    """The clause's numbers; one written against a measure unit ("trên 1.950ha") is read whole, where the
    general reader sees "1" before ".950ha"."""
    glued = []
    for m in _GLUED_NUMBER.finditer(clause):
        value = parse_vn_number(m.group(0))
        if value is not None:
            glued.append(NumberMention(m.group(0), value, m.start(), m.end()))
    if not glued:
        return find_numbers(clause)
    spans = [(g.start, g.end) for g in glued]
    kept = [n for n in find_numbers(clause) if not any(a <= n.start < b for a, b in spans)]
    return sorted(kept + glued, key=lambda n: n.start)


def find_values(clause: str, seen: frozenset[tuple[str, ...]] = frozenset()) -> list[Value]:
    """Figures with a unit in a clause; "X - Y unit" and "X% - Y%" are one value with both ends. `seen`: the
    phrases the document counts (`counted_phrases`), which say where a counted noun ends."""
    mentions = _numbers_with_glued_units(clause)
    values: list[Value] = []
    i = 0
    while i < len(mentions):
        first = mentions[i]
        i += 1
        rank = _rank_at(clause, first)
        if rank is not None:
            values.append(rank)
            i += 1 if i < len(mentions) and mentions[i].start == first.end + 1 else 0  # the "/63" is its own
            continue
        if _is_reference(clause, first.end):
            continue
        numbers = [float(first.value)]
        end = first.end
        unit_found = _unit_after(clause, end)
        # "năm 2025", "Điều 3": a calendar or legal word before a bare number; "hàng năm 1%" is still a figure.
        if unit_found is None and _NOT_A_VALUE_BEFORE.search(clause[: first.start]):
            continue
        # "giảm sâu (-5,31%)": a minus sign right after an opening parenthesis is the figure's sign.
        signed = unit_found is not None and re.search(r"\(\s*-$", clause[: first.start]) is not None
        if unit_found is not None and not signed and re.search(r"[/.-]\s*$", clause[: first.start]):
            continue
        # A range: "6,0% - 6,5%", "35.000 - 40.000 tỷ đồng", "0,5 - 1%".
        after_first = unit_found[1] if unit_found else end
        join = _RANGE_JOIN.match(clause, after_first)
        if join and i < len(mentions) and mentions[i].start == join.end():
            second = mentions[i]
            second_unit = _unit_after(clause, second.end)
            # "4%-4,7%/năm": the second end's unit may add the "/năm" the first leaves out.
            if second_unit and (unit_found is None or second_unit[0].startswith(unit_found[0])):
                numbers.append(float(second.value))
                unit_found = second_unit
                i += 1
        counted = False
        if unit_found is None:
            unit_found = _multiple_after(clause, first.start, end)
        if unit_found is None:
            noun = _counted_noun(clause, end, seen)
            if noun is None:
                continue
            unit_found, counted = noun, True
        unit, end = unit_found
        start = first.start - 1 if signed and len(numbers) == 1 else first.start
        if start < first.start:
            numbers = [-numbers[0]]
        values.append(Value(start, end, clause[start:end], tuple(numbers), unit, counted))
    return values


RANK = "thứ hạng"
# "xếp ở vị trí thứ 7/63 tỉnh/thành", "đứng thứ 2/13": a place among so many, as the document writes it.
_RANK_BEFORE = re.compile(r"\b(?:xếp|đứng|hạng|vị trí)\b[^,;.]{0,20}?\bthứ\s+$", re.IGNORECASE)


def _rank_at(clause: str, number: NumberMention) -> Value | None:
    out_of = re.match(r"/\d{1,3}(?!\d)", clause[number.end :])
    before = re.search(r"\bthứ\s+$", clause[: number.start], re.IGNORECASE)
    if out_of is None or before is None or not _RANK_BEFORE.search(clause[: number.start]):
        return None
    end = number.end + out_of.end()
    return Value(before.start(), end, clause[before.start() : end], (float(number.value),), RANK, False)


# "gấp 2 lần", "bằng 1,67 lần về vốn đăng ký": a multiple of another figure, not a count of occasions ("lần thứ").
_MULTIPLE_VERB = re.compile(r"\b(?:gấp|bằng|tăng|hơn)\s*$", re.IGNORECASE)
_MULTIPLE_UNIT = re.compile(r"\s(lần)(?!\w)(?!\s+thứ\b)", re.IGNORECASE)


def _multiple_after(clause: str, start: int, end: int) -> tuple[str, int] | None:
    unit = _MULTIPLE_UNIT.match(clause, end)
    if unit is None or not _MULTIPLE_VERB.search(clause[:start]):
        return None
    return unit.group(1), unit.end()


def _is_reference(text: str, end: int) -> bool:
    """ "16/6", "31/2024/QH15", "1/2000": a date or a document number, not a figure."""
    return bool(re.match(r"/\d|\.\d|\s?(?:/|-)\s?[A-ZĐ]{2,}", text[end:]))


def _qualifier(before: str) -> str | None:
    m = _QUALIFIER.search(before)
    return m.group(0).strip() if m else None


def with_bounds(clause: str, value: Value, before_start: int) -> Value:
    """The value as the document states it, bounds included: "khoảng 70%", "từ 35% trở lên", "trên 2.500
    người" — a target of "at least 27%" is not a target of 27%."""
    start, end = value.start, value.end
    m = _QUALIFIER.search(clause[before_start : value.start])
    if m:
        start = before_start + m.start()
    after = _QUALIFIER_AFTER.match(clause, end)
    if after:
        end = after.end()
    if (start, end) == (value.start, value.end):
        return value
    return Value(start, end, clause[start:end], value.numbers, value.unit, value.counted)


def clean_indicator(before: str, *, split_links: bool = True) -> str:
    """The indicator's own words: what precedes a value, without its verb, bound, period or list label.

    In running prose only the last link of a chain names the figure ("…, đạt mức tăng trưởng dương cả năm
    với GRDP đạt" → "GRDP"); a target list item is one noun phrase, commas included ("có bằng cấp, chứng chỉ")."""
    text = re.sub(r"\s+", " ", before).strip()
    if split_links and text:
        links = re.split(r",\s*|\b(?:với|đặc biệt|nhất là|nhưng|song|nên)\s+", text)
        text = links[-1]
        # A bare acronym ("… mức tăng trưởng dương cả năm với GRDP") is named by the link before it.
        if len(links) > 1 and re.fullmatch(r"[A-ZĐ0-9&/-]{2,}\s*(?:đạt|tăng|giảm|là)?\s*", text):
            joined = re.sub(r"\s+", " ", before).strip()
            text = joined[joined.rfind(links[-2]) :]
        elif len(links) > 1 and re.fullmatch(r"\s*(?:đạt|tăng|giảm|là|ở mức)\s*", text, re.IGNORECASE):
            # "Khu vực Dịch vụ … đạt mức tăng trưởng dương cả năm, đạt 1,29%": a bare result verb repeats
            # the link before it, which names the figure.
            text = links[-2]
    full = text
    for _ in range(8):
        previous = text
        text = _strip_period_phrases(text)
        text = _TRAILING.sub("", text.rstrip(" (")).strip(" ,;:-–")
        text = _LEADING.sub("", text).strip()
        if text == previous:
            break
    if 0 < len(text.split()) <= 2 and len(full.split()) > len(text.split()):
        # "tốc độ tăng bình quân": the verb is part of a short name; drop only bounds and periods.
        light = _LEADING.sub(
            "", _BOUNDS_TRAILING.sub("", _strip_period_phrases(full)).strip(" ,;:-–")
        ).strip()
        # "phấn đấu đến năm 2025 phát triển": the period shows once the label before it is gone.
        light = _strip_period_phrases(light).strip()
        text = light if len(light.split()) > len(text.split()) else text
    return text.strip(" ,;:-–*")


def _strip_period_phrases(text: str) -> str:
    text = re.sub(
        r"\s*(?:bình quân\s+)?(?:giai đoạn|thời kỳ)\s+\d{4}\s?[-–]\s?\d{4}\s*$|\s*(?:\d{4}\s?[-–]\s?\d{4})\s*$|"
        r"\s*(?:đến|cuối|trong|vào|hết|đầu)?\s*(?:cuối\s+)?năm\s+\d{4}\s*$|\s*(?:\d+\s+tháng\s+(?:đầu|cuối)?\s*năm(?:\s+\d{4})?)\s*$|"
        r"\s*(?:đến|tính đến)\s+ngày\s+\d+\s+tháng\s+\d+\s+năm\s+\d{4}\s*$",
        "",
        text,
        flags=re.IGNORECASE,
    )
    return re.sub(
        r"^\s*(?:(?:đến|tính đến)\s+ngày\s+\d+\s+tháng\s+\d+\s+năm\s+\d{4}|(?:đến|cuối|trong|vào)\s+năm\s+\d{4}|"
        r"(?:trong\s+)?\d+\s+tháng\s+(?:đầu\s+|cuối\s+)?năm(?:\s+\d{4})?)[,\s]*",
        "",
        text,
        flags=re.IGNORECASE,
    )


def split_clauses(text: str) -> list[Clause]:
    """Clauses of a passage: split at ";", sentence ends and line breaks; a clause ending in ":" or "trong đó"
    leads the clauses after it in the same passage."""
    clauses: list[Clause] = []
    lead: str | None = None
    # ", trong đó …" opens a breakdown: a clause of its own.
    text = re.sub(r",\s*(?=trong đó\b)", ";", text)
    for m in re.finditer(r"[^;\n]+", text):
        piece, offset = m.group(0), m.start()
        for sentence in re.finditer(r"(?:[^.!?…]|\.(?=\d)|\.(?!\s))+[.!?…]*", piece):
            raw = sentence.group(0)
            stripped = raw.strip()
            if not stripped:
                continue
            start = offset + sentence.start() + (len(raw) - len(raw.lstrip()))
            # "Cơ cấu kinh tế:" / "Trong đó:" → what follows hangs under it.
            head = re.match(r"^(.*?)(?:\.\s*)?(?:trong đó|gồm|cụ thể)?\s*:\s*$", stripped, re.IGNORECASE)
            if head is not None and not find_numbers(stripped):
                lead = clean_indicator(head.group(1)) or lead
                continue
            sub = re.match(r"^(?:trong đó|riêng|cụ thể)[,:]?\s+", stripped, re.IGNORECASE)
            clauses.append(Clause(stripped, start, lead if (sub or lead) else None))
    return clauses


def _without_compared_periods(text: str) -> str:
    """ "… tăng 1,67 lần so với cùng kỳ năm 2020": the period compared with is not the clause's own."""
    return re.sub(
        r"\bso\s+(?:với\s+)?(?:cùng\s+kỳ\s+|kế\s+hoạch\s+)?(?:năm\s+)?(?:19|20)\d{2}\b",
        " ",
        text,
        flags=re.IGNORECASE,
    )


# "Từ đầu năm đến nay", "từ đầu năm 2021 đến hết tháng 8": the months from the year's start to the date the
# document is written (or to the month named).
_YEAR_TO_DATE = re.compile(
    r"\btừ\s+đầu\s+năm(?:\s+nay|\s+(?P<y>(?:19|20)\d{2}))?\s*,?\s+(?:đến|tới)\s+"
    r"(?:nay|hiện nay|thời điểm này|(?:hết\s+|cuối\s+|giữa\s+)?tháng\s+(?P<m>\d{1,2})(?!\s*/|\d))",
    re.IGNORECASE,
)


def months_to_date(text: str, date: str | None) -> str | None:
    """The period "từ đầu năm đến nay" means in a document dated `date` (ISO, "2021-09"): "9 tháng đầu năm
    2021". A month named ("đến hết tháng 8") speaks for itself. None without a month to count to, or when the
    year written is not the document's."""
    m = _YEAR_TO_DATE.search(text)
    if m is None:
        return None
    dated = re.match(r"((?:19|20)\d{2})-(\d{2})", date or "")
    year = m.group("y") or (dated.group(1) if dated else None)
    if m.group("m"):
        month = int(m.group("m"))
    elif dated and dated.group(1) == year:
        month = int(dated.group(2))
    else:
        return None
    if year is None or not 1 <= month <= 12:
        return None
    return year if month == 12 else f"{month} tháng đầu năm {year}"


def _part_of_year(text: str, period: str | None) -> str | None:
    """ "6 tháng đầu năm" with no year, in a passage about one year: that part of that year."""
    m = re.search(
        r"\b(?:6|06|9|09|3|03|sáu|chín|ba)\s+tháng\s+(?:đầu\s+|cuối\s+)?năm\b(?!\s*\d)", text, re.IGNORECASE
    )
    if m is None or not period or not re.fullmatch(r"(?:19|20)\d{2}", period):
        return None
    return period_in(f"{m.group(0)} {period}")


def _period_of(text: str) -> str | None:
    # A legal reference's date is no period: "Nghị quyết số 45/NQ-HĐND ngày 08 tháng 12 năm 2022".
    text = re.sub(r"\bngày\s+\d{1,2}\s+tháng\s+\d{1,2}\s+năm\s+(\d{4})", r"năm \1", text)
    return period_in(text)


def _status(local: str, clause: str, section: str, kind: str, in_target_list: bool) -> str:
    """Planned, estimated or done: the words next to the figure speak first, then its clause, its heading,
    its kind of document ("Báo cáo" reports results, "Nghị quyết" sets targets)."""
    for text in (local, clause):
        folded = fold(text)
        if _ESTIMATE_CUE.search(folded):
            return ESTIMATE
        if _ACHIEVED_CUE.search(folded):
            return ACHIEVED
        if _TARGET_CUE.search(folded):
            return TARGET
    if in_target_list:
        return TARGET if not kind.startswith(_RESULT_KINDS) else ACHIEVED
    folded_section = fold(section)
    if _RESULT_HEADING.search(folded_section):
        return ACHIEVED
    if _TARGET_HEADING.search(folded_section):
        return TARGET
    return TARGET if kind.startswith(_TARGET_KINDS) else ACHIEVED


@dataclass(frozen=True)
class _Compared:
    text: str
    end: int  # where the compared-to words end in the clause


def _comparison(clause: str, value: Value) -> _Compared | None:
    """ "đạt 92,8% kế hoạch", "tăng 6,9% so cùng kỳ": the figure with its verb and what it is measured against."""
    tail = clause[value.end :]
    m = _COMPARISON_TAIL.match(fold(tail))
    if not m:
        return None
    verb = re.search(r"(?:đạt|tăng|giảm|bằng|gấp|vượt|ước đạt)\s*$", clause[: value.start], re.IGNORECASE)
    start = verb.start() if verb else value.start
    end = value.end + m.end()
    # Extend to the end of the compared-to words ("so với cùng kỳ năm trước"), not into the next figure.
    rest = re.match(
        r"(?:[^,;.()]|[,.](?=\d))*?(?=\s+(?:và|nhưng|trong đó)\s|[,;()]|\.(?!\d)|$)", clause[end:]
    )
    end += len(rest.group(0).rstrip()) if rest else 0
    return _Compared(clause[start:end].strip(), end)


def _in_parentheses(text: str, pos: int) -> bool:
    return text.rfind("(", 0, pos) > text.rfind(")", 0, pos)


def _aside(clause: str, value: Value) -> bool:
    """A figure in a parenthetical remark ("(6 tháng đầu năm tăng trưởng âm 2,07%)"): context, not a record.
    A bare figure in parentheses ("hoàn thành (100%)") still is one."""
    if not _in_parentheses(clause, value.start):
        return False
    open_at = clause.rfind("(", 0, value.start)
    close_at = clause.find(")", value.end)
    inside = clause[open_at + 1 : close_at if close_at >= 0 else len(clause)]
    return bool(re.search(r"[^\W\d_]{2,}", inside.replace(value.text, "")))


# ---- one chunk -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Context:
    source: str
    title: str
    number: str | None
    date: str | None
    kind: str  # folded document kind
    period: str | None


def _is_target_list(chunk: StoredChunk) -> bool:
    """A list item (or paragraph) under a heading that announces targets."""
    path = [str(p) for p in (chunk.metadata.get("section_path") or [])] or [chunk.section]
    # "… các chỉ tiêu chủ yếu", "… với các mục tiêu", "Phát triển kinh tế số đến năm 2030": a list of targets.
    return any(
        _TARGET_LIST_HEADING.search(fold(p)) or re.search(r"\bden nam (?:19|20)\d{2}\b", fold(p))
        for p in path
    )


def _section_period(chunk: StoredChunk) -> str | None:
    for part in reversed([str(p) for p in (chunk.metadata.get("section_path") or [])]):
        found = _period_of(part)
        if found:
            return found
    return None


def _location(chunk: StoredChunk) -> str:
    return chunk.section or "toàn văn"


def _record(
    chunk: StoredChunk,
    k: int,
    ctx: _Context,
    *,
    indicator: str,
    value: Value,
    period: str | None,
    status: str,
    comparison: str | None,
    quote: str,
    qualifier: str | None,
    location: str,
) -> IndicatorRecord:
    return IndicatorRecord(
        id=f"{chunk.chunk_id}:{k}",
        indicator=indicator,
        key=indicator_key(indicator),
        value_text=value.text,
        numbers=value.numbers,
        unit=value.unit,
        period=period,
        status=status,
        comparison=comparison,
        source=ctx.source,
        title=ctx.title,
        number=ctx.number,
        date=ctx.date,
        location=location,
        quote=quote,
        chunk_id=chunk.chunk_id,
        qualifier=qualifier,
    )


def _after_words(clause: str, value: Value, next_start: int) -> tuple[str, int]:
    """What follows a value up to the next figure or link, and where it ends:
    "80% xã đạt chuẩn nông thôn mới" → "xã đạt chuẩn nông thôn mới"."""
    tail = clause[value.end : next_start]
    # "74.000ha trồng dừa và trên 1.950ha …": a "và" just before the next figure opens that figure's words.
    tail = re.split(r"[,;:(]|\btrong đó\b|\bso với\b|\bso\b|\bvới\b|\bvà(?=(?:\s+\S+){0,2}\s*$)", tail)[0]
    words = tail.split()[:12]
    return _TRAILING.sub("", " ".join(words)).strip(" ,;:-–."), value.end + len(tail)


def _text_records(
    chunk: StoredChunk, ctx: _Context, seen: frozenset[tuple[str, ...]] = frozenset()
) -> list[IndicatorRecord]:
    text = chunk.text
    if re.match(r"\s*\*?(?:căn cứ|xét tờ trình|theo đề nghị)\b", text, re.IGNORECASE):
        return []  # the legal basis cites other documents' numbers, never this one's figures
    is_item = chunk.metadata.get("chunk_kind") == "item"
    target_list = _is_target_list(chunk) and is_item
    clauses = split_clauses(text)
    # The passage's own period is in its first clause with words ("**3. **Phấn đấu … đến năm 2030 …").
    opening = next((c.text for c in clauses if re.search(r"[^\W\d_]{2,}", c.text)), "")
    passage_period = (
        months_to_date(opening, ctx.date)
        or _period_of(_without_compared_periods(opening))
        or _section_period(chunk)
        or ctx.period
    )
    records: list[IndicatorRecord] = []
    first_indicator: str | None = None
    in_breakdown = False  # after "trong đó": the figures are parts of the passage's first indicator
    lead: str | None = None  # after "X: …" in a passage: its figures are parts of X
    # "Phấn đấu mỗi năm phát triển …; có tối thiểu 05 kịch bản …": a rate per year said earlier in the
    # sentence covers its later clauses too.
    per_year_sentence = False
    for clause in clauses:
        opens_breakdown = bool(re.match(r"^(?:trong đó|riêng)\b", clause.text, re.IGNORECASE))
        if _starts_sentence(text, clause.start):
            per_year_sentence = False
        if _starts_sentence(text, clause.start) and not opens_breakdown:
            # "…, trong đó lực lượng tự vệ đạt 60%. Huấn luyện lực lượng thường trực đạt 100%": a new
            # sentence names its own indicator; it is no part of the breakdown before it.
            in_breakdown, first_indicator = False, None
        in_breakdown = in_breakdown or opens_breakdown
        previous_end = 0
        previous_indicator: str | None = None
        subject: str | None = None  # the clause's last indicator named in full: its siblings hang under it
        clause_period = months_to_date(clause.text, ctx.date) or _period_of(
            _without_compared_periods(clause.text)
        )
        values = find_values(clause.text, seen)
        for n, value in enumerate(values):
            before_start = previous_end
            before = clause.text[previous_end : value.start]
            previous_end = value.end
            own_period = _own_period(before, clause_period or passage_period)
            aside = _aside(clause.text, value)
            if aside and own_period in (None, clause_period or passage_period):
                # A remark on the figure before it, of the same period: context, not a figure. One that
                # names another period ("3,49% (6 tháng đầu năm âm 1,37%)") is that period's figure.
                continue
            if not (target_list or _stated_as_figure(clause.text, value, before)):
                continue
            if ":" in before and not re.match(r"^\s*(?:trong đó|gồm|cụ thể)\s*:", before, re.IGNORECASE):
                # "Cơ cấu kinh tế đến năm 2025: Khu vực I chiếm …": the words before ":" head what follows.
                head, label = before.rsplit(":", 1)
                if re.search(r"[^\W\d_]", label):
                    before = label
                    lead = clean_indicator(head, split_links=not is_item) or lead
                else:
                    before = head  # "Tổng thu ngân sách …: 3.790.000 triệu đồng": the colon is the verb
            own = clean_indicator(before, split_links=not is_item)
            next_start = values[n + 1].start if n + 1 < len(values) else len(clause.text)
            after, after_end = _after_words(clause.text, value, next_start)
            # "…, nâng cấp 12 km đường huyện": the work and what it is done on name a measured figure of their
            # own, not a sibling of the clause's first one.
            by_work = bool(
                after and _MEASURE_UNIT.fullmatch(value.unit or "") and _QUANTITY_WORK.search(fold(own))
            )
            if value.counted:
                # "Công nhận 05 xã đạt chuẩn nông thôn mới": the counted noun and what it says are the indicator.
                own = " ".join(w for w in (own, value.unit or "", after) if w)
                previous_end = after_end
            elif after and (
                (
                    not previous_indicator
                    and (len(own.split()) <= 2 or _MEASURE_UNIT.fullmatch(value.unit or ""))
                )
                or (not own and re.search(r"\bvà\s", before) and _comparison(clause.text, value) is None)
                or by_work
            ):
                # "Có 80% xã đạt chuẩn …", "hoàn thành (100%) việc xóa nhà tạm", "74.000ha trồng dừa và trên
                # 1.950ha nuôi tôm", "Đề án phát triển 4.000ha nuôi tôm biển": the words after name it (an
                # area or a capacity says what it is of after the figure). After "đạt 92,8% kế hoạch" they
                # name the plan it is measured against, not the figure.
                own = " ".join(w for w in (own, after) if w)
                previous_end = after_end
            if not own:
                own = previous_indicator or (value.unit if value.unit and "/" in value.unit else "") or ""
            elif aside and previous_indicator and fold(own) in fold(previous_indicator):
                # "đạt mức tăng trưởng …, đạt 1,29% (6 tháng đầu năm tăng trưởng âm 2,07%)": the remark
                # gives the same indicator's figure for another period.
                own = previous_indicator
            elif (
                previous_indicator
                and not by_work
                and len(own.split()) <= 4
                and fold(own) not in fold(previous_indicator)
            ):
                # "tổng giá trị sản phẩm Xoài …, tốc độ tăng bình quân 08 - 09%/năm": a short name after
                # another figure of the clause is that figure's subject's. Siblings in a row ("thường trực
                # đạt 100%, dự bị động viên đạt 98,5%, dân quân tự vệ đạt 90%") all hang under the subject,
                # not under each other.
                own = f"{subject or previous_indicator}: {own}"
            else:
                subject = own
            if not own:
                continue
            parent = clause.lead or lead or (first_indicator if in_breakdown else None)
            indicator = f"{parent}: {own}" if parent and fold(parent) not in fold(own) else own
            previous_indicator = own
            if not in_breakdown:
                first_indicator = first_indicator or indicator
            compared = _comparison(clause.text, value)
            comparison = compared.text if compared else None
            if compared:
                previous_end = max(previous_end, compared.end)
            local = re.split(r",\s*", before)[-1]
            status = _status(local, clause.text, chunk.section, ctx.kind, target_list)
            if comparison and status != TARGET:
                status = COMPARISON
            period = own_period or clause_period or passage_period
            per_year = _PER_YEAR.search(f"{before} {value.unit or ''}") or (
                per_year_sentence and not clause_period
            )
            if not own_period and per_year:
                period = next((p for p in (passage_period, ctx.period) if p and "-" in p), period)
            stated = with_bounds(clause.text, value, before_start)
            previous_end = max(previous_end, stated.end)
            records.append(
                _record(
                    chunk,
                    len(records),
                    ctx,
                    indicator=indicator,
                    value=stated,
                    period=period,
                    status=status,
                    comparison=comparison,
                    quote=text,
                    qualifier=_qualifier(before),
                    location=_location(chunk),
                )
            )
        per_year_sentence = per_year_sentence or bool(_PER_YEAR.search(clause.text))
    return records


def _own_period(before: str, around: str | None) -> str | None:
    """The period the words before a figure name, if any. "Mặc dù trong 6 tháng đầu năm …, nhưng … cả năm
    0,12%": a part of the year names the figure's period only in the figure's own link."""
    return _period_of(_without_compared_periods(before)) or _part_of_year(
        re.split(r",\s*", before)[-1], around
    )


def _stated_as_figure(clause: str, value: Value, before: str) -> bool:
    """Outside a target list, a figure counts when the clause states it as a result: a count its verb
    introduces however far back ("công nhận thêm 06 xã", "lũy kế có 55 xã"), a share of the plan whatever
    verb brings it ("giải ngân 100% kế hoạch vốn"), any other figure right after a result verb."""
    if value.unit == RANK:
        return True
    if value.counted:
        # The verb right before the count, or a result verb before it: "Triển khai có hiệu quả Đề án triệu
        # cây xanh 10 …" has "có" but no count of its own.
        near = re.search(rf"\b(?:{_MEASURE_VERBS})\b(?:\s+\S+){{0,2}}\s*$", before, re.IGNORECASE)
        return _has_measure_verb(before) and bool(near or _RESULT_VERB.search(fold(before.rstrip())))
    if value.unit == "%" and _comparison(clause, value) is not None:
        return True
    folded = fold(before.rstrip())
    if _RESULT_VERB.search(folded):
        return True
    # A capacity, area, length or tonnage is stated by the work that yields it, with no result verb: "đưa vào
    # khai thác thương mại 115 MW điện gió", "trồng mới 500 ha rừng", "nâng cấp 12 km đường"; or as an
    # attribute after "với": "với vốn đăng ký 5.000 tỷ đồng", "với tổng diện tích 1.200 ha".
    measured = bool(_MEASURE_UNIT.fullmatch(value.unit or ""))
    return (measured and bool(_QUANTITY_WORK.search(folded))) or bool(_ATTRIBUTE.search(folded))


# Work that yields a measured quantity, right before the figure (folded).
_QUANTITY_WORK = re.compile(
    r"\b(?:dua vao (?:su dung|khai thac|van hanh|hoat dong)(?: thuong mai)?|hoa luoi(?: dien)?|van hanh thuong mai"
    r"|khoi cong(?: xay dung)?|xay dung(?: moi)?|nang cap|cai tao|lam moi|mo rong|nao vet|lap dat|trong(?: moi)?"
    r"|trong rung|nuoi(?: trong)?|thu hoach|san xuat|xuat khau|tieu thu|chuyen doi|cung hoa|be tong hoa|nhua hoa)$"
)
# "với vốn đăng ký ban đầu …", "với tổng diện tích …": a figure as an attribute of what the clause names
# (a noun of one to five words after "với", no verb between).
_ATTRIBUTE = re.compile(
    r"\bvoi (?:tong )?(?:von|dien tich|cong suat|quy mo|chieu dai|san luong|kinh phi|tong muc dau tu|gia tri)"
    r"(?: [a-z]+){0,4}$"
)


def _starts_sentence(text: str, start: int) -> bool:
    """The clause at `start` opens a sentence of the passage (its first, or one after a full stop)."""
    return bool(re.search(r"(?:^|[.!?…])\s*$", text[:start]))


# Verbs that introduce a count: "đạt 550 doanh nghiệp", "công nhận thêm 06 xã", "lũy kế có 55 xã".
_MEASURE_VERBS = "đạt|tăng|giảm|có|thành lập|giải quyết|đào tạo|thu hút|công nhận|phát triển"


def _has_measure_verb(before: str) -> bool:
    return bool(re.search(rf"\b(?:{_MEASURE_VERBS})\b[^,;]*$", before, re.IGNORECASE))


# Column headers that say a column's figures are estimates, results or plans.
_COLUMN_STATUS = [
    (re.compile(r"\b(?:uth|uoc)\b"), ESTIMATE),
    (re.compile(r"\b(?:kh|ke hoach|muc tieu|chi tieu|du toan|du kien|dinh huong)\b"), TARGET),
    (re.compile(r"\b(?:th|thuc hien|ket qua)\b"), ACHIEVED),
    (re.compile(r"\bso sanh\b|%\s*(?:so|kh)|\bty le\b.*\bso\b"), COMPARISON),
]


def _row_records(chunk: StoredChunk, ctx: _Context) -> list[IndicatorRecord]:
    meta = chunk.metadata
    columns = [str(c) for c in (meta.get("columns") or [])]
    cells = [str(c) for c in (meta.get("cells") or [])]
    if not cells:
        return []
    label_at = next(
        (
            i
            for i, c in enumerate(cells)
            if re.search(r"[^\W\d_]{2,}", _plain(c)) and not _is_ordinal(_plain(c))
        ),
        None,
    )
    if label_at is None:
        return []
    label = _plain(cells[label_at])
    unit_col = next(
        (i for i, c in enumerate(columns) if re.fullmatch(r"dvt|don vi(?: tinh)?", fold_col(c))), None
    )
    row_unit = _plain(cells[unit_col]) if unit_col is not None and unit_col < len(cells) else None
    path = [str(p) for p in (meta.get("section_path") or [])]
    # The row's parents in the table ("1 Cà Phê › Diện tích"): a bare "Diện tích" names nothing alone.
    table_title = str(meta.get("table_title") or "")
    # A row's parent row (not the table's own caption) names what a bare label measures.
    has_parent = len(path) >= 2 and path[-1].endswith(label) and _plain(path[-2]) != _plain(table_title)
    parent = _plain(re.sub(r"^[\dIVXLC]+\.?\s+", "", path[-2])) if has_parent else ""
    parent_words = set(indicator_key(parent).split())
    indicator = f"{parent} – {label}" if parent_words - set(indicator_key(label).split()) else label
    table_period = _period_of(table_title) or ctx.period
    records: list[IndicatorRecord] = []
    for i, cell in enumerate(cells):
        if i in (label_at, unit_col):
            continue
        raw = _plain(cell)
        if not re.fullmatch(rf"-?\s?(?:{_NUM})(?:\s?%)?", raw) or parse_vn_number(raw.strip("-% ")) is None:
            continue
        at = chunk.text.find(raw)
        if at < 0:
            continue  # value text must be the document's own
        header = columns[i] if i < len(columns) else ""
        if re.search(r"\b(?:stt|tt|mã)\b", fold(header)):
            continue
        unit = "%" if raw.endswith("%") else _header_unit(header) or row_unit
        value = Value(at, at + len(raw), raw, (float(parse_vn_number(raw.strip("-% ")) or 0),), unit, False)
        status = next((s for p, s in _COLUMN_STATUS if p.search(fold(header))), None)
        status = status or (TARGET if ctx.kind.startswith(_TARGET_KINDS) else ACHIEVED)
        period = header_period(header) or table_period
        column_indicator = indicator
        header_name = re.sub(r"\(.*?\)", "", header.split("/")[-1]).strip()
        if header_name and not _period_of(header_name) and not _COLUMN_STATUS[0][0].search(fold(header_name)):
            column_indicator = f"{indicator} – {header_name}"  # "Xoài – Giá trị tham gia xuất khẩu"
        location = f"{_location(chunk)} · cột {header}" if header else _location(chunk)
        records.append(
            _record(
                chunk,
                len(records),
                ctx,
                indicator=column_indicator,
                value=value,
                period=period,
                status=status,
                comparison=None,
                quote=chunk.text,
                qualifier=None,
                location=location,
            )
        )
    return records


def header_period(header: str) -> str | None:
    """A column's period: "GIAI ĐOẠN 2026 - 2030 / Năm 2027" → "2027", "Kế hoạch 2026 / Lượng (Tấn)" → "2026".
    The innermost header level that names a year speaks for the column; a header's year needs no "năm"."""
    for level in reversed(header.split("/")):
        found = _period_of(level)
        if found:
            return found
        years = re.findall(r"(?<!\d)(?:19|20)\d{2}(?!\d)", level)
        if len(years) == 1:
            return years[0]
        if len(years) == 2:
            return f"{years[0]}-{years[1]}"
    return None


def fold_col(text: str) -> str:
    return fold(_plain(text)).strip()


def _plain(cell: str) -> str:
    return re.sub(r"[*_`]+", "", cell).strip()


def _is_ordinal(text: str) -> bool:
    return bool(re.fullmatch(r"[IVXLC]+\.?|[a-zđ]\)?|\d+(?:\.\d+)*\.?|[-+•]", text.strip()))


def _header_unit(header: str) -> str | None:
    m = re.search(r"\(([^()]*)\)", header)
    return m.group(1).strip() if m and not re.search(r"\d{4}", m.group(1)) else None


def extract_indicators(chunks: Sequence[StoredChunk], meta: Mapping[str, Any]) -> list[IndicatorRecord]:
    """Every indicator figure in one document's chunks (in document order)."""
    if not chunks:
        return []
    ctx = _Context(
        source=str(meta.get("source") or chunks[0].source),
        title=str(meta.get("title") or meta.get("source") or chunks[0].source),
        number=meta.get("number") or None,
        date=meta.get("date") or None,
        kind=fold(str(meta.get("kind") or "")),
        period=(str(meta.get("period")).replace(" ", "") if meta.get("period") else None),
    )
    if ctx.period and not re.fullmatch(r"\d{4}(?:-\d{4})?", ctx.period):
        ctx = _Context(ctx.source, ctx.title, ctx.number, ctx.date, ctx.kind, nfc(str(meta.get("period"))))
    records: list[IndicatorRecord] = []
    seen = counted_phrases([c.text for c in chunks])
    for chunk in sorted(chunks, key=lambda c: c.ordinal):
        if chunk.metadata.get("chunk_kind") == "row" or chunk.metadata.get("cells"):
            records.extend(_row_records(chunk, ctx))
        else:
            records.extend(_text_records(chunk, ctx, seen))
    return records
