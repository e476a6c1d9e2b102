"""Placement (job start) and follow-up visit API schemas."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import ClassVar, Literal

from pydantic import BaseModel, Field

from service.models.common import Flag, IsoDate, PastDate, PatchBody, PlainText, Strict
from service.models.enums import EmploymentForm, LeavingReason, SupportNeed, VisitMethod

RecordId = Field(min_length=1, max_length=40)
Month = Literal[1, 3, 6, 12]


class FollowUpStatus(StrEnum):
    """Where a follow-up milestone stands (see :mod:`service.services.follow_ups`)."""

    done = "done"  # a visit was made in its window
    due = "due"  # its window is open and the due date has not passed
    overdue = "overdue"  # past the due date, no visit yet, the window still open
    missed = "missed"  # its window closed without a visit (the next one's opened)
    upcoming = "upcoming"  # its window has not opened yet
    not_needed = "not_needed"  # the job ended before its window opened


class PlacementCreate(Strict):
    seeker_id: PlainText = RecordId
    employer_id: PlainText = RecordId
    vacancy_id: PlainText | None = Field(
        default=None,
        min_length=1,
        max_length=40,
        description="left out with a referral: the referral's vacancy",
    )
    referral_id: PlainText | None = Field(
        default=None,
        min_length=1,
        max_length=40,
        description="offered or hired; an offered one becomes hired",
    )
    start_date: IsoDate = Field(description="the first working day; at most 60 days ahead")
    form: EmploymentForm
    counts_as_new: Flag = Field(description="counts as new employment in the plans' targets")


class PlacementUpdate(PatchBody):
    """End a placement (end_date and end_reason together), or correct form and
    counts_as_new.  An ended placement stays ended."""

    NOT_NULL: ClassVar[tuple[str, ...]] = ("end_date", "end_reason", "form", "counts_as_new")

    end_date: PastDate | None = None
    end_reason: LeavingReason | None = None
    form: EmploymentForm | None = None
    counts_as_new: Flag | None = None


class FollowUpCreate(Strict):
    date: PastDate = Field(description="not before the start, not in the future")
    method: VisitMethod
    still_employed: Flag
    reason_left: LeavingReason | None = Field(
        default=None, description="required when still_employed is false, refused otherwise"
    )
    support_needed: list[SupportNeed] = Field(default_factory=list, max_length=len(SupportNeed))


class VisitPublic(BaseModel):
    id: str
    date: dt.date
    method: VisitMethod
    still_employed: bool
    reason_left: LeavingReason | None
    support_needed: list[SupportNeed]
    recorded_by: str
    created_at: dt.datetime


class MilestonePublic(BaseModel):
    month: Month
    due_on: dt.date
    window_opens_on: dt.date = Field(description="14 days before due_on")
    window_closes_on: dt.date = Field(description="exclusive: where the next window opens")
    status: FollowUpStatus
    visit_id: str | None = Field(description="the visit that satisfied it")


class PlacementPublic(BaseModel):
    id: str
    seeker_id: str
    employer_id: str
    vacancy_id: str | None
    referral_id: str | None
    district_code: str = Field(description="the seeker's county at the start")
    start_date: dt.date
    form: EmploymentForm
    counts_as_new: bool
    end_date: dt.date | None
    end_reason: LeavingReason | None
    follow_ups: list[MilestonePublic]
    visits: list[VisitPublic] = Field(description="oldest first")
    retained_6_months: bool | None = Field(
        description="still employed six months after the start; null while not known"
    )
    recorded_by: str
    version: int
    created_at: dt.datetime
    updated_at: dt.datetime


class FollowUpDue(BaseModel):
    placement_id: str
    seeker_id: str
    employer_id: str
    district_code: str
    month: Month
    due_on: dt.date
    status: FollowUpStatus = Field(
        description="due, overdue, or upcoming (when due_before reaches past the open windows)"
    )
    days_overdue: int = Field(description="days past due_on; 0 unless overdue")
