"""Why a document could not be ingested, in words its owner can act on.

Every error names the file, says what is wrong with it and what to do about it;
`str(error)` is the whole message, ready to print in an ingest summary.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path


class IngestError(Exception):
    """A document (or corpus file) that cannot be ingested; `str(error)` is the whole user-facing message.

    Raise it directly with a complete message, or use a subclass, which composes
    "<file>: <what is wrong>. <what to do>" from its arguments.
    """

    def __init__(self, message: str, path: Path | str | None = None) -> None:
        super().__init__(message)
        self.path = Path(path) if path is not None else None

    @property
    def message(self) -> str:
        return str(self)


class _FileError(IngestError):
    def __init__(self, path: Path | str, problem: str, remedy: str) -> None:
        self.problem = problem
        self.remedy = remedy
        super().__init__(f"{path}: {problem}. {remedy}", path)


class UnreadableFile(_FileError):
    def __init__(self, path: Path | str, reason: str) -> None:
        super().__init__(
            path, f"cannot be read ({reason})", "Check that the path is right and the file is readable."
        )


class UnsupportedFileType(_FileError):
    def __init__(self, path: Path | str, supported: Iterable[str]) -> None:
        suffix = Path(path).suffix.lower()
        what = (
            f"{suffix} files are not supported" if suffix else "files without an extension are not supported"
        )
        listed = ", ".join(sorted(supported))
        super().__init__(path, f"{what}; supported: {listed}", "Convert it to PDF, DOCX or UTF-8 text first.")


class EmptyDocument(_FileError):
    def __init__(self, path: Path | str, detail: str = "the file is empty (0 bytes)") -> None:
        super().__init__(
            path, detail, "There is nothing to index: check that the right file was saved or exported."
        )


class NeedsOCR(_FileError):
    def __init__(self, path: Path | str, detail: str, remedy: str | None = None) -> None:
        super().__init__(
            path,
            f"needs OCR: {detail}; it looks scanned",
            remedy or "Run OCR on it (e.g. `ocrmypdf -l vie in.pdf out.pdf`) and ingest the result.",
        )


class OcrFailed(_FileError):
    """OCR of a scanned PDF was tried and gave no usable text (it failed, timed out or read nothing)."""

    def __init__(self, path: Path | str, problem: str, remedy: str) -> None:
        super().__init__(path, problem, remedy)


class EncryptedDocument(_FileError):
    def __init__(
        self, path: Path | str, detail: str = "it is password-protected", remedy: str | None = None
    ) -> None:
        super().__init__(
            path,
            detail,
            remedy
            or "Save an unprotected copy (e.g. `qpdf --decrypt --password=PASSWORD in.pdf out.pdf`) "
            "and ingest that.",
        )


class CorruptDocument(_FileError):
    def __init__(self, path: Path | str, detail: str) -> None:
        super().__init__(
            path,
            f"is damaged and cannot be read ({detail})",
            "Download or export it again (or open and re-save it, e.g. `qpdf in.pdf out.pdf` for a PDF) "
            "and ingest the new copy.",
        )


class WrongEncoding(_FileError):
    """A text file that is not UTF-8. `encoding` names what it looks like."""

    def __init__(self, path: Path | str, encoding: str, where: str = "", remedy: str | None = None) -> None:
        self.encoding = encoding
        problem = f"is not UTF-8 text: it looks like {encoding}"
        if where:
            problem += f"; {where}"
        super().__init__(path, problem, remedy or _convert_to_utf8_hint(encoding))


def _convert_to_utf8_hint(encoding: str) -> str:
    if "VNI" in encoding or "TCVN3" in encoding:
        how = "with Unikey's converter (Công cụ chuyển mã) from that encoding to Unicode, saved as UTF-8"
    elif "UTF-16" in encoding or "UTF-32" in encoding:
        how = "e.g. in Notepad: Save As → Encoding: UTF-8, or `iconv -f UTF-16 -t UTF-8`"
    elif "1258" in encoding:
        how = "e.g. `iconv -f CP1258 -t UTF-8 in.txt > out.txt`, or Notepad: Save As → Encoding: UTF-8"
    else:
        how = "e.g. in Notepad: Save As → Encoding: UTF-8"
    return f"Convert it to UTF-8 ({how}) and ingest it again."


class MismatchedType(_FileError):
    """The file's content is not what its extension says."""

    def __init__(self, path: Path | str, looks_like: str, remedy: str) -> None:
        self.looks_like = looks_like
        suffix = Path(path).suffix.lower() or "(no extension)"
        super().__init__(path, f"is named {suffix} but its content is {looks_like}", remedy)
