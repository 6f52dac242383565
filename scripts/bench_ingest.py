"""Prints ingest figures for the bundled corpus on this machine.

cold ingest (fresh data dir) vs the raw embedding time of the same chunk texts with the same model,
and the unchanged re-run (in-process, and as the `assistant ingest` command a user runs).
Targets (issue 2): cold ≤ 1.3 × raw embedding; unchanged re-run ≤ 2 s.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from assistant.components import build_embeddings, open_index  # noqa: E402
from assistant.settings import Settings  # noqa: E402
from ingest.loaders import discover_files  # noqa: E402
from ingest.metadata import load_manifest  # noqa: E402
from ingest.pipeline import EMBED_BATCH, ingest_paths, prepare_document  # noqa: E402


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(_env_file=None, data_dir=Path(tmp))  # type: ignore[call-arg]
        corpus = settings.corpus_dir
        embeddings = build_embeddings(settings)
        embeddings.embed_query("khởi động")  # load the model outside every timing

        t0 = time.perf_counter()
        index = open_index(settings, embeddings)
        summary = ingest_paths([corpus], index=index, embeddings=embeddings)
        cold = time.perf_counter() - t0
        chunks = sum(o.chunks for o in summary.outcomes)

        manifest = load_manifest(corpus)
        texts: list[str] = []
        for path in discover_files([corpus]).files:
            prepared = prepare_document(path, manifest=manifest, count_tokens=embeddings.count_tokens, max_tokens=400)
            texts.extend(prepared.embedding_texts)
        t0 = time.perf_counter()
        for start in range(0, len(texts), EMBED_BATCH):
            embeddings.embed_documents(texts[start : start + EMBED_BATCH])
        raw = time.perf_counter() - t0

        t0 = time.perf_counter()
        again = ingest_paths([corpus], index=index, embeddings=embeddings)
        rerun = time.perf_counter() - t0
        index.close()

        cmd = [sys.executable, "-m", "assistant.cli", "--data-dir", tmp, "ingest", "--no-eval", "--no-progress"]
        t0 = time.perf_counter()
        subprocess.run(cmd, check=True, capture_output=True, cwd=ROOT)
        rerun_cli = time.perf_counter() - t0

    print(f"documents: {len(summary.outcomes)}, chunks: {chunks}")
    print(f"cold ingest:            {cold:6.2f} s")
    print(f"raw embedding:          {raw:6.2f} s  (same {len(texts)} texts, same model, batches of {EMBED_BATCH})")
    print(f"cold / raw embedding:   {cold / raw:6.2f}   (target ≤ 1.30)")
    print(f"unchanged re-run:       {rerun:6.2f} s in-process ({again.unchanged} unchanged)  (target ≤ 2 s)")
    print(f"unchanged re-run (CLI): {rerun_cli:6.2f} s  (`assistant ingest` in a new process, model load included)")


if __name__ == "__main__":
    main()
