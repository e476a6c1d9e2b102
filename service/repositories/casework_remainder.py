"""SQL for what erasure keeps of a person's casework: the rows, re-pointed to the
anonymous remainder, with every free text and health detail dropped, every date and time
cut to the first of its month, and new random ids, so that no audit entry (which names
the old ids beside the person's old id) and no time-ordered id leads back to them."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select

from service.models.tables import (
    CandidatePseudonym,
    FollowUpVisit,
    Placement,
    Referral,
    ReferralEvent,
    SeekerStatusChange,
    ServiceRecord,
)

# Codes the statistics count; everything else in a service's details (abilities, stated
# preferences, course names, assessors, linked vacancies) goes.
KEPT_DETAILS = frozenset(
    {
        "has_employment_need",
        "labour_capacity",
        "subtype",
        "kind",
        "completed",
        "training_need",
        "entrepreneurship_intent",
    }
)

# (six months on, end, the visits) -> the six-month date the remainder keeps.
SixMonths = Callable[[dt.date, dt.date | None, Sequence[FollowUpVisit]], dt.date]


@dataclass
class Moved:
    """The old ids of the referrals and placements that were re-identified."""

    referrals: list[str] = field(default_factory=list)
    placements: list[str] = field(default_factory=list)


def month_of(day: dt.date | None) -> dt.date | None:
    return day.replace(day=1) if day is not None else None


def month_start(at: dt.datetime) -> dt.datetime:
    return at.replace(day=1, hour=0, minute=0, second=0, microsecond=0)


def random_id(prefix: str) -> str:
    """Not time-ordered (unlike new_id): it tells nothing of when the row was made."""
    return f"{prefix}_{uuid.uuid4().hex}"


def _coarse(details: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in details.items() if k in KEPT_DETAILS}


def _copy(row: Any, **changes: Any) -> Any:
    values = row.model_dump()
    for name in ("created_at", "updated_at"):
        if name in values:
            values[name] = month_start(values[name])
    values.update(changes)
    return type(row)(**values)


def _replace(session: Session, old: Any, new: Any) -> None:
    """Swap a row for its anonymised copy (a primary key cannot simply be updated while
    other rows refer to it)."""
    session.delete(old)
    session.flush()
    session.add(new)
    session.flush()


def _services(session: Session, seeker_id: str, remainder_id: str) -> None:
    for record in list(
        session.exec(select(ServiceRecord).where(ServiceRecord.seeker_id == seeker_id))
    ):
        _replace(
            session,
            record,
            _copy(
                record,
                id=random_id("svc"),
                seeker_id=remainder_id,
                note_enc=None,
                date=month_of(record.date),
                details=_coarse(record.details),
            ),
        )
    for change in list(
        session.exec(select(SeekerStatusChange).where(SeekerStatusChange.seeker_id == seeker_id))
    ):
        _replace(
            session,
            change,
            _copy(
                change,
                id=random_id("sst"),
                seeker_id=remainder_id,
                date=month_of(change.date),
                placement_id=None,
                valid_to=month_of(change.valid_to),
            ),
        )


def _referrals(session: Session, seeker_id: str, remainder_id: str) -> dict[str, str]:
    """Old referral id -> new."""
    renamed: dict[str, str] = {}
    for referral in list(session.exec(select(Referral).where(Referral.seeker_id == seeker_id))):
        new = _copy(
            referral,
            id=random_id("ref"),
            seeker_id=remainder_id,
            override_reason_enc=None,
            interview_at=None,
        )
        events = list(
            session.exec(select(ReferralEvent).where(ReferralEvent.referral_id == referral.id))
        )
        for event in events:
            session.delete(event)
        session.flush()  # the events before the row they refer to
        _replace(session, referral, new)
        for event in events:
            session.add(
                _copy(event, id=random_id("rev"), referral_id=new.id, at=month_start(event.at))
            )
        renamed[referral.id] = new.id
    session.flush()
    return renamed


def _placements(
    session: Session,
    seeker_id: str,
    remainder_id: str,
    *,
    referrals: dict[str, str],
    six_months: SixMonths,
) -> list[str]:
    old_ids = []
    for placement in list(session.exec(select(Placement).where(Placement.seeker_id == seeker_id))):
        visits = list(
            session.exec(select(FollowUpVisit).where(FollowUpVisit.placement_id == placement.id))
        )
        new = _copy(
            placement,
            id=random_id("plc"),
            seeker_id=remainder_id,
            referral_id=referrals.get(placement.referral_id or ""),
            six_months_on=six_months(placement.six_months_on, placement.end_date, visits),
            start_date=month_of(placement.start_date),
            end_date=month_of(placement.end_date),
        )
        copies = [
            _copy(v, id=random_id("fuv"), placement_id=new.id, date=month_of(v.date))
            for v in visits
        ]
        for visit in visits:
            session.delete(visit)
        session.flush()  # the visits before the row they refer to
        _replace(session, placement, new)
        session.add_all(copies)
        old_ids.append(placement.id)
    session.flush()
    return old_ids


def reassign(
    session: Session, seeker_id: str, remainder_id: str, *, six_months: SixMonths
) -> Moved:
    """Move the person's casework to ``remainder_id`` in its anonymised form."""
    _services(session, seeker_id, remainder_id)
    referrals = _referrals(session, seeker_id, remainder_id)
    placements = _placements(
        session, seeker_id, remainder_id, referrals=referrals, six_months=six_months
    )
    session.execute(
        sa.delete(CandidatePseudonym).where(col(CandidatePseudonym.seeker_id) == seeker_id)
    )
    return Moved(referrals=list(referrals), placements=placements)
