"""``accessmatch train``: simulate, fit the scorer, evaluate it against two baselines.

1. ``simulate`` draws seekers, vacancies, their eligible pairs and outcomes (seeded).
2. Seekers (not pairs) are split three ways: training, calibration check, held-out test,
   so no held-out person's pairs are ever seen in fitting.
3. The text encoder is fitted on the simulated vacancy and seeker texts; the pair features
   are computed by ``pair_features`` — the very code the service ranks with.
4. ``StandardScaler`` + ``LogisticRegression`` is fitted on the training pairs; if its
   expected calibration error on the calibration seekers exceeds ``max_ece``, it is
   wrapped in a sigmoid calibration fitted on them (still affine in the logit).
5. On the held-out seekers: ROC AUC on the realised outcomes, and NDCG@10 per seeker over
   that seeker's candidate vacancies with the *true* success probability as the graded
   relevance, for the learned scorer, the skills-only TF-IDF similarity, a hand-weighted
   rule score and the oracle (the true probability itself).
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import asdict, dataclass
from typing import Any, Final

import numpy as np
from sklearn.calibration import CalibratedClassifierCV
from sklearn.frozen import FrozenEstimator
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import brier_score_loss, ndcg_score, roc_auc_score
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from service.matching.arrays import (
    SeekerArrays,
    VacancyArrays,
    build_seekers,
    build_vacancies,
    seeker_text,
    vacancy_text,
)
from service.matching.constraints import Day, seeker_groups
from service.matching.features import FEATURES, pair_features, rowwise_dot
from service.matching.scorer import FORMAT, ScorerBundle, make_text_encoder
from service.matching.simulator import DEFAULT_SEED, Simulation, day, simulate

COL: Final = {name: j for j, name in enumerate(FEATURES)}
# The hand-weighted rule score (what a careful counsellor's spreadsheet might do).
RULE_WEIGHTS: Final[dict[str, float]] = {
    "skill_cover": 0.4, "occupation_match": 0.2, "salary_ok": 0.2, "near": 0.2}
METHODS: Final = ("learned", "tfidf_skills", "rules", "oracle")


@dataclass(frozen=True)
class TrainParams:
    seed: int = DEFAULT_SEED
    n_seekers: int = 4000
    n_vacancies: int = 3000
    pairs_per_seeker: int = 40
    test_share: float = 0.2
    calibration_share: float = 0.15
    C: float = 1.0
    max_ece: float = 0.02
    ndcg_k: int = 10
    min_candidates: int = 10  # held-out seekers with fewer candidates are not ranked


def pair_matrix(s: SeekerArrays, v: VacancyArrays, si: np.ndarray, vi: np.ndarray,
                today: Day) -> np.ndarray:
    """Features of aligned pairs, computed exactly as the ranking does."""
    sp_, vp = s.take(si), v.take(vi)
    text = rowwise_dot(sp_.text, vp.text)
    overlap = rowwise_dot(sp_.skills, vp.skills)
    return pair_features(sp_, vp, text, overlap, seeker_groups(sp_, today))


def rule_score(X: np.ndarray, max_km: np.ndarray) -> np.ndarray:
    """0.4 · skill cover + 0.2 · occupation match + 0.2 · salary ok + 0.2 · nearness."""
    w = RULE_WEIGHTS
    km = X[:, COL["distance"]] * 10.0
    near = 1.0 - np.clip(km / np.maximum(max_km, 1.0), 0.0, 1.0)
    return (w["skill_cover"] * X[:, COL["skill_cover"]]
            + w["occupation_match"] * X[:, COL["occupation_match"]]
            + w["salary_ok"] * (X[:, COL["salary_short"]] == 0) + w["near"] * near)


def expected_calibration_error(p: np.ndarray, y: np.ndarray, bins: int = 10) -> float:
    """Σ_bins (n_b / n) · |mean(y) − mean(p)| over equal-width probability bins."""
    which = np.minimum((p * bins).astype(int), bins - 1)
    total = 0.0
    for b in range(bins):
        inside = which == b
        if inside.any():
            total += inside.mean() * abs(float(y[inside].mean() - p[inside].mean()))
    return total


def mean_ndcg(groups: list[np.ndarray], relevance: np.ndarray, score: np.ndarray,
              k: int) -> float:
    return float(np.mean([ndcg_score(relevance[g][None, :], score[g][None, :], k=k)
                          for g in groups]))


def _r(x: Any) -> float:
    return round(float(x), 6)


def _fit(X: np.ndarray, y: np.ndarray, C: float) -> Pipeline:
    model = Pipeline([("scale", StandardScaler()),
                      ("logistic", LogisticRegression(C=C, max_iter=2000))])
    return model.fit(X.astype(np.float64), y)


def _split(sim: Simulation, params: TrainParams) -> np.ndarray:
    """0 train, 1 calibration, 2 test — per seeker, drawn from the simulation's generator."""
    n = len(sim.seekers)
    order = sim.rng.permutation(n)
    part = np.zeros(n, dtype=np.int8)
    n_test, n_cal = round(n * params.test_share), round(n * params.calibration_share)
    part[order[:n_test]] = 2
    part[order[n_test:n_test + n_cal]] = 1
    return part


def train(params: TrainParams | None = None, **overrides: Any) -> ScorerBundle:
    """Simulate, fit and evaluate; the evaluation report travels with the bundle."""
    params = TrainParams(**{**asdict(params or TrainParams()), **overrides})
    clock = {"start": time.perf_counter()}
    sim = simulate(params.seed, params.n_seekers, params.n_vacancies, params.pairs_per_seeker)
    clock["simulated"] = time.perf_counter()
    encoder = make_text_encoder()
    encoder.fit([vacancy_text(r) for r in sim.vacancies] + [seeker_text(r) for r in sim.seekers])
    bundle0 = ScorerBundle(version="unfitted", text_encoder=encoder, model=None)
    s = build_seekers(sim.seekers, bundle0.encode_text)
    v = build_vacancies(sim.vacancies, bundle0.encode_text)
    X = pair_matrix(s, v, sim.seeker_idx, sim.vacancy_idx, day())
    part = _split(sim, params)[sim.seeker_idx]
    clock["features"] = time.perf_counter()
    train_rows, cal_rows, test_rows = (np.flatnonzero(part == i) for i in range(3))
    model: Any = _fit(X[train_rows], sim.y[train_rows], params.C)
    ece_before = expected_calibration_error(model.predict_proba(
        X[cal_rows].astype(np.float64))[:, 1], sim.y[cal_rows])
    calibrated = ece_before > params.max_ece
    if calibrated:
        model = CalibratedClassifierCV(FrozenEstimator(model), method="sigmoid").fit(
            X[cal_rows].astype(np.float64), sim.y[cal_rows])
    clock["fitted"] = time.perf_counter()
    fingerprint = hashlib.sha256(repr(sorted(asdict(params).items())).encode()
                                 + np.round(ScorerBundle("", encoder, model).linear.weights,
                                            6).tobytes()).hexdigest()[:12]
    version = f"{FORMAT}.0+sim{params.seed}.{fingerprint}"
    bundle = ScorerBundle(version=version, text_encoder=encoder, model=model,
                          params=asdict(params))
    report = evaluate(bundle, sim, X, test_rows, s.max_km[sim.seeker_idx], params)
    clock["evaluated"] = time.perf_counter()
    report["calibration"] = {"method": "sigmoid" if calibrated else "none",
                             "ece_calibration_split_before": _r(ece_before),
                             "brier_test": report["metrics"]["learned"]["brier"],
                             "ece_test": report["metrics"]["learned"]["ece_10_bins"]}
    report["sizes"].update({"seekers": len(sim.seekers), "vacancies": len(sim.vacancies),
                            "pairs": len(sim.p), "pairs_train": len(train_rows),
                            "pairs_calibration": len(cal_rows),
                            "success_rate": _r(sim.y.mean()), "mean_p": _r(sim.p.mean())})
    report["coefficients"] = {f: _r(w) for f, w in zip(FEATURES, bundle.linear.coef,
                                                        strict=True)}
    report["seed"], report["params"], report["version"] = params.seed, asdict(params), version
    report["timings_seconds"] = {
        step: round(clock[step] - clock[prev], 2) for prev, step in
        (("start", "simulated"), ("simulated", "features"), ("features", "fitted"),
         ("fitted", "evaluated"))} | {"total": round(clock["evaluated"] - clock["start"], 2)}
    return ScorerBundle(version=version, text_encoder=encoder, model=model,
                        params=asdict(params), report=report)


def evaluate(bundle: ScorerBundle, sim: Simulation, X: np.ndarray, rows: np.ndarray,
             max_km: np.ndarray, params: TrainParams) -> dict[str, Any]:
    """Held-out metrics of the learned scorer, both baselines and the oracle."""
    Xt, y, p = X[rows], sim.y[rows], sim.p[rows]
    scores = {"learned": bundle.predict(Xt), "tfidf_skills": Xt[:, COL["text_sim"]],
              "rules": rule_score(Xt, max_km[rows]), "oracle": p}
    owner = sim.seeker_idx[rows]
    order = np.argsort(owner, kind="stable")
    starts = np.flatnonzero(np.r_[True, owner[order][1:] != owner[order][:-1]])
    groups = [g for g in np.split(order, starts[1:]) if len(g) >= params.min_candidates]
    metrics: dict[str, dict[str, float | None]] = {}
    for name in METHODS:
        score = np.asarray(scores[name], dtype=np.float64)
        probability = name in ("learned", "oracle")
        metrics[name] = {
            "roc_auc": _r(roc_auc_score(y, score)),
            "ndcg_at_10": _r(mean_ndcg(groups, p, score, params.ndcg_k)),
            "brier": _r(brier_score_loss(y, score)) if probability else None,
            "ece_10_bins": _r(expected_calibration_error(score, y)) if probability else None,
        }
    noise_free = sim.p_without_noise[rows]
    learned = metrics["learned"]["ndcg_at_10"] or 0.0
    margins = {}
    for base in ("tfidf_skills", "rules"):
        other = metrics[base]["ndcg_at_10"] or 0.0
        margins[f"ndcg_at_10_over_{base}"] = {"absolute": _r(learned - other),
                                              "relative": _r((learned - other) / other)}
    return {
        "metrics": metrics, "margins": margins,
        "reference": {"ndcg_at_10_story_without_noise": _r(mean_ndcg(
            groups, p, noise_free, params.ndcg_k))},
        "sizes": {"test_seekers": len(np.unique(owner)), "pairs_test": len(rows),
                  "ranked_seekers": len(groups),
                  "mean_candidates": _r(np.mean([len(g) for g in groups]))},
        "rule_weights": RULE_WEIGHTS,
    }
