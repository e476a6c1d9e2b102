"""Schema pieces shared by the resources: annotated field types, location, pages, problems."""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Generic, TypeVar

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints
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


_OCCUPATION = re.compile(r"^\d(-\d{2}){0,4}$")


def _occupation(value: str) -> str:
    if not _OCCUPATION.match(value):
        raise PydanticCustomError(
            "occupation_code_format",
            "an occupation code of the national classification, e.g. 4-07-05-01 or 4-07")
    return value


def _dedupe(values: list[str]) -> list[str]:
    return list(dict.fromkeys(values))


PastDate = Annotated[dt.date, AfterValidator(_not_in_future)]
FutureDate = Annotated[dt.date, AfterValidator(_not_in_past)]
DistrictCode = Annotated[str, AfterValidator(validate_district_code),
                         Field(examples=["140302"], description="GB/T 2260 division code")]
OccupationCode = Annotated[str, AfterValidator(_occupation), Field(examples=["4-07-05-01"])]
def no_nul(value: str) -> str:
    # PostgreSQL text cannot hold U+0000, and no real name, title or skill contains it.
    if "\x00" in value:
        raise PydanticCustomError("nul_character", "the text contains a NUL (U+0000) "
                                  "character")
    return value


def _stripped_not_blank(value: str) -> str:
    value = no_nul(value)
    stripped = value.strip()
    if not stripped:
        raise PydanticCustomError("blank", "this text is blank")
    return stripped


# Lengths are checked on the text as sent (what the OpenAPI document promises), then
# surrounding whitespace is dropped and blank text refused.
Text = Annotated[str, StringConstraints(min_length=1, max_length=200),
                 AfterValidator(_stripped_not_blank)]
ExternalId = Annotated[str, StringConstraints(min_length=1, max_length=100),
                       AfterValidator(_stripped_not_blank)]
Skill = Annotated[str, StringConstraints(min_length=1, max_length=50),
                  AfterValidator(_stripped_not_blank)]
Skills = Annotated[list[Skill], Field(max_length=50), AfterValidator(_dedupe)]
Level = Annotated[int, Field(strict=True, ge=0, le=MAX_LEVEL)]
PlainText = Annotated[str, AfterValidator(no_nul)]  # free text, kept as sent


class Strict(BaseModel):
    """Request bodies reject unknown fields: a misspelt field is an error, not ignored."""

    model_config = ConfigDict(extra="forbid", use_enum_values=True)


class Location(Strict):
    lat: float = Field(ge=-90, le=90, allow_inf_nan=False)
    lon: float = Field(ge=-180, le=180, allow_inf_nan=False)


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
