"""Service records (the "four ones" and training) and the status history through HTTP, on
SQLite and PostgreSQL: each type round-trips, details are validated per type, dates are
checked against today and the person's birth, an assessment or needs registration becomes
current only when it is the newest, access, audit, encryption of the note."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import sqlalchemy as sa
from fastapi.testclient import TestClient

from service.rules import today_in_china
from tests.conftest import assert_problem, audit_rows, issue_key, patch_current, row_counts
from tests.factories import id_number, seeker_body
from tests.match_helpers import abilities, make_employer, make_seeker, make_vacancy, pair

TODAY = today_in_china()
BIRTH = dt.date(1995, 3, 14)  # seeker_body's person


def _days_ago(n: int) -> str:
    return (TODAY - dt.timedelta(days=n)).isoformat()


DETAILS: dict[str, dict[str, Any]] = {
    "basic_info_check": {"has_employment_need": True, "labour_capacity": "partial"},
    "ability_assessment": {
        "abilities": {"vision": 3, "hearing": 4, "endurance": 2},
        "assessor": "阳泉市残联评估中心",
        "method": "work_trial",
    },
    "needs_registration": {
        "preferences": {
            "occupations": ["4-07-05-01"],
            "work_modes": ["remote"],
            "employment_types": ["part_time"],
            "max_commute_km": 5,
            "min_monthly_salary": 2000,
        },
        "training_need": True,
        "entrepreneurship_intent": False,
    },
    "employment_service": {"subtype": "career_guidance"},
    "training": {
        "course": "电子商务客服",
        "provider": "阳泉市职业技能培训中心",
        "kind": "vocational",
        "start_date": _days_ago(40),
        "end_date": _days_ago(10),
        "completed": True,
    },
}


def record_body(type_: str, **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "type": type_,
        "date": _days_ago(5),
        "channel": "on_site",
        "agency_district_code": "140302",
        "result": "completed",
        "details": dict(DETAILS[type_]),
    }
    body.update(overrides)
    return body


def register(client: TestClient, headers: dict[str, str] | None = None, sequence: int = 123) -> str:
    body = seeker_body(id_number=id_number(BIRTH, sequence))
    response = client.post("/v1/seekers", json=body, headers=headers)
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def post_record(client: TestClient, seeker: str, body: dict[str, Any]) -> dict[str, Any]:
    response = client.post(f"/v1/seekers/{seeker}/services", json=body)
    assert response.status_code == 201, response.text
    return dict(response.json())


def list_records(client: TestClient, seeker: str, **params: Any) -> list[dict[str, Any]]:
    response = client.get(f"/v1/seekers/{seeker}/services", params=params)
    assert response.status_code == 200, response.text
    return list(response.json()["items"])


def test_each_type_round_trips(client: TestClient) -> None:
    seeker = register(client)
    created = []
    for age, type_ in enumerate(DETAILS):
        body = record_body(type_, date=_days_ago(20 - age), note=f"第{age}次服务，情况良好")
        response = client.post(f"/v1/seekers/{seeker}/services", json=body)
        assert response.status_code == 201, response.text
        record = response.json()
        assert response.headers["location"] == f"/v1/seekers/{seeker}/services/{record['id']}"
        assert record["seeker_id"] == seeker and record["type"] == type_
        assert record["note"] == body["note"]
        for field in ("date", "channel", "agency_district_code", "result"):
            assert record[field] == body[field]
        for key, value in body["details"].items():
            if key != "abilities":
                assert record["details"][key] == value, (type_, key)
        assert record["recorded_by"] and record["created_at"]
        again = client.get(response.headers["location"])
        assert again.status_code == 200 and again.json() == record
        created.append(record)
    assessed = created[1]["details"]["abilities"]
    assert {k: v for k, v in assessed.items() if v is not None} == DETAILS["ability_assessment"][
        "abilities"
    ]
    # Newest first, by the service date.
    assert [r["id"] for r in list_records(client, seeker)] == [r["id"] for r in created][::-1]
    assert created[3]["details"]["vacancy_id"] is None


def test_filters_and_cursor_pagination(client: TestClient) -> None:
    seeker = register(client)
    other = register(client, sequence=125)
    ids = [
        post_record(client, seeker, record_body(t, date=_days_ago(30 - i)))["id"]
        for i, t in enumerate(
            [
                "basic_info_check",
                "employment_service",
                "employment_service",
                "training",
                "employment_service",
            ]
        )
    ]
    post_record(client, other, record_body("basic_info_check"))
    seen, cursor = [], None
    while True:
        params = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        page = client.get(f"/v1/seekers/{seeker}/services", params=params).json()
        seen += [r["id"] for r in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == ids[::-1]
    assert [r["id"] for r in list_records(client, seeker, type="employment_service")] == [
        ids[4],
        ids[2],
        ids[1],
    ]
    window = list_records(client, seeker, since=_days_ago(29), until=_days_ago(27))
    assert [r["id"] for r in window] == [ids[3], ids[2], ids[1]]
    bad = client.get(
        f"/v1/seekers/{seeker}/services", params={"since": _days_ago(1), "until": _days_ago(3)}
    )
    assert assert_problem(bad, 422)["errors"][0]["field"] == "until"
    foreign = client.get(f"/v1/seekers/{other}/services", params={"limit": 1}).json()
    assert foreign["next_cursor"] is None
    first = client.get(f"/v1/seekers/{seeker}/services", params={"limit": 1}).json()
    misused = client.get(f"/v1/seekers/{other}/services", params={"cursor": first["next_cursor"]})
    assert assert_problem(misused, 422)["errors"][0]["field"] == "cursor"
    assert_problem(client.get(f"/v1/seekers/{seeker}/services", params={"type": "x"}), 422)
    assert_problem(client.get(f"/v1/seekers/{other}/services/{ids[0]}"), 404)


def _details(type_: str, **changes: Any) -> dict[str, Any]:
    details = dict(DETAILS[type_])
    for key, value in changes.items():
        if value is _DROP:
            del details[key]
        else:
            details[key] = value
    return details


_DROP = object()
_PREFS = DETAILS["needs_registration"]["preferences"]

# (type, details, top-level overrides, the field the 422 names)
BAD = [
    (
        "basic_info_check",
        _details("basic_info_check", labour_capacity="some"),
        {},
        "details.labour_capacity",
    ),
    (
        "basic_info_check",
        _details("basic_info_check", has_employment_need=_DROP),
        {},
        "details.has_employment_need",
    ),
    (
        "basic_info_check",
        _details("basic_info_check", has_employment_need="yes"),
        {},
        "details.has_employment_need",
    ),
    ("basic_info_check", _details("basic_info_check", subtype="survey"), {}, "details.subtype"),
    (
        "ability_assessment",
        _details("ability_assessment", abilities={"vision": 5}),
        {},
        "details.abilities.vision",
    ),
    (
        "ability_assessment",
        _details("ability_assessment", abilities={"flying": 2}),
        {},
        "details.abilities.flying",
    ),
    ("ability_assessment", _details("ability_assessment", abilities={}), {}, "details.abilities"),
    ("ability_assessment", _details("ability_assessment", method="guess"), {}, "details.method"),
    ("ability_assessment", _details("ability_assessment", assessor="  "), {}, "details.assessor"),
    (
        "needs_registration",
        _details("needs_registration", preferences={**_PREFS, "work_modes": []}),
        {},
        "details.preferences.work_modes",
    ),
    (
        "needs_registration",
        _details("needs_registration", training_need=_DROP),
        {},
        "details.training_need",
    ),
    (
        "employment_service",
        _details("employment_service", subtype="massage"),
        {},
        "details.subtype",
    ),
    (
        "employment_service",
        _details("employment_service", vacancy_id="vac_nosuchvacancy"),
        {},
        "details.vacancy_id",
    ),
    ("employment_service", DETAILS["basic_info_check"], {}, "details.subtype"),
    ("training", _details("training", end_date=_days_ago(41)), {}, "details.end_date"),
    (
        "training",
        _details("training", end_date=(TODAY + dt.timedelta(days=3)).isoformat()),
        {},
        "details.end_date",
    ),
    ("training", _details("training", start_date="1990-01-01"), {}, "details.start_date"),
    ("training", _details("training", kind="online"), {}, "details.kind"),
    ("training", _details("training", completed=_DROP), {}, "details.completed"),
    ("basic_info_check", DETAILS["basic_info_check"], {"type": "counselling"}, "type"),
    (
        "basic_info_check",
        DETAILS["basic_info_check"],
        {"date": (TODAY + dt.timedelta(days=2)).isoformat()},
        "date",
    ),
    ("basic_info_check", DETAILS["basic_info_check"], {"date": "1995-03-13"}, "date"),
    ("basic_info_check", DETAILS["basic_info_check"], {"date": 20261101}, "date"),
    ("basic_info_check", DETAILS["basic_info_check"], {"channel": "fax"}, "channel"),
    ("basic_info_check", DETAILS["basic_info_check"], {"result": "fine"}, "result"),
    (
        "basic_info_check",
        DETAILS["basic_info_check"],
        {"agency_district_code": "999999"},
        "agency_district_code",
    ),
    ("basic_info_check", DETAILS["basic_info_check"], {"note": "长" * 2001}, "note"),
    ("basic_info_check", DETAILS["basic_info_check"], {"counselor": "王"}, "counselor"),
]


def test_bad_input_is_422_naming_the_field_and_stores_nothing(
    client: TestClient, raw_db: sa.Engine
) -> None:
    seeker = register(client)
    before = row_counts(raw_db)
    for type_, details, overrides, field in BAD:
        body = record_body(type_, details=details, **overrides)
        response = client.post(f"/v1/seekers/{seeker}/services", json=body)
        problem = assert_problem(response, 422)
        assert field in {e["field"] for e in problem["errors"]}, (field, problem["errors"])
    missing = record_body("training")
    del missing["details"]
    problem = assert_problem(client.post(f"/v1/seekers/{seeker}/services", json=missing), 422)
    assert [e["field"] for e in problem["errors"]] == ["details"]
    no_type = record_body("training")
    del no_type["type"]
    problem = assert_problem(client.post(f"/v1/seekers/{seeker}/services", json=no_type), 422)
    assert [e["field"] for e in problem["errors"]] == ["type"]
    assert row_counts(raw_db) == before
    assert_problem(
        client.post("/v1/seekers/skr_nosuchperson/services", json=record_body("basic_info_check")),
        404,
    )


def test_employment_service_names_an_existing_vacancy(client: TestClient) -> None:
    seeker = register(client)
    vacancy = make_vacancy(client, make_employer(client))
    body = record_body(
        "employment_service", details={"subtype": "job_introduction", "vacancy_id": vacancy}
    )
    assert post_record(client, seeker, body)["details"]["vacancy_id"] == vacancy


def _seeker_view(client: TestClient, seeker: str) -> tuple[dict[str, Any], str]:
    response = client.get(f"/v1/seekers/{seeker}")
    assert response.status_code == 200, response.text
    return dict(response.json()), response.headers["etag"]


def test_the_newest_assessment_becomes_current_and_matching_follows(client: TestClient) -> None:
    seeker = make_seeker(client, ability=abilities(vision=1))  # assessed on 2026-10-01
    vacancy = make_vacancy(client, make_employer(client), demands={"vision": 3})
    assert pair(client, seeker, vacancy)["eligible"] is False
    _, etag = _seeker_view(client, seeker)
    newer = post_record(client, seeker, record_body("ability_assessment", date=_days_ago(3)))
    view, new_etag = _seeker_view(client, seeker)
    assert view["abilities"]["vision"] == 3 and view["abilities"]["endurance"] == 2
    assert view["assessment"] == {"assessed_on": _days_ago(3), "assessor": "阳泉市残联评估中心"}
    assert new_etag != etag
    assert pair(client, seeker, vacancy)["eligible"] is True  # the index saw the change
    late = record_body(
        "ability_assessment",
        date=_days_ago(30),
        details={
            **DETAILS["ability_assessment"],
            "abilities": {"vision": 0},
            "assessor": "旧评估员",
        },
    )
    older = post_record(client, seeker, late)
    assert _seeker_view(client, seeker) == (view, new_etag)  # history only
    listed = list_records(client, seeker, type="ability_assessment")
    assert [r["id"] for r in listed] == [newer["id"], older["id"]]
    assert listed[1]["details"]["abilities"]["vision"] == 0
    assert pair(client, seeker, vacancy)["eligible"] is True


def test_the_newest_needs_registration_becomes_the_preferences(client: TestClient) -> None:
    seeker = register(client)
    post_record(client, seeker, record_body("needs_registration", date=_days_ago(10)))
    view, etag = _seeker_view(client, seeker)
    assert view["preferences"] == _PREFS
    stale = {
        **DETAILS["needs_registration"],
        "preferences": {**_PREFS, "max_commute_km": 50, "work_modes": ["on_site"]},
    }
    post_record(
        client, seeker, record_body("needs_registration", date=_days_ago(20), details=stale)
    )
    assert _seeker_view(client, seeker) == (view, etag)
    post_record(
        client, seeker, record_body("needs_registration", date=_days_ago(10), details=stale)
    )  # same day, recorded later
    assert _seeker_view(client, seeker)[0]["preferences"]["max_commute_km"] == 50
    assert len(list_records(client, seeker, type="needs_registration")) == 3


def test_the_note_is_encrypted_at_rest(client: TestClient, raw_db: sa.Engine) -> None:
    seeker = register(client)
    note = "本人反映腰椎旧伤复发，暂不宜久站"
    record = post_record(client, seeker, record_body("basic_info_check", note=note))
    with raw_db.connect() as conn:
        row = (
            conn.execute(sa.text("SELECT * FROM service_record WHERE id = :i"), {"i": record["id"]})
            .mappings()
            .one()
        )
    assert row["note_enc"] and all(note not in str(v) for v in row.values())
    assert list_records(client, seeker)[0]["note"] == note


def test_a_retried_post_creates_one_record(client: TestClient, raw_db: sa.Engine) -> None:
    seeker = register(client)
    url, body = f"/v1/seekers/{seeker}/services", record_body("training")
    headers = {"Idempotency-Key": "svc-retry-1"}
    first = client.post(url, json=body, headers=headers)
    again = client.post(url, json=body, headers=headers)
    assert first.status_code == again.status_code == 201
    assert first.json() == again.json()
    assert len(list_records(client, seeker)) == 1
    replayed = audit_rows(raw_db, action="service.create", outcome="replayed")
    assert [(e["resource_id"], e["seeker_ids"]) for e in replayed] == [
        (first.json()["id"], [seeker])
    ]


def _history(
    client: TestClient, seeker: str, headers: dict[str, str] | None = None
) -> dict[str, Any]:
    response = client.get(f"/v1/seekers/{seeker}/status-history", headers=headers)
    assert response.status_code == 200, response.text
    return dict(response.json())


def _entries(history: dict[str, Any]) -> list[tuple[str, str, str]]:
    return [(e["status"], e["date"], e["cause"]) for e in history["items"]]


def test_status_history(client: TestClient, raw_db: sa.Engine) -> None:
    seeker = register(client)
    today = TODAY.isoformat()
    history = _history(client, seeker)
    assert history["current"] == "seeking"
    assert _entries(history) == [("seeking", today, "registration")]
    assert (
        patch_current(client, f"/v1/seekers/{seeker}", json={"status": "inactive"}).status_code
        == 200
    )
    assert _entries(_history(client, seeker))[-1] == ("inactive", today, "record_update")
    url = f"/v1/seekers/{seeker}/status"
    made = client.post(
        url, json={"status": "seeking", "date": today, "cause": "returned_to_seeking"}
    )
    assert made.status_code == 201, made.text
    assert made.headers["location"] == f"/v1/seekers/{seeker}/status-history"
    assert made.json() == _history(client, seeker)
    assert made.json()["current"] == "seeking"
    assert _seeker_view(client, seeker)[0]["status"] == "seeking"
    late = client.post(
        url, json={"status": "employed", "date": _days_ago(100), "cause": "counselor_decision"}
    )
    assert late.status_code == 201, late.text
    history = _history(client, seeker)
    assert history["current"] == "seeking"  # a back-dated entry is history
    assert _entries(history)[0] == ("employed", _days_ago(100), "counselor_decision")
    assert len(history["items"]) == 4
    before = row_counts(raw_db)
    for body, field in [
        ({"status": "employed", "date": today, "cause": "placement"}, "cause"),
        ({"status": "employed", "date": today, "cause": "registration"}, "cause"),
        ({"status": "retired", "date": today, "cause": "counselor_decision"}, "status"),
        (
            {
                "status": "inactive",
                "date": (TODAY + dt.timedelta(days=2)).isoformat(),
                "cause": "left_labour_market",
            },
            "date",
        ),
        ({"status": "inactive", "date": "1995-03-13", "cause": "left_labour_market"}, "date"),
        ({"status": "inactive", "date": today}, "cause"),
    ]:
        problem = assert_problem(client.post(url, json=body), 422)
        assert field in {e["field"] for e in problem["errors"]}, (body, problem)
    assert row_counts(raw_db) == before


def test_access(client: TestClient) -> None:
    kiosk, analyst = issue_key(client, "kiosk"), issue_key(client, "analyst")
    partner, other = issue_key(client, "partner"), issue_key(client, "partner")
    counselor = issue_key(client, "counselor")
    seeker = register(client, headers=partner)
    services, status = f"/v1/seekers/{seeker}/services", f"/v1/seekers/{seeker}/status"
    change = {"status": "inactive", "date": TODAY.isoformat(), "cause": "left_labour_market"}
    for headers in (kiosk, analyst, partner):
        assert_problem(
            client.post(services, json=record_body("basic_info_check"), headers=headers), 403
        )
        assert_problem(client.get(services, headers=headers), 403)
    # Casework is the counselor's: not even the partner that registered the person
    # records or reads their status history.
    for headers in (kiosk, analyst, partner, other):
        assert_problem(client.post(status, json=change, headers=headers), 403)
        assert_problem(client.get(f"/v1/seekers/{seeker}/status-history", headers=headers), 403)
    assert client.post(status, json=change, headers=counselor).status_code == 201
    assert _history(client, seeker, headers=counselor)["current"] == "inactive"
    assert client.post(services, json=record_body("training"), headers=counselor).status_code == 201
    assert client.get(services, headers=counselor).status_code == 200


def _as_list(value: Any) -> list[Any]:
    """A JSON column as read raw: text on SQLite, already decoded on PostgreSQL."""
    return list(json.loads(value) if isinstance(value, str) else value)


def test_casework_is_audited(client: TestClient, raw_db: sa.Engine) -> None:
    seeker = register(client)
    record = post_record(client, seeker, record_body("ability_assessment"))
    list_records(client, seeker)
    client.get(f"/v1/seekers/{seeker}/services/{record['id']}")
    client.post(
        f"/v1/seekers/{seeker}/status",
        json={"status": "inactive", "date": _days_ago(1), "cause": "left_labour_market"},
    )
    _history(client, seeker)
    for action, resource_type in [
        ("service.create", "service_record"),
        ("service.list", "service_record"),
        ("service.read", "service_record"),
        ("status.change", "status_change"),
        ("status.list", "status_change"),
    ]:
        rows = audit_rows(raw_db, action=action, outcome="ok")
        assert [(r["resource_type"], r["seeker_ids"]) for r in rows] == [
            (resource_type, [seeker])
        ], action
    assert audit_rows(raw_db, action="service.create")[0]["resource_id"] == record["id"]
    update = audit_rows(raw_db, action="seeker.update")  # the assessment became current
    assert [sorted(_as_list(u["fields"])) for u in update] == [["abilities", "assessment"]]
    kiosk, other = issue_key(client, "kiosk"), issue_key(client, "partner")
    client.post(f"/v1/seekers/{seeker}/services", json=record_body("training"), headers=kiosk)
    client.get(f"/v1/seekers/{seeker}/status-history", headers=other)
    for action in ("service.create", "status.list"):
        denied = audit_rows(raw_db, action=action, outcome="denied")
        assert [d["seeker_ids"] for d in denied] == [[seeker]], action


def test_erasure_drops_the_kept_answers_of_casework(client: TestClient, raw_db: sa.Engine) -> None:
    seeker = register(client)
    for n, (url, body) in enumerate(
        [
            (f"/v1/seekers/{seeker}/services", record_body("basic_info_check", note="私事")),
            (
                f"/v1/seekers/{seeker}/status",
                {"status": "inactive", "date": _days_ago(1), "cause": "left_labour_market"},
            ),
        ]
    ):
        made = client.post(url, json=body, headers={"Idempotency-Key": f"erase-{n}"})
        assert made.status_code == 201, made.text
    kept = "SELECT COUNT(*) FROM idempotency_record WHERE resource LIKE :r"
    with raw_db.connect() as conn:
        assert conn.execute(sa.text(kept), {"r": f"/v1/seekers/{seeker}/%"}).scalar_one() == 2
    assert client.delete(f"/v1/seekers/{seeker}").status_code == 204
    with raw_db.connect() as conn:
        assert conn.execute(sa.text(kept), {"r": f"/v1/seekers/{seeker}%"}).scalar_one() == 0
