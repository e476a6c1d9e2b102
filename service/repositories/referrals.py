"""SQL for referrals and their events."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass

from sqlmodel import Session, col, select

from service.models.tables import Referral, ReferralEvent
from service.repositories.pagination import PageParams, fetch_page


@dataclass(frozen=True)
class ReferralFilter:
    seeker_id: str | None = None
    vacancy_id: str | None = None
    status: str | None = None
    vacancy_owner_key_id: str | None = None


def get(session: Session, referral_id: str) -> Referral | None:
    return session.get(Referral, referral_id)


def open_referral(
    session: Session, seeker_id: str, vacancy_id: str, statuses: Collection[str]
) -> str | None:
    """The id of a referral of this seeker to this vacancy in one of ``statuses``."""
    stmt = select(Referral.id).where(
        Referral.seeker_id == seeker_id,
        Referral.vacancy_id == vacancy_id,
        col(Referral.status).in_(list(statuses)),
    )
    return session.exec(stmt).first()


def add(session: Session, referral: Referral, event: ReferralEvent) -> Referral:
    session.add(referral)
    session.flush()  # the referral row before its event's foreign key
    session.add(event)
    session.flush()
    return referral


def events(session: Session, referral_ids: Sequence[str]) -> dict[str, list[ReferralEvent]]:
    """Each referral's events, oldest first (ids are time-sortable)."""
    out: dict[str, list[ReferralEvent]] = {rid: [] for rid in referral_ids}
    if not referral_ids:
        return out
    stmt = (
        select(ReferralEvent)
        .where(col(ReferralEvent.referral_id).in_(list(referral_ids)))
        .order_by(col(ReferralEvent.at), col(ReferralEvent.id))
    )
    for row in session.exec(stmt):
        out[row.referral_id].append(row)
    return out


def page(
    session: Session, flt: ReferralFilter, params: PageParams
) -> tuple[list[Referral], str | None]:
    stmt = select(Referral)
    exact = {
        "seeker_id": flt.seeker_id,
        "vacancy_id": flt.vacancy_id,
        "status": flt.status,
        "vacancy_owner_key_id": flt.vacancy_owner_key_id,
    }
    for name, value in exact.items():
        if value is not None:
            stmt = stmt.where(getattr(Referral, name) == value)
    return fetch_page(session, stmt, Referral.id, params)


def for_seeker(session: Session, seeker_id: str) -> list[Referral]:
    """Every referral of the person, oldest first (the export)."""
    stmt = select(Referral).where(Referral.seeker_id == seeker_id).order_by(col(Referral.id))
    return list(session.exec(stmt))
