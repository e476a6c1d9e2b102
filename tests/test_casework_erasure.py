"""Erasure and casework: the person goes, an anonymised remainder of their services,
referrals, placements and visits stays for statistics (both databases)."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import sqlalchemy as sa
from fastapi.testclient import TestClient

from service.rules import today_in_china
from service.services.follow_ups import add_months
from tests.match_helpers import make_employer, make_vacancy, seeker_payload

TODAY = today_in_china()
CASEWORK = ("service_record", "seeker_status_change", "referral", "placement")


def _rows(raw_db: sa.Engine, table: str, column: str, value: str) -> list[dict[str, Any]]:
    with raw_db.connect() as conn:
        return [
            dict(r)
            for r in conn.execute(
                sa.text(f"SELECT * FROM {table} WHERE {column} = :v"), {"v": value}
            ).mappings()
        ]


def _json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


def _date(value: Any) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value)[:10])


def _post(
    client: TestClient, url: str, body: dict[str, Any], headers: dict[str, str] | None = None
) -> dict[str, Any]:
    response = client.post(url, json=body, headers=headers or {})
    assert response.status_code == 201, response.text
    return dict(response.json())


def _casework(
    client: TestClient, seeker: str, vacancy: str, employer: str, start: dt.date
) -> tuple[str, str]:
    for type_, details in [
        ("basic_info_check", {"has_employment_need": True, "labour_capacity": "partial"}),
        (
            "ability_assessment",
            {"abilities": {"vision": 3}, "assessor": "评估员张某", "method": "interview"},
        ),
    ]:
        _post(
            client,
            f"/v1/seekers/{seeker}/services",
            {
                "type": type_,
                "date": (start - dt.timedelta(days=30)).isoformat(),
                "channel": "home_visit",
                "agency_district_code": "140302",
                "result": "completed",
                "note": "家住三楼，母亲陪同",
                "details": details,
            },
        )
    referral = client.post(
        "/v1/referrals",
        json={
            "seeker_id": seeker,
            "vacancy_id": vacancy,
            "source": "counselor",
            "override": {"reason": "她的康复医生说可以胜任这份工作"},
        },
    )
    if referral.status_code == 201:  # blocked: overridden; eligible: refer plainly
        referral_id = referral.json()["id"]
    else:
        referral_id = _post(
            client,
            "/v1/referrals",
            {"seeker_id": seeker, "vacancy_id": vacancy, "source": "counselor"},
        )["id"]
    for step in ("interview_scheduled", "interviewed", "offered"):
        etag = client.get(f"/v1/referrals/{referral_id}").headers["etag"]
        moved = client.patch(
            f"/v1/referrals/{referral_id}", json={"status": step}, headers={"If-Match": etag}
        )
        assert moved.status_code == 200, moved.text
    placement = _post(
        client,
        "/v1/placements",
        {
            "seeker_id": seeker,
            "employer_id": employer,
            "referral_id": referral_id,
            "start_date": start.isoformat(),
            "form": "quota",
            "counts_as_new": True,
        },
    )["id"]
    _post(
        client,
        f"/v1/placements/{placement}/follow-ups",
        {"date": add_months(start, 1).isoformat(), "method": "phone", "still_employed": True},
    )
    return referral_id, placement


def test_erasure_keeps_an_anonymised_remainder_of_casework(
    client: TestClient, raw_db: sa.Engine
) -> None:
    employer = make_employer(client)
    # Started on the 20th seven months ago, left on the 10th of the sixth month after: not
    # retained, though the months alone (end month = six-month month) would say it was.
    start = add_months(TODAY, -7).replace(day=20)
    seeker = _post(client, "/v1/seekers", seeker_payload())["id"]
    vacancy = make_vacancy(client, employer)
    referral, placement = _casework(client, seeker, vacancy, employer, start)
    end = add_months(start, 6).replace(day=10)
    etag = client.get(f"/v1/placements/{placement}").headers["etag"]
    ended = client.patch(
        f"/v1/placements/{placement}",
        headers={"If-Match": etag},
        json={"end_date": end.isoformat(), "end_reason": "health"},
    )
    assert ended.status_code == 200, ended.text
    assert ended.json()["retained_6_months"] is False
    with raw_db.begin() as conn:  # a pseudonym a partner was shown
        conn.execute(
            sa.text(
                "INSERT INTO candidate_pseudonym VALUES "
                "('key_p', 'psn_x', :s, '2026-12-01 00:00:00+00')"
            ),
            {"s": seeker},
        )

    assert client.delete(f"/v1/seekers/{seeker}").status_code == 204

    for table in CASEWORK:
        assert _rows(raw_db, table, "seeker_id", seeker) == [], table
    assert _rows(raw_db, "candidate_pseudonym", "seeker_id", seeker) == []
    # New random ids: the audit entries name the old ones beside the person's old id.
    assert _rows(raw_db, "placement", "id", placement) == []
    assert _rows(raw_db, "referral", "id", referral) == []
    with raw_db.connect() as conn:
        [remainder] = conn.execute(sa.text("SELECT id FROM erased_seeker")).scalars()
    [kept] = _rows(raw_db, "placement", "seeker_id", remainder)
    records = _rows(raw_db, "service_record", "seeker_id", remainder)
    assert len(records) == 2
    for record in records:
        assert record["note_enc"] is None and _date(record["date"]).day == 1
        assert set(_json(record["details"])) <= {"has_employment_need", "labour_capacity"}
    assert [_json(r["details"]) for r in records if r["type"] == "ability_assessment"] == [{}]
    [kept_referral] = _rows(raw_db, "referral", "seeker_id", remainder)
    assert kept_referral["override_reason_enc"] is None
    assert kept_referral["interview_at"] is None
    assert kept["referral_id"] == kept_referral["id"]
    assert _date(kept["start_date"]).day == 1 and _date(kept["end_date"]).day == 1
    statuses = _rows(raw_db, "seeker_status_change", "seeker_id", remainder)
    assert {s["cause"] for s in statuses} >= {"registration", "placement", "placement_ended"}
    assert all(_date(s["date"]).day == 1 and s["placement_id"] is None for s in statuses)
    [visit] = _rows(raw_db, "follow_up_visit", "placement_id", kept["id"])
    events = _rows(raw_db, "referral_event", "referral_id", kept_referral["id"])
    assert len(events) == 5  # referred … offered, hired by the placement
    for row in [*records, *statuses, kept_referral, kept, visit, *events]:
        assert all(
            _date(row[c]).day == 1
            for c in ("date", "created_at", "updated_at", "at")
            if row.get(c) is not None
        ), row
        assert not any(old in str(row.values()) for old in (seeker, referral, placement))
    placement = kept["id"]
    # The counts survive and so does the outcome: still not retained at six months.
    after = client.get(f"/v1/placements/{placement}")
    assert after.status_code == 200, after.text
    assert after.json()["retained_6_months"] is False
    # The remainder is history: no follow-up falls due, and nothing can be added to it.
    due = client.get("/v1/follow-ups", params={"limit": 200}).json()["items"]
    assert placement not in {d["placement_id"] for d in due}
    refused = client.post(
        f"/v1/placements/{placement}/follow-ups",
        json={"date": TODAY.isoformat(), "method": "phone", "still_employed": True},
    )
    assert refused.status_code == 409, refused.text
    assert refused.json()["errors"][0]["code"] == "erased"
    etag = client.get(f"/v1/referrals/{kept_referral['id']}").headers["etag"]
    refused = client.patch(
        f"/v1/referrals/{kept_referral['id']}",
        headers={"If-Match": etag},
        json={"status": "withdrawn", "reason_code": "other"},
    )
    assert refused.status_code == 409, refused.text
    assert refused.json()["errors"][0]["code"] == "erased"
