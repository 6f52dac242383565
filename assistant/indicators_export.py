"""The indicator table as officials and API clients receive it: the checked filters, the JSON shape, and one
row per value for CSV and Excel (.xlsx). Every value stays the document's own text: nothing here parses,
rounds or reformats a figure."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import astuple, dataclass
from typing import TYPE_CHECKING, Any, Protocol

from pydantic import BaseModel, Field

from assistant.contract import InputRejected
from ingest.text import display_date

if TYPE_CHECKING:
    from assistant.indicators import IndicatorGroup

# A filter names an indicator, a period or a document: a line, not a paragraph.
MAX_FILTER_CHARS = 200
SHEET_TITLE = "Chỉ tiêu"


class IndicatorSource(Protocol):
    """What the adapters need to show the table (assistant/service.py's Assistant has it)."""

    def indicators(
        self, query: str | None = None, *, period: str | None = None, document: str | None = None
    ) -> list[IndicatorGroup]: ...


class IndicatorsUnavailable(RuntimeError):
    """The assistant given to an adapter has no indicator table."""


@dataclass(frozen=True)
class IndicatorFilters:
    query: str | None = None
    period: str | None = None
    document: str | None = None


_FILTER_NAMES = {"query": ("q", "từ khoá tìm"), "period": ("period", "kỳ"), "document": ("document", "văn bản")}


def check_filters(query: str | None = None, period: str | None = None, document: str | None = None) -> IndicatorFilters:
    """The filters stripped (blank means no filter), or InputRejected saying which one is wrong and why."""
    checked: dict[str, str | None] = {}
    for name, value in (("query", query), ("period", period), ("document", document)):
        where, vi_name = _FILTER_NAMES[name]
        text = (value or "").strip()
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            raise InputRejected(
                where,
                f"Ô {vi_name} có ký tự không hợp lệ; vui lòng gõ lại.",
                f"{where} is not valid Unicode text: send UTF-8 text",
            ) from None
        if len(text) > MAX_FILTER_CHARS:
            raise InputRejected(
                where,
                f"Ô {vi_name} dài {len(text)} ký tự; tối đa là {MAX_FILTER_CHARS} ký tự.",
                f"{where} has {len(text)} characters; the limit is {MAX_FILTER_CHARS}: use a few words",
            )
        checked[name] = text or None
    return IndicatorFilters(**checked)


def find_indicators(assistant: object, filters: IndicatorFilters) -> list[IndicatorGroup]:
    """The groups the assistant's table holds for these filters."""
    search = getattr(assistant, "indicators", None)
    if not callable(search):
        raise IndicatorsUnavailable(
            "This assistant has no indicator table (Assistant.indicators); run the server with the real Assistant."
        )
    return list(search(filters.query, period=filters.period, document=filters.document))


def dated(iso: object) -> str:
    """A document's date as a phrase: "ngày 09/12/2020", "tháng 11/2020", "năm 2020" ('' when unknown)."""
    date = display_date(iso) or ""
    parts = date.split("/")
    if not all(p.isdigit() for p in parts):
        return date  # not a date we can name the precision of: as recorded
    return {3: "ngày", 2: "tháng", 1: "năm"}[min(len(parts), 3)] + f" {date}"


# ---------------------------------------------------------------- JSON


class IndicatorValue(BaseModel):
    """One value of an indicator, with everything its citation needs."""

    id: str
    indicator: str = Field(description="The indicator as the document writes it")
    key: str = Field(description="Its normalised key (folded, no diacritics)")
    value_text: str = Field(description="The value exactly as the document writes it, e.g. '6,5 - 7%'")
    numbers: list[float] = Field(description="The numbers read from value_text; a range keeps both ends")
    unit: str | None
    period: str | None = Field(description="e.g. '2025', '2021-2025', '6 tháng đầu năm 2023'")
    status: str = Field(description="'mục tiêu', 'ước thực hiện', 'thực hiện' or 'so sánh'")
    comparison: str | None = Field(description="e.g. 'đạt 100,3% kế hoạch', 'tăng 3,49% so với cùng kỳ'")
    source: str = Field(description="The document's file name")
    title: str
    number: str | None = Field(description="The document's number, e.g. '12/NQ-HĐND'")
    date: str | None = Field(description="The document's date as officials write it (dd/mm/yyyy)")
    location: str = Field(description="Where in the document, as a citation shows it")
    quote: str = Field(description="The passage the value is read from, as written")
    chunk_id: str


class IndicatorGroupView(BaseModel):
    """The values that measure the same indicator, sorted by period, then document date."""

    id: str
    label: str
    values: list[IndicatorValue]


class IndicatorList(BaseModel):
    query: str | None
    period: str | None
    document: str | None
    groups: int = Field(description="How many indicators")
    count: int = Field(description="How many values, over all indicators")
    indicators: list[IndicatorGroupView]


def indicator_list(groups: Sequence[IndicatorGroup], filters: IndicatorFilters) -> IndicatorList:
    views = [
        IndicatorGroupView(id=g.id, label=g.label, values=[_value(r) for r in g.records]) for g in groups
    ]
    return IndicatorList(
        query=filters.query,
        period=filters.period,
        document=filters.document,
        groups=len(views),
        count=sum(len(v.values) for v in views),
        indicators=views,
    )


def _value(record: Any) -> IndicatorValue:
    # The record's own fields, but its numbers as a list and its date as officials write it.
    fields = {name: getattr(record, name) for name in IndicatorValue.model_fields}
    return IndicatorValue(**{**fields, "numbers": list(record.numbers), "date": display_date(record.date)})


# ---------------------------------------------------------------- rows (CSV, .xlsx, the UI table)


@dataclass(frozen=True)
class IndicatorRow:
    """One value as a spreadsheet row. Field order is column order; every cell is text as written."""

    group: str
    indicator: str
    period: str
    value: str
    unit: str
    status: str
    comparison: str
    title: str
    number: str
    date: str
    location: str
    quote: str
    source: str


HEADERS = {
    "group": "Nhóm chỉ tiêu",
    "indicator": "Chỉ tiêu (như văn bản ghi)",
    "period": "Kỳ",
    "value": "Giá trị (như văn bản ghi)",
    "unit": "Đơn vị",
    "status": "Tình trạng",
    "comparison": "So sánh",
    "title": "Văn bản",
    "number": "Số hiệu",
    "date": "Ngày ban hành",
    "location": "Vị trí trong văn bản",
    "quote": "Trích dẫn",
    "source": "Tệp",
}
# Characters per column in Excel: the quote is long and wraps; the rest fit on one line.
_WIDTHS = {"group": 34, "indicator": 40, "period": 16, "value": 22, "unit": 12, "status": 14, "comparison": 26,
           "title": 46, "number": 16, "date": 13, "location": 30, "quote": 80, "source": 28}


def indicator_rows(groups: Sequence[IndicatorGroup]) -> list[IndicatorRow]:
    return [
        IndicatorRow(
            group=group.label,
            indicator=r.indicator,
            period=r.period or "",
            value=r.value_text,
            unit=r.unit or "",
            status=r.status,
            comparison=r.comparison or "",
            title=r.title,
            number=r.number or "",
            date=display_date(r.date) or "",
            location=r.location,
            quote=r.quote,
            source=r.source,
        )
        for group in groups
        for r in group.records
    ]


def rows_to_csv(rows: Sequence[IndicatorRow]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(HEADERS.values())
    writer.writerows(astuple(row) for row in rows)
    return out.getvalue()


def rows_to_xlsx(rows: Sequence[IndicatorRow]) -> bytes:
    """A workbook with one sheet: a bold, frozen header row with filters, then one row per value."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = SHEET_TITLE
    sheet.append(list(HEADERS.values()))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append(list(astuple(row)))
    for line in sheet.iter_rows(min_row=2):
        for cell in line:
            # openpyxl would store "=…" as a formula; a document's text is never one. Text cells also keep
            # Excel from turning "6,5" or "06/12/2024" into a number or a date of its own.
            cell.data_type = "s"
            cell.number_format = "@"
    for position, name in enumerate(HEADERS, start=1):
        sheet.column_dimensions[get_column_letter(position)].width = _WIDTHS[name]
        if name in {"quote", "indicator", "title"}:
            for (cell,) in sheet.iter_rows(min_row=2, min_col=position, max_col=position):
                cell.alignment = Alignment(wrap_text=True, vertical="top")
    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = f"A1:{get_column_letter(len(HEADERS))}{max(1, len(rows) + 1)}"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()

