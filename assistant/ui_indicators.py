"""The "Chỉ tiêu" tab of the chat: every target and result of an indicator across documents and periods, as
a filterable table, a chart of one indicator over its periods (targets and results told apart, each point
labelled with its document) and the current view as an Excel file.

The chart is a matplotlib image (gr.Plot), so the page loads no plotting library from the Internet. Values
are shown as the documents write them; the chart's axis is the only place a number is drawn by us."""

from __future__ import annotations

import hashlib
import html
import itertools
import logging
import re
import tempfile
import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import gradio as gr

from assistant.contract import InputRejected
from assistant.indicators_export import (
    IndicatorFilters,
    IndicatorsUnavailable,
    check_filters,
    dated,
    find_indicators,
    indicator_rows,
    rows_to_xlsx,
)
from ingest.text import display_date

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from assistant.indicators import IndicatorGroup
    from ingest.indicators import IndicatorRecord

log = logging.getLogger(__name__)

ALL = ""  # the value of "every period" / "every document" in the filter dropdowns
EXPORT_NAME = "chi-tieu.xlsx"
# A page of a few hundred rows stays quick on a phone; the .xlsx always holds the whole view.
MAX_GROUPS_SHOWN = 60
STAMP_JS = "(query, period, document, _) => [query, period, document, performance.timeOrigin + performance.now()]"
MAX_SESSIONS = 10_000  # browser sessions whose newest view is remembered (a few bytes each)
HEADERS = ["Chỉ tiêu", "Kỳ", "Giá trị", "Tình trạng", "Văn bản"]
# Targets hollow, results filled: told apart in black and white too.
STATUS_STYLES: dict[str, dict[str, Any]] = {
    "mục tiêu": {"label": "Mục tiêu, kế hoạch", "marker": "^", "color": "#1f5fbf", "filled": False},
    "ước thực hiện": {"label": "Ước thực hiện", "marker": "s", "color": "#d9822b", "filled": True},
    "thực hiện": {"label": "Thực hiện", "marker": "o", "color": "#2a8a3e", "filled": True},
    "so sánh": {"label": "So sánh", "marker": "D", "color": "#6b6b6b", "filled": False},
}
OTHER_STYLE: dict[str, Any] = {"label": "Khác", "marker": "x", "color": "#6b6b6b", "filled": True}

TABLE_CSS = """
table { width: 100%; border-collapse: collapse; font-family: var(--font); }
th, td { text-align: left; vertical-align: top; padding: .35em .5em; border-bottom: 1px solid var(--border-color-primary); }
tr.group th { background: var(--background-fill-secondary); font-size: 1.02em; padding-top: .6em; }
tr.group .count { font-weight: normal; opacity: .7; font-size: .9em; }
td.value { font-weight: 600; white-space: nowrap; }
td.value .comparison { display: block; font-weight: normal; font-size: .85em; opacity: .8; white-space: normal; }
td.document .meta { display: block; font-size: .85em; opacity: .75; }
td.status-target { color: #1f5fbf; }
td.status-result { color: #2a8a3e; }
.empty { padding: 1em 0; }
@media (max-width: 640px) {
  thead { display: none; }
  table, tbody, tr, td, th { display: block; width: 100%; box-sizing: border-box; margin: 0; }
  table, tbody, tr { padding: 0; }
  tr.group th { margin-top: .6em; padding: .4em .5em; }
  tr.value { border-bottom: 1px solid var(--border-color-primary); padding: .3em 0; }
  td { border: none; padding: .1em 0; }
  td[data-label]::before { content: attr(data-label) ": "; font-weight: 600; }
  td.value { white-space: normal; }
}
"""


@dataclass(frozen=True)
class IndicatorsView:
    """What the tab shows for one search: the table, its count line, the groups (for the chart) and the
    .xlsx of exactly these values (None when there are none)."""

    table_html: str
    summary: str
    groups: list[IndicatorGroup]
    xlsx_path: Path | None


# ---------------------------------------------------------------- rendering (pure)


def render_indicator_table(groups: Sequence[IndicatorGroup]) -> str:
    """One heading row per indicator, then one row per value: the indicator as written, period, value as
    written (and the comparison the document makes), status, document (title; number, date, location)."""
    if not groups:
        return "<p class='empty'>Không có chỉ tiêu nào khớp. Hãy thử ít từ hơn hoặc bỏ bớt bộ lọc.</p>"
    head = "".join(f"<th>{h}</th>" for h in HEADERS)
    body: list[str] = []
    for group in groups:
        body.append(
            f"<tr class='group' data-group='{html.escape(group.id)}'><th colspan='{len(HEADERS)}'>"
            f"{html.escape(group.label)} <span class='count'>({len(group.records)} giá trị)</span></th></tr>"
        )
        body.extend(_value_row(record) for record in group.records)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def _value_row(record: IndicatorRecord) -> str:
    esc = html.escape
    comparison = (
        f"<span class='comparison'>{esc(record.comparison)}</span>"
        if record.comparison and record.comparison not in record.value_text
        else ""
    )
    status_class = "status-target" if record.status == "mục tiêu" else "status-result" if "thực hiện" in record.status else ""
    meta = ", ".join(filter(None, [f"số {record.number}" if record.number else "", dated(record.date), record.location]))
    return (
        "<tr class='value'>"
        f"<td class='indicator' data-label='{HEADERS[0]}'>{esc(record.indicator)}</td>"
        f"<td class='period' data-label='{HEADERS[1]}'>{esc(record.period or '—')}</td>"
        f"<td class='value' data-label='{HEADERS[2]}'>{esc(record.value_text)}{comparison}</td>"
        f"<td class='status {status_class}' data-label='{HEADERS[3]}'>{esc(record.status)}</td>"
        f"<td class='document' data-label='{HEADERS[4]}'>{esc(record.title)}"
        f"<span class='meta'>{esc(meta)}</span></td>"
        "</tr>"
    )


def summary_line(groups: Sequence[IndicatorGroup], filters: IndicatorFilters) -> str:
    values = sum(len(g.records) for g in groups)
    asked = [f"«{_plain(v)}»" for v in (filters.query, filters.period) if v]
    if filters.document:
        asked.append("một văn bản")
    scope = f" khớp {', '.join(asked)}" if asked else ""
    line = f"**{len(groups)}** chỉ tiêu, **{values}** giá trị{scope}."
    if len(groups) > MAX_GROUPS_SHOWN:
        line += f" Bảng hiện {MAX_GROUPS_SHOWN} chỉ tiêu đầu; tệp Excel có đủ. Hãy tìm hoặc lọc để thu hẹp."
    return line


def _plain(text: str) -> str:
    """The user's words shown as typed in Markdown: no HTML, no emphasis or links of theirs."""
    return re.sub(r"([\\`*_{}\[\]()#+!|<>~-])", r"\\\1", html.escape(text, quote=False))


def filter_choices(groups: Sequence[IndicatorGroup]) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """(periods, documents) to filter by, each with "every …" first. A document is chosen by its file name."""
    periods = sorted({r.period for g in groups for r in g.records if r.period}, key=_period_order)
    documents: dict[str, str] = {}
    for record in (r for g in groups for r in g.records):
        label = record.title + (f" ({record.number})" if record.number else "")
        documents.setdefault(record.source, label)
    return (
        [("Mọi kỳ", ALL), *((p, p) for p in periods)],
        [("Mọi văn bản", ALL), *sorted(((label, source) for source, label in documents.items()), key=lambda c: c[0])],
    )


def _period_order(period: str) -> tuple[int, int, str]:
    """By first year, then the shorter span first ("2021" before "2021-2025"), then as written."""
    years = [int(y) for y in re.findall(r"(?:19|20)\d\d", period)]
    return (years[0] if years else 9999, (years[-1] - years[0]) if years else 0, period)


def group_choices(groups: Sequence[IndicatorGroup]) -> list[tuple[str, str]]:
    return [(f"{g.label} ({len(g.records)} giá trị)", g.id) for g in groups]


def _document_tag(record: IndicatorRecord) -> str:
    """A point's label names its document: its number, else the start of its title and its date (titles of
    one kind share their first words: "Nghị quyết về nhiệm vụ …")."""
    if record.number:
        return record.number
    title = record.title if len(record.title) <= 28 else record.title[:27].rstrip() + "…"
    date = display_date(record.date)
    return f"{title}\n{date}" if date else title


def indicator_chart(group: IndicatorGroup | None) -> Figure | None:
    """The group's values over its periods: one panel per unit (a percentage and an amount never share an
    axis), a marker per status, a range drawn from end to end, each point labelled with the value as
    written and its document. None when no value has a number."""
    if group is None:
        return None
    drawn = [r for r in group.records if r.numbers]
    if not drawn:
        return None
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D
    from matplotlib.ticker import FuncFormatter

    periods = list(dict.fromkeys(r.period or "—" for r in drawn))
    units = list(dict.fromkeys(r.unit or "" for r in drawn))
    figure = Figure(figsize=(9.5, 1.2 + 3.4 * len(units)), layout="constrained")
    axes = figure.subplots(len(units), 1, squeeze=False)[:, 0]
    seen_statuses: dict[str, dict[str, Any]] = {}
    for ax, unit in zip(axes, units, strict=True):
        at_period: dict[str, int] = {}
        mine = [r for r in drawn if (r.unit or "") == unit]
        for record in mine:
            period = record.period or "—"
            same = sum(1 for r in mine if (r.period or "—") == period)
            k = at_period[period] = at_period.get(period, -1) + 1
            # Several values of one period stand side by side, not on top of each other.
            x = periods.index(period) + (k - (same - 1) / 2) * 0.22
            style = STATUS_STYLES.get(record.status, OTHER_STYLE)
            seen_statuses.setdefault(style["label"], style)
            ys = sorted(set(record.numbers))
            if len(record.numbers) == 2 and ys[0] != ys[-1]:
                ax.vlines(x, ys[0], ys[-1], colors=style["color"], linewidth=3, alpha=0.5, zorder=2)
            ax.scatter(
                [x] * len(ys), ys, marker=style["marker"], s=70, zorder=3, linewidths=1.8,
                facecolors=style["color"] if style["filled"] else "white", edgecolors=style["color"],
            )
            ax.annotate(
                f"{record.value_text}\n{_document_tag(record)}", (x, ys[-1]), xytext=(0, 9),
                textcoords="offset points", ha="center", va="bottom", fontsize=8,
            )
        ax.set_xticks(range(len(periods)), periods)
        ax.set_xlim(-0.7, len(periods) - 0.3)
        ax.margins(y=0.35)
        ax.set_ylabel(unit or "giá trị")
        ax.yaxis.set_major_formatter(FuncFormatter(_vn_tick))
        ax.grid(axis="y", alpha=0.3)
        ax.spines[["top", "right"]].set_visible(False)
    handles = [
        Line2D([], [], linestyle="", marker=s["marker"], markersize=8, markeredgewidth=1.8, color=s["color"],
               markerfacecolor=s["color"] if s["filled"] else "white", label=label)
        for label, s in seen_statuses.items()
    ]
    axes[0].legend(handles=handles, loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False, fontsize=9)
    skipped = len(group.records) - len(drawn)
    note = f" ({skipped} giá trị không có số, xem bảng)" if skipped else ""
    figure.suptitle(f"{group.label}{note}", fontsize=11)
    return figure


def _vn_tick(value: float, _position: object) -> str:
    """Axis ticks as Vietnamese write numbers (1.850; 6,5), so the axis reads like the labels beside it."""
    text = f"{value:,.2f}".rstrip("0").rstrip(".")
    return text.replace(",", " ").replace(".", ",").replace(" ", ".")


# ---------------------------------------------------------------- handlers


class IndicatorsTab:
    def __init__(self, assistant: object, export_dir: Path | None = None) -> None:
        self.assistant = assistant
        self._export_dir = export_dir
        # The newest view each browser session asked for: an older view that ends later must not replace it
        # (the tab's first view is slow; the official may already have typed a search).
        self._newest: OrderedDict[str, tuple[float, int]] = OrderedDict()
        self._arrivals = itertools.count(1)
        self._lock = threading.Lock()

    def view(self, query: str | None, period: str | None, document: str | None) -> IndicatorsView:
        filters = check_filters(query, period, document)
        groups = find_indicators(self.assistant, filters)
        return IndicatorsView(
            table_html=render_indicator_table(groups[:MAX_GROUPS_SHOWN]),
            summary=summary_line(groups, filters),
            groups=groups,
            xlsx_path=self.export(groups) if groups else None,
        )

    def export(self, groups: Sequence[IndicatorGroup]) -> Path:
        """The .xlsx of these groups, named by its content: the same view is written once."""
        data = rows_to_xlsx(indicator_rows(groups))
        if self._export_dir is None:
            # Under the system temp folder, where Gradio may serve files from.
            self._export_dir = Path(tempfile.mkdtemp(prefix="chi-tieu-"))
        folder = self._export_dir / hashlib.sha256(data).hexdigest()[:16]
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / EXPORT_NAME
        if not path.exists():
            path.write_bytes(data)
        return path

    def show(
        self,
        query: str | None,
        period: str | None,
        document: str | None,
        asked_at: float | None = None,
        request: gr.Request | None = None,
    ) -> tuple[Any, ...]:
        """(table, summary, indicator dropdown, chart, download button, groups) for the filters; no change
        when the same session has asked for a newer view meanwhile. ``asked_at`` is when the browser read the
        filters (ms): the order of the questions, whatever the order the server gets to them."""
        session = str(getattr(request, "session_hash", None) or "")
        ticket = self._ask(session, float(asked_at or 0.0))
        unchanged = (gr.update(),) * 6
        try:
            shown = self.view(query, period, document)
        except InputRejected as rejected:
            gr.Warning(rejected.vi)
            return unchanged
        except Exception as error:
            if isinstance(error, IndicatorsUnavailable):
                problem = "Máy chủ này chưa có bảng chỉ tiêu."
            else:
                log.exception("the indicator table failed for %r, %r, %r", query, period, document)
                problem = "Không đọc được bảng chỉ tiêu. Lỗi đã được ghi lại trên máy chủ; vui lòng thử lại."
            return (f"<p class='empty'>{problem}</p>", "", gr.update(choices=[], value=None), None,
                    gr.update(value=None, interactive=False), [])
        if not self._still_newest(session, ticket):
            return unchanged
        choices = group_choices(shown.groups[:MAX_GROUPS_SHOWN])
        first = choices[0][1] if choices else None
        chart = indicator_chart(shown.groups[0] if shown.groups else None)
        download = gr.update(value=str(shown.xlsx_path) if shown.xlsx_path else None,
                             interactive=shown.xlsx_path is not None)
        return (shown.table_html, shown.summary, gr.update(choices=choices, value=first), chart, download,
                shown.groups)

    def _ask(self, session: str, asked_at: float) -> tuple[float, int]:
        with self._lock:
            ticket = (asked_at, next(self._arrivals))  # arrival order breaks ties (and stands in without a time)
            self._newest[session] = max(self._newest.get(session, ticket), ticket)
            self._newest.move_to_end(session)
            while len(self._newest) > MAX_SESSIONS:
                self._newest.popitem(last=False)
            return ticket

    def _still_newest(self, session: str, ticket: tuple[float, int]) -> bool:
        with self._lock:
            return self._newest.get(session, ticket) == ticket

    def filters(self) -> tuple[Any, Any]:
        """The period and document dropdowns, filled from the whole table (it changes when documents do)."""
        try:
            groups = find_indicators(self.assistant, IndicatorFilters())
        except IndicatorsUnavailable:
            groups = []
        except Exception:
            log.exception("the indicator table failed while listing filters")
            groups = []
        periods, documents = filter_choices(groups)
        return gr.update(choices=periods), gr.update(choices=documents)


def chart_of(groups: Sequence[IndicatorGroup] | None, group_id: str | None) -> Figure | None:
    chosen = next((g for g in groups or [] if g.id == group_id), None)
    return indicator_chart(chosen)


# ---------------------------------------------------------------- layout


def build_indicators_tab(assistant: object, export_dir: Path | None = None) -> None:
    """The "Chỉ tiêu" tab and its events; call inside the chat's gr.Blocks."""
    handlers = IndicatorsTab(assistant, export_dir)
    with gr.Tab("Chỉ tiêu") as tab:
        gr.Markdown(
            "### Chỉ tiêu qua các văn bản\nMục tiêu và kết quả của từng chỉ tiêu theo các kỳ, mỗi giá trị ghi đúng "
            "như văn bản và kèm nguồn. Chọn một chỉ tiêu để xem biểu đồ."
        )
        with gr.Row():
            search = gr.Textbox(
                label="Tìm chỉ tiêu", placeholder="Ví dụ: GRDP, hộ nghèo, xuất khẩu", scale=3, elem_id="ind-search"
            )
            period = gr.Dropdown(choices=[("Mọi kỳ", ALL)], value=ALL, label="Kỳ", scale=1, elem_id="ind-period")
            document = gr.Dropdown(
                choices=[("Mọi văn bản", ALL)], value=ALL, label="Văn bản", scale=2, elem_id="ind-document"
            )
        summary = gr.Markdown(elem_id="ind-summary")
        table = gr.HTML(elem_id="indicators", css_template=TABLE_CSS, js_on_load=None, apply_default_css=False)
        groups = gr.State([])
        asked_at = gr.Number(visible=False, elem_id="ind-asked-at")
        with gr.Row():
            choice = gr.Dropdown(
                choices=[], label="Biểu đồ của chỉ tiêu", scale=3, min_width=260, elem_id="ind-choice"
            )
            download = gr.DownloadButton(
                "Tải bảng đang xem (.xlsx)", interactive=False, scale=1, min_width=200, elem_id="ind-download"
            )
        chart = gr.Plot(format="png", show_label=False, elem_id="ind-chart")

    quiet: dict[str, Any] = {"api_visibility": "private", "show_progress": "hidden"}
    # The browser stamps each view it asks for with the time it read the filters (see IndicatorsTab.show).
    stamped: dict[str, Any] = {**quiet, "js": STAMP_JS}
    inputs = [search, period, document, asked_at]
    outputs = [table, summary, choice, chart, download, groups]
    tab.select(handlers.filters, None, [period, document], **quiet).then(handlers.show, inputs, outputs, **stamped)
    search.submit(handlers.show, inputs, outputs, **stamped)
    search.change(handlers.show, inputs, outputs, trigger_mode="always_last", **stamped)
    period.change(handlers.show, inputs, outputs, **stamped)
    document.change(handlers.show, inputs, outputs, **stamped)
    choice.input(chart_of, [groups, choice], [chart], **quiet)
