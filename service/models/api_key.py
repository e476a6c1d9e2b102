"""API key schemas."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from pydantic import AfterValidator, BaseModel, Field, StringConstraints, field_validator
from pydantic_core import PydanticCustomError

from service.clock import utcnow
from service.models.common import Strict, Text, no_nul, to_utc
from service.models.enums import Role


class ApiKeyCreate(Strict):
    role: Role
    name: Text
    expires_at: dt.datetime | None = Field(
        default=None, description="optional expiry; must lie in the future and carry a time zone"
    )
    replaces: (
        Annotated[str, StringConstraints(min_length=1, max_length=40), AfterValidator(no_nul)]
        | None
    ) = Field(
        default=None,
        description="id of a key of the same role this one replaces: the new "
        "key owns what the old one registered (key rotation)",
    )
    district_code: (
        Annotated[str, StringConstraints(pattern=r"^[0-9]{2}([0-9]{2}){0,2}$")] | None
    ) = Field(
        default=None,
        description="limit the key's statistics to this area: a province (2 "
        "digits), city (4) or county (6) code prefix",
    )

    @field_validator("expires_at")
    @classmethod
    def _future(cls, value: dt.datetime | None) -> dt.datetime | None:
        if value is None:
            return None
        value = to_utc(value)
        if value <= utcnow():
            raise PydanticCustomError("date_in_past", "the expiry lies in the past")
        return value


class ApiKeyPublic(BaseModel):
    id: str
    role: Role
    name: str
    prefix: str = Field(description="first characters of the key, to recognise it")
    owner_id: str = Field(
        description="the identity its records are owned by: its own id, "
        "or that of the key it replaced"
    )
    created_at: dt.datetime
    expires_at: dt.datetime | None
    revoked_at: dt.datetime | None
    district_code: str | None = Field(description="the statistics jurisdiction, if limited")


class ApiKeyCreated(ApiKeyPublic):
    key: str = Field(description="the secret; shown only in this response")
