"""SQL for what erasure keeps of a person's casework: the rows, re-pointed to the
anonymous remainder, with every free text and health detail dropped and every date cut
to the first of its month."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select

from service.models.tables import (
    CandidatePseudonym,
    FollowUpVisit,
    Placement,
    Referral,
    SeekerStatusChange,
    ServiceRecord,
)

# Codes the statistics count; everything else in a service's details (abilities, stated
# preferences, course names, assessors, linked vacancies) goes.
KEPT_DETAILS = frozenset({"has_employment_need", "labour_capacity", "subtype", "kind",
                          "completed", "training_need", "entrepreneurship_intent"})


def month_of(day: dt.date | None) -> dt.date | None:
    return day.replace(day=1) if day is not None else None


def _coarse(details: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in details.items() if k in KEPT_DETAILS}


# (six months on, end, the visits) -> the six-month date the remainder keeps.
SixMonths = Callable[[dt.date, dt.date | None, Sequence[FollowUpVisit]], dt.date]


def reassign(session: Session, seeker_id: str, remainder_id: str, *,
             six_months: SixMonths) -> None:
    """Move the person's casework to ``remainder_id`` in its anonymised form."""
    for record in session.exec(select(ServiceRecord).where(
            ServiceRecord.seeker_id == seeker_id)):
        record.seeker_id, record.note_enc = remainder_id, None
        record.date = month_of(record.date)  # type: ignore[assignment]
        record.details = _coarse(record.details)
        session.add(record)
    for change in session.exec(select(SeekerStatusChange).where(
            SeekerStatusChange.seeker_id == seeker_id)):
        change.seeker_id = remainder_id
        change.date = month_of(change.date)  # type: ignore[assignment]
        session.add(change)
    for referral in session.exec(select(Referral).where(Referral.seeker_id == seeker_id)):
        referral.seeker_id, referral.override_reason_enc = remainder_id, None
        referral.interview_at = None
        session.add(referral)
    for placement in session.exec(select(Placement).where(Placement.seeker_id == seeker_id)):
        visits = list(session.exec(select(FollowUpVisit).where(
            FollowUpVisit.placement_id == placement.id)))
        placement.six_months_on = six_months(placement.six_months_on, placement.end_date,
                                             visits)
        placement.seeker_id = remainder_id
        placement.start_date = month_of(placement.start_date)  # type: ignore[assignment]
        placement.end_date = month_of(placement.end_date)
        session.add(placement)
        for visit in visits:
            visit.date = month_of(visit.date)  # type: ignore[assignment]
            session.add(visit)
    session.execute(sa.delete(CandidatePseudonym).where(
        col(CandidatePseudonym.seeker_id) == seeker_id))
    session.flush()
