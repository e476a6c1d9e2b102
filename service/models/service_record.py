"""Casework API schemas: service records (the "four ones" and training) and the seeker's
status history.

A service record's ``details`` depend on its ``type``.  The request body is a union
discriminated by ``type`` (one schema per type in the OpenAPI document), validated by the
schema of the type named, so that an error names ``details.<field>`` and never the tag.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal, NoReturn

from pydantic import (
    AfterValidator,
    BaseModel,
    Field,
    PlainValidator,
    TypeAdapter,
    ValidationError,
    model_validator,
)
from pydantic_core import InitErrorDetails, PydanticCustomError

from service.models.abilities import AbilityProfile
from service.models.common import DistrictCode, Flag, IsoDate, PastDate, PlainText, Strict, Text
from service.models.enums import (
    AssessmentMethod,
    Channel,
    LabourCapacity,
    SeekerStatus,
    ServiceResult,
    ServiceSubtype,
    ServiceType,
    StatusCause,
    TrainingKind,
)
from service.models.seeker import Preferences
from service.rules import today_in_china

MAX_NOTE = 2000


def _fail_at(model: str, field: str, code: str, message: str, value: Any) -> NoReturn:
    """A validation error located at ``field`` of the model being validated (a model
    validator's own errors would otherwise name the whole object)."""
    raise ValidationError.from_exception_data(
        model,
        [InitErrorDetails(type=PydanticCustomError(code, message), loc=(field,), input=value)],
    )


# -- details, one schema per type -------------------------------------------------------


class BasicInfoCheckDetails(Strict):
    """基础信息核对: whether the person needs work, and how much they can work."""

    has_employment_need: Flag
    labour_capacity: LabourCapacity


class AbilityAssessmentDetails(Strict):
    """职业能力评估: the dimensions assessed (at least one).  The newest assessment by date
    becomes the seeker's current one, which matching uses; older ones stay as history."""

    abilities: AbilityProfile
    assessor: Text
    method: AssessmentMethod

    @model_validator(mode="after")
    def _something_assessed(self) -> AbilityAssessmentDetails:
        if not self.abilities.given():
            _fail_at(
                type(self).__name__,
                "abilities",
                "abilities_empty",
                "an assessment assesses at least one dimension",
                {},
            )
        return self


class NeedsRegistrationDetails(Strict):
    """就业需求登记: a snapshot of what the person wants.  The newest registration by date
    becomes the seeker's current preferences, which matching uses."""

    preferences: Preferences
    training_need: Flag
    entrepreneurship_intent: Flag


class EmploymentServiceDetails(Strict):
    """就业服务: which service; the vacancy concerned, if any."""

    subtype: ServiceSubtype
    vacancy_id: PlainText | None = Field(default=None, min_length=1, max_length=40)


class TrainingDetails(Strict):
    """Training attended (vocational, or rural practical): counted apart from the four."""

    course: Text
    provider: Text
    kind: TrainingKind
    start_date: IsoDate
    end_date: IsoDate = Field(description="the planned end while the course runs")
    completed: Flag

    @model_validator(mode="after")
    def _dates(self) -> TrainingDetails:
        name = type(self).__name__
        if self.end_date < self.start_date:
            _fail_at(
                name,
                "end_date",
                "end_before_start",
                "the course cannot end before it starts",
                self.end_date.isoformat(),
            )
        if self.completed and self.end_date > today_in_china():
            _fail_at(
                name,
                "end_date",
                "date_in_future",
                "a completed course cannot end in the future",
                self.end_date.isoformat(),
            )
        return self


ServiceDetails = (
    BasicInfoCheckDetails
    | AbilityAssessmentDetails
    | NeedsRegistrationDetails
    | EmploymentServiceDetails
    | TrainingDetails
)

DETAILS: dict[ServiceType, type[Strict]] = {
    ServiceType.basic_info_check: BasicInfoCheckDetails,
    ServiceType.ability_assessment: AbilityAssessmentDetails,
    ServiceType.needs_registration: NeedsRegistrationDetails,
    ServiceType.employment_service: EmploymentServiceDetails,
    ServiceType.training: TrainingDetails,
}


# -- the request body -------------------------------------------------------------------


class _RecordFields(Strict):
    type: ServiceType
    date: PastDate = Field(
        description="when the service was given (for training: the date "
        "of this record); not in the future, not before "
        "the person's birth"
    )
    channel: Channel
    agency_district_code: DistrictCode = Field(description="the agency that served")
    result: ServiceResult
    note: PlainText | None = Field(
        default=None, max_length=MAX_NOTE, description="the counselor's free text (kept encrypted)"
    )


class BasicInfoCheckCreate(_RecordFields):
    type: Literal[ServiceType.basic_info_check]
    details: BasicInfoCheckDetails


class AbilityAssessmentCreate(_RecordFields):
    type: Literal[ServiceType.ability_assessment]
    details: AbilityAssessmentDetails


class NeedsRegistrationCreate(_RecordFields):
    type: Literal[ServiceType.needs_registration]
    details: NeedsRegistrationDetails


class EmploymentServiceCreate(_RecordFields):
    type: Literal[ServiceType.employment_service]
    details: EmploymentServiceDetails


class TrainingCreate(_RecordFields):
    type: Literal[ServiceType.training]
    details: TrainingDetails


_Variants = (
    BasicInfoCheckCreate
    | AbilityAssessmentCreate
    | NeedsRegistrationCreate
    | EmploymentServiceCreate
    | TrainingCreate
)
_VARIANTS: dict[ServiceType, type[_RecordFields]] = {
    ServiceType.basic_info_check: BasicInfoCheckCreate,
    ServiceType.ability_assessment: AbilityAssessmentCreate,
    ServiceType.needs_registration: NeedsRegistrationCreate,
    ServiceType.employment_service: EmploymentServiceCreate,
    ServiceType.training: TrainingCreate,
}
_Discriminated = Annotated[_Variants, Field(discriminator="type")]
_UNION = TypeAdapter(_Discriminated)


class _Kind(BaseModel):
    type: ServiceType


def _by_type(value: Any) -> _RecordFields:
    if not isinstance(value, dict):
        return _UNION.validate_python(value)  # type: ignore[no-any-return]
    kind = _Kind.model_validate(value).type  # a missing or unknown type names ``type``
    return _VARIANTS[kind].model_validate(value)


# The OpenAPI document shows the discriminated union; validation goes by the type named.
ServiceRecordCreate = Annotated[
    _Variants, PlainValidator(_by_type, json_schema_input_type=_Discriminated)
]


# -- answers ----------------------------------------------------------------------------


class ServiceRecordPublic(BaseModel):
    id: str
    seeker_id: str
    type: ServiceType
    date: dt.date
    channel: Channel
    agency_district_code: str
    result: ServiceResult
    note: str | None
    details: ServiceDetails
    recorded_by: str = Field(description="the id of the key that recorded it")
    created_at: dt.datetime


# -- status history ---------------------------------------------------------------------

# Written by the service itself (registration, a PATCH of the record's status, a job
# start or end), never sent.
SYSTEM_CAUSES = frozenset(
    {
        StatusCause.registration,
        StatusCause.record_update,
        StatusCause.placement,
        StatusCause.placement_ended,
        StatusCause.placement_cancelled,
    }
)


def _sent_cause(value: str) -> str:
    if value in SYSTEM_CAUSES:
        raise PydanticCustomError(
            "cause_system_only",
            "this cause is recorded by the "
            "service itself (registration, a change of the record, "
            "a job start or its end)",
        )
    return value


class StatusChangeCreate(Strict):
    status: SeekerStatus
    date: PastDate = Field(
        description="when the status changed; a date before the newest "
        "entry is kept as history and leaves the current "
        "status as it is"
    )
    cause: Annotated[StatusCause, AfterValidator(_sent_cause)] = Field(
        description="any cause but registration, record_update, placement and "
        "placement_ended, which the service records itself"
    )


class StatusChangePublic(BaseModel):
    id: str
    status: SeekerStatus
    date: dt.date
    cause: StatusCause
    placement_id: str | None
    recorded_by: str
    created_at: dt.datetime


class StatusHistory(BaseModel):
    seeker_id: str
    current: SeekerStatus = Field(
        description="the status of the newest entry (by date, then by the order recorded)"
    )
    items: list[StatusChangePublic] = Field(description="oldest first")
