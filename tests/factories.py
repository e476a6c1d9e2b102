"""Valid request bodies for tests, and a generator of valid resident ID numbers."""

from __future__ import annotations

import datetime as dt
from typing import Any

from stdnum.cn import ric, uscc

from service.clock import today_in_china

CATEGORY_DIGITS = {
    "visual": 1,
    "hearing": 2,
    "speech": 3,
    "physical": 4,
    "intellectual": 5,
    "mental": 6,
    "multiple": 7,
}


def id_number(birth: dt.date, sequence: int = 101, division: str = "140302") -> str:
    """A valid GB 11643 number; odd sequence = male."""
    body = f"{division}{birth:%Y%m%d}{sequence:03d}"
    return body + ric.calc_check_digit(body + "0")


def credit_code(serial: int, prefix: str = "91", division: str = "140302") -> str:
    """A valid unified social credit code (GB 11714 organisation code + GB 32100 check)."""
    org = f"{serial:08d}"
    check = (
        11 - sum(int(c, 36) * w for c, w in zip(org, (3, 7, 9, 10, 5, 8, 4, 2), strict=True)) % 11
    )
    body = prefix + division + org + {10: "X", 11: "0"}.get(check, str(check))
    return body + uscc.calc_check_digit(body)


def seeker_body(**overrides: Any) -> dict[str, Any]:
    number = overrides.pop("id_number", None) or id_number(dt.date(1995, 3, 14), 123)
    category = overrides.pop("category", "visual")
    grade = overrides.pop("grade", 2)
    body: dict[str, Any] = {
        "external_id": None,
        "name": "李明",
        "id_number": number,
        "disability": {
            "category": category,
            "grade": grade,
            "certificate_number": f"{number}{CATEGORY_DIGITS[category]}{grade}",
        },
        "hukou": "rural",
        "district_code": "140302",
        "location": {"lat": 37.86, "lon": 113.58},
        "phone": "13912345678",
        "education": "bachelor",
        "graduation_date": "2025-07-01",
        "skills": ["客服", "电脑打字"],
        "experience_years": 1,
        "abilities": {"vision": 1, "hearing": 4},
        "assessment": {"assessed_on": "2026-10-01", "assessor": "阳泉市残联评估中心"},
        "required_accommodations": ["screen_reader"],
        "preferences": {
            "occupations": ["4-07-05-01"],
            "work_modes": ["on_site", "remote"],
            "employment_types": ["full_time"],
            "max_commute_km": 15,
            "min_monthly_salary": 2500,
        },
        "hard_to_employ": False,
        "poverty_monitoring": False,
        "consent": {"sensitive_data": True, "share_with_employers": True},
    }
    body.update(overrides)
    return body


def employer_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "name": "阳泉某某集团有限公司",
        "credit_code": "91110000600037341L",
        "kind": "soe",
        "district_code": "140302",
        "staff_count": 420,
        "disabled_staff": 3,
        "severe_disabled_staff": 1,
        "average_annual_wage": 68000,
        "established_posts": None,
        "accessibility": ["step_free_access", "accessible_toilet"],
    }
    body.update(overrides)
    return body


def vacancy_body(employer_id: str, **overrides: Any) -> dict[str, Any]:
    closes = today_in_china() + dt.timedelta(days=60)
    body: dict[str, Any] = {
        "employer_id": employer_id,
        "external_id": None,
        "title": "电话客服专员",
        "description": "接听客户来电，解答咨询。",
        "occupation_code": "4-07-05-01",
        "skills": ["客服", "普通话"],
        "demands": {"hearing": 3, "speech": 3, "vision": 1},
        "accommodations": ["flexible_hours"],
        "work_mode": "on_site",
        "employment_type": "full_time",
        "district_code": "140302",
        "location": {"lat": 37.86, "lon": 113.58},
        "salary_min": 3000,
        "salary_max": 4500,
        "education_min": "senior_secondary",
        "openings": 3,
        "targeted": True,
        "priority_groups": ["graduate"],
        "public_welfare": False,
        "closes_on": closes.isoformat(),
    }
    body.update(overrides)
    return body
