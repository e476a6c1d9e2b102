"""Staff declaration schemas: an employer's staff figures for one calendar year (年审申报)."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, Field

from service.models.common import Strict
from service.models.employer import Count


class StaffDeclarationBase(Strict):
    staff_count: Count
    disabled_staff: Count = 0
    severe_disabled_staff: Count = Field(
        default=0, description="grade 1-2 holders; part of disabled_staff"
    )
    average_annual_wage: float | None = Field(
        default=None, strict=True, ge=0, le=100_000_000, allow_inf_nan=False
    )
    established_posts: Count | None = None


class StaffDeclarationCreate(StaffDeclarationBase):
    """The whole declaration of a year; a PUT replaces what was declared before."""


class StaffDeclarationPublic(BaseModel):
    employer_id: str
    year: int
    staff_count: int
    disabled_staff: int
    severe_disabled_staff: int
    average_annual_wage: float | None
    established_posts: int | None
    declared_by: str = Field(
        description="the key that declared it; 'employer_record' when "
        "it came from the employer's own figures, 'migration' when "
        "back-filled"
    )
    declared_at: dt.datetime
    version: int = Field(
        description='the declaration\'s version; its ETag is "v<version>", '
        "and replacing it needs If-Match with that ETag"
    )
