"""Synthetic seekers and vacancies for the placement simulator, as plain records.

The records have exactly the shape ``build_seekers`` and ``build_vacancies`` read, so the
simulator and the service share one encoding.  The vocabulary (job kinds, titles, skills,
occupation codes, which employers offer which jobs) is the demo's (``service.demo``); the
people are drawn anew from one ``numpy.random.Generator``: same generator state, same
records.  Alongside the records come the *hidden* facts the generative story may use and
the features never see (true home location when none is recorded, the reservation wage
when none is stated, the trades a person has trained in, the employer's retention culture).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Final

import numpy as np

from service.demo.employers import EMPLOYERS
from service.demo.jobs import KINDS as JOB_KINDS
from service.demo.people import CATEGORY_WEIGHTS, GRADE_WEIGHTS, OCCUPATIONS, SKILLS
from service.demo.places import DISTRICTS as YANGQUAN
from service.matching.dimensions import (
    DIMENSIONS,
    ESTIMATES,
    PREMISES_ACCOMMODATIONS,
    estimate_abilities,
)
from service.matching.encoding import ACC_BIT, EDU_LEVEL, bridges_for, mask_of
from service.models.enums import Education


@dataclass(frozen=True)
class Place:
    code: str  # GB/T 2260 county-level division in force
    lat: float
    lon: float
    spread: float  # standard deviation in degrees
    weight: int  # share of the simulated population
    rural: float  # share with rural hukou
    urban: bool


# Yangquan (the demo city) and its neighbours across central Shanxi: Taiyuan, Jinzhong,
# Xinzhou, Changzhi.  Seats are approximate; weights favour Yangquan and Taiyuan.
PLACES: Final[tuple[Place, ...]] = (
    *(
        Place(d.code, d.lat, d.lon, d.spread, w, d.rural_share, d.code in ("140302", "140303"))
        for d, w in zip(YANGQUAN.values(), (14, 7, 9, 8, 7), strict=True)
    ),
    Place("140105", 37.736, 112.565, 0.025, 6, 0.10, True),
    Place("140106", 37.863, 112.563, 0.015, 5, 0.05, True),
    Place("140107", 37.894, 112.570, 0.015, 5, 0.05, True),
    Place("140108", 37.940, 112.487, 0.030, 4, 0.20, True),
    Place("140109", 37.859, 112.516, 0.020, 5, 0.08, True),
    Place("140110", 37.715, 112.478, 0.030, 3, 0.30, True),
    Place("140121", 37.607, 112.358, 0.050, 2, 0.60, False),
    Place("140702", 37.698, 112.708, 0.040, 5, 0.35, True),
    Place("140703", 37.421, 112.551, 0.050, 2, 0.60, False),
    Place("140725", 37.895, 113.177, 0.060, 3, 0.70, False),
    Place("140724", 37.612, 113.707, 0.060, 3, 0.75, False),
    Place("140723", 37.329, 113.570, 0.060, 2, 0.75, False),
    Place("140902", 38.404, 112.746, 0.040, 4, 0.40, True),
    Place("140921", 38.473, 112.957, 0.050, 2, 0.65, False),
    Place("140403", 36.203, 113.123, 0.030, 4, 0.25, True),
)
_PLACE_P: Final = np.array([p.weight for p in PLACES], dtype=float) / sum(p.weight for p in PLACES)

EMPLOYER_KIND_WEIGHTS: Final[dict[str, int]] = {
    "private": 30,
    "platform": 16,
    "soe": 12,
    "public_institution": 8,
    "government_organ": 5,
    "sheltered_workshop": 6,
    "concentrated_employer": 9,
    "blind_massage": 7,
    "social_organization": 3,
    "individual_business": 4,
}
KIND_LABELS: Final[dict[str, str]] = {
    "private": "民营企业",
    "platform": "平台企业",
    "soe": "国有企业",
    "public_institution": "事业单位",
    "government_organ": "机关",
    "sheltered_workshop": "辅助性就业机构",
    "concentrated_employer": "集中安置单位",
    "blind_massage": "盲人按摩机构",
    "social_organization": "社会组织",
    "individual_business": "个体工商户",
}
# Which job kinds each kind of employer posts: read off the demo employers.
JOBS_OF: Final[dict[str, list[int]]] = {
    kind: sorted(
        {i for e in EMPLOYERS if e.kind == kind for i, j in enumerate(JOB_KINDS) if j.key in e.jobs}
    )
    for kind in EMPLOYER_KIND_WEIGHTS
}
STATE_KINDS: Final = frozenset({"government_organ", "public_institution", "soe"})
SUPPORTIVE: Final = frozenset({"sheltered_workshop", "concentrated_employer", "blind_massage"})
# Probability that the premises are step-free, have an accessible toilet, run a bus.
PREMISES_P: Final[dict[str, tuple[float, float, float]]] = {
    k: (0.85, 0.75, 0.3)
    if k in STATE_KINDS | SUPPORTIVE
    else (0.15, 0.05, 0.0)
    if k == "individual_business"
    else (0.5, 0.35, 0.05)
    for k in EMPLOYER_KIND_WEIGHTS
}
EDUCATIONS: Final = [e.value for e in Education]
SIM_DAY: Final = dt.date(2026, 11, 23)


def _pick(
    rng: np.random.Generator, options: list[Any] | tuple[Any, ...], weights: Any = None
) -> Any:
    p = None if weights is None else np.asarray(weights, dtype=float) / np.sum(weights)
    return options[int(rng.choice(len(options), p=p))]


def _point(rng: np.random.Generator, place: Place, scale: float = 1.0) -> tuple[float, float]:
    dlat, dlon = np.clip(rng.normal(size=2), -2.5, 2.5) * place.spread * scale
    return round(place.lat + dlat, 5), round(place.lon + dlon * 1.2, 5)


def _abilities(rng: np.random.Generator, category: str, grade: int, age: int) -> dict[str, int]:
    """The certificate's conservative estimate, then the person: often better, sometimes worse."""
    estimate, _ = estimate_abilities(category, grade, {})
    affected = ESTIMATES[category][grade]
    out: dict[str, int] = {}
    for dim in DIMENSIONS:
        if dim in affected:
            value = estimate[dim] + int(rng.choice((-1, 0, 1, 2), p=(0.1, 0.5, 0.3, 0.1)))
        else:
            value = 3 if rng.random() < 0.12 else 4
        out[dim] = int(np.clip(value, 0, 4))
    if age >= 50:
        out["endurance"] = min(out["endurance"], int(rng.choice((3, 4))))
    return out


def _required(rng: np.random.Generator, a: dict[str, int], category: str) -> list[str]:
    """What the person cannot work without, following JAN's limitation → accommodation."""
    req: list[str] = []
    if a["vision"] <= 1:
        req += ["screen_reader"] + (["braille"] if rng.random() < 0.3 else [])
    elif a["vision"] == 2 and rng.random() < 0.6:
        req.append("screen_magnifier")
    if a["hearing"] <= 1:
        req.append("sign_language" if rng.random() < 0.55 else "text_communication")
        if rng.random() < 0.25:
            req.append("visual_alerts")
    elif a["hearing"] == 2 and rng.random() < 0.4:
        req.append("text_communication")
    if a["speech"] <= 1 and rng.random() < 0.6:
        req.append("text_communication")
    if a["walking"] <= 1:
        req.append("step_free_access")
        req += ["accessible_toilet"] if rng.random() < 0.8 else []
    elif a["walking"] == 2 and rng.random() < 0.4:
        req.append("step_free_access")
    if category in ("physical", "multiple") and a["fine_motor"] <= 2:
        roll = rng.random()
        req += (
            ["adjustable_workstation"]
            if roll < 0.35
            else ["assistive_devices"]
            if roll < 0.6
            else []
        )
    if a["learning"] <= 1 or (category == "intellectual" and rng.random() < 0.5):
        req.append("job_coach")
        req += ["simplified_tasks"] if a["learning"] <= 1 and rng.random() < 0.6 else []
    if a["stress_tolerance"] <= 1:
        req += ["quiet_space"] if rng.random() < 0.4 else []
        req += ["flexible_hours"] if rng.random() < 0.3 else []
    return list(dict.fromkeys(req))


def _education(rng: np.random.Generator, category: str, age: int) -> str:
    if category == "intellectual":
        return str(_pick(rng, ("none", "primary", "primary", "junior_secondary")))
    levels = (
        "primary",
        "junior_secondary",
        "senior_secondary",
        "vocational",
        "associate",
        "bachelor",
        "master",
    )
    weights = (2, 24, 28, 27, 11, 7, 1) if age < 30 else (10, 40, 25, 15, 7, 3, 0)
    return str(_pick(rng, levels, weights))


# Job kind k is within reach of a capacity profile when the kind's usual accommodations
# bridge every gap (used to draw plausible trades).
_KIND_DEMANDS: Final = np.array([[k.demands.get(d, 0) for d in DIMENSIONS] for k in JOB_KINDS])
_KIND_BRIDGE: Final = bridges_for(
    np.array(
        [mask_of([*k.accommodations, *k.optional], ACC_BIT) for k in JOB_KINDS], dtype=np.int32
    )
)


def _trades(rng: np.random.Generator, a: dict[str, int]) -> list[int]:
    cap = np.array([a[d] for d in DIMENSIONS])
    feasible = np.flatnonzero(np.all(cap + _KIND_BRIDGE >= _KIND_DEMANDS, axis=1))
    pool = feasible if len(feasible) and rng.random() < 0.85 else np.arange(len(JOB_KINDS))
    n = min(len(pool), int(rng.choice((0, 1, 2), p=(0.1, 0.6, 0.3))))
    return sorted(int(k) for k in rng.choice(pool, size=n, replace=False))


def _skills(rng: np.random.Generator, category: str, edu: str, trades: list[int]) -> list[str]:
    skills: list[str] = []
    for k in trades:
        kind = JOB_KINDS[k]
        if rng.random() < 0.85:
            skills.append(kind.skills[0])
        skills += [s for s in kind.skills[1:] if rng.random() < 0.4]
    pool = SKILLS[category]
    skills += [str(s) for s in rng.choice(pool, size=int(rng.integers(1, 3)), replace=False)]
    if category not in ("hearing", "speech") and rng.random() < 0.3:
        skills.append("普通话")
    if EDU_LEVEL[edu] >= EDU_LEVEL["senior_secondary"] and rng.random() < 0.5:
        skills.append(str(_pick(rng, ("Excel", "电脑打字", "办公软件"))))
    return list(dict.fromkeys(skills))


def _occupations(rng: np.random.Generator, category: str, trades: list[int]) -> list[str]:
    if rng.random() >= 0.35:
        return []
    if trades:
        codes = [JOB_KINDS[k].code for k in trades]
        return [c if rng.random() < 0.7 else c[:4] for c in codes]
    pool = OCCUPATIONS[category]
    return [str(c) for c in rng.choice(pool, size=min(2, len(pool)), replace=False)]


def seeker(rng: np.random.Generator, i: int) -> tuple[dict[str, Any], dict[str, Any]]:
    """One seeker record and its hidden facts."""
    category = str(_pick(rng, list(CATEGORY_WEIGHTS), list(CATEGORY_WEIGHTS.values())))
    grade = int(_pick(rng, (1, 2, 3, 4), GRADE_WEIGHTS))
    age = int(rng.integers(18, 58))
    place = PLACES[int(rng.choice(len(PLACES), p=_PLACE_P))]
    a = _abilities(rng, category, grade, age)
    edu = _education(rng, category, age)
    trades = _trades(rng, a)
    if a["walking"] <= 1:
        modes = list(
            _pick(
                rng, (["remote", "hybrid"], ["on_site", "hybrid", "remote"], ["on_site", "remote"])
            )
        )
    elif category == "intellectual":
        modes = ["on_site"]
    else:
        modes = list(
            _pick(
                rng,
                (
                    ["on_site", "hybrid", "remote"],
                    ["on_site"],
                    ["on_site", "hybrid"],
                    ["hybrid", "remote"],
                    ["remote"],
                ),
                (40, 22, 18, 14, 6),
            )
        )
    types = list(
        _pick(
            rng,
            (
                ["full_time"],
                ["full_time", "part_time"],
                ["full_time", "part_time", "flexible"],
                ["part_time", "flexible"],
            ),
            (35, 25, 28, 12),
        )
    )
    if grade <= 2 and "part_time" not in types:
        types += ["part_time", "flexible"]
    degree = EDU_LEVEL[edu] >= EDU_LEVEL["associate"]
    graduated = (
        dt.date(SIM_DAY.year - int(rng.integers(0, 4)), 7, 1) if degree and age <= 27 else None
    )
    if graduated is not None:
        types.append("internship")
    commute = int(_pick(rng, (5, 8, 10, 15, 20) if place.urban else (10, 15, 20, 25, 30, 40)))
    if a["walking"] <= 1:
        commute = min(commute, 10)
    base_wage = 3400 if degree else 2500 if EDU_LEVEL[edu] >= 3 else 2150
    reservation = float(max(1800.0, rng.normal(base_wage, 300)))
    stated = rng.random() < 0.75
    rural = rng.random() < place.rural
    groups = [
        g
        for g, on in (
            ("rural", rural),
            ("hard_to_employ", rng.random() < 0.12 + 0.15 * (age >= 45) + 0.1 * (grade <= 2)),
            ("poverty_monitoring", rural and rng.random() < 0.12),
            ("severe_disability", grade <= 2),
            ("blind", category == "visual"),
        )
        if on
    ]
    home = _point(rng, place)
    located = rng.random() < 0.9
    birth_year = SIM_DAY.year - age
    record = {
        "id": f"S{i:06d}",
        "abilities": a,
        "required": _required(rng, a, category),
        "work_modes": modes,
        "employment_types": types,
        "max_commute_km": commute,
        "min_salary": int(round(reservation, -2)) if stated else None,
        "lat": home[0] if located else None,
        "lon": home[1] if located else None,
        "district_code": place.code,
        "education": edu,
        "groups": groups,
        "degree_graduation": graduated,
        "seeking": True,
        "consented": True,
        "shared": bool(rng.random() < 0.9),
        "adult_from": dt.date(birth_year + 16, 1, 1),
        "retire_on": dt.date(birth_year + 60, 1, 1),
        "category": category,
        "grade": grade,
        "occupations": _occupations(rng, category, trades),
        "experience_years": int(rng.integers(0, min(age - 16, 25) + 1))
        if rng.random() < 0.8
        else None,
        "skills": _skills(rng, category, edu, trades),
    }
    hidden = {"lat": home[0], "lon": home[1], "reservation": reservation, "trades": trades}
    return record, hidden


def employers(rng: np.random.Generator, n: int) -> list[dict[str, Any]]:
    kinds = list(EMPLOYER_KIND_WEIGHTS)
    out = []
    for j in range(n):
        kind = str(_pick(rng, kinds, list(EMPLOYER_KIND_WEIGHTS.values())))
        place = PLACES[int(rng.choice(len(PLACES), p=_PLACE_P))]
        premises = [
            a
            for a, p in zip(
                ("step_free_access", "accessible_toilet", "accessible_transport"),
                PREMISES_P[kind],
                strict=True,
            )
            if rng.random() < p
        ]
        out.append(
            {
                "id": f"E{j:05d}",
                "kind": kind,
                "place": place,
                "site": _point(rng, place, 0.8),
                "premises": premises,
                "name": f"模拟{KIND_LABELS[kind]}{place.code}-{j:05d}",
                "size": float(rng.lognormal(0.0, 0.7)),
                "culture": float(rng.normal(0.0, 0.3)),
            }
        )
    return out


def _round100(value: float) -> int:
    return round(value / 100.0) * 100


def vacancy(
    rng: np.random.Generator, i: int, emp: dict[str, Any]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """One vacancy record (a posting of one of its employer's job kinds) and hidden facts."""
    k = int(_pick(rng, JOBS_OF[emp["kind"]]))
    kind = JOB_KINDS[k]
    mode = str(_pick(rng, list(kind.modes), list(kind.modes.values())))
    etype = str(_pick(rng, list(kind.types), list(kind.types.values())))
    state = emp["kind"] in STATE_KINDS
    targeted = (
        kind.public_welfare or rng.random() < kind.targeted or (state and rng.random() < 0.25)
    )
    options = list(kind.groups) + (["graduate"] if state and "graduate" not in kind.groups else [])
    groups = (
        (
            list(kind.groups)
            if kind.public_welfare
            else [
                str(g)
                for g in rng.choice(
                    options, size=min(len(options), int(_pick(rng, (1, 1, 2)))), replace=False
                )
            ]
        )
        if targeted and options
        else []
    )
    title = str(_pick(rng, kind.titles))
    if targeted and not kind.public_welfare:
        title += "（残疾人专岗）"
    if mode == "remote" and "居家" not in title:
        title += "（居家办公）"
    offered = [*kind.accommodations, *(a for a in kind.optional if rng.random() < 0.5)]
    if mode == "remote":
        offered = [a for a in offered if a not in PREMISES_ACCOMMODATIONS]
    demands = dict(kind.demands)
    if mode == "remote":
        demands.pop("walking", None)
    if etype == "part_time" and demands.get("endurance", 0) >= 2:
        demands["endurance"] -= 1
    movable = sorted(d for d, v in demands.items() if v >= 2 and d != "vision")
    if movable and rng.random() < 0.2:  # a smaller or calmer workplace
        demands[str(_pick(rng, movable))] -= 1
    lo, hi, width = kind.salary
    smin = (
        float(rng.integers(lo, hi + 1))
        * (1.08 if state else 1.0)
        * (0.8 if etype == "part_time" else 1.0)
    )
    salary_min = max(1900, _round100(smin))
    salary_max = min(8000, salary_min + max(200, _round100(float(rng.integers(300, width + 1)))))
    site = emp["site"]
    where = (
        round(site[0] + rng.uniform(-0.003, 0.003), 5),
        round(site[1] + rng.uniform(-0.003, 0.003), 5),
    )
    recorded = not (mode == "remote" and rng.random() < 0.5)
    skills = [
        kind.skills[0],
        *(
            str(s)
            for s in rng.choice(
                kind.skills[1:], size=int(rng.integers(1, len(kind.skills))), replace=False
            )
        ),
    ]
    record = {
        "id": f"V{i:06d}",
        "employer_id": emp["id"],
        "employer_name": emp["name"],
        "title": title,
        "work_mode": mode,
        "employment_type": etype,
        "accommodations": list(dict.fromkeys(offered)),
        "premises": emp["premises"],
        "demands": demands,
        "lat": where[0] if recorded else None,
        "lon": where[1] if recorded else None,
        "district_code": emp["place"].code,
        "salary_min": salary_min,
        "salary_max": salary_max,
        "education_min": str(_pick(rng, kind.education)),
        "open": True,
        "closes_on": SIM_DAY + dt.timedelta(days=int(rng.integers(30, 181))),
        "targeted": bool(targeted),
        "public_welfare": kind.public_welfare,
        "priority_groups": groups,
        "restricted": bool(groups and rng.random() < 0.1),
        "employer_kind": emp["kind"],
        "occupation_code": kind.code,
        "skills": skills,
    }
    hidden = {"lat": where[0], "lon": where[1], "kind": k, "culture": emp["culture"]}
    return record, hidden
