"""OCR of scanned PDF pages with ocrmypdf and Tesseract's Vietnamese model, when they are installed.

A scanned page is a picture: pypdf finds no text on it. ocrmypdf rasterises the pages named to it,
runs Tesseract (`-l vie`) on them and writes a copy of the PDF with an invisible text layer over each,
which pypdf then reads like any other PDF. Only the pages that need it are OCR'd (`--pages`), so the
text pages of a mixed PDF keep their own text, and every page keeps its number.

The tools are optional system packages, looked up when a PDF needs them: `find_ocr_tools` says what
is missing, so the caller's error can name the packages to install.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from ingest.errors import OcrFailed

LANGUAGE = "vie"
OCR_PACKAGES = ("ocrmypdf", "tesseract-ocr-vie")
INSTALL_COMMAND = f"apt-get install {' '.join(OCR_PACKAGES)}"

# Listing Tesseract's languages takes well under a second; a hung binary must not hang the ingest.
_LIST_LANGS_SECONDS = 30.0


@dataclass(frozen=True)
class OcrOptions:
    """How a scanned PDF is OCR'd. A stuck run is stopped after `startup_seconds` plus
    `seconds_per_page` for each page OCR'd; `jobs` None lets ocrmypdf use every core."""

    enabled: bool = True
    seconds_per_page: float = 120.0
    startup_seconds: float = 30.0
    jobs: int | None = None

    def timeout_seconds(self, pages: int) -> float:
        return self.startup_seconds + self.seconds_per_page * max(pages, 1)


@dataclass(frozen=True)
class OcrTools:
    ocrmypdf: str  # the executable's path


@dataclass(frozen=True)
class OcrLookup:
    """The OCR tools when everything is installed; otherwise what is missing, in words."""

    tools: OcrTools | None
    missing: tuple[str, ...] = ()  # e.g. ("ocrmypdf is not installed",)


def tesseract_languages(tesseract: str) -> frozenset[str]:
    """The language models Tesseract has (`tesseract --list-langs`); empty when it cannot say."""
    try:
        listed = subprocess.run(
            [tesseract, "--list-langs"],
            capture_output=True,
            text=True,
            timeout=_LIST_LANGS_SECONDS,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return frozenset()
    # The first line is a header ("List of available languages in ..."); some builds print it on stderr.
    lines = (listed.stdout + "\n" + listed.stderr).splitlines()
    return frozenset(line.strip() for line in lines if line.strip() and " " not in line.strip())


def find_ocr_tools() -> OcrLookup:
    """ocrmypdf and Tesseract with its Vietnamese model, looked up on PATH now (not at import)."""
    ocrmypdf = shutil.which("ocrmypdf")
    tesseract = shutil.which("tesseract")
    missing: list[str] = []
    if ocrmypdf is None:
        missing.append("ocrmypdf is not installed")
    if tesseract is None:
        missing.append("Tesseract is not installed")
    elif LANGUAGE not in tesseract_languages(tesseract):
        missing.append("Tesseract has no Vietnamese model (vie)")
    if missing or ocrmypdf is None:
        return OcrLookup(None, tuple(missing))
    return OcrLookup(OcrTools(ocrmypdf))


def page_ranges(pages: Sequence[int]) -> str:
    """ocrmypdf's --pages argument: "1,3-5" for pages 1, 3, 4, 5 (1-based)."""
    ordered = sorted(set(pages))
    runs: list[list[int]] = []
    for number in ordered:
        if runs and number == runs[-1][-1] + 1:
            runs[-1].append(number)
        else:
            runs.append([number])
    return ",".join(str(run[0]) if len(run) == 1 else f"{run[0]}-{run[-1]}" for run in runs)


def ocrmypdf_command(
    tools: OcrTools, source: Path, target: Path, pages: Sequence[int], options: OcrOptions
) -> list[str]:
    command = [
        tools.ocrmypdf,
        "--quiet",
        "--language",
        LANGUAGE,
        # Only the pages without usable text, and those even when they carry an unreadable text layer;
        # the other pages are copied as they are and their own text is read from the original anyway.
        "--force-ocr",
        "--pages",
        page_ranges(pages),
        # Plain PDF and no optimisation: only the text layer is wanted, PDF/A conversion is slow.
        "--output-type",
        "pdf",
        "--optimize",
        "0",
        # ocrmypdf would otherwise give up on a slow page silently and leave it without text.
        "--tesseract-timeout",
        str(int(options.seconds_per_page)),
    ]
    if options.jobs is not None:
        command += ["--jobs", str(options.jobs)]
    return [*command, str(source), str(target)]


def _last_line(text: str) -> str:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines[-1] if lines else "no message"


def _run_stoppable(command: list[str], timeout: float) -> subprocess.CompletedProcess[str]:
    """Run `command`; on timeout kill it with every process it started (Tesseract runs as its children)."""
    with subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True
    ) as process:
        try:
            out, err = process.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            # It may have finished in between: then there is nothing left to kill.
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.communicate()
            raise
        return subprocess.CompletedProcess(command, process.returncode, out, err)


def ocr_pdf(path: Path, data: bytes, pages: Sequence[int], tools: OcrTools, options: OcrOptions) -> bytes:
    """The PDF `data` (read from `path`) with a text layer OCR'd onto `pages` (1-based), as PDF bytes.

    Raises OcrFailed when ocrmypdf fails or runs longer than the options allow.
    """
    timeout = options.timeout_seconds(len(pages))
    # The bytes already read are OCR'd, not the file again: it may have changed since.
    with tempfile.TemporaryDirectory(prefix="ingest-ocr-") as folder:
        source, target = Path(folder) / "in.pdf", Path(folder) / "out.pdf"
        source.write_bytes(data)
        command = ocrmypdf_command(tools, source, target, pages, options)
        try:
            done = _run_stoppable(command, timeout)
        except subprocess.TimeoutExpired as error:
            raise OcrFailed(
                path,
                f"OCR of {len(pages)} page(s) did not finish within {timeout:.0f} s and was stopped",
                "Check that the file opens, or OCR it separately (`ocrmypdf -l vie in.pdf out.pdf`) "
                "and ingest the result.",
            ) from error
        except OSError as error:
            raise OcrFailed(
                path, f"ocrmypdf could not be started ({error})", f"Reinstall it: `{INSTALL_COMMAND}`."
            ) from error
        if done.returncode != 0 or not target.is_file():
            raise OcrFailed(
                path,
                f"OCR failed (ocrmypdf exit code {done.returncode}: {_last_line(done.stderr)})",
                "Check that the PDF opens in a viewer; if it does, OCR it separately "
                "(`ocrmypdf -l vie in.pdf out.pdf`) and ingest the result.",
            )
        return target.read_bytes()
