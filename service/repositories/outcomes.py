"""SQL for learning from outcomes: every referral with its placement, the placement's
visits, whether it reached an interview, and the seekers and vacancies they name."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlmodel import Session, col, select

from service.models.tables import FollowUpVisit, Placement, Referral, ReferralEvent

_CHUNK = 500


@dataclass(frozen=True)
class ReferralOutcome:
    referral: Referral
    placement: Placement | None
    visits: list[FollowUpVisit] = field(default_factory=list)
    interviewed: bool = False


def _chunks(ids: Sequence[str]) -> list[list[str]]:
    return [list(ids[i : i + _CHUNK]) for i in range(0, len(ids), _CHUNK)]


def referral_outcomes(session: Session) -> list[ReferralOutcome]:
    """Every referral, oldest first, with what became of it."""
    referrals = list(
        session.exec(select(Referral).order_by(col(Referral.created_at), col(Referral.id)))
    )
    ids = [r.id for r in referrals]
    placements: dict[str, Placement] = {}
    interviewed: set[str] = set()
    for chunk in _chunks(ids):
        for p in session.exec(select(Placement).where(col(Placement.referral_id).in_(chunk))):
            if p.referral_id is not None:
                placements[p.referral_id] = p
        interviewed.update(
            session.exec(
                select(ReferralEvent.referral_id).where(
                    col(ReferralEvent.referral_id).in_(chunk),
                    ReferralEvent.to_status == "interviewed",
                )
            )
        )
    visits: dict[str, list[FollowUpVisit]] = {p.id: [] for p in placements.values()}
    for chunk in _chunks(list(visits)):
        stmt = select(FollowUpVisit).where(col(FollowUpVisit.placement_id).in_(chunk))
        for v in session.exec(stmt.order_by(col(FollowUpVisit.date), col(FollowUpVisit.id))):
            visits[v.placement_id].append(v)
    out = []
    for r in referrals:
        placement = placements.get(r.id)
        out.append(
            ReferralOutcome(
                referral=r,
                placement=placement,
                visits=visits.get(placement.id, []) if placement else [],
                interviewed=r.id in interviewed,
            )
        )
    return out
