"""Quota statistics schemas: compliance with the quota of one year, from declarations."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, Field

from service.models.enums import EmployerKind
from service.models.stats import DistrictLevel


class QuotaUnit(BaseModel):
    """One employer's figures of the year (an organisation: not suppressed)."""

    employer_id: str
    name: str
    credit_code: str
    kind: EmployerKind
    district_code: str
    staff_count: int
    disabled_staff: int
    counted_disabled_staff: float
    required: float
    shortfall: float
    levy_due: float | None


class LevyByRule(BaseModel):
    rule: str = Field(
        description="which levy rule applied: small_enterprise_exempt, "
        "quota_met, reduced_rate, low_ratio or no_rule"
    )
    phase_until: dt.date | None = Field(description="the last day of the levy phase")
    share: float | None = Field(description="the share of the full levy due")
    employers: int
    shortfall: float
    levy_due: float = Field(description="yuan; units whose levy is unknown add nothing")
    levy_unknown: int = Field(
        description="units below the quota whose levy cannot be "
        "computed (average wage not declared)"
    )


class QuotaByDistrict(BaseModel):
    district: str = Field(description="the district code at district_level")
    employers: int
    not_declared: int
    assessed: int
    below_quota: int
    shortfall: float
    levy_due: float


class LeadByExample(BaseModel):
    with_duty: int = Field(
        description="organs and institutions with at least the rules' "
        "established posts, kindergartens, primary and secondary "
        "schools excepted"
    )
    met: int = Field(description="those employing at least one disabled person")
    not_met: list[QuotaUnit]


class Persistent(BaseModel):
    years: list[int]
    count: int
    units: list[QuotaUnit] | None = Field(
        default=None,
        description="the units below the quota in each of the years, when asked for "
        "(include_units=true: at a hundred thousand employers, tens of thousands of them)",
    )


class QuotaStats(BaseModel):
    year: int
    levy_as_of: dt.date = Field(description="the day whose levy rules apply (31 December)")
    district: str = Field(description="the district-code prefix counted ('' = everywhere)")
    district_level: DistrictLevel
    suppression: str
    employers: int = Field(description="employers registered in the area now")
    not_declared: int = Field(description="of them, without a declaration for the year")
    assessed: int = Field(description="employers assessed: those that declared")
    below_quota: int
    shortfall: float = Field(
        description="persons short, as counted (a severely disabled "
        "person counts twice), summed over the units below the quota"
    )
    levy_due: float = Field(description="yuan, summed where it can be computed")
    levy_unknown: int = Field(
        description="units below the quota whose levy cannot be "
        "computed (average wage not declared)"
    )
    levy_by_rule: list[LevyByRule]
    by_district: list[QuotaByDistrict]
    lead_by_example: LeadByExample
    below_three_years: Persistent
    below_quota_units: list[QuotaUnit] | None = Field(
        default=None, description="every unit below the quota, when asked for (include_units=true)"
    )
    computed_at: dt.datetime | None = Field(
        default=None,
        description="when these figures were computed: the same question is answered again "
        "from a stored summary until anything is written (null: always computed afresh)",
    )
