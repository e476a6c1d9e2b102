"""The seeker's status history: every change dated and with its cause.

The history is the record; the current status is its newest entry (by date, then by the
order recorded).  The seeker row carries that newest entry's status as a read-only
projection for the match index and the list filter, written here and nowhere else, in the
same transaction as the entry it projects.
"""

from __future__ import annotations

import datetime as dt

from sqlmodel import Session

from service.errors import field_error, raise_if_errors
from service.models.base import new_id, utcnow
from service.models.enums import SeekerStatus, StatusCause
from service.models.tables import Seeker, SeekerStatusChange
from service.repositories import changes
from service.repositories import status as repo
from service.rules import today_in_china


def change(
    session: Session,
    seeker: Seeker,
    status: SeekerStatus,
    *,
    on: dt.date,
    cause: StatusCause,
    by: str,
    placement_id: str | None = None,
    field: str = "date",
    bump: bool = True,
) -> SeekerStatusChange:
    """Append a status change dated ``on`` and re-derive the current status.  A change
    dated before the newest entry is history (a late record) and only moves the current
    status if it is newest.  ``bump=False``: the caller already counts this write in the
    seeker's version."""
    problems = []
    if on > today_in_china():
        problems.append(field_error(field, "date_in_future", "this date lies in the future"))
    if on < seeker.birth_date:
        problems.append(
            field_error(field, "date_before_birth", "this date lies before the person's birth")
        )
    raise_if_errors(problems)
    entry = SeekerStatusChange(
        id=new_id("sst"),
        seeker_id=seeker.id,
        status=status.value,
        date=on,
        cause=cause.value,
        placement_id=placement_id,
        recorded_by=by,
        created_at=utcnow(),
    )
    repo.add(session, entry)
    _project(session, seeker, bump=bump)
    return entry


def start(session: Session, seeker: Seeker, *, by: str) -> None:
    """The first entry, at registration."""
    entry = SeekerStatusChange(
        id=new_id("sst"),
        seeker_id=seeker.id,
        status=seeker.status,
        date=today_in_china(),
        cause=StatusCause.registration.value,
        recorded_by=by,
        created_at=utcnow(),
    )
    repo.add(session, entry)


def _project(session: Session, seeker: Seeker, *, bump: bool) -> None:
    newest = repo.current(session, seeker.id)
    if newest is not None and newest.status != seeker.status:
        seeker.status = newest.status
        seeker.updated_at = utcnow()
        if bump:
            seeker.version += 1
        changes.record(session, "seeker", [seeker.id])
        session.add(seeker)
        session.flush()


def history(session: Session, seeker_id: str) -> list[SeekerStatusChange]:
    return repo.history(session, seeker_id)
