"""SQL for placements and their follow-up visits."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select

from service.models.base import utcnow
from service.models.tables import (
    ERASED_PREFIX,
    ApiKey,
    FollowUpVisit,
    Placement,
    Referral,
    Seeker,
    Vacancy,
)
from service.repositories.pagination import PageParams, fetch_page


@dataclass(frozen=True)
class PlacementFilter:
    seeker_id: str | None = None
    employer_id: str | None = None
    vacancy_id: str | None = None
    district_code: str | None = None  # prefix
    active: bool | None = None  # no end date
    started_from: dt.date | None = None
    started_to: dt.date | None = None
    retained_6_months: bool | None = None
    seeker_owner: str | None = None  # only placements of this owner's seekers


@dataclass(frozen=True)
class DueFilter:
    started_from: dt.date
    started_to: dt.date
    district_code: str | None = None  # prefix
    recorded_by_owner: str | None = None  # placements recorded by this owner's keys


def get(session: Session, placement_id: str) -> Placement | None:
    return session.get(Placement, placement_id)


def save(session: Session, placement: Placement) -> Placement:
    session.add(placement)
    session.flush()
    return placement


def add_visit(session: Session, visit: FollowUpVisit) -> None:
    session.add(visit)
    session.flush()


def referral(session: Session, referral_id: str) -> Referral | None:
    return session.get(Referral, referral_id)


def for_referral(session: Session, referral_id: str) -> Placement | None:
    stmt = select(Placement).where(Placement.referral_id == referral_id)
    return session.exec(stmt).first()


def overlapping(
    session: Session, seeker_id: str, start: dt.date, *, except_id: str | None = None
) -> Placement | None:
    """A placement of the seeker still running, or ended after ``start`` (running first)."""
    stmt = select(Placement).where(
        Placement.seeker_id == seeker_id,
        sa.or_(col(Placement.end_date).is_(None), col(Placement.end_date) > start),
    )
    if except_id:
        stmt = stmt.where(Placement.id != except_id)
    rows = list(session.exec(stmt.order_by(col(Placement.id))))
    return next((p for p in rows if p.end_date is None), rows[0] if rows else None)


def running_other(session: Session, seeker_id: str, except_id: str) -> bool:
    stmt = (
        select(Placement.id)
        .where(
            Placement.seeker_id == seeker_id,
            col(Placement.end_date).is_(None),
            Placement.id != except_id,
        )
        .limit(1)
    )
    return session.exec(stmt).first() is not None


def visits_of(session: Session, placement_ids: list[str]) -> dict[str, list[FollowUpVisit]]:
    """Placement id -> its visits, oldest first."""
    if not placement_ids:
        return {}
    stmt = (
        select(FollowUpVisit)
        .where(col(FollowUpVisit.placement_id).in_(placement_ids))
        .order_by(col(FollowUpVisit.date), col(FollowUpVisit.id))
    )
    out: dict[str, list[FollowUpVisit]] = defaultdict(list)
    for visit in session.exec(stmt):
        out[visit.placement_id].append(visit)
    return dict(out)


_VACANCY = Vacancy.__table__  # type: ignore[attr-defined]


def fill_opening(session: Session, vacancy_id: str) -> bool:
    """Count one more placement on an open vacancy with an opening left, in one guarded
    UPDATE (so that concurrent placements cannot overfill it): the vacancy becomes filled
    at its last opening, and its version goes up.  False: no opening was left."""
    v = _VACANCY.c
    stmt = (
        sa.update(_VACANCY)
        .where(v.id == vacancy_id, v.openings_filled < v.openings, v.status == "open")
        .values(
            openings_filled=v.openings_filled + 1,
            status=sa.case((v.openings_filled + 1 >= v.openings, "filled"), else_=v.status),
            version=v.version + 1,
            updated_at=utcnow(),
        )
    )
    touched = session.connection().execute(stmt).rowcount
    vacancy = session.get(Vacancy, vacancy_id)
    if vacancy is not None:
        session.expire(vacancy)  # the ORM copy predates the UPDATE
    return bool(touched)


def release_opening(session: Session, vacancy_id: str) -> None:
    """Undo :func:`fill_opening` (a cancelled start): one opening free again, and a
    vacancy filled by it open again."""
    v = _VACANCY.c
    stmt = (
        sa.update(_VACANCY)
        .where(v.id == vacancy_id, v.openings_filled > 0)
        .values(
            openings_filled=v.openings_filled - 1,
            status=sa.case((v.status == "filled", "open"), else_=v.status),
            version=v.version + 1,
            updated_at=utcnow(),
        )
    )
    session.connection().execute(stmt)
    vacancy = session.get(Vacancy, vacancy_id)
    if vacancy is not None:
        session.expire(vacancy)


def delete(session: Session, placement: Placement) -> None:
    session.delete(placement)
    session.flush()


def retained_condition(value: bool, *, seen_after: Any | None = None) -> Any:
    """SQL of services.follow_ups.retained_6_months being ``value``.  ``seen_after``: a
    condition meaning "a visit on or after the six-month date found the person at work"
    (default: an EXISTS over the visits; a query over many placements joins
    :func:`seen_at_work_after_six_months` instead)."""
    end, six = col(Placement.end_date), col(Placement.six_months_on)
    if not value:
        return sa.and_(end.is_not(None), end < six)
    if seen_after is None:
        seen_after = sa.exists().where(
            col(FollowUpVisit.placement_id) == col(Placement.id), *_at_work_after_six()
        )
    return sa.or_(end >= six, sa.and_(end.is_(None), seen_after))


def _at_work_after_six() -> tuple[Any, ...]:
    return (
        col(FollowUpVisit.still_employed).is_(True),
        col(FollowUpVisit.date) >= col(Placement.six_months_on),
    )


def seen_at_work_after_six_months() -> Any:
    """The placements (``placement_id``) a visit on or after their six-month date found
    still at work: a subquery to outer-join placements to."""
    return (
        sa.select(col(FollowUpVisit.placement_id).label("placement_id"))
        .join(Placement, col(Placement.id) == col(FollowUpVisit.placement_id))
        .where(*_at_work_after_six())
        .distinct()
        .subquery("seen_after")
    )


def _owned_seekers(owner: str) -> Any:
    return col(Placement.seeker_id).in_(select(Seeker.id).where(Seeker.owner_key_id == owner))


def page(
    session: Session, flt: PlacementFilter, params: PageParams
) -> tuple[list[Placement], str | None]:
    stmt = select(Placement)
    exact = {
        "seeker_id": flt.seeker_id,
        "employer_id": flt.employer_id,
        "vacancy_id": flt.vacancy_id,
    }
    for name, value in exact.items():
        if value is not None:
            stmt = stmt.where(getattr(Placement, name) == value)
    if flt.district_code:
        stmt = stmt.where(col(Placement.district_code).startswith(flt.district_code))
    if flt.active is not None:
        end = col(Placement.end_date)
        stmt = stmt.where(end.is_(None) if flt.active else end.is_not(None))
    if flt.started_from:
        stmt = stmt.where(col(Placement.start_date) >= flt.started_from)
    if flt.started_to:
        stmt = stmt.where(col(Placement.start_date) <= flt.started_to)
    if flt.retained_6_months is not None:
        stmt = stmt.where(retained_condition(flt.retained_6_months))
    if flt.seeker_owner:
        stmt = stmt.where(_owned_seekers(flt.seeker_owner))
    return fetch_page(session, stmt, Placement.id, params)


def due_candidates(
    session: Session, flt: DueFilter, params: PageParams, *, seeker_owner: str | None = None
) -> tuple[list[Placement], str | None]:
    """Placements that may have a follow-up to list (the service decides which do)."""
    stmt = select(Placement).where(
        col(Placement.start_date) >= flt.started_from,
        col(Placement.start_date) <= flt.started_to,
        # an erased person's remainder is visited no more
        ~col(Placement.seeker_id).startswith(ERASED_PREFIX),
    )
    if flt.district_code:
        stmt = stmt.where(col(Placement.district_code).startswith(flt.district_code))
    if flt.recorded_by_owner:
        keys = select(ApiKey.id).where(ApiKey.owner_id == flt.recorded_by_owner)
        stmt = stmt.where(col(Placement.recorded_by).in_(keys))
    if seeker_owner:
        stmt = stmt.where(_owned_seekers(seeker_owner))
    return fetch_page(session, stmt, Placement.id, params)


def for_seeker(session: Session, seeker_id: str) -> list[Placement]:
    """Every placement of the person, oldest first (the export)."""
    stmt = (
        select(Placement)
        .where(Placement.seeker_id == seeker_id)
        .order_by(col(Placement.start_date), col(Placement.id))
    )
    return list(session.exec(stmt))
