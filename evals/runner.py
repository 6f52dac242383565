"""Run the eval set through answer(), beside the textbook baseline; score, report and gate.

Follow-ups: the dataset gives the earlier user questions. We replay them through the same
answerer and pass its answers back as assistant turns, because that is the history a chat (the UI,
the Zalo bot) really sends; a follow-up that only works without the earlier answers would pass
here and fail in use. Only the final question is timed and scored.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from pydantic import ValidationError

from assistant.errors import UserFacingError
from assistant.models import Answer, Turn
from evals.gate import GateResult, check_gate, load_accepted, save_accepted
from evals.scoring import (
    EvalItem,
    Failure,
    ItemScore,
    KindMetrics,
    Metrics,
    aggregate,
    by_kind,
    describe_failure,
    score_error,
    score_item,
)

if TYPE_CHECKING:
    from assistant.settings import Settings

EVALS_DIR = Path(__file__).resolve().parent
DEFAULT_DATASET = EVALS_DIR / "dataset.jsonl"
DEFAULT_ACCEPTED = EVALS_DIR / "baseline.json"
DEFAULT_RESULTS_ROOT = EVALS_DIR / "results"
CORPUS_SUFFIXES = (".txt", ".pdf", ".docx")

ProgressCallback = Callable[[str, int, int], None]


class Answerer(Protocol):
    def answer(self, question: str, history: list[Turn] | None = None) -> Answer: ...


class DatasetError(UserFacingError):
    """The eval set cannot be read; the message names the file, line and field."""


# --- dataset --------------------------------------------------------------------------------------


def load_dataset(path: Path) -> list[EvalItem]:
    if not path.exists():
        raise DatasetError(f"eval set {path} does not exist; pass --dataset FILE (JSON lines, see ARCHITECTURE.md)")
    items: list[EvalItem] = []
    problems: list[str] = []
    seen: set[str] = set()
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            item = EvalItem.model_validate(json.loads(line))
        except json.JSONDecodeError as exc:
            problems.append(f"line {number}: not valid JSON ({exc.msg} at column {exc.colno})")
            continue
        except ValidationError as exc:
            details = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'item'}: {e['msg']}" for e in exc.errors())
            problems.append(f"line {number}: {details}")
            continue
        if item.id in seen:
            problems.append(f"line {number}: duplicate id {item.id!r}")
        seen.add(item.id)
        items.append(item)
    if problems:
        raise DatasetError(f"eval set {path} has {len(problems)} bad line(s), fix them:\n  " + "\n  ".join(problems))
    if not items:
        raise DatasetError(f"eval set {path} holds no items")
    return items


def file_sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def accepted_path_for(dataset: Path) -> Path:
    """evals/baseline.json for the bundled set; another set keeps its accepted results beside itself."""
    if dataset.resolve() == DEFAULT_DATASET:
        return DEFAULT_ACCEPTED
    return dataset.with_name(dataset.stem + ".baseline.json")


# --- running --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ItemResult:
    item: EvalItem
    answer: Answer | None
    score: ItemScore


@dataclass
class SystemRun:
    name: str
    results: list[ItemResult]
    metrics: Metrics
    kinds: list[KindMetrics]

    @property
    def failures(self) -> list[Failure]:
        return [describe_failure(r.item, r.answer, r.score) for r in self.results if not r.score.passed]

    @property
    def passed_ids(self) -> list[str]:
        return [r.item.id for r in self.results if r.score.passed]

    @property
    def invented_ids(self) -> list[str]:
        return [r.item.id for r in self.results if r.score.invented]


@dataclass
class EvalReport:
    dataset: str
    dataset_sha256: str
    created_at: str
    ours: SystemRun
    baseline: SystemRun | None
    gate: GateResult | None = None
    notices: list[str] = field(default_factory=list)


def _replay_history(answerer: Answerer, earlier_questions: Sequence[str]) -> list[Turn]:
    history: list[Turn] = []
    for question in earlier_questions:
        reply = answerer.answer(question, list(history))
        history += [Turn(role="user", content=question), Turn(role="assistant", content=reply.answer)]
    return history


def _run_item(answerer: Answerer, item: EvalItem) -> ItemResult:
    try:
        history = _replay_history(answerer, item.history)
        started = time.perf_counter()
        answer = answerer.answer(item.question, history)
        latency_ms = (time.perf_counter() - started) * 1000.0
    except Exception as exc:  # one broken item must not hide the other results
        return ItemResult(item, None, score_error(item, f"{type(exc).__name__}: {exc}"))
    return ItemResult(item, answer, score_item(item, answer, latency_ms))


def run_system(
    answerer: Answerer, items: Sequence[EvalItem], name: str, progress: ProgressCallback | None = None
) -> SystemRun:
    # Warm-up: the first call loads models and fills caches; it is neither timed nor scored.
    with contextlib.suppress(Exception):  # the item itself will report the error
        answerer.answer(items[0].question, [])
    results: list[ItemResult] = []
    for done, item in enumerate(items, start=1):
        results.append(_run_item(answerer, item))
        if progress is not None:
            progress(name, done, len(items))
    scores = [r.score for r in results]
    return SystemRun(name=name, results=results, metrics=aggregate(scores), kinds=by_kind(scores))


def run_eval(
    assistant: Answerer,
    items: Sequence[EvalItem],
    baseline_peer: Answerer | None = None,
    *,
    dataset_label: str = "",
    dataset_sha256: str = "",
    progress: ProgressCallback | None = None,
) -> EvalReport:
    if not items:
        raise ValueError("run_eval needs at least one eval item")
    ours = run_system(assistant, items, "ours", progress)
    baseline = run_system(baseline_peer, items, "baseline", progress) if baseline_peer is not None else None
    return EvalReport(
        dataset=dataset_label,
        dataset_sha256=dataset_sha256,
        created_at=datetime.now().astimezone().isoformat(timespec="seconds"),
        ours=ours,
        baseline=baseline,
    )


def gate_report(report: EvalReport, accepted_path: Path) -> GateResult:
    gate = check_gate(
        report.ours.metrics,
        passed_ids=report.ours.passed_ids,
        item_ids=[r.item.id for r in report.ours.results],
        invented_ids=report.ours.invented_ids,
        accepted=load_accepted(accepted_path),
        dataset_sha256=report.dataset_sha256,
    )
    report.gate = gate
    return gate


# --- the `assistant eval` command -----------------------------------------------------------------


def asked_at_home(items: Sequence[EvalItem], corpus_dir: Path) -> bool:
    """Whether a set is asked in the deployment whose own documents lie in corpus_dir (its home place then
    weighs): every answerable question cites one of them. A set over other provinces' documents stands for
    their own deployments, whose home place is not configured here."""
    own = {p.name for p in corpus_files(corpus_dir)}
    sources = {item.source for item in items if item.answerable}
    return bool(sources) and sources <= own


def corpus_files(corpus_dir: Path) -> list[Path]:
    if not corpus_dir.is_dir():
        return []
    return sorted(p for p in corpus_dir.iterdir() if p.is_file() and p.suffix.lower() in CORPUS_SUFFIXES)


def build_baseline_peer(settings: Settings) -> Answerer | None:
    from evals.baseline import TextbookRag
    from vectorstore.embeddings import make_embeddings

    files = corpus_files(settings.corpus_dir)
    if not files:
        return None
    embeddings = make_embeddings(settings.embedding_mode, settings.embedding_model, settings.embedding_batch_size)
    return TextbookRag.build(
        files, embeddings, model_id=embeddings.model_id, cache_dir=settings.data_dir / "eval_cache"
    )


def default_results_dir(root: Path = DEFAULT_RESULTS_ROOT) -> Path:
    return root / datetime.now().strftime("%Y%m%d-%H%M%S")


def _stderr_progress(name: str, done: int, total: int) -> None:
    if sys.stderr.isatty():
        end = "\n" if done == total else ""
        print(f"\r{name}: {done}/{total}", end=end, file=sys.stderr, flush=True)


def run_eval_command(
    settings: Settings,
    dataset: Path | None,
    as_json: bool,
    update_baseline: bool,
    results_dir: Path | None,
    with_baseline: bool = True,
) -> int:
    """`assistant eval`: 0 when the gate passes (or the results were accepted), 1 on a regression."""
    from assistant.service import Assistant
    from evals.report import format_summary, report_to_dict, write_reports

    dataset_path = dataset or DEFAULT_DATASET
    items = load_dataset(dataset_path)
    assistant = Assistant.from_settings(settings)
    at_home = asked_at_home(items, settings.corpus_dir)
    assistant.weigh_home_place(at_home)
    # Every question searched the same way (exactly, in memory), however fast the vectors were read.
    assistant.index.prepare_dense_search(wait=True)
    peer = build_baseline_peer(settings) if with_baseline else None
    report = run_eval(
        assistant,
        items,
        peer,
        dataset_label=str(dataset_path),
        dataset_sha256=file_sha256(dataset_path),
        progress=None if as_json else _stderr_progress,
    )
    if peer is None and with_baseline:
        report.notices.append(f"no corpus files in {settings.corpus_dir}: the textbook baseline was not run")
    if not at_home:
        report.notices.append(
            f"asked with no home place: the set's questions are not all about the documents in {settings.corpus_dir}"
        )
    accepted_path = accepted_path_for(dataset_path)
    gate = gate_report(report, accepted_path)
    out_dir = results_dir or default_results_dir()
    files = write_reports(report, out_dir, latest_link=results_dir is None)
    if update_baseline:
        save_accepted(accepted_path, report.ours.metrics, report.ours.passed_ids, report.dataset_sha256)
    if as_json:
        payload = report_to_dict(report)
        payload["report_files"] = {k: str(v) for k, v in files.as_dict().items()}
        print(json.dumps(payload, ensure_ascii=False, indent=2))
    else:
        print(format_summary(report))
        print(f"\nReports: {files.markdown}  {files.json}  {files.chart}")
        if update_baseline:
            print(f"Accepted these results as the new baseline: {accepted_path}")
    hard_floor_broken = any(r.startswith("invented figures") for r in gate.regressions)
    if update_baseline:
        return 1 if hard_floor_broken else 0
    return 0 if gate.ok else 1
