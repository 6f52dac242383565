"""`assistant indicators`: every target and result of an indicator across documents and periods, as a
readable table, JSON, CSV or an Excel file."""

from __future__ import annotations

import json
import sys
import unicodedata
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from assistant.contract import InputRejected
from assistant.indicators_export import (
    IndicatorFilters,
    check_filters,
    dated,
    find_indicators,
    indicator_list,
    indicator_rows,
    rows_to_csv,
    rows_to_xlsx,
)
from assistant.settings import Settings

if TYPE_CHECKING:
    from assistant.indicators import IndicatorGroup
    from ingest.indicators import IndicatorRecord


def run_indicators_command(
    settings: Settings,
    *,
    query: str | None,
    period: str | None,
    document: str | None,
    output: str = "text",
    xlsx_path: Path | None = None,
) -> int:
    """Print (or write) the indicator table for these filters. 0: done (also when nothing matches); 2: bad input."""
    try:
        filters = check_filters(query, period, document)
    except InputRejected as rejected:
        print(f"Lỗi: {rejected.vi} ({rejected.en})", file=sys.stderr)
        return 2
    if xlsx_path is not None:
        problem = _unwritable(xlsx_path)
        if problem:  # before the index is opened: the answer is the same, and it comes at once
            print(f"Lỗi: {problem}", file=sys.stderr)
            return 2

    from assistant.service import Assistant

    groups = find_indicators(Assistant.from_settings(settings), filters)
    rows = indicator_rows(groups)
    if xlsx_path is not None:
        xlsx_path.write_bytes(rows_to_xlsx(rows))
        print(f"Đã ghi {len(rows)} giá trị của {len(groups)} chỉ tiêu vào {xlsx_path}.")
    elif output == "json":
        print(json.dumps(indicator_list(groups, filters).model_dump(mode="json"), ensure_ascii=False, indent=2))
    elif output == "csv":
        sys.stdout.write(rows_to_csv(rows))
    else:
        print(format_indicator_table(groups, filters))
    return 0


def _unwritable(path: Path) -> str | None:
    """Why the .xlsx cannot be written at ``path`` (None: it can)."""
    if path.is_dir():
        return f"{path} là một thư mục; hãy ghi tên tệp, ví dụ {path / 'chi-tieu.xlsx'}."
    if not path.parent.is_dir():
        return f"Thư mục {path.parent} không tồn tại; hãy tạo nó trước hoặc chọn một thư mục khác."
    if path.suffix.lower() != ".xlsx":
        return f"Tệp Excel phải có đuôi .xlsx (đã nhận «{path.name}»), ví dụ chi-tieu.xlsx."
    return None


# ---------------------------------------------------------------- plain text

_COLUMNS = ("Kỳ", "Tình trạng", "Giá trị")


def format_indicator_table(groups: Sequence[IndicatorGroup], filters: IndicatorFilters) -> str:
    """One block per indicator: its label, then one line per value (period, status, value as written) and,
    under it, the document it comes from (title, number, date, location)."""
    if not groups:
        return _nothing_found(filters)
    lines: list[str] = []
    for group in groups:
        cells = [(r.period or "—", r.status, _value(r)) for r in group.records]
        widths = [max(_width(c[i]) for c in [_COLUMNS, *cells]) for i in range(len(_COLUMNS))]
        count = len(group.records)
        lines.append(f"■ {group.label} ({count} giá trị)")
        lines.append("  " + "  ".join(_pad(h, w) for h, w in zip(_COLUMNS, widths, strict=True)) + "  Văn bản")
        for record, row in zip(group.records, cells, strict=True):
            lines.append("  " + "  ".join(_pad(c, w) for c, w in zip(row, widths, strict=True)) + "  " + _document(record))
            if record.indicator.strip() != group.label.strip():
                lines.append(f"  {'':{sum(widths) + 2 * len(widths)}}(ghi là: {record.indicator})")
        lines.append("")
    values = sum(len(g.records) for g in groups)
    lines.append(f"{len(groups)} chỉ tiêu, {values} giá trị.")
    return "\n".join(lines)


def _value(record: IndicatorRecord) -> str:
    """The value as written; the comparison the document makes beside it, if any."""
    value, comparison = record.value_text, record.comparison
    return f"{value} ({comparison})" if comparison and comparison not in value else value


def _document(record: IndicatorRecord) -> str:
    parts = [record.title]
    date = dated(record.date)
    if record.number:
        parts.append(f"số {record.number}")
    if date:
        parts.append(date)
    text = ", ".join(parts)
    return f"{text} — {record.location}" if record.location else text


def _nothing_found(filters: IndicatorFilters) -> str:
    asked = [f"«{v}»" for v in (filters.query, filters.period, filters.document) if v]
    if not asked:
        return (
            "Chưa có chỉ tiêu nào trong kho. Hãy nạp văn bản trước: assistant ingest [PATH ...]"
        )
    return (
        f"Không tìm thấy chỉ tiêu nào khớp {', '.join(asked)}. "
        "Hãy thử ít từ hơn, bỏ bớt --period/--document, hoặc xem tất cả: assistant indicators"
    )


def _width(text: str) -> int:
    """Columns a terminal gives the text (Vietnamese combining marks take none)."""
    return sum(0 if unicodedata.combining(ch) else 2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _pad(text: str, width: int) -> str:
    return text + " " * (width - _width(text))
