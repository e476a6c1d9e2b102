"""The 13-dimension profiles: a seeker's abilities and a vacancy's demands."""

from __future__ import annotations

from pydantic import BaseModel

from service.matching.dimensions import DIMENSIONS
from service.models.common import Level, Strict


class AbilityProfile(Strict):
    """Levels 0-4 on the dimensions of MATCHING.md §1; a dimension left out is unset."""

    vision: Level | None = None
    hearing: Level | None = None
    speech: Level | None = None
    literacy: Level | None = None
    learning: Level | None = None
    attention: Level | None = None
    social_interaction: Level | None = None
    stress_tolerance: Level | None = None
    fine_motor: Level | None = None
    lifting_carrying: Level | None = None
    walking: Level | None = None
    standing: Level | None = None
    endurance: Level | None = None

    def given(self) -> dict[str, int]:
        return {d: v for d in DIMENSIONS if (v := getattr(self, d)) is not None}


class FullProfile(BaseModel):
    vision: int
    hearing: int
    speech: int
    literacy: int
    learning: int
    attention: int
    social_interaction: int
    stress_tolerance: int
    fine_motor: int
    lifting_carrying: int
    walking: int
    standing: int
    endurance: int


assert tuple(AbilityProfile.model_fields) == DIMENSIONS
assert tuple(FullProfile.model_fields) == DIMENSIONS
