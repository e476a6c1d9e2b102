"""Reasons a counselor can read aloud, in zh-CN and en: what raised or lowered a score,
which boosts applied, which accommodations the pair relies on."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from service.matching.arrays import SeekerArrays, VacancyArrays
from service.matching.dimensions import ACCOMMODATIONS, BRIDGES, DIMENSIONS
from service.matching.encoding import ACC_BIT, PREMISES_MASK, REMOTE

# factor -> (raised zh, raised en, lowered zh, lowered en)
FACTOR_WORDS: dict[str, tuple[str, str, str, str]] = {
    "skills": ("技能与岗位要求吻合", "skills match what the job needs",
               "技能与岗位要求差距较大", "skills differ from what the job needs"),
    "occupation": ("岗位属于求职者意向职业", "the job is in an occupation the seeker wants",
                   "岗位不在求职者意向职业内", "the job is outside the seeker's preferred "
                   "occupations"),
    "ability_margin": ("能力有余量，岗位要求在能力范围内", "abilities exceed the job's demands "
                       "with room to spare", "能力刚好满足岗位要求，余量小",
                       "abilities only just meet the job's demands"),
    "accommodations": ("所需便利措施有支持（如就业辅导员）", "the accommodations relied on "
                       "come with support", "需依赖便利措施弥补能力差距",
                       "the match relies on accommodations to bridge gaps"),
    "education": ("学历与岗位相符", "education fits the job", "学历与岗位要求不太匹配",
                  "education fits the job poorly"),
    "salary": ("薪酬高于求职者期望", "pay is above the seeker's expectation",
               "薪酬低于求职者期望", "pay is below the seeker's expectation"),
    "distance": ("通勤距离近", "short commute", "通勤距离较远", "long commute"),
    "work_mode": ("工作方式有利于稳定就业", "the work mode favours a lasting placement",
                  "工作方式不利于稳定就业", "the work mode makes a lasting placement harder"),
    "employment_type": ("用工形式适合求职者", "the employment type suits the seeker",
                        "用工形式不太适合求职者", "the employment type suits the seeker less"),
    "employer_kind": ("此类用人单位留用率较高", "employers of this kind keep people longer",
                      "此类用人单位留用率较低", "employers of this kind keep people less long"),
    "targeted": ("定向招聘岗位", "a targeted post", "非定向岗位", "not a targeted post"),
    "public_welfare": ("公益性岗位优先安置就业困难人员", "a public-welfare post for the hard "
                       "to employ", "公益性岗位", "a public-welfare post"),
    "experience": ("有相关工作经验", "work experience helps", "工作经验较少",
                   "little work experience"),
}
BOOST_WORDS: dict[str, tuple[str, str]] = {
    "boost_priority_group_named": ("岗位面向求职者所属重点群体（加权）",
                                   "the vacancy names one of the seeker's priority groups "
                                   "(boost)"),
    "boost_targeted": ("定向/专岗招聘残疾人（加权）", "a targeted or dedicated post (boost)"),
    "boost_public_welfare": ("公益性岗位优先安置就业困难残疾人（加权）",
                             "public-welfare post for the hard to employ (boost)"),
    "boost_graduate": ("高校毕业生（重点群体加权）", "university graduate (priority boost)"),
    "boost_rural": ("农村残疾人（重点群体加权）", "rural resident (priority boost)"),
    "boost_hard_to_employ": ("就业困难人员（重点群体加权）", "hard to employ (priority boost)"),
    "boost_poverty_monitoring": ("防止返贫监测对象（重点群体加权）",
                                 "under poverty-return monitoring (priority boost)"),
    "boost_severe_disability": ("重度残疾人（重点群体加权）",
                                "severe disability (priority boost)"),
    "boost_blind": ("盲人（重点群体加权）", "blind person (priority boost)"),
    "fairness_guarantee": ("按公平排序规则上调（保证重点群体在前列的比例）",
                           "moved up by the fair-ranking guarantee for priority groups"),
    "assessment_recommended": ("部分能力为按残疾类别等级估计，建议进行职业能力评估",
                               "some abilities are estimated from category and grade; an "
                               "assessment is recommended"),
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


def unstated_factors(s: SeekerArrays, si: int) -> frozenset[str]:
    """Factors whose words speak of a preference this seeker never stated: the model
    still weighs them (a missing preference has a value), but saying "an occupation the
    seeker wants" or "above the seeker's expectation" would be untrue."""
    unstated = set()
    if s.occupations[si, 0, 0] < 0:
        unstated.add("occupation")
    if s.min_salary[si] <= 0:
        unstated.add("salary")
    return frozenset(unstated)


def model_reasons(contributions: np.ndarray, factors: tuple[str, ...],
                  most: int = 3, least: int = 2, *,
                  unstated: frozenset[str] = frozenset()) -> list[Reason]:
    """The factors that raised (strongest first) and lowered the logit of one score,
    leaving out those about preferences the seeker did not state."""
    order = [j for j in np.argsort(-contributions) if factors[j] not in unstated]
    reasons = []
    for j in order[:most]:
        if contributions[j] > _THRESHOLD and factors[j] in FACTOR_WORDS:
            zh, en, _, _ = FACTOR_WORDS[factors[j]]
            reasons.append(Reason(f"{factors[j]}{_MODEL_SUFFIXES[0]}", zh, en,
                                  round(float(contributions[j]), 3)))
    for j in order[::-1][:least]:
        if contributions[j] < -_THRESHOLD and factors[j] in FACTOR_WORDS:
            _, _, zh, en = FACTOR_WORDS[factors[j]]
            reasons.append(Reason(f"{factors[j]}{_MODEL_SUFFIXES[1]}", zh, en,
                                  round(float(contributions[j]), 3)))
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
