"""Seeker API schemas: SeekerCreate, SeekerUpdate, SeekerPublic."""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, ClassVar

from pydantic import AfterValidator, BaseModel, Field
from pydantic_core import PydanticCustomError

from service.models.abilities import AbilityProfile, FullProfile
from service.models.common import (
    DistrictCode,
    ExternalId,
    Flag,
    Location,
    OccupationCode,
    PastDate,
    PatchBody,
    Skills,
    Strict,
    Text,
)
from service.models.enums import (
    Accommodation,
    Category,
    Education,
    EmploymentType,
    Hukou,
    PriorityGroup,
    SeekerStatus,
    Sex,
    WorkMode,
)
from service.models.identifiers import normalise_certificate, validate_id_number
from service.rules import today_in_china

_PHONE = re.compile(r"1[3-9][0-9]{9}|0[0-9]{2,3}-?[0-9]{7,8}")


def _birth_not_in_future(value: str) -> str:
    from stdnum.cn import ric

    if ric.get_birth_date(value) > today_in_china():
        raise PydanticCustomError(
            "id_number_birth_date", "the ID number's birth date is in the future"
        )
    return value


def _phone(value: str) -> str:
    compact = value.replace(" ", "")
    if not _PHONE.fullmatch(compact):
        raise PydanticCustomError(
            "phone_format", "a mainland mobile (11 digits, 1[3-9]…) or landline number"
        )
    return compact


IdNumber = Annotated[
    str,
    AfterValidator(validate_id_number),
    AfterValidator(_birth_not_in_future),
    Field(examples=["11010519491231002X"]),
]
CertificateNumber = Annotated[
    str, AfterValidator(normalise_certificate), Field(examples=["11010519491231002X12"])
]
Phone = Annotated[str, AfterValidator(_phone)]


class Disability(Strict):
    category: Category
    grade: int = Field(strict=True, ge=1, le=4)
    certificate_number: CertificateNumber


class Assessment(Strict):
    assessed_on: PastDate
    assessor: Text | None = None


def _default_modes() -> list[WorkMode]:
    return list(WorkMode)


def _default_types() -> list[EmploymentType]:
    return list(EmploymentType)


class Preferences(Strict):
    """What the seeker will accept; omitted, everything is acceptable within 20 km."""

    occupations: list[OccupationCode] = Field(default_factory=list, max_length=20)
    work_modes: list[WorkMode] = Field(default_factory=_default_modes, min_length=1)
    employment_types: list[EmploymentType] = Field(default_factory=_default_types, min_length=1)
    max_commute_km: float = Field(default=20, strict=True, gt=0, le=500, allow_inf_nan=False)
    min_monthly_salary: int | None = Field(default=None, strict=True, ge=0, le=1_000_000)


class Consent(Strict):
    sensitive_data: Flag = Field(
        description="separate consent to process disability and "
        "health data (PIPL Art. 29); must be true to "
        "register"
    )
    share_with_employers: Flag = False


class SeekerFields(Strict):
    """Fields a client may set, shared by create and update."""

    external_id: ExternalId | None = None
    location: Location | None = None
    phone: Phone | None = None
    graduation_date: PastDate | None = None
    experience_years: float | None = Field(
        default=None, strict=True, ge=0, le=60, allow_inf_nan=False
    )
    abilities: AbilityProfile | None = None
    assessment: Assessment | None = None
    required_accommodations: list[Accommodation] = Field(default_factory=list)
    preferences: Preferences = Field(default_factory=Preferences)
    hard_to_employ: Flag = False
    poverty_monitoring: Flag = False


class SeekerCreate(SeekerFields):
    name: Text
    id_number: IdNumber
    disability: Disability
    hukou: Hukou
    district_code: DistrictCode
    education: Education
    skills: Skills
    consent: Consent


class SeekerUpdate(PatchBody):
    """PATCH: fields present are replaced whole (nested objects too); null only where the
    field is optional."""

    NOT_NULL: ClassVar[tuple[str, ...]] = (
        "name",
        "id_number",
        "disability",
        "hukou",
        "district_code",
        "education",
        "skills",
        "consent",
        "required_accommodations",
        "preferences",
        "hard_to_employ",
        "poverty_monitoring",
        "status",
    )

    external_id: ExternalId | None = None
    name: Text | None = None
    id_number: IdNumber | None = None
    disability: Disability | None = None
    hukou: Hukou | None = None
    district_code: DistrictCode | None = None
    location: Location | None = None
    phone: Phone | None = None
    education: Education | None = None
    graduation_date: PastDate | None = None
    skills: Skills | None = None
    experience_years: float | None = Field(
        default=None, strict=True, ge=0, le=60, allow_inf_nan=False
    )
    abilities: AbilityProfile | None = None
    assessment: Assessment | None = None
    required_accommodations: list[Accommodation] | None = None
    preferences: Preferences | None = None
    hard_to_employ: Flag | None = None
    poverty_monitoring: Flag | None = None
    consent: Consent | None = None
    status: SeekerStatus | None = None


class DisabilityPublic(BaseModel):
    category: Category
    grade: int
    certificate_number_masked: str


class ConsentPublic(BaseModel):
    sensitive_data: bool
    share_with_employers: bool
    recorded_at: dt.datetime
    recorded_by: str


class SeekerPublic(BaseModel):
    id: str
    external_id: str | None
    name: str
    id_number_masked: str
    certificate_number_masked: str
    disability: DisabilityPublic
    birth_date: dt.date
    sex: Sex
    age: int
    working_age: bool
    hukou: Hukou
    district_code: str
    location: Location | None
    phone_masked: str | None
    education: Education
    graduation_date: dt.date | None
    skills: list[str]
    experience_years: float | None
    abilities: FullProfile
    abilities_estimated: list[str]
    assessment: Assessment | None
    required_accommodations: list[Accommodation]
    preferences: Preferences
    hard_to_employ: bool
    poverty_monitoring: bool
    priority_groups: list[PriorityGroup]
    consent: ConsentPublic
    status: SeekerStatus
    created_at: dt.datetime
    updated_at: dt.datetime
