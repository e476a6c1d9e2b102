"""Cancelling a start still to come: the placement goes and the vacancy's opening, the
person's status and the referral's hire move back with it (both databases)."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from fastapi.testclient import TestClient

from service.rules import today_in_china
from tests.conftest import assert_problem, issue_key, row_counts
from tests.match_helpers import make_employer, make_seeker, make_vacancy

TODAY = today_in_china()


def _offered_referral(client: TestClient, seeker: str, vacancy: str) -> str:
    made = client.post(
        "/v1/referrals", json={"seeker_id": seeker, "vacancy_id": vacancy, "source": "counselor"}
    )
    assert made.status_code == 201, made.text
    rid = made.json()["id"]
    for step in ("interview_scheduled", "interviewed", "offered"):
        etag = client.get(f"/v1/referrals/{rid}").headers["etag"]
        assert (
            client.patch(
                f"/v1/referrals/{rid}", json={"status": step}, headers={"If-Match": etag}
            ).status_code
            == 200
        )
    return str(rid)


def _place(client: TestClient, seeker: str, employer: str, start: dt.date, **extra: str) -> str:
    made = client.post(
        "/v1/placements",
        json={
            "seeker_id": seeker,
            "employer_id": employer,
            "start_date": start.isoformat(),
            "form": "quota",
            "counts_as_new": True,
            **extra,
        },
    )
    assert made.status_code == 201, made.text
    return str(made.json()["id"])


def test_a_start_that_fell_through_is_undone(client: TestClient) -> None:
    seeker, employer = make_seeker(client), make_employer(client)
    vacancy = make_vacancy(client, employer, openings=1)
    referral = _offered_referral(client, seeker, vacancy)
    placement = _place(
        client, seeker, employer, TODAY + dt.timedelta(days=30), referral_id=referral
    )
    assert client.get(f"/v1/vacancies/{vacancy}").json()["status"] == "filled"
    assert client.get(f"/v1/seekers/{seeker}").json()["status"] == "employed"

    assert client.delete(f"/v1/placements/{placement}").status_code == 204

    assert_problem(client.get(f"/v1/placements/{placement}"), 404)
    back = client.get(f"/v1/vacancies/{vacancy}").json()
    assert (back["status"], back["openings_filled"]) == ("open", 0)
    assert client.get(f"/v1/seekers/{seeker}").json()["status"] == "seeking"
    history = client.get(f"/v1/seekers/{seeker}/status-history").json()["items"]
    assert [h["cause"] for h in history] == ["registration", "placement", "placement_cancelled"]
    undone = client.get(f"/v1/referrals/{referral}").json()
    assert undone["status"] == "offered"
    assert [(e["from_status"], e["to_status"]) for e in undone["events"][-2:]] == [
        ("offered", "hired"),
        ("hired", "offered"),
    ]
    # The person can be placed again, and the vacancy matched again.
    _place(client, seeker, employer, TODAY, referral_id=referral)


def test_a_started_job_is_ended_not_cancelled(client: TestClient, raw_db: sa.Engine) -> None:
    seeker, employer = make_seeker(client), make_employer(client)
    started = _place(client, seeker, employer, TODAY - dt.timedelta(days=2))
    before = row_counts(raw_db)
    problem = assert_problem(client.delete(f"/v1/placements/{started}"), 409)
    assert problem["errors"][0]["code"] == "already_started"
    assert row_counts(raw_db) == before
    other = make_seeker(client)
    ahead = _place(client, other, employer, TODAY + dt.timedelta(days=5))
    for role in ("kiosk", "partner", "analyst"):
        assert_problem(
            client.delete(f"/v1/placements/{ahead}", headers=issue_key(client, role)), 403
        )
    assert client.get(f"/v1/placements/{ahead}").status_code == 200
