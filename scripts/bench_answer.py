"""In-process latency of Assistant.answer() (extractive path) over the eval questions.

Usage: .venv/bin/python scripts/bench_answer.py [--data-dir DIR] [--dataset FILE] [--rounds N]
The index must already hold the corpus (`assistant ingest`). Prints p50/p95/max in milliseconds.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from assistant.models import Turn  # noqa: E402
from assistant.service import Assistant  # noqa: E402
from assistant.settings import load_settings  # noqa: E402


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    position = (len(ordered) - 1) * q / 100.0
    low, high = int(position), min(int(position) + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=None, help="index location (default: settings)")
    parser.add_argument("--dataset", type=Path, default=ROOT / "evals" / "dataset.jsonl")
    parser.add_argument("--rounds", type=int, default=3, help="passes over the questions")
    args = parser.parse_args()

    overrides: dict[str, object] = {"llm_mode": "extractive"}
    if args.data_dir:
        overrides["data_dir"] = args.data_dir
    assistant = Assistant.from_settings(load_settings(**overrides))
    items = [json.loads(line) for line in args.dataset.read_text(encoding="utf-8").splitlines() if line.strip()]
    cases = [
        (item["question"], [Turn(role="user", content=h) for h in item.get("history") or []]) for item in items
    ]
    for question, history in cases[:10]:  # warm-up: model load, caches
        assistant.answer(question, history)
    timings: list[float] = []
    for _ in range(args.rounds):
        for question, history in cases:
            started = time.perf_counter()
            assistant.answer(question, history)
            timings.append((time.perf_counter() - started) * 1000)
    print(f"questions: {len(cases)} × {args.rounds} rounds, extractive, in-process")
    print(f"p50 {_percentile(timings, 50):.1f} ms · p95 {_percentile(timings, 95):.1f} ms · "
          f"mean {statistics.fmean(timings):.1f} ms · max {max(timings):.1f} ms")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
