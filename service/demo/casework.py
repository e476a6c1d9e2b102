"""A year of casework in Yangquan for the demo seekers, through the casework services.

For each person, in the order of their own days: registration; a basic-information
check (基础信息核对) for about nine in ten; for those who need work an ability assessment,
a needs registration and employment services, training for some; rounds of referrals
from their real matches until one leads to a job (see service.demo.pipeline); the job's
follow-up visits, and for some the job's end and a new search.  Some find work without a
referral.  The plan's ``employed`` people end the year in a job, its ``inactive`` ones
have left the labour market.  The counselor's demo key does the counselor's work.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import Any

from service.demo import desk as stamps
from service.demo import records
from service.demo.desk import Desk
from service.demo.outcomes import direct, follow_up
from service.demo.people import SeekerPlan
from service.demo.pipeline import Ranker, run_round
from service.models.enums import EmploymentForm, ReferralStatus, ServiceType
from service.models.placement import FollowUpStatus
from service.models.tables import Placement, Seeker
from service.services.follow_ups import add_months, due_items

FAIRS = ((3, 14), (5, 17), (9, 19))  # the year's recruitment fairs for disabled people
DUE_AHEAD = dt.timedelta(days=14)  # GET /v1/follow-ups lists what falls due by then


def _days(desk: Desk, lo: int, hi: int) -> dt.timedelta:
    return dt.timedelta(days=desk.rng.randint(lo, hi))


def _fair_day(desk: Desk) -> dt.date:
    days = [dt.date(desk.today.year, m, d) for m, d in FAIRS]
    days = [d for d in days if d <= desk.last_day - dt.timedelta(days=3)]
    return desk.rng.choice(days) if days else desk.last_day - dt.timedelta(days=3)


def _registration(desk: Desk, seeker: Seeker, plan: SeekerPlan) -> tuple[dt.date, dt.date | None]:
    """The day the person registered, and the day of the basic check (None: not yet)."""
    rng = desk.rng
    adult = add_months(seeker.birth_date, 12 * desk.ctx.rules.min_working_age)
    recent = plan.status == "seeking" and plan.owner != "kiosk" and rng.random() < 0.1
    if plan.owner == "kiosk":
        day = _fair_day(desk)
    elif recent:
        day = desk.last_day - _days(desk, 0, 45)
    elif rng.random() < 0.6:
        day = desk.first_day - _days(desk, 1, 600)
    else:
        day = desk.first_day + _days(desk, 0, 330)
    day = min(max(day, adult), desk.last_day)
    if recent:
        return day, None
    if plan.owner == "kiosk":  # checked at the fair, on the spot
        return day, day
    check = (
        desk.first_day + _days(desk, 0, 240) if day < desk.first_day else day + _days(desk, 0, 20)
    )
    return day, min(check, desk.last_day)


def _intake(desk: Desk, seeker: Seeker, check: dt.date, *, fair: bool) -> dt.date | None:
    """Assessment, needs registration, guidance and perhaps training after the check (at
    a fair: assessed and registered at the assessment centre's stand, the same day); the
    day of the needs registration (None: not reached yet)."""
    rng = desk.rng
    soon = fair or rng.random() < 0.2
    assessed = check + (dt.timedelta() if soon else _days(desk, 1, 30))
    if assessed > desk.last_day:
        return None
    records.assessment(desk, seeker, assessed)
    registered = assessed + (dt.timedelta() if fair else _days(desk, 0, 10))
    if registered > desk.last_day:
        return None
    trains = rng.random() < 0.15
    records.needs_registration(
        desk,
        seeker,
        registered,
        training=trains or rng.random() < 0.1,
        business=rng.random() < 0.08,
    )
    guidance = min(desk.last_day, registered + _days(desk, 0, 14))
    records.employment_service(
        desk,
        seeker,
        guidance,
        rng.choice(("career_guidance", "career_guidance", "policy_consultation")),
    )
    if rng.random() < 0.3:
        later = min(desk.last_day, registered + _days(desk, 15, 200))
        records.employment_service(
            desk, seeker, later, rng.choice(("policy_consultation", "career_guidance", "hr_agency"))
        )
    course = registered + _days(desk, 5, 60)
    if trains and course <= desk.last_day:
        records.training(desk, seeker, course)
    return registered


def _search(
    desk: Desk, ranker: Ranker, seeker: Seeker, plan: SeekerPlan, day: dt.date
) -> tuple[dt.date, bool]:
    """Rounds of referrals from ``day``, each job followed up; the last day of the search
    and whether the person ends it in a job."""
    rng = desk.rng
    rounds = 0
    while day <= desk.last_day - dt.timedelta(days=2) and rounds < 4:
        rounds += 1
        if not seeker.consent_share_with_employers:
            break  # no referral without consent to share the profile with employers
        done = run_round(desk, ranker, seeker, day, fair=plan.owner == "kiosk" and rounds == 1)
        if done is None:
            break
        ended, placement = done
        if placement is None:
            if rng.random() < 0.3:
                return ended, False
            day = ended + _days(desk, 10, 45)
            continue
        left = follow_up(desk, placement, may_leave=plan.status != "employed")
        if left is None:
            return desk.last_day, True
        day = left + _days(desk, 14, 45)
    return min(day, desk.last_day), False


def _person(desk: Desk, ranker: Ranker, seeker: Seeker, plan: SeekerPlan, used: set[str]) -> None:
    rng = desk.rng
    registered, check = _registration(desk, seeker, plan)
    stamps.registration(desk, seeker, registered)
    if check is None:
        return
    need = plan.status == "employed" or (plan.status == "seeking" and rng.random() < 0.78)
    fair = plan.owner == "kiosk"  # registered at a fair: checked and referred there
    records.basic_check(desk, seeker, check, need=need, channel="on_site" if fair else None)
    if plan.status == "inactive":
        records.left_labour_market(desk, seeker, min(desk.last_day, check + _days(desk, 0, 20)))
    if not need:
        return
    intake = _intake(desk, seeker, check, fair=fair)
    if intake is None:
        return
    first = intake if fair else intake + _days(desk, 3, 40)
    last, employed = _search(desk, ranker, seeker, plan, first)
    if not employed and (plan.status == "employed" or rng.random() < 0.08):
        start = min(desk.last_day, max(last + _days(desk, 5, 40), intake + _days(desk, 7, 30)))
        ended = [p.end_date for p in desk.placements if p.seeker_id == seeker.id]
        if all(end is not None and end < start for end in ended):
            placement = direct(desk, seeker, start, used)
            follow_up(desk, placement, may_leave=plan.status != "employed")


def _prepare(desk: Desk) -> None:
    """Vacancies posted over the year, employers registered before their first posting
    (seed-only backdating), every opening still free."""
    first: dict[str, dt.date] = {}
    for vacancy_id, (vacancy, employer) in desk.vacancies.items():
        day = desk.today - _days(desk, 5, 340)
        desk.posted[vacancy_id] = day
        desk.remaining[vacancy_id] = vacancy.openings - vacancy.openings_filled
        stamps.posted(desk, vacancy, day)
        first[employer.id] = min(day, first.get(employer.id, day))
    for employer in desk.employers:
        day = first.get(employer.id, desk.first_day) - _days(desk, 5, 90)
        stamps.registered_employer(desk, employer, day)


def seed_casework(desk: Desk, people: list[tuple[Seeker, SeekerPlan]]) -> dict[str, Any]:
    """Record the year; the summary of what was recorded."""
    _prepare(desk)
    ranker = Ranker(desk)
    used: set[str] = set()
    for seeker, plan in people:
        _person(desk, ranker, seeker, plan, used)
        stamps.status_entries(desk, seeker)
    return summary(desk)


def _due(desk: Desk, placement: Placement) -> list[FollowUpStatus]:
    items = due_items(
        placement, desk.visits[placement.id], today=desk.today, due_before=desk.today + DUE_AHEAD
    )
    return [i.status for i in items]


def summary(desk: Desk) -> dict[str, Any]:
    by_status = Counter(r.status for r in desk.referrals)
    forms = Counter(p.form for p in desk.placements)
    due = [s for p in desk.placements for s in _due(desk, p)]
    return {
        "services_by_type": {t.value: desk.services[t.value] for t in ServiceType},
        "referrals": len(desk.referrals),
        "referrals_by_status": {s.value: by_status[s.value] for s in ReferralStatus},
        "placements": len(desk.placements),
        "placements_by_form": {f.value: forms[f.value] for f in EmploymentForm if forms[f.value]},
        "placements_from_referrals": sum(p.referral_id is not None for p in desk.placements),
        "placements_counted_as_new": sum(p.counts_as_new for p in desk.placements),
        "placements_ended": sum(p.end_date is not None for p in desk.placements),
        "follow_up_visits": sum(len(v) for v in desk.visits.values()),
        "follow_ups_due_now": len(due),
        "follow_ups_overdue": due.count(FollowUpStatus.overdue),
    }
