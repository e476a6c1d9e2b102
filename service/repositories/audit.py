"""SQL for the audit log (append-only: only inserts and reads here)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import insert
from sqlmodel import Session, col, select

from service.models.tables import AuditEvent, AuditSubject
from service.repositories.pagination import PageParams, fetch_page

_EVENTS = AuditEvent.__table__  # type: ignore[attr-defined]
_SUBJECTS = AuditSubject.__table__  # type: ignore[attr-defined]


def append(session: Session, event: dict[str, Any], seeker_ids: Sequence[str]) -> None:
    # Core on the session's connection: an entry is written on every read of personal
    # data, so it skips the ORM's bulk-insert machinery.
    conn = session.connection()
    conn.execute(insert(_EVENTS), [event])
    if seeker_ids:
        conn.execute(
            insert(_SUBJECTS), [{"event_id": event["id"], "seeker_id": s} for s in seeker_ids]
        )


@dataclass(frozen=True)
class AuditFilter:
    seeker_id: str | None = None
    key_id: str | None = None
    action: str | None = None
    outcome: str | None = None
    since: dt.datetime | None = None
    until: dt.datetime | None = None


def _concerning(seeker_id: str) -> Any:
    return col(AuditEvent.id).in_(
        select(AuditSubject.event_id).where(AuditSubject.seeker_id == seeker_id)
    )


def page(
    session: Session, flt: AuditFilter, params: PageParams
) -> tuple[list[AuditEvent], str | None]:
    stmt = select(AuditEvent)
    if flt.seeker_id:
        stmt = stmt.where(_concerning(flt.seeker_id))
    if flt.key_id:
        stmt = stmt.where(AuditEvent.key_id == flt.key_id)
    if flt.action:
        stmt = stmt.where(AuditEvent.action == flt.action)
    if flt.outcome:
        stmt = stmt.where(AuditEvent.outcome == flt.outcome)
    if flt.since:
        stmt = stmt.where(col(AuditEvent.at) >= flt.since)
    if flt.until:
        stmt = stmt.where(col(AuditEvent.at) < flt.until)
    return fetch_page(session, stmt, AuditEvent.id, params)


def subjects(session: Session, event_ids: Sequence[str]) -> dict[str, list[str]]:
    """The seekers concerned by each of these events."""
    found: dict[str, list[str]] = {e: [] for e in event_ids}
    if event_ids:
        stmt = (
            select(AuditSubject.event_id, AuditSubject.seeker_id)
            .where(col(AuditSubject.event_id).in_(list(event_ids)))
            .order_by(col(AuditSubject.event_id), col(AuditSubject.seeker_id))
        )
        for event_id, seeker_id in session.exec(stmt).all():
            found[event_id].append(seeker_id)
    return found


def concerning(session: Session, seeker_id: str) -> list[AuditEvent]:
    """Every event that concerns this seeker, oldest first."""
    stmt = select(AuditEvent).where(_concerning(seeker_id)).order_by(col(AuditEvent.id))
    return list(session.exec(stmt).all())
