"""The training command: a clear message, not a stack trace, when there is nothing to train on."""

from __future__ import annotations

from pathlib import Path

import pytest

from evals.train import main


def test_an_empty_index_is_refused_with_what_to_do(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--data-dir", str(tmp_path), "--out", str(tmp_path / "model.json")]) == 2
    assert "holds no documents: add --build" in capsys.readouterr().err
    assert not (tmp_path / "model.json").exists()
