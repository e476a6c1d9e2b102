"""The audit log through real HTTP on both databases: every access to a seeker's data is
recorded (with refused attempts), ``GET /v1/audit`` filters and pages it, it holds no
personal data, and the database itself refuses to change or delete an entry."""

from __future__ import annotations

import datetime as dt
import random
import time
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from service import clock
from service.clock import utcnow
from service.models.base import new_id
from tests.conftest import assert_problem, audit_rows, issue_key, patch_current
from tests.match_helpers import make_employer, seeker_payload, vacancy_payload


def _key_ids(client: TestClient) -> dict[str, list[str]]:
    ids: dict[str, list[str]] = {}
    for key in client.get("/v1/api-keys", params={"limit": 200}).json()["items"]:
        ids.setdefault(key["role"], []).append(key["id"])
    return ids


def _audit(client: TestClient, **params: Any) -> list[dict[str, Any]]:
    """Every entry matching the filters, page by page."""
    items: list[dict[str, Any]] = []
    cursor = None
    while True:
        query = {**params, **({"cursor": cursor} if cursor else {})}
        response = client.get("/v1/audit", params=query)
        assert response.status_code == 200, response.text
        body = response.json()
        items += body["items"]
        cursor = body["next_cursor"]
        if cursor is None:
            return items


def _partner_world(client: TestClient) -> tuple[dict[str, str], str, str]:
    partner = issue_key(client, "partner")
    employer = client.post(
        "/v1/employers",
        headers=partner,
        json={
            "name": "合作企业",
            "credit_code": "91110000600037341L",
            "kind": "private",
            "district_code": "140302",
            "staff_count": 40,
        },
    )
    assert employer.status_code == 201, employer.text
    vacancy = client.post(
        "/v1/vacancies", headers=partner, json=vacancy_payload(employer.json()["id"])
    )
    assert vacancy.status_code == 201, vacancy.text
    seeker = client.post("/v1/seekers", headers=partner, json=seeker_payload(name="上官云"))
    assert seeker.status_code == 201, seeker.text
    return partner, vacancy.json()["id"], seeker.json()["id"]


def test_every_access_to_a_seeker_is_recorded(client: TestClient) -> None:
    partner, vacancy, seeker = _partner_world(client)
    url = f"/v1/seekers/{seeker}"
    request_ids = []
    for method, path, body in (
        ("GET", url, None),
        ("GET", "/v1/seekers", None),
        ("PATCH", url, {"hukou": "urban", "phone": "13600002222"}),
        ("GET", f"{url}/export", None),
        ("GET", f"{url}/matches", None),
        ("GET", f"{url}/matches/{vacancy}", None),
        ("GET", f"/v1/vacancies/{vacancy}/matches", None),
        ("DELETE", url, None),
    ):
        if method == "PATCH":
            response = patch_current(client, path, json=body, headers=partner)
        else:
            response = client.request(method, path, json=body, headers=partner)
        assert response.status_code < 300, (path, response.text)
        request_ids.append(response.headers["x-request-id"])

    [partner_id] = _key_ids(client)["partner"]
    entries = _audit(client, seeker_id=seeker)
    assert [e["action"] for e in entries] == [
        "seeker.create",
        "seeker.read",
        "seeker.list",
        "seeker.read",
        "seeker.update",
        "seeker.export",
        "matches.for_seeker",
        "matches.pair",
        "matches.candidates",
        "seeker.erase",
    ]  # the second read is patch_current's, before its PATCH
    assert all(e["key_id"] == partner_id and e["role"] == "partner" for e in entries)
    assert all(e["outcome"] == "ok" and seeker in e["seeker_ids"] for e in entries)
    assert [e["request_id"] for e in entries[1:3]] == request_ids[:2]
    assert entries[-1]["request_id"] == request_ids[-1]
    update = entries[4]
    assert update["fields"] == ["hukou", "phone"]  # names only, never the values
    candidates = entries[8]
    assert candidates["resource_type"] == "vacancy" and candidates["resource_id"] == vacancy
    times = [dt.datetime.fromisoformat(e["at"]) for e in entries]
    assert times == sorted(times)


def test_lists_record_every_seeker_shown(client: TestClient) -> None:
    ids = []
    for _ in range(3):
        created = client.post("/v1/seekers", json=seeker_payload())
        assert created.status_code == 201, created.text
        ids.append(created.json()["id"])
    employer = make_employer(client)
    vacancy = client.post("/v1/vacancies", json=vacancy_payload(employer)).json()["id"]
    assert client.get("/v1/seekers", params={"limit": 2}).status_code == 200
    assert client.get(f"/v1/vacancies/{vacancy}/matches").status_code == 200
    [listing] = _audit(client, action="seeker.list")
    assert listing["seeker_ids"] == sorted(ids)[:2]
    [shown] = _audit(client, action="matches.candidates")
    assert sorted(shown["seeker_ids"]) == sorted(ids)
    for seeker in ids:  # each person's own trail shows the candidate list
        assert "matches.candidates" in {e["action"] for e in _audit(client, seeker_id=seeker)}


def test_refused_attempts_are_recorded_too(client: TestClient) -> None:
    _, _, seeker = _partner_world(client)
    snooper = issue_key(client, "partner")
    url = f"/v1/seekers/{seeker}"
    assert_problem(client.get(url, headers=snooper), 404)
    assert_problem(client.delete(url, headers=snooper), 404)
    assert_problem(client.get(f"{url}/matches", headers=snooper), 404)
    snooper_id = [
        k for k in _key_ids(client)["partner"] if _audit(client, key_id=k, outcome="denied")
    ]
    denied = _audit(client, outcome="denied")
    assert [e["action"] for e in denied] == ["seeker.read", "seeker.erase", "matches.for_seeker"]
    assert {e["key_id"] for e in denied} == set(snooper_id) and len(snooper_id) == 1
    assert all(e["seeker_ids"] == [seeker] for e in denied)
    assert client.get(url).status_code == 200  # untouched


def test_filters_and_cursor_pagination(client: TestClient) -> None:
    first_key, second_key = issue_key(client, "counselor"), issue_key(client, "counselor")
    before = utcnow()
    for headers in (first_key, second_key, first_key):
        assert client.post("/v1/seekers", json=seeker_payload(), headers=headers).status_code == 201
    time.sleep(0.01)
    middle = utcnow()
    time.sleep(0.01)
    assert client.get("/v1/seekers", headers=second_key).status_code == 200

    everything = _audit(client)
    paged = _audit(client, limit=1)
    assert [e["id"] for e in paged] == [e["id"] for e in everything]
    assert len({e["id"] for e in paged}) == len(paged)
    counselor_ids = _key_ids(client)["counselor"]
    by_key = {k: _audit(client, key_id=k) for k in counselor_ids}
    assert sorted(len(v) for v in by_key.values()) == [2, 2]
    created = _audit(client, action="seeker.create", since=before.isoformat())
    assert len(created) == 3
    assert [e["action"] for e in _audit(client, since=middle.isoformat())] == ["seeker.list"]
    early = _audit(client, since=before.isoformat(), until=middle.isoformat())
    assert [e["action"] for e in early] == ["seeker.create"] * 3


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"since": "2026-12-01T00:00:00"}, "since"),
        ({"since": "2026-12-02T00:00:00Z", "until": "2026-12-01T00:00:00Z"}, "until"),
        ({"action": "seeker.peek"}, "action"),
        ({"seeker_id": ""}, "seeker_id"),
        ({"seeker": "skr_x"}, "seeker"),
    ],
)
def test_bad_filters_are_422_naming_the_field(
    client: TestClient, query: dict[str, str], field: str
) -> None:
    problem = assert_problem(client.get("/v1/audit", params=query), 422)
    assert field in {e["field"] for e in problem["errors"]}


def test_key_management_is_recorded(client: TestClient) -> None:
    created = client.post("/v1/api-keys", json={"role": "kiosk", "name": "展位 3"})
    assert client.delete(f"/v1/api-keys/{created.json()['id']}").status_code == 204
    entries = _audit(client, action="api_key.create") + _audit(client, action="api_key.revoke")
    assert [(e["resource_type"], e["resource_id"]) for e in entries] == [
        ("api_key", created.json()["id"])
    ] * 2


def test_the_log_holds_no_personal_data(client: TestClient, raw_db: sa.Engine) -> None:
    body = seeker_payload(name="端木晴", phone="13511112222")
    created = client.post("/v1/seekers", json=body)
    url = f"/v1/seekers/{created.json()['id']}"
    patch_current(client, url, json={"name": "端木晴川", "phone": "13533334444"})
    client.get(f"{url}/export")
    rows = audit_rows(raw_db)
    assert len(rows) >= 4
    text = repr(rows)
    for secret in (
        "端木晴",
        "13511112222",
        "13533334444",
        body["id_number"],
        body["disability"]["certificate_number"],
    ):
        assert secret not in text


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE audit_event SET key_id = 'key_forged'",
        "DELETE FROM audit_event",
        "UPDATE audit_subject SET seeker_id = 'skr_other'",
        "DELETE FROM audit_subject",
    ],
)
def test_the_database_refuses_to_rewrite_the_log(
    client: TestClient, raw_db: sa.Engine, statement: str
) -> None:
    client.post("/v1/seekers", json=seeker_payload())
    before = audit_rows(raw_db)
    assert before and before[0]["seeker_ids"]
    with pytest.raises(sa.exc.DatabaseError, match="append-only"), raw_db.begin() as conn:
        conn.execute(sa.text(statement))
    assert audit_rows(raw_db) == before


def test_ids_sort_by_creation_time(monkeypatch: pytest.MonkeyPatch) -> None:
    """Ids (audit entries, cursors) sort as their creation times, over the whole clock."""
    rng = random.Random(7)
    made = []
    monkeypatch.setattr(clock, "_offset", dt.timedelta(0))
    for _ in range(300):
        ms = rng.randrange(1, 2**48)
        monkeypatch.setattr(clock.time, "time", lambda ms=ms: ms / 1000)
        made.append((ms, new_id("aud")))
    assert [i for _, i in sorted(made)] == sorted(i for _, i in made)


@pytest.mark.parametrize("value", ["0", "1764547200.5", "soon", "2026-12-01"])
def test_times_must_be_iso_8601_with_a_zone(client: TestClient, value: str) -> None:
    problem = assert_problem(client.get("/v1/audit", params={"since": value}), 422)
    assert [e["field"] for e in problem["errors"]] == ["since"]


def test_refusals_by_role_are_recorded(client: TestClient) -> None:
    """A role without the action at all (403) is recorded too, when it aimed at a seeker."""
    created = client.post(
        "/v1/seekers", headers=issue_key(client, "kiosk"), json=seeker_payload()
    ).json()["id"]
    kiosk, analyst = issue_key(client, "kiosk"), issue_key(client, "analyst")
    assert_problem(
        patch_current(client, f"/v1/seekers/{created}", json={"hukou": "urban"}, headers=kiosk), 403
    )
    assert_problem(client.get("/v1/seekers", headers=analyst), 403)
    assert_problem(client.get(f"/v1/seekers/{created}/matches", headers=analyst), 403)
    denied = [(e["role"], e["action"], e["seeker_ids"]) for e in _audit(client, outcome="denied")]
    assert ("kiosk", "seeker.update", [created]) in denied
    assert ("analyst", "seeker.list", []) in denied
    assert ("analyst", "matches.for_seeker", [created]) in denied


def test_a_replayed_registration_is_recorded(client: TestClient) -> None:
    headers = {"Idempotency-Key": "again-1"}
    body = seeker_payload()
    first = client.post("/v1/seekers", json=body, headers=headers)
    again = client.post("/v1/seekers", json=body, headers=headers)
    assert again.headers["idempotent-replayed"] == "true"
    entries = _audit(client, seeker_id=first.json()["id"])
    assert [(e["action"], e["outcome"]) for e in entries] == [
        ("seeker.create", "ok"),
        ("seeker.create", "replayed"),
    ]
    assert entries[1]["request_id"] == again.headers["x-request-id"]


def test_time_filters_honour_the_offset(client: TestClient) -> None:
    """since/until in +08:00 (China time) mean the same instants as in UTC."""
    before = utcnow() - dt.timedelta(seconds=1)
    assert client.post("/v1/seekers", json=seeker_payload()).status_code == 201
    china = dt.timezone(dt.timedelta(hours=8))
    after_in_china = (before + dt.timedelta(minutes=5)).astimezone(china).isoformat()
    before_in_china = before.astimezone(china).isoformat()
    assert len(_audit(client, since=before_in_china, action="seeker.create")) == 1
    assert _audit(client, since=after_in_china, action="seeker.create") == []
    assert len(_audit(client, until=after_in_china, action="seeker.create")) == 1


def test_the_log_cannot_be_emptied(client: TestClient, raw_db: sa.Engine) -> None:
    client.post("/v1/seekers", json=seeker_payload())
    before = audit_rows(raw_db)
    # PostgreSQL's TRUNCATE skips row triggers: a statement trigger refuses it too.
    statement = (
        "TRUNCATE audit_event CASCADE"
        if raw_db.dialect.name == "postgresql"
        else "DELETE FROM audit_event"
    )
    with pytest.raises(sa.exc.DatabaseError, match="append-only"), raw_db.begin() as conn:
        conn.execute(sa.text(statement))
    assert audit_rows(raw_db) == before
