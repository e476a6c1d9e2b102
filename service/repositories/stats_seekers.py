"""SQL for seeker counts: one GROUP BY over the registry, one over the erased remainder."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col

from service.models.tables import ErasedSeeker, Seeker, SeekerStatusChange

# Columns a breakdown can use, by field name; `age_band` and the groups are expressions.
_PLAIN: dict[str, Any] = {
    "district": col(Seeker.district_code),
    "category": col(Seeker.category),
    "grade": col(Seeker.grade),
    "sex": col(Seeker.sex),
    "hukou": col(Seeker.hukou),
}
_ERASED: dict[str, Any] = {
    "district": col(ErasedSeeker.district_code),
    "category": col(ErasedSeeker.category),
    "grade": col(ErasedSeeker.grade),
    "sex": col(ErasedSeeker.sex),
    "hukou": col(ErasedSeeker.hukou),
    "status": col(ErasedSeeker.status),
    "age_band": col(ErasedSeeker.age_band),
}


@dataclass(frozen=True)
class SeekerQuery:
    fields: Sequence[str]  # of _PLAIN, "status", "age_band"
    registered_before: dt.datetime  # registrations up to this instant count
    status_on: dt.date | None  # None: the current status (the seeker row's projection)
    age_cutoffs: Sequence[tuple[str, dt.date]]  # (band, latest birth date), oldest first
    youngest_band: str
    groups: dict[str, Any]  # group -> SQL boolean expression over Seeker
    registered_month: str  # YYYY-MM: the erased remainder registered up to this month


def seeker_counts(session: Session, q: SeekerQuery) -> list[dict[str, Any]]:
    """Rows of the live registry: the fields asked for, one flag per group, and ``n``."""
    columns: list[Any] = []
    status_join = q.status_on is not None
    for name in q.fields:
        expr: Any
        if name == "status":
            expr = SeekerStatusChange.status if status_join else Seeker.status
        elif name == "age_band":
            expr = sa.case(
                *[(col(Seeker.birth_date) <= latest, band) for band, latest in q.age_cutoffs],
                else_=q.youngest_band,
            )
        else:
            expr = _PLAIN[name]
        columns.append(
            sa.cast(expr, sa.String).label(name) if name == "grade" else expr.label(name)
        )
    columns += [sa.case((cond, 1), else_=0).label(f"g_{g}") for g, cond in q.groups.items()]
    stmt = sa.select(*columns, sa.func.count().label("n")).select_from(Seeker)
    if status_join:
        stmt = stmt.join(
            SeekerStatusChange,
            sa.and_(
                col(SeekerStatusChange.seeker_id) == col(Seeker.id),
                col(SeekerStatusChange.date) <= q.status_on,
                sa.or_(
                    col(SeekerStatusChange.valid_to).is_(None),
                    col(SeekerStatusChange.valid_to) > q.status_on,
                ),
            ),
        )
    stmt = stmt.where(col(Seeker.created_at) < q.registered_before)
    group_by = list(range(1, len(columns) + 1))
    if group_by:
        stmt = stmt.group_by(*[sa.literal_column(str(i)) for i in group_by])
    return [dict(r._mapping) for r in session.execute(stmt)]


def erased_counts(session: Session, q: SeekerQuery) -> list[dict[str, Any]]:
    """Rows of the erased remainder (status and age band as they were at erasure); the
    groups come back as the stored list, ``groups``."""
    columns = [
        (sa.cast(_ERASED[n], sa.String) if n == "grade" else _ERASED[n]).label(n) for n in q.fields
    ]
    groups = sa.cast(ErasedSeeker.priority_groups, sa.Text).label("groups")
    stmt = (
        sa.select(*columns, groups, sa.func.count().label("n"))
        .where(col(ErasedSeeker.registered_month) <= q.registered_month)
        .group_by(*[sa.literal_column(str(i)) for i in range(1, len(columns) + 2)])
    )
    rows = []
    for r in session.execute(stmt):
        row = dict(r._mapping)
        row["groups"] = frozenset(json.loads(row["groups"]) if row["groups"] else [])
        rows.append(row)
    return rows
