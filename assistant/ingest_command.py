"""`assistant ingest` and `assistant documents`: printing and exit codes around ingest.pipeline."""

from __future__ import annotations

import contextlib
import json
import shutil
import sys
from pathlib import Path

from assistant.components import build_embeddings, open_index
from assistant.settings import Settings
from ingest.pipeline import IngestSummary, ingest_paths
from ingest.text import display_date


class TqdmProgress:
    """Progress over files and embedding batches, on stderr so --json output stays clean."""

    def __init__(self) -> None:
        from tqdm import tqdm

        self._tqdm = tqdm
        self._files: tqdm | None = None  # type: ignore[type-arg]
        self._batches: tqdm | None = None  # type: ignore[type-arg]

    def start_files(self, total: int) -> None:
        self._files = self._tqdm(total=total, desc="Tệp", unit="tệp", file=sys.stderr, position=0)

    def file_done(self, name: str) -> None:
        if self._batches is not None:
            self._batches.close()
            self._batches = None
        if self._files is not None:
            self._files.set_postfix_str(name[:40])
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
    lines = [f"Ingest: {counts} in {summary.seconds:.1f} s"]
    for outcome in summary.outcomes:
        if outcome.status in ("failed", "skipped"):
            lines.append(f"  {outcome.status.upper()}: {outcome.reason}")
    for source in summary.pruned:
        lines.append(f"  PRUNED: {source} (its file is gone)")
    return "\n".join(lines)


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
    missing = [p for p in paths if not p.exists()]
    if missing:
        print(f"Error: not found: {', '.join(map(str, missing))}. Give existing files or folders.", file=sys.stderr)
        return 2
    if reindex and settings.data_dir.exists():
        shutil.rmtree(settings.index_dir, ignore_errors=True)
        shutil.rmtree(settings.chroma_dir, ignore_errors=True)
    embeddings = build_embeddings(settings)
    reporter = TqdmProgress() if progress and not as_json else None
    with open_index(settings, embeddings) as index:
        summary = ingest_paths(paths, index=index, embeddings=embeddings, prune=prune, progress=reporter)
    if as_json:
        print(json.dumps(summary.to_dict(), ensure_ascii=False, indent=2))
    else:
        print(format_summary(summary))
    exit_code = 0 if summary.ok else 1

    should_eval = run_eval if run_eval is not None else _is_bundled_corpus(settings, paths)
    if should_eval:
        from evals.runner import run_eval_command

        # With --json, stdout holds only the summary JSON: the eval report goes to stderr.
        with contextlib.redirect_stdout(sys.stderr) if as_json else contextlib.nullcontext():
            print("\nEval after ingest:")
            # The textbook peer is for `assistant eval`; after ingest only the regression gate matters.
            eval_code = run_eval_command(
                settings, dataset=None, as_json=False, update_baseline=False, results_dir=None,
                with_baseline=False,
            )
        exit_code = exit_code or eval_code
    return exit_code


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
