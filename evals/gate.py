"""The regression gate: compare a run with the last accepted results (evals/baseline.json).

A run fails the gate when an accuracy-type metric falls more than half a percentage point, when an
item that passed now fails, or when any answer invents a figure (a hard floor, whatever was accepted
before). The gate judges answers, never speed: latency is reported (and noted when it more than
doubled), but a busy machine must not fail an ingest or `make test`. Latency targets are measured
by the benchmarks (scripts/bench_answer.py, scripts/bench_load.py) against an idle figure.
"""

from __future__ import annotations

import json
import os
from collections.abc import Collection
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from evals.scoring import Metrics

ACCURACY_TOLERANCE = 0.005
# Higher is better for these; each may fall by at most ACCURACY_TOLERANCE.
HIGHER_IS_BETTER = (
    "answer_accuracy",
    "citation_accuracy",
    "refusal_accuracy",
    "refusal_recall",
    "refusal_balanced_accuracy",
    "hit_at_1",
    "hit_at_5",
    "mrr",
)
LOWER_IS_BETTER = ("false_refusal_rate",)
# Latency is never a failure reason; a p95 this many times the accepted one is worth a note.
LATENCY_NOTE_FACTOR = 2.0
# Below a few tens of milliseconds, doubling is within scheduler noise: not even worth a note.
LATENCY_SLACK_MS = 50.0


@dataclass(frozen=True)
class AcceptedResults:
    metrics: dict[str, Any]
    passed: list[str]
    dataset_sha256: str = ""
    accepted_at: str = ""


@dataclass
class GateResult:
    regressions: list[str] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.regressions


def load_accepted(path: Path) -> AcceptedResults | None:
    if not path.exists():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return AcceptedResults(
            metrics=dict(data["metrics"]),
            passed=list(data["passed"]),
            dataset_sha256=str(data.get("dataset_sha256", "")),
            accepted_at=str(data.get("accepted_at", "")),
        )
    except (json.JSONDecodeError, KeyError, TypeError) as exc:
        raise ValueError(
            f"{path} is not a valid accepted-results file ({exc}); "
            "fix it or delete it and run `assistant eval --update-baseline`"
        ) from exc


def save_accepted(path: Path, metrics: Metrics, passed_ids: Collection[str], dataset_sha256: str) -> None:
    accepted = AcceptedResults(
        metrics=asdict(metrics),
        passed=sorted(passed_ids),
        dataset_sha256=dataset_sha256,
        accepted_at=datetime.now(UTC).isoformat(timespec="seconds"),
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    partial.write_text(json.dumps(asdict(accepted), ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    os.replace(partial, path)


def _pp(value: float) -> str:
    return f"{value * 100:.1f}%"


def check_hard_floors(metrics: Metrics, invented_ids: Collection[str]) -> list[str]:
    if metrics.invented_figure_answers:
        return [f"invented figures must be 0, got {metrics.invented_figure_answers}: {', '.join(sorted(invented_ids))}"]
    return []


def latency_notice(old_p95: float | None, new_p95: float | None) -> str | None:
    """A note (never a regression) when answer latency more than doubled: it depends on machine load."""
    if old_p95 is None or new_p95 is None:
        return None
    if new_p95 <= max(old_p95 * LATENCY_NOTE_FACTOR, old_p95 + LATENCY_SLACK_MS):
        return None
    return (
        f"latency_p95_ms rose from {old_p95:.1f} to {new_p95:.1f}; reported, not gated "
        "(it depends on machine load: measure it on an idle machine with scripts/bench_answer.py)"
    )


def check_gate(
    metrics: Metrics,
    passed_ids: Collection[str],
    item_ids: Collection[str],
    invented_ids: Collection[str],
    accepted: AcceptedResults | None,
    dataset_sha256: str = "",
) -> GateResult:
    result = GateResult(regressions=check_hard_floors(metrics, invented_ids))
    if accepted is None:
        result.notices.append("no accepted results yet: run `assistant eval --update-baseline` to accept these")
        return result
    if accepted.dataset_sha256 and dataset_sha256 and accepted.dataset_sha256 != dataset_sha256:
        result.notices.append("the dataset changed since the accepted results; metrics are compared anyway")
    now = asdict(metrics)
    for name in HIGHER_IS_BETTER:
        old, new = accepted.metrics.get(name), now.get(name)
        if old is not None and new is not None and new < old - ACCURACY_TOLERANCE:
            result.regressions.append(f"{name} fell from {_pp(old)} to {_pp(new)}")
    for name in LOWER_IS_BETTER:
        old, new = accepted.metrics.get(name), now.get(name)
        if old is not None and new is not None and new > old + ACCURACY_TOLERANCE:
            result.regressions.append(f"{name} rose from {_pp(old)} to {_pp(new)}")
    latency = latency_notice(accepted.metrics.get("latency_p95_ms"), metrics.latency_p95_ms)
    if latency:
        result.notices.append(latency)
    present = set(item_ids)
    now_passed = set(passed_ids)
    for item_id in sorted(set(accepted.passed)):
        if item_id not in present:
            result.notices.append(f"accepted item {item_id} is no longer in the dataset")
        elif item_id not in now_passed:
            result.regressions.append(f"item {item_id} passed before and fails now")
    return result
