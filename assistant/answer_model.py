"""The answer-selection model: which unit answers, and whether to answer at all.

Two fitted parts over the named unit features (`assistant/features.py`):
- a ranking: a conditional logit that scores every candidate unit of a question against the others;
- one calibrated decision: a logistic regression on the top unit (its features, its share of the
  ranking and its margin over the runner-up) that estimates the chance the top unit is right. The
  assistant answers when that chance reaches the threshold, which `evals/train.py` sets so that at
  most `--max-wrong` of the answers (5 in 100 by default) are wrong, leave-one-document-out.

Weights, threshold and the share at which further units are quoted are fitted from labelled
questions and saved as a small versioned JSON file beside this module; nothing here is set by hand.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np

from assistant.features import FEATURE_NAMES, UnitFeatures, as_vector

MODEL_FORMAT = 2
MODEL_FILE = "answer_model.json"
# What the decision reads: how dominant the top unit is, and the top unit's own features.
DECISION_FEATURES: tuple[str, ...] = ("bias", "top_share", "margin") + tuple(
    f"top_{name}" for name in FEATURE_NAMES if name != "bias"
)
MARGIN_CAP = 10.0


class ModelFileError(ValueError):
    """The model file does not fit this code: its features differ, or it is not a model file."""


@dataclass(frozen=True)
class Ranking:
    """One question's candidates as the model sees them (same order as the rows given)."""

    scores: list[float]
    shares: list[float]  # softmax of the scores: each unit's share of the question
    confidence: float  # estimated chance that the top unit answers


def softmax(scores: np.ndarray) -> np.ndarray:
    if scores.size == 0:
        return scores
    exp = np.exp(scores - scores.max())
    return exp / exp.sum()


def decision_vector(rows: np.ndarray, scores: np.ndarray) -> np.ndarray:
    """The decision's features for a question's candidate rows and their ranking scores."""
    if rows.shape[0] == 0:
        return np.zeros(len(DECISION_FEATURES))
    order = np.argsort(-scores, kind="stable")
    top = order[0]
    margin = float(scores[top] - scores[order[1]]) if len(order) > 1 else MARGIN_CAP
    share = float(softmax(scores)[top])
    return np.concatenate(([1.0, share, min(margin, MARGIN_CAP) / MARGIN_CAP], rows[top, 1:]))


def _sigmoid(z: float) -> float:
    return float(1.0 / (1.0 + np.exp(-np.clip(z, -30, 30))))


@dataclass(frozen=True)
class AnswerModel:
    rank_weights: tuple[float, ...]  # one per FEATURE_NAMES
    decision_weights: tuple[float, ...]  # one per DECISION_FEATURES
    threshold: float  # answer only when the decision's confidence reaches this
    extra_share: float  # further units are quoted when their share of the ranking reaches this
    version: str
    trained_on: dict[str, object]

    def rank_matrix(self, rows: Sequence[UnitFeatures]) -> np.ndarray:
        return np.asarray([as_vector(r) for r in rows], dtype=float).reshape(len(rows), len(FEATURE_NAMES))

    def rank(self, rows: Sequence[UnitFeatures]) -> Ranking:
        matrix = self.rank_matrix(rows)
        return self.rank_vectors(matrix)

    def rank_vectors(self, matrix: np.ndarray) -> Ranking:
        if matrix.shape[0] == 0:
            return Ranking([], [], 0.0)
        scores = matrix @ np.asarray(self.rank_weights)
        confidence = _sigmoid(float(decision_vector(matrix, scores) @ np.asarray(self.decision_weights)))
        return Ranking([float(s) for s in scores], [float(s) for s in softmax(scores)], confidence)

    def to_json(self) -> str:
        return json.dumps(
            {
                "format": MODEL_FORMAT,
                "version": self.version,
                "threshold": self.threshold,
                "extra_share": self.extra_share,
                "rank_weights": dict(zip(FEATURE_NAMES, self.rank_weights, strict=True)),
                "decision_weights": dict(zip(DECISION_FEATURES, self.decision_weights, strict=True)),
                "trained_on": self.trained_on,
            },
            ensure_ascii=False,
            indent=1,
        )

    @classmethod
    def from_json(cls, text: str) -> AnswerModel:
        data = json.loads(text)
        if not isinstance(data, dict) or data.get("format") != MODEL_FORMAT:
            raise ModelFileError(f"not an answer model of format {MODEL_FORMAT}: retrain with `python -m evals.train`")
        for key, names in (("rank_weights", FEATURE_NAMES), ("decision_weights", DECISION_FEATURES)):
            if set(data.get(key) or {}) != set(names):
                missing = sorted(set(names) - set(data.get(key) or {}))
                extra = sorted(set(data.get(key) or {}) - set(names))
                raise ModelFileError(
                    f"the answer model's {key} differ from the code's features (missing {missing}, unknown {extra}): "
                    "retrain it with `python -m evals.train`"
                )
        return cls(
            rank_weights=tuple(float(data["rank_weights"][n]) for n in FEATURE_NAMES),
            decision_weights=tuple(float(data["decision_weights"][n]) for n in DECISION_FEATURES),
            threshold=float(data["threshold"]),
            extra_share=float(data["extra_share"]),
            version=str(data.get("version", "")),
            trained_on=dict(data.get("trained_on") or {}),
        )

    @classmethod
    def load(cls, path: Path | None = None) -> AnswerModel:
        """The model shipped with the package, or one at `path` (a deployment's own fit)."""
        if path is not None:
            return cls.from_json(path.read_text(encoding="utf-8"))
        return cls.from_json(resources.files("assistant").joinpath(MODEL_FILE).read_text(encoding="utf-8"))

    @classmethod
    def untrained(cls) -> AnswerModel:
        """Zero weights: every unit alike. For collecting training data before any fit exists."""
        return cls(tuple(0.0 for _ in FEATURE_NAMES), tuple(0.0 for _ in DECISION_FEATURES), 0.5, 1.0, "untrained", {})


def fit_logistic(
    rows: Sequence[Sequence[float]],
    labels: Sequence[int],
    l2: float = 1.0,
    iterations: int = 25,
) -> list[float]:
    """L2-regularised logistic regression by Newton's method: deterministic, no random start.

    The bias (feature 0) is not penalised, so the regulariser shrinks evidence, not the base rate.
    """
    x = np.asarray(rows, dtype=float)
    y = np.asarray(labels, dtype=float)
    w = np.zeros(x.shape[1])
    penalty = np.full(x.shape[1], l2)
    penalty[0] = 0.0
    for _ in range(iterations):
        p = 1.0 / (1.0 + np.exp(-np.clip(x @ w, -30, 30)))
        gradient = x.T @ (p - y) + penalty * w
        hessian = (x * (p * (1 - p))[:, None]).T @ x + np.diag(penalty + 1e-9)
        step = np.linalg.solve(hessian, gradient)
        w -= step
        if float(np.max(np.abs(step))) < 1e-6:
            break
    return [float(v) for v in w]


def fit_ranking(
    groups: Sequence[tuple[np.ndarray, np.ndarray]],
    l2: float = 1.0,
    iterations: int = 25,
) -> list[float]:
    """Conditional logit (a softmax over each question's candidates) by Newton's method.

    `groups` holds each question's candidate rows and 0/1 labels (at least one 1). Several right
    units of one question share its target equally.
    """
    x = np.concatenate([g[0] for g in groups])
    target = np.concatenate([g[1] / g[1].sum() for g in groups])
    starts = np.cumsum([0] + [len(g[1]) for g in groups[:-1]])
    owner = np.repeat(np.arange(len(groups)), [len(g[1]) for g in groups])
    d = x.shape[1]
    w = np.zeros(d)
    for _ in range(iterations):
        scores = x @ w
        scores = scores - np.maximum.reduceat(scores, starts)[owner]
        exp = np.exp(scores)
        p = exp / np.add.reduceat(exp, starts)[owner]
        gradient = x.T @ (p - target) + l2 * w
        means = np.add.reduceat(x * p[:, None], starts)
        hessian = (x * p[:, None]).T @ x - means.T @ means + np.eye(d) * (l2 + 1e-9)
        step = np.linalg.solve(hessian, gradient)
        w -= step
        if float(np.max(np.abs(step))) < 1e-6:
            break
    return [float(v) for v in w]
