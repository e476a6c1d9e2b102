"""Predicates for tests/test_reason_truth.py: what each reason claims, checked against the
records as the tests made them (written here, independently of ``explain.py`` and
``reason_words.py``).  Every reason code needs a predicate: an unknown code fails."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from service.matching.dimensions import BRIDGES

EDU = [
    "none",
    "primary",
    "junior_secondary",
    "senior_secondary",
    "vocational",
    "associate",
    "bachelor",
    "master",
    "doctorate",
]
KINDS = {
    "government_organ": "government",
    "public_institution": "public institution",
    "soe": "state-owned",
    "private": "private",
    "platform": "platform",
    "sheltered_workshop": "sheltered",
    "concentrated_employer": "concentrated",
    "blind_massage": "massage",
    "social_organization": "social organi",
    "individual_business": "individual",
}
SUPPORTIVE = {"sheltered_workshop", "concentrated_employer", "blind_massage"}
MODE_NAMES = {"on_site": "on-site", "hybrid": "hybrid", "remote": "remote"}
TYPE_NAMES = {
    "full_time": "full-time",
    "part_time": "part-time",
    "flexible": "flexible",
    "internship": "internship",
}
PREMISES = {"step_free_access", "accessible_toilet", "accessible_transport"}
FAIR = {"graduate", "rural", "hard_to_employ", "poverty_monitoring"}


@dataclass
class S:
    """A seeker as these tests know it (from the record or the payload sent)."""

    abilities: dict[str, int]
    estimated: set[str]
    required: set[str]
    min_salary: int | None
    occupations: list[str]
    at: tuple[float, float] | None
    experience: float
    grade: int
    education: str
    groups: set[str]  # today, graduate included
    skills: set[str]


@dataclass
class V:
    demands: dict[str, int]
    own: set[str]
    premises: set[str]
    mode: str
    etype: str
    kind: str
    at: tuple[float, float] | None
    salary_max: int
    education_min: str
    targeted: bool
    welfare: bool
    groups: set[str]
    occupation: str | None
    skills: set[str]

    @property
    def offered(self) -> set[str]:
        return self.own | (set() if self.mode == "remote" else self.premises)


def km_between(a: tuple[float, float], b: tuple[float, float]) -> float:
    (lat1, lon1), (lat2, lon2) = map(lambda p: (math.radians(p[0]), math.radians(p[1])), (a, b))
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * 6371.0088 * math.asin(math.sqrt(h))


def bridge(v: V, dim: str) -> int:
    return min(2, sum(BRIDGES[a].get(dim, 0) for a in v.offered))


def segments(code: str) -> list[str]:
    return code.split("-")


def wanted(s: S, v: V) -> bool:
    """The vacancy's code lies within an occupation the seeker stated."""
    return v.occupation is not None and any(
        segments(v.occupation)[: len(segments(p))] == segments(p) for p in s.occupations
    )


def overlaps(s: S, v: V) -> bool:
    """The vacancy's code and a stated occupation lie one within the other."""

    def within(a: str, b: str) -> bool:
        return segments(b)[: len(segments(a))] == segments(a)

    return v.occupation is not None and any(
        within(p, v.occupation) or within(v.occupation, p) for p in s.occupations
    )


def same_group(s: S, v: V) -> bool:
    return v.occupation is not None and any(
        segments(v.occupation)[:2] == segments(p)[:2]
        and len(segments(p)) >= 2
        and len(segments(v.occupation)) >= 2
        for p in s.occupations
    )


def _model_truth(factor: str, up: bool, en: str, s: S, v: V) -> bool:
    demanded = {d: n for d, n in v.demands.items() if n > 0}
    short = {d for d, n in demanded.items() if s.abilities[d] < n}
    gap = EDU.index(s.education) - EDU.index(v.education_min)
    if factor == "skills":
        held = s.skills & v.skills
        if up:
            return bool(held) and (("all" in en) == (v.skills <= s.skills))
        return bool(v.skills) and not v.skills <= s.skills
    if factor == "occupation":
        if not s.occupations or v.occupation is None:
            return False
        if up:
            return wanted(s, v) if "same group" not in en else same_group(s, v)
        return not overlaps(s, v)
    if factor == "ability_margin":
        spare = [s.abilities[d] + bridge(v, d) - n for d, n in demanded.items()]
        if up:
            return not spare if "no particular" in en else bool(spare) and min(spare) >= 1
        return bool(spare) and min(spare) == 0
    if factor == "accommodations":
        if up and "job coach" in en:
            return "job_coach" in v.offered and "learning" in short
        return bool(short) != up
    if factor == "education":
        return 0 <= gap <= 2 if up else (gap < 0 if "below" in en else gap > 2)
    if factor == "salary":
        if not s.min_salary:
            return False
        return (v.salary_max >= s.min_salary) == up
    if factor == "distance":
        if v.mode == "remote":
            return up and "remote" in en
        if s.at is None or v.at is None:
            return False
        return km_between(s.at, v.at) <= 5 if up else km_between(s.at, v.at) >= 10
    if factor == "work_mode":
        return (
            "tend" in en
            and MODE_NAMES[v.mode] in en
            and not any(name in en for mode, name in MODE_NAMES.items() if mode != v.mode)
        )
    if factor == "employment_type":
        if "endurance" in en:
            return up and v.etype in ("part_time", "flexible") and s.abilities["endurance"] < 3
        return "tend" in en and TYPE_NAMES[v.etype] in en
    if factor == "employer_kind":
        severe = "severe" in en
        return (
            "tend" in en
            and KINDS[v.kind] in en
            and (not severe or (up and s.grade <= 2 and v.kind in SUPPORTIVE))
        )
    if factor == "targeted":
        return v.targeted == up
    if factor == "public_welfare":
        return v.welfare and ("hard_to_employ" in s.groups) == up
    if factor == "experience":
        return s.experience >= 1 if up else s.experience < 2
    raise AssertionError(f"no predicate for the factor {factor}")


def untrue(reason: dict[str, Any], s: S, v: V) -> str | None:
    """Why the reason is not true of the pair, or None when it is."""
    code, en, effect = reason["code"], reason["message_en"], reason["effect"]
    if not (reason["message"] and en):
        return "no words"
    if any(w in en.lower() for w in ("this employer", "you will", "will keep", "you ")):
        return "phrased as a fact about this pair"
    for suffix, up in (("_raised", True), ("_lowered", False)):
        if code.endswith(suffix):
            if effect is not None and not (effect >= 0.05 if up else effect <= -0.05):
                return f"direction and effect {effect} disagree"
            ok = _model_truth(code[: -len(suffix)], up, en, s, v)
            return None if ok else "the records contradict the words"
    truths = {
        "boost_priority_group_named": bool(v.groups & s.groups),
        "boost_targeted": v.targeted,
        "boost_public_welfare": v.welfare and "hard_to_employ" in s.groups,
        "fairness_guarantee": bool(s.groups & FAIR),
        "assessment_recommended": bool(s.estimated & {d for d, n in v.demands.items() if n}),
        **{
            f"boost_{g}": g in s.groups
            for g in (
                "graduate",
                "rural",
                "hard_to_employ",
                "poverty_monitoring",
                "severe_disability",
                "blind",
            )
        },
    }
    if code not in truths:
        raise AssertionError(f"no predicate for the reason code {code}")
    return None if truths[code] else "the records contradict it"


def check_item(item: dict[str, Any], s: S, v: V, seen: set[str] | None = None) -> None:
    for reason in item["reasons"]:
        why = untrue(reason, s, v)
        assert why is None, f"{reason['code']} ({reason['message_en']}): {why}\n{s}\n{v}"
        if seen is not None:
            seen.add(reason["code"])
    for name in item["accommodations_used"]:
        needed = (name in s.required and not (v.mode == "remote" and name in PREMISES)) or any(
            d in BRIDGES[name] for d, n in v.demands.items() if s.abilities[d] < n
        )
        assert name in v.offered and needed, f"accommodation {name} not relied on\n{s}\n{v}"
