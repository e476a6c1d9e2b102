"""SQL for the seeker status history."""

from __future__ import annotations

from sqlmodel import Session, col, select

from service.models.tables import SeekerStatusChange


def add(session: Session, change: SeekerStatusChange) -> None:
    """Append an entry and re-date the seeker's ``valid_to`` chain (an entry may be late)."""
    session.add(change)
    session.flush()
    entries = history(session, change.seeker_id)
    for entry, following in zip(entries, [*entries[1:], None], strict=True):
        valid_to = following.date if following is not None else None
        if entry.valid_to != valid_to:
            entry.valid_to = valid_to
            session.add(entry)
    session.flush()


def history(session: Session, seeker_id: str) -> list[SeekerStatusChange]:
    """Oldest first; the last entry is the current status."""
    stmt = (
        select(SeekerStatusChange)
        .where(SeekerStatusChange.seeker_id == seeker_id)
        .order_by(col(SeekerStatusChange.date), col(SeekerStatusChange.id))
    )
    return list(session.exec(stmt))


def current(session: Session, seeker_id: str) -> SeekerStatusChange | None:
    stmt = (
        select(SeekerStatusChange)
        .where(SeekerStatusChange.seeker_id == seeker_id)
        .order_by(col(SeekerStatusChange.date).desc(), col(SeekerStatusChange.id).desc())
        .limit(1)
    )
    return session.exec(stmt).first()
