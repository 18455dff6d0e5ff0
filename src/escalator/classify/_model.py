"""A multinomial logistic regression over sparse named features, in numpy.

Fitting is deterministic (full-batch accelerated gradient descent from zero, a fixed
number of steps, float64) so that the shipped data file is rebuilt byte for byte.
Prediction is plain Python over the few features a task has: a few microseconds.
Only features seen in at least ``min_groups`` repositories are kept, so that nothing
one project's phrasing alone taught reaches the model.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from escalator.task import TaskType

__all__ = ["FitOptions", "LinearModel", "fit"]

TYPES: tuple[TaskType, ...] = tuple(TaskType)


@dataclass(frozen=True)
class FitOptions:
    """Regularisation and feature selection of a fit."""

    l2: float = 1.0  # penalty on the weights, relative to the mean log-loss
    min_groups: int = 2  # a feature must occur in this many repositories
    steps: int = 400
    digits: int = 4  # weights are rounded to this many decimals when stored


@dataclass(frozen=True)
class LinearModel:
    """Weights per feature and type, and a bias per type."""

    weights: dict[str, tuple[float, ...]]
    bias: tuple[float, ...]

    def logits(self, feats: Mapping[str, float]) -> list[float]:
        out = list(self.bias)
        for name, value in feats.items():
            row = self.weights.get(name)
            if row is not None:
                for k, w in enumerate(row):
                    out[k] += w * value
        return out

    def proba(self, feats: Mapping[str, float]) -> dict[TaskType, float]:
        """The probability of each task type."""
        logits = self.logits(feats)
        top = max(logits)
        exps = [math.exp(z - top) for z in logits]
        total = sum(exps)
        return {t: e / total for t, e in zip(TYPES, exps, strict=True)}

    def to_json(self) -> dict[str, Any]:
        return {
            "types": [t.value for t in TYPES],
            "bias": list(self.bias),
            "weights": {k: list(v) for k, v in sorted(self.weights.items())},
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> LinearModel:
        if list(data.get("types", [])) != [t.value for t in TYPES]:
            raise ValueError("the model's task types differ from this Escalator's")
        bias = tuple(float(b) for b in data["bias"])
        weights = {str(k): tuple(float(x) for x in v) for k, v in data["weights"].items()}
        if len(bias) != len(TYPES) or any(len(v) != len(TYPES) for v in weights.values()):
            raise ValueError("every weight row needs one number per task type")
        return cls(weights, bias)


def fit(
    rows: Sequence[Mapping[str, float]],
    labels: Sequence[TaskType],
    groups: Sequence[str],
    options: FitOptions = FitOptions(),
    prior: LinearModel | None = None,
    sample_weight: Sequence[float] | None = None,
) -> LinearModel:
    """Fit on feature rows; with ``prior`` the weights are pulled towards the prior's
    instead of towards zero (how a user's corrections refine the shipped model)."""
    vocab = _vocabulary(rows, groups, options.min_groups, prior)
    x = _Sparse.build(rows, {name: i for i, name in enumerate(vocab)})
    y = np.zeros((len(rows), len(TYPES)))
    for r, label in enumerate(labels):
        y[r, TYPES.index(label)] = 1.0
    sw = np.ones(len(rows)) if sample_weight is None else np.asarray(sample_weight, float)
    anchor = _anchor(vocab, prior)
    w = _descend(x, y, sw / sw.sum(), options, anchor, anchor_bias=prior is not None)
    weights = {
        name: tuple(round(float(v), options.digits) for v in w[i])
        for i, name in enumerate(vocab)
        if np.any(np.abs(w[i]) >= 10.0**-options.digits)
    }
    bias = tuple(round(float(v), options.digits) for v in w[-1])
    return LinearModel(weights, bias)


def _vocabulary(
    rows: Sequence[Mapping[str, float]],
    groups: Sequence[str],
    min_groups: int,
    prior: LinearModel | None,
) -> list[str]:
    seen: dict[str, set[str]] = {}
    for feats, group in zip(rows, groups, strict=True):
        for name in feats:
            seen.setdefault(name, set()).add(group)
    keep = {name for name, where in seen.items() if len(where) >= min_groups}
    if prior is not None:
        keep |= set(prior.weights)
    return sorted(keep)


def _anchor(vocab: list[str], prior: LinearModel | None) -> np.ndarray:
    anchor = np.zeros((len(vocab) + 1, len(TYPES)))
    if prior is not None:
        for i, name in enumerate(vocab):
            anchor[i] = prior.weights.get(name, (0.0,) * len(TYPES))
        anchor[-1] = prior.bias
    return anchor


@dataclass(frozen=True)
class _Sparse:
    """A feature matrix as (row, column, value) triples, the last column the bias."""

    rows: np.ndarray
    cols: np.ndarray
    vals: np.ndarray
    shape: tuple[int, int]

    @classmethod
    def build(cls, rows: Sequence[Mapping[str, float]], index: Mapping[str, int]) -> _Sparse:
        r_idx: list[int] = []
        c_idx: list[int] = []
        vals: list[float] = []
        for r, feats in enumerate(rows):
            for name, value in sorted(feats.items()):
                col = index.get(name)
                if col is not None:
                    r_idx.append(r)
                    c_idx.append(col)
                    vals.append(value)
            r_idx.append(r)
            c_idx.append(len(index))
            vals.append(1.0)
        shape = (len(rows), len(index) + 1)
        return cls(np.array(r_idx), np.array(c_idx), np.array(vals, dtype=float), shape)

    def dot(self, w: np.ndarray) -> np.ndarray:
        """X @ w."""
        parts = [
            np.bincount(self.rows, self.vals * w[self.cols, k], minlength=self.shape[0])
            for k in range(w.shape[1])
        ]
        return np.stack(parts, axis=1)

    def tdot(self, g: np.ndarray) -> np.ndarray:
        """X^T @ g."""
        parts = [
            np.bincount(self.cols, self.vals * g[self.rows, k], minlength=self.shape[1])
            for k in range(g.shape[1])
        ]
        return np.stack(parts, axis=1)

    def norm2(self, sw: np.ndarray, rounds: int = 50) -> float:
        """The largest eigenvalue of X^T diag(sw) X, by power iteration."""
        v = np.ones((self.shape[1], 1))
        value = 0.0
        for _ in range(rounds):
            u = self.tdot(self.dot(v) * sw[:, None])
            value = float(np.linalg.norm(u))
            if value == 0.0:
                return 0.0
            v = u / value
        return value


def _descend(
    x: _Sparse,
    y: np.ndarray,
    sw: np.ndarray,
    options: FitOptions,
    anchor: np.ndarray,
    *,
    anchor_bias: bool,
) -> np.ndarray:
    """Minimise weighted log-loss + l2/2 * |w - anchor|^2 by Nesterov-accelerated descent.

    The bias is free in a fit from scratch; a refit holds it to the prior's too, or a few
    labels of one type would move every task towards that type."""
    penalty = np.full((x.shape[1], 1), options.l2)
    if not anchor_bias:
        penalty[-1] = 0.0
    # step 1/L: the log-loss Hessian is bounded by 1/2 * X^T diag(sw) X
    step = 1.0 / (0.5 * x.norm2(sw) + options.l2)
    w = anchor.copy()
    velocity = w.copy()
    for k in range(options.steps):
        z = x.dot(velocity)
        z -= z.max(axis=1, keepdims=True)
        p = np.exp(z)
        p /= p.sum(axis=1, keepdims=True)
        grad = x.tdot((p - y) * sw[:, None]) + penalty * (velocity - anchor)
        nxt = velocity - step * grad
        velocity = nxt + (k / (k + 3)) * (nxt - w)
        w = nxt
    return w
