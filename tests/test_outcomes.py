"""Learning from recorded outcomes: labels and weights, the time-ordered split, the
bootstrap, the gate, too few outcomes, and the whole loop through the API on both
databases (``accessmatch train --from-outcomes``'s function)."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from service.matching.arrays import build_seekers, build_vacancies
from service.matching.offline import outcomes as oc
from service.matching.offline.learning import (
    InsufficientOutcomes,
    LearnParams,
    Thresholds,
    check_counts,
    learn,
)
from service.matching.offline.outcome_eval import EvalParams, evaluate, gate
from service.matching.offline.simulator import day, simulate
from service.matching.offline.training import pair_matrix
from service.matching.scorer import ScorerBundle, load_bundle
from service.models.model_registry import Gate

T0 = dt.datetime(2026, 1, 5, 9, 0, tzinfo=dt.UTC)


def row(
    i: int,
    *,
    status: str = "hired",
    reason: str | None = None,
    hired: bool = True,
    retained: bool | None = True,
    rank: int | None = 1,
    seeker: str = "S1",
    vacancy: str = "V1",
    minutes: int | None = None,
    interviewed: bool = False,
) -> oc.OutcomeRow:
    return oc.OutcomeRow(
        referral_id=f"ref{i:05d}",
        seeker_id=seeker,
        vacancy_id=vacancy,
        created_at=T0 + dt.timedelta(minutes=i if minutes is None else minutes),
        model_version="m",
        score=None,
        probability=None,
        rank=rank,
        shown=20,
        source="match",
        status=status,
        reason_code=reason,
        interviewed=interviewed or hired,
        hired=hired,
        retained_6_months=retained if hired else None,
    )


# -- labels, weights, propensities --------------------------------------------------------


def test_each_referral_is_known_weaker_or_censored() -> None:
    cases = [
        (row(0, retained=True), "known", 1),
        (row(1, retained=False), "known", 0),
        (row(2, retained=None), "hired", 0),
        (row(3, status="rejected_by_employer", reason="skills_mismatch", hired=False), "known", 0),
        (row(4, status="declined_by_seeker", reason="commute_too_long", hired=False), "known", 0),
        (
            row(5, status="rejected_by_employer", reason="position_filled", hired=False),
            "censored",
            0,
        ),
        (row(6, status="declined_by_seeker", reason="found_other_job", hired=False), "censored", 0),
        (row(7, status="withdrawn", reason="vacancy_closed", hired=False), "censored", 0),
        (row(8, status="offered", hired=False), "interviewed", 0),
        (row(9, status="interviewed", hired=False), "interviewed", 0),
        (row(10, status="referred", hired=False), "censored", 0),
        (row(11, status="interview_scheduled", hired=False), "censored", 0),
    ]
    for r, kind, label in cases:
        assert (oc.kind_of(r), oc.hard_label(r)) == (kind, label), r


def test_propensity_is_a_clipped_power_of_the_rank() -> None:
    ranks = np.array([0, 1, 2, 4, 10, 50])
    p = oc.propensity(ranks, eta=1.0, max_weight=10.0)
    assert p.tolist() == pytest.approx([1.0, 1.0, 0.5, 0.25, 0.1, 0.1])
    assert (1 / oc.propensity(ranks, eta=2.0, max_weight=10.0)).max() == pytest.approx(10.0)
    assert oc.propensity(ranks, eta=0.0, max_weight=10.0).tolist() == [1.0] * 6


def test_eta_is_estimated_from_the_rank_histogram() -> None:
    rng = np.random.default_rng(3)
    r = np.arange(1, 21)
    ranks = rng.choice(r, size=20000, p=r**-1.5 / np.sum(r**-1.5))
    assert oc.estimate_eta(ranks, np.full(len(ranks), 20)) == pytest.approx(1.5, abs=0.1)
    assert oc.estimate_eta(np.ones(50, dtype=int), np.full(50, 20)) == 1.0  # one rank: default


def test_the_split_keeps_every_hold_out_row_newer_than_every_training_row() -> None:
    rng = np.random.default_rng(0)
    minutes = rng.permutation(200).tolist()
    rows = [
        row(i, minutes=m, retained=None if i % 5 == 0 else bool(i % 2))
        for i, m in enumerate(minutes)
    ]
    kinds = [oc.kind_of(r) for r in rows]
    split = oc.time_split([r.created_at for r in rows], kinds, [r.referral_id for r in rows], 0.25)
    train_times = [rows[i].created_at for i in split.train]
    hold_times = [rows[i].created_at for i in split.holdout]
    assert max(train_times) < min(hold_times) == split.cutoff
    assert all(kinds[i] == "known" for i in split.holdout)
    assert len(split.holdout) == round(0.25 * kinds.count("known"))
    assert split.dropped == sum(
        1 for r, k in zip(rows, kinds, strict=True) if k == "hired" and r.created_at >= split.cutoff
    )


@pytest.fixture(scope="module")
def world() -> dict[str, Any]:
    """A small simulated population, encoded with the shipped text encoder."""
    active = load_bundle()
    sim = simulate(11, 240, 160, 6)
    s = build_seekers(sim.seekers, active.encode_text)
    v = build_vacancies(sim.vacancies, active.encode_text)
    X = pair_matrix(s, v, sim.seeker_idx, sim.vacancy_idx, day()).astype(np.float64)
    return {"active": active, "sim": sim, "s": s, "v": v, "X": X}


def outcome_rows(
    world: dict[str, Any], y: np.ndarray, *, hired_unknown: float = 0.0, seed: int = 0
) -> list[oc.OutcomeRow]:
    sim, rng = world["sim"], np.random.default_rng(seed)
    out = []
    for k, (a, b) in enumerate(zip(sim.seeker_idx.tolist(), sim.vacancy_idx.tolist(), strict=True)):
        known = rng.random() >= hired_unknown
        hired = bool(y[k]) or not known
        out.append(
            row(
                k,
                seeker=sim.seekers[a]["id"],
                vacancy=sim.vacancies[b]["id"],
                rank=int(rng.integers(1, 21)),
                hired=hired,
                retained=bool(y[k]) if known else None,
                status="hired" if hired else "rejected_by_employer",
                reason=None if hired else "skills_mismatch",
            )
        )
    return out


def test_soft_labels_enter_twice_with_their_share_of_the_weight(world: dict[str, Any]) -> None:
    y = world["sim"].y
    rows = outcome_rows(world, y, hired_unknown=0.3)
    data = oc.build_dataset(rows, world["s"], world["v"], day())
    soft = data.soft_labels["hired"]
    known_hires = [
        i
        for i in data.train
        if rows[data.rows[i]].hired and rows[data.rows[i]].retained_6_months is not None
    ]
    labels = np.array([rows[data.rows[i]].retained_6_months for i in known_hires], dtype=float)
    assert soft == pytest.approx((labels.sum() + 1) / (len(labels) + 2))
    weak = [i for i in data.train if oc.kind_of(rows[data.rows[i]]) == "hired"]
    assert len(weak) % 2 == 0 and weak
    for first, second in zip(weak[::2], weak[1::2], strict=True):
        assert data.rows[first] == data.rows[second]
        assert (data.y[first], data.y[second]) == (1.0, 0.0)
        r = rows[data.rows[first]]
        ratio = data.weight[first] / data.weight[second]
        assert ratio == pytest.approx(soft / (1 - soft))
        known_like = [
            i
            for i in data.train
            if rows[data.rows[i]].rank == r.rank and oc.kind_of(rows[data.rows[i]]) == "known"
        ]
        if known_like:  # evidence weight 0.5 of a known row at the same rank
            total = data.weight[first] + data.weight[second]
            assert total == pytest.approx(0.5 * data.weight[known_like[0]])
    assert data.weight[data.train].mean() == pytest.approx(1.0)
    assert np.all(data.weight[data.holdout] == 1.0)
    # The calibration counts a known row once whatever its rank (no exposure weight) and a
    # soft row with its share of one.
    known_rows = [i for i in data.train if oc.kind_of(rows[data.rows[i]]) == "known"]
    assert np.all(data.calibration_weight[known_rows] == 1.0)
    assert len({rows[data.rows[i]].rank for i in known_rows}) > 1
    for first, second in zip(weak[::2], weak[1::2], strict=True):
        assert data.calibration_weight[first] == pytest.approx(soft)
        assert data.calibration_weight[second] == pytest.approx(1 - soft)


# -- bootstrap and gate -------------------------------------------------------------------


def _ranking_data(
    n_seekers: int, seed: int, lift: float
) -> tuple[dict[str, np.ndarray], np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    seeker = np.repeat(np.arange(n_seekers), 5).astype(str).astype(object)
    truth = rng.normal(size=len(seeker))
    y = (truth + rng.normal(size=len(seeker)) > 0.5).astype(float)
    good = truth * lift + rng.normal(size=len(seeker))
    poor = rng.normal(size=len(seeker))
    return ({"candidate": 1 / (1 + np.exp(-good)), "active": 1 / (1 + np.exp(-poor))}, y, seeker)


def test_bootstrap_is_seeded_and_narrows_with_more_seekers() -> None:
    params = EvalParams(resamples=300, seed=5)
    scores, y, seeker = _ranking_data(40, 1, 2.0)
    first = evaluate(scores, {"candidate", "active"}, y, seeker, params)
    again = evaluate(scores, {"candidate", "active"}, y, seeker, params)
    assert json.dumps(first) == json.dumps(again)
    other = evaluate(scores, {"candidate", "active"}, y, seeker, replace(params, seed=6))
    ndcg = "ndcg_at_10"
    assert other["differences"][ndcg]["interval"] != first["differences"][ndcg]["interval"]
    big_scores, big_y, big_seeker = _ranking_data(640, 1, 2.0)
    big = evaluate(big_scores, {"candidate", "active"}, big_y, big_seeker, params)
    width = np.diff(first["differences"][ndcg]["interval"])[0]
    big_width = np.diff(big["differences"][ndcg]["interval"])[0]
    assert big_width < width / 2  # 16× the seekers: about a quarter of the width
    lo, hi = big["differences"][ndcg]["interval"]
    assert lo < big["differences"][ndcg]["delta"] < hi
    for name in ("candidate", "active"):
        m = big["models"][name]
        assert m["ndcg_at_10_interval"][0] <= m["ndcg_at_10"] <= m["ndcg_at_10_interval"][1]
        assert m["roc_auc_interval"][0] <= m["roc_auc"] <= m["roc_auc_interval"][1]


def test_the_gate_passes_only_when_the_interval_lies_above_the_threshold() -> None:
    for metric in ("log_likelihood", "ndcg_at_10", "roc_auc"):
        params = EvalParams(resamples=300, metric=metric)
        scores, y, seeker = _ranking_data(400, 2, 2.0)
        better = evaluate(scores, set(scores), y, seeker, params)
        verdict = gate(better, "v-active", params)
        assert verdict["metric"] == metric
        assert verdict["passed"] and verdict["interval"][0] > 0, verdict
        assert verdict["delta"] == better["differences"][metric]["delta"]
        assert [g["metric"] for g in verdict["guards"]] == [
            m for m in ("ndcg_at_10", "roc_auc") if m != metric
        ]
        assert all(g["holds"] for g in verdict["guards"])
        Gate.model_validate(verdict)  # what the registry requires of it
        swapped = evaluate(
            {"candidate": scores["active"], "active": scores["candidate"]},
            set(scores),
            y,
            seeker,
            params,
        )
        assert not gate(swapped, "v-active", params)["passed"]
        same = evaluate(
            {"candidate": scores["active"], "active": scores["active"]},
            set(scores),
            y,
            seeker,
            params,
        )
        tie = gate(same, "v-active", params)
        assert tie["delta"] == 0 and tie["interval"] == [0, 0] and not tie["passed"]
        Gate.model_validate(tie)
        strict = gate(better, "v-active", replace(params, threshold=1.0))
        assert not strict["passed"]
        assert {
            "passed",
            "metric",
            "delta",
            "interval",
            "against",
            "n_seekers",
            "n_outcomes",
            "guards",
        } <= verdict.keys()


def test_a_better_calibrated_candidate_that_ranks_worse_fails_on_a_guard() -> None:
    """The candidate states the base rate for everyone (log-likelihood far better than an
    over-confident active model's) but cannot rank at all: the guards stop it."""
    scores, y, seeker = _ranking_data(400, 3, 2.0)
    good = np.log(scores["candidate"] / (1 - scores["candidate"]))
    candidates = {"candidate": np.full(len(y), y.mean()), "active": 1 / (1 + np.exp(-(good + 4)))}
    params = EvalParams(resamples=300)
    result = evaluate(candidates, set(candidates), y, seeker, params)
    verdict = gate(result, "v-active", params)
    assert verdict["interval"][0] > 0  # measurably better log-likelihood ...
    worse = {g["metric"]: g for g in verdict["guards"]}
    assert not worse["roc_auc"]["holds"] and not worse["ndcg_at_10"]["holds"]
    assert worse["roc_auc"]["interval"][1] < 0
    assert not verdict["passed"]  # ... but measurably worse at ranking
    checked = Gate.model_validate(verdict)
    assert {g.metric for g in checked.failed_guards()} == {"roc_auc", "ndcg_at_10"}
    forged = {**verdict, "passed": True}
    with pytest.raises(ValueError, match="every guard holds"):
        Gate.model_validate(forged)


def test_the_log_likelihood_gain_is_the_mean_over_outcomes() -> None:
    """Checked against a direct computation, with a seeker drawn twice counting twice."""
    y = np.array([1.0, 0.0, 0.0, 1.0, 0.0])
    seeker = np.array(["a", "a", "b", "c", "c"], dtype=object)
    p = {
        "candidate": np.array([0.8, 0.3, 0.1, 0.6, 0.5]),
        "active": np.array([0.5, 0.5, 0.5, 0.5, 0.5]),
    }
    result = evaluate(p, set(p), y, seeker, EvalParams(resamples=50))

    def ll(q: np.ndarray) -> np.ndarray:
        return y * np.log(q) + (1 - y) * np.log(1 - q)

    gain = ll(p["candidate"]) - ll(p["active"])
    d = result["differences"]["log_likelihood"]
    assert d["delta"] == pytest.approx(gain.mean(), abs=1e-6)
    assert result["models"]["candidate"]["log_likelihood"] == pytest.approx(
        ll(p["candidate"]).mean(), abs=1e-6
    )
    assert d["n_seekers"] == 3 and d["n_outcomes"] == 5
    assert d["interval"][0] <= d["delta"] <= d["interval"][1]


def test_too_few_outcomes_is_a_message_with_the_counts() -> None:
    rows = [row(i, seeker=f"S{i % 9}", retained=i % 4 == 0) for i in range(12)]
    counts = oc.counts_of(rows, [oc.kind_of(r) for r in rows])
    with pytest.raises(InsufficientOutcomes) as caught:
        check_counts(counts, Thresholds(), skipped={"erased": 2})
    text = str(caught.value)
    assert text.startswith("12 known outcomes from 9 seekers (3 retained at six months")
    assert "2 referrals of erased people skipped" in text
    assert "at least 200 outcomes from 50 seekers, 20 of them retained, are needed" in text
    assert caught.value.counts["known"] == 12
    check_counts(counts, Thresholds(min_outcomes=12, min_seekers=9, min_retained=3))


# -- the fit -------------------------------------------------------------------------------


def test_the_candidate_learns_what_the_outcomes_show(world: dict[str, Any], tmp_path: Path) -> None:
    """Outcomes the active model reads the wrong way (more skill cover, less success;
    platforms retain best): the candidate ranks better on the newest quarter, stays exact
    (folded = scikit-learn), keeps the active encoder, and survives a save and load."""
    active: ScorerBundle = world["active"]
    X = world["X"]
    col = {f: j for j, f in enumerate(active.feature_names)}
    assert active.linear.weights[col["skill_cover"]] > 0  # what the active model believes
    logit = 3 * X[:, col["kind_platform"]] - 4 * X[:, col["skill_cover"]] + 0.5
    y = (np.random.default_rng(4).random(len(X)) < 1 / (1 + np.exp(-logit))).astype(int)
    rows = outcome_rows(world, y, hired_unknown=0.1)
    params = LearnParams(
        thresholds=Thresholds(min_outcomes=100, min_seekers=20),
        evaluation=EvalParams(resamples=200),
    )
    learned = learn(rows, world["s"], world["v"], active, day(), params)
    m = learned.metrics
    assert m["gate"]["passed"], m["gate"]
    # Seekers with a success and a failure in the hold-out, counted here from the data.
    hold = learned.data.holdout
    ids, labels = learned.data.seeker[hold], learned.data.y[hold]
    mixed = sum(1 for sid in set(ids.tolist()) if 0 < labels[ids == sid].sum() < (ids == sid).sum())
    assert m["holdout"]["ranked_seekers"] == mixed < m["holdout"]["seekers"]
    assert m["holdout"]["seekers"] == len(set(ids.tolist())) == m["gate"]["n_seekers"]
    assert (
        m["holdout"]["models"]["candidate"]["roc_auc"] > m["holdout"]["models"]["active"]["roc_auc"]
    )
    assert set(m["holdout"]["models"]) == {"candidate", "active", "tfidf_skills", "rules"}
    bundle = learned.bundle
    assert bundle.text_encoder is active.text_encoder
    bundle.check()
    from service.matching.scorer import save_bundle

    again = load_bundle(save_bundle(bundle, tmp_path / "candidate"))
    probe = X[:50]
    assert np.allclose(again.predict(probe), bundle.predict(probe))
    contributions = bundle.contributions(probe).sum(axis=1) + bundle.intercept_term
    assert np.allclose(1 / (1 + np.exp(-contributions)), bundle.predict(probe))
