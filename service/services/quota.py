"""Quota employment and levy (按比例就业, 残疾人就业保障金), by the rules table."""

from __future__ import annotations

import datetime as dt

from service.models.employer import QuotaReport
from service.models.enums import EmployerKind
from service.models.tables import Employer
from service.rules import DomainRules

_ENTERPRISES = {EmployerKind.soe, EmployerKind.private, EmployerKind.platform,
                EmployerKind.concentrated_employer, EmployerKind.blind_massage,
                EmployerKind.sheltered_workshop, EmployerKind.individual_business}


def quota_report(employer: Employer, rules: DomainRules, on: dt.date) -> QuotaReport:
    notes: list[str] = []
    kind = EmployerKind(employer.kind)
    ratio = rules.quota_ratio(employer.district_code)
    province = rules.province(employer.district_code)
    if province is None:
        notes.append(f"no provincial rule for {employer.district_code[:2]}; the default "
                     f"ratio {rules.default_quota_ratio:.1%} is used")
    staff = employer.staff_count
    counted = (employer.disabled_staff - employer.severe_disabled_staff
               + employer.severe_disabled_staff * rules.severe_counts_as)
    required = staff * ratio
    shortfall = max(0.0, required - counted)
    actual = counted / staff if staff else 0.0

    base_wage: float | None = None
    if employer.average_annual_wage is None:
        notes.append("average_annual_wage is unknown: the levy cannot be computed")
    elif province is None or province.social_average_wage is None:
        base_wage = employer.average_annual_wage
        notes.append("the local social average wage is not configured: the 2× cap "
                     "is not applied")
    else:
        base_wage = min(employer.average_annual_wage,
                        rules.wage_cap_multiple * province.social_average_wage)
    levy_full = shortfall * base_wage if base_wage is not None else None

    phase = rules.levy_phase(on)
    share: float | None
    if phase is None:
        share, rule = None, "no levy rule is configured for this date"
    elif kind in _ENTERPRISES and staff <= phase.small_enterprise_max_staff:
        share, rule = 0.0, (f"enterprises with ≤ {phase.small_enterprise_max_staff} staff are "
                            f"exempt until {phase.until}")
    elif shortfall == 0:
        share, rule = 0.0, "the quota is met"
    elif actual >= phase.reduced_rate_min_ratio:
        share, rule = phase.reduced_rate_share, (
            f"ratio ≥ {phase.reduced_rate_min_ratio:.0%}: {phase.reduced_rate_share:.0%} "
            f"of the levy until {phase.until}")
    else:
        share, rule = phase.low_ratio_share, (
            f"ratio < {phase.reduced_rate_min_ratio:.0%}: {phase.low_ratio_share:.0%} "
            f"of the levy until {phase.until}")

    min_posts = rules.lead_by_example_min_posts.get(kind.value)
    lead_duty = (min_posts is not None and (employer.established_posts or 0) >= min_posts
                 and shortfall > 0)
    min_people = (rules.concentrated_min_people_blind_massage
                  if kind is EmployerKind.blind_massage else rules.concentrated_min_people)
    concentrated = (staff > 0 and employer.disabled_staff / staff
                    >= rules.concentrated_min_share
                    and employer.disabled_staff >= min_people)
    return QuotaReport(
        employer_id=employer.id, as_of=on, province=province.name if province else None,
        quota_ratio=ratio, staff_count=staff, disabled_staff=employer.disabled_staff,
        severe_disabled_staff=employer.severe_disabled_staff, counted_disabled_staff=counted,
        required=required, actual_ratio=actual, shortfall=shortfall,
        meets_quota=shortfall == 0, levy_base_wage=base_wage, levy_full=levy_full,
        levy_share=share,
        levy_due=levy_full * share if levy_full is not None and share is not None else None,
        levy_rule=rule, lead_by_example_duty=lead_duty, concentrated_employment=concentrated,
        notes=notes)
