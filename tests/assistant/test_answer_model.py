"""The answer-selection model: a deterministic fit, a versioned file, and a clear error when stale."""

from __future__ import annotations

import json

import pytest

from assistant.answer_model import AnswerModel, ModelFileError, fit_logistic
from assistant.features import FEATURE_NAMES


def test_the_fit_is_deterministic_and_learns_which_feature_tells() -> None:
    rows = [[1.0, x / 10, (x * 7 % 10) / 10] for x in range(40)]
    labels = [int(r[1] > 0.5) for r in rows]
    first = fit_logistic(rows, labels)
    assert first == fit_logistic(rows, labels)
    assert first[1] > 1.0 and abs(first[2]) < first[1]


def test_the_shipped_model_has_the_codes_features_and_a_threshold() -> None:
    model = AnswerModel.load()
    assert model.features == FEATURE_NAMES
    assert 0.0 < model.threshold < 1.0
    assert model.trained_on["questions"]


def test_a_model_file_from_other_code_says_to_retrain(tmp_path) -> None:
    data = json.loads(AnswerModel.load().to_json())
    data["weights"]["a_feature_no_code_has"] = 1.0
    path = tmp_path / "model.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(ModelFileError, match="retrain"):
        AnswerModel.load(path)
