"""Assembling the annual report for a district and year from the published statistics.

Every figure comes from the statistics services (service/services/stats_*.py), suppressed
as the API publishes it; this module only chooses the tables and words.  Sections whose
service does not exist are passed None and say so."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlmodel import Session

from service.access import Principal
from service.clock import china_now
from service.context import Context
from service.models.enums import Role
from service.models.identifiers import district_name
from service.models.stats import DistrictLevel, RateDefinition
from service.models.stats_quota import QuotaStats, QuotaUnit
from service.models.targets import RATES, TargetMetric, TargetStatus
from service.models.targets import TargetProgress as ApiTargetProgress
from service.report.model import District, Report
from service.report.sections import (
    QuotaEmployer,
    QuotaFigures,
    TargetProgress,
    employment_section,
    four_ones_section,
    funnel_section,
    quota_section,
    rates_section,
    seekers_section,
    targets_section,
)
from service.rules import today_in_china

# The command line runs with the database's own authority: a key without a jurisdiction
# limit, of the analyst role (read_stats), never stored.
REPORT_PRINCIPAL = Principal(
    key_id="annual-report",
    role=Role.analyst,
    name="annual report (command line)",
    owner_id="annual-report",
)
COUNTY = DistrictLevel.county


class ReportError(ValueError):
    """A district or year the report cannot be made for (the message names which)."""


def report_area(code: str) -> tuple[District, str]:
    """The district (a county, city or province code in force) and its code prefix."""
    name = district_name(code) if len(code) == 6 and code.isdigit() else None
    if name is None:
        raise ReportError(
            f"district {code!r}: not a GB/T 2260 division code in force "
            "(six digits, e.g. 140302 or 140300)"
        )
    prefix = code[:2] if code[2:] == "0000" else code[:4] if code[4:] == "00" else code
    return District(code=code, name=name), prefix


def report_as_of(year: int, today: dt.date) -> dt.date:
    if not 2000 <= year <= today.year:
        raise ReportError(f"year {year}: give a year from 2000 to {today.year}")
    return min(dt.date(year, 12, 31), today)


def build_report(
    session: Session,
    ctx: Context,
    *,
    district: str,
    year: int,
    principal: Principal = REPORT_PRINCIPAL,
    now: dt.datetime | None = None,
) -> Report:
    """The annual monitoring report of ``district`` (a county, city or province) for
    ``year``: stocks as of the year's end (or today), flows over the calendar year."""
    from service.services.stats_casework import funnel_table, new_employment_table
    from service.services.stats_quota import quota_stats
    from service.services.stats_rates import employment_rate_table, four_ones_table
    from service.services.stats_seekers import seekers_table
    from service.services.targets import report_progress

    area, prefix = report_area(district)
    as_of = report_as_of(year, today_in_china())
    years = [year]

    seekers = [
        seekers_table(
            session,
            ctx,
            principal,
            by=by,
            filters={},
            district=prefix,
            district_level=COUNTY,
            as_of=as_of,
        )
        for by in (["district"], ["category", "grade"])
    ]
    employment = [
        new_employment_table(
            session,
            ctx,
            principal,
            by=[by],
            filters={},
            district=prefix,
            district_level=COUNTY,
            years=years,
        )
        for by in ("form", "month")
    ]
    rates = {
        d: employment_rate_table(
            session,
            ctx,
            principal,
            definition=d,
            by=[],
            district=prefix,
            district_level=COUNTY,
            as_of=as_of,
        )
        for d in RateDefinition
    }
    coverage = four_ones_table(
        session, ctx, principal, year=year, district=prefix, district_level=COUNTY
    )
    funnel = [
        funnel_table(
            session,
            ctx,
            principal,
            by=by,
            filters={},
            district=prefix,
            district_level=COUNTY,
            years=years,
        )
        for by in (["priority_group"], [])
    ]
    quota = _quota(
        quota_stats(
            session,
            ctx,
            principal,
            year=year,
            district=prefix,
            district_level=COUNTY,
            include_units=True,
        ),
        ratio=ctx.rules.quota_ratio(district) * 100,
    )
    progress = report_progress(session, ctx, district=district, year=year, on=as_of)
    targets = [_target_row(p) for p in progress]
    rate_targets = {RATE_OF[p.metric]: p.target * 100 for p in progress if p.metric in RATE_OF}

    return Report(
        title=f"Annual monitoring report {year}: employment of people with disabilities, "
        f"{area.name}",
        district=area,
        year=year,
        generated_at=now or china_now(),
        threshold=ctx.stats_threshold,
        notes=_notes(year, as_of),
        sections=(
            seekers_section(*seekers, as_of=as_of),
            employment_section(*employment, year=year),
            rates_section(rates, targets=rate_targets),
            four_ones_section(coverage, year=year),
            funnel_section(*funnel, year=year),
            quota_section(quota, year=year),
            targets_section(targets, threshold=ctx.stats_threshold),
        ),
    )


def _quota(stats: QuotaStats, *, ratio: float) -> QuotaFigures:
    def units(rows: Sequence[QuotaUnit] | None) -> list[QuotaEmployer]:
        return [
            QuotaEmployer(
                name=u.name,
                district=u.district_code,
                staff=u.staff_count,
                counted_disabled=u.counted_disabled_staff,
                required=u.required,
                shortfall=u.shortfall,
                levy_due=u.levy_due,
            )
            for u in rows or ()
        ]

    return QuotaFigures(
        declared=stats.assessed,
        below_quota=units(stats.below_quota_units),
        lead_by_example=units(stats.lead_by_example.not_met),
        persistent=units(stats.below_three_years.units or []),
        ratio=ratio,
    )


RATE_OF = {
    TargetMetric.employment_rate_able_to_work: RateDefinition.able_to_work,
    TargetMetric.employment_rate_working_age_certified: RateDefinition.certificate_holders,
}
METRIC_WORDS = {
    TargetMetric.new_employment: "New employment (新增就业)",
    TargetMetric.new_employment_rural: "Rural new employment (农村残疾人就业)",
    TargetMetric.sheltered_employment: "Sheltered employment (辅助性就业)",
    TargetMetric.employment_rate_able_to_work: "Employment rate, able to work (有劳动能力)",
    TargetMetric.employment_rate_working_age_certified: (
        "Employment rate, certificate holders of working age (就业年龄段持证)"
    ),
    TargetMetric.public_welfare_post_share: "Share of public-welfare posts (公益性岗位)",
    TargetMetric.trained_person_times: "Vocational training a year (职业技能培训)",
    TargetMetric.rural_practical_training_person_times: (
        "Rural practical training a year (实用技术培训)"
    ),
    TargetMetric.fairs_held: "Job fairs a year (专场招聘活动)",
}
STATUS_WORDS = {
    TargetStatus.on_track: "on track",
    TargetStatus.behind: "behind",
    TargetStatus.not_met: "not met",
    TargetStatus.met: "met",
    TargetStatus.not_started: "not started",
    TargetStatus.suppressed: "suppressed",
    TargetStatus.not_measured: "not measured",
}


def _target_row(p: ApiTargetProgress) -> TargetProgress:
    """A target's progress as the report shows it: rates in per cent."""
    scale = 100.0 if p.metric in RATES else 1.0
    met = {
        TargetStatus.met: True,
        TargetStatus.not_met: False,
        TargetStatus.on_track: False,
        TargetStatus.behind: False,
    }.get(p.status)
    span = f"{p.year_from}–{p.year_to}"
    return TargetProgress(
        plan=f"{p.plan} ({p.district_name or p.district_code}, {span})",
        metric=METRIC_WORDS[p.metric],
        unit="%" if p.metric in RATES else p.unit,
        target=p.target * scale,
        figure=None if p.figure is None else p.figure * scale,
        measured_on=p.measured_at,
        met=met,
        reason=p.reason or "",
        # Suppressed already by the targets service (a rate in per cent is no count).
        people=False,
        suppressed=p.suppressed,
        status=STATUS_WORDS[p.status],
    )


def _notes(year: int, as_of: dt.date) -> tuple[str, ...]:
    notes = [
        f"Counts of people (registered seekers, employment rates) are as of {as_of}; "
        f"flows (new employment, referrals, services) cover the calendar year {year}."
    ]
    if as_of < dt.date(year, 12, 31):
        notes.append(f"The year is not over: the figures are those up to {as_of}.")
    return tuple(notes)
