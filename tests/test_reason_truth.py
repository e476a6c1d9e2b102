"""Every reason of every match is true of the pair (issue 10).

Random seekers and vacancies are ranked (by the engine, and through the API on both
databases), and each reason shown is checked against the *records* by the predicates of
tests/reason_predicates.py, written independently of ``explain.py``: what the words claim
must hold of the seeker and the vacancy, and a model reason's direction must be its
effect's sign.  Every reason code must have a predicate, so a new code cannot slip past
unchecked.
"""

from __future__ import annotations

import datetime as dt
import random
from types import SimpleNamespace
from typing import Any

import numpy as np
from fastapi.testclient import TestClient
from hypothesis import given, settings
from hypothesis import strategies as st

from service.clock import today_in_china
from service.matching.arrays import build_seekers, build_vacancies
from service.matching.constraints import Day
from service.matching.dimensions import BRIDGES, DIMENSIONS, estimate_abilities
from service.matching.index import Side
from service.matching.policy import PriorityPolicy
from service.matching.ranking import seekers_for_vacancy, vacancies_for_seeker
from service.matching.scorer import load_bundle
from service.services.matching import explained
from tests.match_helpers import (
    YQ_LAT,
    YQ_LON,
    candidates,
    make_employer,
    make_seeker,
    make_vacancy,
    pair,
    seeker_matches,
)
from tests.reason_predicates import (
    EDU,
    FAIR,
    KINDS,
    MODE_NAMES,
    PREMISES,
    TYPE_NAMES,
    S,
    V,
    check_item,
)

BUNDLE = load_bundle(None)
POLICY = PriorityPolicy()
TODAY = today_in_china()
DAY = Day.of(TODAY, 2)
SKILLS = ["客服", "电脑打字", "数据录入", "包装", "质检", "按摩", "保洁", "仓储", "会计"]
TITLES = ["客服专员", "数据录入员", "包装工", "质检员", "按摩师", "仓库管理员"]
CODES = [
    "4-07-05-01",
    "4-07-05-02",
    "4-07-03-01",
    "4-07",
    "4-08-01-01",
    "6-01-02-03",
    "6-01",
    "2-02-10-01",
    "4",
]
ACCS = sorted(BRIDGES)


# ---------------------------------------------------------------------------- records
class Draw:
    """Random choices, from hypothesis (``draw``) or a seeded generator (``rng``)."""

    def __init__(self, draw: st.DrawFn | None = None, rng: random.Random | None = None):
        self.draw, self.rng = draw, rng

    def pick(self, options: list[Any]) -> Any:
        if self.draw is not None:
            return self.draw(st.sampled_from(options))
        assert self.rng is not None
        return self.rng.choice(options)

    def integer(self, low: int, high: int) -> int:
        return int(self.pick(list(range(low, high + 1))))

    def real(self, low: float, high: float) -> float:
        if self.draw is not None:
            return float(self.draw(st.floats(low, high)))
        assert self.rng is not None
        return self.rng.uniform(low, high)

    def subset(self, options: list[Any], most: int) -> set[Any]:
        return {self.pick(options) for _ in range(self.integer(0, most))}

    def place(self) -> tuple[float, float] | None:
        if self.integer(0, 4) == 0:
            return None
        dy, dx = self.real(-18, 18), self.real(-18, 18)  # km
        return YQ_LAT + dy / 111.2, YQ_LON + dx / 87.8


def new_seeker(r: Draw) -> tuple[S, dict[str, Any]]:
    """A seeker, and the facts the API derives from its record (category, hukou...)."""
    ability = {d: r.integer(2, 4) if r.integer(0, 1) else r.integer(0, 4) for d in DIMENSIONS}
    # Graduated this many days ago (with a degree): a recent graduate for one in six.
    recent = r.pick([None, None, None, None, 200, 2000])
    few = r.integer(0, 2) == 0  # priority groups for a third: FA*IR has to lift some
    extra = {
        "groups": r.subset(
            ["rural", "hard_to_employ", "poverty_monitoring", "blind"], 2 if few else 0
        ),
        "graduated": None if recent is None else TODAY - dt.timedelta(days=recent),
        "max_km": r.real(5, 40),
    }
    grade = r.integer(1, 4)
    groups = (
        set(extra["groups"])
        | ({"graduate"} if recent == 200 else set())
        | ({"severe_disability"} if grade <= 2 else set())
    )
    s = S(
        abilities=ability,
        estimated=r.subset(list(DIMENSIONS), 4),
        required=r.subset(ACCS, 1),
        min_salary=r.pick([None, 0, r.integer(1500, 6000)]),
        occupations=sorted(r.subset(CODES, 2)),
        at=r.place(),
        experience=r.pick([0, 0.5, 1, 1.5, 2, 3, 6, 12]),
        grade=grade,
        education=r.pick(EDU[5:] if recent is not None else EDU),
        groups=groups,
        skills=r.subset(SKILLS, 3),
    )
    return s, extra


def new_vacancy(r: Draw) -> tuple[V, dict[str, Any]]:
    salary_min = r.integer(15, 50) * 100
    v = V(
        demands={d: r.integer(0, 3) for d in r.subset(list(DIMENSIONS), 4)},
        own=r.subset(ACCS, 4),
        premises=r.subset(sorted(PREMISES), 2),
        mode=r.pick(list(MODE_NAMES)),
        etype=r.pick(list(TYPE_NAMES)),
        kind=r.pick(list(KINDS)),
        at=r.place(),
        salary_max=salary_min + r.integer(0, 30) * 100,
        education_min=r.pick(EDU[:7]),
        targeted=bool(r.integer(0, 1)),
        welfare=bool(r.integer(0, 1)),
        groups=r.subset(sorted(FAIR), 1),
        occupation=r.pick([None, *CODES]),
        skills=r.subset(SKILLS, 3),
    )
    return v, {"salary_min": salary_min, "title": r.pick(TITLES)}


def seeker_record(i: int, s: S, extra: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": f"s{i}",
        "abilities": s.abilities,
        "estimated": sorted(s.estimated),
        "required": sorted(s.required),
        "work_modes": list(MODE_NAMES),
        "employment_types": list(TYPE_NAMES),
        "max_commute_km": extra["max_km"],
        "min_salary": s.min_salary,
        "lat": s.at[0] if s.at else None,
        "lon": s.at[1] if s.at else None,
        "district_code": "140302",
        "education": s.education,
        "groups": sorted(s.groups - {"graduate"}),
        "degree_graduation": extra["graduated"],
        "seeking": True,
        "consented": True,
        "shared": True,
        "adult_from": dt.date(1990, 1, 1),
        "retire_on": TODAY + dt.timedelta(days=3650),
        "category": "physical",
        "grade": s.grade,
        "occupations": s.occupations,
        "experience_years": s.experience,
        "skills": sorted(s.skills),
    }


def vacancy_record(i: int, v: V, extra: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": f"v{i}",
        "employer_id": "e",
        "title": extra["title"],
        "employer_name": "e",
        "employer_kind": v.kind,
        "demands": v.demands,
        "accommodations": sorted(v.own),
        "premises": sorted(v.premises),
        "work_mode": v.mode,
        "employment_type": v.etype,
        "lat": v.at[0] if v.at else None,
        "lon": v.at[1] if v.at else None,
        "district_code": "140302",
        "salary_min": extra["salary_min"],
        "salary_max": v.salary_max,
        "education_min": v.education_min,
        "open": True,
        "closes_on": None,
        "targeted": v.targeted,
        "public_welfare": v.welfare,
        "priority_groups": sorted(v.groups),
        "restricted": False,
        "occupation_code": v.occupation,
        "skills": sorted(v.skills),
    }


@st.composite
def seekers_st(draw: st.DrawFn, n: int) -> list[tuple[dict[str, Any], S]]:
    out = []
    for i in range(n):
        s, extra = new_seeker(Draw(draw))
        out.append((seeker_record(i, s, extra), s))
    return out


@st.composite
def vacancies_st(draw: st.DrawFn, n: int) -> list[tuple[dict[str, Any], V]]:
    out = []
    for i in range(n):
        v, extra = new_vacancy(Draw(draw))
        out.append((vacancy_record(i, v, extra), v))
    return out


def some(strategy: Any, low: int, high: int) -> Any:
    return st.integers(low, high).flatmap(strategy)


def _explain(
    ranked: Any, s: Any, v: Any, s_rows: np.ndarray, v_rows: np.ndarray, scorer: Any = BUNDLE
) -> list[Any]:
    """The reasons as the match services give them (their ``explained``)."""
    why = explained(
        ranked,
        SimpleNamespace(scorer=scorer),
        s,
        v,  # type: ignore[arg-type]
        s_rows,
        v_rows,
    )
    return [
        {"reasons": [dict(r) for r in reasons], "accommodations_used": used}
        for reasons, used in why
    ]


def _effects_match(ranked: Any, items: list[dict[str, Any]]) -> None:
    """Each model reason's effect is its factor's contribution to this pair's logit."""
    contributions = BUNDLE.contributions(ranked.features)
    for i, item in enumerate(items):
        for r in item["reasons"]:
            if r["code"].endswith(("_raised", "_lowered")):
                factor = r["code"].rsplit("_", 1)[0]
                got = contributions[i, BUNDLE.factors.index(factor)]
                assert abs(round(float(got), 3) - r["effect"]) < 1e-9, r


@settings(max_examples=60, deadline=None, derandomize=True)
@given(seekers=seekers_st(1), vacancies=some(vacancies_st, 1, 14))
def test_every_reason_of_a_seekers_list_is_true(seekers: Any, vacancies: Any) -> None:
    seeker = seekers[0]
    s_side = Side.of(build_seekers([seeker[0]], BUNDLE.encode_text))
    v_side = Side.of(build_vacancies([r for r, _ in vacancies], BUNDLE.encode_text))
    ranked = vacancies_for_seeker(s_side, v_side, 0, DAY, 20, BUNDLE, POLICY)
    s_one = s_side.arrays.take(np.array([0]), sparse=False)
    items = _explain(
        ranked, s_one, v_side.arrays, np.zeros(len(ranked.rows), dtype=int), ranked.rows
    )
    _effects_match(ranked, items)
    for item, row in zip(items, ranked.rows, strict=True):
        check_item(item, seeker[1], vacancies[row][1])


@settings(max_examples=40, deadline=None, derandomize=True)
@given(vacancies=vacancies_st(1), seekers=some(seekers_st, 1, 14))
def test_every_reason_of_a_candidate_list_is_true(vacancies: Any, seekers: Any) -> None:
    vacancy = vacancies[0]
    s_side = Side.of(build_seekers([r for r, _ in seekers], BUNDLE.encode_text))
    v_side = Side.of(build_vacancies([vacancy[0]], BUNDLE.encode_text))
    ranked = seekers_for_vacancy(v_side, s_side, 0, DAY, 10, BUNDLE, POLICY)
    v_one = v_side.arrays.take(np.array([0]), sparse=False)
    items = _explain(
        ranked, s_side.arrays, v_one, ranked.rows, np.zeros(len(ranked.rows), dtype=int)
    )
    _effects_match(ranked, items)
    for item, row in zip(items, ranked.rows, strict=True):
        check_item(item, seekers[row][1], vacancy[1])


def _world(
    seed: int, n: int
) -> tuple[list[tuple[dict[str, Any], S]], list[tuple[dict[str, Any], V]]]:
    r = Draw(rng=random.Random(seed))
    seekers = [(seeker_record(i, *(made := new_seeker(r))), made[0]) for i in range(n)]
    vacancies = [(vacancy_record(i, *(made_v := new_vacancy(r))), made_v[0]) for i in range(n)]
    return seekers, vacancies


def _check_world(
    seekers: list[tuple[dict[str, Any], S]], vacancies: list[tuple[dict[str, Any], V]], scorer: Any
) -> set[str]:
    """Both lists for everyone, every reason checked; the codes seen."""
    s_side = Side.of(build_seekers([rec for rec, _ in seekers], BUNDLE.encode_text))
    v_side = Side.of(build_vacancies([rec for rec, _ in vacancies], BUNDLE.encode_text))
    seen: set[str] = set()
    for row in range(len(seekers)):
        ranked = vacancies_for_seeker(s_side, v_side, row, DAY, 20, BUNDLE, POLICY)
        s_one = s_side.arrays.take(np.array([row]), sparse=False)
        items = _explain(
            ranked, s_one, v_side.arrays, np.zeros(len(ranked.rows), dtype=int), ranked.rows, scorer
        )
        for item, vrow in zip(items, ranked.rows, strict=True):
            check_item(item, seekers[row][1], vacancies[vrow][1], seen)
    for row in range(len(vacancies)):
        ranked = seekers_for_vacancy(v_side, s_side, row, DAY, 10, BUNDLE, POLICY)
        v_one = v_side.arrays.take(np.array([row]), sparse=False)
        items = _explain(
            ranked, s_side.arrays, v_one, ranked.rows, np.zeros(len(ranked.rows), dtype=int), scorer
        )
        for item, srow in zip(items, ranked.rows, strict=True):
            check_item(item, seekers[srow][1], vacancies[row][1], seen)
    return seen


MODEL_CODES = {f"{f}{d}" for f in BUNDLE.factors for d in ("_raised", "_lowered")}
FIXED_CODES = {
    "boost_priority_group_named",
    "boost_targeted",
    "boost_public_welfare",
    "fairness_guarantee",
    "assessment_recommended",
    "boost_graduate",
    "boost_rural",
    "boost_hard_to_employ",
    "boost_poverty_monitoring",
    "boost_severe_disability",
    "boost_blind",
}


def test_a_seeded_world_shows_many_kinds_of_reason_and_each_is_true() -> None:
    """A larger fixed world through the shipped scorer: every reason true, and the
    predicates exercised on every boost and remark and on most model codes (which ones
    the scorer can give at all depends on its weights)."""
    seen = _check_world(*_world(20261210, 150), BUNDLE)
    assert seen >= FIXED_CODES, FIXED_CODES - seen
    assert len(seen & MODEL_CODES) >= 15, sorted(seen & MODEL_CODES)


def test_any_model_s_reasons_are_true() -> None:
    """The same world with random contributions (any sign, any size, for every factor):
    the words are chosen from the records, not trusted to the weights, so every model
    code appears and each is still true."""
    rng = np.random.default_rng(7)
    scorer = SimpleNamespace(
        factors=BUNDLE.factors,
        contributions=lambda X: rng.normal(0, 0.4, (len(X), len(BUNDLE.factors))),
    )
    seen = _check_world(*_world(20261211, 80), scorer)
    assert seen >= MODEL_CODES | FIXED_CODES, sorted((MODEL_CODES | FIXED_CODES) - seen)


def _register(client: TestClient, r: Draw) -> tuple[dict[str, S], dict[str, V]]:
    """A random world registered through the API; what each record is, as sent."""
    seekers: dict[str, S] = {}
    for _ in range(10):
        s, extra = new_seeker(r)
        category = (
            "visual"
            if "blind" in extra["groups"]
            else r.pick(["physical", "hearing", "intellectual", "mental", "speech"])
        )
        assessed = {d: n for d, n in s.abilities.items() if d not in s.estimated}
        s.abilities = estimate_abilities(category, s.grade, assessed)[0]
        sid = make_seeker(
            client,
            category=category,
            grade=s.grade,
            ability=assessed,
            required=sorted(s.required),
            employment_types=list(TYPE_NAMES),
            max_km=extra["max_km"],
            location={"lat": s.at[0], "lon": s.at[1]} if s.at else None,
            hukou="rural" if "rural" in s.groups else "urban",
            education=s.education,
            graduation_date=extra["graduated"].isoformat() if extra["graduated"] else None,
            hard_to_employ="hard_to_employ" in s.groups,
            poverty_monitoring="poverty_monitoring" in s.groups,
            skills=sorted(s.skills),
            experience_years=s.experience,
            min_salary=s.min_salary,
            occupations=s.occupations,
        )
        seekers[sid] = s
    vacancies: dict[str, V] = {}
    for _ in range(14):
        v, extra = new_vacancy(r)
        employer = make_employer(client, kind=v.kind, accessibility=sorted(v.premises))
        vid = make_vacancy(
            client,
            employer,
            title=extra["title"],
            demands=v.demands,
            accommodations=sorted(v.own),
            work_mode=v.mode,
            employment_type=v.etype,
            location={"lat": v.at[0], "lon": v.at[1]} if v.at else None,
            priority_groups=sorted(v.groups),
            targeted=v.targeted,
            public_welfare=v.welfare,
            skills=sorted(v.skills),
            education_min=v.education_min,
            salary_min=extra["salary_min"],
            salary_max=v.salary_max,
            occupation_code=v.occupation,
        )
        vacancies[vid] = v
    return seekers, vacancies


def test_every_reason_through_the_api_is_true(client: TestClient) -> None:
    """Random seekers, employers and vacancies registered through the API: every reason
    of both lists and of the pair verdicts is true of the records as sent."""
    seekers, vacancies = _register(client, Draw(rng=random.Random(101)))
    seen: set[str] = set()
    listed = 0
    for sid, s in seekers.items():
        items = seeker_matches(client, sid)["items"]
        listed += len(items)
        for item in items:
            check_item(item, s, vacancies[item["vacancy_id"]], seen)
        for item in items[:3]:
            verdict = pair(client, sid, item["vacancy_id"])
            assert [r["code"] for r in verdict["reasons"]] == [r["code"] for r in item["reasons"]]
            check_item(verdict, s, vacancies[item["vacancy_id"]], seen)
    for vid, v in vacancies.items():
        for item in candidates(client, vid)["items"]:
            check_item(item, seekers[item["seeker_id"]], v, seen)
    assert listed >= 30, listed  # the world matches enough to say something
    assert len(seen & MODEL_CODES) >= 8 and "assessment_recommended" in seen, sorted(seen)
