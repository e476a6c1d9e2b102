"""Property tests of the hard constraints (MATCHING.md §3) with hypothesis.

The fast engine (``eligible_mask`` over arrays) must equal the plain reference (``verdict``
per pair) on random populations, and eligibility must move the right way when an
accommodation is added, a demand raised or a capacity raised.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from service.matching.arrays import build_seekers, build_vacancies
from service.matching.constraints import Day, eligible_mask, verdict
from service.matching.dimensions import ACCOMMODATIONS, DIMENSIONS
from service.models.enums import EmploymentType, PriorityGroup, WorkMode

TODAY = dt.date(2026, 11, 23)
DAY = Day.of(TODAY, 2)
DISTRICTS = ["140302", "140303", "140311", "140321", "140105"]
GROUPS = [g.value for g in PriorityGroup if g is not PriorityGroup.graduate]


def no_text(texts: Any) -> sp.csr_matrix:
    return sp.csr_matrix((len(texts), 8), dtype=np.float32)


# Biased towards compatible pairs, so that eligibility is common and every rule is hit.
capacities = st.one_of(st.integers(3, 4), st.integers(0, 4))
demand_levels = st.one_of(st.integers(0, 2), st.integers(0, 4))
maybe_coord = st.one_of(st.tuples(st.floats(37.80, 37.92), st.floats(113.50, 113.65)), st.none())
all_modes = {m.value for m in WorkMode}
all_types = {t.value for t in EmploymentType}


@st.composite
def seekers(draw: st.DrawFn, i: int = 0) -> dict[str, Any]:
    coord = draw(maybe_coord)
    return {
        "id": f"s{i}",
        "abilities": {d: draw(capacities) for d in DIMENSIONS},
        "required": draw(st.sets(st.sampled_from(ACCOMMODATIONS), max_size=2)),
        "work_modes": draw(
            st.just(all_modes) | st.sets(st.sampled_from(sorted(all_modes)), min_size=1)
        ),
        "employment_types": draw(
            st.just(all_types) | st.sets(st.sampled_from(sorted(all_types)), min_size=1)
        ),
        "max_commute_km": draw(st.floats(1, 30)),
        "min_salary": 0,
        "lat": coord[0] if coord else None,
        "lon": coord[1] if coord else None,
        "district_code": draw(st.sampled_from(DISTRICTS)),
        "education": "bachelor",
        "groups": draw(st.sets(st.sampled_from(GROUPS), max_size=2)),
        "degree_graduation": draw(st.one_of(st.none(), st.dates(dt.date(2022, 1, 1), TODAY))),
        "seeking": draw(st.just(True) | st.booleans()),
        "consented": draw(st.just(True) | st.booleans()),
        "shared": True,
        "adult_from": draw(
            st.dates(dt.date(1990, 1, 1), TODAY)
            | st.dates(dt.date(1990, 1, 1), dt.date(2030, 1, 1))
        ),
        "retire_on": draw(
            st.dates(TODAY + dt.timedelta(days=1), dt.date(2070, 1, 1))
            | st.dates(dt.date(2020, 1, 1), dt.date(2070, 1, 1))
        ),
        "category": "physical",
        "grade": 3,
        "occupations": [],
        "experience_years": 0,
        "skills": [],
    }


@st.composite
def vacancies(draw: st.DrawFn, i: int = 0) -> dict[str, Any]:
    coord = draw(maybe_coord)
    return {
        "id": f"v{i}",
        "employer_id": "e",
        "title": "t",
        "employer_name": "e",
        "employer_kind": "private",
        "demands": {
            d: draw(demand_levels) for d in draw(st.sets(st.sampled_from(DIMENSIONS), max_size=4))
        },
        "accommodations": draw(st.sets(st.sampled_from(ACCOMMODATIONS), max_size=8)),
        "premises": draw(st.sets(st.sampled_from(ACCOMMODATIONS), max_size=3)),
        "work_mode": draw(st.sampled_from([m.value for m in WorkMode])),
        "employment_type": draw(st.sampled_from([t.value for t in EmploymentType])),
        "lat": coord[0] if coord else None,
        "lon": coord[1] if coord else None,
        "district_code": draw(st.sampled_from(DISTRICTS)),
        "salary_min": 3000,
        "salary_max": 4000,
        "education_min": "none",
        "open": draw(st.just(True) | st.booleans()),
        "closes_on": draw(
            st.one_of(st.none(), st.dates(dt.date(2026, 11, 1), dt.date(2027, 3, 1)))
        ),
        "targeted": False,
        "public_welfare": False,
        "priority_groups": draw(
            st.sets(st.sampled_from([g.value for g in PriorityGroup]), max_size=2)
        ),
        "restricted": draw(st.just(False) | st.booleans()),
        "occupation_code": None,
        "skills": [],
    }


def fast(seeker: dict[str, Any], vacancy_list: list[dict[str, Any]]) -> np.ndarray:
    s = build_seekers([seeker], no_text)
    v = build_vacancies(vacancy_list, no_text)
    return eligible_mask(s, v, DAY)


@settings(max_examples=300, deadline=None)
@given(seeker=seekers(), vacancy_list=st.lists(vacancies(), min_size=1, max_size=12))
def test_fast_engine_equals_reference(
    seeker: dict[str, Any], vacancy_list: list[dict[str, Any]]
) -> None:
    mask = fast(seeker, vacancy_list)
    expected = [not verdict(seeker, v, TODAY) for v in vacancy_list]
    assert mask.tolist() == expected


@settings(max_examples=200, deadline=None)
@given(seekers=st.lists(seekers(), min_size=1, max_size=8), vacancy=vacancies())
def test_one_vacancy_against_many_seekers_equals_reference(
    seekers: list[dict[str, Any]], vacancy: dict[str, Any]
) -> None:
    for i, s in enumerate(seekers):
        s["id"] = f"s{i}"
    mask = eligible_mask(build_seekers(seekers, no_text), build_vacancies([vacancy], no_text), DAY)
    assert mask.tolist() == [not verdict(s, vacancy, TODAY) for s in seekers]


@settings(max_examples=300, deadline=None)
@given(seeker=seekers(), vacancy=vacancies(), extra=st.sampled_from(ACCOMMODATIONS))
def test_offering_one_more_accommodation_never_removes_eligibility(
    seeker: dict[str, Any], vacancy: dict[str, Any], extra: str
) -> None:
    more = {**vacancy, "accommodations": set(vacancy["accommodations"]) | {extra}}
    before, after = fast(seeker, [vacancy])[0], fast(seeker, [more])[0]
    assert after or not before


@settings(max_examples=300, deadline=None)
@given(seeker=seekers(), vacancy=vacancies(), dim=st.sampled_from(DIMENSIONS))
def test_raising_a_demand_never_adds_eligibility(
    seeker: dict[str, Any], vacancy: dict[str, Any], dim: str
) -> None:
    demands = dict(vacancy["demands"])
    demands[dim] = min(4, demands.get(dim, 0) + 1)
    harder = {**vacancy, "demands": demands}
    before, after = fast(seeker, [vacancy])[0], fast(seeker, [harder])[0]
    assert before or not after


@settings(max_examples=300, deadline=None)
@given(seeker=seekers(), vacancy=vacancies(), dim=st.sampled_from(DIMENSIONS))
def test_raising_a_capacity_never_removes_eligibility(
    seeker: dict[str, Any], vacancy: dict[str, Any], dim: str
) -> None:
    abler = {
        **seeker,
        "abilities": {**seeker["abilities"], dim: min(4, seeker["abilities"][dim] + 1)},
    }
    before, after = fast(seeker, [vacancy])[0], fast(abler, [vacancy])[0]
    assert after or not before


def _population(
    rng: np.random.Generator, n: int
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Seeded random records, biased like the strategies above."""

    def pick(values: list[str], most: int) -> set[str]:
        return set(rng.choice(values, size=rng.integers(0, most + 1), replace=False))

    def coord() -> tuple[float | None, float | None]:
        if rng.random() < 0.2:
            return None, None
        return float(rng.uniform(37.80, 37.92)), float(rng.uniform(113.50, 113.65))

    people, posts = [], []
    for i in range(n):
        lat, lon = coord()
        people.append(
            {
                "id": f"s{i}",
                "abilities": {d: int(rng.choice([0, 1, 2, 3, 4, 4, 4])) for d in DIMENSIONS},
                "required": pick(list(ACCOMMODATIONS), 2),
                "work_modes": all_modes
                if rng.random() < 0.6
                else pick(sorted(all_modes), 2) or {"remote"},
                "employment_types": all_types
                if rng.random() < 0.6
                else pick(sorted(all_types), 2) or {"full_time"},
                "max_commute_km": float(rng.uniform(1, 30)),
                "min_salary": 0,
                "lat": lat,
                "lon": lon,
                "district_code": str(rng.choice(DISTRICTS)),
                "education": "bachelor",
                "groups": pick(GROUPS, 2),
                "degree_graduation": None,
                "seeking": rng.random() < 0.9,
                "consented": rng.random() < 0.9,
                "shared": True,
                "adult_from": TODAY - dt.timedelta(days=int(rng.integers(-300, 9000))),
                "retire_on": TODAY + dt.timedelta(days=int(rng.integers(-300, 9000))),
                "category": "physical",
                "grade": 3,
                "occupations": [],
                "experience_years": 0,
                "skills": [],
            }
        )
        lat, lon = coord()
        posts.append(
            {
                "id": f"v{i}",
                "employer_id": "e",
                "title": "t",
                "employer_name": "e",
                "employer_kind": "private",
                "demands": {d: int(rng.integers(0, 5)) for d in pick(list(DIMENSIONS), 3)},
                "accommodations": pick(list(ACCOMMODATIONS), 6),
                "premises": pick(list(ACCOMMODATIONS), 3),
                "work_mode": str(rng.choice(sorted(all_modes))),
                "employment_type": str(rng.choice(sorted(all_types))),
                "lat": lat,
                "lon": lon,
                "district_code": str(rng.choice(DISTRICTS)),
                "salary_min": 3000,
                "salary_max": 4000,
                "education_min": "none",
                "open": rng.random() < 0.9,
                "closes_on": TODAY + dt.timedelta(days=int(rng.integers(-30, 90))),
                "targeted": False,
                "public_welfare": False,
                "priority_groups": pick([g.value for g in PriorityGroup], 2),
                "restricted": rng.random() < 0.2,
                "occupation_code": None,
                "skills": [],
            }
        )
    return people, posts


def test_random_populations_match_the_reference_and_exercise_both_outcomes() -> None:
    """A seeded population big enough that every rule both passes and fails somewhere."""
    seeker_list, vacancy_list = _population(np.random.default_rng(7), 80)
    s = build_seekers(seeker_list, no_text)
    v = build_vacancies(vacancy_list, no_text)
    pairs_s, pairs_v = (a.ravel() for a in np.meshgrid(np.arange(80), np.arange(80), indexing="ij"))
    mask = eligible_mask(s.take(pairs_s), v.take(pairs_v), DAY)
    reference = [
        verdict(seeker_list[i], vacancy_list[j], TODAY)
        for i, j in zip(pairs_s, pairs_v, strict=True)
    ]
    assert mask.tolist() == [not r for r in reference]
    assert 0.02 < mask.mean() < 0.95
    codes = {b.code for r in reference for b in r}
    assert codes >= {
        "closed",
        "not_seeking",
        "no_consent",
        "not_working_age",
        "ability_gap",
        "accommodation_missing",
        "work_mode",
        "employment_type",
        "distance",
        "group_restricted",
    }
