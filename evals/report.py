"""Eval reports: JSON (everything), Markdown (ours vs baseline, by kind, failures), PNG chart."""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from evals.runner import EvalReport, SystemRun
from evals.scoring import Failure, Metrics

# (metric, label, kind of value, issue target) in the order reports show them.
METRIC_ROWS: tuple[tuple[str, str, str, str], ...] = (
    ("answer_accuracy", "Answer accuracy", "rate", "≥ 95%"),
    ("citation_accuracy", "Citation accuracy", "rate", "≥ 97%"),
    ("refusal_accuracy", "Refusal accuracy", "rate", "≥ 90%"),
    ("refusal_recall", "Refusal recall (unanswerable refused)", "rate", ""),
    ("false_refusal_rate", "False refusals (answerable refused)", "rate", ""),
    ("refusal_balanced_accuracy", "Refusal balanced accuracy", "rate", ""),
    ("invented_figure_answers", "Answers with invented figures", "count", "0"),
    ("hit_at_1", "Retrieval hit@1", "rate", ""),
    ("hit_at_5", "Retrieval hit@5", "rate", ""),
    ("mrr", "Retrieval MRR", "ratio", ""),
    ("latency_p50_ms", "Latency p50 (ms)", "ms", ""),
    ("latency_p95_ms", "Latency p95 (ms)", "ms", ""),
    ("passed", "Items fully passed", "count", ""),
)


@dataclass(frozen=True)
class ReportFiles:
    json: Path
    markdown: Path
    chart: Path

    def as_dict(self) -> dict[str, Path]:
        return {"json": self.json, "markdown": self.markdown, "chart": self.chart}


def _format(value: Any, kind: str) -> str:
    if value is None:
        return "–"
    if kind == "rate":
        return f"{value * 100:.1f}%"
    if kind == "ratio":
        return f"{value:.3f}"
    if kind == "ms":
        return f"{value:.1f}"
    return str(value)


def _system_dict(run: SystemRun) -> dict[str, Any]:
    return {
        "name": run.name,
        "metrics": asdict(run.metrics),
        "by_kind": [asdict(k) for k in run.kinds],
        "failures": [asdict(f) for f in run.failures],
        "items": [
            {
                "id": r.item.id,
                "kind": r.item.kind,
                "question": r.item.question,
                "history": r.item.history,
                "answer": r.answer.answer if r.answer else None,
                "found": r.score.found,
                "question_interpreted": r.answer.question_interpreted if r.answer else None,
                "citations": [c.model_dump(mode="json") for c in r.answer.citations] if r.answer else [],
                "retrieved": [
                    {"rank": p.rank, "chunk_id": p.chunk_id, "source": p.source, "score": p.score}
                    for p in (r.answer.retrieved if r.answer else [])
                ],
                "score": {**asdict(r.score), "passed": r.score.passed},
            }
            for r in run.results
        ],
    }


def report_to_dict(report: EvalReport) -> dict[str, Any]:
    return {
        "dataset": report.dataset,
        "dataset_sha256": report.dataset_sha256,
        "created_at": report.created_at,
        "ours": _system_dict(report.ours),
        "baseline": _system_dict(report.baseline) if report.baseline else None,
        "gate": (
            {"ok": report.gate.ok, "regressions": report.gate.regressions, "notices": report.gate.notices}
            if report.gate
            else None
        ),
        "notices": report.notices,
    }


def metrics_table(ours: Metrics, baseline: Metrics | None) -> list[str]:
    lines = ["| metric | ours | textbook baseline | target |", "| --- | ---: | ---: | --- |"]
    for name, label, kind, target in METRIC_ROWS:
        theirs = _format(getattr(baseline, name), kind) if baseline else "–"
        lines.append(f"| {label} | {_format(getattr(ours, name), kind)} | {theirs} | {target} |")
    return lines


def kind_table(report: EvalReport) -> list[str]:
    theirs = {k.kind: k for k in report.baseline.kinds} if report.baseline else {}
    lines = [
        "| kind | items | accuracy (ours) | accuracy (baseline) | citations (ours) | citations (baseline) | passed (ours) |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for k in report.ours.kinds:
        b = theirs.get(k.kind)
        lines.append(
            f"| {k.kind} | {k.n} | {_format(k.accuracy, 'rate')} | {_format(b.accuracy if b else None, 'rate')} "
            f"| {_format(k.citation_accuracy, 'rate')} | {_format(b.citation_accuracy if b else None, 'rate')} "
            f"| {k.passed}/{k.n} |"
        )
    return lines


def _md_cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def _failure_block(failure: Failure) -> list[str]:
    lines = [f"### {failure.id} ({failure.kind})", ""]
    if failure.history:
        lines.append("- history: " + " → ".join(_md_cell(h) for h in failure.history))
    lines.append(f"- question: {_md_cell(failure.question)}")
    lines.append(f"- why: {'; '.join(failure.reasons)}")
    if failure.expected:
        lines.append("- expected: " + "; ".join(f"`{_md_cell(e)}`" for e in failure.expected))
    if failure.source:
        lines.append(f"- source: {failure.source}; cited: {', '.join(failure.cited_sources) or 'nothing'}")
    if failure.evidence:
        lines.append(f"- evidence: {_md_cell(failure.evidence)}")
    lines.append(f"- answer (found={str(failure.found).lower()}): {_md_cell(failure.answer)}")
    lines.append("")
    return lines


def render_markdown(report: EvalReport) -> str:
    ours, base = report.ours, report.baseline
    lines = [
        "# Eval report",
        "",
        f"- dataset: `{report.dataset}` ({ours.metrics.n_items} items: {ours.metrics.n_answerable} answerable, "
        f"{ours.metrics.n_unanswerable} unanswerable), sha256 {report.dataset_sha256[:12]}",
        f"- run at {report.created_at}",
        "- answer and citation accuracy and retrieval are over answerable items; refusal accuracy over all;"
        " latency is one answer() call, in process, after a warm-up call.",
        "",
        "## Ours vs the textbook baseline",
        "",
        *metrics_table(ours.metrics, base.metrics if base else None),
        "",
        "## By kind",
        "",
        *kind_table(report),
        "",
    ]
    if report.gate is not None:
        lines += ["## Regression gate", "", f"**{'PASS' if report.gate.ok else 'FAIL'}**", ""]
        lines += [f"- regression: {r}" for r in report.gate.regressions]
        lines += [f"- note: {n}" for n in report.gate.notices]
        lines.append("")
    if report.notices:
        lines += [f"- note: {n}" for n in report.notices] + [""]
    lines += [f"## Failures (ours): {len(ours.failures)}", ""]
    for failure in ours.failures:
        lines += _failure_block(failure)
    if base is not None:
        lines += [f"## Failures (baseline): {len(base.failures)}", ""]
        lines += [f"- {f.id} ({f.kind}): {'; '.join(f.reasons)}" for f in base.failures]
        lines.append("")
    return "\n".join(lines)


def render_chart(report: EvalReport, path: Path) -> None:
    # The object-oriented API with the Agg canvas: no pyplot global state, no display needed.
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    runs = [report.ours] + ([report.baseline] if report.baseline else [])
    labels = {"ours": "ours", "baseline": "textbook baseline"}
    colors = {"ours": "#1f77b4", "baseline": "#bbbbbb"}
    kinds = [k.kind for k in report.ours.kinds]
    figure = Figure(figsize=(12, 4.8), layout="constrained")
    FigureCanvasAgg(figure)
    accuracy_axes, latency_axes = figure.subplots(1, 2, width_ratios=[3, 1])
    width = 0.8 / len(runs)
    for offset, run in enumerate(runs):
        by_name = {k.kind: k for k in run.kinds}
        values = [(by_name[k].accuracy or 0.0) * 100 if k in by_name else 0.0 for k in kinds]
        positions = [i + (offset - (len(runs) - 1) / 2) * width for i in range(len(kinds))]
        accuracy_axes.bar(positions, values, width, label=labels[run.name], color=colors[run.name])
    accuracy_axes.set_xticks(range(len(kinds)), kinds, rotation=20)
    accuracy_axes.set_ylim(0, 105)
    accuracy_axes.set_ylabel("accuracy (%)")
    accuracy_axes.set_title("Accuracy by kind (unanswerable: refused)")
    accuracy_axes.legend(loc="lower right")
    for offset, run in enumerate(runs):
        values = [run.metrics.latency_p50_ms or 0.0, run.metrics.latency_p95_ms or 0.0]
        positions = [i + (offset - (len(runs) - 1) / 2) * width for i in range(2)]
        latency_axes.bar(positions, values, width, label=labels[run.name], color=colors[run.name])
    latency_axes.set_xticks(range(2), ["p50", "p95"])
    latency_axes.set_ylabel("ms per answer()")
    latency_axes.set_title("Latency")
    figure.savefig(path, dpi=110)


def format_summary(report: EvalReport) -> str:
    """What the console shows: the metrics table, the by-kind table, the gate and every failure in a line."""
    base = report.baseline
    lines = [*metrics_table(report.ours.metrics, base.metrics if base else None), "", *kind_table(report), ""]
    failures = report.ours.failures
    lines.append(f"Failures (ours): {len(failures)}")
    lines += [f"  {f.id} ({f.kind}): {'; '.join(f.reasons)}" for f in failures]
    if report.gate is not None:
        lines.append("")
        lines.append(f"Regression gate: {'PASS' if report.gate.ok else 'FAIL'}")
        lines += [f"  REGRESSION {r}" for r in report.gate.regressions]
        lines += [f"  note: {n}" for n in report.gate.notices]
    lines += [f"note: {n}" for n in report.notices]
    return "\n".join(lines)


def _point_latest(out_dir: Path) -> None:
    """results/latest → this run: a relative symlink where the OS allows it, else a copy."""
    latest = out_dir.parent / "latest"
    if latest.is_symlink() or latest.is_file():
        latest.unlink()
    elif latest.is_dir():
        shutil.rmtree(latest)
    try:
        os.symlink(out_dir.name, latest, target_is_directory=True)
    except OSError:
        shutil.copytree(out_dir, latest)


def write_reports(report: EvalReport, out_dir: Path, latest_link: bool = False) -> ReportFiles:
    out_dir.mkdir(parents=True, exist_ok=True)
    files = ReportFiles(out_dir / "report.json", out_dir / "report.md", out_dir / "chart.png")
    files.json.write_text(json.dumps(report_to_dict(report), ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    files.markdown.write_text(render_markdown(report) + "\n", encoding="utf-8")
    render_chart(report, files.chart)
    if latest_link:
        _point_latest(out_dir)
    return files
