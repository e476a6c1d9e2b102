"""Placements (job starts) and their end; the seeker's status, the vacancy's openings and
the referral follow in the same transaction.

Choices a counselor would expect, where the contract is silent:

- A start may be recorded up to 60 days ahead (an accepted offer); the seeker's status
  becomes ``employed`` from today then, not from the future date.  Not before the
  person's birth, and they must be of the minimum working age on the start date.
- One job at a time: a seeker whose placement is still running (or ended after the new
  start) cannot be placed again (409 naming that placement); end it first.  A second
  concurrent job is rare; record it when the first one ends.
- With a referral and no vacancy, the placement is on the referral's vacancy.  An
  ``offered`` referral becomes ``hired``; a ``hired`` one is taken as it is.
- The vacancy counts the placement in one guarded UPDATE (never overfilled) and becomes
  ``filled``, and so stops matching, at its last opening.  Ending a placement does not
  reopen it: the employer reopens a vacancy it wants filled again.
- Status changes are dated at the start and the end, but never before the newest entry
  of the seeker's history (a late record of an old start for a person registered since
  must still make them employed now).  Ending returns the person to ``seeking`` (or
  ``inactive`` when they retired), and only if they are ``employed`` now and no other
  placement of theirs is running: a counselor's later decision stands.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from service.access import Action, Principal
from service.context import Context
from service.errors import Conflict, NotFound, field_error, raise_if_errors
from service.models.base import as_utc, new_id, utcnow
from service.models.common import FieldProblem
from service.models.enums import (
    AuditAction,
    EmploymentForm,
    LeavingReason,
    ReferralStatus,
    SeekerStatus,
    StatusCause,
    SupportNeed,
    VisitMethod,
)
from service.models.placement import (
    FollowUpCreate,
    MilestonePublic,
    PlacementCreate,
    PlacementPublic,
    PlacementUpdate,
    VisitPublic,
)
from service.models.tables import (
    FollowUpVisit,
    Placement,
    Referral,
    Seeker,
    Vacancy,
    is_erased,
)
from service.profile import age_on
from service.repositories import changes, employers
from service.repositories import placements as repo
from service.repositories import seekers as seeker_repo
from service.repositories import status as status_repo
from service.repositories import vacancies as vacancy_repo
from service.repositories.pagination import PageParams
from service.rules import today_in_china
from service.services import follow_ups, guard, referral_flow, seekers, status
from service.services.audit import Audit
from service.services.guard import erased_conflict

MAX_DAYS_AHEAD = 60
PLACEABLE = frozenset({ReferralStatus.offered, ReferralStatus.hired})


@dataclasses.dataclass(frozen=True)
class _Refs:
    """What the body names, as found."""

    referral: Referral | None
    vacancy: Vacancy | None
    vacancy_id: str | None


def _start_problems(seeker: Seeker, start: dt.date, ctx: Context) -> list[FieldProblem]:
    today = today_in_china()
    if start > today + dt.timedelta(days=MAX_DAYS_AHEAD):
        return [
            field_error(
                "start_date",
                "date_too_far_ahead",
                f"a start may be recorded at most {MAX_DAYS_AHEAD} days ahead",
            )
        ]
    if start < seeker.birth_date:
        return [
            field_error(
                "start_date", "date_before_birth", "this date lies before the person's birth"
            )
        ]
    if age_on(seeker.birth_date, start) < ctx.rules.min_working_age:
        return [
            field_error(
                "start_date",
                "under_working_age",
                f"the person is not yet {ctx.rules.min_working_age} on this date",
            )
        ]
    return []


def _find_refs(session: Session, body: PlacementCreate) -> tuple[_Refs, list[FieldProblem]]:
    problems = []
    referral = repo.referral(session, body.referral_id) if body.referral_id else None
    if body.referral_id and referral is None:
        problems.append(field_error("referral_id", "unknown_referral", "no referral has this id"))
    elif referral is not None:
        if referral.seeker_id != body.seeker_id:
            problems.append(
                field_error(
                    "referral_id", "referral_seeker_mismatch", "this referral is of another seeker"
                )
            )
        if body.vacancy_id and referral.vacancy_id != body.vacancy_id:
            problems.append(
                field_error(
                    "referral_id",
                    "referral_vacancy_mismatch",
                    "this referral is for another vacancy",
                )
            )
    vacancy_id = body.vacancy_id or (referral.vacancy_id if referral else None)
    vacancy = vacancy_repo.get(session, vacancy_id) if vacancy_id else None
    named = "vacancy_id" if body.vacancy_id else "referral_id"
    if vacancy_id and vacancy is None:
        problems.append(field_error(named, "unknown_vacancy", "no vacancy has this id"))
    if employers.get(session, body.employer_id) is None:
        problems.append(field_error("employer_id", "unknown_employer", "no employer has this id"))
    elif vacancy is not None and vacancy.employer_id != body.employer_id:
        problems.append(
            field_error(
                "vacancy_id" if body.vacancy_id else "employer_id",
                "vacancy_employer_mismatch",
                "the vacancy belongs to another employer",
            )
        )
    return _Refs(referral=referral, vacancy=vacancy, vacancy_id=vacancy_id), problems


def _conflict(field: str, code: str, detail: str) -> Conflict:
    return Conflict(detail, errors=[field_error(field, code, detail)])


def _check_conflicts(session: Session, refs: _Refs, seeker_id: str, start: dt.date) -> None:
    vacancy, referral = refs.vacancy, refs.referral
    if vacancy is not None:
        if vacancy.status == "filled" or vacancy.openings_filled >= vacancy.openings:
            raise _conflict(
                "vacancy_id", "vacancy_filled", f"every opening of vacancy {vacancy.id} is filled"
            )
        if vacancy.status != "open":
            raise _conflict(
                "vacancy_id", "vacancy_not_open", f"vacancy {vacancy.id} is '{vacancy.status}'"
            )
    if referral is not None:
        placed = repo.for_referral(session, referral.id)
        if placed is not None:
            raise _conflict(
                "referral_id",
                "referral_already_placed",
                f"referral {referral.id} already has placement {placed.id}",
            )
        if referral.status not in PLACEABLE:
            raise _conflict(
                "referral_id",
                "referral_status",
                f"the referral is '{referral.status}'; a placement needs an "
                "offered or hired referral",
            )
    other = repo.overlapping(session, seeker_id, start)
    if other is not None and other.end_date is None:
        raise _conflict(
            "seeker_id",
            "already_employed",
            f"placement {other.id} of this seeker is still running; end it first",
        )
    if other is not None:
        raise _conflict(
            "start_date",
            "overlapping_placement",
            f"placement {other.id} of this seeker ended on {other.end_date}, after this start",
        )


def _status_day(session: Session, seeker: Seeker, day: dt.date) -> dt.date:
    """``day``, but not in the future and not before the newest status entry (so that
    the change becomes the current status)."""
    newest = status_repo.current(session, seeker.id)
    floor = newest.date if newest is not None else day
    return min(today_in_china(), max(day, floor))


def create(session: Session, ctx: Context, audit: Audit, body: PlacementCreate) -> Placement:
    principal = audit.principal
    seeker = seekers.get_for(
        session, audit, body.seeker_id, Action.create_placement, AuditAction.placement_create
    )
    refs, problems = _find_refs(session, body)
    raise_if_errors(problems + _start_problems(seeker, body.start_date, ctx))
    _check_conflicts(session, refs, seeker.id, body.start_date)
    if refs.vacancy_id and not repo.fill_opening(session, refs.vacancy_id):
        raise _conflict(
            "vacancy_id",
            "vacancy_filled",
            f"every opening of vacancy {refs.vacancy_id} was just filled",
        )
    if refs.vacancy_id:
        changes.record(session, "vacancy", [refs.vacancy_id])
    now = utcnow()
    placement = Placement(
        id=new_id("plc"),
        seeker_id=seeker.id,
        employer_id=body.employer_id,
        vacancy_id=refs.vacancy_id,
        referral_id=body.referral_id,
        district_code=seeker.district_code,
        start_date=body.start_date,
        six_months_on=follow_ups.six_months_on(body.start_date),
        form=body.form,
        counts_as_new=body.counts_as_new,
        recorded_by=principal.key_id,
        created_at=now,
        updated_at=now,
    )
    _save_new(session, placement)
    if refs.referral is not None:
        _hire(session, audit, refs.referral)
    status.change(
        session,
        seeker,
        SeekerStatus.employed,
        on=_status_day(session, seeker, body.start_date),
        cause=StatusCause.placement,
        by=principal.key_id,
        placement_id=placement.id,
        field="start_date",
    )
    audit.record(AuditAction.placement_create, "placement", placement.id, seekers=[seeker.id])
    return placement


def _save_new(session: Session, placement: Placement) -> None:
    try:
        with session.begin_nested():
            repo.save(session, placement)
    except IntegrityError as exc:  # a concurrent placement took the same referral
        raise _conflict(
            "referral_id", "referral_already_placed", "this referral was just placed"
        ) from exc


def _hire(session: Session, audit: Audit, referral: Referral) -> None:
    if referral.status == ReferralStatus.offered:
        referral_flow.move(session, referral, audit.principal, ReferralStatus.hired)
        audit.record(
            AuditAction.referral_update,
            "referral",
            referral.id,
            seekers=[referral.seeker_id],
            fields=["status"],
        )


def get_for(session: Session, principal: Principal, placement_id: str, action: Action) -> Placement:
    """The placement, if the key may perform ``action`` on it: its scope applies to the
    seeker's record (404 when the key may not even read it, 403 when only read)."""
    placement = repo.get(session, placement_id)
    if placement is None:
        raise NotFound(f"no placement {placement_id}")
    if action is not Action.read_placement and is_erased(placement.seeker_id):
        raise erased_conflict("placement", placement_id)
    if principal.owner_filter(action) is not None:  # a scope narrower than any
        seeker = seeker_repo.get(session, placement.seeker_id)
        guard.check(
            principal,
            action,
            seeker.owner_key_id if seeker else "",
            read=Action.read_placement,
            what="placement",
            ident=placement_id,
        )
    return placement


def read(session: Session, audit: Audit, placement_id: str) -> Placement:
    placement = get_for(session, audit.principal, placement_id, Action.read_placement)
    audit.record(
        AuditAction.placement_read, "placement", placement.id, seekers=[placement.seeker_id]
    )
    return placement


def page(
    session: Session, audit: Audit, flt: repo.PlacementFilter, params: PageParams
) -> tuple[list[Placement], str | None]:
    flt = dataclasses.replace(flt, seeker_owner=audit.principal.owner_filter(Action.read_placement))
    rows, cursor = repo.page(session, flt, params)
    audit.record(
        AuditAction.placement_list,
        "placement",
        None,
        seekers=list(dict.fromkeys(p.seeker_id for p in rows)),
    )
    return rows, cursor


def check_end(
    session: Session, placement: Placement, day: dt.date, *, field: str
) -> list[FieldProblem]:
    """Problems with ending ``placement`` on ``day`` (a date not in the future)."""
    if day < placement.start_date:
        return [field_error(field, "end_before_start", "the job cannot end before it started")]
    visits = repo.visits_of(session, [placement.id]).get(placement.id, [])
    seen = [v.date for v in visits if v.still_employed and v.date > day]
    if seen:
        return [
            field_error(
                field, "end_before_visit", f"a visit on {max(seen)} found the person still employed"
            )
        ]
    return []


def end(
    session: Session, placement: Placement, day: dt.date, reason: LeavingReason, *, by: str
) -> None:
    """Record the end; the seeker's status follows (see the module's docstring)."""
    placement.end_date = day
    placement.end_reason = reason.value
    seeker = seeker_repo.get(session, placement.seeker_id)  # None once erased
    if seeker is None or seeker.status != SeekerStatus.employed.value:
        return
    if repo.running_other(session, seeker.id, placement.id):
        return
    back = SeekerStatus.inactive if reason is LeavingReason.retired else SeekerStatus.seeking
    status.change(
        session,
        seeker,
        back,
        on=_status_day(session, seeker, day),
        cause=StatusCause.placement_ended,
        by=by,
        placement_id=placement.id,
    )


def update(
    session: Session, audit: Audit, placement: Placement, body: PlacementUpdate
) -> Placement:
    values: dict[str, Any] = body.model_dump(exclude_unset=True)
    ending = {"end_date", "end_reason"} & values.keys()
    if len(ending) == 1:
        missing = ({"end_date", "end_reason"} - ending).pop()
        raise_if_errors(
            [
                field_error(
                    missing, "end_fields_together", "end_date and end_reason are given together"
                )
            ]
        )
    if ending:
        raise_if_errors(check_end(session, placement, values["end_date"], field="end_date"))
        if placement.end_date is not None:
            raise _conflict(
                "end_date", "already_ended", f"this placement already ended on {placement.end_date}"
            )
    for name in ("form", "counts_as_new"):
        if name in values:
            setattr(placement, name, values[name])
    if ending:
        end(
            session,
            placement,
            values["end_date"],
            LeavingReason(values["end_reason"]),
            by=audit.principal.key_id,
        )
    if values:
        touch(session, placement)
    audit.record(
        AuditAction.placement_update,
        "placement",
        placement.id,
        seekers=[placement.seeker_id],
        fields=list(values),
    )
    return placement


def touch(session: Session, placement: Placement) -> None:
    """The placement changed (its fields or its visits): a new version."""
    placement.version += 1
    placement.updated_at = utcnow()
    repo.save(session, placement)


# -- follow-up visits -------------------------------------------------------------------


def _visit_problems(
    session: Session, placement: Placement, body: FollowUpCreate
) -> list[FieldProblem]:
    problems = []
    if body.date < placement.start_date:
        problems.append(
            field_error("date", "date_before_start", "the visit cannot come before the start")
        )
    elif body.still_employed and placement.end_date and body.date > placement.end_date:
        problems.append(
            field_error(
                "still_employed", "after_placement_end", f"the job ended on {placement.end_date}"
            )
        )
    elif not body.still_employed and placement.end_date is None:
        problems += check_end(session, placement, body.date, field="date")
    if body.still_employed and body.reason_left:
        problems.append(
            field_error(
                "reason_left",
                "reason_not_applicable",
                "a reason for leaving only when still_employed is false",
            )
        )
    if not body.still_employed and not body.reason_left:
        problems.append(
            field_error("reason_left", "reason_required", "say why the person left the job")
        )
    needs = body.support_needed
    if len(set(needs)) != len(needs):
        problems.append(field_error("support_needed", "duplicate", "each need once"))
    elif SupportNeed.none in needs and len(needs) > 1:
        problems.append(
            field_error("support_needed", "none_with_others", "'none' excludes every other need")
        )
    return problems


def record_visit(
    session: Session, audit: Audit, placement: Placement, body: FollowUpCreate
) -> FollowUpVisit:
    """A follow-up visit; one that finds the person no longer employed ends a running
    placement on the visit's date, for the reason it gives."""
    raise_if_errors(_visit_problems(session, placement, body))
    by = audit.principal.key_id
    visit = FollowUpVisit(
        id=new_id("fuv"),
        placement_id=placement.id,
        date=body.date,
        method=body.method,
        still_employed=body.still_employed,
        reason_left=body.reason_left,
        support_needed=list(body.support_needed),
        recorded_by=by,
        created_at=utcnow(),
    )
    repo.add_visit(session, visit)
    if body.reason_left is not None and placement.end_date is None:  # no longer employed
        end(session, placement, body.date, LeavingReason(body.reason_left), by=by)
    touch(session, placement)
    audit.record(
        AuditAction.follow_up_create, "follow_up_visit", visit.id, seekers=[placement.seeker_id]
    )
    return visit


# -- answers ----------------------------------------------------------------------------


def visits_by_placement(
    session: Session, placements: list[Placement]
) -> dict[str, list[FollowUpVisit]]:
    return repo.visits_of(session, [p.id for p in placements])


def to_public(placement: Placement, visits: list[FollowUpVisit]) -> PlacementPublic:
    today = today_in_china()
    start, end_date = placement.start_date, placement.end_date
    milestones = [
        MilestonePublic(
            month=m.month,
            due_on=m.due_on,
            window_opens_on=m.opens_on,
            window_closes_on=m.closes_on,
            status=m.status,
            visit_id=m.visit_id,
        )
        for m in follow_ups.schedule(start, end_date, visits, today)
    ]
    return PlacementPublic(
        id=placement.id,
        seeker_id=placement.seeker_id,
        employer_id=placement.employer_id,
        vacancy_id=placement.vacancy_id,
        referral_id=placement.referral_id,
        district_code=placement.district_code,
        start_date=start,
        form=EmploymentForm(placement.form),
        counts_as_new=placement.counts_as_new,
        end_date=end_date,
        end_reason=LeavingReason(placement.end_reason) if placement.end_reason else None,
        follow_ups=milestones,
        visits=[
            VisitPublic(
                id=v.id,
                date=v.date,
                method=VisitMethod(v.method),
                still_employed=v.still_employed,
                reason_left=LeavingReason(v.reason_left) if v.reason_left else None,
                support_needed=[SupportNeed(s) for s in v.support_needed],
                recorded_by=v.recorded_by,
                created_at=as_utc(v.created_at),
            )
            for v in visits
        ],
        retained_6_months=follow_ups.retained_6_months(placement.six_months_on, end_date, visits),
        recorded_by=placement.recorded_by,
        version=placement.version,
        created_at=as_utc(placement.created_at),
        updated_at=as_utc(placement.updated_at),
    )
