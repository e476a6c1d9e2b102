"""Audit log schema (``GET /v1/audit``)."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, Field

from service.models.enums import AuditAction, AuditOutcome, Role


class AuditEventPublic(BaseModel):
    id: str
    at: dt.datetime
    key_id: str
    role: Role
    action: AuditAction
    resource_type: str = Field(description="seeker, vacancy, api_key, model or plan_target")
    resource_id: str | None
    outcome: AuditOutcome
    request_id: str | None = Field(description="also in the access log and X-Request-ID")
    fields: list[str] = Field(description="for updates: the names of the fields changed")
    seeker_ids: list[str] = Field(
        description="every seeker concerned: the one read, or each one shown in a list"
    )
