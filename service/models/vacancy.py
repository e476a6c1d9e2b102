"""Vacancy API schemas, including the bulk import."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, ClassVar, Literal

from pydantic import BaseModel, Field

from service.models.abilities import AbilityProfile, FullProfile
from service.models.common import (
    DistrictCode,
    ExternalId,
    FieldProblem,
    Flag,
    FutureDate,
    Location,
    OccupationCode,
    PatchBody,
    PlainText,
    Skills,
    Strict,
    Text,
)
from service.models.enums import (
    Accommodation,
    Education,
    EmployerKind,
    EmploymentType,
    PriorityGroup,
    VacancyStatus,
    WorkMode,
)

Salary = Annotated[int, Field(strict=True, ge=0, le=1_000_000, description="monthly CNY")]
Openings = Annotated[int, Field(strict=True, ge=1, le=100_000)]


class VacancyCreate(Strict):
    employer_id: PlainText = Field(min_length=1, max_length=40)
    external_id: ExternalId | None = None
    title: Text
    description: PlainText = Field(default="", max_length=10_000)
    occupation_code: OccupationCode | None = None
    skills: Skills = Field(default_factory=list)
    demands: AbilityProfile = Field(
        default_factory=AbilityProfile, description="essential functions only; left out = 0"
    )
    accommodations: list[Accommodation] = Field(default_factory=list)
    work_mode: WorkMode
    employment_type: EmploymentType
    district_code: DistrictCode
    location: Location | None = None
    salary_min: Salary
    salary_max: Salary
    education_min: Education = Education.none
    openings: Openings = 1
    targeted: Flag = False
    priority_groups: list[PriorityGroup] = Field(default_factory=list)
    public_welfare: Flag = False
    restricted: Flag = Field(
        default=False, description="admit only members of priority_groups (MATCHING.md §3.7)"
    )
    closes_on: FutureDate | None = None


class VacancyUpdate(PatchBody):
    NOT_NULL: ClassVar[tuple[str, ...]] = (
        "employer_id",
        "title",
        "description",
        "skills",
        "demands",
        "accommodations",
        "work_mode",
        "employment_type",
        "district_code",
        "salary_min",
        "salary_max",
        "education_min",
        "openings",
        "targeted",
        "priority_groups",
        "public_welfare",
        "restricted",
        "status",
    )

    employer_id: PlainText | None = Field(default=None, min_length=1, max_length=40)
    external_id: ExternalId | None = None
    title: Text | None = None
    description: PlainText | None = Field(default=None, max_length=10_000)
    occupation_code: OccupationCode | None = None
    skills: Skills | None = None
    demands: AbilityProfile | None = None
    accommodations: list[Accommodation] | None = None
    work_mode: WorkMode | None = None
    employment_type: EmploymentType | None = None
    district_code: DistrictCode | None = None
    location: Location | None = None
    salary_min: Salary | None = None
    salary_max: Salary | None = None
    education_min: Education | None = None
    openings: Openings | None = None
    targeted: Flag | None = None
    priority_groups: list[PriorityGroup] | None = None
    public_welfare: Flag | None = None
    restricted: Flag | None = None
    closes_on: FutureDate | None = None
    status: VacancyStatus | None = None


class VacancyPublic(BaseModel):
    id: str
    employer_id: str
    employer_name: str = Field(description="the employer's name, as registered now")
    employer_kind: EmployerKind = Field(description="the employer's kind, as registered now")
    external_id: str | None
    title: str
    description: str
    occupation_code: str | None
    skills: list[str]
    demands: FullProfile
    accommodations: list[Accommodation]
    work_mode: WorkMode
    employment_type: EmploymentType
    district_code: str
    location: Location | None
    salary_min: int
    salary_max: int
    education_min: Education
    openings: int
    openings_filled: int = Field(
        description="placements made on this vacancy; at openings it is filled and stops matching"
    )
    targeted: bool
    priority_groups: list[PriorityGroup]
    public_welfare: bool
    restricted: bool
    closes_on: dt.date | None
    status: VacancyStatus
    created_at: dt.datetime
    updated_at: dt.datetime


class ImportItemResult(BaseModel):
    index: int
    status: Literal["created", "updated", "error"]
    id: str | None = None
    external_id: str | None = None
    errors: list[FieldProblem] | None = None


class ImportReport(BaseModel):
    created: int
    updated: int
    failed: int
    items: list[ImportItemResult]
