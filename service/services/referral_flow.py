"""The referral pipeline: which status may follow which, who may move it, and the dated
event each move leaves.  One definition, used by the referral routes and by placements
(a placement made from a referral marks it hired)."""

from __future__ import annotations

import datetime as dt

from sqlmodel import Session

from service.access import Principal
from service.errors import Conflict, Forbidden, field_error, raise_if_errors
from service.models.base import new_id, utcnow
from service.models.enums import ReferralReason, ReferralStatus, Role
from service.models.tables import Referral, ReferralEvent

S, R = ReferralStatus, ReferralReason

# Allowed moves; the three closing statuses other than hired need a reason code.
TRANSITIONS: dict[ReferralStatus, frozenset[ReferralStatus]] = {
    S.referred: frozenset(
        {S.interview_scheduled, S.declined_by_seeker, S.rejected_by_employer, S.withdrawn}
    ),
    S.interview_scheduled: frozenset(
        {S.interviewed, S.declined_by_seeker, S.rejected_by_employer, S.withdrawn}
    ),
    S.interviewed: frozenset(
        {S.offered, S.declined_by_seeker, S.rejected_by_employer, S.withdrawn}
    ),
    S.offered: frozenset({S.hired, S.declined_by_seeker, S.withdrawn}),
    S.hired: frozenset(),
    S.declined_by_seeker: frozenset(),
    S.rejected_by_employer: frozenset(),
    S.withdrawn: frozenset(),
}
CLOSED = frozenset(s for s, nxt in TRANSITIONS.items() if not nxt)
OPEN = frozenset(S) - CLOSED

REASONS: dict[ReferralStatus, frozenset[ReferralReason]] = {
    S.rejected_by_employer: frozenset(
        {
            R.skills_mismatch,
            R.experience_insufficient,
            R.accommodation_not_feasible,
            R.position_filled,
            R.no_show,
            R.interview_performance,
            R.other,
        }
    ),
    S.declined_by_seeker: frozenset(
        {
            R.pay_too_low,
            R.commute_too_long,
            R.hours_unsuitable,
            R.job_content,
            R.workplace_not_accessible,
            R.found_other_job,
            R.health,
            R.family,
            R.other,
        }
    ),
    S.withdrawn: frozenset(
        {R.vacancy_closed, R.seeker_unavailable, R.position_filled, R.recorded_in_error, R.other}
    ),
}

# The employer's side: what a partner key may do on a referral to its own vacancy.
PARTNER_MOVES = frozenset({S.interview_scheduled, S.interviewed, S.offered, S.rejected_by_employer})


def check_move(
    principal: Principal, current: ReferralStatus, to: ReferralStatus, reason: ReferralReason | None
) -> None:
    """Pass, or refuse: 409 naming the current status for a move the pipeline does not
    allow, 403 for a partner acting on the seeker's side, 422 for a missing or foreign
    reason code."""
    if to not in TRANSITIONS[current]:
        allowed = ", ".join(sorted(TRANSITIONS[current])) or "none (it is closed)"
        raise Conflict(
            f"the referral is '{current}'; from there it may move to: {allowed}",
            errors=[
                field_error("status", "transition_not_allowed", f"current status is '{current}'")
            ],
        )
    if principal.role is Role.partner and to not in PARTNER_MOVES:
        raise Forbidden(
            f"an employer's key may move a referral only to "
            f"{', '.join(sorted(PARTNER_MOVES))}; '{to}' is the counselor's"
        )
    expected = REASONS.get(to)
    if expected is None:
        raise_if_errors(
            [field_error("reason_code", "reason_not_applicable", f"'{to}' takes no reason code")]
            if reason
            else []
        )
    elif reason is None:
        raise_if_errors(
            [field_error("reason_code", "reason_required", f"'{to}' needs a reason code")]
        )
    elif reason not in expected:
        raise_if_errors(
            [
                field_error(
                    "reason_code",
                    "reason_not_for_status",
                    f"for '{to}' use one of: {', '.join(sorted(expected))}",
                )
            ]
        )


def event(
    referral: Referral,
    principal: Principal,
    *,
    from_status: ReferralStatus | None,
    reason: ReferralReason | None = None,
    at: dt.datetime | None = None,
) -> ReferralEvent:
    """The dated record of the referral's move to its current status."""
    return ReferralEvent(
        id=new_id("rev"),
        referral_id=referral.id,
        from_status=from_status.value if from_status else None,
        to_status=referral.status,
        reason_code=reason.value if reason else None,
        at=at or utcnow(),
        key_id=principal.key_id,
        role=principal.role.value,
    )


def move(
    session: Session,
    referral: Referral,
    principal: Principal,
    to: ReferralStatus,
    reason: ReferralReason | None = None,
) -> ReferralEvent:
    """Check and apply one move; the caller's transaction commits it."""
    current = ReferralStatus(referral.status)
    check_move(principal, current, to, reason)
    referral.status = to.value
    referral.reason_code = reason.value if reason else None
    referral.updated_at = utcnow()
    referral.version += 1
    session.add(referral)
    happened = event(referral, principal, from_status=current, reason=reason)
    session.add(happened)
    session.flush()
    return happened


def undo_hire(session: Session, referral: Referral, principal: Principal) -> ReferralEvent:
    """A hire whose placement was cancelled before the start goes back to ``offered``
    (the only move out of ``hired``, made by the cancellation, never by a PATCH)."""
    referral.status = ReferralStatus.offered.value
    referral.reason_code = None
    referral.updated_at = utcnow()
    referral.version += 1
    session.add(referral)
    happened = event(referral, principal, from_status=ReferralStatus.hired)
    session.add(happened)
    session.flush()
    return happened
