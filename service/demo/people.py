"""Demo job seekers: every category × grade, every priority group, all fictional."""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass
from typing import Any

from service.demo.abilities import Profile, profile
from service.demo.ids import certificate_number, id_number, sequence_for
from service.demo.names import mobile, person_name
from service.demo.places import DISTRICT_CODES, DISTRICT_WEIGHTS, DISTRICTS, id_division, point
from service.matching.dimensions import DIMENSIONS
from service.models.enums import Category
from service.profile import years_before

SEEKER_COUNT = 200
CATEGORY_WEIGHTS = {
    "visual": 15,
    "hearing": 15,
    "speech": 5,
    "physical": 34,
    "intellectual": 11,
    "mental": 8,
    "multiple": 12,
}
GRADE_WEIGHTS = (12, 20, 30, 38)  # grades 1..4: milder grades are more common among seekers
# (category, grade) of the planned recent graduates (离校2年内).
GRADUATE_SLOTS = (
    ("visual", 1),
    ("visual", 2),
    ("visual", 4),
    ("hearing", 1),
    ("hearing", 2),
    ("hearing", 3),
    ("physical", 1),
    ("physical", 2),
    ("physical", 3),
    ("physical", 4),
    ("speech", 3),
    ("mental", 4),
)
MAJORS = {  # category -> (major, skills) of graduates
    "visual": (
        ("针灸推拿学", ("医疗按摩", "推拿", "中医", "读屏软件")),
        ("音乐表演", ("配音", "音频剪辑", "普通话", "读屏软件")),
    ),
    "hearing": (
        ("视觉传达设计", ("平面设计", "Photoshop", "手语")),
        ("计算机科学与技术", ("编程", "数据标注", "Excel", "手语")),
    ),
    "physical": (
        ("会计学", ("会计", "Excel", "财务软件", "初级会计证")),
        ("电子商务", ("直播", "电商运营", "客服", "Excel")),
        ("汉语言文学", ("档案管理", "文字表达", "配音", "Excel")),
    ),
}
SKILLS = {
    "visual": ("按摩", "推拿", "盲文", "读屏软件", "普通话", "电脑打字", "配音", "音频剪辑"),
    "hearing": ("手语", "电脑打字", "Excel", "手工", "装配", "缝纫", "数据标注", "剪辑"),
    "speech": ("电脑打字", "Excel", "手工", "包装", "数据录入", "装配"),
    "physical": (
        "客服",
        "电脑打字",
        "Excel",
        "会计",
        "直播",
        "普通话",
        "数据录入",
        "装配",
        "手工",
        "剪辑",
    ),
    "intellectual": ("手工", "包装", "保洁", "园艺", "串珠"),
    "mental": ("电脑打字", "手工", "园艺", "包装", "Excel", "保洁"),
    "multiple": ("手工", "包装", "手语", "按摩", "串珠"),
}
OCCUPATIONS = {
    "visual": ("4-10-04-02", "2-05-07-13", "2-09-04-03", "4-10"),
    "hearing": ("4-04-05-05", "6-25-04-01", "4-07-05-03", "6-05-01-01"),
    "speech": ("4-04-05-02", "6-25-04-01", "4-04"),
    "physical": ("4-07-05-02", "4-04-05-02", "2-06-03-01", "4-01-06-02", "4-07"),
    "intellectual": ("6-09-03-05", "6-31-03-01", "4-10-05-01"),
    "mental": ("4-09-10-01", "6-31-03-01", "4-04-05-02"),
    "multiple": ("6-09-03-05", "6-31-03-01"),
}
ASSESSORS = (
    "阳泉市残疾人职业能力评估中心",
    "阳泉市残疾人就业服务中心 评估组",
    "平定县残联就业服务所",
    "盂县残联就业服务所",
    None,
)
DEGREE_AGE = {"associate": 21, "bachelor": 22, "master": 25}


@dataclass(frozen=True)
class SeekerPlan:
    owner: str  # role of the demo key that registers the person
    body: dict[str, Any]  # SeekerCreate fields
    # Where the year of casework (service.demo.casework) leaves the person at least:
    # employed (a job still running), inactive (left the labour market), or seeking (any).
    status: str


def _birth(rng: random.Random, today: dt.date, age: int) -> dt.date:
    latest = years_before(today, age)
    earliest = years_before(today, age + 1) + dt.timedelta(days=1)
    return earliest + dt.timedelta(days=rng.randint(0, (latest - earliest).days))


def _age(rng: random.Random, category: str, male: bool) -> int:
    bands = ((17, 24, 14), (25, 34, 30), (35, 44, 28), (45, 54, 21), (55, 58, 7))
    lo, hi, _ = rng.choices(bands, weights=[b[2] for b in bands])[0]
    if lo == 55 and not male:  # women of the default track retire at 55 and later
        lo, hi = 45, 54
    if category in ("intellectual", "mental"):
        hi = min(hi, 50)
        lo = min(lo, hi)
    return rng.randint(lo, hi)


def _education(rng: random.Random, category: str, subtype: str, age: int) -> str:
    if category == "intellectual" or subtype == "intellectual_physical":
        return rng.choice(("none", "primary", "primary", "junior_secondary"))
    if category == "visual":
        return rng.choices(
            ("primary", "junior_secondary", "senior_secondary", "vocational", "associate"),
            weights=(10, 28, 20, 36, 6),
        )[0]
    levels = (
        "primary",
        "junior_secondary",
        "senior_secondary",
        "vocational",
        "associate",
        "bachelor",
    )
    weights = (2, 25, 30, 28, 10, 5) if age < 30 else (10, 40, 25, 15, 7, 3)
    return rng.choices(levels, weights=weights)[0]


def _assessment(
    rng: random.Random, prof: Profile, today: dt.date
) -> tuple[dict[str, int] | None, dict[str, Any] | None]:
    roll = rng.random()
    if roll < 0.15:  # not yet assessed: the service estimates from the certificate
        return None, None
    if roll < 0.3:
        dims = list(DIMENSIONS)
    else:
        others = [d for d in DIMENSIONS if d not in prof.affected]
        dims = [*prof.affected, *rng.sample(others, k=rng.randint(2, 8))]
    abilities = {d: prof.abilities[d] for d in DIMENSIONS if d in dims}
    assessor = rng.choice(ASSESSORS)
    on = today - dt.timedelta(days=rng.randint(15, 540))
    return abilities, {"assessed_on": on, **({"assessor": assessor} if assessor else {})}


def _preferences(
    rng: random.Random,
    category: str,
    prof: Profile,
    grade: int,
    district: str,
    education: str,
    graduate: bool,
) -> dict[str, Any]:
    if prof.subtype == "wheelchair":
        modes = rng.choice(
            (["remote", "hybrid"], ["on_site", "hybrid", "remote"], ["on_site", "remote"])
        )
    elif category == "visual" and prof.abilities["vision"] <= 1:
        modes = rng.choice((["on_site"], ["on_site", "remote"], ["on_site", "hybrid", "remote"]))
    elif category == "intellectual":
        modes = ["on_site"]
    else:
        modes = rng.choices(
            (
                ["on_site", "hybrid", "remote"],
                ["on_site"],
                ["on_site", "hybrid"],
                ["hybrid", "remote"],
                ["remote"],
            ),
            weights=(40, 22, 18, 14, 6),
        )[0]
    types = rng.choices(
        (
            ["full_time"],
            ["full_time", "part_time"],
            ["full_time", "part_time", "flexible"],
            ["part_time", "flexible"],
        ),
        weights=(35, 25, 28, 12),
    )[0]
    if grade <= 2 and "part_time" not in types:
        types = [*types, "part_time", "flexible"]
    if graduate:
        types = [*types, "internship"]
    urban = district in ("140302", "140303")
    commute = rng.choice((5, 8, 10, 15, 20) if urban else (10, 15, 20, 25, 30, 40))
    if prof.subtype == "wheelchair":
        commute = min(commute, 10)
    prefs: dict[str, Any] = {
        "work_modes": modes,
        "employment_types": types,
        "max_commute_km": commute,
    }
    if rng.random() < 0.75:
        lo, hi = (
            (2800, 4500)
            if education in DEGREE_AGE
            else (2100, 3000)
            if education in ("senior_secondary", "vocational")
            else (1900, 2500)
        )
        prefs["min_monthly_salary"] = rng.randrange(lo, hi + 1, 100)
    if rng.random() < 0.35:
        pool = OCCUPATIONS[category]
        prefs["occupations"] = rng.sample(pool, k=rng.randint(1, min(2, len(pool))))
    return prefs


def _skills(rng: random.Random, category: str, education: str, major: tuple[str, ...]) -> list[str]:
    pool = SKILLS[category]
    skills = [*major, *rng.sample(pool, k=rng.randint(1, min(3, len(pool))))]
    if education in DEGREE_AGE or education == "senior_secondary":
        skills.append(rng.choice(("Excel", "电脑打字", "办公软件")))
    if category not in ("speech", "hearing") and rng.random() < 0.3:
        skills.append("普通话")
    return list(dict.fromkeys(skills))


def _slots(rng: random.Random) -> list[tuple[str, int, bool]]:
    """(category, grade, planned graduate): every combination first, then the rest."""
    slots = [(c.value, g, False) for c in Category for g in range(1, 5)]
    slots += [(c, g, True) for c, g in GRADUATE_SLOTS]
    while len(slots) < SEEKER_COUNT:
        c = rng.choices(list(CATEGORY_WEIGHTS), weights=list(CATEGORY_WEIGHTS.values()))[0]
        slots.append((c, rng.choices((1, 2, 3, 4), weights=GRADE_WEIGHTS)[0], False))
    return slots


def seeker_plans(rng: random.Random, today: dt.date) -> list[SeekerPlan]:
    last_july = dt.date(today.year if today >= dt.date(today.year, 7, 1) else today.year - 1, 7, 1)
    plans: list[SeekerPlan] = []
    used_ids: set[str] = set()
    kiosk_serial = 0
    for category, grade, graduate in _slots(rng):
        male = rng.random() < 0.56
        district = rng.choices(DISTRICT_CODES, weights=DISTRICT_WEIGHTS)[0]
        rural = rng.random() < DISTRICTS[district].rural_share
        graduation: dt.date | None = None
        major: tuple[str, ...] = ()
        if graduate:
            education = rng.choices(("associate", "bachelor", "master"), weights=(45, 45, 10))[0]
            graduation = (
                last_july if rng.random() < 0.5 else last_july.replace(year=last_july.year - 1)
            )
            age = DEGREE_AGE[education] + (today.year - graduation.year) + rng.choice((0, 0, 1))
            major = rng.choice(MAJORS[category])[1] if category in MAJORS else ()
        else:
            age = _age(rng, category, male)
        birth = _birth(rng, today, age)
        prof = profile(rng, category, grade, age)
        if not graduate:
            education = _education(rng, category, prof.subtype, age)
            if education in DEGREE_AGE:
                graduation = dt.date(birth.year + DEGREE_AGE[education], 7, 1)
                if graduation > today:
                    education, graduation = "senior_secondary", None
        while True:
            number = id_number(id_division(district, birth), birth, sequence_for(rng, male))
            if number not in used_ids:
                used_ids.add(number)
                break
        abilities, assessment = _assessment(rng, prof, today)
        hard = rng.random() < (0.12 + 0.15 * (age >= 45) + 0.1 * (grade <= 2) + 0.05 * rural)
        body: dict[str, Any] = {
            "name": person_name(rng, male),
            "id_number": number,
            "disability": {
                "category": category,
                "grade": grade,
                "certificate_number": certificate_number(number, Category(category), grade),
            },
            "hukou": "rural" if rural else "urban",
            "district_code": district,
            "education": education,
            "graduation_date": graduation,
            "skills": _skills(rng, category, education, major),
            "required_accommodations": prof.required,
            "preferences": _preferences(rng, category, prof, grade, district, education, graduate),
            "hard_to_employ": hard,
            "poverty_monitoring": rural and rng.random() < 0.12,
            "consent": {"sensitive_data": True, "share_with_employers": rng.random() < 0.9},
        }
        if abilities is not None:
            body["abilities"], body["assessment"] = abilities, assessment
        if rng.random() < 0.9:
            lat, lon = point(rng, district)
            body["location"] = {"lat": lat, "lon": lon}
        if rng.random() < 0.85:
            body["phone"] = mobile(rng)
        if rng.random() < 0.8:
            body["experience_years"] = 0 if graduate else min(age - 16, rng.randint(0, 25))
        # Most are registered by the employment service, some at the fair's kiosk, some
        # through the partner job site (each with the channel's own reference).
        channel = rng.random()
        owner = "kiosk" if channel < 0.18 else "partner" if channel < 0.28 else "counselor"
        if owner == "kiosk":
            kiosk_serial += 1
            body["external_id"] = f"FAIR-{today.year}-{kiosk_serial:03d}"
        elif owner == "partner":
            body["external_id"] = f"YQJY-{len(plans) + 1:05d}"
        roll = rng.random()
        status = "employed" if roll < 0.05 else "inactive" if roll < 0.075 else "seeking"
        plans.append(SeekerPlan(owner, body, status))
    return plans
