"""Match API schemas (CONTRACT.md "Matches")."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from service.models.abilities import FullProfile
from service.models.enums import Accommodation, Education, PriorityGroup, WorkMode


class ReasonOut(BaseModel):
    code: str
    message: str = Field(description="zh-CN")
    message_en: str
    effect: float | None = Field(
        default=None, description="contribution to the logit, or the boost added to the score"
    )


class BlockingOut(BaseModel):
    code: str
    message: str = Field(description="zh-CN")
    message_en: str
    dimension: str | None = None
    demand: int | None = None
    capacity: int | None = None
    bridge: int | None = None
    details: dict[str, Any] = Field(default_factory=dict)


class VacancyMatch(BaseModel):
    rank: int
    vacancy_id: str
    score: float = Field(description="ranking key: probability plus the priority boosts")
    probability: float = Field(
        description="calibrated probability that the placement "
        "succeeds (hired and employed after 6 months)"
    )
    title: str
    employer_id: str
    employer_name: str
    work_mode: WorkMode
    reasons: list[ReasonOut]
    accommodations_used: list[Accommodation]


class SeekerMatches(BaseModel):
    seeker_id: str
    model_version: str
    eligible_count: int
    excluded_count: int
    blocking: list[BlockingOut] = Field(
        default_factory=list, description="why the seeker matches nothing at all"
    )
    items: list[VacancyMatch]


class CandidateProfile(BaseModel):
    """What a hiring decision needs, and nothing that identifies the person."""

    abilities: FullProfile
    abilities_estimated: list[str]
    skills: list[str]
    education: Education
    experience_years: float | None


class CandidateMatch(BaseModel):
    rank: int
    seeker_id: str = Field(
        description="the seeker's id; for partner keys a pseudonym "
        "(psn_…), stable for that key only"
    )
    score: float = Field(
        description="ranking key; for partner keys rounded to 0.05 and "
        "computed from a home moved 2-4 km (docs/privacy.md)"
    )
    probability: float = Field(
        description="calibrated success probability; for partner "
        "keys rounded to 0.05, from the moved home"
    )
    priority_groups: list[PriorityGroup]
    reasons: list[ReasonOut]
    accommodations_used: list[Accommodation]
    profile: CandidateProfile


class FairnessOut(BaseModel):
    protected_groups: list[PriorityGroup]
    min_share: float
    alpha: float


class VacancyCandidates(BaseModel):
    vacancy_id: str
    model_version: str
    eligible_count: int
    excluded_count: int
    fairness: FairnessOut
    pseudonymous: bool = Field(
        default=False,
        description="true for partner keys: "
        "seeker_id is a pseudonym and only seekers who agreed to "
        "share with employers are listed",
    )
    blocking: list[BlockingOut] = Field(default_factory=list)
    items: list[CandidateMatch]


class PairVerdict(BaseModel):
    seeker_id: str
    vacancy_id: str
    model_version: str
    eligible: bool
    score: float | None
    probability: float | None
    blocking: list[BlockingOut]
    reasons: list[ReasonOut]
    accommodations_used: list[Accommodation]
