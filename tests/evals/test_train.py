"""The training command: a clear message, not a stack trace, when there is nothing to train on; what it
counts as a right unit, and the threshold it sets by answer share."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.answer_model import Ranking
from evals.scoring import EvalItem
from evals.train import Candidate, Example, _is_answer, at_answer_share, main


def test_an_empty_index_is_refused_with_what_to_do(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--data-dir", str(tmp_path), "--out", str(tmp_path / "model.json")]) == 2
    assert "holds no documents: add --build" in capsys.readouterr().err
    assert not (tmp_path / "model.json").exists()


def _item(expected: list[str], evidence: str) -> EvalItem:
    return EvalItem(id="t-1", question="?", answerable=True, expected=expected, source="a.txt", evidence=evidence, kind="table")


def test_a_unit_of_the_right_document_writing_every_expected_figure_is_a_right_unit() -> None:
    item = _item(["172.900"], "| 6 | PHÚ THỌ | 172.900 |")
    assert _is_answer(item, "- Phú Thọ: 172.900 Triệu đồng;", "a.txt")
    # The same figure in another document is not the answer, nor is another figure beside the evidence.
    assert not _is_answer(item, "- Phú Thọ: 172.900 Triệu đồng;", "b.txt")
    assert not _is_answer(item, "- Huế: 11.400 Triệu đồng;", "a.txt")


def test_the_threshold_by_answer_share_answers_that_share_of_the_questions() -> None:
    examples = [
        Example(_item(["1"], "1"), "a.txt", [Candidate([0.0], 1, "1", "a.txt")]) for _ in range(4)
    ]
    rankings = [Ranking([1.0], [1.0], confidence) for confidence in (0.9, 0.8, 0.6, 0.3)]
    summary = at_answer_share(examples, rankings, 0.5, 1.01)
    assert (summary.threshold, summary.answered) == (0.8, 2)


def test_the_inner_folds_hold_out_every_document_once_in_at_most_ten_sets() -> None:
    from evals.train import document_folds

    documents = [f"d{n:02d}.txt" for n in range(23)]
    folds = document_folds(documents)
    assert len(folds) == 10
    assert sorted(d for fold in folds for d in fold) == documents
    assert folds == document_folds(list(documents))  # the same split every run
    assert document_folds(["a.txt", "b.txt"]) == [{"a.txt"}, {"b.txt"}]
