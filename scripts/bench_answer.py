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
    parser.add_argument("--dataset", type=Path, nargs="*", default=sorted(p for p in (ROOT / "evals").glob("*.jsonl") if not p.name.endswith("_gold.jsonl")))
    parser.add_argument("--rounds", type=int, default=1, help="passes over the questions (round 1: never asked before)")
    parser.add_argument("--max-p95", type=float, default=None, help="fail when round 1's p95 (ms) is above this")
    args = parser.parse_args()

    overrides: dict[str, object] = {"llm_mode": "extractive"}
    if args.data_dir:
        overrides["data_dir"] = args.data_dir
    assistant = Assistant.from_settings(load_settings(**overrides))
    items = [json.loads(line) for path in args.dataset for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    distinct = {(item["question"], tuple(item.get("history") or ())) for item in items}
    cases = [(q, [Turn(role="user", content=h) for h in history]) for q, history in sorted(distinct)]
    # Warm-up on questions no set asks: loads the model and builds the per-index tables, caches nothing measured.
    for year in range(1990, 2000):
        assistant.answer(f"Số liệu thống kê năm {year} của phòng thí nghiệm là bao nhiêu?")
    first_p95 = 0.0
    for round_number in range(1, args.rounds + 1):
        timings: list[float] = []
        for question, history in cases:
            started = time.perf_counter()
            assistant.answer(question, history)
            timings.append((time.perf_counter() - started) * 1000)
        p95 = _percentile(timings, 95)
        first_p95 = first_p95 or p95
        label = "never asked before" if round_number == 1 else "asked again"
        print(f"round {round_number} ({label}): {len(cases)} questions · p50 {_percentile(timings, 50):.1f} ms · "
              f"p95 {p95:.1f} ms · mean {statistics.fmean(timings):.1f} ms · max {max(timings):.1f} ms")
    if args.max_p95 is not None and first_p95 > args.max_p95:
        print(f"FAIL: p95 {first_p95:.1f} ms on new questions is above {args.max_p95:.0f} ms")
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
