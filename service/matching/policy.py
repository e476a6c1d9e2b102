"""Priority policy of MATCHING.md §5: the boosts, and the fairness guarantee's parameters.

Defaults below; ``ACCESSMATCH_MATCHING_POLICY_FILE`` names a JSON file of the same shape to
replace them.  Every boost applied is listed in the match's reasons.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import BaseModel, Field

from service.models.enums import PriorityGroup


class PriorityPolicy(BaseModel):
    # Ranking vacancies for a seeker (added to the success probability).
    names_seekers_group: float = Field(
        0.08, ge=0, le=1, description="the vacancy names one of the seeker's priority groups"
    )
    targeted: float = Field(
        0.04,
        ge=0,
        le=1,
        description="a targeted post (定向招聘) or dedicated post for disabled people",
    )
    public_welfare_for_hard_to_employ: float = Field(
        0.10, ge=0, le=1, description="public-welfare posts go first to the hard to employ"
    )
    # Ranking candidates for a vacancy.
    candidate_group: dict[PriorityGroup, float] = {
        PriorityGroup.graduate: 0.05,
        PriorityGroup.rural: 0.04,
        PriorityGroup.hard_to_employ: 0.06,
        PriorityGroup.poverty_monitoring: 0.05,
        PriorityGroup.severe_disability: 0.03,
        PriorityGroup.blind: 0.03,
    }
    candidate_boost_cap: float = Field(0.10, ge=0, le=1)
    # FA*IR (Zehlike et al., 2017): in every prefix of the candidate list, at least the
    # binomial minimum of "protected" candidates (members of these groups) appears.
    fair_groups: list[PriorityGroup] = [
        PriorityGroup.graduate,
        PriorityGroup.rural,
        PriorityGroup.hard_to_employ,
        PriorityGroup.poverty_monitoring,
    ]
    fair_min_share: float = Field(0.4, gt=0, lt=1)
    fair_alpha: float = Field(0.1, gt=0, lt=1)


@lru_cache
def load_policy(path: Path | None = None) -> PriorityPolicy:
    if path is None:
        return PriorityPolicy()
    return PriorityPolicy.model_validate_json(Path(path).read_text(encoding="utf-8"))
