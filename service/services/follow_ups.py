"""Follow-up visits (跟踪回访): when they fall due, which visit satisfies which, and
six-month retention.  Pure functions of the placement's dates and its visits, plus the
list of visits to make.

The calendar, precisely:

- Milestones fall due 1, 3, 6 and 12 months after the start date (``add_months``: the
  same day of the month, or the month's last day when it has no such day, so a start on
  31 August is due on 28/29 February at six months).
- Each milestone has a window ``[opens, closes)``: it opens 14 days before its due date
  and closes where the next milestone's window opens; the 12-month window closes where an
  18-month one would (six months on, like the step from 6 to 12).  The windows follow
  one another without overlap, so a visit counts for exactly one milestone, the one whose
  window holds its date; a visit before the first window (a first-week call) counts for
  none.
- A milestone's status on a day, first rule that applies:
  ``done`` a visit is dated in its window (``visit_id``: the first such visit);
  ``not_needed`` the placement ended before its window opened;
  ``upcoming`` the window has not opened;
  ``due`` the window is open and the due date not passed (the 14 days up to it);
  ``missed`` the window has closed (the next visit counts for the next milestone);
  ``overdue`` past the due date, no visit, the window still open.

Six-month retention (the outcome the scorer predicts), :func:`retained_6_months`:
``false`` when the placement ended before start + 6 months; ``true`` when it ended on or
after that day, or a visit dated on or after it found the person still employed, or it
is still running, that day has come and the latest visit found them still employed;
``null`` (not known yet) otherwise, e.g. six months have passed with no visit at all.
"""

from __future__ import annotations

import calendar
import datetime as dt
import functools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from sqlmodel import Session

from service.access import Action
from service.models.enums import AuditAction
from service.models.placement import FollowUpDue, FollowUpStatus, Month
from service.models.tables import Placement
from service.repositories import placements as repo
from service.repositories.pagination import PageParams, decode_cursor, encode_cursor
from service.services.audit import Audit

MONTHS: tuple[Month, ...] = (1, 3, 6, 12)
_CLOSING_MONTH = 18  # the 12-month window closes where an 18-month one would open
WINDOW_BEFORE = dt.timedelta(days=14)
RETENTION_MONTHS = 6
ACTIONABLE = frozenset({FollowUpStatus.due, FollowUpStatus.overdue, FollowUpStatus.upcoming})


class Visit(Protocol):
    @property
    def id(self) -> str: ...
    @property
    def date(self) -> dt.date: ...
    @property
    def still_employed(self) -> bool: ...


def add_months(day: dt.date, months: int) -> dt.date:
    """The same day ``months`` later (or earlier), clamped to the end of a shorter month."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return dt.date(year, month + 1, min(day.day, last))


@dataclass(frozen=True)
class Milestone:
    month: Month
    due_on: dt.date
    opens_on: dt.date
    closes_on: dt.date  # exclusive
    status: FollowUpStatus
    visit_id: str | None


def _opens(start: dt.date, month: int) -> dt.date:
    return add_months(start, month) - WINDOW_BEFORE


def _status(
    opens: dt.date, due: dt.date, closes: dt.date, *, end: dt.date | None, today: dt.date
) -> FollowUpStatus:
    """The status of a milestone no visit satisfied."""
    if end is not None and end < opens:
        return FollowUpStatus.not_needed
    if today < opens:
        return FollowUpStatus.upcoming
    if today <= due:
        return FollowUpStatus.due
    if today >= closes:
        return FollowUpStatus.missed
    return FollowUpStatus.overdue


@functools.lru_cache(maxsize=4096)
def _windows(start: dt.date) -> tuple[tuple[Month, dt.date, dt.date, dt.date], ...]:
    """(month, opens, due, closes) of each milestone: a function of the start date alone,
    kept for the few thousand start dates a year's statistics go through."""
    bounds = [*MONTHS, _CLOSING_MONTH]
    return tuple(
        (month, _opens(start, month), add_months(start, month), _opens(start, following))
        for month, following in zip(MONTHS, bounds[1:], strict=True)
    )


def schedule(
    start: dt.date, end: dt.date | None, visits: Sequence[Visit], today: dt.date
) -> list[Milestone]:
    """The four milestones of a placement, each with its status on ``today``."""
    windows = _windows(start)
    return [
        Milestone(
            month=month,
            due_on=due,
            opens_on=opens,
            closes_on=closes,
            status=status,
            visit_id=visit.id if visit else None,
        )
        for (month, opens, due, closes), (status, visit) in zip(
            windows, _statuses(windows, end, visits, today), strict=True
        )
    ]


def due_statuses(
    start: dt.date, end: dt.date | None, visits: Sequence[Visit], today: dt.date
) -> list[tuple[Month, dt.date, FollowUpStatus]]:
    """(month, due date, status on ``today``) of the four milestones: :func:`schedule`
    without the rest, for counting hundreds of thousands of placements."""
    windows = _windows(start)
    return [
        (window[0], window[2], status)
        for window, (status, _) in zip(windows, _statuses(windows, end, visits, today), strict=True)
    ]


def _statuses(
    windows: Sequence[tuple[Month, dt.date, dt.date, dt.date]],
    end: dt.date | None,
    visits: Sequence[Visit],
    today: dt.date,
) -> list[tuple[FollowUpStatus, Visit | None]]:
    """Each window's status and the visit that satisfied it (the first dated in it)."""
    ordered = sorted(visits, key=lambda v: (v.date, v.id)) if len(visits) > 1 else visits
    out: list[tuple[FollowUpStatus, Visit | None]] = []
    for _, opens, due, closes in windows:
        visit = next((v for v in ordered if opens <= v.date < closes), None) if ordered else None
        if visit is not None:
            out.append((FollowUpStatus.done, visit))
        else:
            out.append((_status(opens, due, closes, end=end, today=today), None))
    return out


def six_months_on(start: dt.date) -> dt.date:
    return add_months(start, RETENTION_MONTHS)


def retained_6_months(
    six_months_on: dt.date, end: dt.date | None, visits: Sequence[Visit]
) -> bool | None:
    """Still employed six months after the start (``six_months_on``, see
    :func:`six_months_on`): True, False, or None (not known yet).  The SQL filter in
    :mod:`service.repositories.placements` says the same of the stored column."""
    if end is not None:
        return end >= six_months_on
    # Running: known only once a visit on or after the six-month date found the person
    # at work (an early call says nothing about month six).
    if any(v.still_employed and v.date >= six_months_on for v in visits):
        return True
    return None


def month_of(day: dt.date) -> dt.date:
    return day.replace(day=1)


def erased_six_months_on(six: dt.date, end: dt.date | None, visits: Sequence[Visit]) -> dt.date:
    """The six-month date an erased person's remainder keeps, its dates cut to the month
    (start, end, visits): the first of a month that gives the same retention answer
    against those cut dates as the exact one gave."""
    known = retained_6_months(six, end, visits)
    if end is not None:
        # ended: retained iff end >= six; month_of(end) >= month_of(end) holds, the
        # following month's first does not.
        return month_of(end) if known else add_months(month_of(end), 1)
    if known:
        return month_of(six)  # every date that made it true is still on or after this
    # Not known: every still-employed visit lies before ``six``, so before the next month.
    return add_months(month_of(six), 1)


# -- the list of visits to make ---------------------------------------------------------


def due_items(
    placement: Placement, visits: Sequence[Visit], *, today: dt.date, due_before: dt.date
) -> list[FollowUpDue]:
    """The placement's milestones still to visit (due, overdue, or upcoming) that fall
    due on or before ``due_before``."""
    return [
        FollowUpDue(
            placement_id=placement.id,
            seeker_id=placement.seeker_id,
            employer_id=placement.employer_id,
            district_code=placement.district_code,
            month=m.month,
            due_on=m.due_on,
            status=m.status,
            days_overdue=(today - m.due_on).days if m.status is FollowUpStatus.overdue else 0,
        )
        for m in schedule(placement.start_date, placement.end_date, visits, today)
        if m.status in ACTIONABLE and m.due_on <= due_before
    ]


def candidate_filter(
    *, today: dt.date, due_before: dt.date, district_code: str | None, recorded_by_owner: str | None
) -> repo.DueFilter:
    """Bounds on the start date that every placement with a milestone to list meets: its
    first milestone falls due by ``due_before``, and its last window (closing 18 months
    less 14 days after the start) has not closed."""
    return repo.DueFilter(
        started_from=add_months(today, -_CLOSING_MONTH),
        started_to=due_before - dt.timedelta(days=28),
        district_code=district_code,
        recorded_by_owner=recorded_by_owner,
    )


def page(
    session: Session,
    audit: Audit,
    *,
    due_before: dt.date,
    today: dt.date,
    district_code: str | None,
    mine: bool,
    params: PageParams,
) -> tuple[list[FollowUpDue], str | None]:
    """Milestones to visit, by placement (in id order).  ``limit`` counts milestones; a
    placement's milestones are never split across pages, so a page may hold up to three
    more; pages are never empty while more remain."""
    flt = candidate_filter(
        today=today,
        due_before=due_before,
        district_code=district_code,
        recorded_by_owner=audit.principal.owner_id if mine else None,
    )
    owner = audit.principal.owner_filter(Action.read_placement)
    items: list[FollowUpDue] = []
    after = params.after
    while True:
        rows, cursor = repo.due_candidates(
            session, flt, PageParams(params.limit, after), seeker_owner=owner
        )
        visits = repo.visits_of(session, [p.id for p in rows])
        for index, placement in enumerate(rows):
            items += due_items(
                placement, visits.get(placement.id, []), today=today, due_before=due_before
            )
            if len(items) >= params.limit:
                if index < len(rows) - 1:
                    cursor = encode_cursor(placement.id)
                break
        if len(items) >= params.limit or cursor is None:
            break
        after = decode_cursor(cursor)
    audit.record(
        AuditAction.follow_up_list,
        "follow_up_visit",
        None,
        seekers=list(dict.fromkeys(i.seeker_id for i in items)),
    )
    return items, cursor
