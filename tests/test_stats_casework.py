"""Casework statistics on both databases, against counts computed here from the records
this test created: new employment, the funnel per group, rates, "four ones", follow-ups,
training.  The threshold is 2 here, so that small worlds show their numbers."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from service.config import Settings
from service.models.enums import Sex
from service.profile import is_working_age
from service.rules import load_rules
from service.services.follow_ups import add_months
from tests.conftest import issue_key, make_settings
from tests.match_helpers import make_employer, make_vacancy
from tests.placement_helpers import make_referral, place, visit
from tests.stats_helpers import TODAY, Person, assert_table, cells_of, people, register

T = 2
RULES = load_rules(None)


@pytest.fixture
def settings(db_url: str) -> Settings:
    return make_settings(db_url, stats_threshold=T)


def _long_ago(engine: sa.Engine) -> None:
    """Everyone registered two years ago (placements may start before today)."""
    with engine.begin() as conn:
        conn.execute(
            sa.text("UPDATE seeker SET created_at = :t"),
            {"t": dt.datetime(TODAY.year - 2, 1, 5, tzinfo=dt.UTC)},
        )
        conn.execute(
            sa.text("UPDATE seeker_status_change SET date = :d"),
            {"d": dt.date(TODAY.year - 2, 1, 5)},
        )


@pytest.fixture
def crowd(client: TestClient, raw_db: sa.Engine) -> Iterator[list[Person]]:
    registered = register(client, people(30, seed=11))
    _long_ago(raw_db)
    yield registered


def _stats(client: TestClient, path: str, **params: Any) -> dict[str, Any]:
    response = client.get(f"/v1/stats/{path}", params=params, headers=issue_key(client, "analyst"))
    assert response.status_code == 200, response.text
    return dict(response.json())


def _start(i: int) -> dt.date:
    return max(dt.date(TODAY.year, 1, 1), TODAY - dt.timedelta(days=20 * i + 1))


def test_new_employment_by_form_month_and_group(client: TestClient, crowd: list[Person]) -> None:
    employer = make_employer(client)
    forms = ["quota", "quota", "public_welfare", "sheltered", "flexible", "quota"]
    placed = []
    for i, p in enumerate(crowd[:18]):
        start, new = _start(i), i % 7 != 3
        place(
            client, p.id, employer, start_date=start, form=forms[i % len(forms)], counts_as_new=new
        )
        placed.append((p, start, forms[i % len(forms)], new))
    counted = [x for x in placed if x[3]]
    table = _stats(client, "employment", by=["form"])
    assert_table(table, Counter((f,) for _, _, f, _ in counted), T)
    assert table["total"]["count"] == len(counted)
    months = _stats(client, "employment", by=["month", "district"])
    assert_table(months, Counter((f"{s:%Y-%m}", p.district) for p, s, _, _ in counted), T)
    groups = _stats(client, "employment", by=["priority_group"])
    want: Counter[tuple[str, ...]] = Counter()
    for p, _, _, _ in counted:
        for g in p.groups():
            want[(g,)] += 1
    assert_table(groups, want, T)
    by_year = _stats(client, "employment", by=["year"], year_from=TODAY.year - 1)
    assert cells_of(by_year) == {(str(TODAY.year),): len(counted)}
    rural = _stats(client, "employment", by=["form"], priority_group="rural")
    assert_table(rural, Counter((f,) for p, _, f, _ in counted if p.hukou == "rural"), T)


def test_funnel_per_priority_group(
    client: TestClient, crowd: list[Person], raw_db: sa.Engine
) -> None:
    employer = make_employer(client)
    vacancy = make_vacancy(client, employer, openings=30)
    stage_of: dict[str, str] = {}
    for i, p in enumerate(crowd[:24]):
        kind = ("referred", "interviewed", "hired", "retained")[i % 4]
        status = {"referred": "referred", "interviewed": "interviewed"}.get(kind, "offered")
        referral = make_referral(raw_db, p.id, vacancy, status)
        if kind in ("hired", "retained"):
            start = TODAY - dt.timedelta(days=10) if kind == "hired" else add_months(TODAY, -7)
            if start.year < TODAY.year:
                start = dt.date(TODAY.year, 1, 2)
            placement = place(client, p.id, employer, referral_id=referral, start_date=start)
            if kind == "retained":
                visit(client, placement["id"], min(TODAY, add_months(start, 6)))
        stage_of[p.id] = kind
    order = ["referred", "interviewed", "hired", "retained"]
    retained_known = {
        p.id
        for p in crowd[:24]
        if stage_of[p.id] == "retained" and add_months(dt.date(TODAY.year, 1, 2), 6) <= TODAY
    }
    for p in crowd[:24]:
        if stage_of[p.id] == "retained" and p.id not in retained_known:
            stage_of[p.id] = "hired"
    table = _stats(client, "funnel", by=["priority_group"])
    want: Counter[tuple[str, ...]] = Counter()
    for p in crowd[:24]:
        reached = order[: order.index(stage_of[p.id]) + 1]
        for g in p.groups():
            for stage in reached:
                want[(g, stage)] += 1
    got = cells_of(table)
    for (group, stage), count in got.items():
        if count is not None:
            assert count == want[(group, stage)], (group, stage)
    assert any(c is not None for c in got.values())
    overall = cells_of(_stats(client, "funnel"))
    assert overall == {
        (s,): sum(order.index(stage_of[p.id]) >= order.index(s) for p in crowd[:24]) for s in order
    }


def _working_age(p: Person, day: dt.date) -> bool:
    return is_working_age(p.birth, Sex(p.sex), day, RULES)


def test_employment_rate_under_both_definitions(client: TestClient, crowd: list[Person]) -> None:
    employer = make_employer(client)
    employed = {p.id for p in crowd[:12]}
    for i, p in enumerate(crowd[:12]):
        place(client, p.id, employer, start_date=_start(i))
    capacity = {}
    for i, p in enumerate(crowd):
        if i % 5 == 4:
            continue  # never checked
        level = ("full", "partial", "none", "full")[i % 4]
        capacity[p.id] = level
        response = client.post(
            f"/v1/seekers/{p.id}/services",
            json={
                "type": "basic_info_check",
                "date": (TODAY - dt.timedelta(days=2)).isoformat(),
                "channel": "on_site",
                "agency_district_code": p.district,
                "result": "completed",
                "details": {"has_employment_need": True, "labour_capacity": level},
            },
        )
        assert response.status_code == 201, response.text
    holders = [p for p in crowd if _working_age(p, TODAY)]
    table = _stats(client, "employment-rate", definition="certificate_holders")
    total = table["total"]
    assert total["denominator"] == len(holders)
    assert total["count"] == sum(p.id in employed for p in holders)
    assert total["value"] == pytest.approx(total["count"] / len(holders))
    able = [p for p in holders if capacity.get(p.id) in ("full", "partial")]
    table = _stats(client, "employment-rate", definition="able_to_work", by_district=True)
    assert "有劳动能力" in table["definition"]
    assert table["total"]["denominator"] == len(able)
    for cell in table["cells"]:
        base = [p for p in able if p.district == cell["key"]["district"]]
        if cell["count"] is not None:
            assert cell["count"] == sum(p.id in employed for p in base)
            assert cell["denominator"] == len(base)


def test_four_ones_coverage_per_county(client: TestClient, crowd: list[Person]) -> None:
    need = {}
    served: dict[str, set[str]] = {}
    for i, p in enumerate(crowd):
        if i % 3 == 2:
            continue
        need[p.id] = i % 2 == 0
        body = {
            "date": (TODAY - dt.timedelta(days=3)).isoformat(),
            "channel": "on_site",
            "agency_district_code": p.district,
            "result": "completed",
        }
        client.post(
            f"/v1/seekers/{p.id}/services",
            json={
                **body,
                "type": "basic_info_check",
                "details": {"has_employment_need": need[p.id], "labour_capacity": "partial"},
            },
        )
        if i % 4 == 0:
            response = client.post(
                f"/v1/seekers/{p.id}/services",
                json={
                    **body,
                    "type": "employment_service",
                    "details": {"subtype": "career_guidance"},
                },
            )
            assert response.status_code == 201, response.text
            served.setdefault(p.id, set()).add("employment_service")
    owed = [p for p in crowd if _working_age(p, TODAY)]
    table = _stats(client, "four-ones", year=TODAY.year)
    got = {(c["key"]["district"], c["key"]["service"]): c for c in table["cells"]}
    for district in {p.district for p in owed}:
        base = [p for p in owed if p.district == district]
        cell = got.get((district, "basic_info_check"))
        checked = sum(p.id in need for p in base)
        if cell is not None and cell["count"] is not None:
            assert cell["count"] == checked and cell["denominator"] == len(base)
        in_need = [p for p in base if need.get(p.id)]
        cell = got.get((district, "employment_service"))
        if cell is not None and cell["count"] is not None:
            assert cell["count"] == sum(
                "employment_service" in served.get(p.id, ()) for p in in_need
            )
            assert cell["denominator"] == len(in_need)
    assert table["total"]["count"] == len(owed)


def test_follow_ups_due_and_done(client: TestClient, crowd: list[Person]) -> None:
    employer = make_employer(client)
    starts = [dt.date(TODAY.year, 1, 10) + dt.timedelta(days=9 * i) for i in range(10)]
    starts = [s for s in starts if add_months(s, 1) <= TODAY]
    done = 0
    for i, (p, start) in enumerate(zip(crowd, starts, strict=False)):
        placement = place(client, p.id, employer, start_date=start)
        if i % 2 == 0:
            visit(client, placement["id"], add_months(start, 1))
            done += 1
    table = _stats(client, "follow-ups", year=TODAY.year)
    cells = [c for c in table["cells"] if c["key"]["milestone"] == "1"]
    shown = {c["key"]["status"]: c["count"] for c in cells if c["count"] is not None}
    if "done" in shown:
        assert shown["done"] == done
    assert table["total"]["count"] == sum(
        sum(add_months(s, m).year == TODAY.year for m in (1, 3, 6, 12)) for s in starts
    )


def test_training_person_times(client: TestClient, crowd: list[Person]) -> None:
    want: Counter[tuple[str, ...]] = Counter()
    for i, p in enumerate(crowd[:16]):
        kind = "vocational" if i % 3 else "rural_practical"
        for _ in range(1 + i % 2):
            response = client.post(
                f"/v1/seekers/{p.id}/services",
                json={
                    "type": "training",
                    "date": (TODAY - dt.timedelta(days=4)).isoformat(),
                    "channel": "on_site",
                    "agency_district_code": p.district,
                    "result": "completed",
                    "details": {
                        "course": "电商客服",
                        "provider": "阳泉职业培训中心",
                        "kind": kind,
                        "start_date": (TODAY - dt.timedelta(days=30)).isoformat(),
                        "end_date": (TODAY - dt.timedelta(days=5)).isoformat(),
                        "completed": True,
                    },
                },
            )
            assert response.status_code == 201, response.text
            want[(p.district, kind)] += 1
    table = _stats(client, "training", by=["district", "kind"])
    assert table["unit"] == "person-times"
    assert_table(table, want, T)
