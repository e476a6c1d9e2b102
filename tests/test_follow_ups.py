"""Follow-up visits (跟踪回访): the calendar and six-month retention as pure functions,
then visits, the schedule and the list of visits to make through HTTP on both databases."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from service.models.placement import FollowUpStatus as S
from service.services.follow_ups import (
    add_months,
    retained_6_months,
    schedule,
    six_months_on,
)
from tests.conftest import assert_problem, audit_rows, issue_key, row_counts
from tests.match_helpers import make_employer, make_seeker
from tests.placement_helpers import TODAY, months_ago, place, status_history, visit


@dataclass(frozen=True)
class V:
    date: dt.date
    still_employed: bool = True
    id: str = "fuv_x"


D = dt.date


def test_add_months_clamps_to_the_end_of_the_month() -> None:
    assert add_months(D(2026, 8, 31), 6) == D(2027, 2, 28)
    assert add_months(D(2027, 8, 31), 6) == D(2028, 2, 29)
    assert add_months(D(2026, 1, 31), 1) == D(2026, 2, 28)
    assert add_months(D(2026, 11, 15), 3) == D(2027, 2, 15)
    assert add_months(D(2026, 3, 31), -1) == D(2026, 2, 28)
    assert add_months(D(2026, 5, 10), -18) == D(2024, 11, 10)
    assert six_months_on(D(2026, 8, 31)) == D(2027, 2, 28)


def test_windows_follow_one_another() -> None:
    start = D(2026, 1, 10)
    ms = schedule(start, None, [], today=D(2026, 1, 11))
    assert [(m.month, m.due_on, m.opens_on, m.closes_on) for m in ms] == [
        (1, D(2026, 2, 10), D(2026, 1, 27), D(2026, 3, 27)),
        (3, D(2026, 4, 10), D(2026, 3, 27), D(2026, 6, 26)),
        (6, D(2026, 7, 10), D(2026, 6, 26), D(2026, 12, 27)),
        (12, D(2027, 1, 10), D(2026, 12, 27), D(2027, 6, 26)),
    ]
    # A visit on the day a window opens counts for it; on the day it closes, for the next.
    visits = [V(D(2026, 1, 20), id="a"), V(D(2026, 1, 27), id="b"), V(D(2026, 3, 27), id="c")]
    ms = schedule(start, None, visits, today=D(2026, 4, 1))
    assert [(m.status, m.visit_id) for m in ms] == [
        (S.done, "b"),
        (S.done, "c"),
        (S.upcoming, None),
        (S.upcoming, None),
    ]


@pytest.mark.parametrize(
    ("today", "end", "statuses"),
    [
        (D(2026, 1, 26), None, [S.upcoming] * 4),
        (D(2026, 1, 27), None, [S.due] + [S.upcoming] * 3),
        (D(2026, 2, 10), None, [S.due] + [S.upcoming] * 3),
        (D(2026, 2, 11), None, [S.overdue] + [S.upcoming] * 3),
        (D(2026, 3, 27), None, [S.missed, S.due, S.upcoming, S.upcoming]),
        (D(2026, 8, 1), None, [S.missed, S.missed, S.overdue, S.upcoming]),
        (D(2027, 6, 26), None, [S.missed] * 4),
        (D(2026, 8, 1), D(2026, 3, 26), [S.missed, S.not_needed, S.not_needed, S.not_needed]),
        (D(2026, 5, 1), D(2026, 3, 27), [S.missed, S.overdue, S.not_needed, S.not_needed]),
        (D(2026, 8, 1), D(2026, 3, 27), [S.missed, S.missed, S.not_needed, S.not_needed]),
    ],
)
def test_statuses_without_visits(today: dt.date, end: dt.date | None, statuses: list[S]) -> None:
    assert [m.status for m in schedule(D(2026, 1, 10), end, [], today)] == statuses


START = D(2026, 1, 10)  # six months on: 2026-07-10


@pytest.mark.parametrize(
    ("end", "visits", "expected"),
    [
        (None, [], None),  # nobody asked
        (None, [V(D(2026, 7, 10))], True),  # a visit on the day
        (None, [V(D(2026, 7, 9))], None),  # a visit the day before says nothing of month six
        # Running past six months, but the last visit was at month three: not known.
        (None, [V(D(2026, 4, 10))], None),
        (None, [V(D(2026, 8, 10), still_employed=False)], None),
        (D(2026, 7, 9), [], False),  # ended the day before
        (D(2026, 7, 10), [], True),  # ended on the day
        (D(2026, 2, 1), [V(D(2026, 1, 20))], False),
    ],
)
def test_retention(end: dt.date | None, visits: list[V], expected: bool | None) -> None:
    assert retained_6_months(six_months_on(START), end, visits) is expected


# -- through HTTP -----------------------------------------------------------------------


def test_visits_satisfy_milestones(client: TestClient, raw_db: sa.Engine) -> None:
    person, employer = make_seeker(client), make_employer(client)
    start = months_ago(7)
    placement = place(client, person, employer, start_date=start)
    url = f"/v1/placements/{placement['id']}"
    assert [(m["month"], m["status"]) for m in placement["follow_ups"]] == [
        (1, "missed"),
        (3, "missed"),
        (6, "overdue"),
        (12, "upcoming"),
    ]
    assert placement["follow_ups"][2]["due_on"] == add_months(start, 6).isoformat()
    assert placement["retained_6_months"] is None

    early = visit(client, placement["id"], start + dt.timedelta(days=5))  # counts for none
    first = visit(client, placement["id"], add_months(start, 1))
    third = visit(
        client,
        placement["id"],
        add_months(start, 3) - dt.timedelta(days=10),
        support_needed=["job_coach", "transport"],
        method="on_site",
    )
    visit(client, placement["id"], add_months(start, 5))  # a second one in the 3's window
    latest = visit(client, placement["id"], TODAY)
    assert [(m["status"], m["visit_id"]) for m in latest["follow_ups"]] == [
        ("done", first["visits"][-1]["id"]),
        ("done", third["visits"][-1]["id"]),
        ("done", latest["visits"][-1]["id"]),
        ("upcoming", None),
    ]
    assert early["visits"][0]["id"] not in {m["visit_id"] for m in latest["follow_ups"]}
    assert latest["retained_6_months"] is True and latest["end_date"] is None
    assert latest["version"] == 6
    assert third["visits"][-1]["support_needed"] == ["job_coach", "transport"]
    assert client.get(url).json()["visits"] == latest["visits"]
    created = audit_rows(raw_db, action="follow_up.create")
    assert len(created) == 5 and {tuple(e["seeker_ids"]) for e in created} == {(person,)}


BAD_VISITS: list[tuple[dict[str, Any], str]] = [
    ({"still_employed": False}, "reason_left"),
    ({"reason_left": "dismissed"}, "reason_left"),
    ({"support_needed": ["job_coach", "job_coach"]}, "support_needed"),
    ({"support_needed": ["none", "transport"]}, "support_needed"),
    ({"support_needed": ["massage"]}, "support_needed.0"),
    ({"date": (TODAY + dt.timedelta(days=1)).isoformat()}, "date"),
    ({"date": months_ago(3).isoformat()}, "date"),  # before the start
    ({"method": "carrier_pigeon"}, "method"),
    ({"still_employed": "no"}, "still_employed"),
]


@pytest.mark.parametrize(
    ("change", "field"), BAD_VISITS, ids=[f"{f}-{i}" for i, (_, f) in enumerate(BAD_VISITS)]
)
def test_bad_visit_is_422_and_stores_nothing(
    client: TestClient, raw_db: sa.Engine, change: dict[str, Any], field: str
) -> None:
    placement = place(client, make_seeker(client), make_employer(client), start_date=months_ago(2))
    before = row_counts(raw_db)
    response = client.post(
        f"/v1/placements/{placement['id']}/follow-ups",
        json={"date": TODAY.isoformat(), "method": "phone", "still_employed": True, **change},
    )
    assert field in [e["field"] for e in assert_problem(response, 422)["errors"]]
    assert row_counts(raw_db) == before
    assert_problem(
        client.post(
            "/v1/placements/plc_nothing/follow-ups",
            json={"date": TODAY.isoformat(), "method": "phone", "still_employed": True},
        ),
        404,
    )


def test_a_visit_finding_the_person_gone_ends_the_placement(
    client: TestClient, raw_db: sa.Engine
) -> None:
    person, employer = make_seeker(client), make_employer(client)
    placement = place(client, person, employer, start_date=months_ago(4))
    visit(client, placement["id"], months_ago(2))
    left_on = months_ago(0, days=5)
    body = visit(
        client,
        placement["id"],
        left_on,
        still_employed=False,
        reason_left="resigned_accessibility",
        support_needed=["accommodation_change"],
    )
    assert (body["end_date"], body["end_reason"]) == (left_on.isoformat(), "resigned_accessibility")
    assert body["retained_6_months"] is False
    assert [m["status"] for m in body["follow_ups"]] == ["done", "done", "not_needed", "not_needed"]
    assert client.get(f"/v1/seekers/{person}").json()["status"] == "seeking"
    assert status_history(raw_db, person)[-1]["cause"] == "placement_ended"
    # Later: a still-employed visit after the end cannot be; a late "left" one changes nothing.
    after = client.post(
        f"/v1/placements/{placement['id']}/follow-ups",
        json={"date": TODAY.isoformat(), "method": "phone", "still_employed": True},
    )
    assert assert_problem(after, 422)["errors"][0]["field"] == "still_employed"
    again = visit(client, placement["id"], TODAY, still_employed=False, reason_left="health")
    assert (again["end_date"], again["end_reason"]) == (
        left_on.isoformat(),
        "resigned_accessibility",
    )
    # A running placement cannot end before a visit that found the person still employed.
    other = place(client, make_seeker(client), employer, start_date=months_ago(4))
    visit(client, other["id"], months_ago(1))
    early = client.post(
        f"/v1/placements/{other['id']}/follow-ups",
        json={
            "date": months_ago(2).isoformat(),
            "method": "phone",
            "still_employed": False,
            "reason_left": "dismissed",
        },
    )
    assert assert_problem(early, 422)["errors"][0]["code"] == "end_before_visit"


def _due(
    client: TestClient, headers: dict[str, str] | None = None, **params: Any
) -> list[tuple[str, int, str]]:
    response = client.get("/v1/follow-ups", params=params, headers=headers)
    assert response.status_code == 200, response.text
    return [(i["placement_id"], i["month"], i["status"]) for i in response.json()["items"]]


def test_the_list_of_visits_to_make(client: TestClient, raw_db: sa.Engine) -> None:
    employer = make_employer(client)
    counselor = issue_key(client, "counselor")
    old = place(client, make_seeker(client), employer, start_date=months_ago(7))["id"]
    late = place(
        client, make_seeker(client, district="140303"), employer, start_date=months_ago(1, days=3)
    )["id"]
    soon = place(
        client,
        make_seeker(client),
        employer,
        headers=counselor,
        start_date=TODAY - dt.timedelta(days=20),
    )["id"]
    done = place(client, make_seeker(client), employer, start_date=months_ago(1))["id"]
    visit(client, done, TODAY)
    place(client, make_seeker(client), employer, start_date=TODAY)  # nothing due yet

    assert _due(client) == [(old, 6, "overdue"), (late, 1, "overdue"), (soon, 1, "due")]
    item = client.get("/v1/follow-ups", params={"district_code": "140303"}).json()["items"]
    due_on = add_months(months_ago(1, days=3), 1)
    assert item == [
        {
            "placement_id": late,
            "seeker_id": item[0]["seeker_id"],
            "employer_id": employer,
            "district_code": "140303",
            "month": 1,
            "due_on": due_on.isoformat(),
            "status": "overdue",
            "days_overdue": (TODAY - due_on).days,
        }
    ]
    assert _due(client, due_before=TODAY.isoformat()) == [(old, 6, "overdue"), (late, 1, "overdue")]
    assert _due(client, district_code="1403") == _due(client)
    assert _due(client, headers=counselor, mine="true") == [(soon, 1, "due")]
    assert _due(client, mine="true") == [(old, 6, "overdue"), (late, 1, "overdue")]
    ahead = _due(client, due_before=add_months(TODAY, 6).isoformat())
    assert (old, 12, "upcoming") in ahead and (done, 3, "upcoming") in ahead
    pages, cursor = [], None
    while True:
        params = {"limit": 1, **({"cursor": cursor} if cursor else {})}
        answer = client.get("/v1/follow-ups", params=params).json()
        pages.append([(i["placement_id"], i["month"]) for i in answer["items"]])
        if not (cursor := answer["next_cursor"]):
            break
    # One placement's milestones a page; only the last page may be empty.
    assert [p for p in pages if p] == [[(old, 6)], [(late, 1)], [(soon, 1)]]
    assert all(pages[:-1])
    for bad in ({"due_before": "soon"}, {"district_code": "abc"}, {"mine": "perhaps"}):
        assert_problem(client.get("/v1/follow-ups", params=bad), 422)
    assert_problem(client.get("/v1/follow-ups", headers=issue_key(client, "kiosk")), 403)
    listed = audit_rows(raw_db, action="follow_up.list")
    assert len(listed[0]["seeker_ids"]) == 3
