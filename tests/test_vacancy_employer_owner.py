"""A partner posts vacancies only under employers it registered, on SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from tests.conftest import issue_key, patch_current, row_counts
from tests.factories import credit_code, employer_body, vacancy_body


def _employer(client: TestClient, headers: dict[str, str], serial: int) -> str:
    response = client.post(
        "/v1/employers", json=employer_body(credit_code=credit_code(serial)), headers=headers
    )
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


@pytest.fixture
def partners(client: TestClient) -> dict[str, Any]:
    alice, mallory = issue_key(client, "partner"), issue_key(client, "partner")
    return {
        "alice": alice,
        "mallory": mallory,
        "alice_emp": _employer(client, alice, 11),
        "mallory_emp": _employer(client, mallory, 12),
    }


def _refusal(response: Any) -> None:
    assert response.status_code == 403, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert [(e["field"], e["code"]) for e in response.json()["errors"]] == [
        ("employer_id", "employer_not_owned")
    ]


def test_post_under_another_partners_employer_is_refused(
    client: TestClient, partners: dict[str, Any], raw_db: sa.Engine
) -> None:
    before = row_counts(raw_db)["vacancy"]
    _refusal(
        client.post(
            "/v1/vacancies", json=vacancy_body(partners["alice_emp"]), headers=partners["mallory"]
        )
    )
    assert row_counts(raw_db)["vacancy"] == before
    own = client.post(
        "/v1/vacancies", json=vacancy_body(partners["mallory_emp"]), headers=partners["mallory"]
    )
    assert own.status_code == 201, own.text
    # A counselor may act on any employer.
    counselor = issue_key(client, "counselor")
    assert (
        client.post(
            "/v1/vacancies", json=vacancy_body(partners["alice_emp"]), headers=counselor
        ).status_code
        == 201
    )


def test_import_item_under_another_partners_employer_fails_alone(
    client: TestClient, partners: dict[str, Any], raw_db: sa.Engine
) -> None:
    items = [
        vacancy_body(partners["mallory_emp"], external_id="m-1"),
        vacancy_body(partners["alice_emp"], external_id="m-2"),
        vacancy_body(partners["mallory_emp"], external_id="m-3"),
    ]
    response = client.post("/v1/vacancies/import", json=items, headers=partners["mallory"])
    assert response.status_code == 200, response.text
    report = response.json()
    assert [i["status"] for i in report["items"]] == ["created", "error", "created"]
    assert [(e["field"], e["code"]) for e in report["items"][1]["errors"]] == [
        ("employer_id", "employer_not_owned")
    ]
    listed = client.get("/v1/vacancies", params={"employer_id": partners["alice_emp"]})
    assert listed.json()["items"] == []


def test_patch_moving_a_vacancy_to_another_partners_employer_is_refused(
    client: TestClient, partners: dict[str, Any]
) -> None:
    created = client.post(
        "/v1/vacancies", json=vacancy_body(partners["mallory_emp"]), headers=partners["mallory"]
    )
    path = f"/v1/vacancies/{created.json()['id']}"
    moved = patch_current(
        client, path, json={"employer_id": partners["alice_emp"]}, headers=partners["mallory"]
    )
    _refusal(moved)
    stored = client.get(path, headers=partners["mallory"]).json()
    assert stored["employer_id"] == partners["mallory_emp"]
    retitled = patch_current(client, path, json={"title": "新标题"}, headers=partners["mallory"])
    assert retitled.status_code == 200, retitled.text
