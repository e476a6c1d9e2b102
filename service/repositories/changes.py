"""SQL for the change log that keeps every process's match index fresh."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import func, insert
from sqlmodel import Session, col, select

from service.models.base import utcnow
from service.models.tables import ChangeLog

SESSION_FLAG = "matching_changed"


def record(session: Session, entity: str, ids: Iterable[str]) -> None:
    now = utcnow()
    rows = [{"entity": entity, "entity_id": i, "at": now} for i in ids]
    if rows:
        session.execute(insert(ChangeLog), rows)
        session.info[SESSION_FLAG] = True


_TABLE = ChangeLog.__table__  # type: ignore[attr-defined]


def latest(session: Session) -> int:
    """The newest change id (Core: every match query asks)."""
    newest = session.connection().execute(select(func.max(_TABLE.c.id))).scalar()
    return int(newest or 0)


def since(session: Session, after: int) -> list[tuple[int, str, str]]:
    stmt = (
        select(ChangeLog.id, ChangeLog.entity, ChangeLog.entity_id)
        .where(col(ChangeLog.id) > after)
        .order_by(col(ChangeLog.id))
    )
    return [(int(i or 0), e, eid) for i, e, eid in session.exec(stmt).all()]
