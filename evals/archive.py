"""The archive documents that eval sets are written over, taken out of shared/'s archive when needed.

    python -m evals.archive DIR      # extracts them into DIR (DIR/<name>.txt) and prints DIR

`../shared/corpora/archive.tar.xz` holds 999 real documents of many provinces and ministries. A few of
them carry question sets (`evals/archive_*.jsonl`); they are read from the archive at eval time and
never copied into the project. Which ones is `evals/archive_docs.txt`, one file name a line.
"""

from __future__ import annotations

import sys
import tarfile
from collections.abc import Sequence
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
ARCHIVE = REPO.parent / "shared" / "corpora" / "archive.tar.xz"
DOCS_LIST = REPO / "evals" / "archive_docs.txt"


def archive_doc_names(listing: Path = DOCS_LIST) -> list[str]:
    lines = listing.read_text(encoding="utf-8").splitlines()
    return [line.strip() for line in lines if line.strip() and not line.lstrip().startswith("#")]


def extract_archive_docs(dest: Path, *, archive: Path = ARCHIVE, names: Sequence[str] | None = None) -> list[Path]:
    """Extract the listed documents into dest (flat); already extracted files are kept as they are."""
    wanted = list(names if names is not None else archive_doc_names())
    dest.mkdir(parents=True, exist_ok=True)
    missing = [n for n in wanted if not (dest / n).is_file()]
    if missing:
        if not archive.is_file():
            raise FileNotFoundError(f"{archive} is absent: the archive comes from shared/corpora, beside the clone")
        members = {f"docs/{n}" for n in missing}
        with tarfile.open(archive, "r:xz") as tar:
            for member in tar:
                if member.name in members and member.isfile():
                    handle = tar.extractfile(member)
                    assert handle is not None
                    (dest / Path(member.name).name).write_bytes(handle.read())
                    members.discard(member.name)
        if members:
            raise FileNotFoundError(f"not in {archive}: {', '.join(sorted(members))}")
    return [dest / n for n in wanted]


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) != 1:
        print("usage: python -m evals.archive DIR", file=sys.stderr)
        return 2
    dest = Path(args[0])
    try:
        extract_archive_docs(dest)
    except FileNotFoundError as error:
        print(error, file=sys.stderr)
        return 1
    print(dest)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
