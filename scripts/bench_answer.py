"""In-process latency of Assistant.answer() (extractive path) on questions never asked before.

Usage: .venv/bin/python scripts/bench_answer.py [--data-dir DIR] [--dataset FILE ...] [--rounds N] [--max-p95 MS]
The index must already hold the corpus (`assistant ingest`). Every distinct question of the eval sets
is asked once (round 1: nothing cached); later rounds measure repeated questions. Prints p50/p95/max
in milliseconds per round; with --max-p95, exits 1 when round 1's p95 is above it.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from assistant.models import Turn  # noqa: E402

if TYPE_CHECKING:
    from assistant.service import Assistant

# A question of the eval sets and its history (earlier user turns), as the sets write them.
Case = tuple[str, tuple[str, ...]]

# Questions no set asks: they load the model and build the per-index tables, and cache nothing measured.
WARMUP_QUESTIONS = [f"Số liệu thống kê năm {year} của phòng thí nghiệm là bao nhiêu?" for year in range(1990, 2000)]


def default_datasets() -> list[Path]:
    """Every eval set of questions (evals/*.jsonl but the *_gold.jsonl tables)."""
    return sorted(p for p in (ROOT / "evals").glob("*.jsonl") if not p.name.endswith("_gold.jsonl"))


def distinct_cases(datasets: Sequence[Path]) -> list[Case]:
    """Each distinct (question, history) of the sets once, sorted."""
    items = [json.loads(line) for path in datasets for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return sorted({(item["question"], tuple(item.get("history") or ())) for item in items})


def history_turns(history: Sequence[str]) -> list[Turn]:
    return [Turn(role="user", content=h) for h in history]


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    position = (len(ordered) - 1) * q / 100.0
    low, high = int(position), min(int(position) + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)



def open_assistant(data_dir: Path | None) -> Assistant:
    """An extractive Assistant on `data_dir` (default: settings), warmed up on questions no set asks."""
    from assistant.service import Assistant
    from assistant.settings import load_settings

    overrides: dict[str, object] = {"llm_mode": "extractive"}
    if data_dir:
        overrides["data_dir"] = data_dir
    assistant = Assistant.from_settings(load_settings(**overrides))
    for question in WARMUP_QUESTIONS:
        assistant.answer(question)
    assistant.indicators()  # loaded on first use, as `assistant serve` loads it before serving
    return assistant


def time_answers(assistant: Assistant, cases: Sequence[Case]) -> list[float]:
    """Milliseconds of assistant.answer() for each case, in order."""
    timings: list[float] = []
    for question, history in cases:
        turns = history_turns(history)
        started = time.perf_counter()
        assistant.answer(question, turns)
        timings.append((time.perf_counter() - started) * 1000)
    return timings


def summary(timings: list[float]) -> str:
    return (f"{len(timings)} questions · p50 {percentile(timings, 50):.1f} ms · p95 {percentile(timings, 95):.1f} ms · "
            f"mean {statistics.fmean(timings):.1f} ms · max {max(timings):.1f} ms")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=None, help="index location (default: settings)")
    parser.add_argument("--dataset", type=Path, nargs="*", default=default_datasets())
    parser.add_argument("--rounds", type=int, default=1, help="passes over the questions (round 1: never asked before)")
    parser.add_argument("--max-p95", type=float, default=None, help="fail when round 1's p95 (ms) is above this")
    args = parser.parse_args()

    assistant = open_assistant(args.data_dir)
    cases = distinct_cases(args.dataset)
    first_p95 = 0.0
    for round_number in range(1, args.rounds + 1):
        timings = time_answers(assistant, cases)
        p95 = percentile(timings, 95)
        first_p95 = first_p95 or p95
        label = "never asked before" if round_number == 1 else "asked again"
        print(f"round {round_number} ({label}): {summary(timings)}")
    if args.max_p95 is not None and first_p95 > args.max_p95:
        print(f"FAIL: p95 {first_p95:.1f} ms on new questions is above {args.max_p95:.0f} ms")
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
