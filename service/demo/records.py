"""The demo's service records: the "four ones" (四个一) and training, as a counselor of
Yangquan's employment service would record them, each on the day it was given."""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import TypeAdapter

from service.demo.desk import Desk
from service.matching.dimensions import DIMENSIONS, MAX_LEVEL, estimate_abilities
from service.models.enums import Category
from service.models.service_record import ServiceRecordCreate, StatusChangeCreate
from service.models.tables import Seeker, ServiceRecord
from service.services import service_records

_BODY: TypeAdapter[Any] = TypeAdapter(ServiceRecordCreate)
CITY_CENTRE = "140302"  # 阳泉市残疾人就业服务中心 sits in 城区
ASSESSORS = (
    "阳泉市残疾人职业能力评估中心",
    "阳泉市残疾人就业服务中心 评估组",
    "平定县残联就业服务所",
    "盂县残联就业服务所",
)
METHODS = {  # category -> how its assessments are mostly made
    "visual": ("standard_test", "interview", "work_trial"),
    "hearing": ("standard_test", "observation", "document_review"),
    "speech": ("interview", "observation", "standard_test"),
    "physical": ("work_trial", "standard_test", "document_review"),
    "intellectual": ("observation", "work_trial"),
    "mental": ("interview", "observation", "document_review"),
    "multiple": ("observation", "document_review", "work_trial"),
}
VOCATIONAL = {  # category -> (course, provider)
    "visual": (
        ("盲人保健按摩培训班", "阳泉市盲人按摩指导中心"),
        ("读屏软件与电脑操作培训", "阳泉市残疾人职业技能培训基地"),
    ),
    "hearing": (
        ("平面设计（手语授课）培训班", "阳泉市残疾人职业技能培训基地"),
        ("服装缝纫技能培训", "平定县职业教育中心"),
    ),
    "any": (
        ("电子商务与网络直播培训班", "阳泉市残疾人职业技能培训基地"),
        ("网络客服技能培训", "阳泉市残疾人职业技能培训基地"),
        ("面点制作培训班", "平定县职业教育中心"),
        ("手工编织与串珠培训", "阳泉市城区温馨家园辅助性就业中心"),
    ),
}
RURAL = (
    ("食用菌种植技术培训", "盂县农业技术推广中心"),
    ("中药材（连翘、黄芩）种植技术培训", "平定县农业农村局"),
    ("小杂粮种植与加工技术培训", "盂县农业技术推广中心"),
    ("蛋鸡养殖技术培训", "阳泉市郊区农业农村局"),
)
NOTES = (
    "电话核实联系方式和居住地址，本人希望在家附近就业。",
    "入户核对基础信息，家属陪同，本人有就业意愿。",
    "本人希望从事坐姿为主的工作，能接受非全日制。",
    "已告知残疾人就业补贴和社保补贴政策。",
    "建议先参加技能培训再推荐岗位。",
)


def _agency(desk: Desk, seeker: Seeker) -> str:
    return seeker.district_code if desk.rng.random() < 0.75 else CITY_CENTRE


def record(
    desk: Desk,
    seeker: Seeker,
    kind: str,
    day: dt.date,
    details: dict[str, Any],
    *,
    channel: str | None = None,
    result: str = "completed",
) -> ServiceRecord:
    """One service record through the service, recorded (seed-only backdating) that day."""
    rng = desk.rng
    body: dict[str, Any] = {
        "type": kind,
        "date": day,
        "details": details,
        "result": result,
        "channel": channel
        or rng.choices(("on_site", "phone", "online", "home_visit"), weights=(55, 28, 9, 8))[0],
        "agency_district_code": _agency(desk, seeker),
    }
    if rng.random() < 0.15:
        body["note"] = rng.choice(NOTES)
    row = service_records.create(
        desk.session, desk.ctx, desk.counselor, seeker, _BODY.validate_python(body)
    )
    row.created_at = desk.when(day)
    desk.session.add(row)
    desk.services[kind] += 1
    return row


def basic_check(
    desk: Desk, seeker: Seeker, day: dt.date, *, need: bool, channel: str | None = None
) -> None:
    rng = desk.rng
    if need:
        capacity = "partial" if rng.random() < (0.5 if seeker.grade <= 2 else 0.25) else "full"
    else:
        capacity = rng.choices(("none", "partial", "full"), weights=(45, 40, 15))[0]
    if channel is None and seeker.grade <= 2 and rng.random() < 0.4:
        channel = "home_visit"  # the severely disabled are often seen at home
    record(
        desk,
        seeker,
        "basic_info_check",
        day,
        {"has_employment_need": need, "labour_capacity": capacity},
        channel=channel,
    )


def assessed_abilities(desk: Desk, seeker: Seeker) -> dict[str, int]:
    """What is known (an earlier assessment, else the certificate's estimate), perturbed
    slightly.  A severe limitation (level 0-1) stays as it is and none is made: the
    record's accommodations were chosen for it."""
    rng = desk.rng
    known, _ = estimate_abilities(seeker.category, seeker.grade, seeker.abilities_assessed)
    out = {}
    for dim in DIMENSIONS:
        level = known[dim]
        if level >= 2 and rng.random() < 0.2:
            level = min(MAX_LEVEL, max(2, level + rng.choice((-1, 1))))
        out[dim] = level
    if rng.random() < 0.3:  # a partial assessment: the dimensions that matter most
        keep = {d for d in DIMENSIONS if known[d] < MAX_LEVEL}
        keep |= set(rng.sample(DIMENSIONS, k=4))
        out = {d: v for d, v in out.items() if d in keep}
    return out


def assessment(desk: Desk, seeker: Seeker, day: dt.date) -> None:
    rng = desk.rng
    record(
        desk,
        seeker,
        "ability_assessment",
        day,
        {
            "abilities": assessed_abilities(desk, seeker),
            "assessor": rng.choice(ASSESSORS),
            "method": rng.choice(METHODS[Category(seeker.category).value]),
        },
        channel="on_site",
    )


def needs_registration(
    desk: Desk, seeker: Seeker, day: dt.date, *, training: bool, business: bool
) -> None:
    record(
        desk,
        seeker,
        "needs_registration",
        day,
        {
            "preferences": seeker.preferences,
            "training_need": training,
            "entrepreneurship_intent": business,
        },
    )


def employment_service(
    desk: Desk, seeker: Seeker, day: dt.date, subtype: str, vacancy_id: str | None = None
) -> None:
    rng = desk.rng
    result = rng.choices(("completed", "partly_completed", "declined"), weights=(90, 8, 2))[0]
    details: dict[str, Any] = {"subtype": subtype}
    if vacancy_id is not None:
        details["vacancy_id"] = vacancy_id
        result = "completed"
    record(desk, seeker, "employment_service", day, details, result=result)


def training(desk: Desk, seeker: Seeker, start: dt.date) -> None:
    """A course from ``start``: recorded when it ended, or at enrolment while it runs."""
    rng = desk.rng
    rural = seeker.hukou == "rural" and rng.random() < 0.6
    if rural:
        (course, provider), kind, days = rng.choice(RURAL), "rural_practical", (3, 10)
    else:
        pool = VOCATIONAL.get(seeker.category, ()) + VOCATIONAL["any"]
        (course, provider), kind, days = rng.choice(pool), "vocational", (10, 45)
    end = start + dt.timedelta(days=rng.randint(*days))
    done = end <= desk.last_day
    record(
        desk,
        seeker,
        "training",
        end if done else start,
        {
            "course": course,
            "provider": provider,
            "kind": kind,
            "start_date": start,
            "end_date": end,
            "completed": done and rng.random() < 0.88,
        },
        channel="on_site",
    )


def left_labour_market(desk: Desk, seeker: Seeker, day: dt.date) -> None:
    """A dated status change: the person is no longer looking for work."""
    body = StatusChangeCreate.model_validate(
        {"status": "inactive", "date": day, "cause": "left_labour_market"}
    )
    service_records.change_status(desk.session, desk.counselor, seeker, body)
