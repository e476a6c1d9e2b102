"""API key schemas."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, Field

from service.models.common import Strict, Text
from service.models.enums import Role


class ApiKeyCreate(Strict):
    role: Role
    name: Text
    expires_at: dt.datetime | None = Field(default=None, description="optional expiry (UTC)")


class ApiKeyPublic(BaseModel):
    id: str
    role: Role
    name: str
    prefix: str = Field(description="first characters of the key, to recognise it")
    created_at: dt.datetime
    expires_at: dt.datetime | None
    revoked_at: dt.datetime | None


class ApiKeyCreated(ApiKeyPublic):
    key: str = Field(description="the secret; shown only in this response")
