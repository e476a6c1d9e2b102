"""/v1/stats/seekers on both databases: every count against one computed here from the
people this test registered; suppression, differencing, filters, CSV, bad parameters."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections import Counter
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from tests.conftest import assert_problem, issue_key
from tests.stats_helpers import (
    TODAY,
    Person,
    assert_table,
    cells_of,
    expected,
    people,
    recoverable,
    register,
)


@pytest.fixture
def world(client: TestClient) -> tuple[list[Person], dict[str, str]]:
    return register(client, people(60)), issue_key(client, "analyst")


def _get(client: TestClient, key: dict[str, str], **params: Any) -> dict[str, Any]:
    response = client.get("/v1/stats/seekers", params=params, headers=key)
    assert response.status_code == 200, response.text
    return dict(response.json())


def test_counts_by_any_combination_match_the_records(
    client: TestClient, world: tuple[list[Person], dict[str, str]]
) -> None:
    crowd, key = world
    combos: list[tuple[list[str], Any]] = [
        (["district"], lambda p: (p.district,)),
        (["district", "sex"], lambda p: (p.district, p.sex)),
        (["category", "grade"], lambda p: (p.category, str(p.grade))),
        (["hukou", "age_band"], lambda p: (p.hukou, p.band(TODAY))),
        (["status", "sex", "category"], lambda p: ("seeking", p.sex, p.category)),
    ]
    for by, key_of in combos:
        table = _get(client, key, by=by)
        assert table["by"] == by and table["threshold"] == 5
        assert_table(table, expected(crowd, key_of))
        assert table["total"]["count"] == len(crowd)


def test_priority_groups_count_everyone_in_each(
    client: TestClient, world: tuple[list[Person], dict[str, str]]
) -> None:
    crowd, key = world
    table = _get(client, key, by=["priority_group"])
    want: Counter[tuple[str, ...]] = Counter()
    for p in crowd:
        for g in p.groups():
            want[(g,)] += 1
    assert_table(table, want)
    by_district = _get(client, key, by=["district", "priority_group"])
    want2: Counter[tuple[str, ...]] = Counter()
    for p in crowd:
        for g in p.groups():
            want2[(p.district, g)] += 1
    assert_table(by_district, want2)
    rural = _get(client, key, by=["sex"], priority_group="rural")
    assert_table(rural, expected([p for p in crowd if p.hukou == "rural"], lambda p: (p.sex,)))


def test_filters_and_district_roll_up(
    client: TestClient, world: tuple[list[Person], dict[str, str]]
) -> None:
    crowd, key = world
    visual = [p for p in crowd if p.category == "visual"]
    table = _get(client, key, by=["district"], category="visual")
    assert table["filters"] == {"category": "visual"}
    assert_table(table, expected(visual, lambda p: (p.district,)))
    city = _get(client, key, by=["district"], district_level="city")
    assert_table(city, expected(crowd, lambda p: ("140300",)))
    province = _get(client, key, by=["district"], district_level="province")
    assert cells_of(province) == {("140000",): len(crowd)}
    county = _get(client, key, by=["sex"], district="140302")
    assert_table(county, expected([p for p in crowd if p.district == "140302"], lambda p: (p.sex,)))
    elsewhere = _get(client, key, by=["sex"], district="4202")
    assert elsewhere["cells"] == [] and elsewhere["total"]["count"] == 0


def test_no_suppressed_count_can_be_recovered_by_differencing(
    client: TestClient, world: tuple[list[Person], dict[str, str]]
) -> None:
    _, key = world
    pairs = [
        (["district"], ["district", "sex"], lambda k: (k[0],)),
        (["district"], ["district", "category"], lambda k: (k[0],)),
        (["category"], ["district", "category"], lambda k: (k[1],)),
        (["district", "sex"], ["district", "sex", "hukou"], lambda k: (k[0], k[1])),
        (["sex"], ["sex", "priority_group"], None),
    ]
    hidden = 0
    for coarse, fine, line_of in pairs:
        margins = cells_of(_get(client, key, by=coarse))
        cells = cells_of(_get(client, key, by=fine))
        hidden += sum(c is None for c in cells.values())
        if line_of is not None:
            assert recoverable(margins, cells, line_of) == [], (coarse, fine)
    total = _get(client, key, by=[])["total"]["count"]
    sexes = cells_of(_get(client, key, by=["sex"]))
    assert recoverable({(): total}, sexes, lambda k: ()) == []
    assert hidden > 0, "the population is meant to have small cells to hide"


def test_a_filtered_slice_hides_what_the_full_table_hides(
    client: TestClient, world: tuple[list[Person], dict[str, str]]
) -> None:
    _, key = world
    full = cells_of(_get(client, key, by=["district", "category"]))
    for category in ("visual", "physical", "hearing"):
        part = cells_of(_get(client, key, by=["district"], category=category))
        assert part == {(d,): n for (d, c), n in full.items() if c == category}


def test_as_of_counts_registrations_and_status_on_that_day(
    client: TestClient, world: tuple[list[Person], dict[str, str]], raw_db: sa.Engine
) -> None:
    crowd, key = world
    back = dt.timedelta(days=30)
    with raw_db.begin() as conn:
        conn.execute(
            sa.text("UPDATE seeker SET created_at = :at"),
            {"at": dt.datetime.combine(TODAY - back, dt.time(12), dt.UTC)},
        )
        conn.execute(sa.text("UPDATE seeker_status_change SET date = :day"), {"day": TODAY - back})
    employed = crowd[:8]
    for p in employed:
        response = client.post(
            f"/v1/seekers/{p.id}/status",
            json={
                "status": "inactive",
                "date": (TODAY - dt.timedelta(days=10)).isoformat(),
                "cause": "left_labour_market",
            },
        )
        assert response.status_code == 201, response.text
    before = _get(client, key, by=["status"], as_of=(TODAY - dt.timedelta(days=20)).isoformat())
    assert cells_of(before) == {("seeking",): len(crowd)}
    after = _get(client, key, by=["status"], as_of=(TODAY - dt.timedelta(days=5)).isoformat())
    assert cells_of(after) == {("seeking",): len(crowd) - 8, ("inactive",): 8}
    assert cells_of(_get(client, key, by=["status"])) == cells_of(after)
    too_early = _get(client, key, by=[], as_of=(TODAY - dt.timedelta(days=31)).isoformat())
    assert too_early["total"]["count"] == 0


def test_the_erased_remainder_still_counts(
    client: TestClient, world: tuple[list[Person], dict[str, str]]
) -> None:
    crowd, key = world
    gone = crowd[:6]
    for p in gone:
        response = client.delete(f"/v1/seekers/{p.id}")
        assert response.status_code == 204, response.text
    table = _get(client, key, by=["district", "sex"])
    assert_table(table, expected(crowd, lambda p: (p.district, p.sex)))
    assert table["total"]["count"] == len(crowd)


def test_csv_has_the_same_cells(
    client: TestClient, world: tuple[list[Person], dict[str, str]]
) -> None:
    _, key = world
    table = _get(client, key, by=["district", "sex"])
    response = client.get(
        "/v1/stats/seekers",
        params={"by": ["district", "sex"]},
        headers={**key, "Accept": "text/csv"},
    )
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert [(r["district"], r["sex"], r["count"] or None) for r in rows[:-1]] == [
        (c["key"]["district"], c["key"]["sex"], None if c["count"] is None else str(c["count"]))
        for c in table["cells"]
    ]
    assert rows[-1]["district"] == "total" and rows[-1]["count"] == str(table["total"]["count"])
    refused = client.get("/v1/stats/seekers", headers={**key, "Accept": "text/html"})
    assert_problem(refused, 406)


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"by": "nationality"}, "by"),
        ({"as_of": "2999-01-01"}, "as_of"),
        ({"district": "14030"}, "district"),
        ({"grade": 7}, "grade"),
        ({"by": ["district", "district"]}, "by"),
        ({"by": ["district", "sex", "hukou", "grade", "category"], "status": "seeking"}, "by"),
        ({"by": "district", "district": "140302", "district_level": "city"}, "district_level"),
        ({"by": "priority_group", "priority_group": "rural"}, "priority_group"),
        ({"district_level": "village"}, "district_level"),
    ],
)
def test_bad_parameters_are_422_naming_them(
    client: TestClient, params: dict[str, Any], field: str
) -> None:
    key = issue_key(client, "analyst")
    body = assert_problem(client.get("/v1/stats/seekers", params=params, headers=key), 422)
    named = {part for e in body["errors"] for part in e["field"].split(".") if not part.isdigit()}
    assert field in named, body


def test_who_may_ask(client: TestClient) -> None:
    register(client, people(6, seed=3))
    for role in ("partner", "kiosk"):
        assert_problem(client.get("/v1/stats/seekers", headers=issue_key(client, role)), 403)
    for role in ("admin", "counselor", "analyst"):
        response = client.get("/v1/stats/seekers", headers=issue_key(client, role))
        assert response.status_code == 200, (role, response.text)
    limited = client.post(
        "/v1/api-keys", json={"role": "counselor", "name": "盂县", "district_code": "140322"}
    )
    assert limited.status_code == 201 and limited.json()["district_code"] == "140322"
    own = {"X-API-Key": limited.json()["key"]}
    table = client.get("/v1/stats/seekers", headers=own).json()
    assert table["filters"] == {"district": "140322"} and table["total"]["count"] == 0
    assert_problem(client.get("/v1/stats/seekers", params={"district": "1403"}, headers=own), 403)
