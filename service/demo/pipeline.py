"""Referrals in the demo year: rounds of referrals from the person's real matches, each
moved along the pipeline (service.services.referral_flow) with the drop-off a counselor
sees, the first hire of a round becoming a placement.

A round is planned whole before it is recorded: every referral's path (interview,
rejection with its reason, decline, offer, hire) is drawn, the earliest hire wins and
the person's other open referrals close after it.  Then everything goes through the
services, the employer's moves on the partner's own vacancies by the partner's key.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

import numpy as np

from service.demo import desk as stamps
from service.demo.desk import Desk, china_day
from service.demo.outcomes import form_of, place
from service.demo.records import employment_service
from service.matching.arrays import build_seekers, build_vacancies
from service.matching.index import Side
from service.matching.ranking import vacancies_for_seeker
from service.matching.records import seeker_record, vacancy_record
from service.models.enums import ReferralReason, ReferralStatus
from service.models.referral import ReferralCreate, ReferralUpdate
from service.models.tables import Placement, Referral, Seeker
from service.services import referral_flow, referrals

S, R = ReferralStatus, ReferralReason
SHOWN = 10  # the counselor's match list shows ten
DEPTH = 30  # how far down the list a counselor may look for a referral of their own
DECLINE_EARLY = (
    (R.pay_too_low, 30),
    (R.commute_too_long, 25),
    (R.hours_unsuitable, 15),
    (R.job_content, 20),
    (R.workplace_not_accessible, 10),
)
REJECT_EARLY = (
    (R.skills_mismatch, 45),
    (R.experience_insufficient, 35),
    (R.accommodation_not_feasible, 10),
    (R.position_filled, 10),
)
REJECT_AFTER_INTERVIEW = (
    (R.interview_performance, 40),
    (R.skills_mismatch, 25),
    (R.experience_insufficient, 20),
    (R.accommodation_not_feasible, 15),
)
DECLINE_LATE = (
    (R.pay_too_low, 40),
    (R.job_content, 20),
    (R.hours_unsuitable, 20),
    (R.commute_too_long, 10),
    (R.family, 10),
)


@dataclasses.dataclass(frozen=True)
class Step:
    status: ReferralStatus
    at: dt.datetime
    reason: ReferralReason | None = None
    interview_at: dt.datetime | None = None


@dataclasses.dataclass
class Path:
    vacancy_id: str
    source: str
    rank: int | None
    shown: int | None
    created: dt.datetime
    steps: list[Step]

    @property
    def last(self) -> dt.datetime:
        return self.steps[-1].at if self.steps else self.created

    @property
    def status(self) -> ReferralStatus:
        return self.steps[-1].status if self.steps else S.referred


class Ranker:
    """The seeker's match list as the counselor's screen showed it on a day: the vacancies
    posted by then with an opening left, ranked by the scorer and the priority policy."""

    def __init__(self, desk: Desk) -> None:
        self.ids = list(desk.vacancies)
        records = [vacancy_record(v, e) for v, e in desk.vacancies.values()]
        self.side = Side.of(build_vacancies(records, desk.matcher.scorer.encode_text))

    def ranking(self, desk: Desk, seeker: Seeker, day: dt.date) -> list[str]:
        m = desk.matcher
        one = Side.of(build_seekers([seeker_record(seeker, m.rules)], m.scorer.encode_text))
        only = np.array([desk.posted[v] <= day and desk.remaining[v] > 0 for v in self.ids])
        ranked = vacancies_for_seeker(
            one, self.side, 0, m.day(), DEPTH, m.scorer, m.policy, only=only
        )
        return [self.ids[int(row)] for row in ranked.rows]


def _pick(desk: Desk, weighted: tuple[tuple[ReferralReason, int], ...]) -> ReferralReason:
    return desk.rng.choices([r for r, _ in weighted], weights=[w for _, w in weighted])[0]


def _later(desk: Desk, after: dt.datetime, lo: int, hi: int) -> dt.datetime:
    """An office-hour instant ``lo``..``hi`` days after ``after`` (and after it)."""
    day = china_day(after) + dt.timedelta(days=desk.rng.randint(lo, hi))
    at = desk.when(day)
    return at if at > after else after + dt.timedelta(minutes=desk.rng.randint(20, 90))


def _path(desk: Desk, created: dt.datetime) -> list[Step]:
    """One referral's path to its end (or its hire), before any cut at today."""
    rng, steps = desk.rng, []
    roll = rng.random()
    if roll < 0.15:
        return [Step(S.declined_by_seeker, _later(desk, created, 1, 6), _pick(desk, DECLINE_EARLY))]
    if roll < 0.37:
        return [
            Step(S.rejected_by_employer, _later(desk, created, 3, 21), _pick(desk, REJECT_EARLY))
        ]
    if roll < 0.40:
        return [Step(S.withdrawn, _later(desk, created, 2, 20), R.seeker_unavailable)]
    slow = rng.random() < 0.15  # an employer that takes weeks to answer
    scheduled = _later(desk, created, *((10, 40) if slow else (1, 7)))
    interview = desk.when(china_day(scheduled) + dt.timedelta(days=rng.randint(2, 8)), end=16)
    steps.append(Step(S.interview_scheduled, scheduled, interview_at=interview))
    roll = rng.random()
    if roll < 0.06:
        reason = rng.choice((R.health, R.family, R.commute_too_long))
        return [*steps, Step(S.declined_by_seeker, interview - dt.timedelta(hours=20), reason)]
    if roll < 0.12:
        return [*steps, Step(S.rejected_by_employer, interview + dt.timedelta(hours=2), R.no_show)]
    interviewed = interview + dt.timedelta(minutes=rng.randint(45, 180))
    steps.append(Step(S.interviewed, interviewed))
    roll = rng.random()
    if roll < 0.55:
        return [
            *steps,
            Step(
                S.rejected_by_employer,
                _later(desk, interviewed, 2, 10),
                _pick(desk, REJECT_AFTER_INTERVIEW),
            ),
        ]
    if roll < 0.63:
        return [
            *steps,
            Step(S.declined_by_seeker, _later(desk, interviewed, 1, 7), _pick(desk, DECLINE_LATE)),
        ]
    offered = _later(desk, interviewed, 2, 9)
    steps.append(Step(S.offered, offered))
    if rng.random() < 0.12:
        return [
            *steps,
            Step(S.declined_by_seeker, _later(desk, offered, 1, 5), _pick(desk, DECLINE_LATE)),
        ]
    start = china_day(offered) + dt.timedelta(days=rng.randint(3, 21))
    return [*steps, Step(S.hired, desk.when(start, start=8, end=10))]


def _cut(desk: Desk, steps: list[Step]) -> list[Step]:
    """What has happened by today: a step dated later has not happened yet (an interview
    already scheduled may lie ahead)."""
    kept = []
    for step in steps:
        if china_day(step.at) > desk.last_day:
            break
        kept.append(step)
    return kept


def _targets(
    desk: Desk, listed: list[str], seeker: Seeker, fair: bool
) -> list[tuple[str, str, int | None, int | None]]:
    """(vacancy, source, rank, shown) of the round's referrals: mostly from the top of
    the list, now and then one the counselor found further down."""
    rng = desk.rng
    done = desk.referred.setdefault(seeker.id, set())
    shown = listed[:SHOWN]
    count = rng.choices((1, 2, 3, 4), weights=(45, 30, 18, 7))[0]
    out: list[tuple[str, str, int | None, int | None]] = []
    for _ in range(count):
        taken = done | {t[0] for t in out}
        deeper = [v for v in listed[SHOWN:] if v not in taken]
        top = [(i + 1, v) for i, v in enumerate(shown) if v not in taken]
        if deeper and (not top or rng.random() < 0.1):
            out.append((rng.choice(deeper), "counselor", None, None))
        elif top:
            rank, vacancy = rng.choices(top, weights=[1 / r for r, _ in top])[0]
            out.append((vacancy, "fair" if fair else "match", rank, len(shown)))
    return out


def _resolve(desk: Desk, paths: list[Path]) -> Path | None:
    """The round's hire (the earliest, on a vacancy with an opening left); the other
    referrals stop there and close, as a counselor closes them once the person has a job."""
    for path in paths:
        path.steps = _cut(desk, path.steps)
        if path.status is S.hired and desk.remaining[path.vacancy_id] <= 0:
            offered = path.steps[-2]
            path.steps[-2:] = [Step(S.rejected_by_employer, offered.at, R.position_filled)]
    hires = [p for p in paths if p.status is S.hired]
    if not hires:
        return None
    winner = min(hires, key=lambda p: p.last)
    hired_at = winner.last
    for path in paths:
        if path is winner:
            continue
        path.steps = [s for s in path.steps if s.at < hired_at]
        if path.status in referral_flow.OPEN:
            at = _later(desk, max(hired_at, path.last), 1, 5)
            if china_day(at) <= desk.last_day:
                late = path.status in (S.interviewed, S.offered)
                path.steps.append(
                    Step(
                        S.declined_by_seeker if late else S.withdrawn,
                        at,
                        R.found_other_job if late else R.seeker_unavailable,
                    )
                )
    return winner


def _record(desk: Desk, seeker: Seeker, path: Path) -> Referral:
    vacancy, _ = desk.vacancies[path.vacancy_id]
    body = ReferralCreate.model_validate(
        {
            "seeker_id": seeker.id,
            "vacancy_id": path.vacancy_id,
            "source": path.source,
            "rank": path.rank,
            "shown": path.shown,
        }
    )
    referral = referrals.create(desk.session, desk.ctx, desk.matcher, desk.counselor, body)
    stamps.referral_moved(desk, referral, path.created)
    for step in path.steps:
        if step.status is S.hired:
            break  # the placement marks it hired
        audit = (
            desk.audit_for(vacancy)
            if step.status in referral_flow.PARTNER_MOVES
            else desk.counselor
        )
        update = ReferralUpdate.model_validate(
            {
                "status": step.status,
                "reason_code": step.reason,
                "interview_at": step.interview_at.isoformat() if step.interview_at else None,
            }
        )
        referrals.update(desk.session, audit, referral, update)
        stamps.referral_moved(desk, referral, step.at)
    desk.referrals.append(referral)
    desk.referred.setdefault(seeker.id, set()).add(path.vacancy_id)
    return referral


def run_round(
    desk: Desk, ranker: Ranker, seeker: Seeker, day: dt.date, *, fair: bool
) -> tuple[dt.date, Placement | None] | None:
    """Refer the person from their list on ``day``; the day the round ended and the job
    it led to, if any.  None: the list had nothing left to refer them to."""
    rng = desk.rng
    targets = _targets(desk, ranker.ranking(desk, seeker, day), seeker, fair)
    if not targets:
        return None
    paths = []
    for vacancy_id, source, rank, shown in targets:
        on = day if fair else min(desk.last_day, day + dt.timedelta(days=rng.randint(0, 10)))
        created = desk.when(on)
        paths.append(Path(vacancy_id, source, rank, shown, created, _path(desk, created)))
    winner = _resolve(desk, paths)
    first = min(paths, key=lambda p: p.created)
    employment_service(
        desk,
        seeker,
        china_day(first.created),
        "job_introduction" if fair else "match_referral",
        first.vacancy_id,
    )
    recorded = [_record(desk, seeker, path) for path in paths]  # all while seeking
    placement = None
    if winner is not None:
        vacancy, employer = desk.vacancies[winner.vacancy_id]
        placement = place(
            desk,
            seeker,
            employer,
            china_day(winner.last),
            form_of(desk, vacancy, employer),
            at=winner.last,
            referral=recorded[paths.index(winner)],
            vacancy=vacancy,
        )
    return max(china_day(p.last) for p in paths), placement
