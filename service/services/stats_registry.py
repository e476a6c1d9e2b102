"""Counts of employers and of open vacancies: organisations, published as they are."""

from __future__ import annotations

from collections.abc import Sequence

from sqlmodel import Session

from service.access import Principal
from service.models.stats import DistrictLevel, StatsTable
from service.repositories import stats_registry as repo
from service.rules import today_in_china
from service.services.stats_scope import jurisdiction
from service.services.stats_tables import Ask, Row, check_ask, publish

NOT_SUPPRESSED = "not suppressed: these are counts of organisations and posts, not people"


def _fields(ask: Ask) -> list[str]:
    return sorted({*ask.by, *ask.filters, *(["district"] if ask.district else [])})


def vacancies_table(
    session: Session,
    principal: Principal,
    *,
    by: Sequence[str],
    filters: dict[str, str],
    district: str | None,
    district_level: DistrictLevel,
) -> StatsTable:
    ask = Ask(
        by=list(by),
        filters=filters,
        district=jurisdiction(principal, district),
        district_level=district_level,
    )
    check_ask(ask)
    fields = _fields(ask)
    rows = [
        Row(
            values={f: str(r[f]) for f in fields},
            count=int(r["n"]),
            value=float(r["openings"] or 0),
        )
        for r in repo.open_vacancies(session, fields)
    ]
    cells, total = publish(rows, ask, groups=[], threshold=None)
    return StatsTable(
        measure="open_vacancies",
        unit="vacancies",
        as_of=today_in_china(),
        definition=(
            "open vacancies now (count), and their openings not yet filled "
            "(value); occupation is the major group of the national classification "
            "(its first digit), 'none' when not given; district is the vacancy's"
        ),
        by=list(ask.by),
        filters=_shown(ask),
        threshold=None,
        suppression=NOT_SUPPRESSED,
        cells=cells,
        total=total,
    )


def employers_table(
    session: Session,
    principal: Principal,
    *,
    by: Sequence[str],
    filters: dict[str, str],
    district: str | None,
    district_level: DistrictLevel,
) -> StatsTable:
    ask = Ask(
        by=list(by),
        filters=filters,
        district=jurisdiction(principal, district),
        district_level=district_level,
    )
    check_ask(ask)
    fields = _fields(ask)
    rows = [
        Row(values={f: str(r[f]) for f in fields}, count=int(r["n"]))
        for r in repo.employers(session, fields)
    ]
    cells, total = publish(rows, ask, groups=[], threshold=None)
    return StatsTable(
        measure="employers",
        unit="employers",
        as_of=today_in_china(),
        definition="employers registered now, by kind, county and school stage",
        by=list(ask.by),
        filters=_shown(ask),
        threshold=None,
        suppression=NOT_SUPPRESSED,
        cells=cells,
        total=total,
    )


def _shown(ask: Ask) -> dict[str, str]:
    return {**ask.filters, **({"district": ask.district} if ask.district else {})}
