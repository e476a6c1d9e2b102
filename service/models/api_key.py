"""API key schemas."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from pydantic import AfterValidator, BaseModel, Field, StringConstraints, field_validator
from pydantic_core import PydanticCustomError

from service.models.common import Strict, Text, no_nul, to_utc
from service.models.enums import Role


class ApiKeyCreate(Strict):
    role: Role
    name: Text
    expires_at: dt.datetime | None = Field(default=None, description="optional expiry; "
                                           "must lie in the future and carry a time zone")
    replaces: Annotated[str, StringConstraints(min_length=1, max_length=40),
                        AfterValidator(no_nul)] | None = Field(
        default=None, description="id of a key of the same role this one replaces: the new "
                                  "key owns what the old one registered (key rotation)")

    @field_validator("expires_at")
    @classmethod
    def _future(cls, value: dt.datetime | None) -> dt.datetime | None:
        if value is None:
            return None
        value = to_utc(value)
        if value <= dt.datetime.now(dt.UTC):
            raise PydanticCustomError("date_in_past", "the expiry lies in the past")
        return value


class ApiKeyPublic(BaseModel):
    id: str
    role: Role
    name: str
    prefix: str = Field(description="first characters of the key, to recognise it")
    owner_id: str = Field(description="the identity its records are owned by: its own id, "
                                      "or that of the key it replaced")
    created_at: dt.datetime
    expires_at: dt.datetime | None
    revoked_at: dt.datetime | None


class ApiKeyCreated(ApiKeyPublic):
    key: str = Field(description="the secret; shown only in this response")
