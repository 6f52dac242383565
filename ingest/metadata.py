"""What a document is: title, kind, number, issuer, date, period, signer.

`extract_metadata` reads what the cleaned text itself says and guesses nothing it does not
say (a blank "Số: /BC-UBND" gives no number). A `manifest.json` beside the documents
overrides and fills: `{"file name": {"title": …, "date": "2024-12-06", …}}`.
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections import Counter
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

MANIFEST_NAME = "manifest.json"
KINDS = ("nghị quyết", "báo cáo", "bài viết", "tin", "văn bản")
# Fields a manifest entry may set: every DocumentMeta field except the file name it is keyed by.
MANIFEST_FIELDS = tuple(f.name for f in dataclasses.fields(DocumentMeta) if f.name != "source")

# The kind line of an administrative document, in capitals, and the kind it names.
_KIND_LINES = {
    "NGHỊ QUYẾT": "nghị quyết",
    "BÁO CÁO": "báo cáo",
    "QUYẾT ĐỊNH": "văn bản",
    "KẾ HOẠCH": "văn bản",
    "TỜ TRÌNH": "văn bản",
    "THÔNG BÁO": "văn bản",
    "CHỈ THỊ": "văn bản",
    "CÔNG VĂN": "văn bản",
}
_CLOSING_KINDS = (
    (re.compile(r"\bNghị quyết này\b"), "nghị quyết"),
    (re.compile(r"\bTrên đây là báo cáo\b", re.IGNORECASE), "báo cáo"),
)
_NEWS_RE = re.compile(r"\b(TTXVN|VNA)\b|\(Ảnh:")
_AGENCY_RE = re.compile(r"\b(TTXVN|VNA)\b")
_NUMBER_RE = re.compile(r"^Số\s*:\s*(\S*)")
_ISSUERS = (
    (re.compile(r"HỘI ĐỒNG NHÂN DÂN|Hội đồng nhân dân", re.UNICODE), "HĐND"),
    (re.compile(r"ỦY BAN NHÂN DÂN|UỶ BAN NHÂN DÂN|Ủy ban nhân dân|Uỷ ban nhân dân"), "UBND"),
)
_PLACE_DATE_RE = re.compile(r"^([A-ZÀ-ỸĐ][^,\d]{1,30}),\s*ngày\s+(\d{1,2})?\s*tháng\s+(\d{1,2})\s+năm\s+(\d{4})")
_PASSED_RE = re.compile(r"thông qua ngày\s+(\d{1,2})\s+tháng\s+(\d{1,2})\s+năm\s+(\d{4})")
_NEWS_DATE_RE = re.compile(r"^\s*\S+\s*[-–]\s*Ngày\s+(\d{1,2})/(\d{1,2})(?:/(\d{4}))?")
_SESSION_RE = re.compile(r"khóa\s+([IVXL]+)\s*[,-]\s*kỳ họp thứ\s+(\d+)", re.IGNORECASE)
_RANGE_RE = re.compile(r"\b((?:19|20)\d{2})\s*[-–]\s*((?:19|20)\d{2})\b")
_HALF_YEAR_RE = re.compile(r"\b(6|9|3) tháng (đầu|cuối) năm ((?:19|20)\d{2})\b")
_YEAR_RE = re.compile(r"\bnăm ((?:19|20)\d{2})\b")


class ManifestError(IngestError):
    """A manifest.json that cannot be used: nothing is ingested until it is fixed."""

    def __init__(self, path: Path, problem: str) -> None:
        remedy = (
            f'Fix the file: a JSON object {{"<file name>": {{field: value}}}} with fields among '
            f"{', '.join(MANIFEST_FIELDS)}; or remove it to use the metadata found in the documents"
        )
        super().__init__(f"{path}: {problem}. {remedy}", path)


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.split("\n") if line.strip()]


def _header(lines: list[str]) -> list[str]:
    """The leading lines before the body: kind, title, issuer, number, date lines."""
    out = []
    for line in lines[:15]:
        if structure_label(line) is not None:
            break
        if not (is_all_caps(line) or line.startswith("Số") or not ends_with_terminal(line, ".;!?…")):
            break
        if word_count(line) > 40:
            break
        out.append(line)
    return out


def _signature(lines: list[str]) -> list[str]:
    """The trailing short lines: positions and names."""
    out: list[str] = []
    for line in reversed(lines[-8:]):
        if is_all_caps(line) or is_name_line(line) or (word_count(line) <= 12 and not ends_with_terminal(line)):
            out.append(line)
        else:
            break
    return list(reversed(out))


def _kind_line(header: list[str]) -> tuple[int, str] | None:
    for i, line in enumerate(header):
        key = line.rstrip(":").strip()
        if key in _KIND_LINES:
            return i, _KIND_LINES[key]
    return None


def _lower_first(text: str) -> str:
    if len(text) > 1 and text[0].isupper() and text[1].islower():
        return text[0].lower() + text[1:]
    return text


def _title(header: list[str], lines: list[str], kind_at: tuple[int, str] | None) -> str | None:
    if kind_at is not None:
        i, _ = kind_at
        kind_word = header[i].rstrip(":").strip().capitalize()
        subject = next((ln for ln in header[i + 1 :] if not is_all_caps(ln) and not ln.startswith("Số")), None)
        if subject and not _PLACE_DATE_RE.match(subject) and not subject.startswith("Kính gửi"):
            return f"{kind_word} {_lower_first(subject)}"
        return kind_word
    candidates = [
        ln for ln in header
        if not is_all_caps(ln) and not ln.startswith("Số") and not _PLACE_DATE_RE.match(ln)
    ]
    if candidates:
        return max(candidates, key=word_count)
    # No header: the first heading line (a short line that does not end a sentence).
    for line in lines[:40]:
        label = structure_label(line)
        if label is None and not ends_with_terminal(line) and 3 <= word_count(line) <= 25 and not is_all_caps(line):
            return line
    for line in lines[:40]:
        if structure_label(line) not in (None, "bullet", "letter"):
            return re.sub(r"^\S+\s+", "", line).rstrip(":").strip()
    return None


def _kind(header: list[str], kind_at: tuple[int, str] | None, text: str, signature: list[str]) -> str:
    if kind_at is not None:
        return kind_at[1]
    for pattern, kind in _CLOSING_KINDS:
        if pattern.search(text):
            return kind
    if _NEWS_RE.search(text[:3000]):
        return "tin"
    if any(is_all_caps(line) and _looks_like_name(line) for line in signature):
        return "bài viết"
    return "văn bản"


def _looks_like_name(line: str) -> bool:
    words = line.split()
    return 2 <= len(words) <= 5 and words[0].capitalize() in SURNAMES


def _number(header: list[str]) -> str | None:
    for line in header:
        m = _NUMBER_RE.match(line)
        if m:
            number = m.group(1)
            # "Số: /BC-UBND": the number was left blank for signing; there is none to report.
            return None if not number or number.startswith("/") else number
    return None


def _province(text: str) -> str | None:
    """'… TỈNH BẾN TRE' or '… tỉnh Bến Tre khóa X' → 'Bến Tre'."""
    for line in text.split("\n"):
        words = re.findall(r"[^\s,.;:()]+", line)
        for i, word in enumerate(words):
            if word.lower() != "tỉnh":
                continue
            name = []
            for nxt in words[i + 1 : i + 4]:
                if not nxt[0].isupper() or nxt.upper() in ("KHÓA", "KỲ"):
                    break
                name.append(nxt.capitalize())
            if name:
                return " ".join(name)
    return None


def _issuer(header: list[str], signature: list[str], lines: list[str], text: str, kind: str) -> str | None:
    if kind == "tin":
        m = _AGENCY_RE.search(text[:3000])
        return m.group(1) if m else None
    place = next((m.group(1).strip() for ln in header if (m := _PLACE_DATE_RE.match(ln))), None)
    # "Kính gửi: Hội đồng nhân dân tỉnh" names the recipient, not the issuer.
    own_header = [ln for ln in header if not ln.startswith("Kính gửi")]
    closing = [ln for ln in lines if re.match(r"^(Nghị quyết|Quyết định) này", ln)]
    for source in (own_header, signature, closing):
        joined = "\n".join(source)
        for pattern, short in _ISSUERS:
            if pattern.search(joined):
                province = _province(joined) or _province("\n".join(own_header)) or place
                return f"{short} tỉnh {province}" if province else short
    return None


def _iso(year: str, month: str, day: str | None = None) -> str:
    if day:
        return f"{int(year):04d}-{int(month):02d}-{int(day):02d}"
    return f"{int(year):04d}-{int(month):02d}"


def _date(header: list[str], lines: list[str], text: str) -> str | None:
    passed = _PASSED_RE.search(text)
    if passed:
        day, month, year = passed.groups()
        return _iso(year, month, day)
    for line in header:
        m = _PLACE_DATE_RE.match(line)
        if m:
            _, day, month, year = m.groups()
            return _iso(year, month, day)
    for line in lines[:8]:
        m = _NEWS_DATE_RE.match(line)
        if m:
            day, month, year = m.groups()
            if year is None:
                # A news dateline gives day and month; the year is the latest the article speaks of.
                years = [int(y) for y in re.findall(r"\b((?:19|20)\d{2})\b", text)]
                if not years:
                    return None
                year = str(max(years))
            return _iso(year, month, day)
    return None


def _period(title: str | None, text: str) -> str | None:
    if title:
        m = _RANGE_RE.search(title)
        if m:
            return f"{m.group(1)}-{m.group(2)}"
        m = _HALF_YEAR_RE.search(title)
        if m:
            return m.group(0)
        m = _YEAR_RE.search(title)
        if m:
            return m.group(1)
    for half in _HALF_YEAR_RE.finditer(text):
        if half.group(2) == "đầu":
            return half.group(0)
    years = Counter(_YEAR_RE.findall(text))
    if years:
        year, count = years.most_common(1)[0]
        if count >= 2:
            return year
    return None


def _signer(signature: list[str], kind: str) -> str | None:
    if kind == "tin":
        return None  # a news byline names the reporter, not a signer
    for line in reversed(signature):
        if is_name_line(line) or (is_all_caps(line) and _looks_like_name(line)):
            return " ".join(w.capitalize() for w in line.split())
    return None


def _note(header: list[str], text: str) -> str | None:
    for source in ("\n".join(header), text):
        m = _SESSION_RE.search(source)
        if m:
            return f"khóa {m.group(1).upper()}, kỳ họp thứ {m.group(2)}"
    return None


def extract_metadata(doc: LoadedDocument, text: str) -> DocumentMeta:
    """What the cleaned text says about the document; the manifest overrides and fills."""
    lines = _lines(text)
    header = _header(lines)
    signature = _signature(lines)
    kind_at = _kind_line(header)
    title = _title(header, lines, kind_at)
    kind = _kind(header, kind_at, text, signature)
    return DocumentMeta(
        source=doc.source,
        title=title or Path(doc.source).stem,
        kind=kind,
        number=_number(header),
        issuer=_issuer(header, signature, lines, text, kind),
        date=_date(header, lines, text),
        period=_period(title, text),
        signer=_signer(signature, kind),
        pages=len(doc.pages) if doc.file_type == "pdf" else None,
        note=_note(header, text) if kind == "nghị quyết" else None,
    )


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
