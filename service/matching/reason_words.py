"""What each model factor may say about a pair, and when that is true.

``PairFacts`` reads, for one seeker row and one vacancy row, what reasons may rest on (the
records as encoded in the arrays, and the pair's feature row for the skill overlap);
``WORDS`` maps each factor of the feature table to a function giving its words (zh, en)
for the pair in one direction, or None when they would not be true of it: no word about
pay without a stated minimum, about wanted occupations without a stated preference, about
the commute without both places; what employers of a kind, a work mode or an employment
type do is a tendency of such jobs, never a fact about this pair.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from functools import cached_property
from typing import Final

import numpy as np

from service.matching.arrays import SeekerArrays, VacancyArrays
from service.matching.constraints import EARTH_RADIUS_KM
from service.matching.encoding import (
    ACC_BIT,
    DIM_INDEX,
    ETYPES,
    GROUP_BIT,
    KINDS,
    MODES,
    REMOTE,
)
from service.matching.features import FACTORS, FEATURE_INDEX, SUPPORTIVE_KINDS

SHORT_COMMUTE_KM: Final = 5.0
LONG_COMMUTE_KM: Final = 10.0
LITTLE_EXPERIENCE_YEARS: Final = 2.0
CLOSE_OCCUPATION_SEGMENTS: Final = 2  # same 中类 (major and medium group)

# (zh, en) names of what a pair's vacancy is: employer kinds, work modes, employment types.
KIND_WORDS: Final[dict[str, tuple[str, str]]] = {
    "government_organ": ("机关", "government organs"),
    "public_institution": ("事业单位", "public institutions"),
    "soe": ("国有企业", "state-owned enterprises"),
    "private": ("民营企业", "private companies"),
    "platform": ("平台企业", "platform companies"),
    "sheltered_workshop": ("辅助性就业机构", "sheltered workshops"),
    "concentrated_employer": ("集中安置残疾人的单位", "concentrated employers of disabled people"),
    "blind_massage": ("盲人按摩机构", "blind massage centres"),
    "social_organization": ("社会组织", "social organisations"),
    "individual_business": ("个体工商户", "individual businesses"),
}
MODE_WORDS: Final[dict[str, tuple[str, str]]] = {
    "on_site": ("现场办公", "on-site"),
    "hybrid": ("混合办公", "hybrid"),
    "remote": ("远程办公", "remote"),
}
ETYPE_WORDS: Final[dict[str, tuple[str, str]]] = {
    "full_time": ("全职", "full-time"),
    "part_time": ("非全日制", "part-time"),
    "flexible": ("灵活用工", "flexible"),
    "internship": ("实习", "internship"),
}
assert set(KIND_WORDS) == set(KINDS) and set(MODE_WORDS) == set(MODES)
assert set(ETYPE_WORDS) == set(ETYPES)
_HARD = GROUP_BIT["hard_to_employ"]
_LEARNING, _ENDURANCE = DIM_INDEX["learning"], DIM_INDEX["endurance"]


class PairFacts:
    """What the words of a reason may rest on, for seeker row ``si`` and vacancy row ``vi``
    (``x``: the pair's feature row, for what only the features hold: the skill overlap).
    Each fact is read on first use."""

    def __init__(self, s: SeekerArrays, si: int, v: VacancyArrays, vi: int, x: np.ndarray) -> None:
        self.s, self.si, self.v, self.vi, self.x = s, si, v, vi, x

    @cached_property
    def preferences(self) -> list[list[int]]:
        """Each stated occupation preference as its code's segments."""
        return [
            [seg for seg in code if seg >= 0]
            for code in self.s.occupations[self.si].tolist()
            if code[0] >= 0
        ]

    @cached_property
    def vacancy_code(self) -> list[int]:
        return [seg for seg in self.v.occupation[self.vi].tolist() if seg >= 0]

    def _common(self, pref: list[int]) -> int:
        depth = 0
        for a, b in zip(pref, self.vacancy_code, strict=False):
            if a != b:
                break
            depth += 1
        return depth

    @cached_property
    def occupation_within(self) -> bool:
        """The vacancy's code lies within a stated preference (equal, or under it)."""
        return any(self._common(p) == len(p) for p in self.preferences)

    @cached_property
    def occupation_overlaps(self) -> bool:
        """The vacancy's code and a preference may name the same work: one lies within the
        other (``4-07`` and ``4-07-05-01`` either way)."""
        return any(self._common(p) == min(len(p), len(self.vacancy_code)) for p in self.preferences)

    @cached_property
    def occupation_depth(self) -> int:
        return max((self._common(p) for p in self.preferences), default=0)

    @property
    def min_salary(self) -> int:
        return int(self.s.min_salary[self.si])  # 0: none stated

    @property
    def skill_cover(self) -> float:
        return float(self.x[FEATURE_INDEX["skill_cover"]])

    @property
    def n_skills(self) -> int:
        return int(self.v.n_skills[self.vi])

    @cached_property
    def spare(self) -> list[int]:
        """Capacity (abilities + bridge) above demand on each demanded dimension."""
        demand = self.v.demands[self.vi].tolist()
        ability, bridge = self.s.abilities[self.si].tolist(), self.v.bridge[self.vi].tolist()
        return [a + b - d for a, b, d in zip(ability, bridge, demand, strict=True) if d > 0]

    @cached_property
    def relied(self) -> int:
        """Demanded dimensions where abilities alone fall short."""
        demand = self.v.demands[self.vi].tolist()
        return sum(a < d for a, d in zip(self.s.abilities[self.si].tolist(), demand, strict=True))

    @property
    def coach(self) -> bool:
        return bool(int(self.v.offered[self.vi]) & ACC_BIT["job_coach"]) and self.ability(
            _LEARNING
        ) < int(self.v.demands[self.vi, _LEARNING])

    def ability(self, d: int) -> int:
        return int(self.s.abilities[self.si, d])

    @property
    def edu_gap(self) -> int:
        return int(self.s.edu[self.si]) - int(self.v.edu[self.vi])

    @property
    def remote(self) -> bool:
        return int(self.v.mode[self.vi]) == REMOTE

    @cached_property
    def km(self) -> float | None:
        """Great-circle km between the recorded places; None unless both are located."""
        lat1, lon1 = float(self.s.lat[self.si]), float(self.s.lon[self.si])
        lat2, lon2 = float(self.v.lat[self.vi]), float(self.v.lon[self.vi])
        if any(math.isnan(c) for c in (lat1, lon1, lat2, lon2)):
            return None
        p1, p2 = math.radians(lat1), math.radians(lat2)
        a = (
            math.sin((p2 - p1) / 2) ** 2
            + math.cos(p1) * math.cos(p2) * math.sin(math.radians(lon2 - lon1) / 2) ** 2
        )
        return 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(min(a, 1.0)))

    @property
    def mode(self) -> str:
        return MODES[int(self.v.mode[self.vi])]

    @property
    def etype(self) -> str:
        return ETYPES[int(self.v.etype[self.vi])]

    @property
    def kind(self) -> str:
        return KINDS[int(self.v.kind[self.vi])]

    @property
    def severe_at_supportive(self) -> bool:
        return int(self.s.grade[self.si]) <= 2 and int(self.v.kind[self.vi]) in SUPPORTIVE_KINDS

    @property
    def targeted(self) -> bool:
        return bool(self.v.targeted[self.vi])

    @property
    def welfare(self) -> bool:
        return bool(self.v.welfare[self.vi])

    @property
    def hard_to_employ(self) -> bool:
        return bool(int(self.s.groups[self.si]) & _HARD)

    @property
    def experience(self) -> float:
        return float(self.s.experience[self.si])


Words = tuple[str, str] | None  # (zh, en), or None: nothing true to say this way


def _skills(f: PairFacts, up: bool) -> Words:
    if f.n_skills == 0:
        return None  # the job lists no skills to hold or lack
    if up and f.skill_cover >= 0.999:
        return "具备岗位所列的全部技能", "the seeker has all the skills the job lists"
    if up and f.skill_cover > 0:
        return "具备岗位所列的部分技能", "the seeker has some of the skills the job lists"
    if not up and f.skill_cover < 0.999:
        return "缺少岗位所列的部分技能", "the seeker lacks some of the skills the job lists"
    return None


def _occupation(f: PairFacts, up: bool) -> Words:
    if not f.preferences:
        return None  # no preference stated: nothing is wanted or unwanted
    if up and f.occupation_within:
        return "岗位属于求职者意向职业", "the job is in an occupation the seeker wants"
    if up and f.occupation_depth >= CLOSE_OCCUPATION_SEGMENTS:
        return (
            "岗位与求职者意向职业同属一类",
            "the job is in the same group as an occupation the seeker wants",
        )
    if not up and f.vacancy_code and not f.occupation_overlaps:
        return "岗位不在求职者意向职业内", "the job is outside the seeker's preferred occupations"
    return None


def _ability_margin(f: PairFacts, up: bool) -> Words:
    if up and not f.spare:
        return "岗位对功能能力无特别要求", "the job makes no particular functional demands"
    if up and min(f.spare) >= 1:
        return (
            "各项能力（含所提供的便利措施）均高于岗位要求，有余量",
            "abilities (with the accommodations offered) exceed every demand of the job",
        )
    if not up and f.spare and min(f.spare) == 0:
        return (
            "部分岗位要求刚好达到能力上限，余量小",
            "abilities only just meet some of the job's demands",
        )
    return None


def _accommodations(f: PairFacts, up: bool) -> Words:
    if up and f.coach:
        return (
            "岗位提供就业辅导员，弥补学习能力与要求的差距",
            "a job coach supports the seeker where learning falls short of the demand",
        )
    if up and f.relied == 0:
        return (
            "无需依赖便利措施弥补能力差距",
            "the match relies on no accommodation to bridge a gap",
        )
    if not up and f.relied > 0:
        return "需依赖便利措施弥补能力差距", "the match relies on accommodations to bridge gaps"
    return None


def _education(f: PairFacts, up: bool) -> Words:
    if up and 0 <= f.edu_gap <= 2:
        return "学历与岗位相符", "education fits the job"
    if not up and f.edu_gap < 0:
        return "学历低于岗位要求", "education is below what the job asks"
    if not up and f.edu_gap > 2:
        return "学历远高于岗位要求", "education is well above what the job asks"
    return None


def _salary(f: PairFacts, up: bool) -> Words:
    if f.min_salary <= 0:
        return None  # no minimum stated: no expectation to meet or miss
    reaches = int(f.v.salary_max[f.vi]) >= f.min_salary
    if up and reaches:
        return (
            "薪酬范围达到求职者期望的最低薪酬",
            "the pay range reaches the seeker's stated minimum",
        )
    if not up and not reaches:
        return "薪酬低于求职者期望的最低薪酬", "the pay is below the seeker's stated minimum"
    return None


def _distance(f: PairFacts, up: bool) -> Words:
    if f.remote:
        return ("远程工作，无需通勤", "no commute: the work is remote") if up else None
    if f.km is None:
        return None  # a place is not recorded: the commute is unknown
    if up and f.km <= SHORT_COMMUTE_KM:
        return "通勤距离近（5公里以内）", "short commute (within 5 km)"
    if not up and f.km >= LONG_COMMUTE_KM:
        return "通勤距离较远（10公里以上）", "long commute (10 km or more)"
    return None


def _tendency(what: tuple[str, str], up: bool) -> tuple[str, str]:
    zh, en = what
    if up:
        return f"{zh}岗位的就业往往更持久", f"placements in {en} work tend to last longer"
    return f"{zh}岗位的就业往往不够持久", f"placements in {en} work tend to last less long"


def _work_mode(f: PairFacts, up: bool) -> Words:
    return _tendency(MODE_WORDS[f.mode], up)


def _employment_type(f: PairFacts, up: bool) -> Words:
    if up and f.etype in ("part_time", "flexible") and f.ability(_ENDURANCE) < 3:
        return (
            "非全日制或灵活的工时适合求职者的耐力",
            "part-time or flexible hours suit the seeker's limited endurance",
        )
    return _tendency(ETYPE_WORDS[f.etype], up)


def _employer_kind(f: PairFacts, up: bool) -> Words:
    zh, en = KIND_WORDS[f.kind]
    if up and f.severe_at_supportive:
        return (
            f"此类用人单位（{zh}）往往更能留住重度残疾职工",
            f"employers of this kind ({en}) tend to keep staff with a severe disability longer",
        )
    if up:
        return (
            f"此类用人单位（{zh}）往往留用率较高",
            f"employers of this kind ({en}) tend to keep staff longer",
        )
    return (
        f"此类用人单位（{zh}）往往留用率较低",
        f"employers of this kind ({en}) tend to keep staff less long",
    )


def _targeted(f: PairFacts, up: bool) -> Words:
    if f.targeted == up:
        return ("定向招聘岗位", "a targeted post") if up else ("非定向岗位", "not a targeted post")
    return None


def _public_welfare(f: PairFacts, up: bool) -> Words:
    if up and f.welfare and f.hard_to_employ:
        return "公益性岗位优先安置就业困难人员", "a public-welfare post for the hard to employ"
    if not up and f.welfare and not f.hard_to_employ:
        return (
            "公益性岗位优先安置就业困难人员，求职者不属于此类",
            "a public-welfare post, meant first for the hard to employ",
        )
    return None


def _experience(f: PairFacts, up: bool) -> Words:
    if up and f.experience >= 1:
        return "有工作经验", "the seeker has work experience"
    if not up and f.experience < LITTLE_EXPERIENCE_YEARS:
        return "工作经验较少", "little or no work experience"
    return None


# factor -> the words for a pair, raised (True) or lowered (False); None when untrue.
WORDS: Final[dict[str, Callable[[PairFacts, bool], Words]]] = {
    "skills": _skills,
    "occupation": _occupation,
    "ability_margin": _ability_margin,
    "accommodations": _accommodations,
    "education": _education,
    "salary": _salary,
    "distance": _distance,
    "work_mode": _work_mode,
    "employment_type": _employment_type,
    "employer_kind": _employer_kind,
    "targeted": _targeted,
    "public_welfare": _public_welfare,
    "experience": _experience,
}
assert set(WORDS) == set(FACTORS), "every factor of the feature table needs its words"
