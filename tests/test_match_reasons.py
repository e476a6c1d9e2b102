"""Reasons are true of the pair: a model factor is said only when its contribution points
the reason's way *and* the records bear the words out.  No preference the seeker did not
state (no occupation wanted, no minimum pay) is spoken of, in either direction; commute
words follow the distance; employer kinds, work modes and employment types are spoken of as
tendencies of such jobs, naming the pair's own.  tests/test_reason_truth.py checks every
reason of random matches; these are the cases one by one."""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import scipy.sparse as sp

from service.matching.arrays import build_seekers, build_vacancies
from service.matching.dimensions import DIMENSIONS
from service.matching.explain import WORDS, PairFacts, model_reasons
from service.matching.features import FACTORS, FEATURES
from service.matching.scorer import load_bundle

SHIPPED = load_bundle(None).factors
KM_PER_DEG_LAT = 111.19


def no_text(texts: Any) -> sp.csr_matrix:
    return sp.csr_matrix((len(texts), 8), dtype=np.float32)


def _seeker(**fields: Any) -> dict[str, Any]:
    return {
        "id": "s",
        "abilities": dict.fromkeys(DIMENSIONS, 4),
        "required": [],
        "work_modes": ["on_site", "hybrid", "remote"],
        "employment_types": ["full_time"],
        "max_commute_km": 30,
        "min_salary": 0,
        "lat": 37.86,
        "lon": 113.58,
        "district_code": "140302",
        "education": "senior_secondary",
        "groups": [],
        "degree_graduation": None,
        "seeking": True,
        "consented": True,
        "shared": True,
        "adult_from": dt.date(2000, 1, 1),
        "retire_on": dt.date(2060, 1, 1),
        "category": "physical",
        "grade": 3,
        "occupations": [],
        "experience_years": 3,
        "skills": ["客服"],
        "estimated": [],
        **fields,
    }


def _vacancy(**fields: Any) -> dict[str, Any]:
    return {
        "id": "v",
        "employer_id": "e",
        "title": "客服专员",
        "employer_name": "e",
        "employer_kind": "private",
        "demands": {},
        "accommodations": [],
        "premises": [],
        "work_mode": "on_site",
        "employment_type": "full_time",
        "lat": 37.86,
        "lon": 113.58,
        "district_code": "140302",
        "salary_min": 3000,
        "salary_max": 4000,
        "education_min": "none",
        "open": True,
        "closes_on": None,
        "targeted": False,
        "public_welfare": False,
        "priority_groups": [],
        "restricted": False,
        "occupation_code": "4-07-05-01",
        "skills": ["客服"],
        **fields,
    }


def _reasons(
    seeker: dict[str, Any], vacancy: dict[str, Any], skill_cover: float = 1.0, **effects: float
) -> dict[str, str]:
    """code -> message_en of the model reasons for these contributions on this pair."""
    s, v = build_seekers([seeker], no_text), build_vacancies([vacancy], no_text)
    x = np.zeros(len(FEATURES), dtype=np.float32)
    x[FEATURES.index("skill_cover")] = skill_cover
    contributions = np.zeros(len(FACTORS))
    for factor, effect in effects.items():
        contributions[FACTORS.index(factor)] = effect
    return {
        r.code: r.message_en
        for r in model_reasons(contributions, FACTORS, PairFacts(s, 0, v, 0, x), 5, 5)
    }


def test_every_factor_of_the_table_and_the_shipped_scorer_has_words() -> None:
    assert set(WORDS) == set(FACTORS) == set(SHIPPED)


def test_unstated_preferences_give_no_reason_either_way() -> None:
    seeker, vacancy = _seeker(), _vacancy()
    for sign in (1, -1):
        got = _reasons(seeker, vacancy, occupation=0.3 * sign, salary=0.2 * sign)
        assert not {
            "occupation_raised",
            "occupation_lowered",
            "salary_raised",
            "salary_lowered",
        } & set(got)


def test_salary_words_follow_the_stated_minimum() -> None:
    vacancy = _vacancy(salary_max=4000)
    assert "salary_raised" in _reasons(_seeker(min_salary=4000), vacancy, salary=0.2)
    assert "salary_lowered" not in _reasons(_seeker(min_salary=4000), vacancy, salary=-0.2)
    assert "salary_lowered" in _reasons(_seeker(min_salary=4001), vacancy, salary=-0.2)
    assert "salary_raised" not in _reasons(_seeker(min_salary=4001), vacancy, salary=0.2)


def test_occupation_words_follow_the_codes() -> None:
    vacancy = _vacancy(occupation_code="4-07-05-01")
    exact, group = _seeker(occupations=["4-07-05-01"]), _seeker(occupations=["4-07"])
    near, other = _seeker(occupations=["4-07-03-02"]), _seeker(occupations=["6-01"])
    assert "occupation_raised" in _reasons(exact, vacancy, occupation=0.3)
    assert "occupation_raised" in _reasons(group, vacancy, occupation=0.3)  # 4-07 includes it
    assert "occupation_lowered" not in _reasons(group, vacancy, occupation=-0.3)
    assert "same group" in _reasons(near, vacancy, occupation=0.3)["occupation_raised"]
    assert "occupation_lowered" in _reasons(near, vacancy, occupation=-0.3)
    assert "occupation_raised" not in _reasons(other, vacancy, occupation=0.3)
    assert "occupation_lowered" in _reasons(other, vacancy, occupation=-0.3)
    broad = _vacancy(occupation_code="4-07")  # might be the very occupation wanted
    assert "same group" in _reasons(exact, broad, occupation=0.3)["occupation_raised"]
    assert "occupation_lowered" not in _reasons(exact, broad, occupation=-0.3)
    assert "occupation_lowered" in _reasons(other, broad, occupation=-0.3)
    uncoded = _vacancy(occupation_code=None)
    assert not _reasons(other, uncoded, occupation=-0.3)


def test_commute_words_follow_the_distance() -> None:
    seeker = _seeker()
    at = {km: _vacancy(lat=37.86 + km / KM_PER_DEG_LAT) for km in (3, 7, 12)}
    assert "distance_raised" in _reasons(seeker, at[3], distance=0.2)
    assert "distance_lowered" not in _reasons(seeker, at[3], distance=-0.2)
    assert not _reasons(seeker, at[7], distance=0.2) and not _reasons(seeker, at[7], distance=-0.2)
    assert "distance_lowered" in _reasons(seeker, at[12], distance=-0.2)
    assert "distance_raised" not in _reasons(seeker, at[12], distance=0.2)
    unlocated = _seeker(lat=None, lon=None)
    assert not _reasons(unlocated, at[3], distance=0.2)  # the distance is unknown
    remote = _reasons(unlocated, _vacancy(work_mode="remote"), distance=0.2)
    assert remote == {"distance_raised": "no commute: the work is remote"}


def test_employer_kind_is_a_tendency_of_the_kind_named() -> None:
    up = _reasons(_seeker(), _vacancy(employer_kind="soe"), employer_kind=0.3)
    assert up == {
        "employer_kind_raised": (
            "employers of this kind (state-owned enterprises) tend to keep staff longer"
        )
    }
    down = _reasons(_seeker(), _vacancy(employer_kind="platform"), employer_kind=-0.3)
    assert down == {
        "employer_kind_lowered": (
            "employers of this kind (platform companies) tend to keep staff less long"
        )
    }
    severe = _reasons(
        _seeker(grade=1), _vacancy(employer_kind="sheltered_workshop"), employer_kind=0.3
    )
    assert "severe disability" in severe["employer_kind_raised"]


def test_work_mode_and_employment_type_name_the_vacancys_own() -> None:
    got = _reasons(
        _seeker(),
        _vacancy(work_mode="hybrid", employment_type="internship"),
        work_mode=0.2,
        employment_type=-0.2,
    )
    assert got == {
        "work_mode_raised": "placements in hybrid work tend to last longer",
        "employment_type_lowered": "placements in internship work tend to last less long",
    }
    low = _seeker(abilities={**_seeker()["abilities"], "endurance": 2})
    got = _reasons(low, _vacancy(employment_type="part_time"), employment_type=0.2)
    assert "endurance" in got["employment_type_raised"]


def test_a_direction_the_records_contradict_is_not_said() -> None:
    """Contributions of the wrong sign for the facts give no reason at all."""
    pair = (_seeker(min_salary=2000, experience_years=10), _vacancy(salary_max=5000, targeted=True))
    assert not _reasons(*pair, salary=-0.3, targeted=-0.3, experience=-0.3)
    assert not _reasons(*pair, skill_cover=0.0, skills=0.3)  # holds no listed skill
    assert set(_reasons(*pair, skill_cover=0.5, skills=0.3)) == {"skills_raised"}


def test_the_strongest_true_reasons_are_kept_up_to_the_limit() -> None:
    s, v = build_seekers([_seeker()], no_text), build_vacancies([_vacancy()], no_text)
    x = np.zeros(len(FEATURES), dtype=np.float32)
    contributions = np.zeros(len(FACTORS))
    for factor, effect in {
        "salary": 0.9,
        "occupation": 0.8,
        "employer_kind": 0.3,
        "targeted": -0.2,
        "work_mode": 0.2,
        "experience": 0.1,
        "education": 0.04,
    }.items():
        contributions[FACTORS.index(factor)] = effect
    reasons = model_reasons(contributions, FACTORS, PairFacts(s, 0, v, 0, x))
    # salary and occupation are unstated; education is below the threshold.
    assert [r.code for r in reasons] == [
        "employer_kind_raised",
        "work_mode_raised",
        "experience_raised",
        "targeted_lowered",
    ]
    assert [r.effect for r in reasons] == [0.3, 0.2, 0.1, -0.2]
