"""The answer-selection model: a deterministic fit, a versioned file, and a clear error when stale."""

from __future__ import annotations

import json

import numpy as np
import pytest

from assistant.answer_model import DECISION_FEATURES, AnswerModel, ModelFileError, fit_logistic, fit_ranking
from assistant.features import FEATURE_NAMES


def test_the_fit_is_deterministic_and_learns_which_feature_tells() -> None:
    rows = [[1.0, x / 10, (x * 7 % 10) / 10] for x in range(40)]
    labels = [int(r[1] > 0.5) for r in rows]
    first = fit_logistic(rows, labels)
    assert first == fit_logistic(rows, labels)
    assert first[1] > 1.0 and abs(first[2]) < first[1]


def test_the_ranking_puts_the_labelled_unit_of_each_question_first() -> None:
    rng = np.random.default_rng(0)
    groups = []
    for _ in range(30):
        x = np.column_stack([np.ones(5), rng.random(5), rng.random(5)])
        y = (x[:, 1] == x[:, 1].max()).astype(float)
        groups.append((x, y))
    weights = fit_ranking(groups, l2=0.01)
    assert weights == fit_ranking(groups, l2=0.01)
    first = [int(np.argmax(x @ np.asarray(weights))) == int(np.argmax(y)) for x, y in groups]
    assert sum(first) >= 27, first


def test_the_shipped_model_has_the_codes_features_and_a_threshold() -> None:
    model = AnswerModel.load()
    assert len(model.rank_weights) == len(FEATURE_NAMES)
    assert len(model.decision_weights) == len(DECISION_FEATURES)
    assert 0.0 < model.threshold < 1.0
    assert model.trained_on["questions"]


def test_a_model_file_from_other_code_says_to_retrain(tmp_path) -> None:
    data = json.loads(AnswerModel.load().to_json())
    data["rank_weights"]["a_feature_no_code_has"] = 1.0
    path = tmp_path / "model.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(ModelFileError, match="retrain"):
        AnswerModel.load(path)
