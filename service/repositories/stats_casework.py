"""SQL for casework statistics: job starts, the referral funnel, services, follow-ups.

The erased remainder is counted with the groups it kept; live people with their groups
computed in SQL (``groups``: group -> condition over Seeker)."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col

from service.models.tables import (
    ErasedSeeker,
    FollowUpVisit,
    Placement,
    Referral,
    ReferralEvent,
    Seeker,
    SeekerStatusChange,
    ServiceRecord,
)
from service.repositories.placements import retained_condition, seen_at_work_after_six_months

REACHED_INTERVIEW = ("interviewed", "offered", "hired")


def _grouped(
    session: Session,
    *,
    live: tuple[Any, Sequence[Any]],
    erased: tuple[Any, Sequence[Any]],
    groups: dict[str, Any],
) -> list[dict[str, Any]]:
    """One grouped count over live people (a select joined to Seeker, and its columns) and
    one over the erased remainder (joined to ErasedSeeker); rows carry ``groups``, ``n``."""
    out: list[dict[str, Any]] = []
    stmt, columns = live
    flags = [sa.case((cond, 1), else_=0).label(f"g_{g}") for g, cond in groups.items()]
    width = len(columns) + len(flags)
    stmt = stmt.add_columns(*columns, *flags, sa.func.count().label("n")).group_by(
        *[sa.literal_column(str(i)) for i in range(1, width + 1)]
    )
    for r in session.execute(stmt):
        row = dict(r._mapping)
        row["groups"] = frozenset(g for g in groups if row.pop(f"g_{g}"))
        out.append(row)
    stmt, columns = erased
    kept = sa.cast(ErasedSeeker.priority_groups, sa.Text).label("kept")
    stmt = stmt.add_columns(*columns, kept, sa.func.count().label("n")).group_by(
        *[sa.literal_column(str(i)) for i in range(1, len(columns) + 2)]
    )
    for r in session.execute(stmt):
        row = dict(r._mapping)
        kept_groups = json.loads(row.pop("kept") or "[]")
        row["groups"] = frozenset(g for g in kept_groups if g in groups)
        out.append(row)
    return out


def _people(base: Any, seeker_id: Any, columns: Sequence[Any]) -> dict[str, Any]:
    """The live and erased halves of ``base``, with the person's county as ``district``
    ahead of ``columns``."""
    return {
        "live": (
            base.join(Seeker, col(Seeker.id) == seeker_id),
            [col(Seeker.district_code).label("district"), *columns],
        ),
        "erased": (
            base.join(ErasedSeeker, col(ErasedSeeker.id) == seeker_id),
            [col(ErasedSeeker.district_code).label("district"), *columns],
        ),
    }


def new_employment(
    session: Session, *, start: dt.date, end: dt.date, groups: dict[str, Any]
) -> list[dict[str, Any]]:
    """Job starts that count as new employment, ``start`` <= start_date <= ``end``, by
    county (the person's at the start), form and month."""
    month = sa.func.substr(sa.cast(Placement.start_date, sa.String), 1, 7).label("month")
    columns = [
        col(Placement.district_code).label("place"),
        col(Placement.form).label("form"),
        month,
    ]
    base = (
        sa.select()
        .select_from(Placement)
        .where(
            col(Placement.counts_as_new).is_(True),
            col(Placement.start_date) >= start,
            col(Placement.start_date) <= end,
        )
    )
    rows = _grouped(session, groups=groups, **_people(base, Placement.seeker_id, columns))
    for row in rows:  # the county at the start, not where the person lives now
        row["district"] = row.pop("place")
    return rows


def funnel(
    session: Session, *, start: dt.datetime, end: dt.datetime, groups: dict[str, Any]
) -> list[dict[str, Any]]:
    """Referrals made in [start, end), by the person's county and the furthest stage
    reached: referred, interviewed, hired, retained (at six months).  Joins, not a
    subquery per referral: at a million people the correlated form took seconds."""
    seen_after = seen_at_work_after_six_months()
    # An event comes after its referral was made, so none before ``start`` can matter.
    interviewed = (
        sa.select(col(ReferralEvent.referral_id).label("referral_id"))
        .where(col(ReferralEvent.to_status).in_(REACHED_INTERVIEW), col(ReferralEvent.at) >= start)
        .distinct()
        .subquery("interviewed")
    )
    hired = col(Placement.id).is_not(None)
    retained = retained_condition(True, seen_after=seen_after.c.placement_id.is_not(None))
    stage = sa.case(
        (sa.and_(hired, retained), "retained"),
        (hired, "hired"),
        (col(Referral.status).in_(REACHED_INTERVIEW), "interviewed"),
        (interviewed.c.referral_id.is_not(None), "interviewed"),
        else_="referred",
    ).label("stage")
    base = (
        sa.select()
        .select_from(Referral)
        .outerjoin(Placement, col(Placement.referral_id) == col(Referral.id))
        .outerjoin(seen_after, seen_after.c.placement_id == col(Placement.id))
        .outerjoin(interviewed, interviewed.c.referral_id == col(Referral.id))
        .where(col(Referral.created_at) >= start, col(Referral.created_at) < end)
    )
    return _grouped(session, groups=groups, **_people(base, Referral.seeker_id, [stage]))


def service_flags(session: Session, *, start: dt.date, end: dt.date) -> Any:
    """Per person with a service in [start, end]: which of the four ones they had, and
    whether a basic check found an employment need (a subquery to join people to)."""
    t, d = col(ServiceRecord.type), col(ServiceRecord.date)

    def has(condition: Any) -> Any:
        return sa.func.max(sa.case((condition, 1), else_=0))

    need = ServiceRecord.details["has_employment_need"].as_boolean()  # type: ignore[index]
    return (
        sa.select(
            col(ServiceRecord.seeker_id).label("seeker_id"),
            has(t == "basic_info_check").label("basic_info_check"),
            has(sa.and_(t == "basic_info_check", need.is_(True))).label("need"),
            has(t == "ability_assessment").label("ability_assessment"),
            has(t == "needs_registration").label("needs_registration"),
            has(t == "employment_service").label("employment_service"),
        )
        .where(
            col(d) >= start,
            col(d) <= end,
            col(t).in_(
                (
                    "basic_info_check",
                    "ability_assessment",
                    "needs_registration",
                    "employment_service",
                )
            ),
        )
        .group_by(col(ServiceRecord.seeker_id))
        .subquery("services")
    )


def training(
    session: Session, *, start: dt.date, end: dt.date, groups: dict[str, Any]
) -> list[dict[str, Any]]:
    """Training courses (person-times) dated in [start, end], by the person's county and
    the course kind."""
    kind = ServiceRecord.details["kind"].as_string().label("kind")  # type: ignore[index]
    month = sa.func.substr(sa.cast(ServiceRecord.date, sa.String), 1, 7).label("month")
    base = (
        sa.select()
        .select_from(ServiceRecord)
        .where(
            col(ServiceRecord.type) == "training",
            col(ServiceRecord.date) >= start,
            col(ServiceRecord.date) <= end,
        )
    )
    return _grouped(session, groups=groups, **_people(base, ServiceRecord.seeker_id, [kind, month]))


def placements_for_follow_up(
    session: Session, *, started_from: dt.date, started_to: dt.date
) -> tuple[list[tuple[str, str, dt.date, dt.date | None]], dict[str, list[Any]]]:
    """Placements started in the range as (id, county, start, end), and their visits by
    placement id (rows with id, date and still_employed)."""
    started = (col(Placement.start_date) >= started_from, col(Placement.start_date) <= started_to)
    rows = session.execute(
        sa.select(
            col(Placement.id),
            col(Placement.district_code),
            col(Placement.start_date),
            col(Placement.end_date),
        ).where(*started)
    ).tuples()
    placements = list(rows)  # read before the next statement
    visits: dict[str, list[Any]] = {}
    for v in session.execute(
        sa.select(
            col(FollowUpVisit.placement_id),
            col(FollowUpVisit.id),
            col(FollowUpVisit.date),
            col(FollowUpVisit.still_employed),
        )
        .join(Placement, col(Placement.id) == col(FollowUpVisit.placement_id))
        .where(*started)
    ):
        visits.setdefault(v.placement_id, []).append(v)
    return placements, visits


FOUR_ONES = ("basic_info_check", "ability_assessment", "needs_registration", "employment_service")


def _status_on(live: Any, status_on: dt.date | None) -> tuple[Any, Any]:
    """The query joined to each seeker's status on ``status_on`` (None: the current one),
    and the column holding that status."""
    if status_on is None:
        return live, Seeker.status
    return live.join(
        SeekerStatusChange,
        sa.and_(
            col(SeekerStatusChange.seeker_id) == col(Seeker.id),
            col(SeekerStatusChange.date) <= status_on,
            sa.or_(
                col(SeekerStatusChange.valid_to).is_(None),
                col(SeekerStatusChange.valid_to) > status_on,
            ),
        ),
    ), SeekerStatusChange.status


def _working_age(births: dict[str, tuple[dt.date, dt.date]]) -> Any:
    """Born within the working-age window of the person's sex."""
    return sa.or_(
        *[
            sa.and_(
                col(Seeker.sex) == sex,
                col(Seeker.birth_date) > after,
                col(Seeker.birth_date) <= upto,
            )
            for sex, (after, upto) in births.items()
        ]
    )


def coverage(
    session: Session,
    *,
    services: Any,
    registered_before: dt.datetime,
    registered_month: str,
    status_on: dt.date | None,
    births: dict[str, tuple[dt.date, dt.date]],
    working_bands: Sequence[str],
) -> list[dict[str, Any]]:
    """Working-age people not employed on ``status_on`` (None: now), by county, with the
    services subquery's flags (0 when they had none); erased people by their age band."""
    flags = [sa.func.coalesce(services.c[name], 0).label(name) for name in (*FOUR_ONES, "need")]
    live: Any = sa.select(
        col(Seeker.district_code).label("district"), *flags, sa.func.count().label("n")
    ).select_from(Seeker)
    live, status = _status_on(live, status_on)
    working_age = _working_age(births)
    live = (
        live.outerjoin(services, services.c.seeker_id == Seeker.id)
        .where(col(Seeker.created_at) < registered_before, working_age, status != "employed")
        .group_by(*[sa.literal_column(str(i)) for i in range(1, len(flags) + 2)])
    )
    erased: Any = (
        sa.select(
            col(ErasedSeeker.district_code).label("district"), *flags, sa.func.count().label("n")
        )
        .select_from(ErasedSeeker)
        .outerjoin(services, services.c.seeker_id == ErasedSeeker.id)
        .where(
            col(ErasedSeeker.age_band).in_(working_bands),
            col(ErasedSeeker.status) != "employed",
            col(ErasedSeeker.registered_month) <= registered_month,
        )
        .group_by(*[sa.literal_column(str(i)) for i in range(1, len(flags) + 2)])
    )
    return [dict(r._mapping) for stmt in (live, erased) for r in session.execute(stmt)]


def latest_capacity(on: dt.date) -> Any:
    """Per person, the labour capacity their newest basic check up to ``on`` found."""
    capacity = ServiceRecord.details["labour_capacity"].as_string()  # type: ignore[index]
    newest = sa.func.row_number().over(
        partition_by=ServiceRecord.seeker_id,
        order_by=(col(ServiceRecord.date).desc(), col(ServiceRecord.id).desc()),
    )
    ranked = (
        sa.select(
            col(ServiceRecord.seeker_id).label("seeker_id"),
            capacity.label("capacity"),
            newest.label("rank"),
        )
        .where(col(ServiceRecord.type) == "basic_info_check", col(ServiceRecord.date) <= on)
        .subquery("checks")
    )
    return (
        sa.select(ranked.c.seeker_id, ranked.c.capacity)
        .where(ranked.c.rank == 1)
        .subquery("capacity")
    )


def rate_population(
    session: Session,
    *,
    registered_before: dt.datetime,
    registered_month: str,
    status_on: dt.date | None,
    births: dict[str, tuple[dt.date, dt.date]],
    working_bands: Sequence[str],
    able_on: dt.date | None,
) -> list[dict[str, Any]]:
    """Working-age people registered by then, by county and whether employed on
    ``status_on`` (None: now); ``able_on``: only those whose newest basic check up to that
    day found them able to work (labour capacity full or partial)."""
    live: Any = sa.select(col(Seeker.district_code).label("district")).select_from(Seeker)
    live, status = _status_on(live, status_on)
    working_age = _working_age(births)
    live = live.where(col(Seeker.created_at) < registered_before, working_age)
    erased: Any = (
        sa.select(col(ErasedSeeker.district_code).label("district"))
        .select_from(ErasedSeeker)
        .where(
            col(ErasedSeeker.age_band).in_(working_bands),
            col(ErasedSeeker.registered_month) <= registered_month,
        )
    )
    if able_on is not None:
        able = latest_capacity(able_on)
        live = live.join(able, able.c.seeker_id == Seeker.id).where(
            able.c.capacity.in_(("full", "partial"))
        )
        erased = erased.join(able, able.c.seeker_id == ErasedSeeker.id).where(
            able.c.capacity.in_(("full", "partial"))
        )
    out = []
    for stmt, employed in (
        (live, status == "employed"),
        (erased, col(ErasedSeeker.status) == "employed"),
    ):
        flag = sa.case((employed, 1), else_=0).label("employed")
        grouped = stmt.add_columns(flag, sa.func.count().label("n")).group_by(
            sa.literal_column("1"), sa.literal_column("2")
        )
        out += [dict(r._mapping) for r in session.execute(grouped)]
    return out
