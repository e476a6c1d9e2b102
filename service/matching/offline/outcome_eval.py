"""Hold-out metrics of recorded outcomes, bootstrap intervals over seekers, the gate.

* NDCG@10 per seeker over that seeker's referred vacancies in the hold-out, the observed
  outcome (1 retained at six months, 0 not) as the relevance; only *informative* seekers
  count — two or more hold-out outcomes, not all equal (for the others every order scores
  the same).  The model's score orders the vacancies (ties averaged, as scikit-learn does).
* ROC AUC and expected calibration error (10 equal-width bins; probabilities only) over
  every hold-out row.
* Log-likelihood per outcome (probabilities only): the mean of ``y·log p + (1−y)·log(1−p)``
  over every hold-out row — a proper scoring rule, so it rewards a model for ranking
  *and* for stating the right probabilities (the service shows both), and every hold-out
  outcome counts, not only those of seekers with a success and a failure to rank.
* The bootstrap resamples the hold-out *seekers* with replacement (``resamples`` times,
  seeded): a seeker drawn twice counts twice in every metric.  Intervals are the 2.5 and
  97.5 percentiles (``level`` 0.95).  For each difference candidate − active
  (``log_likelihood``, ``ndcg_at_10``, ``roc_auc``) the same resamples are used for both
  models (paired).
* The gate (``gate``): the difference in ``metric`` (``log_likelihood`` by default) must
  have an interval whose lower bound exceeds ``threshold`` (0 by default: the interval
  excludes zero, on the right side), *and* on each of the ``guards`` (by default NDCG@10
  and ROC AUC; the gate metric itself is never its own guard) the candidate must not be
  measurably worse: the upper bound of that difference's interval is at least 0.  So a
  candidate is promoted only when it is measurably better on one proper measure and not
  measurably worse at ranking.  The model registry checks exactly this
  (``service.models.model_registry.Gate``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

import numpy as np
from sklearn.metrics import ndcg_score

NDCG_K: Final = 10


@dataclass(frozen=True)
class EvalParams:
    resamples: int = 1000
    seed: int = 0
    level: float = 0.95
    threshold: float = 0.0  # the lower bound of the difference must exceed it
    k: int = NDCG_K
    metric: str = "log_likelihood"  # the gate's measure: a key of evaluate's differences
    guards: tuple[str, ...] = ("ndcg_at_10", "roc_auc")  # not measurably worse on these


_EPS: Final = 1e-6


def _r(x: float | None) -> float | None:
    return None if x is None or not np.isfinite(x) else round(float(x), 6)


def seeker_groups(seeker: np.ndarray) -> list[np.ndarray]:
    """Row numbers of each seeker, in first-appearance order."""
    _, first, inverse = np.unique(seeker, return_index=True, return_inverse=True)
    order = np.argsort(first)
    rank = np.empty_like(order)
    rank[order] = np.arange(len(order))
    groups: list[list[int]] = [[] for _ in order]
    for i, g in enumerate(rank[inverse].tolist()):
        groups[g].append(i)
    return [np.array(g, dtype=np.int64) for g in groups]


def informative(groups: list[np.ndarray], y: np.ndarray) -> np.ndarray:
    return np.array([len(g) >= 2 and 0 < y[g].sum() < len(g) for g in groups], dtype=bool)


def per_seeker_ndcg(
    groups: list[np.ndarray], y: np.ndarray, score: np.ndarray, k: int = NDCG_K
) -> np.ndarray:
    """NDCG@k of each seeker (NaN for an uninformative one)."""
    keep = informative(groups, y)
    out = np.full(len(groups), np.nan)
    for j, g in enumerate(groups):
        if keep[j]:
            out[j] = ndcg_score(y[g][None, :], score[g][None, :], k=k)
    return out


class _Ranker:
    """Weighted ROC AUC with ties, fast over many weightings of the same scores."""

    def __init__(self, score: np.ndarray, y: np.ndarray) -> None:
        values, self.inverse = np.unique(score, return_inverse=True)
        self.n, self.y = len(values), y.astype(np.float64)

    def auc(self, weight: np.ndarray) -> float:
        pos = np.bincount(self.inverse, weights=weight * self.y, minlength=self.n)
        neg = np.bincount(self.inverse, weights=weight * (1 - self.y), minlength=self.n)
        below = np.cumsum(neg) - neg
        total = pos.sum() * neg.sum()
        return float(np.sum(pos * (below + 0.5 * neg)) / total) if total > 0 else float("nan")


def weighted_ece(
    p: np.ndarray, y: np.ndarray, weight: np.ndarray | None = None, bins: int = 10
) -> float:
    """Σ_bins (w_b / w) · |mean(y) − mean(p)| over equal-width bins (weighted means)."""
    weight = np.ones(len(p)) if weight is None else weight
    which = np.minimum((p * bins).astype(int), bins - 1)
    w = np.bincount(which, weights=weight, minlength=bins)
    wy = np.bincount(which, weights=weight * y, minlength=bins)
    wp = np.bincount(which, weights=weight * p, minlength=bins)
    inside = w > 0
    total = w.sum()
    return float(np.sum(np.abs(wy[inside] - wp[inside])) / total) if total > 0 else 0.0


def log_likelihood(p: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Each row's log-likelihood (probabilities clipped to [1e-6, 1 − 1e-6])."""
    q = np.clip(p, _EPS, 1 - _EPS)
    return np.asarray(y * np.log(q) + (1 - y) * np.log(1 - q), dtype=np.float64)


def _row_mean(values: np.ndarray, weight: np.ndarray) -> float:
    total = weight.sum()
    return float(np.sum(values * weight) / total) if total > 0 else np.nan


def _interval(values: np.ndarray, level: float) -> list[float | None]:
    values = values[np.isfinite(values)]
    if len(values) == 0:
        return [None, None]
    tail = 100 * (1 - level) / 2
    lo, hi = np.percentile(values, [tail, 100 - tail])
    return [_r(lo), _r(hi)]


def _nanmean(values: np.ndarray, weight: np.ndarray) -> float:
    ok = np.isfinite(values) & (weight > 0)
    return float(np.sum(values[ok] * weight[ok]) / weight[ok].sum()) if ok.any() else np.nan


def _difference(
    metric: str,
    point: float,
    boot: np.ndarray,
    level: float,
    *,
    first: float | None,
    second: float | None,
    n_seekers: int,
) -> dict[str, Any]:
    return {
        "metric": metric,
        "delta": _r(point),
        "interval": _interval(boot, level),
        "first": first,
        "second": second,
        "n_seekers": n_seekers,
    }


def evaluate(
    scores: Mapping[str, np.ndarray],
    probabilities: set[str],
    y: np.ndarray,
    seeker: np.ndarray,
    params: EvalParams | None = None,
    *,
    pair: tuple[str, str] = ("candidate", "active"),
) -> dict[str, Any]:
    """Per-model metrics with bootstrap intervals, and the paired differences of ``pair``
    (``differences``, by metric)."""
    params = params or EvalParams()
    groups = seeker_groups(seeker)
    owner = np.empty(len(y), dtype=np.int64)
    for j, g in enumerate(groups):
        owner[g] = j
    rng = np.random.default_rng(params.seed)
    draws = rng.integers(0, len(groups), size=(params.resamples, len(groups)))
    times = np.stack([np.bincount(d, minlength=len(groups)) for d in draws]).astype(float)
    ones = np.ones(len(groups))
    ndcg = {name: per_seeker_ndcg(groups, y, s, params.k) for name, s in scores.items()}
    lls = {name: log_likelihood(scores[name], y) for name in scores if name in probabilities}
    boots: dict[str, dict[str, np.ndarray]] = {}
    auc: dict[str, float] = {}
    out: dict[str, Any] = {}
    for name, score in scores.items():
        ranker = _Ranker(score, y)
        auc[name] = ranker.auc(np.ones(len(y)))
        boots[name] = {
            "ndcg_at_10": np.array([_nanmean(ndcg[name], t) for t in times]),
            "roc_auc": np.array([ranker.auc(t[owner]) for t in times]),
        }
        row: dict[str, Any] = {
            "ndcg_at_10": _r(_nanmean(ndcg[name], ones)),
            "ndcg_at_10_interval": _interval(boots[name]["ndcg_at_10"], params.level),
            "roc_auc": _r(auc[name]),
            "roc_auc_interval": _interval(boots[name]["roc_auc"], params.level),
        }
        if name in probabilities:
            boots[name]["log_likelihood"] = np.array(
                [_row_mean(lls[name], t[owner]) for t in times]
            )
            row["log_likelihood"] = _r(_row_mean(lls[name], np.ones(len(y))))
            row["log_likelihood_interval"] = _interval(boots[name]["log_likelihood"], params.level)
            row["ece"] = _r(weighted_ece(score, y))
            row["ece_interval"] = _interval(
                np.array([weighted_ece(score, y, t[owner]) for t in times]), params.level
            )
            row["mean_probability"] = _r(float(np.mean(score)))
        out[name] = row
    first, second = pair
    keep = informative(groups, y)
    diff = ndcg[first] - ndcg[second]
    differences = {
        "ndcg_at_10": _difference(
            "ndcg_at_10",
            _nanmean(diff, ones),
            np.array([_nanmean(diff, t) for t in times]),
            params.level,
            first=out[first]["ndcg_at_10"],
            second=out[second]["ndcg_at_10"],
            n_seekers=int(keep.sum()),
        ),
        "roc_auc": _difference(
            "roc_auc",
            auc[first] - auc[second],
            boots[first]["roc_auc"] - boots[second]["roc_auc"],
            params.level,
            first=out[first]["roc_auc"],
            second=out[second]["roc_auc"],
            n_seekers=len(groups),
        ),
    }
    if first in lls and second in lls:
        gain = lls[first] - lls[second]
        differences["log_likelihood"] = _difference(
            "log_likelihood",
            _row_mean(gain, np.ones(len(y))),
            np.array([_row_mean(gain, t[owner]) for t in times]),
            params.level,
            first=out[first]["log_likelihood"],
            second=out[second]["log_likelihood"],
            n_seekers=len(groups),
        )
    for d in differences.values():
        d.update(n_outcomes=len(y), n_holdout_seekers=len(groups))
    return {
        "models": out,
        "observed_rate": _r(float(np.mean(y))) if len(y) else None,
        "differences": differences,
    }


def _guard(difference: Mapping[str, Any]) -> dict[str, Any]:
    """Not measurably worse: the upper bound of the difference's interval is at least 0."""
    lo, hi = difference["interval"]
    return {
        "metric": difference["metric"],
        "margin": difference["delta"] or 0.0,
        "interval": [lo if lo is not None else 0.0, hi if hi is not None else 0.0],
        "holds": bool(hi is not None and hi >= 0),
    }


def gate(evaluation: Mapping[str, Any], against: str, params: EvalParams) -> dict[str, Any]:
    """Passed iff the interval's lower bound of candidate − active in ``params.metric``
    exceeds ``params.threshold`` and every guard holds (see the module's docstring).

    ``evaluation`` is what ``evaluate`` returned.  The keys are those the model registry
    reads (``service.models.model_registry.Gate``: its ``margin`` is the measured
    difference, ``guards`` the ranking checks) plus ``delta`` (the same difference),
    ``n_seekers`` (the seekers the gate metric counted) and ``n_outcomes`` (hold-out
    rows)."""
    if params.metric not in evaluation["differences"]:
        raise ValueError(
            f"gate metric {params.metric!r} was not measured (one of "
            f"{', '.join(evaluation['differences'])})"
        )
    difference = evaluation["differences"][params.metric]
    guards = [_guard(evaluation["differences"][g]) for g in params.guards if g != params.metric]
    lo, hi = difference["interval"]
    delta = difference["delta"]
    passed = bool(lo is not None and lo > params.threshold and all(g["holds"] for g in guards))
    return {
        "passed": passed,
        "metric": params.metric,
        "against": against,
        "candidate": difference["first"],
        "active": difference["second"],
        "margin": delta if delta is not None else 0.0,
        "delta": delta,
        "interval": [lo if lo is not None else 0.0, hi if hi is not None else 0.0],
        "threshold": params.threshold,
        "confidence": params.level,
        "resamples": params.resamples,
        "unit": "seeker",
        "guards": guards,
        "n_seekers": difference["n_seekers"],
        "n_outcomes": difference["n_outcomes"],
    }
