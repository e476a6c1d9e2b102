"""The counselor's desk for the demo's year of casework: what the casework modules share
(the session, the keys acting, the vacancies and their openings, the random stream) and
the seed-only backdating that makes rows written now read as the day they record.

Seed-only backdating: the services stamp ``created_at``, ``updated_at``, a referral
event's ``at`` and a status entry's ``created_at`` with the present moment, as they must
for real work.  The demo records a year of work in one run, so after each service call
the seed (and only the seed) moves those stamps to the day the work is dated, at an
office hour in China.  Every date the services decide themselves (a status change on a
job's start or end, a placement's six-month day) comes from the services unchanged.
"""

from __future__ import annotations

import datetime as dt
import random
from collections import Counter
from dataclasses import dataclass, field

from sqlmodel import Session, col, select

from service.context import Context
from service.models.base import as_utc
from service.models.tables import (
    ConsentRecord,
    Employer,
    FollowUpVisit,
    Placement,
    Referral,
    ReferralEvent,
    Seeker,
    SeekerStatusChange,
    Vacancy,
)
from service.rules import CHINA_TZ
from service.services import status
from service.services.audit import Audit
from service.services.matching import Matcher

YEAR = 365  # days of casework before today


@dataclass
class Desk:
    session: Session
    ctx: Context
    rng: random.Random
    today: dt.date
    started: dt.datetime  # when the seed started (UTC): rows stamped since are its own
    counselor: Audit
    partner: Audit
    matcher: Matcher
    vacancies: dict[str, tuple[Vacancy, Employer]]  # in posting order
    employers: list[Employer]
    posted: dict[str, dt.date] = field(default_factory=dict)  # vacancy id -> posted on
    remaining: dict[str, int] = field(default_factory=dict)  # vacancy id -> openings left
    referred: dict[str, set[str]] = field(default_factory=dict)  # seeker id -> vacancy ids
    referrals: list[Referral] = field(default_factory=list)
    placements: list[Placement] = field(default_factory=list)
    visits: dict[str, list[FollowUpVisit]] = field(default_factory=dict)  # by placement
    services: Counter[str] = field(default_factory=Counter)

    @property
    def last_day(self) -> dt.date:
        """The newest day work is dated (yesterday: nothing lies ahead of the clock)."""
        return self.today - dt.timedelta(days=1)

    @property
    def first_day(self) -> dt.date:
        return self.today - dt.timedelta(days=YEAR)

    def when(self, day: dt.date, *, start: int = 9, end: int = 17) -> dt.datetime:
        """An office-hour instant on ``day`` in China, in UTC."""
        minute = self.rng.randint(start * 60, end * 60 - 1)
        local = dt.datetime.combine(day, dt.time(minute // 60, minute % 60), CHINA_TZ)
        return local.astimezone(dt.UTC)

    def audit_for(self, vacancy: Vacancy) -> Audit:
        """The employer's side of a referral: the partner's key acts on its own vacancies,
        the counselor on the rest."""
        if vacancy.owner_key_id == self.partner.principal.owner_id:
            return self.partner
        return self.counselor


def china_day(instant: dt.datetime) -> dt.date:
    return as_utc(instant).astimezone(CHINA_TZ).date()


# -- seed-only backdating (see the module's docstring) -----------------------------------


def _new(desk: Desk, stamp: dt.datetime) -> bool:
    return as_utc(stamp) >= desk.started


def registration(desk: Desk, seeker: Seeker, day: dt.date) -> None:
    """The person registered (and consented) on ``day``: the seeker's creation, its
    consent records and the first status entry."""
    at = desk.when(day)
    seeker.created_at = seeker.consent_recorded_at = at
    desk.session.add(seeker)
    for record in desk.session.exec(
        select(ConsentRecord).where(ConsentRecord.seeker_id == seeker.id)
    ):
        record.recorded_at = at
        desk.session.add(record)
    first = status.history(desk.session, seeker.id)[0]
    first.date, first.created_at = day, at
    desk.session.add(first)


def status_entries(desk: Desk, seeker: Seeker) -> None:
    """Every status entry the seed wrote for ``seeker``: recorded on the day it is dated."""
    for entry in desk.session.exec(
        select(SeekerStatusChange).where(SeekerStatusChange.seeker_id == seeker.id)
    ):
        if _new(desk, entry.created_at):
            entry.created_at = desk.when(entry.date)
            desk.session.add(entry)


def referral_moved(desk: Desk, referral: Referral, at: dt.datetime) -> None:
    """The referral's newest event(s), and the referral itself, happened ``at``."""
    stmt = select(ReferralEvent).where(ReferralEvent.referral_id == referral.id)
    for event in desk.session.exec(stmt.order_by(col(ReferralEvent.id))):
        if _new(desk, event.at):
            event.at = at
            desk.session.add(event)
    if _new(desk, referral.created_at):
        referral.created_at = at
    referral.updated_at = at
    desk.session.add(referral)


def placement_touched(desk: Desk, placement: Placement, at: dt.datetime) -> None:
    if _new(desk, placement.created_at):
        placement.created_at = at
    placement.updated_at = at
    desk.session.add(placement)


def posted(desk: Desk, vacancy: Vacancy, day: dt.date) -> None:
    vacancy.created_at = vacancy.updated_at = desk.when(day)
    desk.session.add(vacancy)


def registered_employer(desk: Desk, employer: Employer, day: dt.date) -> None:
    employer.created_at = employer.updated_at = desk.when(day)
    desk.session.add(employer)
