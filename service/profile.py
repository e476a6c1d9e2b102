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


# Lower bounds of the age bands statistics use (the erased remainder keeps its band).
AGE_BANDS = (16, 25, 35, 45, 55)


def age_band(age: int) -> str:
    """'0-15', '16-24', … '55+'."""
    if age < AGE_BANDS[0]:
        return f"0-{AGE_BANDS[0] - 1}"
    lower = max(b for b in AGE_BANDS if b <= age)
    following = [b for b in AGE_BANDS if b > lower]
    return f"{lower}-{following[0] - 1}" if following else f"{lower}+"


def age_band_cutoffs(day: dt.date) -> list[tuple[str, dt.date]]:
    """(band, latest birth date in it) on ``day``, oldest band first: for SQL."""
    return [(age_band(b), years_before(day, b)) for b in reversed(AGE_BANDS)]


def graduate_levels(rules: DomainRules) -> list[str]:
    floor = Education(rules.graduate_min_education).level
    return [e.value for e in Education if e.level >= floor]


def priority_groups(
    *,
    education: Education,
    graduation_date: dt.date | None,
    hukou: str,
    hard_to_employ: bool,
    poverty_monitoring: bool,
    category: Category,
    grade: int,
    day: dt.date,
    rules: DomainRules,
) -> list[PriorityGroup]:
    groups: list[PriorityGroup] = []
    if (
        education.value in graduate_levels(rules)
        and graduation_date is not None
        and graduation_date >= years_before(day, rules.graduate_window_years)
    ):
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


def working_age_births(sex: Sex, day: dt.date, rules: DomainRules) -> tuple[dt.date, dt.date]:
    """The births of people of working age on ``day``: after the first value, up to and
    including the second (as :func:`is_working_age`; retirement moves monotonically with
    the birth date, so the range is found by bisection, for SQL)."""
    track = rules.retirement[sex.value]
    latest = years_before(day, rules.min_working_age)
    low, high = dt.date(1900, 1, 1).toordinal(), latest.toordinal()
    # the last birth already retired on `day` (retirement_date <= day)
    while low < high:
        middle = (low + high + 1) // 2
        if track.retirement_date(dt.date.fromordinal(middle)) <= day:
            low = middle
        else:
            high = middle - 1
    return dt.date.fromordinal(low), latest
