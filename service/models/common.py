"""Schema pieces shared by the resources: annotated field types, location, pages, problems."""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Any, ClassVar, Generic, TypeVar

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationInfo,
    field_validator,
)
from pydantic_core import PydanticCustomError

from service.matching.dimensions import MAX_LEVEL
from service.models.identifiers import validate_district_code
from service.rules import today_in_china

T = TypeVar("T")


def _not_in_future(value: dt.date) -> dt.date:
    if value > today_in_china():
        raise PydanticCustomError("date_in_future", "this date lies in the future")
    return value


def _not_in_past(value: dt.date) -> dt.date:
    if value < today_in_china():
        raise PydanticCustomError("date_in_past", "this date has already passed")
    return value


_OCCUPATION = re.compile(r"[0-9](-[0-9]{2}){0,4}")


def _occupation(value: str) -> str:
    if not _OCCUPATION.fullmatch(value):
        raise PydanticCustomError(
            "occupation_code_format",
            "an occupation code of the national classification, e.g. 4-07-05-01 or 4-07",
        )
    return value


def to_utc(value: dt.datetime) -> dt.datetime:
    """An aware instant in UTC; one so near year 1 or 9999 that UTC lies outside the
    calendar is a validation error, not an OverflowError."""
    if value.tzinfo is None:
        raise PydanticCustomError(
            "timezone_required", "give the time zone, e.g. 2026-12-01T08:00:00Z"
        )
    try:
        return value.astimezone(dt.UTC)
    except OverflowError:
        raise PydanticCustomError(
            "datetime_out_of_range", "this instant lies outside the years 1 to 9999 in UTC"
        ) from None


def _dedupe(values: list[str]) -> list[str]:
    return list(dict.fromkeys(values))


_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def _date_text(value: Any) -> Any:
    # Lax pydantic reads a number, or a string of digits, as Unix time; the contract says
    # an ISO 8601 calendar date as text (YYYY-MM-DD), in bodies and query strings alike.
    if isinstance(value, dt.date) or (isinstance(value, str) and _ISO_DATE.fullmatch(value)):
        return value
    raise PydanticCustomError("date_format", "an ISO 8601 date as text, e.g. 2026-07-01")


IsoDate = Annotated[dt.date, BeforeValidator(_date_text)]
PastDate = Annotated[IsoDate, AfterValidator(_not_in_future)]
FutureDate = Annotated[IsoDate, AfterValidator(_not_in_past)]
# Consent and flags: JSON true or false only ("yes", 1 or "true" are refused, not guessed).
Flag = Annotated[bool, Field(strict=True)]
DistrictCode = Annotated[
    str,
    AfterValidator(validate_district_code),
    Field(examples=["140302"], description="GB/T 2260 division code"),
]
OccupationCode = Annotated[str, AfterValidator(_occupation), Field(examples=["4-07-05-01"])]


def no_nul(value: str) -> str:
    # PostgreSQL text cannot hold U+0000, and no real name, title or skill contains it.
    if "\x00" in value:
        raise PydanticCustomError("nul_character", "the text contains a NUL (U+0000) character")
    return value


def _stripped_not_blank(value: str) -> str:
    value = no_nul(value)
    stripped = value.strip()
    if not stripped:
        raise PydanticCustomError("blank", "this text is blank")
    return stripped


# Lengths are checked on the text as sent (what the OpenAPI document promises), then
# surrounding whitespace is dropped and blank text refused.
Text = Annotated[
    str, StringConstraints(min_length=1, max_length=200), AfterValidator(_stripped_not_blank)
]
ExternalId = Annotated[
    str, StringConstraints(min_length=1, max_length=100), AfterValidator(_stripped_not_blank)
]
Skill = Annotated[
    str, StringConstraints(min_length=1, max_length=50), AfterValidator(_stripped_not_blank)
]
Skills = Annotated[list[Skill], Field(max_length=50), AfterValidator(_dedupe)]
Level = Annotated[int, Field(strict=True, ge=0, le=MAX_LEVEL)]
PlainText = Annotated[str, AfterValidator(no_nul)]  # free text, kept as sent


class Strict(BaseModel):
    """Request bodies reject unknown fields: a misspelt field is an error, not ignored."""

    model_config = ConfigDict(extra="forbid", use_enum_values=True)


def not_nullable(schema: dict[str, Any], model: type[BaseModel]) -> None:
    """JSON schema of a PATCH body: the fields it refuses as null (``NOT_NULL``) are
    optional but not nullable, so a generated client never offers to send null."""
    properties = schema.get("properties", {})
    for name in getattr(model, "NOT_NULL", ()):
        prop = properties.get(name)
        if prop is None or "anyOf" not in prop:
            continue
        options = [o for o in prop["anyOf"] if o.get("type") != "null"]
        prop.pop("default", None)
        if len(options) == 1:
            del prop["anyOf"]
            prop.update(options[0])
        else:
            prop["anyOf"] = options


class PatchBody(Strict):
    """A PATCH body: fields present are replaced; those named in ``NOT_NULL`` are optional
    but refuse null (leave one out to keep its value), and say so in the JSON schema."""

    model_config = ConfigDict(json_schema_extra=not_nullable)
    NOT_NULL: ClassVar[tuple[str, ...]] = ()

    @field_validator("*", mode="before")
    @classmethod
    def _no_null(cls, value: Any, info: ValidationInfo) -> Any:
        if value is None and info.field_name in cls.NOT_NULL:
            raise PydanticCustomError(
                "null_not_allowed", "this field cannot be null; leave it out to keep its value"
            )
        return value


class Location(Strict):
    lat: float = Field(strict=True, ge=-90, le=90, allow_inf_nan=False)
    lon: float = Field(strict=True, ge=-180, le=180, allow_inf_nan=False)


class Page(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None


class FieldProblem(BaseModel):
    field: str
    code: str
    message: str


class Problem(BaseModel):
    """RFC 9457 problem details."""

    type: str
    title: str
    status: int
    detail: str
    instance: str | None = None
    request_id: str | None = None
    errors: list[FieldProblem] | None = None
