"""Single figures for the plans' targets, unsuppressed (the caller suppresses small ones).

Each is computed by the same queries as the tables, so a target's figure is the total of
the matching table."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlmodel import Session

from service.context import Context
from service.models.enums import EmploymentForm, PriorityGroup
from service.models.stats import RateDefinition
from service.repositories import stats_casework as repo
from service.repositories import targets as targets_repo
from service.rules import CHINA_TZ
from service.services.stats_casework import group_conditions, year_bounds
from service.services.stats_rates import rate_rows


@dataclass(frozen=True)
class Fraction:
    numerator: int
    denominator: int

    @property
    def value(self) -> float | None:
        return self.numerator / self.denominator if self.denominator else None


def area_prefix(district: str) -> str:
    """The code prefix of a province (xx0000), city (xxxx00) or county code."""
    if district[2:] == "0000":
        return district[:2]
    return district[:4] if district[4:] == "00" else district


def _inside(district: str, code: str) -> bool:
    return code.startswith(area_prefix(district))


def new_employment(
    session: Session,
    ctx: Context,
    *,
    district: str,
    year_from: int,
    year_to: int,
    until: dt.date,
    rural_only: bool = False,
    form: str | None = None,
) -> int:
    """Job starts counted as new employment in the years, none after ``until`` (rural: by
    hukou)."""
    total = 0
    for year in range(year_from, year_to + 1):
        start, end = year_bounds(year, until=until)
        groups = group_conditions(ctx, [PriorityGroup.rural] if rural_only else [], end)
        for row in repo.new_employment(session, start=start, end=end, groups=groups):
            if not _inside(district, row["district"]):
                continue
            if rural_only and PriorityGroup.rural.value not in row["groups"]:
                continue
            if form is not None and row["form"] != form:
                continue
            total += int(row["n"])
    return total


def employment_rate(
    session: Session, ctx: Context, *, district: str, on: dt.date, definition: RateDefinition
) -> Fraction:
    rows = [
        r
        for r in rate_rows(session, ctx, on=on, definition=definition)
        if _inside(district, r.values["district"])
    ]
    return Fraction(
        numerator=sum(r.count for r in rows if r.groups), denominator=sum(r.count for r in rows)
    )


def training_person_times(
    session: Session,
    *,
    district: str,
    year_from: int,
    year_to: int,
    until: dt.date,
    kind: str | None = None,
) -> int:
    """Training records dated in the years, none after ``until`` (each one person-time);
    ``kind``: only vocational or only rural practical courses."""
    total = 0
    for year in range(year_from, year_to + 1):
        start, end = year_bounds(year, until=until)
        total += sum(
            int(r["n"])
            for r in repo.training(session, start=start, end=end, groups={})
            if _inside(district, r["district"]) and (kind is None or r["kind"] == kind)
        )
    return total


def public_welfare_share(
    session: Session, ctx: Context, *, district: str, year_from: int, year_to: int, until: dt.date
) -> Fraction:
    """Public-welfare job starts of people with disabilities (new employment in the
    public-welfare form) over the public-welfare posts registered with the service
    (openings of vacancies flagged public_welfare, created in the years)."""
    filled = new_employment(
        session,
        ctx,
        district=district,
        year_from=year_from,
        year_to=year_to,
        until=until,
        form=EmploymentForm.public_welfare.value,
    )
    posts = 0
    for year in range(year_from, year_to + 1):
        start, end = year_bounds(year, until=until)
        begin = dt.datetime.combine(start, dt.time(), CHINA_TZ)
        stop = dt.datetime.combine(end + dt.timedelta(days=1), dt.time(), CHINA_TZ)
        posts += sum(
            int(r["openings"])
            for r in targets_repo.public_welfare_openings(session, start=begin, end=stop)
            if _inside(district, r["district"])
        )
    return Fraction(numerator=filled, denominator=posts)
