"""``accessmatch train``: fit the cold-start scorer across a family of worlds, report it on
worlds held out from training.

1. Every world of ``worlds.WORLDS`` in the run is simulated from its own seed.  In each
   training world seekers (not pairs) are split three ways: fitting, calibration and
   test; a held-out world's seekers are all test.
2. The text encoder is fitted on the training worlds' vacancy and seeker texts; the pair
   features are computed by ``pair_features``, the very code the service ranks with.
3. ``robust``: sign-bounded logistic regression on the pooled fitting pairs of the
   training worlds (one intercept per world), features whose effect flips sign between
   training worlds get weight zero, the result is blended with the rule score with the
   weight λ that leave-one-world-out validation on the training worlds prefers (the
   left-out world's fitting seekers; its test seekers stay untouched), then Platt-scaled
   on the pooled calibration seekers.  The model stays affine in the features.
4. The report: per world, NDCG@10 per seeker over that seeker's candidates with the
   *true* success probability as graded relevance, for the learned scorer, skills-only
   TF-IDF, the hand rules and the oracle; ROC AUC and ECE on the recorded outcomes; the
   pooled test seekers of the training family; and whether the targets are met.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import asdict, dataclass
from typing import Any, Final

import numpy as np
from sklearn.metrics import brier_score_loss, ndcg_score, roc_auc_score

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
from service.matching.offline import robust
from service.matching.offline.simulator import DEFAULT_SEED, Simulation, day
from service.matching.offline.worlds import BY_NAME, HELD_OUT, TRAINING, WorldSpec
from service.matching.scorer import FORMAT, ScorerBundle, make_text_encoder

COL: Final = {name: j for j, name in enumerate(FEATURES)}
# The hand-weighted rule score (what a careful counsellor's spreadsheet might do).
RULE_WEIGHTS: Final[dict[str, float]] = {
    "skill_cover": 0.4,
    "occupation_match": 0.2,
    "salary_ok": 0.2,
    "near": 0.2,
}
METHODS: Final = ("learned", "tfidf_skills", "rules", "oracle")
TARGETS: Final = {
    "ndcg_vs_rules_every_held_out": 0.0,
    "ndcg_over_tfidf_mean": 0.10,
    "ece_pooled_training_hold_out": 0.03,
}
TRAIN, CALIBRATION, TEST = 0, 1, 2


@dataclass(frozen=True)
class TrainParams:
    seed: int = DEFAULT_SEED
    n_seekers: int = 1800  # per training world
    n_vacancies: int = 1400
    held_out_seekers: int = 1200  # per held-out world
    held_out_vacancies: int = 1000
    pairs_per_seeker: int = 40
    test_share: float = 0.2
    calibration_share: float = 0.15
    l2: float = 1e-4
    flip_threshold: float = 0.03
    blend_grid: tuple[float, ...] = (0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0)
    ndcg_k: int = 10
    min_candidates: int = 10  # seekers with fewer candidates are not ranked
    training_worlds: tuple[str, ...] = tuple(w.name for w in TRAINING)
    held_out_worlds: tuple[str, ...] = tuple(w.name for w in HELD_OUT)


@dataclass(frozen=True)
class World:
    spec: WorldSpec
    sim: Simulation
    X: np.ndarray  # pair features (float32)
    part: np.ndarray  # per pair: TRAIN, CALIBRATION or TEST
    rule: np.ndarray  # the hand-rule score per pair

    def rows(self, part: int) -> np.ndarray:
        return np.flatnonzero(self.part == part)


def pair_matrix(
    s: SeekerArrays, v: VacancyArrays, si: np.ndarray, vi: np.ndarray, today: Day
) -> np.ndarray:
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
    return np.asarray(
        w["skill_cover"] * X[:, COL["skill_cover"]]
        + w["occupation_match"] * X[:, COL["occupation_match"]]
        + w["salary_ok"] * (X[:, COL["salary_short"]] == 0)
        + w["near"] * near,
        dtype=np.float64,
    )


def expected_calibration_error(p: np.ndarray, y: np.ndarray, bins: int = 10) -> float:
    """Σ_bins (n_b / n) · |mean(y) − mean(p)| over equal-width probability bins."""
    which = np.minimum((p * bins).astype(int), bins - 1)
    total = 0.0
    for b in range(bins):
        inside = which == b
        if inside.any():
            total += inside.mean() * abs(float(y[inside].mean() - p[inside].mean()))
    return total


def seeker_groups_of(owner: np.ndarray, min_size: int) -> list[np.ndarray]:
    """Positions in ``owner`` grouped by seeker, groups smaller than ``min_size`` dropped."""
    order = np.argsort(owner, kind="stable")
    starts = np.flatnonzero(np.r_[True, owner[order][1:] != owner[order][:-1]])
    return [g for g in np.split(order, starts[1:]) if len(g) >= min_size]


def mean_ndcg(groups: list[np.ndarray], relevance: np.ndarray, score: np.ndarray, k: int) -> float:
    """Mean NDCG@k over groups (ties averaged, as ``ndcg_score``), in one padded call:
    padding ranks below every real candidate with zero gain, which changes nothing when
    each group has at least ``k`` candidates."""
    if not groups:
        return float("nan")
    if min(len(g) for g in groups) < k:
        return float(
            np.mean([ndcg_score(relevance[g][None, :], score[g][None, :], k=k) for g in groups])
        )
    width = max(len(g) for g in groups)
    index = np.full((len(groups), width), -1, dtype=np.int64)
    for i, g in enumerate(groups):
        index[i, : len(g)] = g
    pad = index < 0
    score = np.asarray(score, dtype=np.float64)
    rel = np.where(pad, 0.0, relevance[np.maximum(index, 0)])
    sc = np.where(pad, float(score.min()) - 1.0, score[np.maximum(index, 0)])
    return float(ndcg_score(rel, sc, k=k))


def _r(x: Any) -> float:
    return round(float(x), 6)


def _split(sim: Simulation, params: TrainParams) -> np.ndarray:
    """TRAIN, CALIBRATION or TEST per seeker, drawn from the simulation's generator."""
    n = len(sim.seekers)
    order = sim.rng.permutation(n)
    part = np.full(n, TRAIN, dtype=np.int8)
    n_test, n_cal = round(n * params.test_share), round(n * params.calibration_share)
    part[order[:n_test]] = TEST
    part[order[n_test : n_test + n_cal]] = CALIBRATION
    return part


def _world(spec: WorldSpec, sim: Simulation, bundle0: ScorerBundle, params: TrainParams) -> World:
    s = build_seekers(sim.seekers, bundle0.encode_text)
    v = build_vacancies(sim.vacancies, bundle0.encode_text)
    X = pair_matrix(s, v, sim.seeker_idx, sim.vacancy_idx, day())
    part = (
        _split(sim, params)[sim.seeker_idx]
        if spec.role == "training"
        else np.full(len(sim.p), TEST, dtype=np.int8)
    )
    return World(spec, sim, X, part, rule_score(X, s.max_km[sim.seeker_idx]))


def simulate_worlds(params: TrainParams) -> tuple[list[Simulation], list[Simulation]]:
    def run(names: tuple[str, ...], n_s: int, n_v: int) -> list[Simulation]:
        return [
            BY_NAME[name].simulate(params.seed, n_s, n_v, params.pairs_per_seeker) for name in names
        ]

    return (
        run(params.training_worlds, params.n_seekers, params.n_vacancies),
        run(params.held_out_worlds, params.held_out_seekers, params.held_out_vacancies),
    )


def train(params: TrainParams | None = None, **overrides: Any) -> ScorerBundle:
    """Simulate the worlds, fit robustly, evaluate; the report travels with the bundle."""
    params = TrainParams(**{**asdict(params or TrainParams()), **overrides})
    for name in params.training_worlds:
        if BY_NAME[name].role != "training":
            raise ValueError(f"world {name!r} is held out: it cannot be trained on")
    for name in params.held_out_worlds:
        if BY_NAME[name].role != "held_out" or name in params.training_worlds:
            raise ValueError(f"world {name!r} is not a held-out world")
    if len(params.training_worlds) < 2:
        raise ValueError("robust training needs at least two training worlds")
    clock = {"start": time.perf_counter()}
    sims, held_sims = simulate_worlds(params)
    clock["simulated"] = time.perf_counter()
    encoder = make_text_encoder()
    encoder.fit(
        [vacancy_text(r) for sim in sims for r in sim.vacancies]
        + [seeker_text(r) for sim in sims for r in sim.seekers]
    )
    bundle0 = ScorerBundle(version="unfitted", text_encoder=encoder, model=None)
    worlds = [
        _world(BY_NAME[n], sim, bundle0, params)
        for n, sim in zip(params.training_worlds, sims, strict=True)
    ]
    held = [
        _world(BY_NAME[n], sim, bundle0, params)
        for n, sim in zip(params.held_out_worlds, held_sims, strict=True)
    ]
    clock["features"] = time.perf_counter()
    model, method = fit_robust(worlds, params)
    clock["fitted"] = time.perf_counter()
    fingerprint = hashlib.sha256(
        repr(sorted(asdict(params).items())).encode()
        + np.round(ScorerBundle("", encoder, model).linear.weights, 6).tobytes()
    ).hexdigest()[:12]
    version = f"{FORMAT}.1+worlds{params.seed}.{fingerprint}"
    bundle = ScorerBundle(version=version, text_encoder=encoder, model=model, params=asdict(params))
    report = evaluate(bundle, worlds, held, params)
    clock["evaluated"] = time.perf_counter()
    report["method"] = method
    report["coefficients"] = {f: _r(w) for f, w in zip(FEATURES, bundle.linear.coef, strict=True)}
    report["seed"], report["params"], report["version"] = params.seed, asdict(params), version
    report["timings_seconds"] = {
        step: round(clock[step] - clock[prev], 2)
        for prev, step in (
            ("start", "simulated"),
            ("simulated", "features"),
            ("features", "fitted"),
            ("fitted", "evaluated"),
        )
    } | {"total": round(clock["evaluated"] - clock["start"], 2)}
    return ScorerBundle(
        version=version, text_encoder=encoder, model=model, params=asdict(params), report=report
    )


def fit_robust(worlds: list[World], params: TrainParams) -> tuple[Any, dict[str, Any]]:
    """The sign-bounded, flip-pruned, rule-blended, calibrated affine model (``robust``)."""
    fit_rows = [w.rows(TRAIN) for w in worlds]
    X_fit = np.concatenate([w.X[r] for w, r in zip(worlds, fit_rows, strict=True)])
    owner = np.concatenate([np.full(len(r), i) for i, r in enumerate(fit_rows)])
    y_fit = np.concatenate([w.sim.y[r] for w, r in zip(worlds, fit_rows, strict=True)])
    scaling = robust.Scaling.of(X_fit)
    Z = scaling(X_fit)
    del X_fit
    per_world = np.array(
        [
            robust.fit_logistic(
                Z[owner == i], y_fit[owner == i], robust.bounds_for(), l2=params.l2
            ).coef
            for i in range(len(worlds))
        ]
    )
    rule_fit = np.concatenate([w.rule[r] for w, r in zip(worlds, fit_rows, strict=True)])
    rule_dir, rule_r2 = robust.rule_direction(Z, rule_fit)
    dropped = robust.sign_flips(per_world, params.flip_threshold)
    final = robust.fit_logistic(Z, y_fit, robust.bounds_for(dropped), owner, params.l2)
    lowo = [
        _left_out(k, worlds, fit_rows, Z, y_fit, owner, per_world, rule_dir, scaling, final, params)
        for k in range(len(worlds))
    ]
    margins = np.array([[b - fold["rules"] for b in fold["blend"]] for fold in lowo])
    # The weight that does best in the worst left-out world (against the rules), then on
    # average: robustness first, as the target asks.
    choice = max(
        range(len(params.blend_grid)),
        key=lambda j: (round(float(margins[:, j].min()), 4), float(margins[:, j].mean())),
    )
    lam = float(params.blend_grid[choice])
    direction = (1 - lam) * robust.unit(final.coef, Z) + lam * robust.unit(rule_dir, Z)
    cal_rows = [w.rows(CALIBRATION) for w in worlds]
    Z_cal = scaling(np.concatenate([w.X[r] for w, r in zip(worlds, cal_rows, strict=True)]))
    y_cal = np.concatenate([w.sim.y[r] for w, r in zip(worlds, cal_rows, strict=True)])
    a, b = robust.platt(Z_cal @ direction, y_cal)
    model = robust.to_pipeline(scaling, a * direction, b, len(Z))
    method = {
        "signs": dict(robust.SIGNS),
        "dropped": sorted(dropped),
        "flip_threshold": params.flip_threshold,
        "converged": final.converged,
        "per_world_coefficients": {
            w.spec.name: {f: _r(c) for f, c in zip(FEATURES, per_world[i], strict=True)}
            for i, w in enumerate(worlds)
        },
        "fitted_coefficients": {f: _r(c) for f, c in zip(FEATURES, final.coef, strict=True)},
        "rule_direction_r2": _r(rule_r2),
        "blend_grid": list(params.blend_grid),
        "blend_lambda": lam,
        "lowo": lowo,
        "platt": {"a": _r(a), "b": _r(b)},
        "pairs_fit": len(Z),
        "pairs_calibration": len(Z_cal),
    }
    return model, method


def _left_out(
    k: int,
    worlds: list[World],
    fit_rows: list[np.ndarray],
    Z: np.ndarray,
    y_fit: np.ndarray,
    owner: np.ndarray,
    per_world: np.ndarray,
    rule_dir: np.ndarray,
    scaling: robust.Scaling,
    final: robust.Fit,
    params: TrainParams,
) -> dict[str, Any]:
    """Fit without world ``k`` (flips judged without it too); NDCG@10 of every blend on
    its fitting seekers, which that fold never saw, and of the rules."""
    others = owner != k
    dropped = robust.sign_flips(np.delete(per_world, k, axis=0), params.flip_threshold)
    fold = robust.fit_logistic(
        Z[others],
        y_fit[others],
        robust.bounds_for(dropped),
        owner[others] - (owner[others] > k),
        params.l2,
        start=final,
    )
    learned, rule = robust.unit(fold.coef, Z[others]), robust.unit(rule_dir, Z[others])
    world, rows = worlds[k], fit_rows[k]
    Zk = scaling(world.X[rows])
    groups = seeker_groups_of(world.sim.seeker_idx[rows], params.min_candidates)
    p = world.sim.p[rows]
    return {
        "world": world.spec.name,
        "dropped": sorted(dropped),
        "rules": _r(mean_ndcg(groups, p, world.rule[rows], params.ndcg_k)),
        "blend": [
            _r(mean_ndcg(groups, p, Zk @ ((1 - lam) * learned + lam * rule), params.ndcg_k))
            for lam in params.blend_grid
        ],
    }


def _metrics(
    bundle: ScorerBundle, world: World, rows: np.ndarray, params: TrainParams
) -> dict[str, Any]:
    X, y, p = world.X[rows], world.sim.y[rows], world.sim.p[rows]
    scores = {
        "learned": bundle.predict(X),
        "tfidf_skills": X[:, COL["text_sim"]],
        "rules": world.rule[rows],
        "oracle": p,
    }
    groups = seeker_groups_of(world.sim.seeker_idx[rows], params.min_candidates)
    out: dict[str, Any] = {}
    for name in METHODS:
        score = np.asarray(scores[name], dtype=np.float64)
        probability = name in ("learned", "oracle")
        out[name] = {
            "roc_auc": _r(roc_auc_score(y, score)),
            "ndcg_at_10": _r(mean_ndcg(groups, p, score, params.ndcg_k)),
            "brier": _r(brier_score_loss(y, score)) if probability else None,
            "ece_10_bins": _r(expected_calibration_error(score, y)) if probability else None,
        }
    out["sizes"] = {
        "seekers": len(np.unique(world.sim.seeker_idx[rows])),
        "pairs": len(rows),
        "ranked_seekers": len(groups),
        "success_rate": _r(y.mean()),
        "mean_p": _r(p.mean()),
    }
    return out


def evaluate(
    bundle: ScorerBundle, worlds: list[World], held: list[World], params: TrainParams
) -> dict[str, Any]:
    """Per-world metrics, the pooled test seekers of the training family, the targets."""
    training = {w.spec.name: _metrics(bundle, w, w.rows(TEST), params) for w in worlds}
    held_out = {w.spec.name: _metrics(bundle, w, w.rows(TEST), params) for w in held}
    test = [w.rows(TEST) for w in worlds]
    p_hat = np.concatenate([bundle.predict(w.X[r]) for w, r in zip(worlds, test, strict=True)])
    y = np.concatenate([w.sim.y[r] for w, r in zip(worlds, test, strict=True)])
    pooled = {
        "ece_10_bins": _r(expected_calibration_error(p_hat, y)),
        "brier": _r(brier_score_loss(y, p_hat)),
        "roc_auc": _r(roc_auc_score(y, p_hat)),
        "success_rate": _r(y.mean()),
        "mean_predicted": _r(p_hat.mean()),
        "pairs": len(y),
    }

    def mean_of(table: dict[str, Any], method: str) -> float:
        return float(np.mean([m[method]["ndcg_at_10"] for m in table.values()]))

    metrics = {
        name: {
            key: _r(np.mean([m[name][key] for m in training.values()]))
            if training and training[next(iter(training))][name][key] is not None
            else None
            for key in ("roc_auc", "ndcg_at_10", "brier", "ece_10_bins")
        }
        for name in METHODS
    }
    metrics["learned"]["ece_10_bins"] = pooled["ece_10_bins"]
    metrics["learned"]["brier"] = pooled["brier"]
    worst = (
        min(
            (m["learned"]["ndcg_at_10"] - m["rules"]["ndcg_at_10"], name)
            for name, m in held_out.items()
        )
        if held_out
        else (0.0, "")
    )
    over_tfidf = [
        m["learned"]["ndcg_at_10"] / m["tfidf_skills"]["ndcg_at_10"] - 1 for m in held_out.values()
    ]
    targets = {
        "worst_held_out_margin_over_rules": {
            "value": _r(worst[0]),
            "world": worst[1],
            "met": bool(worst[0] >= 0),
        },
        "mean_held_out_gain_over_tfidf": {
            "value": _r(np.mean(over_tfidf)) if over_tfidf else None,
            "of_means": _r(mean_of(held_out, "learned") / mean_of(held_out, "tfidf_skills") - 1)
            if held_out
            else None,
            "met": bool(over_tfidf and np.mean(over_tfidf) >= TARGETS["ndcg_over_tfidf_mean"]),
        },
        "pooled_training_hold_out_ece": {
            "value": pooled["ece_10_bins"],
            "met": bool(pooled["ece_10_bins"] <= TARGETS["ece_pooled_training_hold_out"]),
        },
    }
    learned = metrics["learned"]["ndcg_at_10"] or 0.0
    margins = {
        f"ndcg_at_10_over_{base}": {
            "absolute": _r(learned - (metrics[base]["ndcg_at_10"] or 0.0)),
            "relative": _r(learned / (metrics[base]["ndcg_at_10"] or 1.0) - 1),
        }
        for base in ("tfidf_skills", "rules")
    }
    return {
        "metrics": metrics,
        "margins": margins,
        "training": training,
        "held_out": held_out,
        "pooled_training_hold_out": pooled,
        "targets": targets,
        "target_levels": TARGETS,
        "calibration": {
            "method": "platt on the pooled calibration seekers",
            "ece_test": pooled["ece_10_bins"],
            "brier_test": pooled["brier"],
        },
        "worlds": [
            {
                "name": w.spec.name,
                "role": w.spec.role,
                "assumes": w.spec.assumes,
                "seed": w.sim.seed,
                "seekers": len(w.sim.seekers),
                "vacancies": len(w.sim.vacancies),
                "pairs": len(w.sim.p),
            }
            for w in [*worlds, *held]
        ],
        "rule_weights": RULE_WEIGHTS,
    }
