"""Reasons a counselor can read aloud, in zh-CN and en: what raised or lowered a score,
which boosts applied, which accommodations the pair relies on.

Every reason is true of the pair it is given for.  A model factor becomes a reason only
when its contribution to the logit points the reason's way (``_raised`` above +0.05,
``_lowered`` below −0.05) *and* the pair's records bear its words out
(``service.matching.reason_words``); a factor whose words would not be true is left out,
in either direction.  Boosts and remarks are given exactly when their rule applied.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from service.matching.arrays import SeekerArrays, VacancyArrays
from service.matching.dimensions import ACCOMMODATIONS, BRIDGES, DIMENSIONS
from service.matching.encoding import ACC_BIT, PREMISES_MASK, REMOTE
from service.matching.reason_words import WORDS, PairFacts

__all__ = [
    "BOOST_WORDS",
    "WORDS",
    "PairFacts",
    "Reason",
    "accommodations_used",
    "boost_reasons",
    "estimate_reason",
    "is_model_reason",
    "model_reasons",
    "pair_reasons",
]

BOOST_WORDS: dict[str, tuple[str, str]] = {
    "boost_priority_group_named": (
        "岗位面向求职者所属重点群体（加权）",
        "the vacancy names one of the seeker's priority groups (boost)",
    ),
    "boost_targeted": ("定向/专岗招聘残疾人（加权）", "a targeted or dedicated post (boost)"),
    "boost_public_welfare": (
        "公益性岗位优先安置就业困难残疾人（加权）",
        "public-welfare post for the hard to employ (boost)",
    ),
    "boost_graduate": ("高校毕业生（重点群体加权）", "university graduate (priority boost)"),
    "boost_rural": ("农村残疾人（重点群体加权）", "rural resident (priority boost)"),
    "boost_hard_to_employ": ("就业困难人员（重点群体加权）", "hard to employ (priority boost)"),
    "boost_poverty_monitoring": (
        "防止返贫监测对象（重点群体加权）",
        "under poverty-return monitoring (priority boost)",
    ),
    "boost_severe_disability": ("重度残疾人（重点群体加权）", "severe disability (priority boost)"),
    "boost_blind": ("盲人（重点群体加权）", "blind person (priority boost)"),
    "fairness_guarantee": (
        "按公平排序规则上调（保证重点群体在前列的比例）",
        "moved up by the fair-ranking guarantee for priority groups",
    ),
    "assessment_recommended": (
        "部分能力为按残疾类别等级估计，建议进行职业能力评估",
        "some abilities are estimated from category and grade; an assessment is recommended",
    ),
}
_THRESHOLD = 0.05
_MODEL_SUFFIXES = ("_raised", "_lowered")


def is_model_reason(code: str) -> bool:
    """A reason from the model's factors (its effect moves with the pair's data), as
    opposed to a boost or a fixed remark."""
    return code.endswith(_MODEL_SUFFIXES)


@dataclass(frozen=True)
class Reason:
    code: str
    message: str
    message_en: str
    effect: float | None = None


def model_reasons(
    contributions: np.ndarray,
    factors: tuple[str, ...],
    facts: PairFacts,
    most: int = 3,
    least: int = 2,
) -> list[Reason]:
    """The factors that raised (strongest first) and lowered the logit of one score, as
    far as their words are true of the pair."""
    values: list[float] = contributions.tolist()
    order = sorted(range(len(values)), key=values.__getitem__, reverse=True)
    reasons: list[Reason] = []
    for up, limit, ranked, suffix in (
        (True, most, order, _MODEL_SUFFIXES[0]),
        (False, least, order[::-1], _MODEL_SUFFIXES[1]),
    ):
        said = 0
        for j in ranked:
            effect = values[j]
            if said == limit or (effect <= _THRESHOLD if up else effect >= -_THRESHOLD):
                break
            words = WORDS[factors[j]](facts, up) if factors[j] in WORDS else None
            if words is not None:
                reasons.append(Reason(f"{factors[j]}{suffix}", *words, round(effect, 3)))
                said += 1
    return reasons


def boost_reasons(boosts: list[tuple[str, float]], lifted: bool) -> list[Reason]:
    out = [Reason(code, *BOOST_WORDS[code], round(value, 3)) for code, value in boosts]
    if lifted:
        out.append(Reason("fairness_guarantee", *BOOST_WORDS["fairness_guarantee"]))
    return out


def estimate_reason(s: SeekerArrays, si: int, v: VacancyArrays, vi: int) -> list[Reason]:
    """Say so when a demanded dimension rests on an estimate rather than an assessment."""
    demanded = sum(1 << d for d in range(len(DIMENSIONS)) if v.demands[vi, d] > 0)
    if int(s.estimated[si]) & demanded:
        return [Reason("assessment_recommended", *BOOST_WORDS["assessment_recommended"])]
    return []


def pair_reasons(
    contributions: np.ndarray,
    factors: tuple[str, ...],
    x: np.ndarray,
    boosts: list[tuple[str, float]],
    lifted: bool,
    s: SeekerArrays,
    si: int,
    v: VacancyArrays,
    vi: int,
) -> list[Reason]:
    """All the reasons of one shown pair: model factors, boosts, estimates."""
    return (
        model_reasons(contributions, factors, PairFacts(s, si, v, vi, x))
        + boost_reasons(boosts, lifted)
        + estimate_reason(s, si, v, vi)
    )


def accommodations_used(s: SeekerArrays, si: int, v: VacancyArrays, vi: int) -> list[str]:
    """Offered accommodations the pair relies on: a required one, or one bridging a gap."""
    offered = int(v.offered[vi])
    required = int(s.required[si])
    if int(v.mode[vi]) == REMOTE:
        required &= ~PREMISES_MASK
    gaps = {DIMENSIONS[d] for d in np.flatnonzero(s.abilities[si] < v.demands[vi])}
    used = []
    for name in ACCOMMODATIONS:
        bit = ACC_BIT[name]
        if offered & bit and (required & bit or gaps & set(BRIDGES[name])):
            used.append(name)
    return used
