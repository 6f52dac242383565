"""Answer latency while an ingest runs on the same index, against the idle latency of the same run.

    .venv/bin/python scripts/bench_ingest_load.py [--docs 30] [--mode thread|process] [--foreground]
        [--archive-dir /work/archive/docs | --archive ../shared/corpora/archive.tar.xz] [--max-ratio 2]

Builds a temp data dir holding the bundled corpus, then an Assistant as scripts/bench_answer.py does.
Questions are the distinct eval questions, each asked once (never asked before: nothing cached), split
alternately between two phases: idle, then while --docs archive documents are ingested into the same
index, by a thread of this process (`--mode thread`, the upload path: ingest_paths(background=True)
unless --foreground) or by another process (`--mode process`, `assistant ingest` beside a server).
Prints p50/p95 of each phase and their ratio (target: p95 under ingest ≤ 2 × idle, issue 10), with the
load average, as the machine's other work moves every figure. Exits 1 above --max-ratio when given.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from assistant.components import build_embeddings, open_index  # noqa: E402
from assistant.models import Turn  # noqa: E402
from assistant.service import Assistant  # noqa: E402
from assistant.settings import Settings  # noqa: E402
from ingest.pipeline import ingest_paths  # noqa: E402

DEFAULT_ARCHIVE = ROOT.parent / "shared" / "corpora" / "archive.tar.xz"
_PROCESS_INGEST = """
import sys
from pathlib import Path
sys.path.insert(0, sys.argv[1])
from assistant.components import build_embeddings, open_index
from assistant.settings import Settings
from ingest.pipeline import ingest_paths
settings = Settings(_env_file=None, data_dir=Path(sys.argv[2]))
embeddings = build_embeddings(settings)
with open_index(settings, embeddings) as index:
    summary = ingest_paths([Path(sys.argv[3])], index=index, embeddings=embeddings)
print(summary.added, summary.commits)
"""


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    position = (len(ordered) - 1) * q / 100.0
    low, high = int(position), min(int(position) + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def load() -> str:
    return "load " + " ".join(f"{x:.1f}" for x in os.getloadavg())


def archive_documents(args: argparse.Namespace, into: Path) -> Path:
    """A folder holding --docs archive documents (links to the extracted files are not followed by the
    ingest, so they are copied, into the temp dir only)."""
    source = args.archive_dir
    if source is None:
        with tarfile.open(args.archive, "r:xz") as tar:
            tar.extractall(into / "extracted", filter="data")
        source = into / "extracted" / "docs"
    folder = into / "batch"
    folder.mkdir()
    for path in sorted(Path(source).glob("*.txt"))[: args.docs]:
        shutil.copyfile(path, folder / path.name)
    return folder


def ask(assistant: Assistant, cases: list[tuple[str, list[Turn]]], until: threading.Event | None) -> list[float]:
    timings = []
    for question, history in cases:
        if until is not None and until.is_set():
            break
        started = time.perf_counter()
        assistant.answer(question, history)
        timings.append((time.perf_counter() - started) * 1000)
    return timings


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--docs", type=int, default=30, help="archive documents ingested under load (default 30)")
    parser.add_argument("--mode", choices=("thread", "process"), default="thread")
    parser.add_argument("--foreground", action="store_true", help="thread mode: ingest at normal CPU priority")
    parser.add_argument("--archive-dir", type=Path, default=Path("/work/archive/docs") if Path("/work/archive/docs").is_dir() else None)
    parser.add_argument("--archive", type=Path, default=DEFAULT_ARCHIVE)
    parser.add_argument("--max-ratio", type=float, default=None)
    args = parser.parse_args()

    items = [
        json.loads(line)
        for path in sorted((ROOT / "evals").glob("*.jsonl"))
        for line in path.read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]
    distinct = sorted({(i["question"], tuple(i.get("history") or ())) for i in items if isinstance(i.get("question"), str)})
    cases = [(q, [Turn(role="user", content=h) for h in history]) for q, history in distinct]
    idle_cases, busy_cases = cases[0::2], cases[1::2]

    with tempfile.TemporaryDirectory(prefix="bench-ingest-load-") as tmp:
        root = Path(tmp)
        batch = archive_documents(args, root)
        settings = Settings(_env_file=None, data_dir=root / "data", llm_mode="extractive")  # type: ignore[call-arg]
        embeddings = build_embeddings(settings)
        with open_index(settings, embeddings) as index:
            prepared = ingest_paths([settings.corpus_dir], index=index, embeddings=embeddings)
        print(f"index: bundled corpus, {prepared.added} documents ({load()})")
        assistant = Assistant.from_settings(settings)
        for year in range(1990, 2000):  # warm-up on questions no set asks
            assistant.answer(f"Số liệu thống kê năm {year} của phòng thí nghiệm là bao nhiêu?")

        idle = ask(assistant, idle_cases, None)
        print(f"idle:         {len(idle)} new questions · p50 {percentile(idle, 50):6.1f} ms · "
              f"p95 {percentile(idle, 95):6.1f} ms ({load()})")

        finished = threading.Event()
        outcome: list[str] = []
        started = time.perf_counter()
        if args.mode == "thread":
            def work() -> None:
                try:
                    summary = ingest_paths([batch], index=assistant.index, embeddings=assistant.embeddings,
                                           background=not args.foreground)
                    outcome.append(f"{summary.added} documents in {summary.commits} commits")
                finally:
                    finished.set()

            writer = threading.Thread(target=work, daemon=True)
            writer.start()
        else:
            child = subprocess.Popen([sys.executable, "-c", _PROCESS_INGEST, str(ROOT), str(settings.data_dir), str(batch)],
                                     stdout=subprocess.PIPE, text=True)

            def wait() -> None:
                out, _ = child.communicate()
                outcome.append(f"{out.split()[0] if out.split() else '?'} documents (exit {child.returncode})")
                finished.set()

            threading.Thread(target=wait, daemon=True).start()
        time.sleep(2.0)  # the ingest is under way (parsing, embedding) before the first question
        busy = ask(assistant, busy_cases, finished)
        asked_at = time.perf_counter() - started
        during_load = load()
        finished.wait()
        ingest_seconds = time.perf_counter() - started
        label = f"{args.mode}{' foreground' if args.foreground and args.mode == 'thread' else ''}"
        print(f"under ingest: {len(busy)} new questions in {asked_at:.0f} s · p50 {percentile(busy, 50):6.1f} ms · "
              f"p95 {percentile(busy, 95):6.1f} ms ({during_load}); ingest ({label}): {outcome[0] if outcome else '?'}, "
              f"{ingest_seconds:.0f} s")
        if len(busy) < 20:
            print("  few questions were asked while the ingest ran: give more --docs")
        ratio50 = percentile(busy, 50) / percentile(idle, 50)
        ratio95 = percentile(busy, 95) / percentile(idle, 95)
        print(f"ratio under ingest / idle: p50 {ratio50:.2f} · p95 {ratio95:.2f} (target p95 ≤ 2)")
        assistant.index.close()
    if args.max_ratio is not None and ratio95 > args.max_ratio:
        print(f"FAIL: p95 under ingest is {ratio95:.2f} × idle, above {args.max_ratio}")
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
