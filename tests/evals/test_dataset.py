"""The eval sets stay true to the bundled corpus, so they cannot rot silently.

Every expected figure must be quoted in its evidence, and every evidence must be found in its
document, compared after NFC and collapsing whitespace (PDF-style hard line breaks count as spaces).
The same checks run on dataset.jsonl (the tuning set) and on the held-out sets nobody tunes on:
holdout.jsonl, holdout2.jsonl, written after tuning on both others had begun, and holdout3.jsonl,
written while all three others were being tuned on. A held-out set must stay
apart from every set tuned on before it, or it stops measuring generalisation.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import pytest

REPO_ROOT = Path(__file__).parents[2]
DATASET = REPO_ROOT / "evals" / "dataset.jsonl"
HOLDOUT = REPO_ROOT / "evals" / "holdout.jsonl"
HOLDOUT2 = REPO_ROOT / "evals" / "holdout2.jsonl"
HOLDOUT3 = REPO_ROOT / "evals" / "holdout3.jsonl"
CORPUS_DIR = REPO_ROOT / "corpus"

REQUIRED_FIELDS = {"id", "question", "history", "answerable", "expected", "source", "evidence", "kind"}
OPTIONAL_FIELDS = {"extra_evidence"}
MIN_ITEMS = 100
# Minimum count per kind in dataset.jsonl: every kind present and large enough to report accuracy by kind.
# The held-out set is smaller by design; it must only use these kinds.
MIN_PER_KIND = {
    "figure": 30,
    "disambiguation": 12,
    "multi": 8,
    "fact": 10,
    "no_diacritics": 8,
    "tone_variant": 5,
    "unanswerable": 12,
    "followup": 6,
}
# Each answerable kind must draw on this many documents (or on as many as it has items, when fewer).
MIN_DOCUMENTS_PER_KIND = 3
_WHITESPACE = re.compile(r"\s+")


@dataclass(frozen=True)
class HeldOutSet:
    """A held-out eval set: its id prefix and the sets it must not re-ask (those tuned on before it)."""

    path: Path
    id_prefix: str
    kept_apart_from: tuple[Path, ...]

    @property
    def name(self) -> str:
        return self.path.name


HELD_OUT_SETS = (
    HeldOutSet(HOLDOUT, "ho-", (DATASET,)),
    HeldOutSet(HOLDOUT2, "h2-", (DATASET, HOLDOUT)),
    HeldOutSet(HOLDOUT3, "h3-", (DATASET, HOLDOUT, HOLDOUT2)),
)
# (held-out set, set it must stay apart from): one test case per pair, so a failure names both files.
HELD_OUT_PAIRS = [(held_out, other) for held_out in HELD_OUT_SETS for other in held_out.kept_apart_from]


@dataclass(frozen=True)
class LoadedItem:
    line_number: int
    data: dict[str, Any]

    @property
    def label(self) -> str:
        return f"line {self.line_number} ({self.data.get('id', '?')})"


def _normalise(text: str) -> str:
    return _WHITESPACE.sub(" ", unicodedata.normalize("NFC", text)).strip()


@cache
def _corpus_text(source: str) -> str:
    return _normalise((CORPUS_DIR / source).read_text(encoding="utf-8"))


def _corpus_files() -> set[str]:
    return {path.name for path in CORPUS_DIR.glob("*.txt")}


def _load_items(path: Path) -> list[LoadedItem]:
    items = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
        except json.JSONDecodeError as error:
            pytest.fail(f"{path.name} line {number} is not valid JSON: {error}")
        assert isinstance(data, dict), f"{path.name} line {number} must be a JSON object"
        items.append(LoadedItem(number, data))
    return items


@pytest.fixture(scope="module", params=[DATASET, HOLDOUT, HOLDOUT2, HOLDOUT3], ids=lambda path: path.name)
def items(request: pytest.FixtureRequest) -> list[LoadedItem]:
    """Every validity check below runs once per eval set."""
    path: Path = request.param
    return _load_items(path)


@pytest.fixture(scope="module")
def dataset_items() -> list[LoadedItem]:
    return _load_items(DATASET)


@pytest.fixture(scope="module")
def holdout_items() -> list[LoadedItem]:
    return _load_items(HOLDOUT)


def _is_str_list(value: object) -> bool:
    return isinstance(value, list) and all(isinstance(entry, str) and entry.strip() for entry in value)


def _evidence_passages(data: dict[str, Any]) -> list[tuple[str, str]]:
    """(source, evidence) pairs: the main evidence first, then any extra evidence."""
    passages = [(data["source"], data["evidence"])]
    passages += [(extra["source"], extra["evidence"]) for extra in data.get("extra_evidence", [])]
    return passages


def test_every_line_has_exactly_the_contract_fields_with_valid_types(items: list[LoadedItem]) -> None:
    problems = []
    for item in items:
        data = item.data
        keys = set(data)
        if not keys >= REQUIRED_FIELDS or keys - REQUIRED_FIELDS - OPTIONAL_FIELDS:
            problems.append(f"{item.label}: fields {sorted(keys)}")
            continue
        if not (isinstance(data["id"], str) and data["id"]):
            problems.append(f"{item.label}: id must be a non-empty string")
        if not (isinstance(data["question"], str) and data["question"].strip()):
            problems.append(f"{item.label}: question must be a non-empty string")
        if not (
            isinstance(data["history"], list)
            and all(isinstance(h, str) and h.strip() for h in data["history"])
        ):
            problems.append(f"{item.label}: history must be a list of non-empty strings")
        if not isinstance(data["answerable"], bool):
            problems.append(f"{item.label}: answerable must be true or false")
        if not (isinstance(data["expected"], list) and all(isinstance(e, str) for e in data["expected"])):
            problems.append(f"{item.label}: expected must be a list of strings")
        if data["kind"] not in MIN_PER_KIND:
            problems.append(f"{item.label}: unknown kind {data['kind']!r}")
        for name in ("source", "evidence"):
            if data[name] is not None and not isinstance(data[name], str):
                problems.append(f"{item.label}: {name} must be a string or null")
        extra = data.get("extra_evidence")
        if extra is not None and not (
            isinstance(extra, list)
            and extra
            and all(
                isinstance(e, dict)
                and set(e) == {"source", "evidence"}
                and isinstance(e["source"], str)
                and isinstance(e["evidence"], str)
                for e in extra
            )
        ):
            problems.append(f"{item.label}: extra_evidence must be a non-empty list of {{source, evidence}}")
    assert not problems, "\n".join(problems)


def test_ids_are_unique(items: list[LoadedItem]) -> None:
    counts = Counter(item.data["id"] for item in items)
    duplicates = sorted(item_id for item_id, count in counts.items() if count > 1)
    assert not duplicates, f"duplicate ids: {duplicates}"


def test_dataset_is_large_enough_and_every_kind_has_its_minimum(dataset_items: list[LoadedItem]) -> None:
    assert len(dataset_items) >= MIN_ITEMS, f"{len(dataset_items)} items, need at least {MIN_ITEMS}"
    per_kind = Counter(item.data["kind"] for item in dataset_items)
    short = {kind: per_kind[kind] for kind, minimum in MIN_PER_KIND.items() if per_kind[kind] < minimum}
    assert not short, f"kinds below their minimum count: {short} (minimums {MIN_PER_KIND})"


def test_answerable_items_cite_corpus_files_and_cover_all_five(items: list[LoadedItem]) -> None:
    corpus = _corpus_files()
    assert len(corpus) == 5, f"expected the 5 bundled documents in {CORPUS_DIR}, found {sorted(corpus)}"
    answerable = [item for item in items if item.data["answerable"]]
    unknown = [
        f"{item.label}: {source!r}"
        for item in answerable
        for source, _ in _evidence_passages(item.data)
        if source not in corpus
    ]
    assert not unknown, "sources that are not corpus files:\n" + "\n".join(unknown)
    covered = {item.data["source"] for item in answerable}
    assert covered == corpus, f"documents without any answerable item: {sorted(corpus - covered)}"


def test_kinds_are_spread_over_the_documents(items: list[LoadedItem]) -> None:
    """Each answerable kind draws on at least three documents, so no kind measures one document only.

    A kind with fewer items than that (the small held-out sets) puts each item on another document.
    """
    sources_per_kind: dict[str, set[str]] = {}
    items_per_kind: Counter[str] = Counter()
    for item in items:
        if item.data["answerable"]:
            sources_per_kind.setdefault(item.data["kind"], set()).add(item.data["source"])
            items_per_kind[item.data["kind"]] += 1
    narrow = {
        kind: sorted(sources)
        for kind, sources in sources_per_kind.items()
        if len(sources) < min(MIN_DOCUMENTS_PER_KIND, items_per_kind[kind])
    }
    assert not narrow, f"kinds drawn from too few documents (need {MIN_DOCUMENTS_PER_KIND}): {narrow}"


def test_every_expected_string_is_quoted_in_the_evidence(items: list[LoadedItem]) -> None:
    problems = []
    for item in items:
        data = item.data
        if not data["answerable"]:
            continue
        if not _is_str_list(data["expected"]):
            problems.append(f"{item.label}: an answerable item needs non-empty expected strings")
            continue
        passages = [_normalise(evidence) for _, evidence in _evidence_passages(data)]
        for expected in data["expected"]:
            if not any(_normalise(expected) in passage for passage in passages):
                problems.append(f"{item.label}: expected {expected!r} is not in its evidence")
    assert not problems, "\n".join(problems)


def test_every_evidence_occurs_verbatim_in_its_document(items: list[LoadedItem]) -> None:
    problems = []
    for item in items:
        if not item.data["answerable"]:
            continue
        for source, evidence in _evidence_passages(item.data):
            if source not in _corpus_files():
                continue  # reported by the coverage test
            if not evidence.strip():
                problems.append(f"{item.label}: empty evidence for {source}")
            elif _normalise(evidence) not in _corpus_text(source):
                problems.append(f"{item.label}: evidence not found in {source}: {evidence[:80]!r}")
    assert not problems, "\n".join(problems)


def test_unanswerable_items_carry_no_answer(items: list[LoadedItem]) -> None:
    problems = []
    for item in items:
        data = item.data
        is_unanswerable_kind = data["kind"] == "unanswerable"
        if is_unanswerable_kind == data["answerable"]:
            problems.append(f"{item.label}: kind 'unanswerable' must go with answerable false, and only it")
        if not data["answerable"] and (
            data["expected"]
            or data["source"] is not None
            or data["evidence"] is not None
            or "extra_evidence" in data
        ):
            problems.append(f"{item.label}: unanswerable items need expected [], source null, evidence null")
    assert not problems, "\n".join(problems)


def test_followups_have_history_and_other_kinds_stand_alone(items: list[LoadedItem]) -> None:
    problems = [
        f"{item.label}: followup without history"
        if item.data["kind"] == "followup"
        else f"{item.label}: history on a {item.data['kind']} item"
        for item in items
        if (item.data["kind"] == "followup") != bool(item.data["history"])
    ]
    assert not problems, "\n".join(problems)


def test_questions_are_not_copied_from_the_evidence(items: list[LoadedItem]) -> None:
    problems = []
    for item in items:
        if not item.data["answerable"]:
            continue
        question = _normalise(item.data["question"]).rstrip("?").strip().casefold()
        for _, evidence in _evidence_passages(item.data):
            passage = _normalise(evidence).casefold()
            if question in passage or passage in question:
                problems.append(f"{item.label}: question copies its evidence")
    assert not problems, "\n".join(problems)


def test_no_diacritics_questions_are_plain_ascii(items: list[LoadedItem]) -> None:
    accented = [
        item.label
        for item in items
        if item.data["kind"] == "no_diacritics" and not item.data["question"].isascii()
    ]
    assert not accented, f"no_diacritics questions with diacritics: {accented}"


def test_holdout_uses_every_kind(holdout_items: list[LoadedItem]) -> None:
    missing = set(MIN_PER_KIND) - {item.data["kind"] for item in holdout_items}
    assert not missing, f"kinds without any held-out item: {sorted(missing)}"


@pytest.mark.parametrize("held_out", HELD_OUT_SETS, ids=lambda held_out: held_out.name)
def test_held_out_ids_carry_their_prefix(held_out: HeldOutSet) -> None:
    unprefixed = [
        item.label
        for item in _load_items(held_out.path)
        if not item.data["id"].startswith(held_out.id_prefix)
    ]
    assert not unprefixed, f"{held_out.name} ids must start with {held_out.id_prefix!r}: {unprefixed}"


@pytest.mark.parametrize(
    ("held_out", "other"), HELD_OUT_PAIRS, ids=lambda value: getattr(value, "name", None)
)
def test_held_out_ids_do_not_collide_with_earlier_sets(held_out: HeldOutSet, other: Path) -> None:
    shared = {item.data["id"] for item in _load_items(held_out.path)} & {
        item.data["id"] for item in _load_items(other)
    }
    assert not shared, f"ids used in both {other.name} and {held_out.name}: {sorted(shared)}"


def _question_key(question: str) -> str:
    return _normalise(question).rstrip("?").strip().casefold()


def _passages_overlap(first: str, second: str) -> bool:
    first, second = _normalise(first), _normalise(second)
    return first in second or second in first


@pytest.mark.parametrize(
    ("held_out", "other"), HELD_OUT_PAIRS, ids=lambda value: getattr(value, "name", None)
)
def test_held_out_set_does_not_reask_earlier_items(held_out: HeldOutSet, other: Path) -> None:
    """A held-out item may quote a passage an earlier set also quotes only to ask for another of its figures.

    Same question, or the same (overlapping) passage with a shared expected string, means the item was
    effectively tuned on and would overstate how well the assistant generalises.
    """
    held_out_items, earlier_items = _load_items(held_out.path), _load_items(other)
    earlier_questions = {_question_key(item.data["question"]): item.data["id"] for item in earlier_items}
    problems = [
        f"{item.label}: same question as {other.name} {earlier_questions[_question_key(item.data['question'])]}"
        for item in held_out_items
        if _question_key(item.data["question"]) in earlier_questions
    ]
    for item in held_out_items:
        if not item.data["answerable"]:
            continue
        expected = {_normalise(e) for e in item.data["expected"]}
        for source, evidence in _evidence_passages(item.data):
            for earlier in earlier_items:
                if not earlier.data["answerable"]:
                    continue
                shared = expected & {_normalise(e) for e in earlier.data["expected"]}
                if shared and any(
                    earlier_source == source and _passages_overlap(evidence, earlier_evidence)
                    for earlier_source, earlier_evidence in _evidence_passages(earlier.data)
                ):
                    problems.append(
                        f"{item.label}: asks for {sorted(shared)} from the passage {other.name} "
                        f"{earlier.data['id']} already uses"
                    )
    assert not problems, "\n".join(problems)
