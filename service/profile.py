"""Facts derived from a seeker's record: age, working age, priority groups."""

from __future__ import annotations

import datetime as dt

from service.models.enums import Category, Education, PriorityGroup, Sex
from service.rules import DomainRules


def years_before(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def age_on(birth: dt.date, day: dt.date) -> int:
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


def is_working_age(birth: dt.date, sex: Sex, day: dt.date, rules: DomainRules) -> bool:
    if age_on(birth, day) < rules.min_working_age:
        return False
    return day < rules.retirement[sex.value].retirement_date(birth)


def graduate_levels(rules: DomainRules) -> list[str]:
    floor = Education(rules.graduate_min_education).level
    return [e.value for e in Education if e.level >= floor]


def priority_groups(*, education: Education, graduation_date: dt.date | None,
                    hukou: str, hard_to_employ: bool, poverty_monitoring: bool,
                    category: Category, grade: int, day: dt.date,
                    rules: DomainRules) -> list[PriorityGroup]:
    groups: list[PriorityGroup] = []
    if (education.value in graduate_levels(rules) and graduation_date is not None
            and graduation_date >= years_before(day, rules.graduate_window_years)):
        groups.append(PriorityGroup.graduate)
    if hukou == "rural":
        groups.append(PriorityGroup.rural)
    if hard_to_employ:
        groups.append(PriorityGroup.hard_to_employ)
    if poverty_monitoring:
        groups.append(PriorityGroup.poverty_monitoring)
    if grade in rules.severe_grades:
        groups.append(PriorityGroup.severe_disability)
    if category is Category.visual:
        groups.append(PriorityGroup.blind)
    return groups
