"""The family of worlds and the robust fit: small, fast checks (no database).

Each world changes what it says it changes (and nothing else: same seed, same draws);
the held-out worlds are never trained on; the sign-bounded fit keeps the known signs and
gives no weight to an effect that flips between worlds.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from scipy.special import logit

from service.matching.dimensions import estimate_abilities
from service.matching.encoding import KIND_CODE
from service.matching.features import FEATURES
from service.matching.offline import robust
from service.matching.offline.population import SUPPORTIVE
from service.matching.offline.simulator import KIND_EFFECT, Story, simulate
from service.matching.offline.training import TrainParams, train
from service.matching.offline.worlds import BY_NAME, HELD_OUT, SYNONYMS, TRAINING, WORLDS
from service.matching.scorer import ScorerBundle, make_text_encoder

SEED, N_S, N_V, PAIRS = 41, 160, 140, 15


def _story_of(name: str) -> Story:
    return BY_NAME[name].story


def _same_population(knobs: Story):  # type: ignore[no-untyped-def]
    return simulate(SEED, N_S, N_V, PAIRS), simulate(SEED, N_S, N_V, PAIRS, knobs=knobs)


# --- the worlds differ as they say -------------------------------------------------


def test_the_baseline_world_is_the_project_story() -> None:
    base, world = (
        simulate(SEED, N_S, N_V, PAIRS),
        BY_NAME["baseline"].simulate(SEED, N_S, N_V, PAIRS),
    )
    assert np.array_equal(base.p, world.p) and np.array_equal(base.y, world.y)
    assert not world.terms["family"].any()


def test_the_kind_world_has_the_opposite_sign() -> None:
    base, reversed_ = _same_population(_story_of("kind_reversed"))
    assert np.array_equal(base.vacancy_idx, reversed_.vacancy_idx)
    kinds = np.array([KIND_CODE[v["employer_kind"]] for v in base.vacancies])[base.vacancy_idx]
    supportive = np.isin(kinds, [KIND_CODE[k] for k in SUPPORTIVE])
    plain = ~supportive  # no severe-disability bonus involved
    assert plain.any()
    assert np.allclose(reversed_.terms["employer_kind"][plain], -base.terms["employer_kind"][plain])
    assert all(_story_of("kind_reversed").kind_effect[k] == -v for k, v in KIND_EFFECT.items())
    assert _story_of("kind_reversed").supportive_severe < 0 < Story().supportive_severe
    for term in ("skills", "commute", "salary"):  # the rest of the story is untouched
        assert np.array_equal(base.terms[term], reversed_.terms[term])


def test_commute_tolerance_depends_on_the_disability() -> None:
    base, world = _same_population(_story_of("commute_by_disability"))
    ratio = world.terms["commute"] / np.where(
        base.terms["commute"] == 0, np.nan, base.terms["commute"]
    )
    seen = set(np.round(ratio[~np.isnan(ratio)], 6).tolist())
    assert seen == {3.0, 0.5}


def test_the_family_world_scales_skills_down_and_adds_the_family_term() -> None:
    base, world = _same_population(_story_of("occupation_experience"))
    assert np.allclose(world.terms["skills"], 0.5 * base.terms["skills"])
    assert world.terms["family"].max() > 0 and world.terms["family"].min() >= 0
    assert np.allclose(world.terms["experience"], 2.0 * base.terms["experience"])


def test_reworded_skills_change_the_records_not_the_truth() -> None:
    spec = BY_NAME["reworded"]
    base = simulate(SEED, N_S, N_V, PAIRS)
    world = simulate(SEED, N_S, N_V, PAIRS, knobs=spec.story, observe=spec.observe)
    assert np.array_equal(base.p, world.p)  # the story reads the true skills
    said = [s for r in world.vacancies for s in r["skills"]]
    true = [s for r in base.vacancies for s in r["skills"]]
    rephrased = {v for pair in SYNONYMS.values() for v in pair}
    share = np.mean([s in rephrased for s in said])
    assert 0.35 < share < 0.65 and not any(s in rephrased for s in true)

    def cover(sim) -> float:  # type: ignore[no-untyped-def]
        return float(
            np.mean(
                [
                    len(set(sim.seekers[a]["skills"]) & set(sim.vacancies[b]["skills"]))
                    / len(sim.vacancies[b]["skills"])
                    for a, b in zip(sim.seeker_idx.tolist(), sim.vacancy_idx.tolist(), strict=True)
                ]
            )
        )

    assert cover(world) < 0.75 * cover(base)
    # training worlds use one rephrasing per skill; held-out ones also the other
    assert spec.reword_variants == 1 and BY_NAME["reworded_heavy"].reword_variants == 2


def test_unassessed_seekers_carry_the_estimate() -> None:
    spec = BY_NAME["unassessed"]
    world = spec.simulate(SEED, N_S, N_V, PAIRS)
    estimated = [r for r in world.seekers if r.get("estimated")]
    assert 0.35 < len(estimated) / len(world.seekers) < 0.65
    for r in estimated:
        assert r["abilities"] == estimate_abilities(r["category"], r["grade"], {})[0]


def test_label_noise_flips_outcomes() -> None:
    noisy = simulate(SEED, N_S, N_V, PAIRS, knobs=Story(label_noise=0.3))
    expected = 0.7 * noisy.p.mean() + 0.3 * (1 - noisy.p.mean())
    assert abs(noisy.y.mean() - expected) < 0.03
    rare = _story_of("noisy_rare")
    assert rare.base < Story().base and rare.label_noise > 0


# --- training and held-out worlds --------------------------------------------------


def test_held_out_worlds_are_never_trained_on() -> None:
    assert {w.name for w in TRAINING}.isdisjoint(w.name for w in HELD_OUT)
    assert len(TRAINING) >= 6 and len(HELD_OUT) >= 6 and len(WORLDS) == len(BY_NAME)
    assert len({w.seed_offset for w in WORLDS}) == len(WORLDS)  # every world its own seed
    defaults = TrainParams()
    assert set(defaults.training_worlds) == {w.name for w in TRAINING}
    assert set(defaults.held_out_worlds) == {w.name for w in HELD_OUT}
    with pytest.raises(ValueError, match="held out"):
        train(training_worlds=("baseline", "baseline_new_seed"))
    with pytest.raises(ValueError, match="not a held-out world"):
        train(held_out_worlds=("baseline",))
    assert any(w.name.startswith("far_") for w in HELD_OUT)


# --- the robust fit ----------------------------------------------------------------

NAMES = ("skill_cover", "distance", "remote", "kind_platform", "kind_private")


def _world_data(rng: np.random.Generator, effects: dict[str, float], n: int = 4000):  # type: ignore[no-untyped-def]
    Z = rng.normal(size=(n, len(NAMES)))
    eta = -0.5 + sum(effects.get(f, 0.0) * Z[:, j] for j, f in enumerate(NAMES))
    return Z, (rng.random(n) < 1 / (1 + np.exp(-eta))).astype(float)


def test_a_small_robust_fit_keeps_the_signs_and_drops_a_flipping_feature() -> None:
    rng = np.random.default_rng(5)
    # distance *helps* in the data (a world that contradicts knowledge), remote helps in
    # both worlds, the platform effect flips between them.
    one = _world_data(
        rng, {"skill_cover": 0.8, "distance": 0.4, "remote": 0.3, "kind_platform": 0.6}
    )
    two = _world_data(
        rng, {"skill_cover": 0.6, "distance": 0.4, "remote": 0.3, "kind_platform": -0.6}
    )
    per_world = np.array(
        [robust.fit_logistic(Z, y, robust.bounds_for(names=NAMES)).coef for Z, y in (one, two)]
    )
    assert (per_world[:, NAMES.index("distance")] <= 0).all()  # bounded, never positive
    dropped = robust.sign_flips(per_world, 0.05, names=NAMES)
    # the whole employer-kind block goes with its flipping member; nothing else does
    assert dropped == {"kind_platform", "kind_private"}
    Z = np.vstack([one[0], two[0]])
    y = np.concatenate([one[1], two[1]])
    group = np.repeat([0, 1], len(one[1]))
    fit = robust.fit_logistic(Z, y, robust.bounds_for(dropped, names=NAMES), group)
    coef = dict(zip(NAMES, fit.coef, strict=True))
    assert coef["kind_platform"] == 0.0 and coef["kind_private"] == 0.0
    assert coef["distance"] == pytest.approx(0.0, abs=1e-9)
    assert coef["skill_cover"] > 0.5 and coef["remote"] > 0.2
    assert len(fit.intercepts) == 2


def test_the_robust_model_is_an_exact_affine_bundle() -> None:
    rng = np.random.default_rng(3)
    X = rng.normal(2.0, 3.0, size=(500, len(FEATURES)))
    scaling = robust.Scaling.of(X)
    coef = rng.normal(0, 0.2, size=len(FEATURES))
    model = robust.to_pipeline(scaling, coef, -0.7, len(X))
    bundle = ScorerBundle("test", make_text_encoder().fit(["客服 电脑打字"]), model)
    bundle.check()
    assert np.allclose(
        logit(bundle.predict(X[:50])),
        bundle.intercept_term + bundle.contributions(X[:50]).sum(axis=1),
    )
    assert np.allclose(bundle.linear.coef, coef)


def test_the_rule_direction_reads_only_the_rule_columns() -> None:
    rng = np.random.default_rng(9)
    Z = rng.normal(size=(2000, len(FEATURES)))
    rule = 0.4 * Z[:, FEATURES.index("skill_cover")] - 0.2 * Z[:, FEATURES.index("distance")]
    direction, r2 = robust.rule_direction(Z, rule)
    assert r2 == pytest.approx(1.0)
    assert direction[FEATURES.index("skill_cover")] == pytest.approx(0.4)
    outside = [j for j, f in enumerate(FEATURES) if f not in robust.RULE_FEATURES]
    assert not direction[outside].any()


def test_worlds_are_plain_data() -> None:
    for w in WORLDS:
        assert dataclasses.is_dataclass(w) and w.assumes
        assert 0 <= w.reword <= 1 and 0 <= w.unassessed <= 1 and w.reword_variants in (1, 2)
