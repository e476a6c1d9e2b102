"""SQL for the plans' targets, and the one figure of theirs no statistics table has (the
public-welfare posts registered with the service)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select

from service.models.tables import Vacancy
from service.models.tables_stats import PlanTarget


@dataclass(frozen=True)
class TargetFilter:
    plan: str | None = None
    district_code: str | None = None  # a code prefix
    year: int | None = None  # targets whose span includes it


def get(session: Session, target_id: str) -> PlanTarget | None:
    return session.get(PlanTarget, target_id)


def listed(session: Session, flt: TargetFilter) -> list[PlanTarget]:
    stmt = select(PlanTarget)
    if flt.plan:
        stmt = stmt.where(PlanTarget.plan == flt.plan)
    if flt.district_code:
        stmt = stmt.where(col(PlanTarget.district_code).startswith(flt.district_code))
    if flt.year is not None:
        stmt = stmt.where(
            col(PlanTarget.year_from) <= flt.year, col(PlanTarget.year_to) >= flt.year
        )
    stmt = stmt.order_by(
        col(PlanTarget.district_code),
        col(PlanTarget.plan),
        col(PlanTarget.year_from),
        col(PlanTarget.id),
    )
    return list(session.exec(stmt).all())


def save(session: Session, target: PlanTarget) -> PlanTarget:
    session.add(target)
    session.flush()
    return target


def delete(session: Session, target: PlanTarget) -> None:
    session.delete(target)
    session.flush()


def public_welfare_openings(
    session: Session, *, start: dt.datetime, end: dt.datetime
) -> list[dict[str, Any]]:
    """Openings of vacancies flagged public_welfare created in [start, end), by county
    (whatever their status now: a post filled or closed was still set up)."""
    stmt: Any = (
        sa.select(
            col(Vacancy.district_code).label("district"),
            sa.func.sum(col(Vacancy.openings)).label("openings"),
        )
        .where(
            col(Vacancy.public_welfare).is_(True),
            col(Vacancy.created_at) >= start,
            col(Vacancy.created_at) < end,
        )
        .group_by(col(Vacancy.district_code))
    )
    return [dict(r._mapping) for r in session.execute(stmt)]
