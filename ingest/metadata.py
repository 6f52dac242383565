"""What a document is: title, kind, number, issuer, date, period, signer.

`extract_metadata` reads the national layout of an administrative document (Decree
30/2020/NĐ-CP, the same in every province), not rules fitted to particular documents:

    TÊN CƠ QUAN (parent above, issuing body below)   |  CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM
                                                     |  Độc lập - Tự do - Hạnh phúc
    Số: 57/NQ-HĐND                                   |  Phú Yên, ngày 16 tháng 12 năm 2016
                              NGHỊ QUYẾT                        <- tên loại
                Về dự toán ngân sách … năm 2017                 <- trích yếu
    Căn cứ …  /  Điều 1. …                                      <- the body
                                                  TM. HỘI ĐỒNG NHÂN DÂN   <- quyền hạn
                                                  CHỦ TỊCH                <- chức vụ
                                                  Huỳnh Tấn Việt          <- the signer

Crawled copies carry this in Markdown (`**bold**`, `| cell |` two-column header tables,
`*italic*` dates, cells flattened one per line, hard line breaks inside names and the trích
yếu): markup and pipes are removed first, so no field ever carries them. Articles and news
items have no such header: their headline, dateline and byline are read instead. Pages saved from a legal
database carry the database's property table above the document ("Số hiệu:", "Loại văn bản:", "Người ký:",
"Ngày ban hành:"): it is read, and the header is looked for under it.

It guesses nothing the text does not say (a blank "Số: /BC-UBND" gives no number). A
`manifest.json` beside the documents overrides and fills: `{"file name": {"title": …}}`.
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ingest.cleaning import (
    SURNAMES,
    ends_with_terminal,
    is_all_caps,
    is_name_line,
    structure_label,
    word_count,
)
from ingest.errors import IngestError
from ingest.models import DocumentMeta, LoadedDocument
from ingest.text import fold

MANIFEST_NAME = "manifest.json"

# Tên loại: the kinds of administrative documents (Decree 30/2020/NĐ-CP, Art. 7) and of legal
# documents (Law on promulgation of legal documents), as the kind line writes them. Longer names
# first, so "THÔNG TƯ LIÊN TỊCH" is not read as "THÔNG TƯ".
_KIND_NAMES = tuple(
    sorted(
        (
            "HIẾN PHÁP", "BỘ LUẬT", "LUẬT", "PHÁP LỆNH", "LỆNH", "NGHỊ QUYẾT", "NGHỊ QUYẾT LIÊN TỊCH",
            "NGHỊ ĐỊNH", "QUYẾT ĐỊNH", "THÔNG TƯ", "THÔNG TƯ LIÊN TỊCH", "CHỈ THỊ", "QUY CHẾ", "QUY ĐỊNH",
            "THÔNG CÁO", "THÔNG BÁO", "HƯỚNG DẪN", "CHƯƠNG TRÌNH", "KẾ HOẠCH", "PHƯƠNG ÁN", "ĐỀ ÁN",
            "DỰ ÁN", "BÁO CÁO", "BIÊN BẢN", "TỜ TRÌNH", "HỢP ĐỒNG", "CÔNG VĂN", "CÔNG ĐIỆN",
            "BẢN GHI NHỚ", "BẢN THỎA THUẬN", "GIẤY ỦY QUYỀN", "GIẤY MỜI", "GIẤY GIỚI THIỆU", "THƯ CÔNG",
        ),
        key=len,
        reverse=True,
    )
)
# Kinds for what has no administrative header: an article with an author, a news item, the rest.
_UNHEADED_KINDS = ("bài viết", "tin", "văn bản")
KINDS = (*(name.lower() for name in _KIND_NAMES), *_UNHEADED_KINDS)
# Fields a manifest entry may set: every DocumentMeta field except the file name it is keyed by
# and the pages OCR read, which only loading the file can know.
_NOT_IN_MANIFEST = ("source", "ocr_pages")
MANIFEST_FIELDS = tuple(f.name for f in dataclasses.fields(DocumentMeta) if f.name not in _NOT_IN_MANIFEST)

# The Quốc hiệu and tiêu ngữ: on every administrative document, never part of a field.
_NATIONAL_RE = re.compile(
    r"C[ỘO]NG\s+H[ÒO]A\s+X[ÃA]\s+H[ỘO]I\s+CH[ỦU]\s+NGH[ĨI]A\s+VI[ỆE]T\s+NAM"
    r"|Độc\s+lập\s*[-–—]\s*Tự\s+do\s*[-–—]\s*Hạnh\s+phúc",
    re.IGNORECASE,
)
# Ký hiệu: "57/NQ-HĐND", "48/2025/NQ-HĐND", "133/TTr-SKHCN"; party documents "57-NQ/TW".
_SYMBOL = r"\d+(?:/\d{4})?/[A-ZĐ][A-Za-zĐđ0-9&]*(?:-[A-Za-zĐđ0-9&]+)*|\d+-[A-ZĐ]+/[A-ZĐ]+"
_SYMBOL_RE = re.compile(rf"(?:{_SYMBOL})")
# "Số:" opens its line, or follows the body's name when a table cell's paragraphs were joined.
_NUMBER_LINE_RE = re.compile(r"(?m)(?:^[ \t]*Số\b\s*[:.]?|(?<=\s)Số\s*:)[ \t]*\n?[ \t]*(\S*)")
_BARE_NUMBER_RE = re.compile(rf"(?m)^\s*({_SYMBOL})\s*$")
# Địa danh và ngày tháng: "Bắc Ninh, ngày 24 tháng 11 năm 2025"; the day may be left blank for signing.
_PLACE_DATE_RE = re.compile(
    r"(?m)^[ \t]*([A-ZÀ-ỸĐ][^\n,\d]{1,40}?)\s*,\s*ngày\s*(\d{1,2})?\s*tháng\s*(\d{1,2})\s*năm\s*(\d{4})"
)
# A công văn has no kind line: its trích yếu sits under the number, "V/v …" (về việc).
_REGARDING_RE = re.compile(r"(?m)^V/v\b\.?\s*(.+)$")
# Openers of the body: legal bases, the addressee, the operative part ("QUYẾT NGHỊ:", "QUYẾT ĐỊNH:").
_OPENER_RE = re.compile(r"^(Căn cứ|Xét|Theo đề nghị|Kính gửi|Được sự)\b|^[A-ZÀ-ỸĐ ]{4,}:$")
# Chủ thể ban hành and administrative levels (Decree 30: the body's name and its place).
_ORGAN_TYPE = (
    r"HỘI\s+ĐỒNG\s+NHÂN\s+DÂN|(?:ỦY|UỶ)\s+BAN\s+NHÂN\s+DÂN|HĐND|UBND|CHÍNH\s+PHỦ|QUỐC\s+HỘI|"
    r"BỘ|SỞ|BAN|TỔNG\s+CỤC|CHI\s+CỤC|CỤC|VĂN\s+PHÒNG|THANH\s+TRA|VIỆN|TRUNG\s+TÂM|KHO\s+BẠC|"
    r"NGÂN\s+HÀNG|TÒA\s+ÁN|THỦ\s+TƯỚNG"
)
_ORGAN_LINE_RE = re.compile(rf"^(?:{_ORGAN_TYPE})\b")
_SHORT_ORGANS = (
    (re.compile(r"^(?:HỘI\s+ĐỒNG\s+NHÂN\s+DÂN|HĐND)\b", re.IGNORECASE), "HĐND"),
    (re.compile(r"^(?:(?:ỦY|UỶ)\s+BAN\s+NHÂN\s+DÂN|UBND)\b", re.IGNORECASE), "UBND"),
)
_LEVEL_RE = re.compile(r"^(thành\s+phố|tỉnh|huyện|quận|thị\s+xã|thị\s+trấn|xã|phường|TP\.)\s*", re.IGNORECASE)
# Words that end a place name in "… TỈNH PHÚ YÊN KHÓA VII, KỲ HỌP THỨ 3".
_PLACE_STOP = {"khóa", "khoá", "kỳ", "nhiệm", "về", "năm", "giai", "và"}
# One-word organ types after which the function is capitalised: "Sở Tài chính", "Bộ Công Thương".
_ORGAN_HEADS = {
    "bộ", "sở", "ban", "cục", "viện", "vụ", "phòng", "tổng cục", "chi cục", "văn phòng", "trung tâm", "thủ tướng",
}
# The chủ thể ban hành repeated under the trích yếu of a resolution or decision ("HỘI ĐỒNG NHÂN DÂN
# TỈNH BẾN TRE", "THỦ TƯỚNG CHÍNH PHỦ"): full names only, a trích yếu may start "BAN HÀNH …".
_AUTHORITY_LINE_RE = re.compile(
    r"^(?:HỘI\s+ĐỒNG\s+NHÂN\s+DÂN|(?:ỦY|UỶ)\s+BAN\s+NHÂN\s+DÂN|CHÍNH\s+PHỦ|QUỐC\s+HỘI|"
    r"THỦ\s+TƯỚNG\s+CHÍNH\s+PHỦ|BỘ\s+TRƯỞNG|CHỦ\s+TỊCH)\b"
)
# Quyền hạn (Decree 30: TM., KT., TL., TUQ., Q.) and chức vụ of the signer block.
_AUTHORITY_RE = re.compile(r"^(?:TM|KT|TL|TUQ|Q)\s*\.\s*")
_POSITION_RE = re.compile(
    r"(?:PHÓ\s+)?(?:CHỦ\s+TỊCH|TỔNG\s+GIÁM\s+ĐỐC|GIÁM\s+ĐỐC|BỘ\s+TRƯỞNG|THỨ\s+TRƯỞNG|THỦ\s+TƯỚNG|"
    r"TRƯỞNG\s+BAN|TRƯỞNG\s+PHÒNG|CỤC\s+TRƯỞNG|VIỆN\s+TRƯỞNG|HIỆU\s+TRƯỞNG|CHÁNH\s+VĂN\s+PHÒNG|"
    r"CHÁNH\s+THANH\s+TRA|CHÁNH\s+ÁN|BÍ\s+THƯ|CHỦ\s+NHIỆM|TỔNG\s+KIỂM\s+TOÁN|KIỂM\s+TOÁN\s+TRƯỞNG)\s*$"
)
# "(Đã ký)", "(Ký, ghi rõ họ tên)" between the position and the name: on its own line or inline.
_SIGNED_NOTE_RE = re.compile(r"^\(?\s*(?:đã\s+ký|ký)\b.*\)?$", re.IGNORECASE)
_SIGNED_INLINE_RE = re.compile(r"\(\s*(?:đã\s+ký|ký)\b[^)]*\)", re.IGNORECASE)
# The closing formula names the issuer when the header is missing: "Nghị quyết này đã được Hội đồng
# nhân dân tỉnh Bến Tre khóa X … thông qua ngày 06 tháng 12 năm 2024".
_CLOSING_ISSUER_RE = re.compile(
    r"\b(?:Nghị quyết|Quyết định|Chỉ thị|Kế hoạch|Thông tư|Nghị định) này (?:đã )?được\s+"
    r"((?:Hội đồng nhân dân|Ủy ban nhân dân|Uỷ ban nhân dân)\s+\S+(?:\s+\S+){0,4})"
)
_CLOSING_KINDS = (
    (re.compile(r"\bNghị quyết này (?:đã )?được [^.]{0,200}?thông qua\b"), "nghị quyết"),
    (re.compile(r"\bTrên đây là báo cáo\b", re.IGNORECASE), "báo cáo"),
)
_PASSED_RE = re.compile(
    r"thông qua ngày\s+(\d{1,2})\s*(?:tháng\s*(\d{1,2})\s*năm\s*|/\s*(\d{1,2})\s*/\s*)(\d{4})"
)
_NEWS_RE = re.compile(r"\b(TTXVN|VNA)\b|\(Ảnh:")
_AGENCY_RE = re.compile(r"\b(TTXVN|VNA)\b")
_NEWS_DATE_RE = re.compile(r"^\s*\S+\s*[-–]\s*Ngày\s+(\d{1,2})/(\d{1,2})(?:/(\d{4}))?")
# A full date in running text: "ngày 14 tháng 9 năm 2021", "14-9-2021", "16/6/2023".
_FULL_DATE_RE = re.compile(
    r"\b(\d{1,2})\s+tháng\s+(\d{1,2})\s+năm\s+((?:19|20)\d{2})\b"
    r"|(?<![\d/.-])(\d{1,2})([-/])(\d{1,2})\5((?:19|20)\d{2})\b"
)
_SESSION_RE = re.compile(r"khóa\s+([IVXL]+)\s*[,-]?\s*kỳ họp thứ\s+(\d+)", re.IGNORECASE)
# A law is cited with its year ("Luật Ngân sách nhà nước năm 2025"): that year is the law's, not a period.
_LAW_YEAR_RE = re.compile(r"\b(?:Bộ luật|Luật|Pháp lệnh)\b[^,.;:()\n]{0,80}?\bnăm\s+\d{4}")
_RANGE_RE = re.compile(r"\b((?:19|20)\d{2})\s*[-–]\s*((?:19|20)\d{2})\b")
_HALF_YEAR_RE = re.compile(r"\b(6|9|3) tháng (đầu|cuối) năm ((?:19|20)\d{2})\b", re.IGNORECASE)
_YEAR_RE = re.compile(r"\bnăm ((?:19|20)\d{2})\b", re.IGNORECASE)
# Markdown a crawl leaves: emphasis, headings, rules ("-------" under the body and the Quốc hiệu).
_RULE_RE = re.compile(r"(?:^|\s)(?:[-–—_=]\s*){3,}(?=\s|$)")
_HEADING_MARK_RE = re.compile(r"^#{1,6}\s+")
# An italic span opening mid-line ("… 2026 - 2030 *Căn cứ …"): a new block that cleaning joined on.
_ITALIC_OPEN_RE = re.compile(r"(?<=\S)\s+(?=\*[^\s*])")
_WORD_RE = re.compile(r"[^\W\d_]+")
_HEADER_SCAN = 60  # the header is at the top: never look further for it
_SUMMARY_MAX_LINES = 6


class ManifestError(IngestError):
    """A manifest.json that cannot be used: nothing is ingested until it is fixed."""

    def __init__(self, path: Path, problem: str) -> None:
        remedy = (
            f'Fix the file: a JSON object {{"<file name>": {{field: value}}}} with fields among '
            f"{', '.join(MANIFEST_FIELDS)}; or remove it to use the metadata found in the documents"
        )
        super().__init__(f"{path}: {problem}. {remedy}", path)


# ---------------------------------------------------------------- Markdown → plain lines


@dataclass(frozen=True)
class _Line:
    text: str  # markup, table pipes and rules removed
    new_block: bool  # a blank line, a table cell boundary or an italic opening comes before it


def _open_span(line: str) -> bool:
    """Whether a `**bold**` or `*italic*` span opened on this line runs onto the next."""
    bold = line.count("**")
    singles = line.replace("**", "").count("*")
    if line.lstrip().startswith("* "):
        singles -= 1  # a Markdown bullet, not an emphasis
    return bold % 2 == 1 or singles % 2 == 1


def _join_open_spans(lines: Sequence[str], max_join: int = 3) -> list[str]:
    """One line per emphasis span: "**HỘI ĐỒNG NHÂN" + "DÂN**", "**Phùng" + "Thị Hồng Hà**"."""
    out: list[str] = []
    pending: str | None = None
    joined = 0
    for line in lines:
        if pending is not None and line.strip():
            pending = f"{pending} {line.strip()}"
            joined += 1
            if not _open_span(pending) or joined >= max_join:
                out.append(pending)
                pending = None
            continue
        if pending is not None:  # a blank line closes whatever was open
            out.append(pending)
            pending = None
        if line.strip() and _open_span(line):
            pending, joined = line.strip(), 0
        else:
            out.append(line)
    if pending is not None:
        out.append(pending)
    return out


def _strip_markup(text: str) -> str:
    text = _HEADING_MARK_RE.sub("", text.strip())
    text = text.replace("*", " ").replace("__", " ")
    text = _RULE_RE.sub(" ", text)
    return " ".join(text.split())


def plain_lines(text: str) -> list[_Line]:
    """The text as plain lines: emphasis spans rejoined, markup stripped, one table cell per line."""
    out: list[_Line] = []
    new_block = True
    for raw in _join_open_spans(text.split("\n")):
        if not raw.strip():
            new_block = True
            continue
        for i, cell in enumerate(raw.split("|")):
            for j, piece in enumerate(_ITALIC_OPEN_RE.split(cell)):
                if i or j:
                    new_block = True
                plain = _strip_markup(piece)
                if plain:
                    out.append(_Line(plain, new_block))
                    new_block = False
    return out


# ---------------------------------------------------------------- small text predicates


def _is_upper_text(text: str) -> bool:
    """No lower-case letter: a caps line, or digits only ("2026 - 2030" ending a caps trích yếu)."""
    return not any(ch.islower() for ch in text)


def _kind_of_line(text: str) -> tuple[str, str] | None:
    """'NGHỊ QUYẾT' → ('NGHỊ QUYẾT', ''); 'NGHỊ QUYẾT Về …' → ('NGHỊ QUYẾT', 'Về …'); else None.

    'QUYẾT ĐỊNH:' ends with a colon: it opens the operative part, it is not a kind line.
    """
    line = text.strip().rstrip(".")
    for name in _KIND_NAMES:
        if line == name:
            return name, ""
        rest = line[len(name) :]
        if line.startswith(name) and rest[:1] == " " and re.match(r"\s+(VỀ|Về|V/v)\b", rest):
            return name, rest.strip()
    return None


def _is_body_start(line: _Line) -> bool:
    text = line.text
    if _OPENER_RE.match(text):
        return True
    label = structure_label(text)
    if label is not None and label != "bullet":
        return True
    # A full sentence of running text: the header has none.
    return word_count(text) >= 25 and ends_with_terminal(text)


def _is_authority_line(text: str, organs: Sequence[str]) -> bool:
    """The issuing body named again under the trích yếu: a full name, or the header's own body."""
    if not _is_upper_text(text):
        return False
    return bool(_AUTHORITY_LINE_RE.match(text)) or any(organ and text.startswith(organ) for organ in organs)


def _title_word(word: str) -> str:
    return word[:1].upper() + word[1:].lower()


def _is_person_name(text: str) -> bool:
    """'Phùng Thị Hồng Hà', 'LÊ ĐỨC THỌ': two to six capitalised words, nothing else."""
    words = text.split()
    if not 2 <= len(words) <= 6 or not all(w.isalpha() and w[0].isupper() for w in words):
        return False
    caps = _is_upper_text(text)
    if caps and (_ORGAN_LINE_RE.match(text) or _POSITION_RE.search(text) or _kind_of_line(text)):
        return False
    return caps or all(not w[1:] or w[1:].islower() for w in words)


def _iso(year: str, month: str, day: str | None = None) -> str | None:
    if not 1 <= int(month) <= 12 or (day and not 1 <= int(day) <= 31):
        return None
    if day:
        return f"{int(year):04d}-{int(month):02d}-{int(day):02d}"
    return f"{int(year):04d}-{int(month):02d}"


# ---------------------------------------------------------------- a legal database's property block

# Legal-document databases (the crawled pages of thuvienphapluat.vn, luatvietnam.vn, vbpl.vn …) put a
# labelled property table above the document itself: "Số hiệu: | 58/2025/NQ-HĐND", "Loại văn bản: |
# Nghị quyết", "Người ký: | …". It is the database's record of the document: exact, and it comes before
# the national header, which it pushes beyond the lines searched for a header.
_PROPERTY_LABELS = {
    "so hieu": "number",
    "so ky hieu": "number",
    "loai van ban": "kind",
    "noi ban hanh": "issuer",
    "co quan ban hanh": "issuer",
    "nguoi ky": "signer",
    "ngay ban hanh": "date",
}
# Labels of the same table that carry nothing the metadata keeps (or only "Đã biết"/"Đang cập nhật").
_OTHER_PROPERTY_LABELS = ("ngay hieu luc", "ngay cong bao", "so cong bao", "tinh trang", "linh vuc", "ngay het hieu luc")
_PROPERTY_SCAN = 80
_SLASH_DATE_RE = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")


@dataclass(frozen=True)
class Properties:
    """A database's property block: the fields it states, and the index of the first line after it."""

    fields: dict[str, str]
    end: int = 0


def _label_key(text: str) -> str | None:
    """The property label a line ends with ("Đang tải văn bản... # Số hiệu:" → "so hieu"), if any."""
    if not text.endswith(":"):
        return None
    words = fold(text[:-1]).replace("/", " ").split()
    for n in range(min(4, len(words)), 0, -1):
        label = " ".join(words[-n:])
        if label in _PROPERTY_LABELS or label in _OTHER_PROPERTY_LABELS:
            return label
    return None


def read_properties(lines: Sequence[_Line]) -> Properties:
    """The labelled property block near the top of a crawled page: two labels at least, one after the
    other, each followed by its value (a label with no value line is followed by the next label)."""
    scan = lines[:_PROPERTY_SCAN]
    start = next((i for i, line in enumerate(scan) if _label_key(line.text)), None)
    if start is None:
        return Properties({}, 0)
    found: dict[str, str] = {}
    labels = 0
    i = start
    while i < len(scan) and (key := _label_key(scan[i].text)) is not None:
        labels += 1
        value = scan[i + 1].text if i + 1 < len(scan) and _label_key(scan[i + 1].text) is None else ""
        field = _PROPERTY_LABELS.get(key)
        if field and value and field not in found:
            found[field] = value
        i += 2 if value else 1
    if labels < 2:
        return Properties({}, 0)
    return Properties(found, i)


def _property_date(value: str | None) -> str | None:
    m = _SLASH_DATE_RE.match((value or "").strip())
    return _iso(m.group(3), m.group(2), m.group(1)) if m else None


# ---------------------------------------------------------------- the header


@dataclass(frozen=True)
class Header:
    """The elements of the national layout found at the top of a document."""

    organs: tuple[str, ...] = ()  # tên cơ quan lines as written, parent first: ("UBND TỈNH X", "SỞ Y")
    number: str | None = None
    place: str | None = None  # địa danh of the date line: "Bắc Ninh", "Thành phố Huế"
    date: str | None = None
    kind_name: str | None = None  # "KẾ HOẠCH"
    summary: tuple[str, ...] = ()  # the trích yếu's lines as written
    authority: str | None = None  # "HỘI ĐỒNG NHÂN DÂN TỈNH BẾN TRE" under the trích yếu
    end: int = 0  # index of the first body line

    @property
    def administrative(self) -> bool:
        return bool(self.kind_name or self.number or self.date or self.organs)


def _body_start(lines: Sequence[_Line]) -> int:
    for i, line in enumerate(lines[:_HEADER_SCAN]):
        if _is_body_start(line):
            return i
    return min(len(lines), _HEADER_SCAN)


def _blank_out(text: str, start: int, end: int) -> str:
    """Remove a found element but keep line positions: its characters become spaces."""
    return text[:start] + "".join("\n" if ch == "\n" else " " for ch in text[start:end]) + text[end:]


def _number(blob: str) -> tuple[str | None, str]:
    """Số/ký hiệu: 'Số: 57/NQ-HĐND' or a bare '2954/QĐ-UBND' line; a blank 'Số: /BC-UBND' is none."""
    m = _NUMBER_LINE_RE.search(blob)
    if m:
        token = m.group(1).rstrip(".,;")
        found = _SYMBOL_RE.fullmatch(token)
        end = m.end() if found or token.startswith("/") else m.start(1)
        return (token if found else None), _blank_out(blob, m.start(), end)
    m = _BARE_NUMBER_RE.search(blob)
    if m:
        return m.group(1), _blank_out(blob, m.start(1), m.end(1))
    return None, blob


def _place_date(blob: str) -> tuple[str | None, str | None, str]:
    m = _PLACE_DATE_RE.search(blob)
    if not m:
        return None, None, blob
    place, day, month, year = m.groups()
    return " ".join(place.split()), _iso(year, month, day), _blank_out(blob, m.start(), m.end())


def _summary_lines(lines: Sequence[_Line], first: str, organs: Sequence[str] = ()) -> list[str]:
    """The trích yếu: one paragraph under the kind line, in caps or as a sentence without end mark.

    A caps trích yếu goes on over hard line breaks while lines stay in caps; one in sentence case
    goes on only where a line carries on the phrase (starts in lower case or with a digit).
    """
    out = [first] if first else []
    for line in lines:
        text = line.text
        if _is_body_start(line) or _is_authority_line(text, organs) or re.match(r"^KH[ÓO]A\b", text):
            break
        if out and (line.new_block or len(out) >= _SUMMARY_MAX_LINES):
            break
        if out and not _carries_on(out[-1], text):
            break
        out.append(text)
    return out


def _carries_on(previous: str, text: str) -> bool:
    """Whether `text` continues the trích yếu line `previous` (a hard line break, not a new block)."""
    if ends_with_terminal(previous, ".;!?"):
        return False
    if _is_upper_text(previous) and _is_upper_text(text):
        return True  # a trích yếu in capitals, wrapped
    return text[:1].islower() or text[:1].isdigit()


def read_header(lines: Sequence[_Line]) -> Header:
    """Quốc hiệu, tên cơ quan, số/ký hiệu, địa danh và ngày, tên loại, trích yếu: what is there."""
    end = _body_start(lines)
    head = lines[:end]
    blob = "\n".join(line.text for line in head)
    for m in reversed(list(_NATIONAL_RE.finditer(blob))):
        blob = _blank_out(blob, m.start(), m.end())
    number, blob = _number(blob)
    place, date, blob = _place_date(blob)
    regarding = _REGARDING_RE.search(blob)
    texts = blob.split("\n") if head else []
    # The header's lines with number, date and Quốc hiệu taken out; what is left is names, kind, trích yếu.
    kept = [
        dataclasses.replace(line, text=" ".join(text.split()))
        for line, text in zip(head, texts, strict=True)
        if text.strip()
    ]
    kind_at = next(((i, found) for i, line in enumerate(kept) if (found := _kind_of_line(line.text))), None)
    kind_name: str | None = None
    summary: list[str] = []
    authority = None
    above = kept
    if kind_at is not None:
        k, (kind_name, first) = kind_at
        above = kept[:k]
        after = kept[k + 1 :]
        header_organs = _organ_names([line.text for line in above if _is_upper_text(line.text)])
        summary = _summary_lines(after, first, header_organs)
        rest = after[len(summary) - (1 if first else 0) :]
        if rest and _is_authority_line(rest[0].text, header_organs):
            authority = rest[0].text
    elif regarding:
        kind_name, summary = "CÔNG VĂN", [f"về việc {regarding.group(1).strip()}"]
    organs = _organ_names([line.text for line in above if _is_upper_text(line.text)])
    return Header(
        organs=tuple(organs),
        number=number,
        place=place,
        date=date,
        kind_name=kind_name,
        summary=tuple(summary),
        authority=authority,
        end=end,
    )


def _organ_names(caps_lines: Iterable[str]) -> list[str]:
    """Caps lines above the kind line as body names: a line naming a level ('TỈNH BẮC NINH') or
    finishing a broken name carries on the name above it; an organ type starts a new one."""
    organs: list[str] = []
    for text in caps_lines:
        if not any(ch.isalpha() for ch in text):
            continue
        for part in _split_organs(text):
            if _ORGAN_LINE_RE.match(part) or not organs:
                organs.append(part)
            else:
                organs[-1] = f"{organs[-1]} {part}"
    return [o for o in organs if _ORGAN_LINE_RE.match(o)]


_ORGAN_START_RE = re.compile(rf"(?<=\s)(?:{_ORGAN_TYPE})\b")
_LEVEL_WORD_RE = re.compile(r"\b(?:TỈNH|THÀNH PHỐ|HUYỆN|QUẬN|THỊ XÃ|XÃ|PHƯỜNG|THỊ TRẤN)\s+\S")


def _split_organs(text: str) -> list[str]:
    """'ỦY BAN NHÂN DÂN TỈNH BẮC NINH SỞ TÀI CHÍNH' (a cell's lines joined) → the two names.

    A new name starts at an organ type only once the name before it has its place: 'VĂN PHÒNG
    UBND TỈNH' stays one name.
    """
    parts: list[str] = []
    start = 0
    for m in _ORGAN_START_RE.finditer(text):
        if m.start() > start and _LEVEL_WORD_RE.search(text[start : m.start()]):
            parts.append(text[start : m.start()].strip())
            start = m.start()
    parts.append(text[start:].strip())
    return parts


# ---------------------------------------------------------------- issuer


def _place_words(text: str) -> str | None:
    """'BẮC NINH KHÓA VII, …' → 'Bắc Ninh': capitalised words up to the first that is not a name."""
    words = []
    for raw in text.split():
        word = raw.strip(",;:.()")
        if not word.isalpha() or not word[0].isupper() or word.lower() in _PLACE_STOP:
            break
        words.append(_title_word(word))
        if raw != word or len(words) == 4:
            break
    return " ".join(words) or None


def _level_place(text: str) -> tuple[str, str] | None:
    """'TỈNH PHÚ YÊN KHÓA VII' → ('tỉnh', 'Phú Yên'); 'Thành phố Huế' → ('thành phố', 'Huế')."""
    m = _LEVEL_RE.match(text.strip())
    if not m:
        return None
    level = " ".join(m.group(1).lower().split())
    place = _place_words(text.strip()[m.end() :])
    return ("thành phố" if level == "tp." else level, place) if place else None


def _level_in_text(place: str, text: str) -> str | None:
    """The level the document itself gives the place ('tỉnh Bến Tre'), when the date line omits it."""
    found = re.findall(rf"\b(tỉnh|thành phố|huyện|quận|thị xã)\s+{re.escape(place)}\b", text, re.IGNORECASE)
    if not found:
        return None
    return Counter(level.lower() for level in found).most_common(1)[0][0]


def _organ_case(name: str) -> str:
    """Capitals as Vietnamese writes an organ's name: 'SỞ KHOA HỌC VÀ CÔNG NGHỆ' → 'Sở Khoa học và Công nghệ'."""
    words = name.split()
    out: list[str] = []
    capital_next = True
    for i, word in enumerate(words):
        if word in ("UBND", "HĐND"):
            out.append(word)
            continue
        lower = word.lower()
        out.append(_title_word(word) if capital_next else lower)
        head = " ".join(w.lower() for w in words[max(0, i - 1) : i + 1])
        capital_next = i == 0 and lower in _ORGAN_HEADS or head in _ORGAN_HEADS or lower == "và"
    return " ".join(out)


def short_issuer(name: str, fallback: tuple[str, str] | None = None) -> str:
    """'HỘI ĐỒNG NHÂN DÂN TỈNH PHÚ YÊN' → 'HĐND tỉnh Phú Yên'; a body without a place takes `fallback`."""
    name = " ".join(name.split())
    for pattern, short in _SHORT_ORGANS:
        m = pattern.match(name)
        if m:
            body, rest = short, name[m.end() :]
            break
    else:
        m = re.search(r"\s(?=(?:TỈNH|THÀNH PHỐ|HUYỆN|QUẬN|THỊ XÃ|tỉnh|thành phố|huyện|quận|thị xã)\s)", name)
        body, rest = (_organ_case(name[: m.start()]), name[m.end() :]) if m else (_organ_case(name), "")
    level_place = _level_place(rest) or fallback
    return f"{body} {level_place[0]} {level_place[1]}" if level_place else body


def _date_line_place(header: Header, text: str) -> tuple[str, str] | None:
    """The place of the date line with its level: 'Thành phố Huế' says it, 'Bến Tre' lets the text say it."""
    if not header.place:
        return None
    stated = _level_place(header.place)
    if stated:
        return stated
    level = _level_in_text(header.place, text)
    return (level, header.place) if level else None


def _issuer(header: Header, block: SignerBlock | None, text: str, kind: str) -> str | None:
    if kind == "tin":
        m = _AGENCY_RE.search(text[:3000])
        return m.group(1) if m else None
    date_place = _date_line_place(header, text)
    if header.organs:
        # The issuing body is the last name; a parent above it gives its place ("SỞ Y" under "UBND TỈNH X").
        parent = next((lp for o in header.organs if (lp := _level_place(_strip_organ_type(o)))), None)
        return short_issuer(header.organs[-1], parent or date_place)
    if header.authority:
        return short_issuer(header.authority, date_place)
    if block is not None and block.authority:
        return short_issuer(block.authority, date_place)
    m = _CLOSING_ISSUER_RE.search(text)
    if m:
        return short_issuer(m.group(1), date_place)
    return None


def _strip_organ_type(name: str) -> str:
    for pattern, _ in _SHORT_ORGANS:
        m = pattern.match(name)
        if m:
            return name[m.end() :].strip()
    return name


# ---------------------------------------------------------------- signer


@dataclass(frozen=True)
class SignerBlock:
    authority: str | None  # the body of "TM. ỦY BAN NHÂN DÂN": "ỦY BAN NHÂN DÂN"
    position: str  # "PHÓ CHỦ TỊCH"
    name: str


def _caps_prefix(text: str) -> tuple[str, str]:
    """'CHỦ TỊCH Huỳnh Tấn Việt' → ('CHỦ TỊCH', 'Huỳnh Tấn Việt'): a block flattened onto one line."""
    words = text.split()
    n = 0
    while n < len(words) and _is_upper_text(words[n]):
        n += 1
    return " ".join(words[:n]), " ".join(words[n:])


def _is_block_line(caps: str) -> bool:
    return bool(caps) and (bool(_AUTHORITY_RE.match(caps)) or bool(_POSITION_RE.search(caps)))


def _authority_of(block_lines: Sequence[str]) -> str | None:
    """'TM. ỦY BAN NHÂN DÂN KT. CHỦ TỊCH …' → 'ỦY BAN NHÂN DÂN': whom the signer signs for."""
    joined = " ".join(block_lines)
    m = re.search(r"\bTM\s*\.\s*(.+?)(?=\s+(?:KT|TL|TUQ|Q)\s*\.|\s*$)", joined)
    if not m:
        return None
    organ = _POSITION_RE.sub("", m.group(1)).strip()
    return organ or None


def find_signer_block(lines: Sequence[_Line], start: int = 0) -> SignerBlock | None:
    """The first quyền hạn / chức vụ block followed by a person's name.

    The signature closes the document proper, before any annex (phụ lục) that follows it, so the
    first complete block after the header is the document's, not a table's.
    """
    for i in range(start, len(lines)):
        caps, rest = _caps_prefix(_SIGNED_INLINE_RE.sub(" ", lines[i].text))
        if not _is_block_line(caps) or structure_label(lines[i].text):
            continue
        block = [caps]
        name = rest if _is_person_name(rest) else None
        j = i + 1
        while name is None and not rest and j < min(len(lines), i + 6):
            text = lines[j].text
            j += 1
            if _SIGNED_NOTE_RE.match(text):
                continue
            more_caps, more_rest = _caps_prefix(text)
            if _is_person_name(text):
                name = text
            elif _is_block_line(more_caps) and (not more_rest or _is_person_name(more_rest)):
                block.append(more_caps)
                name = more_rest or None
            elif _is_upper_text(text) and _ORGAN_LINE_RE.match(text):
                block.append(text)  # "TM. ỦY BAN NHÂN" broken before "DÂN" without emphasis
            else:
                break
        if name:
            position = next((b for b in reversed(block) if _POSITION_RE.search(b)), block[-1])
            pretty = " ".join(_title_word(w) for w in name.split()) if _is_upper_text(name) else name
            return SignerBlock(_authority_of(block), _AUTHORITY_RE.sub("", position), pretty)
    return None


def _trailing_author(lines: Sequence[_Line]) -> str | None:
    """An article's author: a name among its last lines ('LÊ ĐỨC THỌ', then his position)."""
    for line in reversed(lines[-3:]):
        text = line.text
        if is_name_line(text) or (is_all_caps(text) and _surname_first(text)):
            return " ".join(_title_word(w) for w in text.split())
    return None


def _surname_first(text: str) -> bool:
    words = text.split()
    return 2 <= len(words) <= 5 and words[0].capitalize() in SURNAMES


# ---------------------------------------------------------------- title


@dataclass
class CasingStats:
    """How the document's own running text writes each word, to restore a trích yếu set in capitals.

    Keys are lower-case; values count 'lower', 'title' and 'upper' forms seen after another word
    (a sentence's first word says nothing about the word's case).
    """

    pairs: dict[tuple[str, str], Counter[str]] = dataclasses.field(default_factory=dict)
    words: dict[str, Counter[str]] = dataclasses.field(default_factory=dict)

    @staticmethod
    def form(word: str) -> str:
        if len(word) > 1 and word.isupper():
            return "upper"
        return "title" if word[0].isupper() else "lower"

    @classmethod
    def of(cls, lines: Iterable[_Line]) -> CasingStats:
        stats = cls()
        for line in lines:
            if _is_upper_text(line.text):
                continue  # headings in capitals say nothing about case
            previous: str | None = None
            for m in re.finditer(r"\S+", line.text):
                token = m.group(0)
                core = token.strip("\"'“”‘’()[]{},;:.!?…")
                if previous is not None and _WORD_RE.fullmatch(core):
                    form = cls.form(core)
                    stats.pairs.setdefault((previous, core.lower()), Counter())[form] += 1
                    stats.words.setdefault(core.lower(), Counter())[form] += 1
                ends_sentence = token.rstrip("\"'”’)") [-1:] in ".!?:…"
                previous = None if ends_sentence or not _WORD_RE.fullmatch(core) else core.lower()
        return stats

    def choose(self, previous: str | None, word: str) -> str:
        key = word.lower()
        counts = self.pairs.get((previous or "", key)) or self.words.get(key) or Counter()
        if not counts:
            return "lower"
        best, n = counts.most_common(1)[0]
        # A tie with the lower-case form leaves the ordinary lower case.
        return best if n > counts["lower"] else "lower"


def _apply_form(word: str, form: str) -> str:
    if form == "upper":
        return word.upper()
    return _title_word(word) if form == "title" else word.lower()


def _recase_token(token: str, previous: str | None, stats: CasingStats) -> str:
    """One token of a caps trích yếu: its word takes the body's case, punctuation stays ('(NAY' → '(nay')."""
    words = _WORD_RE.findall(token)
    if len(words) != 1:
        return token.lower()  # 'XÃ-HỘI', '-': nothing to look up as one word
    return _WORD_RE.sub(lambda m: _apply_form(m.group(0), stats.choose(previous, m.group(0))), token, count=1)


def recase(summary: str, stats: CasingStats) -> str:
    """A trích yếu as the document's running text would write it.

    In capitals ('VỀ DỰ TOÁN … TỈNH PHÚ YÊN NĂM 2017') each word takes the case the body gives it
    after the same word ('tỉnh Phú Yên', 'Nghị quyết số …', 'GRDP'); a word the body never writes
    stays lower case. In sentence case only its first word may change ('Về …' → 'về …').
    Tokens with digits or slashes (document numbers) are kept as written.
    """
    caps = _is_upper_text(summary)
    out: list[str] = []
    previous: str | None = None
    for i, token in enumerate(summary.split()):
        # Numbers and codes stay as written; so does a sentence-case trích yếu after its first
        # word, and an acronym opening it ("GRDP …").
        keep = not caps and (i > 0 or (len(token) > 1 and _is_upper_text(token)))
        if keep or any(ch.isdigit() for ch in token) or "/" in token:
            out.append(token)
            previous = None if any(ch.isdigit() for ch in token) else token.lower()
            continue
        out.append(_recase_token(token, previous, stats))
        core = token.strip("\"'“”‘’()[]{},;:.!?…")
        previous = core.lower() if _WORD_RE.fullmatch(core) else None
    return " ".join(out)


def _sentence_kind(kind_name: str) -> str:
    """'NGHỊ QUYẾT' → 'Nghị quyết'."""
    return kind_name[:1] + kind_name[1:].lower()


def _headline(lines: Sequence[_Line], header: Header) -> str | None:
    """An article's or news item's headline: the longest title-like line before the running text,
    else the first title-like line near the top (a lead paragraph may come first)."""

    def title_like(text: str) -> bool:
        return (
            3 <= word_count(text) <= 40
            and not ends_with_terminal(text, ".;:…")  # a headline may ask a question
            and structure_label(text) is None
            and not _is_upper_text(text)
            and not _PLACE_DATE_RE.match(text)
            and not _NATIONAL_RE.search(text)
            and not text.startswith("Số")
        )

    leading = [line.text for line in lines[: header.end] if title_like(line.text)]
    if leading:
        return max(leading, key=word_count)
    return next((line.text for line in lines[:8] if title_like(line.text)), None)


def _title(header: Header, lines: Sequence[_Line], kind: str, issuer: str | None, stats: CasingStats) -> str | None:
    if header.kind_name and header.summary:
        summary = recase(" ".join(" ".join(header.summary).split()), stats)
        return f"{_sentence_kind(header.kind_name)} {summary}"
    if kind not in _UNHEADED_KINDS:
        # A kind without a trích yếu (a header cut off, an excerpt): name it by who issued it,
        # never by a bare kind word or a section heading of its body.
        named = _sentence_kind(kind.upper())
        if issuer:
            return f"{named} của {issuer}"
        if header.number:
            return f"{named} số {header.number}"
    return _headline(lines, header)


# ---------------------------------------------------------------- kind, date, period, note


def _kind(header: Header, text: str, lines: Sequence[_Line]) -> str:
    if header.kind_name:
        return header.kind_name.lower()
    for pattern, kind in _CLOSING_KINDS:
        if pattern.search(text):
            return kind
    if _NEWS_RE.search(text[:3000]):
        return "tin"
    if _trailing_author(lines):
        return "bài viết"
    return "văn bản"


def _first_full_date(text: str) -> str | None:
    for m in _FULL_DATE_RE.finditer(text):
        day, month, year = (m.group(1), m.group(2), m.group(3)) if m.group(1) else (m.group(4), m.group(6), m.group(7))
        iso = _iso(year, month, day)
        if iso:
            return iso
    return None


def _date(header: Header, lines: Sequence[_Line], text: str) -> str | None:
    if header.date:
        return header.date
    passed = _PASSED_RE.search(text)
    if passed:
        day, month_words, month_slash, year = passed.groups()
        return _iso(year, month_words or month_slash, day)
    for line in lines[:8]:
        m = _NEWS_DATE_RE.match(line.text)
        if m:
            day, month, year = m.groups()
            if year is None:
                # A news dateline gives day and month; the year is the latest the article speaks of.
                years = [int(y) for y in re.findall(r"\b((?:19|20)\d{2})\b", text)]
                if not years:
                    return None
                year = str(max(years))
            return _iso(year, month, day)
    if header.administrative:
        return None  # a header without its date line: a date in its legal bases is another document's
    return _first_full_date(text)


def _without_dates_and_numbers(text: str) -> str:
    """Years inside dates ('ngày 21 tháng 8 năm 2023'), numbers ('20/2023/NQ-HĐND') and law names
    ('Luật Đầu tư công năm 2014') are not periods."""
    text = re.sub(r"\bngày\s+\d{1,2}\s+tháng\s+\d{1,2}\s+năm\s+\d{4}", " ", text, flags=re.IGNORECASE)
    text = _FULL_DATE_RE.sub(" ", text)
    text = _LAW_YEAR_RE.sub(" ", text)
    return _SYMBOL_RE.sub(" ", text)


def _period_in(text: str) -> str | None:
    text = _without_dates_and_numbers(text)
    for m in _RANGE_RE.finditer(text):
        if int(m.group(1)) < int(m.group(2)):
            return f"{m.group(1)}-{m.group(2)}"
    half = _HALF_YEAR_RE.search(text)
    if half:
        return f"{half.group(1)} tháng {half.group(2).lower()} năm {half.group(3)}"
    year = _YEAR_RE.search(text)
    return year.group(1) if year else None


def _period(title: str | None, lines: Sequence[_Line], header: Header) -> str | None:
    """The period the document covers: its title says it first; else its own running text.

    The legal bases (Căn cứ …, Xét …) cite other documents and their years: they are left out.
    """
    if title:
        found = _period_in(title)
        if found:
            return found
    own = "\n".join(line.text for line in lines[header.end :] if not _OPENER_RE.match(line.text))
    own = _without_dates_and_numbers(own)
    for half in _HALF_YEAR_RE.finditer(own):
        if half.group(2).lower() == "đầu":
            return f"{half.group(1)} tháng đầu năm {half.group(3)}"
    years = Counter(_YEAR_RE.findall(own)).most_common(2)
    if years and years[0][1] >= 2 and (len(years) == 1 or years[0][1] > years[1][1]):
        return years[0][0]
    return None


def _note(header: Header, text: str) -> str | None:
    for source in ("\n".join((*header.summary, header.authority or "")), text):
        m = _SESSION_RE.search(source)
        if m:
            return f"khóa {m.group(1).upper()}, kỳ họp thứ {m.group(2)}"
    return None


def extract_metadata(doc: LoadedDocument, text: str) -> DocumentMeta:
    """What the cleaned text says about the document; the manifest overrides and fills."""
    lines = plain_lines(text)
    properties = read_properties(lines)
    # The document itself starts under the database's record of it.
    lines = lines[properties.end :]
    stated = properties.fields
    header = read_header(lines)
    plain_text = "\n".join(line.text for line in lines)
    kind = _kind(header, plain_text, lines)
    if not header.kind_name and stated.get("kind", "").lower() in KINDS:
        kind = stated["kind"].lower()
    block = find_signer_block(lines, header.end)
    issuer = _issuer(header, block, plain_text, kind) or stated.get("issuer")
    stats = CasingStats.of(lines[header.end :])
    number = header.number or (stated["number"] if _SYMBOL_RE.fullmatch(stated.get("number", "")) else None)
    header = dataclasses.replace(header, number=number)
    title = _title(header, lines, kind, issuer, stats)
    signer = None
    if kind != "tin":  # a news byline names the reporter, not a signer
        signer = stated.get("signer") or (block.name if block else _trailing_author(lines))
    return DocumentMeta(
        source=doc.source,
        title=title or Path(doc.source).stem,
        kind=kind,
        number=number,
        issuer=issuer,
        date=_date(header, lines, plain_text) or _property_date(stated.get("date")),
        period=_period(title, lines, header),
        signer=signer,
        pages=len(doc.pages) if doc.file_type == "pdf" else None,
        note=_note(header, plain_text) if kind == "nghị quyết" else None,
        ocr_pages=[page.number for page in doc.pages if page.ocr and page.number is not None],
    )


# ---------------------------------------------------------------- manifest

_DATE_RE = re.compile(r"^\d{4}(-\d{2}(-\d{2})?)?$")


def _check_entry(path: Path, name: str, entry: Any) -> dict[str, Any]:
    if not isinstance(entry, dict):
        raise ManifestError(path, f'the entry for "{name}" is {type(entry).__name__}, not an object of fields')
    unknown = sorted(set(entry) - set(MANIFEST_FIELDS))
    if unknown:
        raise ManifestError(path, f'the entry for "{name}" has unknown field(s) {", ".join(unknown)}')
    for key, value in entry.items():
        expected: type = int if key == "pages" else str
        if value is not None and not isinstance(value, expected):
            raise ManifestError(
                path, f'"{name}": field "{key}" must be {expected.__name__} or null, not {json.dumps(value)}'
            )
    if entry.get("kind") is not None and entry["kind"] not in KINDS:
        raise ManifestError(path, f'"{name}": kind "{entry["kind"]}" is not one of {", ".join(KINDS)}')
    if entry.get("date") is not None and not _DATE_RE.match(entry["date"]):
        raise ManifestError(path, f'"{name}": date "{entry["date"]}" is not yyyy, yyyy-mm or yyyy-mm-dd')
    if "title" in entry and not entry["title"]:
        raise ManifestError(path, f'"{name}": title may not be empty')
    return dict(entry)


def load_manifest(directory: Path) -> dict[str, dict[str, Any]]:
    """The manifest beside the documents, keyed by file name; {} when there is none.

    Keys starting with "_" are comments and ignored.
    """
    path = Path(directory) / MANIFEST_NAME
    if not path.is_file():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError as exc:
        raise ManifestError(path, f"it is not UTF-8 text ({exc.reason})") from exc
    except json.JSONDecodeError as exc:
        raise ManifestError(path, f"it is not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}") from exc
    if not isinstance(data, dict):
        raise ManifestError(path, f"the top level is a {type(data).__name__}, not an object keyed by file name")
    return {name: _check_entry(path, name, entry) for name, entry in data.items() if not name.startswith("_")}


def apply_manifest(meta: DocumentMeta, entry: dict[str, Any]) -> DocumentMeta:
    """The extracted metadata with every field the manifest entry sets replaced (null clears)."""
    unknown = sorted(set(entry) - set(MANIFEST_FIELDS))
    if unknown:
        raise ValueError(f"manifest entry for {meta.source} has unknown field(s) {', '.join(unknown)}")
    return dataclasses.replace(meta, **entry)
