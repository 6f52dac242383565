"""Uploads as background jobs: one job at a time, in one worker thread, with progress anyone can poll.

The chat and the API hand over files and get a job id at once; the worker ingests them one document at a
time, so an official sees each file's outcome as it lands, and answers keep coming from the last committed
state meanwhile (nothing here is held while answer() runs). An upload never replaces an indexed document of
the same name: it is refused with what to do; content already indexed is reported as a duplicate.

A shutdown stops the worker between documents (the thread is a daemon, so even a document that is still
embedding cannot keep the process alive); the index stays consistent because each commit is atomic.
"""

from __future__ import annotations

import inspect
import itertools
import logging
import queue
import shutil
import threading
import time
import unicodedata
import uuid
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal, Protocol
from urllib.parse import quote

log = logging.getLogger(__name__)

UPLOAD_TYPES = (".pdf", ".docx", ".txt")
JobState = Literal["queued", "running", "done", "cancelled"]
# The pipeline's statuses, and two of the job's own: "refused" (a document of that name is indexed) and
# "cancelled" (the server stopped before the file's turn).
FileStatus = Literal["added", "updated", "unchanged", "failed", "skipped", "refused", "cancelled"]
KEEP_JOBS = 100  # finished jobs remembered for polling; older ones are forgotten


class Library(Protocol):
    """What the jobs need of the Assistant (assistant/service.py): the documents and the upload path."""

    def documents(self) -> Sequence[Any]: ...

    def ingest(self, paths: Sequence[Path]) -> Any: ...


@dataclass(frozen=True)
class FileResult:
    source: str
    status: FileStatus
    chunks: int = 0
    reason: str | None = None
    duplicate_of: str | None = None  # skipped: the same content is indexed under this name


@dataclass(frozen=True)
class JobView:
    """A job as it stands at one moment: safe to read from any thread."""

    id: str
    state: JobState
    total: int
    done: int
    results: tuple[FileResult, ...]
    waiting: tuple[str, ...]  # file names not yet started
    current: str | None  # the file being ingested
    chunks_embedded: int  # of the current file
    chunks_total: int
    submitted_by: str | None
    created_at: str
    finished_at: str | None

    @property
    def finished(self) -> bool:
        return self.state in ("done", "cancelled")

    @property
    def all_indexed(self) -> bool:
        """Every file is in the index (added, updated or unchanged)."""
        return all(r.status in ("added", "updated", "unchanged") for r in self.results) and not self.waiting

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "state": self.state,
            "total": self.total,
            "done": self.done,
            "current": self.current,
            "chunks_embedded": self.chunks_embedded,
            "chunks_total": self.chunks_total,
            "files": [asdict(r) for r in self.results],
            "waiting": list(self.waiting),
            "submitted_by": self.submitted_by,
            "created_at": self.created_at,
            "finished_at": self.finished_at,
        }


@dataclass(frozen=True)
class DeleteResult:
    source: str
    removed: bool
    message: str  # English, for the API; the chat says it in Vietnamese
    file_kept_at: str | None = None  # where the uploaded file went (so a mistaken delete can be undone)


@dataclass
class _Job:
    id: str
    staged: list[Path]
    staging_dir: Path
    submitted_by: str | None
    created_at: str
    state: JobState = "queued"
    results: list[FileResult] = field(default_factory=list)
    current: str | None = None
    chunks_embedded: int = 0
    chunks_total: int = 0
    finished_at: str | None = None

    def view(self) -> JobView:
        done = len(self.results)
        waiting = tuple(p.name for p in self.staged[done + (self.current is not None) :])
        return JobView(
            id=self.id, state=self.state, total=len(self.staged), done=done, results=tuple(self.results),
            waiting=waiting, current=self.current, chunks_embedded=self.chunks_embedded,
            chunks_total=self.chunks_total, submitted_by=self.submitted_by, created_at=self.created_at,
            finished_at=self.finished_at,
        )


class UploadJobs:
    """The upload queue. ``submit`` copies the files aside and returns at once; ``get`` polls a job."""

    def __init__(self, library: Library, uploads_dir: Path, staging_dir: Path | None = None) -> None:
        self.library = library
        self.uploads_dir = uploads_dir
        self.staging_dir = staging_dir or uploads_dir.parent / "upload_jobs"
        self.deleted_dir = uploads_dir.parent / "deleted_uploads"
        self._jobs: OrderedDict[str, _Job] = OrderedDict()
        self._queue: queue.Queue[str] = queue.Queue()
        self._lock = threading.Lock()  # guards _jobs and the jobs' fields; never held while ingesting
        # One change to the index at a time from this server (an upload's document, or a delete); answers
        # never take it.
        self._write_lock = threading.Lock()
        self._stop = threading.Event()
        self._worker: threading.Thread | None = None
        self._counter = itertools.count(1)
        self._ingest_takes_progress = "progress" in inspect.signature(library.ingest).parameters

    # ------------------------------------------------------------ the API of the queue

    def submit(self, files: Sequence[Path], *, submitted_by: str | None = None) -> JobView:
        """Queue an upload of these files (their names are the documents' names). The files are copied aside
        first, so the caller may delete its own copies (Gradio's cache, the request's temporary files)."""
        if self._stop.is_set():
            raise RuntimeError("the server is shutting down: upload the files again once it is back")
        job_id = f"{next(self._counter)}-{uuid.uuid4().hex[:8]}"
        staging = self.staging_dir / job_id
        staged: list[Path] = []
        try:
            for position, source in enumerate(files):
                # One folder per file: two files of the same name in one upload must not overwrite each other.
                folder = staging / f"{position:04d}"
                folder.mkdir(parents=True, exist_ok=True)
                # NFC: a name typed on a Mac (decomposed accents) is the same name as the one indexed.
                target = folder / unicodedata.normalize("NFC", Path(source).name)
                shutil.copyfile(source, target)
                staged.append(target)
        except OSError:
            shutil.rmtree(staging, ignore_errors=True)
            raise
        job = _Job(id=job_id, staged=staged, staging_dir=staging, submitted_by=submitted_by, created_at=_now())
        with self._lock:
            self._jobs[job_id] = job
            while len(self._jobs) > KEEP_JOBS:
                oldest = next(iter(self._jobs))
                if not self._jobs[oldest].view().finished:
                    break
                del self._jobs[oldest]
            self._start_worker()
            view = job.view()
        self._queue.put(job_id)
        return view

    def get(self, job_id: str) -> JobView | None:
        with self._lock:
            job = self._jobs.get(job_id)
            return job.view() if job else None

    def latest(self) -> JobView | None:
        """The most recent job (a page opened again during an upload picks up its progress)."""
        with self._lock:
            return next(reversed(self._jobs.values())).view() if self._jobs else None

    def wait(self, job_id: str, timeout: float) -> JobView | None:
        """The job once finished, or as it stands after ``timeout`` seconds (for the CLI and tests)."""
        deadline = time.monotonic() + timeout
        view = self.get(job_id)
        while view is not None and not view.finished and time.monotonic() < deadline:
            time.sleep(0.05)
            view = self.get(job_id)
        return view

    def delete(self, source: str) -> DeleteResult:
        """Remove one indexed document by its file name. Its uploaded file (if the chat or API uploaded it) is
        moved aside to data_dir/deleted_uploads/, so re-ingesting the uploads folder does not bring it back
        and a mistaken delete can still be undone by uploading that file again."""
        remove = getattr(self.library, "remove_document", None)
        if remove is None:
            return DeleteResult(source, False, "This server cannot delete documents.")
        with self._write_lock:
            removed = bool(remove(source))
            kept_at = None
            upload = self.uploads_dir / source
            if removed and source and Path(source).name == source and upload.is_file():
                self.deleted_dir.mkdir(parents=True, exist_ok=True)
                aside = self.deleted_dir / f"{datetime.now(UTC):%Y%m%dT%H%M%S}-{source}"
                upload.replace(aside)
                kept_at = str(aside)
        if not removed:
            return DeleteResult(source, False, f"No document named {source!r} is indexed: nothing was deleted.")
        return DeleteResult(source, True, f"{source} was deleted from the index.", kept_at)

    def close(self, timeout: float = 5.0) -> None:
        """Stop: queued jobs are cancelled, the running one stops after its current document."""
        self._stop.set()
        with self._lock:
            for job in self._jobs.values():
                if job.state == "queued":
                    self._cancel_rest(job)
            worker = self._worker
        if worker is not None:
            worker.join(timeout)
            if worker.is_alive():
                log.warning("an upload is still embedding a document; it is abandoned (nothing of it is committed)")

    # ------------------------------------------------------------ the worker

    def _start_worker(self) -> None:
        if self._worker is None or not self._worker.is_alive():
            # Daemon: a document that is still embedding must not keep a stopping server alive.
            self._worker = threading.Thread(target=self._work, name="upload-jobs", daemon=True)
            self._worker.start()

    def _work(self) -> None:
        while not self._stop.is_set():
            try:
                job_id = self._queue.get(timeout=0.2)
            except queue.Empty:
                continue
            with self._lock:
                job = self._jobs.get(job_id)
                if job is None or job.state != "queued":
                    continue
                job.state = "running"
            try:
                self._run(job)
            except Exception:  # the worker must outlive any one job
                log.exception("upload job %s failed", job.id)
            finally:
                with self._lock:
                    if job.state == "running":
                        job.state = "done"
                    job.current = None
                    job.finished_at = job.finished_at or _now()
                shutil.rmtree(job.staging_dir, ignore_errors=True)

    def _run(self, job: _Job) -> None:
        for staged in job.staged:
            if self._stop.is_set():
                with self._lock:
                    self._cancel_rest(job)
                return
            with self._lock:
                job.current, job.chunks_embedded, job.chunks_total = staged.name, 0, 0
            try:
                result = self._ingest_one(job, staged)
            except Exception as error:
                log.exception("upload of %s failed", staged.name)
                result = FileResult(staged.name, "failed", reason=f"{staged.name}: ingest failed ({error})")
            with self._lock:
                job.results.append(result)
                job.current = None

    def _cancel_rest(self, job: _Job) -> None:
        """Mark every file not yet ingested as cancelled (the caller holds the lock)."""
        for staged in job.staged[len(job.results) :]:
            job.results.append(FileResult(
                staged.name, "cancelled",
                reason=f"{staged.name}: the server stopped before this file was ingested; nothing of it was "
                "indexed: upload it again",
            ))
        job.state = "cancelled"
        job.current = None
        job.finished_at = _now()

    def _ingest_one(self, job: _Job, staged: Path) -> FileResult:
        name = staged.name
        suffix = staged.suffix.lower()
        if suffix not in UPLOAD_TYPES:
            return FileResult(name, "failed", reason=(
                f"{name}: files of type {suffix or '(no extension)'} are not supported: upload a PDF, DOCX or TXT file"
            ))
        with self._write_lock:
            if name in {unicodedata.normalize("NFC", _source_of(d)) for d in self.library.documents()}:
                return FileResult(name, "refused", reason=(
                    f"{name}: a document with this file name is already indexed; nothing was changed. "
                    "Rename the file, or delete the indexed document first (an administrator: the «Xoá» button "
                    f"in the Tài liệu tab, or DELETE /api/documents/{quote(name)}), then upload it again."
                ))
            return self._ingest_staged(job, staged)

    def _ingest_staged(self, job: _Job, staged: Path) -> FileResult:
        name = staged.name
        self.uploads_dir.mkdir(parents=True, exist_ok=True)
        target = self.uploads_dir / name
        # A file of this name may be left in uploads/ by a deleted document: keep it until this one is in.
        previous = target.with_name(target.name + ".previous")
        if target.exists():
            target.replace(previous)
        shutil.copyfile(staged, target)
        kept = False
        try:
            if self._ingest_takes_progress:
                summary = self.library.ingest([target], progress=_JobProgress(self, job))  # type: ignore[call-arg]
            else:
                summary = self.library.ingest([target])
            outcomes = _outcomes(summary)
            mine = [o for o in outcomes if o.get("source") == name] or outcomes
            outcome = mine[0] if mine else {"status": "failed", "reason": "the ingest reported nothing"}
            status = str(outcome.get("status") or "failed")
            kept = status in ("added", "updated")
            reason = outcome.get("reason")
            return FileResult(
                name, status if status in _PIPELINE_STATUSES else "failed",  # type: ignore[arg-type]
                chunks=int(outcome.get("chunks") or 0),
                # The staging path means nothing to whoever uploaded the file; its name does.
                reason=str(reason).replace(str(target), name) if reason else None,
                duplicate_of=outcome.get("duplicate_of") or None,
            )
        finally:
            if kept:
                previous.unlink(missing_ok=True)
            else:
                target.unlink(missing_ok=True)
                if previous.exists():
                    previous.replace(target)


_PIPELINE_STATUSES = {"added", "updated", "unchanged", "failed", "skipped"}


class _JobProgress:
    """The pipeline's progress reports (ingest.pipeline.ProgressLike), kept on the job for polling."""

    def __init__(self, jobs: UploadJobs, job: _Job) -> None:
        self.jobs = jobs
        self.job = job

    def start_files(self, total: int) -> None:
        return None

    def file_done(self, name: str) -> None:
        return None

    def embedding_batch(self, done: int, total: int) -> None:
        with self.jobs._lock:
            self.job.chunks_embedded, self.job.chunks_total = done, total

    def close(self) -> None:
        return None


def _outcomes(summary: Any) -> list[dict[str, Any]]:
    if hasattr(summary, "to_dict"):
        summary = summary.to_dict()
    files = summary.get("files", []) if isinstance(summary, dict) else []
    return [dict(f) for f in files if isinstance(f, dict)]


def _source_of(document: Any) -> str:
    if isinstance(document, dict):
        return str(document.get("source") or "")
    return str(getattr(document, "source", "") or "")


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")

