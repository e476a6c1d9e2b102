"""Personal data through real HTTP on both databases: pseudonymous candidate lists for
partners, consent withdrawal taking effect at once (in this process and in another one),
export for access requests, and erasure proven by reading the raw database."""

from __future__ import annotations

import datetime as dt
import json
import struct
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from service.main import create_app
from tests.conftest import ADMIN_KEY, TABLES, assert_problem, issue_key, make_settings
from tests.conftest import patch_current as patch
from tests.match_helpers import credit_code, make_employer, seeker_payload, vacancy_payload

IDENTIFYING = ("name", "id_number", "phone")


def _register(
    client: TestClient, headers: dict[str, str] | None = None, share: bool = True, **fields: Any
) -> dict[str, Any]:
    body = seeker_payload(consent={"sensitive_data": True, "share_with_employers": share}, **fields)
    response = client.post("/v1/seekers", json=body, headers=headers or {})
    assert response.status_code == 201, response.text
    return {**response.json(), "sent": body}


def _partner_vacancy(client: TestClient, partner: dict[str, str]) -> str:
    employer = client.post(
        "/v1/employers",
        headers=partner,
        json={
            "name": "阳泉就业网合作企业",
            "credit_code": "91110000600037341L",
            "kind": "private",
            "district_code": "140302",
            "staff_count": 80,
            "accessibility": [],
        },
    )
    assert employer.status_code == 201, employer.text
    vacancy = client.post(
        "/v1/vacancies", headers=partner, json=vacancy_payload(employer.json()["id"])
    )
    assert vacancy.status_code == 201, vacancy.text
    return str(vacancy.json()["id"])


def _candidates(
    client: TestClient, vacancy_id: str, headers: dict[str, str] | None = None
) -> dict[str, Any]:
    response = client.get(
        f"/v1/vacancies/{vacancy_id}/matches", params={"limit": 50}, headers=headers or {}
    )
    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "no-store"
    return dict(response.json())


def _secrets_of(seeker: dict[str, Any]) -> list[str]:
    sent = seeker["sent"]
    return [
        sent["name"],
        sent["id_number"],
        sent["disability"]["certificate_number"],
        sent["phone"],
        seeker["birth_date"],
        seeker["id_number_masked"],
        json.dumps(sent["location"]["lat"]),
        json.dumps(sent["location"]["lon"]),
    ]


# -- pseudonymous candidates --------------------------------------------------------------


def test_partners_see_pseudonymous_candidates_who_agreed_to_share(client: TestClient) -> None:
    partner = issue_key(client, "partner")
    vacancy = _partner_vacancy(client, partner)
    sharing = _register(client, share=True, name="欧阳明")
    private = _register(client, share=False, name="司马兰")

    full = _candidates(client, vacancy)  # the admin: ids, everyone who consented
    assert full["pseudonymous"] is False
    assert {i["seeker_id"] for i in full["items"]} == {sharing["id"], private["id"]}

    shown = _candidates(client, vacancy, partner)
    assert shown["pseudonymous"] is True
    [item] = shown["items"]
    assert item["seeker_id"].startswith("psn_")
    assert item["seeker_id"] not in (sharing["id"], private["id"])
    assert shown["eligible_count"] == 1
    profile = item["profile"]
    assert set(profile) == {
        "abilities",
        "abilities_estimated",
        "skills",
        "education",
        "experience_years",
    }
    assert profile["skills"] == sharing["skills"]
    assert profile["education"] == sharing["education"]
    assert profile["abilities"] == sharing["abilities"]
    assert item["reasons"] and "priority_groups" in item
    text = json.dumps(shown, ensure_ascii=False)
    for secret in _secrets_of(sharing) + _secrets_of(private) + [sharing["id"], private["id"]]:
        assert secret not in text, secret

    again = _candidates(client, vacancy, partner)
    assert again["items"][0]["seeker_id"] == item["seeker_id"]  # stable for this key


def test_partners_get_no_numbers_to_work_back_from(client: TestClient) -> None:
    """A reason's effect moves with the person's data (a commute's effect is linear in the
    distance): partners get the words, not the numbers, and no commute reason at all."""
    partner = issue_key(client, "partner")
    vacancy = _partner_vacancy(client, partner)
    for km in (1, 9, 14):  # near and far: commute reasons both ways
        _register(client, location={"lat": round(37.86 + km / 111.2, 6), "lon": 113.58})
    full = [r for i in _candidates(client, vacancy)["items"] for r in i["reasons"]]
    assert any(r["code"].startswith("distance_") for r in full)
    assert any(
        r["effect"] is not None and r["code"].endswith(("_raised", "_lowered")) for r in full
    )
    shown = [r for i in _candidates(client, vacancy, partner)["items"] for r in i["reasons"]]
    assert shown
    assert not any(r["code"].startswith("distance_") for r in shown)
    assert all(r["effect"] is None for r in shown if r["code"].endswith(("_raised", "_lowered")))


def test_pseudonyms_differ_between_partners(client: TestClient) -> None:
    first, second = issue_key(client, "partner"), issue_key(client, "partner")
    mine = _partner_vacancy(client, first)
    employer = client.post(
        "/v1/employers",
        headers=second,
        json={
            "name": "另一合作企业",
            "credit_code": credit_code(7),
            "kind": "private",
            "district_code": "140302",
            "staff_count": 80,
            "accessibility": [],
        },
    )
    assert employer.status_code == 201, employer.text
    theirs = client.post(
        "/v1/vacancies", headers=second, json=vacancy_payload(employer.json()["id"])
    )
    assert theirs.status_code == 201, theirs.text
    _register(client)
    one = _candidates(client, mine, first)["items"][0]["seeker_id"]
    two = _candidates(client, theirs.json()["id"], second)["items"][0]["seeker_id"]
    assert one != two  # the two sites cannot link their lists
    # Nor may one partner ask for the other's candidates (readable vacancy: 403).
    assert_problem(client.get(f"/v1/vacancies/{mine}/matches", headers=second), 403)


# -- consent ------------------------------------------------------------------------------


def test_withdrawing_consent_takes_effect_at_once(client: TestClient) -> None:
    partner = issue_key(client, "partner")
    vacancy = _partner_vacancy(client, partner)
    seeker = _register(client, headers=partner)
    url = f"/v1/seekers/{seeker['id']}"
    assert len(_candidates(client, vacancy, partner)["items"]) == 1

    stop_sharing = patch(
        client,
        url,
        headers=partner,
        json={"consent": {"sensitive_data": True, "share_with_employers": False}},
    )
    assert stop_sharing.status_code == 200, stop_sharing.text
    assert stop_sharing.json()["consent"]["share_with_employers"] is False
    assert _candidates(client, vacancy, partner)["items"] == []
    assert [i["seeker_id"] for i in _candidates(client, vacancy)["items"]] == [seeker["id"]]

    withdraw = patch(
        client, url, json={"consent": {"sensitive_data": False, "share_with_employers": False}}
    )
    assert withdraw.status_code == 200, withdraw.text
    assert _candidates(client, vacancy)["items"] == []
    mine = client.get(f"{url}/matches", headers=partner).json()
    assert mine["items"] == [] and "no_consent" in {b["code"] for b in mine["blocking"]}

    history = client.get(f"{url}/export").json()["consent_history"]
    assert [(c["sensitive_data"], c["share_with_employers"]) for c in history] == [
        (True, True),
        (True, False),
        (False, False),
    ]
    keys = {k["role"]: k["id"] for k in client.get("/v1/api-keys").json()["items"]}
    assert [c["recorded_by"] for c in history] == [keys["partner"], keys["partner"], keys["admin"]]
    assert withdraw.json()["consent"]["recorded_by"] == keys["admin"]
    times = [dt.datetime.fromisoformat(c["recorded_at"]) for c in history]
    assert times == sorted(times) and all(t.tzinfo for t in times)


def test_a_withdrawal_in_another_process_counts_before_its_poll(db_url: str) -> None:
    """Two app instances on one database, the index poll set to a minute: the next list
    in the second instance already honours a withdrawal made through the first."""
    settings = make_settings(db_url, index_poll_seconds=60)
    first, second = create_app(settings), create_app(settings)
    with (
        TestClient(first, headers={"X-API-Key": ADMIN_KEY}) as one,
        TestClient(second, headers={"X-API-Key": ADMIN_KEY}) as two,
    ):
        partner = issue_key(one, "partner")
        vacancy = _partner_vacancy(one, partner)
        seeker = _register(one)
        assert len(_candidates(two, vacancy, partner)["items"]) == 1
        response = patch(
            one,
            f"/v1/seekers/{seeker['id']}",
            json={"consent": {"sensitive_data": True, "share_with_employers": False}},
        )
        assert response.status_code == 200, response.text
        assert _candidates(two, vacancy, partner)["items"] == []
    for app in (first, second):
        app.state.engine.dispose()


# -- export -------------------------------------------------------------------------------


def test_export_holds_everything_about_the_person(client: TestClient) -> None:
    kiosk = issue_key(client, "kiosk")
    seeker = _register(client, headers=kiosk, name="诸葛芳")
    url = f"/v1/seekers/{seeker['id']}"
    assert client.get(url).status_code == 200  # a counsellor-side read, audited
    response = client.get(f"{url}/export", headers=kiosk)
    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["etag"].startswith('"h')
    export = response.json()
    sent = seeker["sent"]
    assert export["identifiers"] == {
        "name": "诸葛芳",
        "id_number": sent["id_number"],
        "certificate_number": sent["disability"]["certificate_number"],
        "phone": sent["phone"],
    }
    assert export["record"]["id"] == seeker["id"]
    assert export["abilities_assessed"] == sent["abilities"]
    assert export["registered_by"] == export["consent_history"][0]["recorded_by"]
    actions = [(e["role"], e["action"]) for e in export["access_log"]]
    assert actions == [
        ("kiosk", "seeker.create"),
        ("admin", "seeker.read"),
        ("kiosk", "seeker.export"),
    ]
    # The kiosk sees which roles saw the person, and its own key, not other keys' ids.
    assert [e["key_id"] is None for e in export["access_log"]] == [False, True, False]
    assert client.get(f"{url}/export").json()["access_log"][1]["key_id"] is not None
    assert export["purposes"]


# -- erasure ------------------------------------------------------------------------------


def _every_value(engine: sa.Engine) -> Iterator[tuple[str, str]]:
    with engine.connect() as conn:
        for table in TABLES:
            for row in conn.execute(sa.text(f"SELECT * FROM {table}")).mappings():
                for value in row.values():
                    yield table, json.dumps(value, ensure_ascii=False, default=str)


def test_erasure_removes_the_person_from_the_raw_database(
    client: TestClient, raw_db: sa.Engine, db_url: str
) -> None:
    partner = issue_key(client, "partner")
    vacancy = _partner_vacancy(client, partner)
    created = client.post(
        "/v1/seekers",
        headers={**partner, "Idempotency-Key": "reg-1"},
        json=seeker_payload(
            name="慕容雪", phone="13700001111", location={"lat": 37.8771, "lon": 113.6012}
        ),
    )
    assert created.status_code == 201, created.text
    seeker = {**created.json(), "sent": json.loads(created.request.content)}
    url = f"/v1/seekers/{seeker['id']}"
    patch(client, url, json={"consent": {"sensitive_data": True, "share_with_employers": True}})
    assert len(_candidates(client, vacancy, partner)["items"]) == 1
    with raw_db.connect() as conn:
        stored = conn.execute(sa.text("SELECT * FROM seeker")).mappings().one()
    ciphertexts = [
        stored[c] for c in ("name_enc", "id_number_enc", "certificate_enc", "phone_enc")
    ] + [stored["id_number_hash"]]

    assert client.delete(url, headers=partner).status_code == 204

    secrets = _secrets_of(seeker) + ciphertexts
    # The seeker's opaque id stays only where accountability needs it; the kept
    # registration (its client-chosen key, digest and response) is gone whole.
    allowed_id = {"audit_event", "audit_subject", "change_log"}
    for table, value in _every_value(raw_db):
        for secret in secrets:
            assert secret not in value, (table, secret)
        if table not in allowed_id:
            assert seeker["id"] not in value, table
    with raw_db.connect() as conn:
        counts = {
            t: conn.execute(sa.text(f"SELECT COUNT(*) FROM {t}")).scalar_one()
            for t in ("seeker", "consent_record", "erased_seeker")
        }
        remainder = conn.execute(sa.text("SELECT * FROM erased_seeker")).mappings().one()
        kept = conn.execute(sa.text("SELECT COUNT(*) FROM idempotency_record")).scalar_one()
    assert counts == {"seeker": 0, "consent_record": 0, "erased_seeker": 1}
    assert kept == 0
    assert remainder["district_code"] == seeker["district_code"]
    assert remainder["category"] == seeker["disability"]["category"]
    assert remainder["registered_by_role"] == "partner"
    assert remainder["age_band"] == "25-34"
    assert len(remainder["registered_month"]) == len(remainder["erased_month"]) == 7
    assert not remainder["id"].startswith("era_06")  # random, not a time-ordered id
    if db_url.startswith("sqlite"):
        location = seeker["sent"]["location"]
        stored_reals = [struct.pack(">d", location["lat"]), struct.pack(">d", location["lon"])]
        _assert_files_hold_none(db_url, [x.encode() for x in secrets] + stored_reals)

    # Gone from the match index and from every read; the key is forgotten, so a retry
    # with it is a new registration, not a replay of the erased one.
    assert _candidates(client, vacancy, partner)["items"] == []
    for path in (url, f"{url}/export", f"{url}/matches"):
        assert_problem(client.get(path), 404)
    replay = client.post(
        "/v1/seekers", headers={**partner, "Idempotency-Key": "reg-1"}, json=seeker["sent"]
    )
    assert replay.status_code == 201, replay.text
    assert "idempotent-replayed" not in replay.headers
    assert replay.json()["id"] != seeker["id"]


def _assert_files_hold_none(db_url: str, secrets: list[bytes]) -> None:
    """Deleted rows must not linger in free pages (secure_delete) nor in the write-ahead
    log (the service checkpoints it after an erasure): both files are read as they are."""
    base = Path(db_url.removeprefix("sqlite:///"))
    files = [base, base.with_name(base.name + "-wal")]
    contents = [f.read_bytes() for f in files if f.exists()]
    assert contents and len(contents[0]) > 0
    for secret in secrets:
        assert all(secret not in raw for raw in contents), secret


@pytest.mark.parametrize("role", ["counselor", "admin"])
def test_counsellors_may_erase_anyones_record(
    client: TestClient, raw_db: sa.Engine, role: str
) -> None:
    seeker = _register(client, headers=issue_key(client, "kiosk"))
    assert (
        client.delete(f"/v1/seekers/{seeker['id']}", headers=issue_key(client, role)).status_code
        == 204
    )
    with raw_db.connect() as conn:
        assert conn.execute(sa.text("SELECT COUNT(*) FROM seeker")).scalar_one() == 0
        role_kept = conn.execute(
            sa.text("SELECT registered_by_role FROM erased_seeker")
        ).scalar_one()
    assert role_kept == "kiosk"


def test_registration_conflicts_are_rationed_for_partners(db_url: str) -> None:
    """A 409 tells a partner that an ID number is registered: a key gets only so many."""
    app = create_app(make_settings(db_url, registration_conflict_limit="2/hour"))
    with TestClient(app, headers={"X-API-Key": ADMIN_KEY}) as client:
        partner, counselor = issue_key(client, "partner"), issue_key(client, "counselor")
        known = _register(client)["sent"]
        for _ in range(2):
            assert_problem(client.post("/v1/seekers", json=known, headers=partner), 409)
        limited = client.post("/v1/seekers", json=seeker_payload(), headers=partner)
        assert_problem(limited, 429)  # even a new person, until the window has passed
        assert int(limited.headers["retry-after"]) > 0
        for _ in range(3):  # counsellors are not rationed
            assert_problem(client.post("/v1/seekers", json=known, headers=counselor), 409)
    app.state.engine.dispose()


def test_match_answers_are_not_cached(client: TestClient) -> None:
    seeker = _register(client)["id"]
    vacancy = client.post("/v1/vacancies", json=vacancy_payload(make_employer(client)))
    for path in (
        f"/v1/seekers/{seeker}/matches",
        f"/v1/seekers/{seeker}/matches/{vacancy.json()['id']}",
        f"/v1/vacancies/{vacancy.json()['id']}/matches",
        f"/v1/seekers/{seeker}",
        "/v1/seekers",
        f"/v1/audit?seeker_id={seeker}",
    ):
        response = client.get(path)
        assert response.status_code == 200, path
        assert response.headers["cache-control"] == "no-store", path
