"""Counts of registered seekers, as of a date, broken down and suppressed."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlmodel import Session

from service.access import Principal
from service.context import Context
from service.models.enums import PriorityGroup
from service.models.stats import DistrictLevel, StatsTable
from service.profile import age_band, age_band_cutoffs
from service.repositories import stats_seekers as repo
from service.repositories.seekers import group_condition
from service.rules import CHINA_TZ, today_in_china
from service.services.seekers import group_rules
from service.services.stats_scope import check_day, jurisdiction
from service.services.stats_summary import summarised
from service.services.stats_tables import GROUP, Ask, Row, check_ask, publish

SUPPRESSION = (
    "cells of fewer than {t} people are suppressed, and so are other cells (empty "
    "ones too, listed as suppressed) so that none can be recomputed from this "
    "table, its margins and the coarser tables together (complementary "
    "suppression): see docs/privacy.md for the method and its limits"
)
DEFINITION = (
    "people registered on or before {d} (the erased remainder included, with the "
    "status and age band they had when erased); status and age as of that day; "
    "a person counts in every priority group they belong to"
)


def start_of_day_after(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), CHINA_TZ)


def seeker_rows(
    session: Session,
    ctx: Context,
    *,
    fields: Sequence[str],
    groups: Sequence[PriorityGroup],
    on: dt.date,
) -> list[Row]:
    """Grouped counts of the registry and the erased remainder on ``on``."""
    rules = group_rules(ctx.rules, on)
    query = repo.SeekerQuery(
        fields=fields,
        registered_before=start_of_day_after(on),
        status_on=None if on >= today_in_china() else on,
        age_cutoffs=age_band_cutoffs(on),
        youngest_band=age_band(0),
        groups={g.value: group_condition(g, rules) for g in groups},
        registered_month=f"{on:%Y-%m}",
    )
    rows = [
        Row(
            values={f: str(r[f]) for f in fields},
            count=int(r["n"]),
            groups=frozenset(g.value for g in groups if r[f"g_{g.value}"]),
        )
        for r in repo.seeker_counts(session, query)
    ]
    rows += [
        Row(
            values={f: str(r[f]) for f in fields},
            count=int(r["n"]),
            groups=r["groups"] & {g.value for g in groups},
        )
        for r in repo.erased_counts(session, query)
    ]
    return rows


@summarised(StatsTable)
def seekers_table(
    session: Session,
    ctx: Context,
    principal: Principal,
    *,
    by: Sequence[str],
    filters: dict[str, str],
    district: str | None,
    district_level: DistrictLevel,
    as_of: dt.date | None,
) -> StatsTable:
    on = as_of or today_in_china()
    check_day(on, "as_of")
    ask = Ask(
        by=list(by),
        filters=filters,
        district=jurisdiction(principal, district),
        district_level=district_level,
    )
    check_ask(ask)
    fields = sorted({*ask.by, *ask.filters, *(["district"] if ask.district else [])} - {GROUP})
    if GROUP in ask.by:
        groups = list(PriorityGroup)
    elif GROUP in ask.filters:
        groups = [PriorityGroup(ask.filters[GROUP])]
    else:
        groups = []
    rows = seeker_rows(session, ctx, fields=fields, groups=groups, on=on)
    cells, total = publish(
        rows, ask, groups=[g.value for g in groups], threshold=ctx.stats_threshold
    )
    return StatsTable(
        measure="seekers",
        unit="people",
        definition=DEFINITION.format(d=on),
        as_of=on,
        by=list(ask.by),
        filters=_shown_filters(ask),
        threshold=ctx.stats_threshold,
        suppression=SUPPRESSION.format(t=ctx.stats_threshold),
        cells=cells,
        total=total,
    )


def _shown_filters(ask: Ask) -> dict[str, str]:
    return {**ask.filters, **({"district": ask.district} if ask.district else {})}
