"""The world of the simulated year: a population drawn by the simulator's generator, told
by a world variant the cold-start scorer never saw (``offline.worlds.HELD_OUT``), and the
request bodies that register it through the API.

The world keeps the truth: for any (seeker, vacancy) pair, the probability that the person
is hired and still employed at six months, from the variant's story on the *true* records
and hidden facts (home, reservation wage, trades, employer culture) — what the service
never sees.  The unobserved parts are fixed once per person and per pair, so a pair has
one truth however often it is asked about.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.special import expit
from stdnum.cn import ric, uscc

from service.matching.arrays import build_seekers, build_vacancies
from service.matching.offline import population, simulator, worlds

CATEGORY_DIGITS = {
    "visual": 1,
    "hearing": 2,
    "speech": 3,
    "physical": 4,
    "intellectual": 5,
    "mental": 6,
    "multiple": 7,
}
DEFAULT_WORLD = "kinds_reversed_commute"
# ID numbers are division + birth date + a 3-digit sequence: a block of 999 per division.
DIVISIONS = ("140302", "140303", "140311", "140321", "140322", "140102", "140105", "140106")


def id_number(birth: dt.date, sequence: int, division: str = "140302") -> str:
    body = f"{division}{birth:%Y%m%d}{sequence:03d}"
    return body + ric.calc_check_digit(body + "0")


def credit_code(serial: int, division: str = "140302") -> str:
    org = f"{serial:08d}"
    check = (
        11 - sum(int(c, 36) * w for c, w in zip(org, (3, 7, 9, 10, 5, 8, 4, 2), strict=True)) % 11
    )
    body = "91" + division + org + {10: "X", 11: "0"}.get(check, str(check))
    return body + uscc.calc_check_digit(body)


@dataclass
class World:
    spec: worlds.WorldSpec
    seed: int
    seekers: list[dict[str, Any]]  # as the service will see them
    true_seekers: list[dict[str, Any]]
    s_hidden: list[dict[str, Any]]
    vacancies: list[dict[str, Any]]
    v_hidden: list[dict[str, Any]]
    employers: list[dict[str, Any]]
    noise: np.ndarray  # (seekers, vacancies) standard normal draws: the pair's unobserved fit

    def __post_init__(self) -> None:
        self._s_true = build_seekers(self.true_seekers, simulator.no_text)
        self._v = build_vacancies(self.vacancies, simulator.no_text)

    def truth(self, si: np.ndarray, vi: np.ndarray) -> np.ndarray:
        """P(hired and still employed at six months) of pairs (seeker row, vacancy row)."""
        if len(si) == 0:
            return np.zeros(0)
        knobs = self.spec.story
        # The story's first draw is the per-person term: the same generator state gives
        # the same person the same term at every call.  The pair noise is the fixed table.
        terms = simulator.story(
            np.random.default_rng([self.seed, 7]),
            self.true_seekers,
            self.vacancies,
            self.s_hidden,
            self.v_hidden,
            self._s_true,
            self._v,
            si,
            vi,
            knobs,
        )
        terms["noise"] = knobs.noise_sd * knobs.weight("noise") * self.noise[si, vi]
        return np.asarray(expit(sum(terms.values())), dtype=np.float64)

    def outcome_probability(self, si: np.ndarray, vi: np.ndarray) -> np.ndarray:
        """The chance that the recorded outcome says success (label noise included)."""
        p = self.truth(si, vi)
        flip = self.spec.story.label_noise
        return p * (1 - flip) + (1 - p) * flip


def make_world(n_seekers: int, n_vacancies: int, *, seed: int, name: str = DEFAULT_WORLD) -> World:
    spec = worlds.BY_NAME[name]
    assert spec.role == "held_out", f"{name} is a training world"
    rng = np.random.default_rng([seed, spec.seed_offset])
    true_seekers, s_hidden = (
        list(x) for x in zip(*(population.seeker(rng, i) for i in range(n_seekers)), strict=True)
    )
    emps = population.employers(rng, max(1, n_vacancies // 4))
    weights = np.array([e["size"] for e in emps])
    chosen = rng.choice(len(emps), size=n_vacancies, p=weights / weights.sum())
    vacancies, v_hidden = (
        list(x)
        for x in zip(
            *(population.vacancy(rng, i, emps[int(j)]) for i, j in enumerate(chosen)), strict=True
        )
    )
    seen, vacancies = spec.observe(np.random.default_rng([seed, 1]), true_seekers, vacancies)
    used = sorted({v["employer_id"] for v in vacancies})
    return World(
        spec=spec,
        seed=seed,
        seekers=seen,
        true_seekers=true_seekers,
        s_hidden=s_hidden,
        vacancies=vacancies,
        v_hidden=v_hidden,
        employers=[e for e in emps if e["id"] in used],
        noise=rng.normal(size=(n_seekers, n_vacancies)),
    )


# -- request bodies -----------------------------------------------------------------------


def seeker_body(record: dict[str, Any], i: int, rng: np.random.Generator) -> dict[str, Any]:
    """POST /v1/seekers for a world record (the i-th: a distinct ID number)."""
    birth_year = record["adult_from"].year - 16
    birth = dt.date(birth_year, int(rng.integers(1, 13)), int(rng.integers(1, 29)))
    number = id_number(birth, 1 + i % 999, DIVISIONS[i // 999])
    category, grade = record["category"], int(record["grade"])
    groups = set(record["groups"])
    body: dict[str, Any] = {
        "external_id": f"W{i:06d}",
        "name": "模拟求职者",
        "id_number": number,
        "disability": {
            "category": category,
            "grade": grade,
            "certificate_number": f"{number}{CATEGORY_DIGITS[category]}{grade}",
        },
        "hukou": "rural" if "rural" in groups else "urban",
        "district_code": record["district_code"],
        "location": (
            {"lat": record["lat"], "lon": record["lon"]} if record["lat"] is not None else None
        ),
        "education": record["education"],
        "graduation_date": (
            record["degree_graduation"].isoformat() if record["degree_graduation"] else None
        ),
        "skills": list(record["skills"]),
        "experience_years": record["experience_years"],
        "required_accommodations": list(record["required"]),
        "preferences": {
            "occupations": list(record["occupations"]),
            "work_modes": list(record["work_modes"]),
            "employment_types": list(record["employment_types"]),
            "max_commute_km": float(record["max_commute_km"]),
            "min_monthly_salary": record["min_salary"],
        },
        "hard_to_employ": "hard_to_employ" in groups,
        "poverty_monitoring": "poverty_monitoring" in groups,
        "consent": {"sensitive_data": True, "share_with_employers": bool(record["shared"])},
    }
    if not record.get("estimated"):  # assessed; else the service estimates from the grade
        body["abilities"] = dict(record["abilities"])
        body["assessment"] = {"assessed_on": "2026-06-01", "assessor": "模拟评估中心"}
    return body


def employer_body(emp: dict[str, Any], serial: int) -> dict[str, Any]:
    return {
        "name": emp["name"],
        "credit_code": credit_code(serial),
        "kind": emp["kind"],
        "district_code": emp["place"].code,
        "staff_count": 150,
        "disabled_staff": 3,
        "severe_disabled_staff": 1,
        "average_annual_wage": 60000,
        "established_posts": None,
        "accessibility": list(emp["premises"]),
    }


def vacancy_body(
    record: dict[str, Any], employer_id: str, today: dt.date, openings: int
) -> dict[str, Any]:
    return {
        "employer_id": employer_id,
        "external_id": record["id"],
        "title": record["title"],
        "description": "模拟岗位",
        "occupation_code": record["occupation_code"],
        "skills": list(record["skills"]),
        "demands": {d: int(n) for d, n in record["demands"].items() if n},
        "accommodations": list(record["accommodations"]),
        "work_mode": record["work_mode"],
        "employment_type": record["employment_type"],
        "district_code": record["district_code"],
        "location": (
            {"lat": record["lat"], "lon": record["lon"]} if record["lat"] is not None else None
        ),
        "salary_min": int(record["salary_min"]),
        "salary_max": int(record["salary_max"]),
        "education_min": record["education_min"],
        "openings": openings,
        "targeted": bool(record["targeted"]),
        "priority_groups": list(record["priority_groups"]),
        "public_welfare": bool(record["public_welfare"]),
        "restricted": bool(record["restricted"]),
        "closes_on": (today + dt.timedelta(days=400)).isoformat(),
    }
