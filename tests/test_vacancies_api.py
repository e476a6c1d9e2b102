"""Vacancies and the bulk import through HTTP, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from service.rules import today_in_china
from tests.conftest import issue_key, patch_current, row_counts
from tests.factories import credit_code, employer_body, vacancy_body

YESTERDAY = (today_in_china() - dt.timedelta(days=1)).isoformat()


@pytest.fixture
def employer_id(client: TestClient) -> str:
    response = client.post("/v1/employers", json=employer_body())
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


BAD_INPUTS: list[tuple[dict[str, Any], str]] = [
    ({"salary_min": 5000, "salary_max": 4000}, "salary_max"),
    ({"salary_min": -1}, "salary_min"),
    ({"salary_max": 4500.5}, "salary_max"),
    ({"openings": 0}, "openings"),
    ({"closes_on": YESTERDAY}, "closes_on"),
    ({"closes_on": "2026-02-30"}, "closes_on"),
    ({"demands": {"vision": 5}}, "demands.vision"),
    ({"demands": {"telepathy": 1}}, "demands.telepathy"),
    ({"accommodations": ["jetpack"]}, "accommodations.0"),
    ({"work_mode": "sometimes"}, "work_mode"),
    ({"employment_type": "gig"}, "employment_type"),
    ({"district_code": "999999"}, "district_code"),
    ({"location": {"lat": 37.8, "lon": 200}}, "location.lon"),
    ({"education_min": "kindergarten"}, "education_min"),
    ({"priority_groups": ["vip"]}, "priority_groups.0"),
    ({"occupation_code": "4070501"}, "occupation_code"),
    ({"title": ""}, "title"),
    ({"employer_id": "emp_does_not_exist"}, "employer_id"),
]


@pytest.mark.parametrize(("change", "field"), BAD_INPUTS, ids=[f for _, f in BAD_INPUTS])
def test_bad_vacancy_is_422_naming_the_field_and_stores_nothing(
    client: TestClient, raw_db: sa.Engine, employer_id: str, change: dict[str, Any], field: str
) -> None:
    before = row_counts(raw_db)
    response = client.post("/v1/vacancies", json={**vacancy_body(employer_id), **change})
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert field in [e["field"] for e in response.json()["errors"]]
    assert row_counts(raw_db) == before


def test_vacancy_crud(client: TestClient, employer_id: str) -> None:
    created = client.post("/v1/vacancies", json=vacancy_body(employer_id, external_id="j-1"))
    assert created.status_code == 201, created.text
    vacancy = created.json()
    assert created.headers["location"] == f"/v1/vacancies/{vacancy['id']}"
    assert vacancy["status"] == "open"
    assert vacancy["demands"]["hearing"] == 3 and vacancy["demands"]["walking"] == 0
    url = f"/v1/vacancies/{vacancy['id']}"
    assert client.get(url).json() == vacancy
    patched = patch_current(
        client, url, json={"status": "filled", "salary_max": 5000, "demands": {"vision": 2}}
    )
    assert patched.status_code == 200, patched.text
    assert patched.json()["status"] == "filled"
    assert patched.json()["demands"]["vision"] == 2
    assert patched.json()["demands"]["hearing"] == 0  # demands are replaced whole
    assert patch_current(client, url, json={"salary_min": 6000}).status_code == 422
    assert patch_current(client, url, json={"title": None}).status_code == 422
    assert client.get(url).json()["salary_max"] == 5000
    duplicate = client.post("/v1/vacancies", json=vacancy_body(employer_id, external_id="j-1"))
    assert duplicate.status_code == 409
    assert client.delete(url).status_code == 204
    assert client.get(url).status_code == 404


def test_list_filters_and_pages(client: TestClient, employer_id: str) -> None:
    for i, mode in enumerate(["on_site", "remote", "hybrid", "remote"]):
        body = vacancy_body(
            employer_id,
            work_mode=mode,
            targeted=i % 2 == 0,
            district_code="140311" if i == 3 else "140302",
            occupation_code="4-07-05-01" if i < 2 else "6-28-01-01",
        )
        assert client.post("/v1/vacancies", json=body).status_code == 201

    def count(query: str) -> int:
        response = client.get(f"/v1/vacancies?{query}")
        assert response.status_code == 200, response.text
        return len(response.json()["items"])

    assert count("") == 4
    assert count("work_mode=remote") == 2
    assert count("targeted=true") == 2
    assert count("district_code=140311") == 1
    assert count("occupation_code=4-07") == 2
    assert count(f"employer_id={employer_id}") == 4
    assert count("status=open") == 4
    first = client.get("/v1/vacancies?limit=3").json()
    rest = client.get(f"/v1/vacancies?limit=3&cursor={first['next_cursor']}").json()
    assert len(first["items"]) == 3 and len(rest["items"]) == 1 and rest["next_cursor"] is None


def test_import_mixes_created_updated_and_failed_items(
    client: TestClient, raw_db: sa.Engine, employer_id: str
) -> None:
    items = [
        vacancy_body(employer_id, external_id=f"ext-{i}", title=f"数据录入员 {i}") for i in range(5)
    ]
    items[2]["salary_min"] = 99999  # above salary_max
    items[4]["district_code"] = "000000"
    first = client.post("/v1/vacancies/import", json=items)
    assert first.status_code == 200, first.text
    report = first.json()
    assert (report["created"], report["updated"], report["failed"]) == (3, 0, 2)
    statuses = [item["status"] for item in report["items"]]
    assert statuses == ["created", "created", "error", "created", "error"]
    assert report["items"][2]["errors"][0]["field"] == "salary_max"
    assert report["items"][4]["errors"][0]["field"] == "district_code"
    assert row_counts(raw_db)["vacancy"] == 3

    items[2]["salary_min"] = 3000
    items[0]["title"] = "数据录入专员"
    second = client.post("/v1/vacancies/import", json=items[:4]).json()
    assert [i["status"] for i in second["items"]] == ["updated", "updated", "created", "updated"]
    assert second["items"][0]["id"] == report["items"][0]["id"]
    assert row_counts(raw_db)["vacancy"] == 4
    stored = client.get(f"/v1/vacancies/{report['items'][0]['id']}").json()
    assert stored["title"] == "数据录入专员"


def test_import_external_ids_are_per_key_and_unique_within_a_batch(
    client: TestClient, employer_id: str, raw_db: sa.Engine
) -> None:
    body = vacancy_body(employer_id, external_id="same")
    report = client.post("/v1/vacancies/import", json=[body, body]).json()
    assert [i["status"] for i in report["items"]] == ["created", "error"]
    assert report["items"][1]["errors"][0]["code"] == "duplicate_in_batch"
    partner = issue_key(client, "partner")
    own = client.post(
        "/v1/employers", json=employer_body(credit_code=credit_code(7)), headers=partner
    )
    assert own.status_code == 201, own.text
    body = vacancy_body(own.json()["id"], external_id="same")
    other = client.post("/v1/vacancies/import", json=[body], headers=partner).json()
    assert other["items"][0]["status"] == "created"  # another key's "same" is its own
    assert row_counts(raw_db)["vacancy"] == 2


def test_import_rejects_non_objects_per_item_and_oversized_batches(
    client: TestClient, employer_id: str, raw_db: sa.Engine
) -> None:
    report = client.post("/v1/vacancies/import", json=[42, "x", vacancy_body(employer_id)]).json()
    assert [i["status"] for i in report["items"]] == ["error", "error", "created"]
    too_many = client.post("/v1/vacancies/import", json=[{}] * 1001)
    assert too_many.status_code == 422
    assert too_many.headers["content-type"] == "application/problem+json"
    assert client.post("/v1/vacancies/import", json={"items": []}).status_code == 422
    assert row_counts(raw_db)["vacancy"] == 1


def test_import_of_a_full_batch(client: TestClient, employer_id: str, raw_db: sa.Engine) -> None:
    items = [vacancy_body(employer_id, external_id=f"bulk-{i}") for i in range(1000)]
    report = client.post("/v1/vacancies/import", json=items).json()
    assert report["created"] == 1000 and report["failed"] == 0
    assert row_counts(raw_db)["vacancy"] == 1000
    again = client.post("/v1/vacancies/import", json=items).json()
    assert again["updated"] == 1000
    assert row_counts(raw_db)["vacancy"] == 1000
