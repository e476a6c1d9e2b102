"""Seekers through HTTP, on SQLite and PostgreSQL: validation, derived fields, storage."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from service.rules import today_in_china
from tests.conftest import audit_rows, patch_current, row_counts
from tests.factories import id_number, seeker_body

TOMORROW = (today_in_china() + dt.timedelta(days=1)).isoformat()
GOOD_ID = id_number(dt.date(1995, 3, 14), 123)


def _set(body: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    *parents, leaf = path.split(".")
    node = body
    for part in parents:
        node = node[part]
    if value is _DROP:
        del node[leaf]
    else:
        node[leaf] = value
    return body


_DROP = object()

BAD_INPUTS = [
    ("id_number", "14030219950314123X", "id_number"),
    ("id_number", "1403021995031412", "id_number"),
    ("id_number", id_number(dt.date(1995, 3, 14), 123, division="999999"), "id_number"),
    ("id_number", id_number(today_in_china() + dt.timedelta(days=400), 123), "id_number"),
    (
        "disability.certificate_number",
        id_number(dt.date(1990, 1, 1), 5) + "12",
        "disability.certificate_number",
    ),
    ("disability.certificate_number", GOOD_ID + "22", "disability.certificate_number"),
    ("disability.certificate_number", GOOD_ID + "13", "disability.certificate_number"),
    ("disability.certificate_number", GOOD_ID + "1", "disability.certificate_number"),
    ("disability.category", "blind", "disability.category"),
    ("disability.grade", 5, "disability.grade"),
    ("disability.grade", "2", "disability.grade"),
    ("district_code", "999999", "district_code"),
    ("district_code", "14030", "district_code"),
    ("location.lat", 91, "location.lat"),
    ("location.lon", -181, "location.lon"),
    ("abilities.flying", 3, "abilities.flying"),
    ("abilities.vision", 5, "abilities.vision"),
    ("abilities.vision", -1, "abilities.vision"),
    ("abilities.vision", 2.5, "abilities.vision"),
    ("abilities.vision", "3", "abilities.vision"),
    ("required_accommodations", ["teleporter"], "required_accommodations.0"),
    ("preferences.work_modes", ["underwater"], "preferences.work_modes.0"),
    ("preferences.work_modes", [], "preferences.work_modes"),
    ("preferences.max_commute_km", 0, "preferences.max_commute_km"),
    ("preferences.occupations", ["forty-two"], "preferences.occupations.0"),
    ("graduation_date", TOMORROW, "graduation_date"),
    ("graduation_date", "1990-06-30", "graduation_date"),
    ("assessment.assessed_on", TOMORROW, "assessment.assessed_on"),
    ("consent.sensitive_data", False, "consent.sensitive_data"),
    ("name", _DROP, "name"),
    ("name", "", "name"),
    ("hukou", "suburban", "hukou"),
    ("education", "phd", "education"),
    ("phone", "12345", "phone"),
    ("experience_years", -1, "experience_years"),
    ("skills", ["x" * 51], "skills.0"),
    ("nickname", "小李", "nickname"),
]


@pytest.mark.parametrize(
    ("path", "value", "field"), BAD_INPUTS, ids=[f"{p}={v!r}"[:60] for p, v, _ in BAD_INPUTS]
)
def test_bad_input_is_422_naming_the_field_and_stores_nothing(
    client: TestClient, raw_db: sa.Engine, path: str, value: Any, field: str
) -> None:
    before = row_counts(raw_db)
    body = _set(seeker_body(id_number=GOOD_ID), path, value)
    response = client.post("/v1/seekers", json=body)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["status"] == 422 and problem["type"] and problem["title"]
    assert field in [e["field"] for e in problem["errors"]], problem
    assert row_counts(raw_db) == before


def test_create_returns_derived_and_masked_fields(client: TestClient) -> None:
    response = client.post("/v1/seekers", json=seeker_body(id_number=GOOD_ID.lower()))
    assert response.status_code == 201, response.text
    seeker = response.json()
    assert response.headers["location"] == f"/v1/seekers/{seeker['id']}"
    assert seeker["birth_date"] == "1995-03-14"
    assert seeker["sex"] == "male"
    assert seeker["working_age"] is True
    assert seeker["id_number_masked"] == GOOD_ID[:6] + "********" + GOOD_ID[-4:]
    assert seeker["certificate_number_masked"].endswith("12")
    assert seeker["phone_masked"] == "139****5678"
    assert set(seeker["priority_groups"]) == {"graduate", "rural", "severe_disability", "blind"}
    assert seeker["abilities"]["vision"] == 1 and seeker["abilities"]["hearing"] == 4
    assert "vision" not in seeker["abilities_estimated"]
    assert "walking" in seeker["abilities_estimated"]
    assert seeker["consent"]["recorded_by"].startswith("key_")
    text = response.text
    assert GOOD_ID not in text and GOOD_ID.lower() not in text and "13912345678" not in text
    assert client.get(f"/v1/seekers/{seeker['id']}").json() == seeker


def test_missing_assessment_is_estimated_from_category_and_grade(client: TestClient) -> None:
    body = seeker_body(category="visual", grade=1, abilities=None, assessment=None)
    seeker = client.post("/v1/seekers", json=body).json()
    assert seeker["abilities"]["vision"] == 0
    assert len(seeker["abilities_estimated"]) == 13
    deaf = seeker_body(
        id_number=id_number(dt.date(1990, 5, 5), 222), category="hearing", grade=2, abilities=None
    )
    assert client.post("/v1/seekers", json=deaf).json()["abilities"]["hearing"] == 1


def test_same_id_number_twice_is_409_and_stores_nothing(
    client: TestClient, raw_db: sa.Engine
) -> None:
    first = client.post("/v1/seekers", json=seeker_body())
    assert first.status_code == 201
    before = row_counts(raw_db)
    again = client.post("/v1/seekers", json=seeker_body(name="王五", phone=None))
    assert again.status_code == 409
    assert again.json()["errors"][0]["field"] == "id_number"
    assert row_counts(raw_db) == before
    # The 409 tells the caller the number is registered: the attempt is in the audit log,
    # under the person already registered.
    [attempt] = audit_rows(raw_db, outcome="conflict")
    assert attempt["action"] == "seeker.create"
    assert attempt["seeker_ids"] == [first.json()["id"]]


def test_external_id_is_unique_per_key(client: TestClient) -> None:
    first = seeker_body(external_id="crm-1")
    assert client.post("/v1/seekers", json=first).status_code == 201
    second = seeker_body(id_number=id_number(dt.date(1990, 5, 5), 222), external_id="crm-1")
    assert client.post("/v1/seekers", json=second).status_code == 409


def test_patch_updates_and_rechecks(client: TestClient, raw_db: sa.Engine) -> None:
    seeker = client.post("/v1/seekers", json=seeker_body()).json()
    url = f"/v1/seekers/{seeker['id']}"
    patched = patch_current(
        client,
        url,
        json={
            "hukou": "urban",
            "status": "employed",
            "consent": {"sensitive_data": True, "share_with_employers": False},
        },
    )
    assert patched.status_code == 200, patched.text
    body = patched.json()
    assert body["hukou"] == "urban" and body["status"] == "employed"
    assert "rural" not in body["priority_groups"]
    assert body["consent"]["share_with_employers"] is False
    assert body["updated_at"] >= seeker["updated_at"]
    before = row_counts(raw_db)
    other = id_number(dt.date(1990, 5, 5), 222)
    # A new ID number needs a matching certificate.
    mismatch = patch_current(client, url, json={"id_number": other})
    assert mismatch.status_code == 422
    assert mismatch.json()["errors"][0]["field"] == "disability.certificate_number"
    assert patch_current(client, url, json={"name": None}).status_code == 422
    assert patch_current(client, url, json={"abilities": {"vision": 9}}).status_code == 422
    assert client.get(url).json()["hukou"] == "urban"
    assert row_counts(raw_db) == before
    moved = patch_current(
        client,
        url,
        json={
            "id_number": other,
            "disability": {"category": "hearing", "grade": 3, "certificate_number": other + "23"},
        },
    )
    assert moved.status_code == 200, moved.text
    assert moved.json()["birth_date"] == "1990-05-05"
    assert moved.json()["sex"] == "female"
    assert "blind" not in moved.json()["priority_groups"]


def test_patch_to_an_id_number_already_registered_is_409(client: TestClient) -> None:
    client.post("/v1/seekers", json=seeker_body())
    other = id_number(dt.date(1990, 5, 5), 222)
    second = client.post("/v1/seekers", json=seeker_body(id_number=other)).json()
    response = patch_current(
        client,
        f"/v1/seekers/{second['id']}",
        json={
            "id_number": GOOD_ID,
            "disability": {"category": "visual", "grade": 2, "certificate_number": GOOD_ID + "12"},
        },
    )
    assert response.status_code == 409


def test_delete_erases_the_row(client: TestClient, raw_db: sa.Engine) -> None:
    seeker = client.post("/v1/seekers", json=seeker_body()).json()
    assert client.delete(f"/v1/seekers/{seeker['id']}").status_code == 204
    assert client.get(f"/v1/seekers/{seeker['id']}").status_code == 404
    assert client.delete(f"/v1/seekers/{seeker['id']}").status_code == 404
    assert row_counts(raw_db)["seeker"] == 0


def _register_population(client: TestClient) -> list[dict[str, Any]]:
    people = [
        dict(category="visual", grade=1, hukou="rural", district_code="140302"),
        dict(
            category="hearing",
            grade=3,
            hukou="urban",
            district_code="140311",
            education="vocational",
            graduation_date=None,
            required_accommodations=[],
        ),
        dict(
            category="physical",
            grade=2,
            hukou="urban",
            district_code="140321",
            hard_to_employ=True,
            required_accommodations=["step_free_access"],
        ),
        dict(
            category="intellectual",
            grade=4,
            hukou="rural",
            district_code="140322",
            poverty_monitoring=True,
            education="primary",
            graduation_date=None,
        ),
        dict(
            category="mental",
            grade=3,
            hukou="urban",
            district_code="110105",
            education="master",
            graduation_date="2020-07-01",
        ),
    ]
    created = []
    for i, person in enumerate(people):
        number = id_number(dt.date(1985 + i, 1 + i, 10 + i), 101 + 2 * i)
        body = seeker_body(id_number=number, abilities=None, **person)
        response = client.post("/v1/seekers", json=body)
        assert response.status_code == 201, response.text
        created.append(response.json())
    return created


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", 5),
        ("district_code=1403", 4),
        ("district_code=140302", 1),
        ("category=hearing", 1),
        ("priority_group=rural", 2),
        ("priority_group=graduate", 2),
        ("priority_group=hard_to_employ", 1),
        ("priority_group=poverty_monitoring", 1),
        ("priority_group=severe_disability", 2),
        ("priority_group=blind", 1),
        ("status=seeking", 5),
        ("status=employed", 0),
    ],
)
def test_list_filters(client: TestClient, query: str, expected: int) -> None:
    _register_population(client)
    response = client.get(f"/v1/seekers?{query}")
    assert response.status_code == 200, response.text
    assert len(response.json()["items"]) == expected


def test_cursor_pagination_walks_everything_once(client: TestClient) -> None:
    created = {s["id"] for s in _register_population(client)}
    seen: list[str] = []
    url = "/v1/seekers?limit=2"
    while True:
        page = client.get(url).json()
        seen += [s["id"] for s in page["items"]]
        if page["next_cursor"] is None:
            break
        url = f"/v1/seekers?limit=2&cursor={page['next_cursor']}"
    assert len(seen) == len(set(seen)) == 5 and set(seen) == created
    bad = client.get("/v1/seekers?cursor=not-a-cursor")
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "cursor"
    assert client.get("/v1/seekers?limit=0").status_code == 422
    assert client.get("/v1/seekers?limit=201").status_code == 422
    assert client.get("/v1/seekers?priority_group=vip").status_code == 422


def test_database_holds_no_plaintext_identifiers(
    client: TestClient, raw_db: sa.Engine, db_url: str
) -> None:
    body = seeker_body(name="欧阳娜娜")
    assert client.post("/v1/seekers", json=body).status_code == 201
    secrets = [GOOD_ID, GOOD_ID + "12", "13912345678", "欧阳娜娜"]
    with raw_db.connect() as conn:
        rows = conn.execute(sa.text("SELECT * FROM seeker")).mappings().all()
    dump = repr([dict(r) for r in rows])
    for secret in secrets:
        assert secret not in dump
    if db_url.startswith("sqlite"):
        with raw_db.connect() as conn:
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        path = Path(db_url.removeprefix("sqlite:///"))
        raw = b"".join(p.read_bytes() for p in path.parent.glob(path.name + "*"))
        for secret in secrets:
            assert secret.encode() not in raw
