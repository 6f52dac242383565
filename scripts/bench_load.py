"""Load benchmark of POST /api/ask: starts the app on 127.0.0.1 in a child process, sends concurrent
requests from N clients, prints throughput, p50/p95 latency and errors.

Bounded in request count and wall time; talks to 127.0.0.1 only. The index must already hold documents
(`assistant ingest`), or pass --data-dir of an indexed data directory.

    .venv/bin/python scripts/bench_load.py [--clients 8] [--requests 400] [--max-seconds 60] [--eval-questions]

By default the clients cycle through a fixed list of questions, so after warm-up every query vector is
cached. --eval-questions sends each distinct question of the eval sets (with its history) exactly once
instead, after a warm-up on questions no set asks: nothing measured is served from a cache.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

PROJECT_ROOT = Path(__file__).resolve().parent.parent
QUESTIONS = [
    "Chỉ tiêu kim ngạch xuất khẩu năm 2025 là bao nhiêu?",
    "Mục tiêu kim ngạch xuất khẩu giai đoạn 2021-2025 là bao nhiêu?",
    "Cơ cấu kinh tế năm 2025 của khu vực I, II, III là bao nhiêu?",
    "GRDP bình quân đầu người đến cuối năm 2025 đạt bao nhiêu?",
    "Tổng vốn đầu tư toàn xã hội năm 2025 là bao nhiêu?",
    "Thu ngân sách nhà nước trên địa bàn năm 2025 đạt bao nhiêu?",
    "Tỷ lệ đô thị hóa năm 2025 là bao nhiêu?",
    "Tăng trưởng GRDP 6 tháng đầu năm 2023 ước đạt bao nhiêu?",
    "chi tieu kim ngach xuat khau nam 2025",
    "Dân số của tỉnh Bến Tre là bao nhiêu người?",
]
TARGET_RPS, TARGET_P95_MS = 30.0, 400.0

Payload = dict[str, Any]  # the body of one POST /api/ask

SERVER_CODE = """
import sys
from pathlib import Path
from assistant.server import serve
from assistant.settings import load_settings
overrides = {"host": "127.0.0.1", "port": int(sys.argv[1])}
if sys.argv[2]:
    overrides["data_dir"] = Path(sys.argv[2])
serve(load_settings(**overrides))
"""


@dataclass
class Results:
    latencies_ms: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_server(port: int, data_dir: Path | None) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-c", SERVER_CODE, str(port), str(data_dir or "")],
        cwd=PROJECT_ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def wait_until_ready(base_url: str, server: subprocess.Popen[bytes], timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if server.poll() is not None:
            stderr = server.stderr.read().decode(errors="replace") if server.stderr else ""
            raise SystemExit(f"The server exited while starting:\n{stderr[-3000:]}")
        try:
            if httpx.get(f"{base_url}/healthz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise SystemExit(f"The server did not answer /healthz within {timeout_s:.0f} s")


def payloads_of(questions: Sequence[str]) -> list[Payload]:
    return [{"question": question} for question in questions]


def eval_payloads() -> tuple[list[Payload], list[Payload]]:
    """Each distinct question of the eval sets once (with its history), and warm-up questions no set asks."""
    from bench_answer import WARMUP_QUESTIONS, default_datasets, distinct_cases

    cases = distinct_cases(default_datasets())
    asked = [{"question": q, "history": [{"role": "user", "content": h} for h in history]} for q, history in cases]
    return asked, payloads_of(WARMUP_QUESTIONS)


async def client(
    http: httpx.AsyncClient, base_url: str, tickets: itertools.count[int], total: int, deadline: float, results: Results,
    payloads: Sequence[Payload],
) -> None:
    while time.monotonic() < deadline:
        ticket = next(tickets)
        if ticket >= total:
            return
        payload = payloads[ticket % len(payloads)]
        started = time.perf_counter()
        try:
            response = await http.post(f"{base_url}/api/ask", json=payload)
        except httpx.HTTPError as error:
            results.errors.append(f"{type(error).__name__}: {error}")
            continue
        elapsed_ms = (time.perf_counter() - started) * 1000.0
        if response.status_code != 200:
            results.errors.append(f"HTTP {response.status_code}: {response.text[:200]}")
            continue
        results.latencies_ms.append(elapsed_ms)


async def run_load(
    base_url: str, clients: int, total: int, max_seconds: float, payloads: Sequence[Payload] | None = None
) -> tuple[Results, float]:
    """`total` requests from `clients` clients, cycling through `payloads` (default: QUESTIONS); with
    total == len(payloads) each is sent exactly once. Stops sending after `max_seconds`."""
    payloads = payloads or payloads_of(QUESTIONS)
    results = Results()
    tickets = itertools.count()
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(limits=limits, timeout=30) as http:
        started = time.perf_counter()
        deadline = time.monotonic() + max_seconds
        await asyncio.gather(*(client(http, base_url, tickets, total, deadline, results, payloads) for _ in range(clients)))
        return results, time.perf_counter() - started


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1] if len(values) > 1 else values[0]


def stop_server(server: subprocess.Popen[bytes]) -> None:
    """SIGTERM, and SIGKILL if the server has not exited 15 s later."""
    server.terminate()
    try:
        server.wait(timeout=15)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--requests", type=int, default=400, help="total requests (after warm-up)")
    parser.add_argument("--warmup", type=int, default=16)
    parser.add_argument("--max-seconds", type=float, default=60.0, help="stop sending after this long")
    parser.add_argument("--startup-seconds", type=float, default=300.0)
    parser.add_argument("--data-dir", type=Path, help="indexed data directory (default: ASSISTANT_DATA_DIR or .data)")
    parser.add_argument("--eval-questions", action="store_true",
                        help="send each distinct eval question exactly once (never asked before; --requests ignored)")
    args = parser.parse_args()
    if args.eval_questions:
        payloads, warmup = eval_payloads()
        total = len(payloads)
    else:
        payloads, warmup, total = payloads_of(QUESTIONS), payloads_of(QUESTIONS), args.requests

    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    server = start_server(port, args.data_dir)
    try:
        print(f"Starting the app on {base_url} …", flush=True)
        wait_until_ready(base_url, server, args.startup_seconds)
        count = httpx.get(f"{base_url}/api/documents", timeout=30).json()["count"]
        if count == 0:
            print("The index is empty: run `assistant ingest` (or pass --data-dir of an indexed directory).")
            return 2
        asyncio.run(run_load(base_url, args.clients, args.warmup, args.max_seconds, warmup))
        results, seconds = asyncio.run(run_load(base_url, args.clients, total, args.max_seconds, payloads))
    finally:
        stop_server(server)

    done = len(results.latencies_ms)
    throughput = done / seconds if seconds else 0.0
    p50, p95 = percentile(results.latencies_ms, 50), percentile(results.latencies_ms, 95)
    print(f"documents indexed     {count}")
    print(f"clients               {args.clients}")
    print(f"requests ok / errors  {done} / {len(results.errors)}  in {seconds:.1f} s")
    unsent = total - done - len(results.errors)
    if unsent > 0:
        print(f"not sent              {unsent} of {total} (stopped at --max-seconds {args.max_seconds:.0f})")
    print(f"throughput            {throughput:.1f} req/s   (target ≥ {TARGET_RPS:.0f})")
    print(f"latency p50 / p95     {p50:.0f} / {p95:.0f} ms   (target p95 ≤ {TARGET_P95_MS:.0f})")
    if results.latencies_ms:
        print(f"latency max           {max(results.latencies_ms):.0f} ms")
    for error in results.errors[:5]:
        print(f"  error: {error}")
    met = throughput >= TARGET_RPS and p95 <= TARGET_P95_MS and not results.errors
    print("targets met" if met else "targets NOT met")
    return 0 if met else 1


if __name__ == "__main__":
    raise SystemExit(main())
