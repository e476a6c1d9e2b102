"""Fit a candidate scorer on recorded outcomes, in the shipped model family.

The candidate keeps the active bundle's text encoder (so the match index, built with that
encoder, needs no rebuild) and its feature standardisation, and learns a *correction* to
the active model's logit, in the active model's standardised units ``z``::

    logit(p) = a · (active_logit(x) + δ · z + c) + b

* ``δ`` (one weight per feature) and ``c`` maximise the weighted log-likelihood of the
  training rows minus ``λ/2 · ‖δ‖²``: with little data the candidate stays at the active
  model, a feature the outcomes say nothing about (constant in them) keeps its active
  weight, and a feature the outcomes contradict is corrected as far as they show.
  ``λ`` is chosen from a grid by cross-fitting: the training rows are split into
  ``folds`` groups *by seeker* (all of a person's rows in one group, so a person's own
  outcomes never judge a fit that saw them), each group is predicted by a fit on the
  others, and the ``λ`` with the lowest out-of-fold log-loss wins; ``δ, c`` are then fitted
  on every training row.
* ``a``, ``b`` — a sigmoid (Platt) calibration fitted on the out-of-fold logits of every
  training row at the chosen ``λ`` (honest predictions, and all the data rather than a
  slice of it: the calibration's error is what the service's probabilities carry).  The
  base rate of real outcomes is what the simulator could not know.  There a weaker row
  (a hire whose six-month outcome is not known yet) counts with its full weight, its soft
  label being its expected outcome: recent hires are the outcomes that arrive last, and
  leaving them out would pull the calibration down.

Everything folds into one ``StandardScaler`` + ``LogisticRegression`` (the shipped family:
affine in the features, so a score's explanation by factors stays exact), written as a
fitted scikit-learn pipeline with those parameters.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any, Final

import numpy as np
from scipy.optimize import minimize
from scipy.special import expit, log_expit
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from service.matching.offline.outcomes import Dataset
from service.matching.scorer import FORMAT, ScorerBundle

LAMBDAS: Final = (1.0, 3.0, 10.0, 30.0, 100.0, 300.0, 1000.0)


@dataclass(frozen=True)
class FitParams:
    lambdas: tuple[float, ...] = LAMBDAS
    calibrate: bool = True
    folds: int = 5


def seeker_folds(seeker: np.ndarray, folds: int) -> np.ndarray:
    """A fold number per row, the same for all of a seeker's rows (a stable hash of the id,
    so the split does not depend on row order)."""
    return np.array(
        [int(hashlib.sha256(str(s).encode()).hexdigest()[:8], 16) % folds for s in seeker.tolist()],
        dtype=np.int64,
    )


def _loss(logit: np.ndarray, y: np.ndarray, w: np.ndarray) -> float:
    """Weighted mean negative log-likelihood."""
    ll = y * log_expit(logit) + (1 - y) * log_expit(-logit)
    return float(-np.sum(w * ll) / max(np.sum(w), 1e-12))


def fit_offset(
    Z: np.ndarray, y: np.ndarray, w: np.ndarray, offset: np.ndarray, lam: float
) -> tuple[np.ndarray, float]:
    """``δ, c`` minimising ``Σ w·ℓ(y, offset + Z·δ + c) + λ/2 · ‖δ‖²`` (L-BFGS)."""
    d = Z.shape[1]

    def objective(theta: np.ndarray) -> tuple[float, np.ndarray]:
        delta, c = theta[:d], theta[d]
        logit = offset + Z @ delta + c
        ll = y * log_expit(logit) + (1 - y) * log_expit(-logit)
        residual = w * (expit(logit) - y)
        value = float(-np.sum(w * ll) + 0.5 * lam * delta @ delta)
        grad = np.concatenate([Z.T @ residual + lam * delta, [residual.sum()]])
        return value, grad

    found = minimize(
        objective, np.zeros(d + 1), jac=True, method="L-BFGS-B", options={"maxiter": 500}
    )
    return np.asarray(found.x[:d], dtype=np.float64), float(found.x[d])


def fit_platt(logit: np.ndarray, y: np.ndarray, w: np.ndarray) -> tuple[float, float]:
    """``a, b`` of ``p = σ(a·logit + b)`` (a tiny ridge keeps it finite on separable data)."""

    def objective(theta: np.ndarray) -> tuple[float, np.ndarray]:
        z = theta[0] * logit + theta[1]
        ll = y * log_expit(z) + (1 - y) * log_expit(-z)
        r = w * (expit(z) - y)
        reg = 1e-3 * ((theta[0] - 1.0) ** 2 + theta[1] ** 2)
        return (
            float(-np.sum(w * ll) + reg),
            np.array([r @ logit + 2e-3 * (theta[0] - 1.0), r.sum() + 2e-3 * theta[1]]),
        )

    found = minimize(objective, np.array([1.0, 0.0]), jac=True, method="L-BFGS-B")
    return float(found.x[0]), float(found.x[1])


def linear_pipeline(
    mean: np.ndarray, scale: np.ndarray, coef: np.ndarray, intercept: float, n_samples: int
) -> Pipeline:
    """A fitted ``StandardScaler`` + ``LogisticRegression`` with these parameters."""
    d = len(mean)
    scaler = StandardScaler()
    scaler.mean_, scaler.scale_, scaler.var_ = mean.copy(), scale.copy(), scale**2
    scaler.n_features_in_, scaler.n_samples_seen_ = d, np.int64(n_samples)
    logistic = LogisticRegression()
    logistic.coef_ = np.asarray(coef, dtype=np.float64).reshape(1, d)
    logistic.intercept_ = np.array([intercept], dtype=np.float64)
    logistic.classes_ = np.array([0, 1])
    logistic.n_features_in_, logistic.n_iter_ = d, np.array([0], dtype=np.int32)
    return Pipeline([("scale", scaler), ("logistic", logistic)])


@dataclass(frozen=True)
class Candidate:
    bundle: ScorerBundle
    info: dict[str, Any]


def fit_candidate(
    active: ScorerBundle, data: Dataset, params: FitParams | None = None, tag: str = "outcomes"
) -> Candidate:
    """The candidate bundle: the active encoder and standardisation, a corrected linear
    part, calibrated (see the module's docstring)."""
    params = params or FitParams()
    lin = active.linear
    base_coef = lin.a * lin.coef  # the active logit, in z units
    base_intercept = lin.a * lin.intercept + lin.b
    Z = (data.X - lin.mean) / lin.scale
    offset = Z @ base_coef + base_intercept
    rows = data.train
    Zt, yt, wt, wct, off = (
        Z[rows],
        data.y[rows],
        data.weight[rows],
        data.calibration_weight[rows],
        offset[rows],
    )
    fold = seeker_folds(data.seeker[rows], params.folds)
    scores: dict[str, float] = {}
    best: tuple[float, float, np.ndarray] | None = None
    for lam in params.lambdas:
        oof = np.empty(len(rows))
        for k in range(params.folds):
            inside = fold == k
            if not inside.any():
                continue
            if inside.all():  # one seeker only: nothing to fit on, predict the active model
                oof[inside] = off[inside]
                continue
            d, c = fit_offset(Zt[~inside], yt[~inside], wt[~inside], off[~inside], lam)
            oof[inside] = off[inside] + Zt[inside] @ d + c
        loss = _loss(oof, yt, wct)
        scores[f"{lam:g}"] = round(loss, 6)
        if best is None or loss < best[0] - 1e-9:
            best = (loss, lam, oof)
    assert best is not None
    _, lam, oof = best
    delta, c = fit_offset(Zt, yt, wt, off, lam)
    a, b = fit_platt(oof, yt, wct) if params.calibrate else (1.0, 0.0)
    coef = a * (base_coef + delta)
    intercept = a * (base_intercept + c) + b
    model = linear_pipeline(lin.mean, lin.scale, coef, intercept, len(rows))
    digest = hashlib.sha256(
        active.version.encode() + np.round(coef, 6).tobytes() + np.round([intercept], 6).tobytes()
    ).hexdigest()[:12]
    version = f"{FORMAT}.1+{tag}.{digest}"
    info = {
        "base_version": active.version,
        "lambda": lam,
        "lambda_loss": scores,
        "platt": {"a": round(a, 6), "b": round(b, 6)},
        "offset_intercept": round(c, 6),
        "correction": {
            f: round(float(v), 6) for f, v in zip(active.feature_names, delta, strict=True)
        },
        "fit_rows": len(rows),
        "folds": params.folds,
    }
    bundle = ScorerBundle(
        version=version,
        text_encoder=active.text_encoder,
        model=model,
        feature_names=active.feature_names,
        params={"source": "outcomes", **info},
    )
    bundle.check()
    return Candidate(bundle=bundle, info=info)
