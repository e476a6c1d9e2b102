"""Realistic, reproducible request bodies for the benchmarks (vacancies for now)."""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

from service.clock import today_in_china
from service.matching.dimensions import ACCOMMODATIONS, DIMENSIONS

# (title, occupation code, typical skills, dimensions the job leans on)
JOBS: tuple[tuple[str, str, tuple[str, ...], tuple[str, ...]], ...] = (
    ("电话客服专员", "4-07-05-01", ("客服", "普通话", "电脑打字"), ("hearing", "speech")),
    ("在线客服", "4-07-05-01", ("客服", "电脑打字", "沟通"), ("vision", "literacy")),
    ("数据录入员", "4-07-05-02", ("电脑打字", "Excel", "数据录入"), ("vision", "fine_motor")),
    ("盲人保健按摩师", "4-10-04-02", ("按摩", "推拿", "中医基础"), ("fine_motor", "standing")),
    ("电子商务运营助理", "4-01-02-01", ("电商", "Photoshop", "文案"), ("literacy", "vision")),
    ("手工编织工", "6-05-01-00", ("编织", "手工"), ("fine_motor", "attention")),
    ("仓库理货员", "4-02-06-03", ("理货", "叉车", "盘点"), ("lifting_carrying", "walking")),
    ("超市收银员", "4-01-02-03", ("收银", "普通话"), ("standing", "social_interaction")),
    ("图书管理员", "4-13-01-02", ("图书整理", "电脑操作"), ("literacy", "walking")),
    ("网络主播", "4-04-05-04", ("直播", "普通话", "短视频剪辑"), ("speech", "stress_tolerance")),
    ("软件测试员", "2-02-10-09", ("软件测试", "Python", "SQL"), ("vision", "attention")),
    ("平面设计师", "2-09-06-03", ("Photoshop", "Illustrator", "排版"), ("vision", "learning")),
    ("会计助理", "2-06-03-00", ("会计", "Excel", "用友软件"), ("literacy", "attention")),
    ("社区服务专员", "4-10-01-00", ("社区工作", "沟通", "手语"), ("social_interaction", "speech")),
    ("保洁员", "4-09-08-00", ("保洁",), ("walking", "endurance")),
    ("烘焙师", "4-03-02-07", ("烘焙", "食品安全"), ("standing", "fine_motor")),
    ("洗车工", "4-12-01-03", ("洗车", "汽车美容"), ("standing", "lifting_carrying")),
    ("档案数字化专员", "4-13-01-01", ("扫描", "电脑操作", "档案管理"), ("attention", "fine_motor")),
    ("园艺工", "5-01-05-01", ("园艺", "种植"), ("walking", "endurance")),
    ("文字校对员", "4-08-01-02", ("校对", "中文写作"), ("literacy", "attention")),
)
EXTRA_SKILLS = (
    "Word",
    "Excel",
    "PPT",
    "普通话",
    "英语",
    "驾驶",
    "手语",
    "盲文",
    "摄影",
    "剪映",
    "微信运营",
    "财务软件",
    "客户关系管理",
    "团队合作",
    "中医推拿",
)
DISTRICTS = {  # district code -> rough centre (lat, lon)
    "140302": (37.857, 113.583),
    "140303": (37.870, 113.555),
    "140311": (37.910, 113.530),
    "140321": (37.804, 113.631),
    "140322": (38.086, 113.412),
    "140105": (37.736, 112.565),
    "140106": (37.855, 112.563),
    "140702": (37.697, 112.708),
    "110105": (39.921, 116.443),
    "310115": (31.221, 121.544),
}
COMPANIES = (
    "阳泉煤业",
    "晋东物流",
    "城区便民服务中心",
    "平定县福利工厂",
    "盂县电商产业园",
    "太原数字科技",
    "晋中康复中心",
    "阳泉市图书馆",
    "华润万家",
    "山西焦煤",
)
WORK_MODES = ("on_site", "on_site", "on_site", "hybrid", "remote")
EMPLOYMENT_TYPES = ("full_time", "full_time", "part_time", "flexible", "internship")
EDUCATION = (
    "none",
    "primary",
    "junior_secondary",
    "senior_secondary",
    "vocational",
    "associate",
    "bachelor",
)
PRIORITY_GROUPS = (
    "graduate",
    "rural",
    "hard_to_employ",
    "poverty_monitoring",
    "severe_disability",
    "blind",
)


def vacancy(
    rng: random.Random, employer_id: str, external_id: str | None, *, revision: int = 0
) -> dict[str, Any]:
    """One valid VacancyCreate body; ``revision`` > 0 gives an edited version of it."""
    title, occupation, skills, leans = rng.choice(JOBS)
    district = rng.choice(tuple(DISTRICTS))
    lat, lon = DISTRICTS[district]
    demands = {d: rng.randint(1, 2) for d in rng.sample(DIMENSIONS, rng.randint(2, 6))}
    for dim in leans:
        demands[dim] = rng.randint(2, 4)
    salary_min = rng.randrange(2000, 8000, 100) + 100 * revision
    work_mode = rng.choice(WORK_MODES)
    body: dict[str, Any] = {
        "employer_id": employer_id,
        "external_id": external_id,
        "title": f"{title}（{rng.choice(COMPANIES)}）" + (f" 第{revision}版" if revision else ""),
        "description": (
            f"{rng.choice(COMPANIES)}招聘{title}，欢迎残疾人朋友报名。"
            f"工作地点：{district}。提供岗前培训，五险一金。"
        ),
        "occupation_code": occupation,
        "skills": list(
            dict.fromkeys(
                [
                    *rng.sample(skills, rng.randint(1, len(skills))),
                    *rng.sample(EXTRA_SKILLS, rng.randint(0, 3)),
                ]
            )
        ),
        "demands": demands,
        "accommodations": rng.sample(ACCOMMODATIONS, rng.randint(0, 4)),
        "work_mode": work_mode,
        "employment_type": rng.choice(EMPLOYMENT_TYPES),
        "district_code": district,
        "location": None
        if work_mode == "remote"
        else {
            "lat": round(lat + rng.uniform(-0.05, 0.05), 5),
            "lon": round(lon + rng.uniform(-0.05, 0.05), 5),
        },
        "salary_min": salary_min,
        "salary_max": salary_min + rng.randrange(0, 4000, 100),
        "education_min": rng.choice(EDUCATION),
        "openings": rng.randint(1, 20),
        "targeted": rng.random() < 0.4,
        "priority_groups": rng.sample(PRIORITY_GROUPS, rng.randint(0, 2)),
        "public_welfare": rng.random() < 0.15,
        "closes_on": (today_in_china() + dt.timedelta(days=rng.randint(30, 365))).isoformat(),
    }
    if external_id is None:
        del body["external_id"]
    return body
