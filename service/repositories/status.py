"""SQL for the seeker status history."""

from __future__ import annotations

from sqlmodel import Session, col, select

from service.models.tables import SeekerStatusChange


def add(session: Session, change: SeekerStatusChange) -> None:
    session.add(change)
    session.flush()


def history(session: Session, seeker_id: str) -> list[SeekerStatusChange]:
    """Oldest first; the last entry is the current status."""
    stmt = (select(SeekerStatusChange).where(SeekerStatusChange.seeker_id == seeker_id)
            .order_by(col(SeekerStatusChange.date), col(SeekerStatusChange.id)))
    return list(session.exec(stmt))


def current(session: Session, seeker_id: str) -> SeekerStatusChange | None:
    stmt = (select(SeekerStatusChange).where(SeekerStatusChange.seeker_id == seeker_id)
            .order_by(col(SeekerStatusChange.date).desc(), col(SeekerStatusChange.id).desc())
            .limit(1))
    return session.exec(stmt).first()
