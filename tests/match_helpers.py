"""Builders for the match tests: seekers, employers and vacancies registered through the
real API, with every field that matters to matching stated explicitly."""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

from fastapi.testclient import TestClient
from stdnum.cn import uscc

from service.clock import today_in_china
from service.matching.dimensions import DIMENSIONS
from tests.factories import CATEGORY_DIGITS, id_number

# Yangquan, 城区 (140302).  0.1° of latitude is about 11.1 km.
YQ_LAT, YQ_LON = 37.86, 113.58
KM_PER_DEG_LAT = 111.2
# Wuchang, Wuhan (420106): about 810 km south of Yangquan.
WUHAN = {"lat": 30.55, "lon": 114.31}

_sequences = itertools.count(0)
_serials = itertools.count(1)


def north(km: float) -> dict[str, float]:
    """A point ``km`` due north of the Yangquan reference point."""
    return {"lat": round(YQ_LAT + km / KM_PER_DEG_LAT, 6), "lon": YQ_LON}


HERE = north(0)


def abilities(**low: int) -> dict[str, int]:
    """All 13 dimensions assessed: 4 unless named (no estimate from the certificate)."""
    unknown = set(low) - set(DIMENSIONS)
    assert not unknown, unknown
    return {d: low.get(d, 4) for d in DIMENSIONS}


def seeker_payload(
    *,
    category: str = "physical",
    grade: int = 4,
    ability: dict[str, int] | None = None,
    required: list[str] | None = None,
    work_modes: list[str] | None = None,
    employment_types: list[str] | None = None,
    max_km: float = 15,
    location: dict[str, float] | None = HERE,
    district: str = "140302",
    hukou: str = "urban",
    education: str = "senior_secondary",
    graduation_date: str | None = None,
    hard_to_employ: bool = False,
    poverty_monitoring: bool = False,
    skills: list[str] | None = None,
    experience_years: float = 3,
    min_salary: int | None = 2500,
    occupations: list[str] | None = None,
    birth: dt.date = dt.date(1995, 3, 14),
    sequence: int | None = None,
    **extra: Any,
) -> dict[str, Any]:
    # Odd sequence digits are men, even are women; a fresh number for every seeker.
    seq = sequence if sequence is not None else 100 + next(_sequences) % 899
    number = id_number(birth, seq)
    body: dict[str, Any] = {
        "external_id": None,
        "name": "测试求职者",
        "id_number": number,
        "disability": {
            "category": category,
            "grade": grade,
            "certificate_number": f"{number}{CATEGORY_DIGITS[category]}{grade}",
        },
        "hukou": hukou,
        "district_code": district,
        "location": location,
        "phone": "13912345678",
        "education": education,
        "graduation_date": graduation_date,
        "skills": skills if skills is not None else ["客服", "电脑打字"],
        "experience_years": experience_years,
        "abilities": ability if ability is not None else abilities(),
        "assessment": {"assessed_on": "2026-10-01", "assessor": "阳泉市残联评估中心"},
        "required_accommodations": required or [],
        "preferences": {
            "occupations": occupations or [],
            "work_modes": work_modes or ["on_site", "hybrid", "remote"],
            "employment_types": employment_types or ["full_time"],
            "max_commute_km": max_km,
            "min_monthly_salary": min_salary,
        },
        "hard_to_employ": hard_to_employ,
        "poverty_monitoring": poverty_monitoring,
        "consent": {"sensitive_data": True, "share_with_employers": True},
    }
    body.update(extra)
    return body


def make_seeker(client: TestClient, **fields: Any) -> str:
    response = client.post("/v1/seekers", json=seeker_payload(**fields))
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def credit_code(serial: int, division: str = "140302") -> str:
    """A valid unified social credit code (GB 11714 organisation code + GB 32100 check)."""
    org = f"{serial:08d}"
    check = (
        11 - sum(int(c, 36) * w for c, w in zip(org, (3, 7, 9, 10, 5, 8, 4, 2), strict=True)) % 11
    )
    body = "91" + division + org + {10: "X", 11: "0"}.get(check, str(check))
    return body + uscc.calc_check_digit(body)


def make_employer(
    client: TestClient,
    *,
    accessibility: list[str] | None = None,
    kind: str = "private",
    name: str = "阳泉测试用人单位",
) -> str:
    body = {
        "name": name,
        "credit_code": credit_code(next(_serials)),
        "kind": kind,
        "district_code": "140302",
        "staff_count": 120,
        "disabled_staff": 2,
        "severe_disabled_staff": 0,
        "average_annual_wage": 60000,
        "established_posts": None,
        "accessibility": accessibility or [],
    }
    response = client.post("/v1/employers", json=body)
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def vacancy_payload(
    employer_id: str,
    *,
    title: str = "数据录入员",
    demands: dict[str, int] | None = None,
    accommodations: list[str] | None = None,
    work_mode: str = "on_site",
    employment_type: str = "full_time",
    location: dict[str, float] | None = HERE,
    district: str = "140302",
    priority_groups: list[str] | None = None,
    targeted: bool = False,
    public_welfare: bool = False,
    skills: list[str] | None = None,
    education_min: str = "none",
    salary_min: int = 3000,
    salary_max: int = 4500,
    **extra: Any,
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "employer_id": employer_id,
        "external_id": None,
        "title": title,
        "description": "测试岗位",
        "occupation_code": "4-07-05-01",
        "skills": skills if skills is not None else ["客服", "电脑打字"],
        "demands": demands or {},
        "accommodations": accommodations or [],
        "work_mode": work_mode,
        "employment_type": employment_type,
        "district_code": district,
        "location": location,
        "salary_min": salary_min,
        "salary_max": salary_max,
        "education_min": education_min,
        "openings": 2,
        "targeted": targeted,
        "priority_groups": priority_groups or [],
        "public_welfare": public_welfare,
        "closes_on": (today_in_china() + dt.timedelta(days=60)).isoformat(),
    }
    body.update(extra)
    return body


def make_vacancy(client: TestClient, employer_id: str, **fields: Any) -> str:
    response = client.post("/v1/vacancies", json=vacancy_payload(employer_id, **fields))
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def seeker_matches(client: TestClient, seeker_id: str, limit: int = 200) -> dict[str, Any]:
    response = client.get(f"/v1/seekers/{seeker_id}/matches", params={"limit": limit})
    assert response.status_code == 200, response.text
    return dict(response.json())


def matched_ids(client: TestClient, seeker_id: str) -> list[str]:
    return [i["vacancy_id"] for i in seeker_matches(client, seeker_id)["items"]]


def candidates(client: TestClient, vacancy_id: str, limit: int = 200) -> dict[str, Any]:
    response = client.get(f"/v1/vacancies/{vacancy_id}/matches", params={"limit": limit})
    assert response.status_code == 200, response.text
    return dict(response.json())


def pair(client: TestClient, seeker_id: str, vacancy_id: str) -> dict[str, Any]:
    response = client.get(f"/v1/seekers/{seeker_id}/matches/{vacancy_id}")
    assert response.status_code == 200, response.text
    return dict(response.json())


def codes(verdict: dict[str, Any]) -> set[str]:
    return {b["code"] for b in verdict["blocking"]}


def blocks(verdict: dict[str, Any], code: str) -> list[dict[str, Any]]:
    return [b for b in verdict["blocking"] if b["code"] == code]


def assert_eligible(client: TestClient, seeker_id: str, vacancy_id: str) -> dict[str, Any]:
    """Eligible by the pair verdict and present in the seeker's list, with one score."""
    verdict = pair(client, seeker_id, vacancy_id)
    assert verdict["eligible"] is True, verdict["blocking"]
    assert verdict["blocking"] == []
    assert isinstance(verdict["score"], float)
    listed = {i["vacancy_id"]: i for i in seeker_matches(client, seeker_id)["items"]}
    assert vacancy_id in listed, f"{vacancy_id} eligible but not listed"
    assert abs(listed[vacancy_id]["score"] - verdict["score"]) < 1e-6
    return listed[vacancy_id]


def assert_blocked(
    client: TestClient, seeker_id: str, vacancy_id: str, *expected: str
) -> dict[str, Any]:
    """Not eligible, blocked for (at least) the expected codes, and never listed."""
    verdict = pair(client, seeker_id, vacancy_id)
    assert verdict["eligible"] is False
    assert verdict["score"] is None
    assert set(expected) <= codes(verdict), verdict["blocking"]
    for b in verdict["blocking"]:
        assert b["message"] and b["message_en"]
    assert vacancy_id not in matched_ids(client, seeker_id)
    return verdict
