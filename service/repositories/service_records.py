"""SQL for service records (the "four ones" and training)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import and_, func, or_
from sqlmodel import Session, col, select

from service.models.tables import ServiceRecord
from service.repositories.pagination import PageParams, encode_cursor


@dataclass(frozen=True)
class ServiceFilter:
    type: str | None = None
    since: dt.date | None = None
    until: dt.date | None = None


def add(session: Session, record: ServiceRecord) -> None:
    session.add(record)
    session.flush()


def get(session: Session, record_id: str) -> ServiceRecord | None:
    return session.get(ServiceRecord, record_id)


def newest_date(
    session: Session, seeker_id: str, type_: str, *, except_id: str | None = None
) -> dt.date | None:
    """The date of the seeker's newest record of this type (``except_id`` left out)."""
    stmt = select(func.max(ServiceRecord.date)).where(
        ServiceRecord.seeker_id == seeker_id, ServiceRecord.type == type_
    )
    if except_id is not None:
        stmt = stmt.where(ServiceRecord.id != except_id)
    return session.exec(stmt).one()


def for_seeker(session: Session, seeker_id: str) -> list[ServiceRecord]:
    """Every record of the seeker, oldest first (export)."""
    stmt = (
        select(ServiceRecord)
        .where(ServiceRecord.seeker_id == seeker_id)
        .order_by(col(ServiceRecord.date), col(ServiceRecord.id))
    )
    return list(session.exec(stmt))


def page(
    session: Session,
    seeker_id: str,
    flt: ServiceFilter,
    params: PageParams,
    *,
    after: ServiceRecord | None,
) -> tuple[list[ServiceRecord], str | None]:
    """Newest first: by date, then by the order recorded.  ``after`` is the last record
    of the previous page (the cursor names its id)."""
    stmt = select(ServiceRecord).where(ServiceRecord.seeker_id == seeker_id)
    if flt.type is not None:
        stmt = stmt.where(ServiceRecord.type == flt.type)
    if flt.since is not None:
        stmt = stmt.where(col(ServiceRecord.date) >= flt.since)
    if flt.until is not None:
        stmt = stmt.where(col(ServiceRecord.date) <= flt.until)
    if after is not None:
        stmt = stmt.where(
            or_(
                col(ServiceRecord.date) < after.date,
                and_(col(ServiceRecord.date) == after.date, col(ServiceRecord.id) < after.id),
            )
        )
    stmt = stmt.order_by(col(ServiceRecord.date).desc(), col(ServiceRecord.id).desc())
    rows = list(session.exec(stmt.limit(params.limit + 1)))
    if len(rows) > params.limit:
        rows = rows[: params.limit]
        return rows, encode_cursor(rows[-1].id)
    return rows, None
