"""Service records of the statistics benchmark: the four ones and training, with details
exactly as the service stores them (each variant built through the project's schemas)."""

from __future__ import annotations

import datetime as dt
import json
import random
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from bench.stats_world import COUNTIES, END, NAME_ENC, Row, day, erased_id, stamp
from service.models.enums import ServiceType
from service.models.service_record import DETAILS

if TYPE_CHECKING:
    from bench.stats_data import World

SERVICE_COLUMNS = (
    "id",
    "seeker_id",
    "type",
    "date",
    "channel",
    "agency_district_code",
    "result",
    "details",
    "note_enc",
    "recorded_by",
    "created_at",
)
DIMENSIONS = (
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
SUBTYPES = (
    "survey",
    "career_guidance",
    "job_introduction",
    "match_referral",
    "follow_up",
    "policy_consultation",
    "information_release",
    "entrepreneurship_guidance",
    "hr_agency",
)
CHANNELS = ("on_site", "on_site", "phone", "online", "home_visit")
RESULTS = ("completed",) * 16 + ("partly_completed",) * 2 + ("not_reached", "declined")
COURSES = (
    ("盲人保健按摩", "市盲人按摩指导中心"),
    ("电子商务", "县职业技能培训学校"),
    ("种植养殖实用技术", "县农业技术推广站"),
    ("电脑操作", "市残疾人职业培训基地"),
)
BUNDLE_SHARE = 0.16  # seekers with a year of casework (~400k records per 1M seekers)


def _stored(kind: ServiceType, details: dict[str, Any]) -> str:
    """The details as the service writes them: validated, then dumped in JSON mode."""
    return json.dumps(
        DETAILS[kind].model_validate(details).model_dump(mode="json"), ensure_ascii=False
    )


def _pools(rng: random.Random) -> dict[str, list[str]]:
    basic = [
        _stored(
            ServiceType.basic_info_check, {"has_employment_need": need, "labour_capacity": capacity}
        )
        for need in (True, False)
        for capacity in ("full", "partial", "none")
    ]
    assessments = [
        _stored(
            ServiceType.ability_assessment,
            {
                "abilities": {
                    d: rng.randint(0, 4) for d in rng.sample(DIMENSIONS, rng.randint(1, 13))
                },
                "assessor": rng.choice(("县残联评估员", "康复中心评估师")),
                "method": rng.choice(
                    ("observation", "standard_test", "work_trial", "interview", "document_review")
                ),
            },
        )
        for _ in range(64)
    ]
    needs = [
        _stored(
            ServiceType.needs_registration,
            {
                "preferences": {
                    "work_modes": rng.sample(["on_site", "hybrid", "remote"], rng.randint(1, 3)),
                    "max_commute_km": float(rng.choice((5, 10, 20, 30))),
                    "min_monthly_salary": rng.choice((None, 2000, 3000)),
                },
                "training_need": rng.random() < 0.4,
                "entrepreneurship_intent": rng.random() < 0.1,
            },
        )
        for _ in range(64)
    ]
    return {"basic": basic, "assessment": assessments, "needs": needs}


def _training(rng: random.Random, start: int, rural: bool) -> str:
    course, provider = COURSES[2] if rural else rng.choice(COURSES)
    ends = start + rng.randint(5, 60)
    completed = ends <= END.toordinal() and rng.random() < 0.85
    details = {
        "course": course,
        "provider": provider,
        "kind": "rural_practical" if rural else "vocational",
        "start_date": day(start),
        "end_date": day(ends),
        "completed": completed,
    }
    return json.dumps(details, ensure_ascii=False)


def _service(subtype: str, vacancy: str | None) -> str:
    return json.dumps({"subtype": subtype, "vacancy_id": vacancy})


def service_rows(world: World) -> Iterator[Row]:
    """A year of casework for some seekers: the check, then for those with a need the
    assessment, needs registration and employment services; training for some; plus
    the erased people's checks, re-pointed and cut to the first of the month."""
    rng = random.Random(17)
    pools = _pools(rng)
    # Every variant was validated above; check the hand-built ones once, the same way.
    DETAILS[ServiceType.training].model_validate(json.loads(_training(rng, 738_000, False)))
    DETAILS[ServiceType.employment_service].model_validate(json.loads(_service("survey", "vac_0")))
    s, end, number = world.s, END.toordinal(), 0
    bundles = int(s.n * BUNDLE_SHARE)
    people = sorted(rng.sample(range(s.n), bundles)) if bundles <= s.n else []

    def record(i: int, kind: str, when: int, details: str) -> Row:
        nonlocal number
        number += 1
        agency = s.county_of(i) if rng.random() < 0.95 else rng.choice(COUNTIES)
        return (
            f"svc_{number:026d}",
            s.ids[i],
            kind,
            day(when),
            rng.choice(CHANNELS),
            agency,
            rng.choice(RESULTS),
            details,
            NAME_ENC if number % 5 == 0 else None,
            s.owner_of(i),
            stamp(when, 3600 + number % 30_000),
        )

    for i in people:
        first = int(s.reg_day[i])
        years = [y for y in (2024, 2025, 2026) if dt.date(y, 12, 31).toordinal() >= first]
        for year in rng.sample(years, 2 if len(years) > 1 and rng.random() < 0.1 else 1):
            low = max(first, dt.date(year, 1, 1).toordinal())
            high = min(end, dt.date(year, 12, 31).toordinal())
            if low > high:
                continue
            when = rng.randint(low, high)
            check = rng.choices(range(6), (40, 25, 3, 8, 8, 16))[0]
            yield record(i, "basic_info_check", when, pools["basic"][check])
            if check >= 3:  # no employment need
                continue
            for kind, share, pool in (
                ("ability_assessment", 0.45, "assessment"),
                ("needs_registration", 0.5, "needs"),
            ):
                if rng.random() < share:
                    yield record(i, kind, rng.randint(when, high), rng.choice(pools[pool]))
            for _ in range(rng.choices((0, 1, 2), (40, 42, 18))[0]):
                vacancy = (
                    f"vac_{rng.randrange(world.vacancies):026d}" if rng.random() < 0.2 else None
                )
                yield record(
                    i,
                    "employment_service",
                    rng.randint(when, high),
                    _service(rng.choice(SUBTYPES), vacancy),
                )
            if rng.random() < 0.2:
                start = rng.randint(when, high)
                yield record(
                    i,
                    "training",
                    start,
                    _training(rng, start, bool(s.hukou[i]) and rng.random() < 0.5),
                )
    yield from _erased_checks(world, rng, pools["basic"], number)


def _erased_checks(
    world: World, rng: random.Random, basic: list[str], number: int
) -> Iterator[Row]:
    for n in range(0, world.erased_count, 2):
        when = dt.date(2024 + n % 3, 1 + n % 11, 1)
        i = (n * 104_729) % world.s.n
        number += 1
        yield (
            f"svc_{number:026d}",
            erased_id(n),
            "basic_info_check",
            when.isoformat(),
            rng.choice(CHANNELS),
            world.s.county_of(i),
            "completed",
            basic[rng.choices(range(6), (40, 25, 3, 8, 8, 16))[0]],
            None,
            world.s.owner_of(i),
            f"{when.isoformat()} 00:00:00+00",
        )
