"""One person's whole journey through the counselor's record, on SQLite and PostgreSQL:
basic-information check, ability assessment, needs registration, match, referral,
interview, hire, the 1-, 3- and 6-month follow-up visits and leaving the job.  At every
step the person's status, the vacancy's openings, the follow-ups due, the audit log and
the export are checked against what that step must have changed."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import Any

import sqlalchemy as sa
from fastapi.testclient import TestClient

from service.rules import today_in_china
from service.services.follow_ups import add_months
from tests.conftest import audit_rows, issue_key
from tests.match_helpers import make_employer, make_vacancy, seeker_payload

TODAY = today_in_china()
START = TODAY - dt.timedelta(days=200)  # the job started about six and a half months ago
H = dict[str, str]


def _day(value: dt.date) -> str:
    return value.isoformat()


class Journey:
    """The person's record as the counselor sees it, read back after every step."""

    def __init__(self, client: TestClient, raw_db: sa.Engine, counselor: H) -> None:
        self.client, self.raw_db, self.me = client, raw_db, counselor
        self.seeker = ""
        self.vacancy = ""
        self.placement = ""

    def post(self, url: str, body: dict[str, Any], status: int = 201) -> dict[str, Any]:
        response = self.client.post(url, json=body, headers=self.me)
        assert response.status_code == status, response.text
        return dict(response.json())

    def get(self, url: str, **params: Any) -> Any:
        response = self.client.get(url, params=params, headers=self.me)
        assert response.status_code == 200, response.text
        return response.json()

    def patch(self, url: str, body: dict[str, Any]) -> dict[str, Any]:
        etag = self.client.get(url, headers=self.me).headers["etag"]
        response = self.client.patch(url, json=body, headers={**self.me, "If-Match": etag})
        assert response.status_code == 200, response.text
        return dict(response.json())

    def service(self, type_: str, on: dt.date, details: dict[str, Any]) -> dict[str, Any]:
        return self.post(
            f"/v1/seekers/{self.seeker}/services",
            {
                "type": type_,
                "date": _day(on),
                "channel": "on_site",
                "agency_district_code": "140302",
                "result": "completed",
                "details": details,
            },
        )

    # -- what is checked after each step ------------------------------------------------

    def status(self) -> str:
        return str(self.get(f"/v1/seekers/{self.seeker}")["status"])

    def causes(self) -> list[str]:
        history = self.get(f"/v1/seekers/{self.seeker}/status-history")
        assert history["current"] == history["items"][-1]["status"]
        return [e["cause"] for e in history["items"]]

    def openings(self) -> tuple[int, int, str]:
        vacancy = self.get(f"/v1/vacancies/{self.vacancy}")
        return vacancy["openings"], vacancy["openings_filled"], vacancy["status"]

    def due(self) -> list[tuple[int, str]]:
        items = self.get("/v1/follow-ups", due_before=_day(TODAY), limit=200)["items"]
        return sorted(
            (i["month"], i["status"]) for i in items if i["placement_id"] == self.placement
        )

    def audited(self) -> Counter[str]:
        """The ok entries of the audit log that concern this person, by action."""
        return Counter(
            e["action"]
            for e in audit_rows(self.raw_db, outcome="ok")
            if self.seeker in e["seeker_ids"]
        )

    def export(self) -> dict[str, int]:
        casework = self.get(f"/v1/seekers/{self.seeker}/export")["casework"]
        return {
            "services": len(casework["services"]),
            "statuses": len(casework["status_history"]["items"]),
            "referrals": len(casework["referrals"]),
            "placements": len(casework["placements"]),
            "visits": sum(len(p["visits"]) for p in casework["placements"]),
        }


def test_one_person_from_first_check_to_leaving_the_job(
    client: TestClient, raw_db: sa.Engine
) -> None:
    j = Journey(client, raw_db, issue_key(client, "counselor"))
    body = seeker_payload(abilities=None, assessment=None)
    body.pop("abilities")
    body.pop("assessment")
    j.seeker = j.post("/v1/seekers", body)["id"]
    employer = make_employer(client)
    j.vacancy = make_vacancy(client, employer, openings=1)
    other_vacancy = make_vacancy(client, employer, title="客服专员")
    neighbour = j.post("/v1/seekers", seeker_payload())["id"]
    ranked = [
        i["vacancy_id"] for i in j.get(f"/v1/seekers/{neighbour}/matches", limit=200)["items"]
    ]
    assert j.vacancy in ranked and other_vacancy in ranked
    assert j.status() == "seeking" and j.causes() == ["registration"]
    assert j.export() == {
        "services": 0,
        "statuses": 1,
        "referrals": 0,
        "placements": 0,
        "visits": 0,
    }

    # 1. The four ones: the check, the assessment, the needs registration, a service.
    j.service(
        "basic_info_check",
        START - dt.timedelta(days=20),
        {"has_employment_need": True, "labour_capacity": "full"},
    )
    before = j.get(f"/v1/seekers/{j.seeker}")
    assert before["abilities_estimated"]  # no assessment yet: estimated from the grade
    j.service(
        "ability_assessment",
        START - dt.timedelta(days=19),
        {
            "abilities": {d: 4 for d in before["abilities"]},
            "assessor": "阳泉市残联评估中心",
            "method": "work_trial",
        },
    )
    after = j.get(f"/v1/seekers/{j.seeker}")
    assert after["abilities_estimated"] == []  # the assessment became current
    assert after["assessment"]["assessed_on"] == _day(START - dt.timedelta(days=19))
    j.service(
        "needs_registration",
        START - dt.timedelta(days=18),
        {
            "preferences": {**before["preferences"], "max_commute_km": 12},
            "training_need": False,
            "entrepreneurship_intent": False,
        },
    )
    assert j.get(f"/v1/seekers/{j.seeker}")["preferences"]["max_commute_km"] == 12
    j.service("employment_service", START - dt.timedelta(days=15), {"subtype": "match_referral"})
    assert [r["type"] for r in j.get(f"/v1/seekers/{j.seeker}/services")["items"]] == [
        "employment_service",
        "needs_registration",
        "ability_assessment",
        "basic_info_check",
    ]  # newest first
    assert j.status() == "seeking" and j.openings() == (1, 0, "open")
    assert j.audited()["service.create"] == 4 and j.export()["services"] == 4

    # 2. The match and the referral, with the ranking context of that moment.
    matches = j.get(f"/v1/seekers/{j.seeker}/matches", limit=200)
    ranked = [i["vacancy_id"] for i in matches["items"]]
    assert j.vacancy in ranked and other_vacancy in ranked
    referral = j.post(
        "/v1/referrals", {"seeker_id": j.seeker, "vacancy_id": j.vacancy, "source": "match"}
    )
    assert referral["status"] == "referred"
    assert referral["ranking"]["rank"] == ranked.index(j.vacancy) + 1
    assert referral["ranking"]["model_version"] == matches["model_version"]
    assert j.audited()["referral.create"] == 1 and j.export()["referrals"] == 1

    # 3. Interview and offer: each move dated and audited.
    url = f"/v1/referrals/{referral['id']}"
    for step in ("interview_scheduled", "interviewed", "offered"):
        moved = j.patch(url, {"status": step})
        assert moved["status"] == step
    assert [e["to_status"] for e in j.get(url)["events"]] == [
        "referred",
        "interview_scheduled",
        "interviewed",
        "offered",
    ]
    assert j.audited()["referral.update"] == 3
    assert j.status() == "seeking" and j.openings() == (1, 0, "open")

    # 4. The hire: the referral is hired, the person employed, the vacancy filled and no
    # longer matched, the follow-ups scheduled.
    placement = j.post(
        "/v1/placements",
        {
            "seeker_id": j.seeker,
            "employer_id": employer,
            "referral_id": referral["id"],
            "start_date": _day(START),
            "form": "quota",
            "counts_as_new": True,
        },
    )
    j.placement = placement["id"]
    assert placement["vacancy_id"] == j.vacancy
    assert j.get(url)["status"] == "hired"
    assert j.status() == "employed" and j.causes() == ["registration", "placement"]
    assert j.openings() == (1, 1, "filled")
    # The employed person is matched no more; the filled vacancy is offered to nobody.
    assert j.get(f"/v1/seekers/{j.seeker}/matches")["items"] == []
    ranked_now = [
        i["vacancy_id"] for i in j.get(f"/v1/seekers/{neighbour}/matches", limit=200)["items"]
    ]
    assert j.vacancy not in ranked_now and other_vacancy in ranked_now
    assert [m["due_on"] for m in placement["follow_ups"]] == [
        _day(add_months(START, m)) for m in (1, 3, 6, 12)
    ]
    # Six and a half months on, with no visit yet: the 1- and 3-month windows have
    # closed, the 6-month visit is overdue.
    assert [m["status"] for m in placement["follow_ups"]] == [
        "missed",
        "missed",
        "overdue",
        "upcoming",
    ]
    assert j.due() == [(6, "overdue")]
    assert placement["retained_6_months"] is None
    assert j.audited()["placement.create"] == 1
    assert j.export()["placements"] == 1

    # 5. The visits at 1, 3 and 6 months (recorded late, dated when they were made).
    visits = f"/v1/placements/{j.placement}/follow-ups"
    for month in (1, 3, 6):
        seen = j.post(
            visits,
            {
                "date": _day(add_months(START, month)),
                "method": "on_site",
                "still_employed": True,
                "support_needed": ["job_coach"] if month == 1 else [],
            },
        )
        assert [m["status"] for m in seen["follow_ups"]][:3].count("done") == [1, 3, 6].index(
            month
        ) + 1
    current = j.get(f"/v1/placements/{j.placement}")
    assert [m["status"] for m in current["follow_ups"]] == ["done", "done", "done", "upcoming"]
    assert current["retained_6_months"] is True
    assert j.due() == []  # nothing due until the 12-month visit
    assert j.status() == "employed"
    assert j.audited()["follow_up.create"] == 3 and j.export()["visits"] == 3

    # 6. Leaving the job: the placement ends, the person seeks again, retention stays.
    ended = j.patch(
        f"/v1/placements/{j.placement}",
        {"end_date": _day(TODAY - dt.timedelta(days=3)), "end_reason": "resigned_workload"},
    )
    assert ended["end_reason"] == "resigned_workload"
    assert [m["status"] for m in ended["follow_ups"]][3] == "not_needed"
    assert ended["retained_6_months"] is True  # it lasted past six months
    assert j.status() == "seeking"
    assert j.causes() == ["registration", "placement", "placement_ended"]
    assert j.openings() == (1, 1, "filled")  # a job that was filled stays filled
    assert j.due() == []
    assert j.audited()["placement.update"] == 1
    assert j.export() == {
        "services": 4,
        "statuses": 3,
        "referrals": 1,
        "placements": 1,
        "visits": 3,
    }
    # Every read above went to the log too.
    seen = j.audited()
    assert seen["service.list"] >= 1 and seen["status.list"] >= 1
    assert seen["referral.read"] >= 1 and seen["placement.read"] >= 1
    assert seen["seeker.export"] == 6  # one per export() above
