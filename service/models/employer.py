"""Employer API schemas and the quota report."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, ClassVar

from pydantic import (
    AfterValidator,
    BaseModel,
    Field,
    StringConstraints,
)

from service.models.common import DistrictCode, PatchBody, Strict, Text
from service.models.enums import Accommodation, EmployerKind, SchoolStage
from service.models.identifiers import validate_credit_code


def _credit_code(value: str) -> str:
    return validate_credit_code(value).code


CreditCodeStr = Annotated[
    str,
    StringConstraints(strip_whitespace=True, to_upper=True, min_length=1, max_length=40),
    AfterValidator(_credit_code),
    Field(
        examples=["91110000600037341L"], description="unified social credit code (GB 32100-2015)"
    ),
]
Count = Annotated[int, Field(strict=True, ge=0, le=10_000_000)]


class EmployerCreate(Strict):
    name: Text
    credit_code: CreditCodeStr
    kind: EmployerKind
    district_code: DistrictCode
    staff_count: Count
    disabled_staff: Count = 0
    severe_disabled_staff: Count = Field(
        default=0, description="grade 1-2 holders; part of disabled_staff"
    )
    average_annual_wage: float | None = Field(
        default=None, strict=True, ge=0, le=100_000_000, allow_inf_nan=False
    )
    established_posts: Count | None = None
    school_stage: SchoolStage | None = Field(
        default=None,
        description="public institutions that are schools: the stage they "
        "teach; kindergartens, primary and secondary schools carry no lead-by-example duty. "
        "Refused (422) for other kinds",
    )
    accessibility: list[Accommodation] = Field(default_factory=list)


class EmployerUpdate(PatchBody):
    NOT_NULL: ClassVar[tuple[str, ...]] = (
        "name",
        "credit_code",
        "kind",
        "district_code",
        "staff_count",
        "disabled_staff",
        "severe_disabled_staff",
        "accessibility",
    )

    name: Text | None = None
    credit_code: CreditCodeStr | None = None
    kind: EmployerKind | None = None
    district_code: DistrictCode | None = None
    staff_count: Count | None = None
    disabled_staff: Count | None = None
    severe_disabled_staff: Count | None = None
    average_annual_wage: float | None = Field(
        default=None, strict=True, ge=0, le=100_000_000, allow_inf_nan=False
    )
    established_posts: Count | None = None
    school_stage: SchoolStage | None = Field(
        default=None,
        description="public institutions that are schools: the stage they "
        "teach; kindergartens, primary and secondary schools carry no lead-by-example duty. "
        "Refused (422) for other kinds",
    )
    accessibility: list[Accommodation] | None = None


class EmployerPublic(BaseModel):
    id: str
    name: str
    credit_code: str
    credit_code_warning: str | None
    kind: EmployerKind
    district_code: str
    staff_count: int
    disabled_staff: int
    severe_disabled_staff: int
    average_annual_wage: float | None
    established_posts: int | None
    school_stage: SchoolStage | None
    accessibility: list[Accommodation]
    created_at: dt.datetime
    updated_at: dt.datetime


class QuotaReport(BaseModel):
    employer_id: str
    as_of: dt.date
    province: str | None
    quota_ratio: float
    staff_count: int
    disabled_staff: int
    severe_disabled_staff: int
    counted_disabled_staff: float = Field(description="grade 1-2 holders count twice")
    required: float = Field(description="staff × ratio, not rounded")
    actual_ratio: float
    shortfall: float
    meets_quota: bool
    levy_base_wage: float | None = Field(
        description="min(average wage, 2 × social average wage) where both are known"
    )
    levy_full: float | None
    levy_share: float | None
    levy_due: float | None
    levy_rule: str
    lead_by_example_duty: bool = Field(
        description="a government organ or public "
        "institution with at least the rules' established "
        "posts, not a kindergarten, primary or secondary "
        "school: it must employ at least one disabled person"
    )
    lead_by_example_met: bool | None = Field(
        description="whether a unit with the duty "
        "employs at least one disabled person; null "
        "without the duty"
    )
    concentrated_employment: bool
    notes: list[str]
