"""Cancelling a job start recorded ahead of time that fell through before its first day:
the placement goes, and everything it moved moves back in the same transaction (the
vacancy's opening, the person's status, the referral's hire)."""

from __future__ import annotations

from sqlmodel import Session

from service.errors import Conflict, field_error
from service.models.enums import AuditAction, ReferralStatus, SeekerStatus, StatusCause
from service.models.tables import Placement
from service.repositories import changes
from service.repositories import placements as repo
from service.repositories import seekers as seeker_repo
from service.rules import today_in_china
from service.services import referral_flow, status
from service.services.audit import Audit


def cancel(session: Session, audit: Audit, placement: Placement) -> None:
    """409 once the job has started or been visited: then it ends (PATCH), it is not
    undone, so that what happened stays on the record."""
    if placement.start_date <= today_in_china():
        raise Conflict(
            f"this job started on {placement.start_date}; end it with an "
            "end_date and end_reason instead",
            errors=[
                field_error(
                    "start_date", "already_started", "only a start still to come can be cancelled"
                )
            ],
        )
    if repo.visits_of(session, [placement.id]).get(placement.id):
        raise Conflict(
            "this placement has follow-up visits; end it instead",
            errors=[field_error("placement_id", "has_visits", "a visited placement is history")],
        )
    principal = audit.principal
    if placement.vacancy_id:
        repo.release_opening(session, placement.vacancy_id)
        changes.record(session, "vacancy", [placement.vacancy_id])
    referral = repo.referral(session, placement.referral_id) if placement.referral_id else None
    repo.delete(session, placement)
    if referral is not None and referral.status == ReferralStatus.hired.value:
        referral_flow.undo_hire(session, referral, principal)
        audit.record(
            AuditAction.referral_update,
            "referral",
            referral.id,
            seekers=[referral.seeker_id],
            fields=["status"],
        )
    seeker = seeker_repo.get(session, placement.seeker_id)
    if (
        seeker is not None
        and seeker.status == SeekerStatus.employed.value
        and not repo.running_other(session, seeker.id, placement.id)
    ):
        status.change(
            session,
            seeker,
            SeekerStatus.seeking,
            on=today_in_china(),
            cause=StatusCause.placement_cancelled,
            by=principal.key_id,
        )
    audit.record(
        AuditAction.placement_cancel, "placement", placement.id, seekers=[placement.seeker_id]
    )
