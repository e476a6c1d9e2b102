"""/v1/employers/{id}/declarations: yearly staff declarations, their checks and owners,
the current year kept with the employer's own figures, and the migration's back-fill."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from service.migrate import downgrade, upgrade
from service.rules import today_in_china
from tests.conftest import assert_problem, issue_key, patch_current, row_counts
from tests.factories import credit_code, employer_body

THIS_YEAR = today_in_china().year
FIGURES = {
    "staff_count": 200,
    "disabled_staff": 2,
    "severe_disabled_staff": 1,
    "average_annual_wage": 60000.0,
    "established_posts": None,
}


def employer(
    client: TestClient, headers: dict[str, str] | None = None, **overrides: Any
) -> dict[str, Any]:
    response = client.post("/v1/employers", json=employer_body(**overrides), headers=headers)
    assert response.status_code == 201, response.text
    return response.json()


def declarations(
    client: TestClient, employer_id: str, headers: dict[str, str] | None = None
) -> list[dict[str, Any]]:
    response = client.get(f"/v1/employers/{employer_id}/declarations", headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


def test_create_then_replace_and_list_by_year(client: TestClient) -> None:
    emp = employer(client)
    url = f"/v1/employers/{emp['id']}/declarations"
    first = client.put(f"{url}/{THIS_YEAR - 2}", json=FIGURES)
    assert first.status_code == 201, first.text
    assert first.headers["location"] == f"{url}/{THIS_YEAR - 2}"
    assert first.json()["year"] == THIS_YEAR - 2 and first.json()["staff_count"] == 200
    assert first.headers["etag"] == '"v1"' and first.json()["version"] == 1
    again = client.put(
        f"{url}/{THIS_YEAR - 2}",
        json={**FIGURES, "staff_count": 250},
        headers={"If-Match": first.headers["etag"]},
    )
    assert again.status_code == 200, again.text
    assert again.json()["staff_count"] == 250 and again.headers["etag"] == '"v2"'
    read = client.get(f"{url}/{THIS_YEAR - 2}")
    assert read.status_code == 200 and read.headers["etag"] == '"v2"'
    assert read.json() == again.json()
    assert client.put(f"{url}/{THIS_YEAR - 1}", json=FIGURES).status_code == 201
    listed = declarations(client, emp["id"])
    # The POST made this year's from the employer's own figures.
    assert [d["year"] for d in listed] == [THIS_YEAR - 2, THIS_YEAR - 1, THIS_YEAR]
    assert listed[0]["staff_count"] == 250
    assert listed[2]["staff_count"] == emp["staff_count"]
    assert listed[2]["declared_by"] == "employer_record"
    # An earlier year leaves the employer's own figures alone.
    assert client.get(f"/v1/employers/{emp['id']}").json()["staff_count"] == 420


def test_the_current_year_and_the_employer_record_are_one(client: TestClient) -> None:
    emp = employer(client)
    url = f"/v1/employers/{emp['id']}"
    changed = patch_current(client, url, {"staff_count": 500, "disabled_staff": 8})
    assert changed.status_code == 200, changed.text
    current = declarations(client, emp["id"])[-1]
    assert (current["year"], current["staff_count"], current["disabled_staff"]) == (
        THIS_YEAR,
        500,
        8,
    )
    renamed = patch_current(client, url, {"name": "改名后的公司"})
    assert renamed.status_code == 200
    assert declarations(client, emp["id"])[-1]["declared_at"] == current["declared_at"]
    declared = client.put(
        f"{url}/declarations/{THIS_YEAR}",
        json={**FIGURES, "established_posts": 70},
        headers={"If-Match": f'"v{current["version"]}"'},
    )
    assert declared.status_code == 200, declared.text
    record = client.get(url).json()
    assert (record["staff_count"], record["disabled_staff"], record["established_posts"]) == (
        200,
        2,
        70,
    )
    assert record["name"] == "改名后的公司"


@pytest.mark.parametrize(
    "year, change, field",
    [
        (THIS_YEAR, {"disabled_staff": 201}, "disabled_staff"),
        (THIS_YEAR, {"severe_disabled_staff": 3}, "severe_disabled_staff"),
        (THIS_YEAR, {"staff_count": -1}, "staff_count"),
        (THIS_YEAR, {"staff_count": "200"}, "staff_count"),
        (THIS_YEAR, {"average_annual_wage": -5}, "average_annual_wage"),
        (THIS_YEAR, {"headcount": 3}, "headcount"),
        (THIS_YEAR + 1, {}, "year"),
        (1999, {}, "year"),
    ],
)
def test_bad_declarations_are_422_naming_the_field_and_store_nothing(
    client: TestClient, raw_db: sa.Engine, year: int, change: dict[str, Any], field: str
) -> None:
    emp = employer(client)
    before = row_counts(raw_db)
    url = f"/v1/employers/{emp['id']}/declarations/{year}"
    tag = client.get(url).headers.get("etag")  # this year's exists: replace it
    response = client.put(url, json={**FIGURES, **change}, headers={"If-Match": tag} if tag else {})
    body = assert_problem(response, 422)
    assert field in {e["field"].split(".")[-1] for e in body["errors"]}, body
    assert row_counts(raw_db) == before


def test_replacing_needs_the_version_read_and_a_stale_one_changes_nothing(
    client: TestClient, raw_db: sa.Engine
) -> None:
    emp = employer(client)
    url = f"/v1/employers/{emp['id']}/declarations/{THIS_YEAR - 1}"
    assert_problem(client.put(url, json=FIGURES, headers={"If-Match": '"v1"'}), 412)
    assert_problem(client.put(url, json=FIGURES, headers={"If-Match": "*"}), 412)
    assert_problem(client.get(url), 404)  # a precondition on nothing stores nothing
    assert client.put(url, json=FIGURES).status_code == 201
    changed = {**FIGURES, "staff_count": 300}
    assert_problem(client.put(url, json=changed), 428)
    assert client.put(url, json=changed, headers={"If-Match": '"v1"'}).status_code == 200
    before = row_counts(raw_db)
    assert_problem(
        client.put(url, json={**FIGURES, "staff_count": 999}, headers={"If-Match": '"v1"'}), 412
    )
    assert row_counts(raw_db) == before
    assert client.get(url).json()["staff_count"] == 300
    # The employer's own figures are this year's declaration: changing them is a new
    # version of it, so an If-Match read before the change is stale.
    this_year = f"/v1/employers/{emp['id']}/declarations/{THIS_YEAR}"
    tag = client.get(this_year).headers["etag"]
    assert (
        patch_current(client, f"/v1/employers/{emp['id']}", {"staff_count": 480}).status_code == 200
    )
    assert_problem(client.put(this_year, json=FIGURES, headers={"If-Match": tag}), 412)
    assert client.get(f"/v1/employers/{emp['id']}").json()["staff_count"] == 480


def test_bad_year_in_the_path(client: TestClient) -> None:
    emp = employer(client)
    response = client.put(f"/v1/employers/{emp['id']}/declarations/last", json=FIGURES)
    body = assert_problem(response, 422)
    assert {e["field"] for e in body["errors"]} == {"year"}


def test_owners_and_others(client: TestClient, raw_db: sa.Engine) -> None:
    owner, other = issue_key(client, "partner"), issue_key(client, "partner")
    emp = employer(client, headers=owner, credit_code=credit_code(41))
    url = f"/v1/employers/{emp['id']}/declarations"
    assert client.put(f"{url}/{THIS_YEAR - 1}", json=FIGURES, headers=owner).status_code == 201
    before = row_counts(raw_db)
    assert_problem(client.put(f"{url}/{THIS_YEAR - 1}", json=FIGURES, headers=other), 403)
    assert row_counts(raw_db) == before
    # Partners may read any employer (as GET /v1/employers/{id}), so its declarations too.
    assert len(declarations(client, emp["id"], headers=other)) == 2
    for role in ("kiosk", "analyst"):
        key = issue_key(client, role)
        assert_problem(client.get(url, headers=key), 403)
        assert_problem(client.put(f"{url}/{THIS_YEAR}", json=FIGURES, headers=key), 403)
    assert_problem(client.get("/v1/employers/emp_missing/declarations"), 404)
    assert_problem(
        client.put(f"/v1/employers/emp_missing/declarations/{THIS_YEAR}", json=FIGURES), 404
    )


def test_deleting_the_employer_deletes_its_declarations(
    client: TestClient, raw_db: sa.Engine
) -> None:
    emp = employer(client)
    client.put(f"/v1/employers/{emp['id']}/declarations/{THIS_YEAR - 1}", json=FIGURES)
    assert client.delete(f"/v1/employers/{emp['id']}").status_code == 204
    assert row_counts(raw_db)["staff_declaration"] == 0


def test_the_migration_back_fills_one_declaration_per_employer(db_url: str) -> None:
    engine = sa.create_engine(db_url)
    downgrade(db_url, "0007_model_registry")
    changed = dt.datetime(2024, 12, 31, 18, 30, tzinfo=dt.UTC)  # 2025-01-01 in Beijing
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO employer (id, owner_key_id, name, credit_code, kind, district_code,"
                " staff_count, disabled_staff, severe_disabled_staff, average_annual_wage,"
                " established_posts, accessibility, version, created_at, updated_at) VALUES"
                " (:id, 'key_1', '某单位', :code, 'soe', '140302', 300, 3, 1, 50000, NULL,"
                " '[]', 1, :at, :at)"
            ),
            [
                {"id": "emp_a", "code": credit_code(1), "at": changed},
                {"id": "emp_b", "code": credit_code(2), "at": changed - dt.timedelta(days=400)},
            ],
        )
    upgrade(db_url)
    with engine.connect() as conn:
        rows = conn.execute(
            sa.text(
                "SELECT employer_id, year, staff_count, disabled_staff, severe_disabled_staff,"
                " average_annual_wage, declared_by FROM staff_declaration ORDER BY employer_id"
            )
        ).all()
    engine.dispose()
    assert [tuple(r) for r in rows] == [
        ("emp_a", 2025, 300, 3, 1, 50000.0, "migration"),
        ("emp_b", 2023, 300, 3, 1, 50000.0, "migration"),
    ]
