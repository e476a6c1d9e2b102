"""The plans' targets: stored as data, and their progress measured from the service's
records by the single figures of service/services/stats_figures.py (the same queries as
the statistics tables).  A figure that counts people is withheld below the threshold."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from service.access import Principal
from service.context import Context
from service.errors import Conflict, NotFound, field_error, raise_if_errors
from service.models.base import as_utc, new_id, utcnow
from service.models.common import FieldProblem
from service.models.enums import AuditAction, EmploymentForm, TrainingKind
from service.models.identifiers import district_name
from service.models.stats import RateDefinition
from service.models.tables_stats import PlanTarget
from service.models.targets import (
    RATES,
    PlanTargetCreate,
    PlanTargetPublic,
    PlanTargetUpdate,
    TargetKind,
    TargetMetric,
    TargetProgress,
    TargetStatus,
    YearProgress,
    kind_of,
)
from service.repositories import targets as repo
from service.rules import today_in_china
from service.services import stats_figures as figures
from service.services import stats_summary as summary
from service.services.audit import Audit
from service.services.stats_rates import RATE_DEFINITIONS
from service.services.stats_scope import check_day, jurisdiction

NOT_MEASURED = {
    TargetMetric.fairs_held: (
        "job fairs (专场招聘活动) are not recorded by this service yet; no figure is given "
        "until they are"
    )
}
UNITS = {
    TargetMetric.new_employment: "job starts",
    TargetMetric.new_employment_rural: "job starts",
    TargetMetric.sheltered_employment: "job starts",
    TargetMetric.employment_rate_able_to_work: "rate (fraction of people)",
    TargetMetric.employment_rate_working_age_certified: "rate (fraction of people)",
    TargetMetric.public_welfare_post_share: "rate (fraction of posts)",
    TargetMetric.trained_person_times: "person-times",
    TargetMetric.rural_practical_training_person_times: "person-times",
    TargetMetric.fairs_held: "fairs",
}
_NEW = (
    "job starts recorded as new employment (counts_as_new) by their start date, in "
    "the target's area by the person's county at the start; a person who starts two "
    "new jobs counts twice"
)
DEFINITIONS = {
    TargetMetric.new_employment: _NEW + "; the total over the span (城乡新增残疾人就业)",
    TargetMetric.new_employment_rural: _NEW + ", of people in the rural priority group "
    "(rural hukou); the total over the span (农村残疾人就业)",
    TargetMetric.sheltered_employment: _NEW + ", in the sheltered form (辅助性就业: "
    "form 'sheltered'); the total over the span",
    TargetMetric.employment_rate_able_to_work: RATE_DEFINITIONS[RateDefinition.able_to_work]
    + "; on the day measured",
    TargetMetric.employment_rate_working_age_certified: RATE_DEFINITIONS[
        RateDefinition.certificate_holders
    ]
    + "; on the day measured",
    TargetMetric.public_welfare_post_share: (
        "public-welfare job starts of people with disabilities (new employment in the "
        "'public_welfare' form) over the public-welfare posts registered with the service "
        "(openings of vacancies flagged public_welfare created in the span, in the area); "
        "the plan's base is every public-welfare post governments and streets set up, of "
        "which the service knows only those registered as vacancies"
    ),
    TargetMetric.trained_person_times: (
        "vocational training courses recorded as service records, by their date; each "
        "record one person-time; each year of the span on its own (每年)"
    ),
    TargetMetric.rural_practical_training_person_times: (
        "rural practical-skills training courses (实用技术培训) recorded as service "
        "records, by their date; each record one person-time; each year on its own"
    ),
    TargetMetric.fairs_held: "job fairs for people with disabilities held in each year",
}


@dataclass(frozen=True)
class Measured:
    value: float | None
    count: int | None = None
    denominator: int | None = None
    suppressed: bool = False
    reason: str | None = None


# --- storage ---------------------------------------------------------------------------


def target_problems(values: dict[str, Any]) -> list[FieldProblem]:
    """Across fields (a create, or a stored target with a PATCH applied)."""
    problems = []
    if values["year_from"] > values["year_to"]:
        problems.append(field_error("year_from", "after_year_to", "year_from is after year_to"))
    target = float(values["target"])
    if values["metric"] in RATES:
        if target > 1:
            problems.append(
                field_error(
                    "target",
                    "rate_above_one",
                    "a rate target is a fraction from 0 to 1 (55 % is 0.55)",
                )
            )
    elif target != int(target):
        problems.append(field_error("target", "not_whole", "a count target is a whole number"))
    return problems


def create(session: Session, audit: Audit, body: PlanTargetCreate) -> PlanTarget:
    """A new target (audited: a plan's figures are changed by someone, on record)."""
    values = body.model_dump(exclude={"id"})
    raise_if_errors(target_problems(values))
    target_id = body.id or new_id("tgt")
    if repo.get(session, target_id) is not None:
        raise Conflict(
            f"a target {target_id} exists already",
            errors=[field_error("id", "duplicate", "this id is taken")],
        )
    now = utcnow()
    try:
        saved = repo.save(
            session, PlanTarget(id=target_id, created_at=now, updated_at=now, **values)
        )
    except IntegrityError as exc:  # a concurrent request took the id
        raise Conflict(f"a target {target_id} was just created") from exc
    audit.record(AuditAction.target_create, "plan_target", saved.id, fields=sorted(values))
    return saved


def get(session: Session, target_id: str) -> PlanTarget:
    target = repo.get(session, target_id)
    if target is None:
        raise NotFound(f"no plan target {target_id}")
    return target


def get_for(session: Session, principal: Principal, target_id: str) -> PlanTarget:
    """The target, if it lies within the key's statistics jurisdiction (else 403)."""
    target = get(session, target_id)
    jurisdiction(principal, figures.area_prefix(target.district_code))
    return target


def update(
    session: Session, audit: Audit, target: PlanTarget, body: PlanTargetUpdate
) -> PlanTarget:
    """Change fields (audited, naming the fields changed)."""
    values = body.model_dump(exclude_unset=True)
    if not values:
        return target
    raise_if_errors(target_problems({**target.model_dump(), **values}))
    for name, value in values.items():
        setattr(target, name, value)
    target.updated_at = utcnow()
    target.version += 1
    audit.record(AuditAction.target_update, "plan_target", target.id, fields=sorted(values))
    return repo.save(session, target)


def delete(session: Session, audit: Audit, target: PlanTarget) -> None:
    audit.record(AuditAction.target_delete, "plan_target", target.id)
    repo.delete(session, target)


def to_public(target: PlanTarget) -> PlanTargetPublic:
    return PlanTargetPublic.model_validate(_public_values(target))


def _public_values(target: PlanTarget) -> dict[str, Any]:
    return {
        **target.model_dump(),
        "district_name": district_name(target.district_code),
        "kind": kind_of(target.metric),
        "unit": UNITS[TargetMetric(target.metric)],
        "created_at": as_utc(target.created_at),
        "updated_at": as_utc(target.updated_at),
    }


# --- progress --------------------------------------------------------------------------


def in_area(target: PlanTarget, prefix: str) -> bool:
    """Whether the target's area lies within the code prefix ('' = everywhere)."""
    return figures.area_prefix(target.district_code).startswith(prefix)


def list_progress(
    session: Session,
    ctx: Context,
    principal: Principal,
    *,
    plan: str | None,
    district: str | None,
    year: int | None,
    as_of: dt.date | None = None,
) -> list[TargetProgress]:
    """Every target within the key's jurisdiction (narrowed to ``district``), measured as
    of ``as_of`` (today unless given; a future day is refused)."""
    on = _measuring_day(as_of)
    scope = jurisdiction(principal, district)
    rows = repo.listed(session, repo.TargetFilter(plan=plan, year=year))
    return [stored_progress(session, ctx, t, on=on) for t in rows if in_area(t, scope)]


def stored_progress(
    session: Session, ctx: Context, target: PlanTarget, *, on: dt.date
) -> TargetProgress:
    """:func:`progress`, given again from the stored summary while nothing was written."""
    question = {"answer": "targets.progress", "target": _public_values(target), "on": on}
    return summary.remembered(
        session,
        ctx,
        question=question,
        model=TargetProgress,
        compute=lambda: progress(session, ctx, target, on=on),
    )


def progress_as_of(
    session: Session, ctx: Context, target: PlanTarget, *, as_of: dt.date | None
) -> TargetProgress:
    return stored_progress(session, ctx, target, on=_measuring_day(as_of))


def _measuring_day(as_of: dt.date | None) -> dt.date:
    if as_of is None:
        return today_in_china()
    check_day(as_of, "as_of")
    return as_of


def report_progress(
    session: Session, ctx: Context, *, district: str, year: int, on: dt.date
) -> list[TargetProgress]:
    """The targets of the year whose area contains or equals ``district``, as of ``on``
    (the report's day: a year's last day, or today)."""
    prefix = figures.area_prefix(district)
    rows = repo.listed(session, repo.TargetFilter(year=year))
    return [
        stored_progress(session, ctx, t, on=on)
        for t in rows
        if prefix.startswith(figures.area_prefix(t.district_code))
    ]


def progress(session: Session, ctx: Context, target: PlanTarget, *, on: dt.date) -> TargetProgress:
    """The target's progress as of ``on`` (see :func:`_measuring_day`)."""
    metric = TargetMetric(target.metric)
    kind = kind_of(metric)
    base = {**_public_values(target), "definition": DEFINITIONS[metric]}
    if target.year_from > on.year:
        return TargetProgress(
            **base,
            figure=None,
            share_of_target=None,
            status=TargetStatus.not_started,
            suppressed=False,
            measured_at=None,
            covered_from=None,
            covered_to=None,
            reason=f"the span starts in {target.year_from}",
        )
    last = min(target.year_to, on.year)
    if kind is TargetKind.per_year:
        years = [
            _year(session, ctx, target, metric, y, on)
            for y in range(target.year_from, target.year_to + 1)
        ]
        done = [y for y in years if y.year <= last]
        latest = done[-1]
        statuses = {y.status for y in done}
        status = (
            TargetStatus.not_met
            if TargetStatus.not_met in statuses
            else TargetStatus.suppressed
            if TargetStatus.suppressed in statuses
            else latest.status
        )
        return TargetProgress(
            **base,
            figure=latest.figure,
            share_of_target=_share(latest.figure, target),
            status=status,
            suppressed=latest.figure is None and latest.status is TargetStatus.suppressed,
            measured_at=None if metric in NOT_MEASURED else latest.covered_to,
            covered_from=latest.covered_from,
            covered_to=latest.covered_to,
            years=years,
            reason=NOT_MEASURED.get(metric),
        )
    start, end = dt.date(target.year_from, 1, 1), min(dt.date(last, 12, 31), on)
    measured = _measure(session, ctx, target, metric, target.year_from, last, end)
    return TargetProgress(
        **base,
        figure=measured.value,
        count=measured.count,
        denominator=measured.denominator,
        share_of_target=_share(measured.value, target),
        status=_status(measured, target, start, end),
        suppressed=measured.suppressed,
        measured_at=None if measured.reason and measured.value is None else end,
        covered_from=start,
        covered_to=end,
        reason=measured.reason,
    )


def _year(
    session: Session, ctx: Context, target: PlanTarget, metric: TargetMetric, year: int, on: dt.date
) -> YearProgress:
    if year > on.year:
        return YearProgress(
            year=year,
            figure=None,
            status=TargetStatus.not_started,
            covered_from=None,
            covered_to=None,
        )
    start, end = dt.date(year, 1, 1), min(dt.date(year, 12, 31), on)
    measured = _measure(session, ctx, target, metric, year, year, end)
    if metric in NOT_MEASURED:
        return YearProgress(
            year=year,
            figure=None,
            status=TargetStatus.not_measured,
            covered_from=None,
            covered_to=None,
        )
    return YearProgress(
        year=year,
        figure=measured.value,
        status=_status(measured, target, start, end),
        covered_from=start,
        covered_to=end,
    )


def _share(value: float | None, target: PlanTarget) -> float | None:
    return None if value is None else value / target.target


def _status(measured: Measured, target: PlanTarget, start: dt.date, end: dt.date) -> TargetStatus:
    if measured.suppressed:
        return TargetStatus.suppressed
    if measured.value is None:
        return TargetStatus.not_measured
    if measured.value >= target.target:
        return TargetStatus.met
    span_end = (
        dt.date(target.year_to, 12, 31)
        if kind_of(target.metric) is not TargetKind.per_year
        else dt.date(start.year, 12, 31)
    )
    if end >= span_end:
        return TargetStatus.not_met
    if kind_of(target.metric) is TargetKind.level:
        return TargetStatus.behind
    span_start = (
        dt.date(target.year_from, 1, 1)
        if kind_of(target.metric) is TargetKind.cumulative
        else start
    )
    elapsed = ((end - span_start).days + 1) / ((span_end - span_start).days + 1)
    return (
        TargetStatus.on_track if measured.value >= target.target * elapsed else TargetStatus.behind
    )


def _withheld(n: int, threshold: int) -> bool:
    return 0 < n < threshold


def _measure(
    session: Session,
    ctx: Context,
    target: PlanTarget,
    metric: TargetMetric,
    year_from: int,
    year_to: int,
    on: dt.date,
) -> Measured:
    if metric in NOT_MEASURED:
        return Measured(value=None, reason=NOT_MEASURED[metric])
    area, threshold = target.district_code, ctx.stats_threshold
    if metric in RATES:
        if metric is TargetMetric.public_welfare_post_share:
            share = figures.public_welfare_share(
                session, ctx, district=area, year_from=year_from, year_to=year_to, until=on
            )
            hidden = _withheld(share.numerator, threshold)  # the posts are not people
            empty = "no public-welfare posts are registered for the span"
        else:
            definition = (
                RateDefinition.able_to_work
                if metric is TargetMetric.employment_rate_able_to_work
                else RateDefinition.certificate_holders
            )
            share = figures.employment_rate(
                session, ctx, district=area, on=on, definition=definition
            )
            hidden = _withheld(share.numerator, threshold) or _withheld(
                share.denominator - share.numerator, threshold
            )
            empty = "no one is in the rate's base"
        if hidden:
            return Measured(
                value=None,
                suppressed=True,
                denominator=None if _withheld(share.denominator, threshold) else share.denominator,
            )
        return Measured(
            value=share.value,
            count=share.numerator,
            denominator=share.denominator,
            reason=None if share.denominator else empty,
        )
    n = COUNTS[metric](session, ctx, area, year_from, year_to, on)
    if _withheld(n, threshold):
        return Measured(value=None, suppressed=True)
    return Measured(value=float(n))


Count = Callable[[Session, Context, str, int, int, dt.date], int]
COUNTS: dict[TargetMetric, Count] = {
    TargetMetric.new_employment: lambda s, c, d, a, b, u: figures.new_employment(
        s, c, district=d, year_from=a, year_to=b, until=u
    ),
    TargetMetric.new_employment_rural: lambda s, c, d, a, b, u: figures.new_employment(
        s, c, district=d, year_from=a, year_to=b, until=u, rural_only=True
    ),
    TargetMetric.sheltered_employment: lambda s, c, d, a, b, u: figures.new_employment(
        s, c, district=d, year_from=a, year_to=b, until=u, form=EmploymentForm.sheltered.value
    ),
    TargetMetric.trained_person_times: lambda s, c, d, a, b, u: figures.training_person_times(
        s, district=d, year_from=a, year_to=b, until=u, kind=TrainingKind.vocational.value
    ),
    TargetMetric.rural_practical_training_person_times: lambda s, c, d, a, b, u: (
        figures.training_person_times(
            s, district=d, year_from=a, year_to=b, until=u, kind=TrainingKind.rural_practical.value
        )
    ),
}
