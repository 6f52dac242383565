"""A real Chroma server (`chroma run` from the venv) on 127.0.0.1, for the tests that need one."""

from __future__ import annotations

import contextlib
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

CHROMA = Path(sys.executable).with_name("chroma")


def unique_collection(request: pytest.FixtureRequest) -> str:
    """A collection of its own for each test on the shared server (Chroma's name rules: no underscores)."""
    return f"t-{request.node.name[5:45]}-{free_port()}".replace("_", "-")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def chroma_server(data_dir: Path, log: Path) -> Iterator[str]:
    """Run `chroma run` on data_dir until the block ends; yields its URL. Skips the test without the command."""
    if not CHROMA.exists():
        pytest.skip(f"no chroma command at {CHROMA}")
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    with open(log, "wb") as out:
        server = subprocess.Popen(
            [str(CHROMA), "run", "--path", str(data_dir), "--host", "127.0.0.1", "--port", str(port)],
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{url}/api/v2/heartbeat", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if server.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"chroma run did not start: {log.read_text(errors='replace')[-2000:]}")
            time.sleep(0.2)
        yield url
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
