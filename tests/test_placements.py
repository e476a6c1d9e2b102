"""Placements through HTTP, on SQLite and PostgreSQL: the start and what follows it in the
same transaction (seeker status, vacancy openings, referral hired), refusals that store
nothing, ending with If-Match, access by role and the audit log.  Referrals are made as
rows (tests/placement_helpers.py): the referral pipeline is tested in test_referrals."""

from __future__ import annotations

import datetime as dt
import json
import threading
import time
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlmodel import Session

from service.repositories import placements as repo
from tests.conftest import assert_problem, audit_rows, issue_key, patch_current, row_counts
from tests.match_helpers import make_employer, make_seeker, make_vacancy, matched_ids
from tests.placement_helpers import (
    TODAY,
    make_referral,
    months_ago,
    place,
    placement_body,
    registered_long_ago,
    scalar,
    status_history,
    visit,
)


def _json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


def _seeker_status(client: TestClient, seeker_id: str) -> str:
    return str(client.get(f"/v1/seekers/{seeker_id}").json()["status"])


def test_placement_from_an_offered_referral(client: TestClient, raw_db: sa.Engine) -> None:
    person, other = make_seeker(client), make_seeker(client)
    registered_long_ago(raw_db, person)
    employer = make_employer(client)
    vacancy = make_vacancy(client, employer, openings=1)
    assert vacancy in matched_ids(client, other)
    referral = make_referral(raw_db, person, vacancy, "offered")
    start = TODAY - dt.timedelta(days=3)

    response = client.post(
        "/v1/placements",
        json=placement_body(person, employer, referral_id=referral, start_date=start.isoformat()),
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert response.headers["location"] == f"/v1/placements/{body['id']}"
    assert response.headers["etag"] == '"v1"'
    assert response.headers["cache-control"] == "no-store"
    assert body["vacancy_id"] == vacancy  # the referral's
    assert body["referral_id"] == referral and body["district_code"] == "140302"
    assert (body["end_date"], body["visits"], body["retained_6_months"]) == (None, [], None)
    assert [m["month"] for m in body["follow_ups"]] == [1, 3, 6, 12]
    assert {m["status"] for m in body["follow_ups"]} == {"upcoming"}

    assert scalar(raw_db, "SELECT status FROM referral WHERE id = :r", r=referral) == "hired"
    assert (
        scalar(raw_db, "SELECT to_status FROM referral_event WHERE referral_id = :r", r=referral)
        == "hired"
    )
    assert _seeker_status(client, person) == "employed"
    assert status_history(raw_db, person)[-1] == {
        "status": "employed",
        "date": start.isoformat(),
        "cause": "placement",
        "placement_id": body["id"],
    }
    filled = client.get(f"/v1/vacancies/{vacancy}")
    assert (filled.json()["openings_filled"], filled.json()["status"]) == (1, "filled")
    assert filled.headers["etag"] == '"v2"'
    assert vacancy not in matched_ids(client, other)  # a filled vacancy stops matching

    read = client.get(f"/v1/placements/{body['id']}")
    assert read.status_code == 200 and read.json() == body
    actions = {(e["action"], tuple(e["seeker_ids"])) for e in audit_rows(raw_db)}
    assert {
        ("placement.create", (person,)),
        ("referral.update", (person,)),
        ("placement.read", (person,)),
    } <= actions


def test_one_job_at_a_time_and_a_start_before_registration(
    client: TestClient, raw_db: sa.Engine
) -> None:
    person, employer = make_seeker(client), make_employer(client)
    first = place(client, person, employer, form="self_employed", start_date=months_ago(7))
    assert first["vacancy_id"] is None
    # Registered today, started seven months ago: employed now, from today in the history.
    assert _seeker_status(client, person) == "employed"
    assert status_history(raw_db, person)[-1]["date"] == TODAY.isoformat()

    before = row_counts(raw_db)
    again = assert_problem(
        client.post("/v1/placements", json=placement_body(person, employer)), 409
    )
    assert again["errors"][0]["code"] == "already_employed"
    assert first["id"] in again["detail"]
    assert row_counts(raw_db) == before
    ended = patch_current(
        client,
        f"/v1/placements/{first['id']}",
        json={"end_date": months_ago(1).isoformat(), "end_reason": "found_other_job"},
    )
    assert ended.status_code == 200, ended.text
    overlap = client.post(
        "/v1/placements",
        json=placement_body(person, employer, start_date=months_ago(2).isoformat()),
    )
    assert assert_problem(overlap, 409)["errors"][0]["code"] == "overlapping_placement"
    second = place(client, person, employer, start_date=months_ago(1))
    assert _seeker_status(client, person) == "employed"
    assert second["start_date"] == months_ago(1).isoformat()


def test_the_last_opening_cannot_be_filled_twice(client: TestClient, raw_db: sa.Engine) -> None:
    employer = make_employer(client)
    vacancy = make_vacancy(client, employer, openings=2)
    first, second, third = (make_seeker(client) for _ in range(3))
    place(client, first, employer, vacancy_id=vacancy)
    assert client.get(f"/v1/vacancies/{vacancy}").json()["status"] == "open"
    place(client, second, employer, vacancy_id=vacancy)
    state = client.get(f"/v1/vacancies/{vacancy}").json()
    assert (state["openings_filled"], state["status"]) == (2, "filled")

    before = row_counts(raw_db)
    refused = client.post(
        "/v1/placements", json=placement_body(third, employer, vacancy_id=vacancy)
    )
    assert assert_problem(refused, 409)["errors"][0]["code"] == "vacancy_filled"
    assert row_counts(raw_db) == before
    assert _seeker_status(client, third) == "seeking"

    closed = make_vacancy(client, employer)
    assert (
        patch_current(client, f"/v1/vacancies/{closed}", json={"status": "closed"}).status_code
        == 200
    )
    refused = client.post("/v1/placements", json=placement_body(third, employer, vacancy_id=closed))
    assert assert_problem(refused, 409)["errors"][0]["code"] == "vacancy_not_open"


@pytest.fixture
def parties(client: TestClient) -> dict[str, str]:
    employer = make_employer(client)
    return {
        "seeker": make_seeker(client),
        "employer": employer,
        "vacancy": make_vacancy(client, employer),
        "stranger_vacancy": make_vacancy(client, make_employer(client)),
    }


BAD_INPUTS: list[tuple[dict[str, Any], str]] = [
    ({"employer_id": "emp_does_not_exist"}, "employer_id"),
    ({"vacancy_id": "vac_does_not_exist"}, "vacancy_id"),
    ({"vacancy_id": "stranger_vacancy"}, "vacancy_id"),
    ({"referral_id": "ref_does_not_exist"}, "referral_id"),
    ({"start_date": (TODAY + dt.timedelta(days=61)).isoformat()}, "start_date"),
    ({"start_date": "1990-01-01"}, "start_date"),  # before the birth in 1995
    ({"start_date": "2010-01-01"}, "start_date"),  # aged 14
    ({"start_date": "2026-02-30"}, "start_date"),
    ({"start_date": 20260101}, "start_date"),
    ({"form": "gig"}, "form"),
    ({"counts_as_new": "yes"}, "counts_as_new"),
    ({"end_date": TODAY.isoformat()}, "end_date"),
    ({"seeker_id": None}, "seeker_id"),
]


@pytest.mark.parametrize(
    ("change", "field"), BAD_INPUTS, ids=[f"{f}-{i}" for i, (_, f) in enumerate(BAD_INPUTS)]
)
def test_bad_placement_is_422_naming_the_field_and_stores_nothing(
    client: TestClient,
    raw_db: sa.Engine,
    parties: dict[str, str],
    change: dict[str, Any],
    field: str,
) -> None:
    change = {k: parties.get(v, v) if isinstance(v, str) else v for k, v in change.items()}
    before = row_counts(raw_db)
    response = client.post(
        "/v1/placements", json={**placement_body(parties["seeker"], parties["employer"]), **change}
    )
    assert field in [e["field"] for e in assert_problem(response, 422)["errors"]]
    assert row_counts(raw_db) == before


def test_referrals_that_cannot_be_placed(
    client: TestClient, raw_db: sa.Engine, parties: dict[str, str]
) -> None:
    seeker, employer, vacancy = parties["seeker"], parties["employer"], parties["vacancy"]
    other = make_seeker(client)
    interviewed = make_referral(raw_db, seeker, vacancy, "interviewed")
    foreign = make_referral(raw_db, other, vacancy, "offered")
    before = row_counts(raw_db)
    response = client.post(
        "/v1/placements", json=placement_body(seeker, employer, referral_id=interviewed)
    )
    body = assert_problem(response, 409)
    assert body["errors"][0]["code"] == "referral_status" and "'interviewed'" in body["detail"]
    response = client.post(
        "/v1/placements", json=placement_body(seeker, employer, referral_id=foreign)
    )
    assert assert_problem(response, 422)["errors"][0]["code"] == "referral_seeker_mismatch"
    response = client.post(
        "/v1/placements",
        json=placement_body(
            other, employer, referral_id=foreign, vacancy_id=parties["stranger_vacancy"]
        ),
    )
    assert "referral_vacancy_mismatch" in {
        e["code"] for e in assert_problem(response, 422)["errors"]
    }
    assert assert_problem(
        client.post("/v1/placements", json=placement_body("skr_nobody", employer)), 404
    )
    assert row_counts(raw_db) == before

    hired = make_referral(raw_db, other, vacancy, "hired")
    placed = place(client, other, employer, referral_id=hired, vacancy_id=vacancy)
    assert scalar(raw_db, "SELECT status FROM referral WHERE id = :r", r=hired) == "hired"
    assert (
        patch_current(
            client,
            f"/v1/placements/{placed['id']}",
            json={"end_date": TODAY.isoformat(), "end_reason": "dismissed"},
        ).status_code
        == 200
    )
    again = client.post("/v1/placements", json=placement_body(other, employer, referral_id=hired))
    assert assert_problem(again, 409)["errors"][0]["code"] == "referral_already_placed"


def test_ending_with_if_match(client: TestClient, raw_db: sa.Engine) -> None:
    person, employer = make_seeker(client), make_employer(client)
    registered_long_ago(raw_db, person)
    placement = place(client, person, employer, start_date=months_ago(4))
    url = f"/v1/placements/{placement['id']}"
    end = {"end_date": months_ago(1).isoformat(), "end_reason": "resigned_workload"}
    assert_problem(client.patch(url, json=end), 428)
    assert_problem(client.patch(url, json=end, headers={"If-Match": '"v9"'}), 412)
    for partial, missing in (
        ({"end_date": end["end_date"]}, "end_reason"),
        ({"end_reason": "dismissed"}, "end_date"),
    ):
        problem = assert_problem(patch_current(client, url, json=partial), 422)
        assert problem["errors"][0]["field"] == missing
    early = {**end, "end_date": months_ago(5).isoformat()}
    assert (
        assert_problem(patch_current(client, url, json=early), 422)["errors"][0]["code"]
        == "end_before_start"
    )
    assert_problem(
        patch_current(client, url, json={"end_date": None, "end_reason": "dismissed"}), 422
    )
    assert _seeker_status(client, person) == "employed"

    response = client.patch(url, json=end, headers={"If-Match": '"v1"'})
    assert response.status_code == 200, response.text
    assert response.headers["etag"] == '"v2"'
    body = response.json()
    assert (body["end_date"], body["end_reason"]) == (end["end_date"], "resigned_workload")
    assert body["retained_6_months"] is False
    # The job ended in the 3-month window: that visit is still owed; later ones are not.
    assert [m["status"] for m in body["follow_ups"]] == [
        "missed",
        "overdue",
        "not_needed",
        "not_needed",
    ]
    assert _seeker_status(client, person) == "seeking"
    assert status_history(raw_db, person)[-1] == {
        "status": "seeking",
        "date": end["end_date"],
        "cause": "placement_ended",
        "placement_id": placement["id"],
    }
    twice = patch_current(client, url, json={**end, "end_reason": "dismissed"})
    assert assert_problem(twice, 409)["errors"][0]["code"] == "already_ended"
    corrected = patch_current(client, url, json={"form": "dispatch", "counts_as_new": False})
    assert corrected.status_code == 200, corrected.text
    assert (corrected.json()["form"], corrected.json()["counts_as_new"]) == ("dispatch", False)
    updates = audit_rows(raw_db, action="placement.update", outcome="ok")
    assert [sorted(_json(e["fields"])) for e in updates] == [
        ["end_date", "end_reason"],
        ["counts_as_new", "form"],
    ]
    assert {tuple(e["seeker_ids"]) for e in updates} == {(person,)}


def test_a_retired_person_leaves_the_labour_market(client: TestClient) -> None:
    person, employer = make_seeker(client), make_employer(client)
    placement = place(client, person, employer, start_date=months_ago(9))
    visit(client, placement["id"], TODAY, still_employed=False, reason_left="retired")
    assert _seeker_status(client, person) == "inactive"


def test_list_filters(client: TestClient, raw_db: sa.Engine) -> None:
    employer = make_employer(client)
    people = [make_seeker(client, district=d) for d in ("140302", "140303", "140311")]
    retained = place(client, people[0], employer, start_date=months_ago(8))
    visit(client, retained["id"], months_ago(1))
    left = place(client, people[1], employer, start_date=months_ago(8))
    visit(client, left["id"], months_ago(5), still_employed=False, reason_left="health")
    recent = place(client, people[2], employer, start_date=months_ago(0, days=10))

    def ids(**params: Any) -> list[str]:
        response = client.get("/v1/placements", params=params)
        assert response.status_code == 200, response.text
        return [p["id"] for p in response.json()["items"]]

    assert ids() == [retained["id"], left["id"], recent["id"]]
    assert ids(retained_6_months="true") == [retained["id"]]
    assert ids(retained_6_months="false") == [left["id"]]
    assert ids(active="true") == [retained["id"], recent["id"]]
    assert ids(active="false") == [left["id"]]
    assert ids(seeker_id=people[1]) == [left["id"]]
    assert ids(district_code="14031") == [recent["id"]]
    assert ids(started_from=months_ago(1).isoformat()) == [recent["id"]]
    assert ids(started_to=months_ago(1).isoformat(), employer_id=employer) == [
        retained["id"],
        left["id"],
    ]
    page = client.get("/v1/placements", params={"limit": 2}).json()
    rest = client.get("/v1/placements", params={"cursor": page["next_cursor"]}).json()
    assert [p["id"] for p in page["items"] + rest["items"]] == ids()
    for bad in (
        {"active": "maybe"},
        {"started_from": "2026-13-01"},
        {"district_code": "1403a"},
        {"status": "open"},
    ):
        assert_problem(client.get("/v1/placements", params=bad), 422)
    listed = audit_rows(raw_db, action="placement.list")
    assert listed[0]["seeker_ids"] == sorted(people)


@pytest.mark.parametrize("role", ["kiosk", "partner", "analyst"])
def test_roles_without_casework_are_refused(
    client: TestClient, raw_db: sa.Engine, role: str
) -> None:
    person, employer = make_seeker(client), make_employer(client)
    placement = place(client, person, employer)
    headers = issue_key(client, role)
    url = f"/v1/placements/{placement['id']}"
    before = row_counts(raw_db)
    answers = [
        client.post("/v1/placements", json=placement_body(person, employer), headers=headers),
        client.get("/v1/placements", headers=headers),
        client.get(url, headers=headers),
        client.patch(url, json={"form": "dispatch"}, headers={**headers, "If-Match": "*"}),
        client.post(
            f"{url}/follow-ups",
            headers=headers,
            json={"date": TODAY.isoformat(), "method": "phone", "still_employed": True},
        ),
        client.get("/v1/follow-ups", headers=headers),
    ]
    for answer in answers:
        assert_problem(answer, 403)
    assert row_counts(raw_db) == before


def test_concurrent_placements_cannot_overfill(client: TestClient, raw_db: sa.Engine) -> None:
    """The guarded UPDATE itself: a second placement waiting on the first one's lock finds
    no opening left once the first commits."""
    vacancy = make_vacancy(client, make_employer(client), openings=1)
    outcome: list[bool] = []

    def second() -> None:
        with Session(raw_db) as other:
            outcome.append(repo.fill_opening(other, vacancy))
            other.commit()

    with Session(raw_db) as first:
        assert repo.fill_opening(first, vacancy)
        waiting = threading.Thread(target=second)
        waiting.start()
        time.sleep(0.3)
        assert not outcome  # blocked behind the first transaction
        first.commit()
    waiting.join(timeout=10)
    assert outcome == [False]
    state = client.get(f"/v1/vacancies/{vacancy}").json()
    assert (state["openings_filled"], state["status"]) == (1, "filled")
