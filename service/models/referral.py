"""Referral API schemas: a person put forward for a vacancy, and the pipeline after it."""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    Field,
    StringConstraints,
    ValidationInfo,
    field_validator,
)
from pydantic_core import PydanticCustomError

from service.models.common import Strict, no_nul, to_utc
from service.models.enums import ReferralReason, ReferralSource, ReferralStatus, Role

Ident = Annotated[str, StringConstraints(min_length=1, max_length=40), AfterValidator(no_nul)]
Position = Annotated[int, Field(strict=True, ge=1, le=100_000)]


_NUMBER = re.compile(r"\s*[+-]?[0-9]+(\.[0-9]*)?\s*")


def _iso_text(value: Any) -> Any:
    # pydantic would read a bare number as Unix time; the contract says ISO 8601.
    if not isinstance(value, str) or _NUMBER.fullmatch(value):
        raise PydanticCustomError(
            "datetime_format",
            "an ISO 8601 date-time with a time zone, e.g. 2026-12-01T08:00:00+08:00",
        )
    return value


Instant = Annotated[dt.datetime, BeforeValidator(_iso_text), AfterValidator(to_utc)]


def _reason_text(value: str) -> str:
    value = no_nul(value)
    if len(value.strip()) < 10:
        raise PydanticCustomError("too_short", "state the reason in at least 10 characters")
    return value


class Override(Strict):
    """A counselor's decision to refer a pair the constraints block."""

    reason: Annotated[
        str, StringConstraints(min_length=10, max_length=2000), AfterValidator(_reason_text)
    ] = Field(
        description="why the blocking constraints do not apply to this person and job; "
        "kept encrypted, shown to counselors only"
    )


class ReferralCreate(Strict):
    """Counselors and administrators name the person by ``seeker_id``; a partner by the
    ``candidate_id`` (``psn_…``) it was shown among the candidates of its own vacancy."""

    seeker_id: Ident | None = None
    candidate_id: Ident | None = None
    vacancy_id: Ident
    source: ReferralSource
    rank: Position | None = Field(
        default=None,
        description="the vacancy's (or candidate's) place in the list the referral was made from",
    )
    shown: Position | None = Field(default=None, description="how many items that list showed")
    override: Override | None = Field(
        default=None, description="counselors only: refer despite blocking constraints"
    )

    @field_validator("shown")
    @classmethod
    def _covers_rank(cls, value: int | None, info: ValidationInfo) -> int | None:
        rank = info.data.get("rank")
        if value is not None and rank is not None and value < rank:
            raise PydanticCustomError(
                "shown_below_rank", "shown must be at least rank: the list showed the item"
            )
        return value


class ReferralUpdate(Strict):
    """One move along the pipeline (see GET /v1/referrals/{id} for the current status)."""

    status: ReferralStatus
    reason_code: ReferralReason | None = Field(
        default=None,
        description="required for declined_by_seeker, rejected_by_employer "
        "and withdrawn; refused otherwise",
    )
    interview_at: Instant | None = Field(
        default=None, description="with interview_scheduled: when the interview is"
    )


class RankingContext(BaseModel):
    """What the ranking said when the referral was made: what a retraining needs to
    correct for the bias of its own lists."""

    model_version: str
    score: float | None = Field(
        description="null for an overridden (ineligible) pair; "
        "for a partner, the number of its own referral only (as "
        "its candidate list showed it), else null"
    )
    probability: float | None
    rank: int | None = Field(
        description="place in the list the referral came from; null if not known"
    )
    shown: int | None
    eligible: bool | None = Field(
        description="false: the constraints blocked the pair and "
        "a counselor overrode them; null for a partner, to whom "
        "no constraint verdict about the person is shown"
    )
    overridden: list[str] | None = Field(
        description="codes of the overridden constraints; null for a partner"
    )
    override_reason: str | None = Field(default=None, description="counselors only")


class ReferralEventPublic(BaseModel):
    from_status: ReferralStatus | None
    to_status: ReferralStatus
    reason_code: ReferralReason | None
    at: dt.datetime
    role: Role
    key_id: str | None = Field(default=None, description="counselors only")


class ReferralPublic(BaseModel):
    """A referral as the calling key may see it.

    Counselors and administrators see the person's ``seeker_id``, the full ranking
    context with the override reason, the key behind every event and ``created_by``.
    A partner (whose vacancy it is) sees the person only as ``candidate_id``, the same
    pseudonym its candidate lists show (``seeker_id`` is null); score and probability
    rounded to 0.05 as in those lists; no override reason and no key ids (``created_by``
    and each event's ``key_id`` are null; the event's ``role`` says who acted).
    """

    id: str
    seeker_id: str | None = Field(description="counselors only")
    candidate_id: str | None = Field(description="partners only: the pseudonym")
    vacancy_id: str
    employer_id: str
    source: ReferralSource
    status: ReferralStatus
    reason_code: ReferralReason | None
    interview_at: dt.datetime | None
    ranking: RankingContext
    created_by: str | None = Field(description="the key that made it; counselors only")
    created_at: dt.datetime
    updated_at: dt.datetime
    events: list[ReferralEventPublic] = Field(
        description="every status it passed through, oldest first"
    )
