"""/v1/stats/quota: quota compliance of a year from the declarations, checked against
figures computed here from the records created (not by the service's code)."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from service.rules import today_in_china
from tests.conftest import assert_problem, issue_key, row_counts
from tests.factories import credit_code, employer_body

YEAR = today_in_china().year - 1  # a year whose declarations are all made by PUT
RATIO = 0.015  # Shanxi (14) and the default ratio alike
ENTERPRISES = {"soe", "private", "platform"}
MIN_POSTS = {"government_organ": 50, "public_institution": 67}
EXEMPT_STAGES = {"kindergarten", "primary", "secondary"}


@dataclass
class Unit:
    name: str
    kind: str
    district: str
    posts: int | None = None
    stage: str | None = None
    # year -> (staff, disabled, severe, wage)
    years: dict[int, tuple[int, int, int, float | None]] = field(default_factory=dict)
    id: str = ""
    code: str = ""

    def shortfall(self, year: int) -> float:
        staff, disabled, severe, _ = self.years[year]
        return max(0.0, staff * RATIO - (disabled + severe))  # severe count twice

    def levy(self, year: int) -> float | None:
        staff, disabled, severe, wage = self.years[year]
        short = self.shortfall(year)
        if (self.kind in ENTERPRISES and staff <= 30) or short == 0:
            return 0.0
        if wage is None:
            return None
        share = 0.5 if (disabled + severe) / staff >= 0.01 else 0.9
        return short * wage * share

    def duty(self) -> bool:
        return (
            self.kind in MIN_POSTS
            and (self.posts or 0) >= MIN_POSTS[self.kind]
            and self.stage not in EXEMPT_STAGES
        )


def world(seed: int = 11) -> list[Unit]:
    rng = random.Random(seed)
    units = [
        # The duty: a primary school of 80 posts has none; a vocational school, an organ do.
        Unit("阳泉市某小学", "public_institution", "140302", 80, "primary"),
        Unit("阳泉市某幼儿园", "public_institution", "140303", 90, "kindergarten"),
        Unit("阳泉市职业技术学校", "public_institution", "140302", 80, "vocational"),
        Unit("盂县某镇人民政府", "government_organ", "140322", 55),
        Unit("阳泉市某局", "government_organ", "140302", 120),
        Unit("阳泉市某小所", "public_institution", "140303", 40),
    ]
    kinds = ["soe", "private", "private", "platform", "social_organization"]
    for i in range(22):
        units.append(
            Unit(
                f"单位{i:02d}",
                rng.choice(kinds),
                rng.choice(["140302", "140303", "140322", "110101"]),
            )
        )
    for n, unit in enumerate(units):
        for year in (YEAR - 2, YEAR - 1, YEAR):
            if rng.random() < 0.15 and n > 5:
                continue  # not declared that year
            staff = rng.choice([12, 25, 31, 60, 100, 200, 420, 1000])
            disabled = rng.choice([0, 0, 1, 2, 3, 9])
            disabled = min(disabled, staff)
            severe = rng.randint(0, disabled)
            wage = None if rng.random() < 0.1 else float(rng.choice([42000, 50000, 68000]))
            unit.years[year] = (staff, disabled, severe, wage)
    units += [  # a levy that cannot be computed; the reduced rate; a gap in the years
        Unit(
            "无工资申报公司",
            "private",
            "140303",
            years={
                YEAR - 2: (400, 0, 0, None),
                YEAR - 1: (400, 1, 0, None),
                YEAR: (400, 2, 0, None),
            },
        ),
        Unit("半额公司", "private", "140322", years={YEAR: (200, 2, 0, 50000.0)}),
        Unit("小微无工资", "private", "140302", years={YEAR: (25, 0, 0, None)}),  # exempt: 0
        Unit(
            "中断公司",
            "soe",
            "140302",
            years={YEAR - 2: (300, 0, 0, 60000.0), YEAR: (300, 0, 0, 60000.0)},
        ),
    ]
    units[0].years[YEAR] = units[2].years[YEAR] = (60, 0, 0, 50000.0)
    units[3].years[YEAR] = (60, 1, 0, 50000.0)  # the organ has met the duty
    return units


def create(client: TestClient, units: list[Unit]) -> list[Unit]:
    for serial, unit in enumerate(units, start=1):
        unit.code = credit_code(serial)
        response = client.post(
            "/v1/employers",
            json=employer_body(
                name=unit.name,
                credit_code=unit.code,
                kind=unit.kind,
                district_code=unit.district,
                staff_count=10,
                disabled_staff=0,
                severe_disabled_staff=0,
                established_posts=unit.posts,
                school_stage=unit.stage,
            ),
        )
        assert response.status_code == 201, response.text
        unit.id = response.json()["id"]
        for year, (staff, disabled, severe, wage) in unit.years.items():
            put = client.put(
                f"/v1/employers/{unit.id}/declarations/{year}",
                json={
                    "staff_count": staff,
                    "disabled_staff": disabled,
                    "severe_disabled_staff": severe,
                    "average_annual_wage": wage,
                    "established_posts": unit.posts,
                },
            )
            assert put.status_code == 201, put.text
    return units


@pytest.fixture
def units(client: TestClient) -> list[Unit]:
    return create(client, world())


def stats(client: TestClient, **params: Any) -> dict[str, Any]:
    response = client.get(
        "/v1/stats/quota", params={"year": YEAR, **params}, headers=issue_key(client, "analyst")
    )
    assert response.status_code == 200, response.text
    return response.json()


def check(body: dict[str, Any], units: list[Unit]) -> None:
    declared = [u for u in units if YEAR in u.years]
    below = [u for u in declared if u.shortfall(YEAR) > 0]
    assert body["employers"] == len(units)
    assert body["not_declared"] == len(units) - len(declared)
    assert body["assessed"] == len(declared)
    assert body["below_quota"] == len(below)
    assert body["shortfall"] == pytest.approx(sum(u.shortfall(YEAR) for u in below))
    levies = [u.levy(YEAR) for u in below]
    assert body["levy_due"] == pytest.approx(sum(x for x in levies if x is not None))
    assert body["levy_unknown"] == sum(x is None for x in levies)
    assert sum(r["employers"] for r in body["levy_by_rule"]) == len(declared)
    assert sum(r["levy_due"] for r in body["levy_by_rule"]) == pytest.approx(body["levy_due"])
    by_district = {d["district"]: d for d in body["by_district"]}
    for code in {u.district for u in units}:
        here = [u for u in below if u.district == code]
        assert by_district[code]["below_quota"] == len(here)
        assert by_district[code]["employers"] == sum(u.district == code for u in units)
        assert by_district[code]["levy_due"] == pytest.approx(
            sum(u.levy(YEAR) or 0.0 for u in here)
        )
    duty = [u for u in declared if u.duty()]
    not_met = {u.name for u in duty if u.years[YEAR][1] == 0}
    assert body["lead_by_example"]["with_duty"] == len(duty)
    assert body["lead_by_example"]["met"] == len(duty) - len(not_met)
    assert {u["name"] for u in body["lead_by_example"]["not_met"]} == not_met
    running = {
        (u.name, u.code)
        for u in units
        if all(y in u.years and u.shortfall(y) > 0 for y in (YEAR - 2, YEAR - 1, YEAR))
    }
    persistent = body["below_three_years"]
    assert persistent["years"] == [YEAR - 2, YEAR - 1, YEAR]
    assert persistent["count"] == len(running)
    if persistent["units"] is not None:  # listed when include_units=true
        assert {(u["name"], u["credit_code"]) for u in persistent["units"]} == running


def test_figures_match_the_declarations(client: TestClient, units: list[Unit]) -> None:
    body = stats(client)
    assert body["year"] == YEAR and body["district"] == ""
    check(body, units)
    # The world exercises every path: each rule, an unknown levy, three years running.
    rules = {r["rule"] for r in body["levy_by_rule"]}
    assert {"low_ratio", "reduced_rate", "quota_met", "small_enterprise_exempt"} <= rules
    assert body["levy_unknown"] >= 1 and body["not_declared"] >= 1
    assert body["below_quota_units"] is None and body["below_three_years"]["units"] is None
    with_units = stats(client, include_units="true")
    check(with_units, units)
    persistent = {u["name"] for u in with_units["below_three_years"]["units"]}
    assert "无工资申报公司" in persistent and "中断公司" not in persistent
    listed = with_units["below_quota_units"]
    assert {u["employer_id"] for u in listed} == {
        u.id for u in units if YEAR in u.years and u.shortfall(YEAR) > 0
    }


def test_the_duty_excludes_kindergartens_primary_and_secondary_schools(
    client: TestClient, units: list[Unit]
) -> None:
    names = {u["name"] for u in stats(client)["lead_by_example"]["not_met"]}
    assert "阳泉市某小学" not in names and "阳泉市某幼儿园" not in names
    assert "阳泉市职业技术学校" in names  # 80 posts, no disabled staff
    assert "阳泉市某局" in names or units[4].years[YEAR][1] > 0
    assert "盂县某镇人民政府" not in names  # met: one disabled person


@pytest.mark.parametrize("prefix", ["14", "1403", "140322", "11"])
def test_a_district_prefix_counts_its_employers(
    client: TestClient, units: list[Unit], prefix: str
) -> None:
    body = stats(client, district=prefix)
    assert body["district"] == prefix
    check(body, [u for u in units if u.district.startswith(prefix)])


def test_district_level_rolls_up(client: TestClient, units: list[Unit]) -> None:
    body = stats(client, district_level="city")
    rows = {d["district"]: d for d in body["by_district"]}
    assert set(rows) == {"140300", "110100"}
    assert rows["140300"]["employers"] == sum(u.district.startswith("1403") for u in units)


def test_a_year_without_declarations(client: TestClient, units: list[Unit]) -> None:
    body = stats(client, year=YEAR - 5)
    assert body["employers"] == body["not_declared"] == len(units)
    assert body["assessed"] == body["below_quota"] == 0 and body["levy_due"] == 0


def test_this_year_counts_the_employers_own_figures(client: TestClient, units: list[Unit]) -> None:
    body = stats(client, year=YEAR + 1)  # every POST declared 10 staff, none disabled
    assert body["assessed"] == len(units) and body["below_quota"] == len(units)


@pytest.mark.parametrize(
    "params, field",
    [
        ({"year": 1999}, "year"),
        ({"year": "last"}, "year"),
        ({"year": YEAR + 2}, "year"),
        ({"district": "14030"}, "district"),
        ({"district": "abc"}, "district"),
        ({"district_level": "village"}, "district_level"),
        ({"by": "district"}, "by"),
    ],
)
def test_bad_parameters_are_422_naming_them(
    client: TestClient, params: dict[str, Any], field: str
) -> None:
    response = client.get("/v1/stats/quota", params=params, headers=issue_key(client, "analyst"))
    body = assert_problem(response, 422)
    assert field in {e["field"].split(".")[-1] for e in body["errors"]}, body


def test_who_may_ask(client: TestClient, raw_db: sa.Engine) -> None:
    create(client, world()[:8])
    for role in ("partner", "kiosk"):
        assert_problem(client.get("/v1/stats/quota", headers=issue_key(client, role)), 403)
    for role in ("admin", "counselor", "analyst"):
        response = client.get("/v1/stats/quota", headers=issue_key(client, role))
        assert response.status_code == 200, (role, response.text)
    limited = client.post(
        "/v1/api-keys", json={"role": "analyst", "name": "盂县", "district_code": "140322"}
    )
    own = {"X-API-Key": limited.json()["key"]}
    before = row_counts(raw_db)
    body = client.get("/v1/stats/quota", headers=own).json()
    assert body["district"] == "140322"
    assert {d["district"] for d in body["by_district"]} <= {"140322"}
    assert_problem(client.get("/v1/stats/quota", params={"district": "1403"}, headers=own), 403)
    assert row_counts(raw_db) == before


def test_csv_is_the_district_table_counted_from_the_declarations(
    client: TestClient, units: list[Unit]
) -> None:
    import csv
    import io

    response = client.get(
        "/v1/stats/quota",
        params={"year": YEAR},
        headers={**issue_key(client, "analyst"), "Accept": "text/csv"},
    )
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert rows[-1]["district"] == "total"
    assert int(rows[-1]["employers"]) == len(units)
    declared = [u for u in units if YEAR in u.years]
    below = [u for u in declared if u.shortfall(YEAR) > 0]
    assert int(rows[-1]["below_quota"]) == len(below)
    assert float(rows[-1]["levy_due"]) == pytest.approx(sum(u.levy(YEAR) or 0.0 for u in below))
    by_code = {r["district"]: r for r in rows[:-1]}
    assert set(by_code) == {u.district for u in units}
    for code, row in by_code.items():
        assert int(row["employers"]) == sum(u.district == code for u in units)
        assert int(row["below_quota"]) == sum(u.district == code for u in below)
        assert int(row["assessed"]) == sum(u.district == code for u in declared)
    refused = client.get(
        "/v1/stats/quota", headers={**issue_key(client, "analyst"), "Accept": "application/xml"}
    )
    assert_problem(refused, 406)
