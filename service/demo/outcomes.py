"""Jobs in the demo year: placements (from a referral, or found without one), their
follow-up visits (跟踪回访) at 1, 3, 6 and 12 months, and some people leaving."""

from __future__ import annotations

import datetime as dt

from service.demo import desk as stamps
from service.demo.desk import Desk
from service.demo.records import employment_service
from service.models.enums import EmploymentForm, LeavingReason, SupportNeed, VisitMethod
from service.models.placement import FollowUpCreate, PlacementCreate, PlacementUpdate
from service.models.tables import Employer, Placement, Referral, Seeker, Vacancy
from service.services import placements
from service.services.follow_ups import MONTHS, WINDOW_BEFORE, add_months

F, L = EmploymentForm, LeavingReason
# The agricultural company that runs a rural production base (助残基地) for the counties.
RURAL_BASE = "盂县红香谷农业开发有限公司"
LEAVE_BY_MONTH = {1: 0.08, 3: 0.10, 6: 0.08, 12: 0.05}  # before each visit
STEADY = {
    F.sheltered: 0.4,
    F.public_welfare: 0.4,
    F.self_employed: 0.5,
    F.rural_production: 0.5,
    F.flexible: 1.6,
    F.dispatch: 1.3,
}
LEAVING = (
    (L.contract_ended, 14),
    (L.resigned_pay, 12),
    (L.resigned_workload, 15),
    (L.resigned_accessibility, 6),
    (L.resigned_relations, 8),
    (L.health, 14),
    (L.family, 10),
    (L.dismissed, 6),
    (L.moved_away, 4),
    (L.employer_closed, 2),
    (L.other, 3),
)
SUPPORT = (
    SupportNeed.job_coach,
    SupportNeed.accommodation_change,
    SupportNeed.employer_mediation,
    SupportNeed.skills_training,
    SupportNeed.transport,
    SupportNeed.assistive_device,
    SupportNeed.health_support,
    SupportNeed.subsidy_application,
)
METHODS = (
    (VisitMethod.on_site, 40),
    (VisitMethod.phone, 40),
    (VisitMethod.home_visit, 15),
    (VisitMethod.online, 5),
)


def form_of(desk: Desk, vacancy: Vacancy, employer: Employer) -> EmploymentForm:
    """The form of employment a job at this vacancy counts as."""
    if vacancy.public_welfare:
        return F.public_welfare
    by_kind = {
        "sheltered_workshop": F.sheltered,
        "blind_massage": F.blind_massage,
        "concentrated_employer": F.concentrated,
        "platform": F.flexible,
    }
    if employer.kind in by_kind:
        return by_kind[employer.kind]
    if vacancy.employment_type == "flexible":
        return F.flexible
    if vacancy.work_mode == "remote":
        return F.home_based
    if employer.kind in ("soe", "private") and desk.rng.random() < 0.1:
        return F.dispatch
    return F.quota


def place(
    desk: Desk,
    seeker: Seeker,
    employer: Employer,
    start: dt.date,
    form: EmploymentForm,
    *,
    at: dt.datetime,
    referral: Referral | None = None,
    vacancy: Vacancy | None = None,
) -> Placement:
    """A job start, recorded by the counselor on the first working day.  It counts as new
    employment unless the person already counted this year (and now and then not, when
    the job was kept from before registration)."""
    counted = any(p.counts_as_new for p in desk.placements if p.seeker_id == seeker.id)
    body = PlacementCreate.model_validate(
        {
            "seeker_id": seeker.id,
            "employer_id": employer.id,
            "vacancy_id": vacancy.id if vacancy is not None else None,
            "referral_id": referral.id if referral is not None else None,
            "start_date": start,
            "form": form,
            "counts_as_new": not counted and desk.rng.random() < 0.93,
        }
    )
    placement = placements.create(desk.session, desk.ctx, desk.counselor, body)
    stamps.placement_touched(desk, placement, at)
    if referral is not None:
        stamps.referral_moved(desk, referral, at)  # the hire
    if vacancy is not None:
        desk.remaining[vacancy.id] -= 1
    desk.placements.append(placement)
    desk.visits[placement.id] = []
    return placement


def _leave(desk: Desk, placement: Placement, after: dt.date, visit_day: dt.date) -> dt.date:
    """The person left between ``after`` and the visit due on ``visit_day``: the visit
    finds it out, or the counselor hears of it earlier and ends the placement."""
    rng = desk.rng
    reason = rng.choices([r for r, _ in LEAVING], weights=[w for _, w in LEAVING])[0]
    if visit_day <= desk.last_day and rng.random() < 0.5:
        _visit(desk, placement, visit_day, reason=reason)
        return visit_day
    left = after + dt.timedelta(days=rng.randint(1, max(1, (visit_day - after).days)))
    left = min(left, desk.last_day)
    placements.update(
        desk.session,
        desk.counselor,
        placement,
        PlacementUpdate.model_validate({"end_date": left, "end_reason": reason}),
    )
    told = min(desk.last_day, left + dt.timedelta(days=rng.randint(0, 10)))
    stamps.placement_touched(desk, placement, desk.when(told))
    return left


def _visit(
    desk: Desk, placement: Placement, day: dt.date, *, reason: LeavingReason | None = None
) -> None:
    rng = desk.rng
    needs = [SupportNeed.none]
    if reason is None and rng.random() < 0.35:
        needs = rng.sample(SUPPORT, k=rng.choice((1, 1, 2)))
    body = FollowUpCreate.model_validate(
        {
            "date": day,
            "method": rng.choices([m for m, _ in METHODS], weights=[w for _, w in METHODS])[0],
            "still_employed": reason is None,
            "reason_left": reason,
            "support_needed": [] if reason is not None and rng.random() < 0.5 else needs,
        }
    )
    visit = placements.record_visit(desk.session, desk.counselor, placement, body)
    at = desk.when(day)
    visit.created_at = at  # seed-only backdating (see service.demo.desk)
    desk.session.add(visit)
    stamps.placement_touched(desk, placement, at)
    desk.visits[placement.id].append(visit)


def follow_up(desk: Desk, placement: Placement, *, may_leave: bool) -> dt.date | None:
    """Visits at 1, 3, 6 and 12 months where due by today; the day the person left, or
    None while they are still employed.  A visit falling due lately is sometimes still
    to be made (the follow-ups list shows it overdue), an older one now and then missed."""
    rng, start = desk.rng, placement.start_date
    steady = STEADY.get(EmploymentForm(placement.form), 1.0)
    since = start
    for i, month in enumerate(MONTHS):
        due = add_months(start, month)
        closes = add_months(start, (*MONTHS, 18)[i + 1]) - WINDOW_BEFORE
        day = due + dt.timedelta(days=rng.randint(-10, 4))
        if may_leave and rng.random() < LEAVE_BY_MONTH[month] * steady:
            if since >= desk.last_day:
                return None
            return _leave(desk, placement, since, day)
        if day > desk.last_day:
            return None
        if rng.random() < (0.15 if desk.today < closes else 0.05):
            continue  # not visited (yet)
        _visit(desk, placement, day)
        since = day
    return None


def direct(desk: Desk, seeker: Seeker, start: dt.date, used: set[str]) -> Placement:
    """A job found without a referral: rural production at the rural base, a business of
    the person's own (one individual business each), or platform work."""
    rng = desk.rng
    own = [e for e in desk.employers if e.kind == "individual_business" and e.id not in used]
    if seeker.hukou == "rural" and rng.random() < 0.6:
        [employer] = [e for e in desk.employers if e.name == RURAL_BASE]
        form, service = F.rural_production, "policy_consultation"
    elif own and rng.random() < 0.35:
        employer = rng.choice(own)
        used.add(employer.id)
        form, service = F.self_employed, "entrepreneurship_guidance"
    else:
        employer = rng.choice([e for e in desk.employers if e.kind == "platform"])
        form, service = F.flexible, "job_introduction"
    before = max(start - dt.timedelta(days=rng.randint(3, 20)), desk.first_day)
    employment_service(desk, seeker, min(before, start), service)
    return place(desk, seeker, employer, start, form, at=desk.when(start))
