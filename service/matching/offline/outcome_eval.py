"""Hold-out metrics of recorded outcomes, bootstrap intervals over seekers, the gate.

* NDCG@10 per seeker over that seeker's referred vacancies in the hold-out, the observed
  outcome (1 retained at six months, 0 not) as the relevance; only *informative* seekers
  count — two or more hold-out outcomes, not all equal (for the others every order scores
  the same).  The model's score orders the vacancies (ties averaged, as scikit-learn does).
* ROC AUC and expected calibration error (10 equal-width bins; probabilities only) over
  every hold-out row.
* The bootstrap resamples the hold-out *seekers* with replacement (``resamples`` times,
  seeded): a seeker drawn twice counts twice in every metric.  Intervals are the 2.5 and
  97.5 percentiles (``level`` 0.95).  For the difference candidate − active the same
  resamples are used for both models (paired).
* The gate: passed iff the lower bound of the interval of the NDCG@10 difference exceeds
  ``threshold`` (0 by default: the interval must exclude zero, on the right side; the
  model registry accepts only 0, where ``passed`` means exactly ``interval[0] > 0``).
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


def per_seeker_ndcg(groups: list[np.ndarray], y: np.ndarray, score: np.ndarray,
                    k: int = NDCG_K) -> np.ndarray:
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


def weighted_ece(p: np.ndarray, y: np.ndarray, weight: np.ndarray | None = None,
                 bins: int = 10) -> float:
    """Σ_bins (w_b / w) · |mean(y) − mean(p)| over equal-width bins (weighted means)."""
    weight = np.ones(len(p)) if weight is None else weight
    which = np.minimum((p * bins).astype(int), bins - 1)
    w = np.bincount(which, weights=weight, minlength=bins)
    wy = np.bincount(which, weights=weight * y, minlength=bins)
    wp = np.bincount(which, weights=weight * p, minlength=bins)
    inside = w > 0
    total = w.sum()
    return float(np.sum(np.abs(wy[inside] - wp[inside])) / total) if total > 0 else 0.0


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


def evaluate(scores: Mapping[str, np.ndarray], probabilities: set[str], y: np.ndarray,
             seeker: np.ndarray, params: EvalParams | None = None, *,
             pair: tuple[str, str] = ("candidate", "active")) -> dict[str, Any]:
    """Per-model metrics with bootstrap intervals, and the paired NDCG difference."""
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
    out: dict[str, Any] = {}
    for name, score in scores.items():
        ranker = _Ranker(score, y)
        boot_ndcg = np.array([_nanmean(ndcg[name], t) for t in times])
        row: dict[str, Any] = {
            "ndcg_at_10": _r(_nanmean(ndcg[name], ones)),
            "ndcg_at_10_interval": _interval(boot_ndcg, params.level),
            "roc_auc": _r(ranker.auc(np.ones(len(y)))),
            "roc_auc_interval": _interval(np.array([ranker.auc(t[owner]) for t in times]),
                                          params.level)}
        if name in probabilities:
            row["ece"] = _r(weighted_ece(score, y))
            row["ece_interval"] = _interval(np.array([weighted_ece(score, y, t[owner])
                                                      for t in times]), params.level)
            row["mean_probability"] = _r(float(np.mean(score)))
        out[name] = row
    first, second = pair
    diff = ndcg[first] - ndcg[second]
    boot = np.array([_nanmean(diff, t) for t in times])
    keep = informative(groups, y)
    return {"models": out, "observed_rate": _r(float(np.mean(y))) if len(y) else None,
            "difference": {"metric": "ndcg_at_10", "delta": _r(_nanmean(diff, ones)),
                           "interval": _interval(boot, params.level),
                           "first": out[first]["ndcg_at_10"], "second": out[second]["ndcg_at_10"],
                           "n_seekers": int(keep.sum()), "n_outcomes": len(y),
                           "n_holdout_seekers": len(groups)}}


def gate(difference: Mapping[str, Any], against: str, params: EvalParams) -> dict[str, Any]:
    """Passed iff the interval's lower bound of candidate − active NDCG@10 exceeds
    ``params.threshold`` (0: the interval lies above zero).

    The keys are those the model registry reads (``service.models.model_registry.Gate``:
    its ``margin`` is the measured difference) plus ``delta`` (the same difference),
    ``threshold`` (the lower bound must exceed it), ``n_seekers`` (informative hold-out
    seekers) and ``n_outcomes`` (hold-out rows)."""
    lo, hi = difference["interval"]
    delta = difference["delta"]
    passed = bool(lo is not None and lo > params.threshold)
    return {"passed": passed, "metric": "ndcg_at_10", "against": against,
            "candidate": difference["first"], "active": difference["second"],
            "margin": delta, "delta": delta,
            "interval": [lo if lo is not None else 0.0, hi if hi is not None else 0.0],
            "threshold": params.threshold, "confidence": params.level,
            "resamples": params.resamples, "unit": "seeker",
            "n_seekers": difference["n_seekers"], "n_outcomes": difference["n_outcomes"]}
