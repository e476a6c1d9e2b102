"""Synthetic matching populations for the match benchmark, in memory and in a database.

Records come from ``service.matching.offline.population`` (the simulator's generator), so they
have exactly the shape ``build_vacancies`` / ``build_seekers`` read.  Generating a record
in Python costs 0.2-0.5 ms, so large populations are *tiled* from a pool of distinct
records: vacancies at the record level (fresh ids, workplace moved up to ~1 km, salary
±100 CNY; the copies then go through ``build_vacancies`` like any record), seekers at the
array level (``SeekerArrays.take`` of the pool, fresh ids, home moved up to ~1 km,
experience and salary floor perturbed).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from service.clock import utcnow
from service.matching.arrays import SeekerArrays
from service.matching.dimensions import DIMENSIONS
from service.matching.offline import population
from service.rules import DomainRules

OWNER = "bench-owner"
CHUNK = 5000


@dataclass(frozen=True)
class Pool:
    """Distinct generated records: seekers, vacancies and the employers posting them."""

    seekers: list[dict[str, Any]]
    vacancies: list[dict[str, Any]]
    employers: list[dict[str, Any]]
    seconds: float


def generate(n_seekers: int, n_vacancies: int, seed: int) -> Pool:
    started = time.perf_counter()
    rng = np.random.default_rng(seed)
    seekers = [population.seeker(rng, i)[0] for i in range(n_seekers)]
    employers = population.employers(rng, max(1, n_vacancies // 4))
    weights = np.array([e["size"] for e in employers])
    chosen = rng.choice(len(employers), size=n_vacancies, p=weights / weights.sum())
    vacancies = [population.vacancy(rng, i, employers[int(j)])[0] for i, j in enumerate(chosen)]
    return Pool(seekers, vacancies, employers, time.perf_counter() - started)


def _jitter(value: Any, rng: np.random.Generator) -> float | None:
    return None if value is None else round(float(value) + rng.uniform(-0.008, 0.008), 5)


def tile_vacancies(records: Sequence[dict[str, Any]], n: int, seed: int) -> list[dict[str, Any]]:
    """``n`` vacancy records: the distinct ones first, then perturbed copies."""
    rng = np.random.default_rng(seed)
    out = list(records[:n])
    for i in range(len(out), n):
        base = records[i % len(records)]
        salary = int(base["salary_min"]) + 100 * int(rng.integers(-1, 2))
        salary = max(1900, salary)
        out.append(
            {
                **base,
                "id": f"V{i:07d}",
                "lat": _jitter(base["lat"], rng),
                "lon": _jitter(base["lon"], rng),
                "salary_min": salary,
                "salary_max": max(salary, int(base["salary_max"])),
            }
        )
    return out


def tile_seekers(base: SeekerArrays, n: int, seed: int) -> SeekerArrays:
    """``n`` seeker rows: the pool's rows repeated, each copy perturbed (arrays only)."""
    rng = np.random.default_rng(seed)
    idx = np.arange(n) % len(base)
    rows: SeekerArrays = base.take(idx)
    copy = np.arange(n) >= len(base)
    jitter = lambda: rng.uniform(-0.008, 0.008, n) * copy  # noqa: E731
    salary = rows.min_salary + 100 * rng.integers(-1, 2, n) * copy * (rows.min_salary > 0)
    experience = rows.experience + rng.integers(0, 3, n).astype(np.float32) * copy
    return dataclasses.replace(
        rows,
        ids=np.array([f"S{i:07d}" for i in range(n)], dtype=object),
        lat=rows.lat + jitter(),
        lon=rows.lon + jitter(),
        min_salary=np.maximum(salary, 0).astype(np.int32),
        experience=experience,
    )


# --------------------------------------------------------------------------- database rows


def _now() -> dt.datetime:
    return utcnow()


def employer_rows(employers: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    now = _now()
    return [
        {
            "id": e["id"],
            "owner_key_id": OWNER,
            "name": e["name"],
            "credit_code": f"91{j:016d}",
            "credit_code_warning": None,
            "kind": e["kind"],
            "district_code": e["place"].code,
            "staff_count": 100,
            "disabled_staff": 2,
            "severe_disabled_staff": 0,
            "average_annual_wage": 60000.0,
            "established_posts": None,
            "accessibility": list(e["premises"]),
            "version": 1,
            "created_at": now,
            "updated_at": now,
        }
        for j, e in enumerate(employers)
    ]


def vacancy_rows(records: Iterable[dict[str, Any]], today: dt.date) -> list[dict[str, Any]]:
    """DB rows for vacancy records; closing dates keep their distance from the sim day."""
    now = _now()
    shift = today - population.SIM_DAY
    return [
        {
            "id": r["id"],
            "owner_key_id": OWNER,
            "external_id": None,
            "employer_id": r["employer_id"],
            "title": r["title"],
            "description": "",
            "occupation_code": r["occupation_code"],
            "skills": list(r["skills"]),
            "demands": {d: int(r["demands"].get(d, 0)) for d in DIMENSIONS},
            "accommodations": list(r["accommodations"]),
            "work_mode": r["work_mode"],
            "employment_type": r["employment_type"],
            "district_code": r["district_code"],
            "lat": None if r["lat"] is None else float(r["lat"]),
            "lon": None if r["lon"] is None else float(r["lon"]),
            "salary_min": int(r["salary_min"]),
            "salary_max": int(r["salary_max"]),
            "education_min": r["education_min"],
            "openings": 2,
            "targeted": bool(r["targeted"]),
            "priority_groups": list(r["priority_groups"]),
            "public_welfare": bool(r["public_welfare"]),
            "restricted": bool(r["restricted"]),
            "closes_on": r["closes_on"] + shift if r["closes_on"] else None,
            "status": "open" if r["open"] else "closed",
            "version": 1,
            "created_at": now,
            "updated_at": now,
        }
        for r in records
    ]


def seeker_rows(
    records: Iterable[dict[str, Any]], rules: DomainRules, seed: int
) -> list[dict[str, Any]]:
    """DB rows that ``records.seeker_record`` turns back into (nearly) these records."""
    rng = np.random.default_rng(seed)
    now = _now()
    out = []
    for r in records:
        digest = hashlib.sha256(r["id"].encode()).hexdigest()
        birth = dt.date(r["adult_from"].year - rules.min_working_age, 1, 1)
        out.append(
            {
                "id": r["id"],
                "owner_key_id": OWNER,
                "external_id": None,
                "name_enc": "bench",
                "id_number_enc": "bench",
                "id_number_hash": digest,
                "certificate_enc": "bench",
                "phone_enc": None,
                "birth_date": birth,
                "sex": "male" if rng.random() < 0.55 else "female",
                "category": r["category"],
                "grade": int(r["grade"]),
                "hukou": "rural" if "rural" in r["groups"] else "urban",
                "district_code": r["district_code"],
                "lat": None if r["lat"] is None else float(r["lat"]),
                "lon": None if r["lon"] is None else float(r["lon"]),
                "education": r["education"],
                "graduation_date": r["degree_graduation"],
                "skills": list(r["skills"]),
                "experience_years": r["experience_years"],
                "abilities_assessed": dict(r["abilities"]),
                "assessed_on": None,
                "assessor": None,
                "required_accommodations": list(r["required"]),
                "preferences": {
                    "occupations": list(r["occupations"]),
                    "work_modes": list(r["work_modes"]),
                    "employment_types": list(r["employment_types"]),
                    "max_commute_km": float(r["max_commute_km"]),
                    "min_monthly_salary": r["min_salary"],
                },
                "hard_to_employ": "hard_to_employ" in r["groups"],
                "poverty_monitoring": "poverty_monitoring" in r["groups"],
                "consent_sensitive_data": True,
                "consent_share_with_employers": bool(r["shared"]),
                "consent_recorded_at": now,
                "consent_recorded_by": OWNER,
                "status": "seeking",
                "version": 1,
                "created_at": now,
                "updated_at": now,
            }
        )
    return out


def insert_population(
    url: str,
    employers: list[dict[str, Any]],
    vacancies: list[dict[str, Any]],
    seekers: list[dict[str, Any]],
) -> float:
    """Bulk insert through SQLAlchemy Core (executemany in chunks); return the seconds."""
    from sqlmodel import SQLModel

    import service.models.tables  # noqa: F401  (registers the tables)
    from service.db import make_engine

    engine = make_engine(url)
    started = time.perf_counter()
    try:
        with engine.begin() as conn:
            for name, rows in (
                ("employer", employers),
                ("vacancy", vacancies),
                ("seeker", seekers),
            ):
                table = SQLModel.metadata.tables[name]
                for start in range(0, len(rows), CHUNK):
                    conn.execute(table.insert(), rows[start : start + CHUNK])
    finally:
        engine.dispose()
    return time.perf_counter() - started
