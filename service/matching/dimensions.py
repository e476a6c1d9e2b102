"""The matching tables (docs/matching.md): dimensions, accommodation bridges, estimates.

One scale on both sides.  A seeker's capacity: 4 no difficulty, 3 mild, 2 moderate,
1 severe, 0 complete limitation.  A vacancy's demand: 0 not needed, 1 occasional,
2 regular, 3 high, 4 very high.  The tables are fixed here (the priority policy and the
domain rules, not these, are replaceable by files).
"""

from __future__ import annotations

from typing import Final

DIMENSIONS: Final[tuple[str, ...]] = (
    "vision",
    "hearing",
    "speech",
    "literacy",
    "learning",
    "attention",
    "social_interaction",
    "stress_tolerance",
    "fine_motor",
    "lifting_carrying",
    "walking",
    "standing",
    "endurance",
)
MAX_LEVEL: Final = 4
MAX_BRIDGE_PER_DIMENSION: Final = 2

# accommodation -> {dimension: capacity added}; an empty dict is a need, not a bridge.
BRIDGES: Final[dict[str, dict[str, int]]] = {
    "screen_reader": {"vision": 2},
    "screen_magnifier": {"vision": 1},
    "braille": {"vision": 1},
    "sign_language": {"hearing": 2, "speech": 1},
    "text_communication": {"hearing": 1, "speech": 2},
    "visual_alerts": {"hearing": 1},
    "step_free_access": {"walking": 1},
    "accessible_transport": {"walking": 1},
    "accessible_toilet": {},
    "adjustable_workstation": {"standing": 2, "fine_motor": 1},
    "assistive_devices": {"fine_motor": 1, "lifting_carrying": 1},
    "flexible_hours": {"endurance": 1, "stress_tolerance": 1},
    "part_time_hours": {"endurance": 2},
    "rest_breaks": {"endurance": 1, "attention": 1},
    "job_coach": {"learning": 1, "social_interaction": 1, "stress_tolerance": 1},
    "simplified_tasks": {"learning": 1, "literacy": 1, "attention": 1},
    "quiet_space": {"attention": 1, "stress_tolerance": 1},
}
ACCOMMODATIONS: Final[tuple[str, ...]] = tuple(BRIDGES)
# Needs met by the premises; moot for remote work (MATCHING.md §3.4).
PREMISES_ACCOMMODATIONS: Final[frozenset[str]] = frozenset(
    {"step_free_access", "accessible_toilet", "accessible_transport"}
)

# Conservative capacity estimates by category and grade (1 most severe .. 4 mildest),
# used only for dimensions the assessment leaves out.  Dimensions not named keep 4.
# Sources: GB/T 26341-2010 grade definitions, read as ICF-style qualifiers.
ESTIMATES: Final[dict[str, dict[int, dict[str, int]]]] = {
    "visual": {
        1: {"vision": 0, "walking": 3, "literacy": 3},
        2: {"vision": 1, "walking": 3},
        3: {"vision": 2},
        4: {"vision": 3},
    },
    "hearing": {
        1: {"hearing": 0, "speech": 2},
        2: {"hearing": 1, "speech": 3},
        3: {"hearing": 2},
        4: {"hearing": 3},
    },
    "speech": {
        1: {"speech": 0},
        2: {"speech": 1},
        3: {"speech": 2},
        4: {"speech": 3},
    },
    "physical": {
        1: {"walking": 0, "standing": 0, "lifting_carrying": 0, "fine_motor": 2, "endurance": 2},
        2: {"walking": 1, "standing": 1, "lifting_carrying": 1, "fine_motor": 3, "endurance": 3},
        3: {"walking": 2, "standing": 2, "lifting_carrying": 2},
        4: {"walking": 3, "standing": 3, "lifting_carrying": 3},
    },
    "intellectual": {
        1: {
            "learning": 0,
            "literacy": 0,
            "attention": 1,
            "social_interaction": 1,
            "stress_tolerance": 1,
        },
        2: {
            "learning": 1,
            "literacy": 1,
            "attention": 2,
            "social_interaction": 2,
            "stress_tolerance": 2,
        },
        3: {"learning": 2, "literacy": 2, "attention": 3, "stress_tolerance": 3},
        4: {"learning": 3, "literacy": 3},
    },
    "mental": {
        1: {"stress_tolerance": 0, "social_interaction": 1, "attention": 1, "endurance": 2},
        2: {"stress_tolerance": 1, "social_interaction": 2, "attention": 2, "endurance": 3},
        3: {"stress_tolerance": 2, "social_interaction": 3, "attention": 3},
        4: {"stress_tolerance": 3},
    },
    # Multiple disabilities: which functions are affected is unknown, so the estimate is
    # a broad, moderate reduction; an assessment is strongly recommended.
    "multiple": {
        1: {
            d: 1
            for d in (
                "vision",
                "hearing",
                "speech",
                "learning",
                "walking",
                "standing",
                "lifting_carrying",
                "endurance",
            )
        },
        2: {
            d: 2
            for d in (
                "vision",
                "hearing",
                "speech",
                "learning",
                "walking",
                "standing",
                "lifting_carrying",
                "endurance",
            )
        },
        3: {
            d: 3
            for d in (
                "vision",
                "hearing",
                "speech",
                "learning",
                "walking",
                "standing",
                "lifting_carrying",
                "endurance",
            )
        },
        4: {d: 3 for d in ("walking", "standing", "endurance")},
    },
}


def estimate_abilities(
    category: str, grade: int, assessed: dict[str, int]
) -> tuple[dict[str, int], list[str]]:
    """Fill the dimensions an assessment leaves out; return (all 13, estimated names)."""
    defaults = ESTIMATES[category][grade]
    abilities: dict[str, int] = {}
    estimated: list[str] = []
    for dim in DIMENSIONS:
        if dim in assessed:
            abilities[dim] = assessed[dim]
        else:
            abilities[dim] = defaults.get(dim, MAX_LEVEL)
            estimated.append(dim)
    return abilities, estimated
