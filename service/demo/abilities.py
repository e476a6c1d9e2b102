"""Functional profiles consistent with a disability category and grade.

Capacity scale of MATCHING.md: 4 no difficulty .. 0 complete limitation.  Each profile
names the dimensions the disability affects (an assessment always covers those) and the
accommodations the person requires, in line with JAN's limitation → accommodation chain.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from service.matching.dimensions import DIMENSIONS


@dataclass(frozen=True)
class Profile:
    subtype: str
    abilities: dict[str, int]  # all 13 dimensions
    affected: tuple[str, ...]
    required: list[str]


def _by_grade(rng: random.Random, grade: int, table: dict[int, tuple[int, ...]]) -> int:
    return rng.choice(table[grade])


def _visual(rng: random.Random, g: int, a: dict[str, int], req: list[str]) -> tuple[str, ...]:
    a["vision"] = _by_grade(rng, g, {1: (0,), 2: (0, 1), 3: (1, 2), 4: (2, 3)})
    if g <= 2:
        a["walking"] = rng.choice((3, 3, 4))
    if a["vision"] <= 1:
        req.append("screen_reader")
        if rng.random() < 0.3:
            req.append("braille")
    elif rng.random() < 0.6:
        req.append("screen_magnifier")
    return ("vision", "walking")


def _hearing(rng: random.Random, g: int, a: dict[str, int], req: list[str]) -> tuple[str, ...]:
    a["hearing"] = _by_grade(rng, g, {1: (0,), 2: (0, 1), 3: (1, 2), 4: (2, 3)})
    a["speech"] = _by_grade(rng, g, {1: (1, 2), 2: (2, 3), 3: (3, 4), 4: (4,)})
    if g <= 2:
        a["literacy"] = rng.choice((2, 3, 4))
    if a["hearing"] <= 1:
        req.append(rng.choice(("sign_language", "text_communication")))
        if rng.random() < 0.25:
            req.append("visual_alerts")
    elif rng.random() < 0.4:
        req.append("text_communication")
    return ("hearing", "speech", "literacy")


def _speech(rng: random.Random, g: int, a: dict[str, int], req: list[str]) -> tuple[str, ...]:
    a["speech"] = _by_grade(rng, g, {1: (0,), 2: (1,), 3: (1, 2), 4: (2, 3)})
    a["social_interaction"] = rng.choice((3, 4))
    if a["speech"] <= 1 and rng.random() < 0.6:
        req.append("text_communication")
    return ("speech", "social_interaction")


def _physical(
    rng: random.Random, g: int, a: dict[str, int], req: list[str]
) -> tuple[str, tuple[str, ...]]:
    weights = {1: (6, 0, 2), 2: (4, 3, 2), 3: (1, 5, 3), 4: (0, 5, 3)}[g]
    subtype = rng.choices(("wheelchair", "lower_limb", "upper_limb"), weights=weights)[0]
    if subtype == "wheelchair":
        a["walking"], a["standing"] = rng.choice((0, 0, 1)), rng.choice((0, 1))
        a["lifting_carrying"] = rng.choice((1, 2))
        a["endurance"] = rng.choice((2, 3, 3))
        if g == 1:
            a["fine_motor"] = rng.choice((2, 3, 4))
        req.append("step_free_access")
        if rng.random() < 0.8:
            req.append("accessible_toilet")
        if rng.random() < 0.3:
            req.append("adjustable_workstation")
        return subtype, ("walking", "standing", "lifting_carrying", "endurance", "fine_motor")
    if subtype == "lower_limb":
        a["walking"] = _by_grade(rng, g, {1: (1,), 2: (1, 2), 3: (2,), 4: (2, 3)})
        a["standing"] = _by_grade(rng, g, {1: (1,), 2: (1, 2), 3: (2, 3), 4: (3,)})
        a["lifting_carrying"] = _by_grade(rng, g, {1: (1,), 2: (2,), 3: (2, 3), 4: (3,)})
        if a["walking"] <= 1 or rng.random() < 0.4:
            req.append("step_free_access")
        return subtype, ("walking", "standing", "lifting_carrying")
    a["fine_motor"] = _by_grade(rng, g, {1: (1,), 2: (1, 2), 3: (2,), 4: (3,)})
    a["lifting_carrying"] = _by_grade(rng, g, {1: (0, 1), 2: (1,), 3: (2,), 4: (2, 3)})
    roll = rng.random()
    if roll < 0.35:
        req.append("adjustable_workstation")
    elif roll < 0.6:
        req.append("assistive_devices")
    return subtype, ("fine_motor", "lifting_carrying")


def _intellectual(rng: random.Random, g: int, a: dict[str, int], req: list[str]) -> tuple[str, ...]:
    a["learning"] = _by_grade(rng, g, {1: (0, 1), 2: (1,), 3: (2,), 4: (2, 3)})
    a["literacy"] = _by_grade(rng, g, {1: (0,), 2: (1,), 3: (1, 2), 4: (2, 3)})
    a["attention"] = _by_grade(rng, g, {1: (1,), 2: (2,), 3: (2, 3), 4: (3,)})
    a["social_interaction"] = _by_grade(rng, g, {1: (1, 2), 2: (2,), 3: (3,), 4: (3, 4)})
    a["stress_tolerance"] = _by_grade(rng, g, {1: (1,), 2: (1, 2), 3: (2, 3), 4: (3,)})
    if g <= 2 or rng.random() < (0.6 if g == 3 else 0.3):
        req.append("job_coach")
    if g <= 2 and rng.random() < 0.6:
        req.append("simplified_tasks")
    return ("learning", "literacy", "attention", "social_interaction", "stress_tolerance")


def _mental(rng: random.Random, g: int, a: dict[str, int], req: list[str]) -> tuple[str, ...]:
    a["stress_tolerance"] = _by_grade(rng, g, {1: (0, 1), 2: (1,), 3: (2,), 4: (3,)})
    a["social_interaction"] = _by_grade(rng, g, {1: (1,), 2: (2,), 3: (2, 3), 4: (3,)})
    a["attention"] = _by_grade(rng, g, {1: (1, 2), 2: (2,), 3: (3,), 4: (3, 4)})
    a["endurance"] = _by_grade(rng, g, {1: (2,), 2: (2, 3), 3: (3,), 4: (4,)})
    if rng.random() < 0.4:
        req.append("quiet_space")
    if rng.random() < 0.3:
        req.append("flexible_hours")
    return ("stress_tolerance", "social_interaction", "attention", "endurance")


def _multiple(
    rng: random.Random, g: int, a: dict[str, int], req: list[str]
) -> tuple[str, tuple[str, ...]]:
    subtype = rng.choice(("deaf_speech", "deaf_speech", "visual_physical", "intellectual_physical"))
    if subtype == "deaf_speech":  # 聋哑: hearing and speech
        a["hearing"] = _by_grade(rng, g, {1: (0,), 2: (0,), 3: (1,), 4: (1, 2)})
        a["speech"] = _by_grade(rng, g, {1: (0,), 2: (0, 1), 3: (1,), 4: (2,)})
        req.append("sign_language" if rng.random() < 0.7 else "text_communication")
        return subtype, ("hearing", "speech")
    if subtype == "visual_physical":
        a["vision"] = _by_grade(rng, g, {1: (0,), 2: (1,), 3: (2,), 4: (2, 3)})
        a["walking"] = _by_grade(rng, g, {1: (1,), 2: (2,), 3: (2,), 4: (3,)})
        a["standing"] = _by_grade(rng, g, {1: (1,), 2: (2,), 3: (3,), 4: (3,)})
        req.append("screen_reader" if a["vision"] <= 1 else "screen_magnifier")
        if a["walking"] <= 1:
            req.append("step_free_access")
        return subtype, ("vision", "walking", "standing")
    a["learning"] = _by_grade(rng, g, {1: (1,), 2: (1,), 3: (2,), 4: (3,)})
    a["literacy"] = _by_grade(rng, g, {1: (0,), 2: (1,), 3: (2,), 4: (2, 3)})
    a["walking"] = _by_grade(rng, g, {1: (1,), 2: (2,), 3: (2,), 4: (3,)})
    a["lifting_carrying"] = _by_grade(rng, g, {1: (1,), 2: (1,), 3: (2,), 4: (3,)})
    req.append("job_coach")
    return subtype, ("learning", "literacy", "walking", "lifting_carrying")


def profile(rng: random.Random, category: str, grade: int, age: int) -> Profile:
    """A capacity profile; unaffected dimensions are mostly 4, sometimes 3."""
    a = {d: (3 if rng.random() < 0.12 else 4) for d in DIMENSIONS}
    if age >= 50:
        a["endurance"] = min(a["endurance"], rng.choice((3, 4)))
        a["lifting_carrying"] = min(a["lifting_carrying"], rng.choice((2, 3, 4)))
    req: list[str] = []
    subtype = category
    if category == "visual":
        affected = _visual(rng, grade, a, req)
    elif category == "hearing":
        affected = _hearing(rng, grade, a, req)
    elif category == "speech":
        affected = _speech(rng, grade, a, req)
    elif category == "physical":
        subtype, affected = _physical(rng, grade, a, req)
    elif category == "intellectual":
        affected = _intellectual(rng, grade, a, req)
    elif category == "mental":
        affected = _mental(rng, grade, a, req)
    else:
        subtype, affected = _multiple(rng, grade, a, req)
    return Profile(subtype, a, affected, list(dict.fromkeys(req)))
