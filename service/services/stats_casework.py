"""Casework statistics: new employment, the referral funnel, training, follow-up visits."""

from __future__ import annotations

import datetime as dt
import functools
from collections import defaultdict
from collections.abc import Callable, Sequence
from typing import Any

from sqlmodel import Session

from service.access import Principal
from service.context import Context
from service.errors import field_error, raise_if_errors
from service.models.enums import PriorityGroup
from service.models.stats import DistrictLevel, StatsCell, StatsTable
from service.repositories import stats_casework as repo
from service.repositories.seekers import group_condition
from service.rules import CHINA_TZ, today_in_china
from service.services import follow_ups
from service.services.seekers import group_rules
from service.services.stats_scope import jurisdiction
from service.services.stats_seekers import SUPPRESSION
from service.services.stats_summary import summarised
from service.services.stats_tables import (
    GROUP,
    Ask,
    Row,
    check_ask,
    publish,
    publish_years,
)

MAX_YEARS = 10
STAGES = ("referred", "interviewed", "hired", "retained")  # each reached by the next


def check_years(year_from: int, year_to: int) -> list[int]:
    """The calendar years asked for (422 naming the parameter otherwise)."""
    this_year = today_in_china().year
    problems = []
    if year_to > this_year:
        problems.append(field_error("year_to", "year_in_future", "this year lies ahead"))
    if year_from > year_to:
        problems.append(field_error("year_from", "after_year_to", "year_from is after year_to"))
    elif year_to - year_from + 1 > MAX_YEARS:
        problems.append(
            field_error("year_from", "too_many_years", f"at most {MAX_YEARS} years at a time")
        )
    raise_if_errors(problems)
    return list(range(year_from, year_to + 1))


def year_bounds(year: int, *, until: dt.date | None = None) -> tuple[dt.date, dt.date]:
    """From 1 January to 31 December, or to ``until`` (default today) if that is sooner."""
    return dt.date(year, 1, 1), min(dt.date(year, 12, 31), until or today_in_china())


def group_conditions(ctx: Context, groups: Sequence[PriorityGroup], on: dt.date) -> dict[str, Any]:
    rules = group_rules(ctx.rules, on)
    return {g.value: group_condition(g, rules) for g in groups}


def groups_asked(ask: Ask) -> list[PriorityGroup]:
    if GROUP in ask.by:
        return list(PriorityGroup)
    return [PriorityGroup(ask.filters[GROUP])] if GROUP in ask.filters else []


def _rows(raw: Sequence[dict[str, Any]], fields: Sequence[str]) -> list[Row]:
    return [
        Row(values={f: str(r[f]) for f in fields}, count=int(r["n"]), groups=r["groups"])
        for r in raw
    ]


def _table(
    ctx: Context,
    ask: Ask,
    cells: list[StatsCell],
    total: StatsCell,
    *,
    measure: str,
    unit: str,
    definition: str,
    years: Sequence[int],
) -> StatsTable:
    return StatsTable(
        measure=measure,
        unit=unit,
        definition=definition,
        year_from=years[0],
        year_to=years[-1],
        by=list(ask.by),
        filters={**ask.filters, **({"district": ask.district} if ask.district else {})},
        threshold=ctx.stats_threshold,
        suppression=SUPPRESSION.format(t=ctx.stats_threshold),
        cells=cells,
        total=total,
    )


def _flow(
    session: Session,
    ctx: Context,
    ask: Ask,
    years: Sequence[int],
    fetch: Callable[..., list[dict[str, Any]]],
    fields: Sequence[str],
) -> tuple[list[StatsCell], StatsCell]:
    check_ask(ask)
    groups = groups_asked(ask)
    by_year: dict[int, Sequence[Row]] = {}
    for year in years:
        start, end = year_bounds(year)
        raw = fetch(session, start=start, end=end, groups=group_conditions(ctx, groups, end))
        by_year[year] = _rows(raw, fields)
    return publish_years(
        by_year, ask, groups=[g.value for g in groups], threshold=ctx.stats_threshold
    )


@summarised(StatsTable)
def new_employment_table(
    session: Session,
    ctx: Context,
    principal: Principal,
    *,
    by: Sequence[str],
    filters: dict[str, str],
    district: str | None,
    district_level: DistrictLevel,
    years: Sequence[int],
) -> StatsTable:
    ask = Ask(
        by=list(by),
        filters=filters,
        district=jurisdiction(principal, district),
        district_level=district_level,
    )
    cells, total = _flow(
        session, ctx, ask, years, repo.new_employment, ["district", "form", "month"]
    )
    return _table(
        ctx,
        ask,
        cells,
        total,
        measure="new_employment",
        unit="job starts",
        years=years,
        definition=(
            "job starts recorded as new employment (counts_as_new), by the start "
            "date; the county is the person's at the start; a person who starts "
            "two new jobs in a year counts twice; priority groups as of the end "
            "of the year (or today); the erased remainder included"
        ),
    )


@summarised(StatsTable)
def training_table(
    session: Session,
    ctx: Context,
    principal: Principal,
    *,
    by: Sequence[str],
    filters: dict[str, str],
    district: str | None,
    district_level: DistrictLevel,
    years: Sequence[int],
) -> StatsTable:
    ask = Ask(
        by=list(by),
        filters=filters,
        district=jurisdiction(principal, district),
        district_level=district_level,
    )
    cells, total = _flow(session, ctx, ask, years, repo.training, ["district", "kind", "month"])
    return _table(
        ctx,
        ask,
        cells,
        total,
        measure="training",
        unit="person-times",
        years=years,
        definition=(
            "training courses recorded as service records, by their date; each "
            "record one person-time (vocational and rural practical apart); the "
            "county is the person's"
        ),
    )


@summarised(StatsTable)
def funnel_table(
    session: Session,
    ctx: Context,
    principal: Principal,
    *,
    by: Sequence[str],
    filters: dict[str, str],
    district: str | None,
    district_level: DistrictLevel,
    years: Sequence[int],
) -> StatsTable:
    """Referrals made in the years, by the furthest stage reached; the stages are shown
    cumulatively (referred ⊇ interviewed ⊇ hired ⊇ retained)."""
    ask = Ask(
        by=[*by, "stage"],
        filters=filters,
        district=jurisdiction(principal, district),
        district_level=district_level,
    )
    cells, total = _flow(session, ctx, ask, years, _funnel_rows, ["district", "stage"])
    return _table(
        ctx,
        ask,
        cumulative(cells, [*by]),
        total,
        measure="referral_funnel",
        unit="referrals",
        years=years,
        definition=(
            "referrals made in the years (by the day they were made), and how far "
            "each went: an interview, a hire (a placement from the referral), "
            "still employed six months after the start; each stage counts the "
            "referrals that reached it or a later one; priority groups as of the "
            "end of the year"
        ),
    )


def _funnel_rows(
    session: Session, *, start: dt.date, end: dt.date, groups: dict[str, Any]
) -> list[dict[str, Any]]:
    begin = dt.datetime.combine(start, dt.time(), CHINA_TZ)
    stop = dt.datetime.combine(end + dt.timedelta(days=1), dt.time(), CHINA_TZ)
    return repo.funnel(session, start=begin, end=stop, groups=groups)


def cumulative(cells: Sequence[StatsCell], by: Sequence[str]) -> list[StatsCell]:
    """From the furthest stage reached to the funnel: a stage's count adds the later
    stages', and is shown only if every part of it is (the parts were suppressed as one
    table, so sums of shown parts reveal nothing new)."""
    parts: dict[tuple[str, ...], dict[str, int | None]] = defaultdict(dict)
    for cell in cells:
        parts[tuple(cell.key[n] for n in by)][cell.key["stage"]] = cell.count
    out = []
    for key, stages in sorted(parts.items()):
        for i, stage in enumerate(STAGES):
            later = [stages.get(s, 0) for s in STAGES[i:]]
            count = None if any(v is None for v in later) else sum(v or 0 for v in later)
            out.append(
                StatsCell(
                    key={**dict(zip(by, key, strict=True)), "stage": stage},
                    count=count,
                    suppressed=count is None,
                )
            )
    return out


@summarised(StatsTable)
def follow_up_table(
    session: Session,
    ctx: Context,
    principal: Principal,
    *,
    district: str | None,
    district_level: DistrictLevel,
    year: int,
) -> StatsTable:
    """Follow-up milestones falling due in the year, by month (1, 3, 6, 12) and status on
    today (done, missed, overdue, due, upcoming, not needed)."""
    ask = Ask(
        by=["district", "milestone", "status"],
        district=jurisdiction(principal, district),
        district_level=district_level,
    )
    check_ask(ask)
    today = today_in_china()
    first, last = dt.date(year, 1, 1), dt.date(year, 12, 31)
    placements, visits = repo.placements_for_follow_up(
        session, started_from=follow_ups.add_months(first, -12), started_to=last
    )

    def due_in_year(start: dt.date, end: dt.date | None, seen: Sequence[Any]) -> list[Any]:
        """(milestone, status) of each milestone falling due in the year."""
        return [
            (str(month), status.value)
            for month, due, status in follow_ups.due_statuses(start, end, seen, today)
            if first <= due <= last
        ]

    # Most placements have no visit yet: theirs depend on (start, end) alone, computed once.
    unvisited = functools.cache(lambda start, end: due_in_year(start, end, ()))
    counts: dict[tuple[str, str, str], int] = defaultdict(int)
    for placement_id, district, start, end in placements:
        seen = visits.get(placement_id)
        due = unvisited(start, end) if seen is None else due_in_year(start, end, seen)
        for milestone, status in due:
            counts[(district, milestone, status)] += 1
    rows = [
        Row(values={"district": d, "milestone": m, "status": s}, count=n)
        for (d, m, s), n in counts.items()
    ]
    cells, total = publish(rows, ask, groups=[], threshold=ctx.stats_threshold)
    return _table(
        ctx,
        ask,
        cells,
        total,
        measure="follow_ups",
        unit="milestones",
        years=[year],
        definition=(
            f"follow-up milestones (1, 3, 6, 12 months after a start) due in "
            f"{year}, with their status on {today}; the erased remainder included"
        ),
    )


def year_span(year_from: int | None, year_to: int | None) -> list[int]:
    this_year = today_in_china().year
    return check_years(
        year_from if year_from is not None else (year_to or this_year),
        year_to if year_to is not None else this_year,
    )
