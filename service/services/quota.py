"""Quota employment and levy (按比例就业, 残疾人就业保障金), by the rules table.

One definition, two callers: :func:`assess` takes a unit's figures (an employer's current
record, or one year's staff declaration) and applies the rules; :func:`quota_report`
shapes it as an employer's report, and the quota statistics sum it over many units."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum

from service.models.employer import QuotaReport
from service.models.enums import LEAD_EXEMPT_STAGES, EmployerKind
from service.models.tables import Employer
from service.rules import DomainRules

_EXEMPT_STAGES = frozenset(s.value for s in LEAD_EXEMPT_STAGES)
_ENTERPRISES = {
    EmployerKind.soe,
    EmployerKind.private,
    EmployerKind.platform,
    EmployerKind.concentrated_employer,
    EmployerKind.blind_massage,
    EmployerKind.sheltered_workshop,
    EmployerKind.individual_business,
}


class LevyBand(StrEnum):
    """Which levy rule applied to a unit."""

    no_rule = "no_rule"  # no levy phase configured for the date
    small_enterprise_exempt = "small_enterprise_exempt"
    quota_met = "quota_met"
    reduced_rate = "reduced_rate"  # ratio at or above the phase's reduced-rate minimum
    low_ratio = "low_ratio"  # ratio below it


@dataclass(frozen=True, slots=True)
class Figures:
    """What the quota is computed from: a unit's staff and who it is."""

    kind: str
    district_code: str
    staff_count: int
    disabled_staff: int
    severe_disabled_staff: int
    average_annual_wage: float | None = None
    established_posts: int | None = None
    school_stage: str | None = None


@dataclass(frozen=True, slots=True)
class Assessment:
    province: str | None
    ratio: float
    counted: float
    required: float
    shortfall: float
    actual: float
    base_wage: float | None
    levy_full: float | None
    band: LevyBand
    share: float | None
    rule: str
    phase_until: dt.date | None
    lead_duty: bool
    lead_met: bool | None
    concentrated: bool
    notes: tuple[str, ...]

    @property
    def meets_quota(self) -> bool:
        return self.shortfall == 0

    @property
    def levy_due(self) -> float | None:
        if self.share == 0:  # exempt, or the quota met: nothing is due, wage known or not
            return 0.0
        if self.levy_full is None or self.share is None:
            return None
        return self.levy_full * self.share


def figures_of(employer: Employer) -> Figures:
    return Figures(
        kind=employer.kind,
        district_code=employer.district_code,
        staff_count=employer.staff_count,
        disabled_staff=employer.disabled_staff,
        severe_disabled_staff=employer.severe_disabled_staff,
        average_annual_wage=employer.average_annual_wage,
        established_posts=employer.established_posts,
        school_stage=employer.school_stage,
    )


def lead_by_example_duty(
    kind: str, established_posts: int | None, school_stage: str | None, rules: DomainRules
) -> bool:
    """Organs and institutions with at least the rules' established posts must employ at
    least one disabled person; kindergartens, primary and secondary schools are exempt."""
    min_posts = rules.lead_by_example_min_posts.get(kind)
    return (
        min_posts is not None
        and (established_posts or 0) >= min_posts
        and school_stage not in _EXEMPT_STAGES
    )


def counted_disabled(disabled: int, severe: int, rules: DomainRules) -> float:
    """Disabled staff as the quota counts them: a severely disabled person counts more."""
    return float(disabled - severe + severe * rules.severe_counts_as)


def assess(f: Figures, rules: DomainRules, on: dt.date) -> Assessment:
    notes: list[str] = []
    kind = EmployerKind(f.kind)
    ratio = rules.quota_ratio(f.district_code)
    province = rules.province(f.district_code)
    if province is None:
        notes.append(
            f"no provincial rule for {f.district_code[:2]}; the default "
            f"ratio {rules.default_quota_ratio:.1%} is used"
        )
    staff = f.staff_count
    counted = counted_disabled(f.disabled_staff, f.severe_disabled_staff, rules)
    required = staff * ratio
    shortfall = max(0.0, required - counted)
    actual = counted / staff if staff else 0.0

    base_wage: float | None = None
    if f.average_annual_wage is None:
        notes.append("average_annual_wage is unknown: the levy cannot be computed")
    elif province is None or province.social_average_wage is None:
        base_wage = f.average_annual_wage
        notes.append("the local social average wage is not configured: the 2× cap is not applied")
    else:
        base_wage = min(
            f.average_annual_wage, rules.wage_cap_multiple * province.social_average_wage
        )
    levy_full = shortfall * base_wage if base_wage is not None else None

    phase = rules.levy_phase(on)
    share: float | None
    if phase is None:
        band, share, rule = LevyBand.no_rule, None, "no levy rule is configured for this date"
    elif kind in _ENTERPRISES and staff <= phase.small_enterprise_max_staff:
        band, share, rule = (
            LevyBand.small_enterprise_exempt,
            0.0,
            (
                f"enterprises with ≤ {phase.small_enterprise_max_staff} staff are "
                f"exempt until {phase.until}"
            ),
        )
    elif shortfall == 0:
        band, share, rule = LevyBand.quota_met, 0.0, "the quota is met"
    elif actual >= phase.reduced_rate_min_ratio:
        band, share, rule = (
            LevyBand.reduced_rate,
            phase.reduced_rate_share,
            (
                f"ratio ≥ {phase.reduced_rate_min_ratio:.0%}: {phase.reduced_rate_share:.0%} "
                f"of the levy until {phase.until}"
            ),
        )
    else:
        band, share, rule = (
            LevyBand.low_ratio,
            phase.low_ratio_share,
            (
                f"ratio < {phase.reduced_rate_min_ratio:.0%}: {phase.low_ratio_share:.0%} "
                f"of the levy until {phase.until}"
            ),
        )

    duty = lead_by_example_duty(f.kind, f.established_posts, f.school_stage, rules)
    if f.school_stage in _EXEMPT_STAGES and rules.lead_by_example_min_posts.get(f.kind) is not None:
        notes.append(f"a {f.school_stage} school has no lead-by-example duty")
    min_people = (
        rules.concentrated_min_people_blind_massage
        if kind is EmployerKind.blind_massage
        else rules.concentrated_min_people
    )
    concentrated = (
        staff > 0
        and f.disabled_staff / staff >= rules.concentrated_min_share
        and f.disabled_staff >= min_people
    )
    return Assessment(
        province=province.name if province else None,
        ratio=ratio,
        counted=counted,
        required=required,
        shortfall=shortfall,
        actual=actual,
        base_wage=base_wage,
        levy_full=levy_full,
        band=band,
        share=share,
        rule=rule,
        phase_until=phase.until if phase else None,
        lead_duty=duty,
        lead_met=(f.disabled_staff >= 1) if duty else None,
        concentrated=concentrated,
        notes=tuple(notes),
    )


def quota_report(employer: Employer, rules: DomainRules, on: dt.date) -> QuotaReport:
    a = assess(figures_of(employer), rules, on)
    return QuotaReport(
        employer_id=employer.id,
        as_of=on,
        province=a.province,
        quota_ratio=a.ratio,
        staff_count=employer.staff_count,
        disabled_staff=employer.disabled_staff,
        severe_disabled_staff=employer.severe_disabled_staff,
        counted_disabled_staff=a.counted,
        required=a.required,
        actual_ratio=a.actual,
        shortfall=a.shortfall,
        meets_quota=a.meets_quota,
        levy_base_wage=a.base_wage,
        levy_full=a.levy_full,
        levy_share=a.share,
        levy_due=a.levy_due,
        levy_rule=a.rule,
        lead_by_example_duty=a.lead_duty,
        lead_by_example_met=a.lead_met,
        concentrated_employment=a.concentrated,
        notes=list(a.notes),
    )
