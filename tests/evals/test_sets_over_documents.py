"""Every eval set stays true to its documents: the bundled corpus, the provinces documents in shared/
or the archive documents listed in evals/archive_docs.txt (read from there, never copied into the
project). And the untouched sets are never trained on."""

from __future__ import annotations

import json
import re
import unicodedata
from functools import cache
from pathlib import Path

import pytest

from evals.archive import ARCHIVE, archive_doc_names, extract_archive_docs
from evals.scoring import KINDS
from evals.train import default_sets, eval_sets

REPO = Path(__file__).parents[2]
FOLDERS = (REPO / "corpus", REPO.parent / "shared" / "corpora" / "provinces")
SETS = eval_sets()


def _normalise(text: str) -> str:
    return re.sub(r"\s+", " ", unicodedata.normalize("NFC", text)).strip()


@cache
def _archive_folder() -> Path | None:
    if not ARCHIVE.is_file():
        return None
    import tempfile

    folder = Path(tempfile.mkdtemp(prefix="archive-docs-"))
    extract_archive_docs(folder)
    return folder


@cache
def _document(source: str) -> str | None:
    folders = list(FOLDERS)
    if source in archive_doc_names():
        archive = _archive_folder()
        if archive is None:
            pytest.skip(f"{ARCHIVE} is absent: the archive documents come from shared/")
        folders.append(archive)
    for folder in folders:
        if (folder / source).is_file():
            return _normalise((folder / source).read_text(encoding="utf-8"))
    return None


@pytest.mark.parametrize("path", SETS, ids=lambda p: p.name)
def test_every_answer_is_quoted_in_its_evidence_and_the_evidence_in_its_document(path: Path) -> None:
    problems = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        item = json.loads(line)
        if item["kind"] not in KINDS:
            problems.append(f"line {number}: unknown kind {item['kind']!r}")
        if not item["answerable"]:
            continue
        passages = [(item["source"], item["evidence"])] + [(e["source"], e["evidence"]) for e in item.get("extra_evidence", [])]
        for source, evidence in passages:
            text = _document(source)
            if text is None:
                if source.endswith(".txt") and not FOLDERS[1].is_dir():
                    pytest.skip(f"{FOLDERS[1]} is absent: the provinces documents come from shared/")
                problems.append(f"line {number}: {source} is in no document folder")
            elif _normalise(evidence) not in text:
                problems.append(f"line {number}: evidence not in {source}: {evidence[:60]!r}")
        joined = " ".join(_normalise(e) for _, e in passages)
        problems += [f"line {number}: {e!r} not in its evidence" for e in item["expected"] if _normalise(e) not in joined]
    assert not problems, "\n".join(problems)


def test_the_final_sets_are_never_trained_on() -> None:
    names = {p.name for p in default_sets()}
    assert not names & {
        "provinces_final.jsonl",
        "archive_final.jsonl",
        "archive_blind3.jsonl",
        "archive_blind4.jsonl",
        "archive_blind5.jsonl",
        "archive_blind6.jsonl",
        "archive_blind7.jsonl",
        "archive_blind8.jsonl",
        "archive_blind9.jsonl",
        "archive_blind10.jsonl",
        "archive_blind11.jsonl",
        "archive_blind12.jsonl",
        "siblings_blind1.jsonl",
        "holdout7.jsonl",
        "comparisons_blind.jsonl",
        "comparisons_blind2.jsonl",
        "comparisons_blind3.jsonl",
        "comparisons_blind4.jsonl",
        "comparisons_blind5.jsonl",
        "comparisons_blind6.jsonl",
        "comparisons_blind7.jsonl",
        "comparisons_blind8.jsonl",
    }
    assert {"dataset.jsonl", "provinces_dev.jsonl", "archive_blind2.jsonl"} <= names
