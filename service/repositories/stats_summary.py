"""SQL for stored statistics summaries and the write generation they are checked against."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, col

from service.models.base import as_utc
from service.models.tables import StatsGeneration, StatsSummary

_SUMMARY = StatsSummary.__table__  # type: ignore[attr-defined]


def generation(session: Session) -> int:
    """The write generation now (0 before the first write moved it)."""
    newest = session.execute(sa.select(sa.func.max(col(StatsGeneration.n)))).scalar()
    return int(newest or 0)


def find(session: Session, key: str) -> tuple[int, dt.datetime, str] | None:
    """(generation, computed_at, body) of the summary stored under ``key``."""
    row = session.execute(
        sa.select(
            col(StatsSummary.generation), col(StatsSummary.computed_at), col(StatsSummary.body)
        ).where(col(StatsSummary.key) == key)
    ).first()
    return None if row is None else (int(row[0]), as_utc(row[1]), row[2])


def keep(
    session: Session,
    *,
    key: str,
    generation: int,
    computed_at: dt.datetime,
    body: str,
    forget_before: dt.datetime,
) -> None:
    """Store (or replace: a concurrent reader may have stored it meanwhile) one summary,
    and drop those computed before ``forget_before``."""
    make_insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    values = {"key": key, "generation": generation, "computed_at": computed_at, "body": body}
    stmt = make_insert(_SUMMARY).values(values)
    stmt = stmt.on_conflict_do_update(
        index_elements=["key"],
        set_={"generation": generation, "computed_at": computed_at, "body": body},
    )
    session.execute(stmt)
    session.execute(sa.delete(StatsSummary).where(col(StatsSummary.computed_at) < forget_before))
