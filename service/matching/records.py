"""Database rows → the plain matching records that ``arrays`` encodes."""

from __future__ import annotations

import datetime as dt
from typing import Any

from service.matching.dimensions import estimate_abilities
from service.models.enums import Category, Education, PriorityGroup, Sex
from service.models.tables import Employer, Seeker, Vacancy
from service.profile import graduate_levels, priority_groups
from service.rules import DomainRules, today_in_china


def vacancy_record(vacancy: Vacancy, employer: Employer) -> dict[str, Any]:
    return {
        "id": vacancy.id,
        "employer_id": vacancy.employer_id,
        "title": vacancy.title,
        "employer_name": employer.name,
        "employer_kind": employer.kind,
        "demands": vacancy.demands,
        "accommodations": vacancy.accommodations,
        "premises": employer.accessibility,
        "work_mode": vacancy.work_mode,
        "employment_type": vacancy.employment_type,
        "lat": vacancy.lat,
        "lon": vacancy.lon,
        "district_code": vacancy.district_code,
        "salary_min": vacancy.salary_min,
        "salary_max": vacancy.salary_max,
        "education_min": vacancy.education_min,
        "open": vacancy.status == "open" and vacancy.openings > 0,
        "closes_on": vacancy.closes_on,
        "targeted": vacancy.targeted,
        "public_welfare": vacancy.public_welfare,
        "priority_groups": vacancy.priority_groups,
        "restricted": vacancy.restricted,
        "occupation_code": vacancy.occupation_code,
        "skills": vacancy.skills,
    }


def _add_years(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def seeker_record(seeker: Seeker, rules: DomainRules) -> dict[str, Any]:
    abilities, estimated = estimate_abilities(
        seeker.category, seeker.grade, seeker.abilities_assessed
    )
    # Every group but "graduate" is fixed by the record; that one expires with time.
    groups = priority_groups(
        education=Education(seeker.education),
        graduation_date=None,
        hukou=seeker.hukou,
        hard_to_employ=seeker.hard_to_employ,
        poverty_monitoring=seeker.poverty_monitoring,
        category=Category(seeker.category),
        grade=seeker.grade,
        day=today_in_china(),
        rules=rules,
    )
    degree = seeker.education in graduate_levels(rules)
    prefs = seeker.preferences
    return {
        "id": seeker.id,
        "abilities": abilities,
        "estimated": estimated,
        "required": seeker.required_accommodations,
        "work_modes": prefs["work_modes"],
        "employment_types": prefs["employment_types"],
        "max_commute_km": prefs["max_commute_km"],
        "min_salary": prefs.get("min_monthly_salary"),
        "lat": seeker.lat,
        "lon": seeker.lon,
        "district_code": seeker.district_code,
        "education": seeker.education,
        "groups": [g.value for g in groups if g is not PriorityGroup.graduate],
        "degree_graduation": seeker.graduation_date if degree else None,
        "seeking": seeker.status == "seeking",
        "consented": seeker.consent_sensitive_data,
        "shared": seeker.consent_share_with_employers,
        "adult_from": _add_years(seeker.birth_date, rules.min_working_age),
        "retire_on": rules.retirement[Sex(seeker.sex).value].retirement_date(seeker.birth_date),
        "category": seeker.category,
        "grade": seeker.grade,
        "occupations": prefs.get("occupations", []),
        "experience_years": seeker.experience_years,
        "skills": seeker.skills,
    }
