"""Robust fitting across worlds: sign knowledge, no weight for unestablished effects, a
blend with the rule score, and a calibration — all of it affine in the features.

* ``SIGNS``: the features whose direction is known before any data (more of a skill the
  posting asks for, a deeper occupation match, more spare capacity, pay above the
  minimum can only help; relying on an accommodation, a pay shortfall, distance, being
  under- or over-qualified can only hurt).  Their weights are bounded to that sign.
* The other features' effects are fitted world by world; one whose effect takes both
  signs across the training worlds (beyond ``threshold`` logit per standard deviation,
  about three standard errors at the default sizes) is one the data cannot establish,
  and gets weight zero; a one-hot block (the employer-kind indicators) goes as a whole.
* ``fit_logistic``: logistic regression on standardized features with box bounds
  (``scipy.optimize.minimize``, L-BFGS-B), one intercept per world so base rates do not
  leak into the weights, a small L2 penalty.
* ``rule_direction``: the hand-rule score projected (least squares) onto the features it
  reads, so it is a linear score in the features like the learned one; the final score is
  ``(1 − λ) · learned + λ · rule``, both scaled to unit standard deviation, with λ chosen
  by leave-one-world-out validation (``training``), then ``platt``-calibrated.
* ``to_pipeline``: the result as ``StandardScaler`` + ``LogisticRegression``, the model
  ``ScorerBundle`` loads, folds and explains (contributions stay exact).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import numpy as np
from scipy.optimize import minimize
from scipy.special import expit
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from service.matching.features import FEATURES

SIGNS: Final[dict[str, int]] = {
    "text_sim": 1,
    "skill_cover": 1,
    "occupation_match": 1,
    "ability_margin": 1,
    "ability_margin_min": 1,
    "job_coach_support": 1,
    "salary_fit": 1,
    "part_time_for_low_endurance": 1,
    "targeted": 1,
    "welfare_for_hard_to_employ": 1,
    "experience": 1,
    "accommodations_relied": -1,
    "under_educated": -1,
    "over_educated": -1,
    "salary_short": -1,
    "distance": -1,
    "distance_far": -1,
}
# The columns the hand-rule score reads (training.rule_score).
RULE_FEATURES: Final = (
    "skill_cover",
    "occupation_match",
    "salary_fit",
    "salary_short",
    "distance",
    "distance_far",
    "remote",
)
# One-hot blocks: one categorical effect each.
BLOCKS: Final[dict[str, tuple[str, ...]]] = {
    "employer_kind": tuple(f for f in FEATURES if f.startswith("kind_"))
}
assert set(SIGNS) <= set(FEATURES) and set(RULE_FEATURES) <= set(FEATURES)


@dataclass(frozen=True)
class Scaling:
    mean: np.ndarray
    scale: np.ndarray

    @classmethod
    def of(cls, X: np.ndarray) -> Scaling:
        X = np.asarray(X, dtype=np.float64)
        scale = X.std(axis=0)
        return cls(X.mean(axis=0), np.where(scale > 1e-12, scale, 1.0))

    def __call__(self, X: np.ndarray) -> np.ndarray:
        return (np.asarray(X, dtype=np.float64) - self.mean) / self.scale


def bounds_for(
    dropped: frozenset[str] = frozenset(), names: tuple[str, ...] = FEATURES
) -> list[tuple[float | None, float | None]]:
    """L-BFGS-B bounds per feature: 0 for dropped ones, the known sign, or free."""
    out: list[tuple[float | None, float | None]] = []
    for name in names:
        sign = SIGNS.get(name, 0)
        out.append(
            (0.0, 0.0)
            if name in dropped
            else (0.0, None)
            if sign > 0
            else (None, 0.0)
            if sign < 0
            else (None, None)
        )
    return out


@dataclass(frozen=True)
class Fit:
    coef: np.ndarray  # per standardized feature
    intercepts: np.ndarray  # one per group (world)
    converged: bool


def fit_logistic(
    Z: np.ndarray,
    y: np.ndarray,
    bounds: list[tuple[float | None, float | None]],
    group: np.ndarray | None = None,
    l2: float = 1e-4,
    start: Fit | None = None,
) -> Fit:
    """Minimise mean log-loss + l2/2 · |coef|² with per-group intercepts, under ``bounds``
    (``start``: a nearby solution to begin from, e.g. the fit on all worlds)."""
    n, d = Z.shape
    g = np.zeros(n, dtype=np.int64) if group is None else np.asarray(group, dtype=np.int64)
    n_groups = int(g.max()) + 1 if n else 1
    yf = np.asarray(y, dtype=np.float64)

    def loss(theta: np.ndarray) -> tuple[float, np.ndarray]:
        beta, alpha = theta[:d], theta[d:]
        eta = Z @ beta + alpha[g]
        value = float(np.mean(np.logaddexp(0.0, eta) - yf * eta) + 0.5 * l2 * beta @ beta)
        residual = (expit(eta) - yf) / n
        grad = np.concatenate(
            [Z.T @ residual + l2 * beta, np.bincount(g, residual, minlength=n_groups)]
        )
        return value, grad

    rates = np.clip(
        np.bincount(g, yf, minlength=n_groups) / np.maximum(np.bincount(g, minlength=n_groups), 1),
        1e-3,
        1 - 1e-3,
    )
    first = np.concatenate(
        [
            np.zeros(d)
            if start is None
            else np.clip(
                start.coef,
                [-np.inf if lo is None else lo for lo, _ in bounds],
                [np.inf if hi is None else hi for _, hi in bounds],
            ),
            np.log(rates / (1 - rates)),
        ]
    )
    result = minimize(
        loss,
        first,
        jac=True,
        method="L-BFGS-B",
        bounds=[*bounds, *[(None, None)] * n_groups],
        options={"maxiter": 2000, "gtol": 1e-7, "ftol": 1e-11},
    )
    theta = np.asarray(result.x, dtype=np.float64)
    coef = theta[:d]
    for j, (lo, hi) in enumerate(bounds):  # exact zeros and signs, not 1e-17
        if lo == 0.0 and hi == 0.0:
            coef[j] = 0.0
    return Fit(coef=coef, intercepts=theta[d:], converged=bool(result.success))


def sign_flips(
    coefs: np.ndarray, threshold: float, names: tuple[str, ...] = FEATURES
) -> frozenset[str]:
    """Features without a known sign whose fitted effect is > threshold in one world and
    < −threshold in another (``coefs``: worlds × features).  A one-hot block (``BLOCKS``)
    is one effect: its members are identified only relative to each other, so when one
    member flips, the whole block goes."""
    flips = {
        name
        for j, name in enumerate(names)
        if name not in SIGNS and coefs[:, j].max() > threshold and coefs[:, j].min() < -threshold
    }
    for members in BLOCKS.values():
        if flips & set(members):
            flips |= set(members) & set(names)
    return frozenset(flips)


def rule_direction(
    Z: np.ndarray, rule: np.ndarray, names: tuple[str, ...] = FEATURES
) -> tuple[np.ndarray, float]:
    """Least-squares weights (per standardized feature) of the rule score on the columns it
    reads, and the R² of that linear stand-in."""
    cols = [names.index(f) for f in RULE_FEATURES]
    A = np.column_stack([Z[:, cols], np.ones(len(Z))])
    solution, *_ = np.linalg.lstsq(A, rule, rcond=None)
    direction = np.zeros(len(names))
    direction[cols] = solution[:-1]
    fitted = A @ solution
    r2 = 1.0 - float(np.sum((rule - fitted) ** 2) / np.sum((rule - rule.mean()) ** 2))
    return direction, r2


def unit(direction: np.ndarray, Z: np.ndarray) -> np.ndarray:
    """``direction`` scaled so its score has unit standard deviation over ``Z``."""
    sd = float(np.std(Z @ direction))
    return direction / sd if sd > 0 else direction


def platt(score: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """``p = expit(a · score + b)`` fitted by maximum likelihood."""
    fit = fit_logistic(np.asarray(score, dtype=np.float64)[:, None], y, [(None, None)], l2=0.0)
    return float(fit.coef[0]), float(fit.intercepts[0])


def to_pipeline(scaling: Scaling, coef: np.ndarray, intercept: float, n_samples: int) -> Pipeline:
    """The fitted affine model as the scikit-learn objects ``ScorerBundle`` expects."""
    d = len(coef)
    scaler = StandardScaler()
    scaler.mean_ = np.asarray(scaling.mean, dtype=np.float64)
    scaler.scale_ = np.asarray(scaling.scale, dtype=np.float64)
    scaler.var_ = scaler.scale_**2
    scaler.n_features_in_ = d
    scaler.n_samples_seen_ = int(n_samples)
    logistic = LogisticRegression()
    logistic.coef_ = np.asarray(coef, dtype=np.float64).reshape(1, d)
    logistic.intercept_ = np.array([float(intercept)])
    logistic.classes_ = np.array([0, 1])
    logistic.n_features_in_ = d
    logistic.n_iter_ = np.array([0], dtype=np.int32)
    return Pipeline([("scale", scaler), ("logistic", logistic)])
