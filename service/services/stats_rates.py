"""Employment rates (both of the plans' bases) and "four ones" coverage."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from sqlmodel import Session

from service.access import Principal
from service.context import Context
from service.models.enums import Sex
from service.models.stats import DistrictLevel, RateDefinition, StatsCell, StatsTable
from service.profile import AGE_BANDS, age_band, working_age_births
from service.repositories import stats_casework as repo
from service.rules import today_in_china
from service.services.stats_scope import check_day, jurisdiction
from service.services.stats_seekers import SUPPRESSION, start_of_day_after
from service.services.stats_summary import summarised
from service.services.stats_tables import Ask, Row, check_ask, publish

# The erased remainder keeps an age band, not a birth date: the bands wholly past the
# youngest working age and below the open top band stand for "working age".
WORKING_BANDS = tuple(age_band(b) for b in AGE_BANDS[:-1])

RATE_DEFINITIONS = {
    RateDefinition.able_to_work: (
        "employed people among those of working age whose newest basic information check "
        "(基础信息核对) up to the day found them able to work (labour capacity full or "
        "partial): Yangquan's 有劳动能力的残疾人就业率; people never checked are not in the "
        "base"
    ),
    RateDefinition.certificate_holders: (
        "employed people among registered certificate holders of working age: Liaocheng's "
        "就业年龄段持证残疾人就业率"
    ),
}
ERASED_NOTE = (
    "; the erased remainder counts by the age band and status it kept "
    f"(bands {', '.join(WORKING_BANDS)} stand for working age)"
)


def population_params(ctx: Context, on: dt.date) -> dict[str, Any]:
    """Who is of working age and registered on ``on``, as the repository needs it."""
    return {
        "registered_before": start_of_day_after(on),
        "registered_month": f"{on:%Y-%m}",
        "status_on": None if on >= today_in_china() else on,
        "births": {s.value: working_age_births(s, on, ctx.rules) for s in Sex},
        "working_bands": WORKING_BANDS,
    }


def rate_rows(
    session: Session, ctx: Context, *, on: dt.date, definition: RateDefinition
) -> list[Row]:
    able_on = on if definition is RateDefinition.able_to_work else None
    raw = repo.rate_population(session, able_on=able_on, **population_params(ctx, on))
    return [
        Row(
            values={"district": str(r["district"])},
            count=int(r["n"]),
            groups=frozenset({"employed"}) if r["employed"] else frozenset(),
        )
        for r in raw
    ]


def rated(
    parts: Sequence[StatsCell],
    bases: Sequence[StatsCell],
    by: Sequence[str],
    base_by: Sequence[str] | None = None,
) -> list[StatsCell]:
    """Join the parts (people in a yes/no group) to their bases (keyed by ``base_by``,
    default ``by``): count, denominator, rate; keys keep only ``by``."""
    base_by = by if base_by is None else base_by
    base_of = {tuple(c.key[n] for n in base_by): c.count for c in bases}
    out = []
    for part in parts:
        key = tuple(part.key[n] for n in base_by)
        base = base_of.get(key)
        value = part.count / base if part.count is not None and base else None
        out.append(
            StatsCell(
                key={n: part.key[n] for n in by},
                count=part.count,
                suppressed=part.count is None,
                denominator=base,
                value=value,
            )
        )
    return out


@summarised(StatsTable)
def employment_rate_table(
    session: Session,
    ctx: Context,
    principal: Principal,
    *,
    definition: RateDefinition,
    by: Sequence[str],
    district: str | None,
    district_level: DistrictLevel,
    as_of: dt.date | None,
) -> StatsTable:
    on = as_of or today_in_china()
    check_day(on, "as_of")
    ask = Ask(
        by=[*by, "employed"],
        district=jurisdiction(principal, district),
        district_level=district_level,
        group_name="employed",
    )
    check_ask(ask)
    rows = rate_rows(session, ctx, on=on, definition=definition)
    threshold = ctx.stats_threshold
    parts, _ = publish(rows, ask, groups=["employed"], threshold=threshold)
    base_ask = Ask(by=list(by), district=ask.district, district_level=district_level)
    bases, base_total = publish(rows, base_ask, groups=[], threshold=threshold)
    total_part, _ = publish(
        rows,
        Ask(by=["employed"], district=ask.district, group_name="employed"),
        groups=["employed"],
        threshold=threshold,
    )
    cells = rated(parts, bases, by)
    total = rated(total_part or [_empty()], [base_total], [])[0]
    return StatsTable(
        measure=f"employment_rate_{definition.value}",
        unit="people",
        definition=f"{RATE_DEFINITIONS[definition]} on {on}{ERASED_NOTE}",
        as_of=on,
        by=list(by),
        filters={"district": ask.district} if ask.district else {},
        threshold=threshold,
        suppression=SUPPRESSION.format(t=threshold),
        cells=cells,
        total=total,
    )


def _empty() -> StatsCell:
    return StatsCell(key={}, count=0, suppressed=False)


FOLLOWING_ONES = ("ability_assessment", "needs_registration", "employment_service")


@summarised(StatsTable)
def four_ones_table(
    session: Session,
    ctx: Context,
    principal: Principal,
    *,
    year: int,
    district: str | None,
    district_level: DistrictLevel,
) -> StatsTable:
    """Per county: the basic check among working-age people not employed at the year's end
    (or today), and the other three among those a check in the year found in need."""
    on = min(dt.date(year, 12, 31), today_in_china())
    services = repo.service_flags(session, start=dt.date(year, 1, 1), end=on)
    raw = repo.coverage(session, services=services, **population_params(ctx, on))
    everyone = [
        Row(
            values={"district": str(r["district"])},
            count=int(r["n"]),
            groups=frozenset({"basic_info_check"} if r["basic_info_check"] else ()),
        )
        for r in raw
    ]
    in_need = [
        Row(
            values={"district": str(r["district"])},
            count=int(r["n"]),
            groups=frozenset(t for t in FOLLOWING_ONES if r[t]),
        )
        for r in raw
        if r["need"]
    ]
    scope = jurisdiction(principal, district)
    threshold = ctx.stats_threshold
    cells: list[StatsCell] = []
    owed_by_all = StatsCell(key={}, count=0, suppressed=False)
    for rows, services_owed in ((everyone, ["basic_info_check"]), (in_need, FOLLOWING_ONES)):
        ask = Ask(
            by=["district", "service"],
            district=scope,
            district_level=district_level,
            group_name="service",
        )
        check_ask(ask)
        parts, _ = publish(rows, ask, groups=list(services_owed), threshold=threshold)
        bases, base_total = publish(
            rows,
            Ask(by=["district"], district=scope, district_level=district_level),
            groups=[],
            threshold=threshold,
        )
        cells += rated(parts, bases, ["district", "service"], ["district"])
        if rows is everyone:
            owed_by_all = base_total
    return StatsTable(
        measure="four_ones_coverage",
        unit="people",
        year_from=year,
        year_to=year,
        definition=(
            f"{year}: the basic information check among people of working age not "
            f"employed on {on}; assessment, needs registration and employment "
            "service among those a check in the year found with an employment "
            "need; by the person's county" + ERASED_NOTE
        ),
        by=["district", "service"],
        filters={"district": scope} if scope else {},
        threshold=threshold,
        suppression=SUPPRESSION.format(t=threshold),
        cells=cells,
        total=owed_by_all,
    )
