"""`assistant ingest`, `assistant remove` and `assistant documents`: printing and exit codes around
ingest.pipeline and the index."""

from __future__ import annotations

import contextlib
import difflib
import json
import os
import shutil
import sys
import time
from dataclasses import asdict
from pathlib import Path

from assistant.components import build_embeddings, open_index, start_shared_reindex
from assistant.indicators import IndicatorTable
from assistant.settings import Settings
from ingest.pipeline import FileOutcome, IngestSummary, RunProgress, ingest_paths
from ingest.text import display_date
from vectorstore.index import StoredDocument, read_stored_documents


def _clock(seconds: float) -> str:
    seconds = int(round(seconds))
    hours, rest = divmod(seconds, 3600)
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d}" if hours else f"{rest // 60:02d}:{rest % 60:02d}"


def throughput_text(state: RunProgress) -> str:
    """'2.4 văn bản/giây · còn khoảng 06:40': the rate so far and the time left at that rate."""
    rate, eta = state.docs_per_second, state.eta_seconds
    if rate is None or eta is None:
        return "… văn bản/giây"
    return f"{rate:.1f} văn bản/giây · còn khoảng {_clock(eta)}"


class TqdmProgress:
    """Progress over files and embedding batches, on stderr so --json output stays clean."""

    def __init__(self) -> None:
        from tqdm import tqdm

        self._tqdm = tqdm
        self._files: tqdm | None = None  # type: ignore[type-arg]
        self._batches: tqdm | None = None  # type: ignore[type-arg]
        self._started = time.perf_counter()
        self._done = 0

    def start_files(self, total: int) -> None:
        # tqdm's own rate and ETA count unchanged files too; ours are in the postfix.
        self._files = self._tqdm(
            total=total, desc="Tệp", unit="tệp", file=sys.stderr, position=0,
            bar_format="{desc}: {percentage:3.0f}%|{bar:20}| {n_fmt}/{total_fmt} [{elapsed}{postfix}]",
        )
        self._started = time.perf_counter()
        self._done = 0

    def file_done(self, name: str) -> None:
        if self._batches is not None:
            self._batches.close()
            self._batches = None
        if self._files is not None:
            self._done += 1
            state = RunProgress(self._done, int(self._files.total or 0), time.perf_counter() - self._started)
            self._files.set_postfix_str(f"{throughput_text(state)} · {name[:32]}", refresh=False)
            self._files.update(1)

    def embedding_batch(self, done: int, total: int) -> None:
        if self._batches is None:
            self._batches = self._tqdm(
                total=total, desc="Nhúng", unit="đoạn", file=sys.stderr, position=1, leave=False
            )
        self._batches.update(done - self._batches.n)

    def close(self) -> None:
        for bar in (self._batches, self._files):
            if bar is not None:
                bar.close()


def _is_bundled_corpus(settings: Settings, paths: list[Path]) -> bool:
    corpus = settings.corpus_dir.resolve()
    return all(p.resolve() == corpus for p in paths)


def format_summary(summary: IngestSummary) -> str:
    counts = (
        f"{summary.added} added, {summary.updated} updated, {summary.unchanged} unchanged, "
        f"{summary.failed} failed, {summary.skipped} skipped, {len(summary.pruned)} pruned"
    )
    worked = summary.added + summary.updated
    rate = f", {worked / summary.seconds:.2f} documents/s" if worked and summary.seconds > 0 else ""
    lines = [f"Ingest: {counts} in {summary.seconds:.1f} s{rate}"]
    restored = [o for o in summary.outcomes if o.restored]
    if restored:
        lines.append(f"  {len(restored)} re-embedded from the index's own copy (their files were not given)")
    for outcome in summary.outcomes:
        if outcome.status in ("failed", "skipped"):
            label = "DUPLICATE" if outcome.duplicate_of else outcome.status.upper()
            lines.append(f"  {label}: {outcome.reason}")
    for source in summary.pruned:
        lines.append(f"  PRUNED: {source} (its file is gone)")
    return "\n".join(lines)


def _json_line(payload: dict[str, object]) -> None:
    print(json.dumps(payload, ensure_ascii=False), flush=True)


def stream_outcome(outcome: FileOutcome, state: RunProgress) -> None:
    """`ingest --json`: one line per document as soon as its fate is final (a batch commit for new ones)."""
    rate, eta = state.docs_per_second, state.eta_seconds
    _json_line({
        "event": "document", **asdict(outcome), "done": state.done, "total": state.total,
        "docs_per_second": None if rate is None else round(rate, 3),
        "eta_seconds": None if eta is None else round(eta, 1),
    })


REINDEX_SOURCE = "index.before-reindex"


def _start_reindex(settings: Settings) -> list[StoredDocument]:
    """Set the index aside and return its documents for re-embedding; the new index starts empty.

    The old index is renamed (one atomic step), not deleted, until the re-index has finished: a re-index
    killed half-way is started again from the same documents, and uploads (no file at hand) survive."""
    backup = settings.data_dir / REINDEX_SOURCE
    if settings.chroma_url:  # the index is on the Chroma server: copied to backup, then dropped there
        return start_shared_reindex(settings, backup)
    if backup.exists():
        shutil.rmtree(settings.index_dir, ignore_errors=True)  # a re-index was interrupted: start it again
    elif settings.index_dir.exists():
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        os.rename(settings.index_dir, backup)
    shutil.rmtree(settings.chroma_dir, ignore_errors=True)
    return read_stored_documents(backup)


def run_ingest_command(
    settings: Settings,
    *,
    paths: list[Path],
    prune: bool,
    reindex: bool,
    as_json: bool,
    progress: bool,
    run_eval: bool | None,
) -> int:
    if not paths:
        paths = [settings.corpus_dir]
    missing = [p for p in paths if not p.exists() and not p.is_symlink()]
    if missing:
        print(f"Error: not found: {', '.join(map(str, missing))}. Give existing files or folders.", file=sys.stderr)
        return 2
    stored: list[StoredDocument] = _start_reindex(settings) if reindex else []
    embeddings = build_embeddings(settings)
    reporter = TqdmProgress() if progress and not as_json else None
    with open_index(settings, embeddings) as index:
        summary = ingest_paths(
            paths, index=index, embeddings=embeddings, prune=prune, progress=reporter,
            on_outcome=stream_outcome if as_json else None, restore=stored,
            commit_every=settings.ingest_commit_every,
        )
        indexed = {doc.source for doc in index.documents()}
        # The indicator table follows the documents now, so the first question or view does not wait for it.
        IndicatorTable(index, embeddings, settings.index_dir / "indicators").sync()
    backup = settings.data_dir / REINDEX_SOURCE
    if reindex and {d.document.source for d in stored} <= indexed:
        # Every document of the old index is in the new one: the old one can go.
        shutil.rmtree(backup, ignore_errors=True)
    elif backup.exists():
        print(
            f"Note: the index as it was before `--reindex` is kept in {backup}: not all of its documents are "
            "in the new index yet. Run `assistant ingest --reindex` again to finish.",
            file=sys.stderr,
        )
    if as_json:
        _json_line({"event": "summary", **summary.to_dict()})
    else:
        print(format_summary(summary))
    exit_code = 0 if summary.ok else 1

    should_eval = run_eval if run_eval is not None else _is_bundled_corpus(settings, paths)
    if should_eval:
        from evals.runner import run_eval_command

        # With --json, stdout holds only the JSON lines: the eval report goes to stderr.
        with contextlib.redirect_stdout(sys.stderr) if as_json else contextlib.nullcontext():
            print("\nEval after ingest:")
            # The textbook peer is for `assistant eval`; after ingest only the regression gate matters.
            eval_code = run_eval_command(
                settings, dataset=None, as_json=False, update_baseline=False, results_dir=None,
                with_baseline=False,
            )
        exit_code = exit_code or eval_code
    return exit_code


def unknown_document_message(name: str, known: list[str]) -> str:
    """What to say when no indexed document is called `name`: the closest names, and how to list them all."""
    if not known:
        return f"no document named {name!r}: the index is empty"
    close = difflib.get_close_matches(name, known, n=3, cutoff=0.5)
    hint = f" Did you mean {', '.join(repr(c) for c in close)}?" if close else ""
    return (
        f"no document named {name!r} is indexed.{hint} "
        "Documents are named by their file name: `assistant documents` lists them."
    )


def run_remove_command(settings: Settings, *, names: list[str], as_json: bool) -> int:
    """`assistant remove NAME...`: 0 when every name was removed, 1 when any was not indexed."""
    embeddings = build_embeddings(settings)
    results: list[dict[str, object]] = []
    with open_index(settings, embeddings) as index, index.batch():
        for given in names:
            # A path is accepted too ("corpus/x.txt"): documents are known by their file name.
            source = given if index.get_document(given) is not None else Path(given).name
            document = index.get_document(source)
            if document is None or not index.remove_document(source):
                known = [d.source for d in index.documents()]
                results.append({"name": given, "removed": False, "reason": unknown_document_message(given, known)})
                continue
            results.append({"name": source, "removed": True, "chunks": document.n_chunks})
    if as_json:
        print(json.dumps(results, ensure_ascii=False, indent=2))
    else:
        for row in results:
            if row["removed"]:
                print(
                    f"Removed {row['name']} ({row['chunks']} passages). Its file, if any, is untouched: "
                    "ingesting its folder again adds it back."
                )
            else:
                print(f"Error: {row['reason']}", file=sys.stderr)
    return 0 if all(row["removed"] for row in results) else 1


def print_documents(settings: Settings, *, as_json: bool) -> int:
    embeddings = build_embeddings(settings)
    with open_index(settings, embeddings) as index:
        docs = index.documents()
    rows = []
    for doc in docs:
        meta = dict(doc.meta)
        rows.append({
            "source": doc.source,
            "title": meta.get("title"),
            "kind": meta.get("kind"),
            "number": meta.get("number"),
            "date": meta.get("date"),
            "period": meta.get("period"),
            "pages": meta.get("pages"),
            "chunks": len(doc.chunk_ids),
        })
    if as_json:
        print(json.dumps(rows, ensure_ascii=False, indent=2))
        return 0
    if not rows:
        print("The index is empty. Run `assistant ingest PATH...` (no PATH: the bundled corpus).")
        return 0
    for row in rows:
        shown = row | {"date": display_date(row["date"])}
        details = ", ".join(
            f"{label}: {shown[key]}"
            for label, key in (("loại", "kind"), ("số", "number"), ("ngày", "date"), ("kỳ", "period"),
                               ("trang", "pages"), ("đoạn", "chunks"))
            if shown.get(key) not in (None, "")
        )
        print(f"{row['source']}\n  {row['title']}\n  {details}")
    return 0
