"""Reasons never claim a preference the seeker did not state: with no occupation
preference there is no "an occupation the seeker wants", with no minimum pay no "above the
seeker's expectation" (the model still weighs both; only the words would be untrue)."""

from __future__ import annotations

import numpy as np

from service.matching.explain import model_reasons
from service.matching.scorer import load_bundle

FACTORS = load_bundle(None).factors


def _contributions(**effects: float) -> np.ndarray:
    values = np.zeros(len(FACTORS))
    for factor, effect in effects.items():
        values[FACTORS.index(factor)] = effect
    return values


def test_unstated_preferences_give_no_reason_either_way() -> None:
    raised = _contributions(occupation=0.30, salary=0.20, skills=0.10)
    assert {r.code for r in model_reasons(raised, FACTORS)} == {
        "occupation_raised", "salary_raised", "skills_raised"}
    quiet = model_reasons(raised, FACTORS, unstated=frozenset({"occupation", "salary"}))
    assert [r.code for r in quiet] == ["skills_raised"]
    lowered = _contributions(occupation=-0.30, salary=-0.20, distance=-0.10)
    quiet = model_reasons(lowered, FACTORS, unstated=frozenset({"occupation", "salary"}))
    assert [r.code for r in quiet] == ["distance_lowered"]


def test_unstated_is_read_from_the_seekers_preferences() -> None:
    from service.matching.explain import unstated_factors

    class Seekers:
        occupations = np.array([[[-1] * 4] * 5, [[4, 7, 5, 1]] + [[-1] * 4] * 4])
        min_salary = np.array([0, 2500])

    assert unstated_factors(Seekers(), 0) == {"occupation", "salary"}  # type: ignore[arg-type]
    assert unstated_factors(Seekers(), 1) == frozenset()  # type: ignore[arg-type]
