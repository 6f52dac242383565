"""Reading back what the indicator exports wrote, as a user's spreadsheet program would see it."""

from __future__ import annotations

import csv
import io

from assistant.indicators_export import HEADERS


def xlsx_rows(data: bytes) -> list[list[str]]:
    """Every row of the workbook's first sheet, header first, each cell as text ('' when empty)."""
    from openpyxl import load_workbook

    sheet = load_workbook(io.BytesIO(data)).worksheets[0]
    return [["" if v is None else str(v) for v in line] for line in sheet.iter_rows(values_only=True)]


def csv_rows(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


def header() -> list[str]:
    return list(HEADERS.values())


def column(name: str) -> int:
    """The position of a column (by IndicatorRow field name) in an export."""
    return list(HEADERS).index(name)
