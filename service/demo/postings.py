"""Demo vacancies: job kinds × employers, varied but deterministic text."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from service.demo.employers import EmployerSpec
from service.demo.jobs import KIND_BY_KEY, JobKind
from service.demo.places import DISTRICT_CODES, DISTRICTS, point
from service.matching.dimensions import PREMISES_ACCOMMODATIONS

VACANCY_COUNT = 300

GROUP_NAMES = {
    "graduate": "高校毕业生",
    "rural": "农村残疾人",
    "hard_to_employ": "就业困难残疾人",
    "poverty_monitoring": "防止返贫监测对象",
    "severe_disability": "重度残疾人",
    "blind": "盲人",
}
EDUCATION_NAMES = {
    "none": "不限",
    "primary": "小学",
    "junior_secondary": "初中",
    "senior_secondary": "高中",
    "vocational": "中专/职高",
    "associate": "大专",
    "bachelor": "本科",
    "master": "硕士",
    "doctorate": "博士",
}
ACCOMMODATION_TEXT = {
    "screen_reader": "电脑已安装读屏软件",
    "screen_magnifier": "提供屏幕放大软件和大字显示器",
    "braille": "提供盲文资料",
    "sign_language": "有懂手语的同事或手语翻译",
    "text_communication": "工作沟通可全程使用文字（微信、工单）",
    "visual_alerts": "工作场所配有闪光提示装置",
    "step_free_access": "工作场所无障碍通行（坡道、电梯）",
    "accessible_transport": "提供无障碍班车接送",
    "accessible_toilet": "设有无障碍卫生间",
    "adjustable_workstation": "可调节高度的工位和座椅",
    "assistive_devices": "提供辅助器具",
    "flexible_hours": "工作时间可弹性安排",
    "part_time_hours": "可按非全日制安排每日工时",
    "rest_breaks": "可安排工间休息",
    "job_coach": "配备就业辅导员（岗位教练）现场指导",
    "simplified_tasks": "工序拆分简化，有图示作业指导",
    "quiet_space": "提供安静的工作环境",
}
# dimension -> (wording for demand 2, wording for demand 3-4); demand 1 is not mentioned.
DEMAND_TEXT = {
    "vision": ("需要看清工作材料或电脑屏幕（可借助辅助技术）", "需要较好的视力辨别细小部件或文字"),
    "hearing": ("需要听取口头指令或交流", "需要长时间通过电话或耳机听取语音"),
    "speech": ("需要口头沟通", "需要清晰流利的普通话表达"),
    "literacy": ("需要基本读写和计算能力", "需要较好的文字处理和计算能力"),
    "learning": ("需要学习业务流程", "需要掌握较复杂的专业知识"),
    "attention": ("需要保持专注", "需要长时间高度专注、细致"),
    "social_interaction": ("需要与同事、顾客日常交流", "需要频繁与顾客沟通"),
    "stress_tolerance": ("有一定工作节奏要求", "高峰时段工作节奏快"),
    "fine_motor": ("需要双手完成键盘、工具等日常操作", "需要灵活精细的手部操作"),
    "lifting_carrying": ("偶尔搬运10公斤以内物品", "需要经常搬运20公斤左右的货物"),
    "walking": ("需要在场所内走动", "需要长时间行走或上下楼梯"),
    "standing": ("需要站立工作一段时间", "需要长时间站立"),
    "endurance": ("每天工作约8小时", "需要全天保持体力"),
}
MODE_TEXT = {
    "on_site": "到岗工作",
    "hybrid": "部分时间居家、部分时间到岗",
    "remote": "全程居家办公，单位提供岗前线上培训和网络补贴",
}
TYPE_TEXT = {
    "full_time": "全日制，依法缴纳社会保险",
    "part_time": "非全日制",
    "flexible": "灵活就业，按件或按单计酬",
    "internship": "实习岗位，表现优秀可转正",
}
STATE_KINDS = {"government_organ", "public_institution", "soe"}


@dataclass(frozen=True)
class Posting:
    owner: str  # role of the demo key that posts it
    body: dict[str, Any]  # VacancyCreate fields


def pick(rng: random.Random, weights: dict[str, int]) -> str:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def _round100(value: float) -> int:
    return round(value / 100.0) * 100


def _salary(rng: random.Random, kind: JobKind, spec: EmployerSpec, etype: str) -> tuple[int, int]:
    lo, hi, width = kind.salary
    smin = rng.randint(lo, hi)
    if spec.kind in STATE_KINDS:
        smin = int(smin * 1.08)
    if etype == "part_time":
        smin = int(smin * 0.8)
    smin = max(1900, _round100(smin))
    smax = min(8000, smin + max(200, _round100(rng.randint(300, width))))
    return smin, smax


def _demands(rng: random.Random, kind: JobKind, mode: str, etype: str) -> dict[str, int]:
    demands = dict(kind.demands)
    if mode == "remote":  # no site to walk about
        demands.pop("walking", None)
    if etype == "part_time" and demands.get("endurance", 0) >= 2:
        demands["endurance"] -= 1
    if rng.random() < 0.2:  # a smaller or calmer workplace
        movable = sorted(d for d, v in demands.items() if v >= 2 and d not in ("vision",))
        if movable:
            demands[rng.choice(movable)] -= 1
    return demands


def _describe(
    rng: random.Random, employer: str, kind: JobKind, title: str, values: dict[str, Any], town: str
) -> str:
    duties = [d for d in kind.duties if rng.random() < 0.75]
    if len(duties) < 2:
        duties = list(kind.duties[:2])
    wants = [DEMAND_TEXT[d][0 if v == 2 else 1] for d, v in values["demands"].items() if v >= 2]
    lines = [
        f"{employer}招聘{title}{values['openings']}名。",
        "岗位职责：" + "；".join(f"{i}. {d}" for i, d in enumerate(duties, 1)) + "。",
        "岗位要求（仅限岗位核心职能）："
        + ("；".join(wants) if wants else "无特殊要求")
        + "；"
        + f"学历{EDUCATION_NAMES[values['education_min']]}"
        + ("" if values["education_min"] == "none" else "及以上")
        + "。",
    ]
    if values["accommodations"]:
        lines.append(
            "可提供的支持："
            + "；".join(ACCOMMODATION_TEXT[a] for a in values["accommodations"])
            + "。"
        )
    place = (
        ""
        if values["work_mode"] == "remote"
        else f"（{DISTRICTS[values['district_code']].name}{town}）"
    )
    lines.append(
        f"工作方式：{MODE_TEXT[values['work_mode']]}{place}；"
        f"{TYPE_TEXT[values['employment_type']]}；"
        f"月薪{values['salary_min']}–{values['salary_max']}元。"
    )
    if values["public_welfare"]:
        lines.append("本岗位为公益性岗位，优先安置就业困难残疾人。")
    elif values["targeted"]:
        named = "、".join(GROUP_NAMES[g] for g in values["priority_groups"])
        lines.append(
            "本岗位为残疾人定向招聘岗位（专岗）" + (f"，优先招用{named}" if named else "") + "。"
        )
    lines.append("欢迎残疾人朋友报名，用人单位不设置与岗位无关的身体条件要求。")
    return "\n".join(lines)


def _groups(rng: random.Random, kind: JobKind, spec: EmployerSpec) -> list[str]:
    if kind.public_welfare:  # public-welfare posts go first to the hard to employ
        return list(kind.groups)
    options = list(kind.groups)
    if spec.kind in STATE_KINDS and "graduate" not in options:
        options.append("graduate")
    if not options:
        return []
    chosen = rng.sample(options, k=min(len(options), rng.choice((1, 1, 2))))
    return sorted(chosen, key=list(GROUP_NAMES).index)


def posting(
    rng: random.Random,
    spec: EmployerSpec,
    employer_id: str,
    site: tuple[float, float],
    kind_key: str,
    today: dt.date,
) -> Posting:
    kind = KIND_BY_KEY[kind_key]
    mode, etype = pick(rng, kind.modes), pick(rng, kind.types)
    title = rng.choice(kind.titles)
    targeted = (
        kind.public_welfare
        or rng.random() < kind.targeted
        or (spec.kind in STATE_KINDS and rng.random() < 0.25)
    )
    groups = _groups(rng, kind, spec) if targeted else []
    if targeted and not kind.public_welfare and "专岗" not in title:
        title += "（残疾人专岗）"
    if mode == "remote" and "居家" not in title:
        title += "（居家办公）"
    offered = list(kind.accommodations) + [a for a in kind.optional if rng.random() < 0.5]
    if mode == "remote":
        offered = [a for a in offered if a not in PREMISES_ACCOMMODATIONS]
    district = spec.district
    if kind.key in ("cleaning", "gardening", "sorting", "pw_cleaning") and rng.random() < 0.2:
        district = rng.choice(DISTRICT_CODES)
    if district == spec.district:
        location: tuple[float, float] | None = (
            round(site[0] + rng.uniform(-0.002, 0.002), 5),
            round(site[1] + rng.uniform(-0.002, 0.002), 5),
        )
    else:
        location = point(rng, district, scale=0.6)
    if mode == "remote" and rng.random() < 0.5:
        location = None
    smin, smax = _salary(rng, kind, spec, etype)
    skills = [kind.skills[0], *rng.sample(kind.skills[1:], k=rng.randint(1, len(kind.skills) - 1))]
    values: dict[str, Any] = {
        "title": title,
        "occupation_code": kind.code,
        "skills": skills,
        "demands": _demands(rng, kind, mode, etype),
        "accommodations": list(dict.fromkeys(offered)),
        "work_mode": mode,
        "employment_type": etype,
        "district_code": district,
        "location": {"lat": location[0], "lon": location[1]} if location else None,
        "salary_min": smin,
        "salary_max": smax,
        "education_min": rng.choice(kind.education),
        "openings": rng.randint(*kind.openings),
        "targeted": targeted,
        "priority_groups": groups,
        "public_welfare": kind.public_welfare,
        "closes_on": today + dt.timedelta(days=rng.randint(30, 180)),
    }
    town = rng.choice(DISTRICTS[district].towns)
    values["description"] = _describe(rng, spec.name, kind, title, values, town)
    return Posting(owner=spec.owner, body={"employer_id": employer_id, **values})


def postings(
    rng: random.Random,
    employers: Sequence[tuple[EmployerSpec, str, tuple[float, float]]],
    today: dt.date,
    count: int = VACANCY_COUNT,
) -> list[Posting]:
    """Every employer posts each of its job kinds once; the rest go by employer weight."""
    plan = [(i, job) for i, (spec, _, _) in enumerate(employers) for job in spec.jobs]
    weights = [spec.weight for spec, _, _ in employers]
    while len(plan) < count:
        i = rng.choices(range(len(employers)), weights=weights)[0]
        plan.append((i, rng.choice(employers[i][0].jobs)))
    result = []
    serial = {"partner": 0, "counselor": 0}
    for i, job in plan[:count]:
        spec, employer_id, site = employers[i]
        post = posting(rng, spec, employer_id, site, job, today)
        serial[post.owner] += 1
        if post.owner == "partner" and rng.random() < 0.7:
            post.body["external_id"] = f"YQJY-{today.year}-{serial['partner']:05d}"
        elif post.owner == "counselor" and rng.random() < 0.2:
            post.body["external_id"] = f"YQCL-{serial['counselor']:04d}"
        result.append(post)
    return result
