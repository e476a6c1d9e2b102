"""Referrals through HTTP on SQLite and PostgreSQL: the ranking context stored, blocked
pairs and the counselor's override, partners acting through pseudonyms without ever
seeing a seeker id, the pipeline and its refusals, lists, and the audit trail."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import sqlalchemy as sa
from fastapi.testclient import TestClient

from service.clock import today_in_china, utcnow
from tests.conftest import assert_problem, audit_rows, issue_key, row_counts
from tests.match_helpers import (
    abilities,
    credit_code,
    make_employer,
    make_seeker,
    make_vacancy,
    pair,
    seeker_matches,
    vacancy_payload,
)

URL = "/v1/referrals"
H = dict[str, str]


def refer(
    client: TestClient, headers: H | None = None, expect: int = 201, **body: Any
) -> dict[str, Any]:
    response = client.post(URL, json={"source": "match", **body}, headers=headers or {})
    assert response.status_code == expect, response.text
    if expect == 201:
        assert response.headers["location"] == f"{URL}/{response.json()['id']}"
        assert response.headers["etag"] == '"v1"'
    return dict(response.json())


def move(
    client: TestClient, referral_id: str, headers: H | None = None, expect: int = 200, **body: Any
) -> Any:
    """PATCH with the ETag just read."""
    etag = client.get(f"{URL}/{referral_id}").headers["etag"]  # as admin: always readable
    response = client.patch(
        f"{URL}/{referral_id}", json=body, headers={**(headers or {}), "If-Match": etag}
    )
    assert response.status_code == expect, response.text
    return response.json()


def fields(body: dict[str, Any]) -> set[tuple[str, str]]:
    return {(e["field"], e["code"]) for e in body.get("errors") or []}


def partner_vacancy(client: TestClient, partner: H, serial: int = 1) -> str:
    employer = client.post(
        "/v1/employers",
        headers=partner,
        json={
            "name": "合作企业",
            "credit_code": credit_code(90000 + serial),
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


def shown_to(client: TestClient, partner: H, vacancy: str) -> list[dict[str, Any]]:
    response = client.get(f"/v1/vacancies/{vacancy}/matches", headers=partner)
    assert response.status_code == 200, response.text
    return list(response.json()["items"])


def as_list(value: Any) -> list[Any]:
    """A JSON column as read raw: text on SQLite, already decoded on PostgreSQL."""
    return list(json.loads(value) if isinstance(value, str) else value)


def stored(raw_db: sa.Engine, table: str, **where: str) -> list[dict[str, Any]]:
    condition = " AND ".join(f"{k} = :{k}" for k in where) or "1 = 1"
    with raw_db.connect() as conn:
        return [
            dict(r)
            for r in conn.execute(
                sa.text(f"SELECT * FROM {table} WHERE {condition}"), where
            ).mappings()
        ]


# -- creation and the ranking context ------------------------------------------------------


def test_match_referral_stores_the_ranking_context(client: TestClient, raw_db: sa.Engine) -> None:
    counselor = issue_key(client, "counselor")
    seeker = make_seeker(client)
    employer = make_employer(client)
    for i in range(3):
        make_vacancy(client, employer, title=f"客服{i}", salary_max=3500 + 500 * i)
    ranking = seeker_matches(client, seeker)
    second = ranking["items"][1]

    made = refer(client, counselor, seeker_id=seeker, vacancy_id=second["vacancy_id"])
    assert made["status"] == "referred" and made["seeker_id"] == seeker
    assert made["candidate_id"] is None and made["employer_id"] == employer
    context = made["ranking"]
    assert context["model_version"] == ranking["model_version"]
    assert context["rank"] == 2 and context["shown"] is None  # computed, not sent
    verdict = pair(client, seeker, second["vacancy_id"])
    assert abs(context["score"] - verdict["score"]) < 1e-9
    assert abs(context["probability"] - verdict["probability"]) < 1e-9
    assert context["eligible"] is True and context["overridden"] == []
    assert context["override_reason"] is None
    [event] = made["events"]
    assert (event["from_status"], event["to_status"], event["role"]) == (
        None,
        "referred",
        "counselor",
    )
    assert event["key_id"] and made["created_by"] == event["key_id"]

    [row] = stored(raw_db, "referral", id=made["id"])
    assert (row["rank"], row["shown"], row["source"]) == (2, None, "match")
    assert row["vacancy_owner_key_id"] and row["created_by"] == event["key_id"]
    read = client.get(f"{URL}/{made['id']}", headers=counselor)
    assert read.status_code == 200 and read.headers["etag"] == '"v1"'
    assert read.json() == made


def test_rank_and_shown_as_the_client_sent_them(client: TestClient) -> None:
    seeker = make_seeker(client)
    vacancies = [make_vacancy(client, make_employer(client)) for _ in range(3)]
    made = refer(client, seeker_id=seeker, vacancy_id=vacancies[0], rank=7, shown=20, source="fair")
    assert (made["ranking"]["rank"], made["ranking"]["shown"]) == (7, 20)
    by_hand = refer(client, seeker_id=seeker, vacancy_id=vacancies[1], source="counselor")
    assert (by_hand["ranking"]["rank"], by_hand["ranking"]["shown"]) == (None, None)
    for bad, field in (
        ({"rank": 5, "shown": 4}, "shown"),
        ({"rank": 0}, "rank"),
        ({"shown": "3"}, "shown"),
        ({"source": "web"}, "source"),
    ):
        body = refer(client, expect=422, seeker_id=seeker, vacancy_id=vacancies[2], **bad)
        assert field in {e["field"] for e in body["errors"]}, body


def test_blocked_pair_is_refused_naming_the_constraints(
    client: TestClient, raw_db: sa.Engine
) -> None:
    seeker = make_seeker(client, ability=abilities(vision=1))
    vacancy = make_vacancy(
        client, make_employer(client), demands={"vision": 4}, employment_type="internship"
    )
    before = row_counts(raw_db)
    body = assert_problem(
        client.post(URL, json={"seeker_id": seeker, "vacancy_id": vacancy, "source": "match"}), 409
    )
    assert {("vacancy_id", "ability_gap"), ("vacancy_id", "employment_type")} <= fields(body)
    assert "vision" in " ".join(e["message"] for e in body["errors"])
    assert row_counts(raw_db) == before


def test_a_counselor_overrides_with_a_reason_kept_encrypted(
    client: TestClient, raw_db: sa.Engine
) -> None:
    counselor = issue_key(client, "counselor")
    seeker = make_seeker(client, ability=abilities(vision=1))
    employer = make_employer(client)
    vacancy = make_vacancy(client, employer, demands={"vision": 4})
    reason = "单位已承诺提供读屏软件，试岗两周后评估 (screen reader promised)"
    made = refer(
        client, counselor, seeker_id=seeker, vacancy_id=vacancy, override={"reason": reason}
    )
    context = made["ranking"]
    assert context["eligible"] is False and context["overridden"] == ["ability_gap"]
    assert context["score"] is None and context["probability"] is None
    assert context["override_reason"] == reason and context["rank"] is None
    [row] = stored(raw_db, "referral", id=made["id"])
    assert row["override_reason_enc"] and reason not in row["override_reason_enc"]
    assert "读屏" not in row["override_reason_enc"]

    eligible = make_vacancy(client, employer)
    body = refer(
        client,
        counselor,
        expect=422,
        seeker_id=seeker,
        vacancy_id=eligible,
        override={"reason": reason},
    )
    assert ("override", "nothing_to_override") in fields(body)
    short = refer(
        client,
        counselor,
        expect=422,
        seeker_id=seeker,
        vacancy_id=vacancy,
        override={"reason": "   太远了    "},
    )
    assert "override.reason" in {e["field"] for e in short["errors"]}


def test_refusals_before_the_constraints(client: TestClient, raw_db: sa.Engine) -> None:
    seeker = make_seeker(client)
    employer = make_employer(client)
    closed = make_vacancy(client, employer)
    etag = client.get(f"/v1/vacancies/{closed}").headers["etag"]
    assert (
        client.patch(
            f"/v1/vacancies/{closed}", json={"status": "closed"}, headers={"If-Match": etag}
        ).status_code
        == 200
    )
    vacancy = make_vacancy(client, employer)
    before = row_counts(raw_db)
    cases = [
        ({"seeker_id": seeker, "vacancy_id": closed}, 409, ("vacancy_id", "vacancy_not_open")),
        ({"seeker_id": "skr_nobody", "vacancy_id": vacancy}, 422, ("seeker_id", "unknown_seeker")),
        ({"seeker_id": seeker, "vacancy_id": "vac_none"}, 422, ("vacancy_id", "unknown_vacancy")),
        ({"vacancy_id": vacancy}, 422, ("seeker_id", "required")),
        (
            {"seeker_id": seeker, "candidate_id": "psn_x", "vacancy_id": vacancy},
            422,
            ("candidate_id", "not_for_this_role"),
        ),
    ]
    for body, status, expected in cases:
        problem = assert_problem(client.post(URL, json={"source": "match", **body}), status)
        assert expected in fields(problem), problem
    assert row_counts(raw_db) == before

    refer(client, seeker_id=seeker, vacancy_id=vacancy)
    again = refer(client, expect=409, seeker_id=seeker, vacancy_id=vacancy)
    assert ("vacancy_id", "already_referred") in fields(again)

    etag = client.get(f"/v1/seekers/{seeker}").headers["etag"]
    assert (
        client.patch(
            f"/v1/seekers/{seeker}",
            headers={"If-Match": etag},
            json={"consent": {"sensitive_data": False, "share_with_employers": False}},
        ).status_code
        == 200
    )
    other = make_vacancy(client, employer)
    problem = refer(
        client,
        expect=409,
        seeker_id=seeker,
        vacancy_id=other,
        override={"reason": "counselor decided to refer anyway"},
    )
    assert ("seeker_id", "no_consent") in fields(problem)


def test_kiosk_and_analyst_keys_have_no_referrals(client: TestClient) -> None:
    referral = refer(
        client,
        seeker_id=make_seeker(client),
        vacancy_id=make_vacancy(client, make_employer(client)),
    )
    for role in ("kiosk", "analyst"):
        key = issue_key(client, role)
        url = f"{URL}/{referral['id']}"
        for response in (
            client.post(URL, headers=key, json={}),
            client.get(URL, headers=key),
            client.get(url, headers=key),
            client.patch(url, headers={**key, "If-Match": '"v1"'}, json={"status": "withdrawn"}),
        ):
            assert_problem(response, 403)


# -- partners: pseudonyms only -------------------------------------------------------------


def test_partner_refers_a_shown_candidate_and_never_sees_a_seeker_id(
    client: TestClient, raw_db: sa.Engine
) -> None:
    partner = issue_key(client, "partner")
    vacancy = partner_vacancy(client, partner)
    seekers = [make_seeker(client) for _ in range(2)]
    shown = shown_to(client, partner, vacancy)
    assert len(shown) == 2 and len(stored(raw_db, "candidate_pseudonym")) == 2
    shown_to(client, partner, vacancy)  # seen again: nothing new recorded
    assert len(stored(raw_db, "candidate_pseudonym")) == 2
    first = shown[0]["seeker_id"]
    assert first.startswith("psn_")

    answers = []
    made = refer(
        client, partner, candidate_id=first, vacancy_id=vacancy, source="partner", rank=1, shown=2
    )
    answers.append(made)
    assert made["seeker_id"] is None and made["candidate_id"] == first
    assert made["created_by"] is None and made["events"][0]["key_id"] is None
    assert (made["ranking"]["rank"], made["ranking"]["shown"]) == (1, 2)
    for number in (made["ranking"]["score"], made["ranking"]["probability"]):
        assert abs(number * 20 - round(number * 20)) < 1e-9  # steps of 0.05
    # Judged as the partner's list judged it (at the displaced home): the same numbers.
    assert (made["ranking"]["score"], made["ranking"]["probability"]) == (
        shown[0]["score"],
        shown[0]["probability"],
    )
    [row] = stored(raw_db, "referral", id=made["id"])
    assert row["seeker_id"] in seekers
    listed = client.get(URL, headers=partner)
    answers.append(listed.json())
    assert [r["id"] for r in listed.json()["items"]] == [made["id"]]
    by_candidate = client.get(URL, headers=partner, params={"candidate_id": first})
    assert [r["id"] for r in by_candidate.json()["items"]] == [made["id"]]
    answers.append(
        move(
            client,
            made["id"],
            partner,
            status="interview_scheduled",
            interview_at="2030-01-10T09:30:00+08:00",
        )
    )
    answers.append(client.get(f"{URL}/{made['id']}", headers=partner).json())
    text = repr(answers)
    assert not any(s in text for s in seekers), "a seeker id reached the partner"

    full = client.get(f"{URL}/{made['id']}").json()
    assert full["seeker_id"] == row["seeker_id"] and full["candidate_id"] is None
    assert [e["role"] for e in full["events"]] == ["partner", "partner"]
    assert all(e["key_id"] for e in full["events"])
    assert full["interview_at"] == "2030-01-10T01:30:00Z"
    creates = audit_rows(raw_db, action="referral.create")
    assert creates[-1]["seeker_ids"] == [row["seeker_id"]]
    assert creates[-1]["role"] == "partner"


def test_partner_refusals(client: TestClient, raw_db: sa.Engine) -> None:
    partner, other = issue_key(client, "partner"), issue_key(client, "partner")
    mine, theirs = partner_vacancy(client, partner, 1), partner_vacancy(client, other, 2)
    seeker = make_seeker(client)
    [candidate] = shown_to(client, partner, mine)
    [their_candidate] = shown_to(client, other, theirs)
    before = row_counts(raw_db)
    cases = [
        (
            {"candidate_id": "psn_unknown", "vacancy_id": mine},
            422,
            ("candidate_id", "unknown_candidate"),
        ),
        (
            {"candidate_id": their_candidate["seeker_id"], "vacancy_id": mine},
            422,
            ("candidate_id", "unknown_candidate"),
        ),  # shown to the other partner only
        ({"seeker_id": seeker, "vacancy_id": mine}, 422, ("seeker_id", "not_for_this_role")),
        (
            {
                "candidate_id": candidate["seeker_id"],
                "vacancy_id": mine,
                "override": {"reason": "we want to hire them anyway"},
            },
            403,
            ("override", "override_not_allowed"),
        ),
    ]
    for body, status, expected in cases:
        problem = assert_problem(
            client.post(URL, headers=partner, json={"source": "partner", **body}), status
        )
        assert expected in fields(problem), problem
    assert_problem(
        client.post(
            URL,
            headers=partner,
            json={
                "source": "partner",
                "candidate_id": candidate["seeker_id"],
                "vacancy_id": theirs,
            },
        ),
        403,
    )
    assert row_counts(raw_db) == before

    # The other partner's referral: invisible and untouchable.
    made = refer(
        client,
        other,
        candidate_id=their_candidate["seeker_id"],
        vacancy_id=theirs,
        source="partner",
    )
    assert_problem(client.get(f"{URL}/{made['id']}", headers=partner), 404)
    assert client.get(URL, headers=partner).json()["items"] == []
    assert_problem(
        client.patch(
            f"{URL}/{made['id']}",
            json={"status": "interviewed"},
            headers={**partner, "If-Match": '"v1"'},
        ),
        404,
    )
    assert_problem(client.get(URL, headers=partner, params={"seeker_id": seeker}), 422)

    # A candidate who stops sharing with employers can no longer be referred by one.
    etag = client.get(f"/v1/seekers/{seeker}").headers["etag"]
    assert (
        client.patch(
            f"/v1/seekers/{seeker}",
            headers={"If-Match": etag},
            json={"consent": {"sensitive_data": True, "share_with_employers": False}},
        ).status_code
        == 200
    )
    problem = refer(
        client,
        partner,
        expect=409,
        candidate_id=candidate["seeker_id"],
        vacancy_id=mine,
        source="partner",
    )
    assert ("candidate_id", "not_shared_with_employers") in fields(problem)


# -- the pipeline --------------------------------------------------------------------------


def test_full_pipeline_from_referral_to_hire(client: TestClient, raw_db: sa.Engine) -> None:
    counselor, partner = issue_key(client, "counselor"), issue_key(client, "partner")
    vacancy = partner_vacancy(client, partner)
    seeker = make_seeker(client)
    made = refer(client, counselor, seeker_id=seeker, vacancy_id=vacancy)
    rid = made["id"]
    at = (utcnow() + dt.timedelta(days=3)).replace(microsecond=0)
    step = move(client, rid, partner, status="interview_scheduled", interview_at=at.isoformat())
    assert step["interview_at"] == at.isoformat().replace("+00:00", "Z")
    move(client, rid, partner, status="interviewed")
    move(client, rid, partner, status="offered")
    # A hire is not a PATCH: it is the placement, which moves the referral with it.
    refused = move(client, rid, counselor, expect=409, status="hired")
    assert ("status", "hire_needs_placement") in fields(refused)
    employer = client.get(f"/v1/vacancies/{vacancy}").json()["employer_id"]
    placed = client.post(
        "/v1/placements",
        headers=counselor,
        json={
            "seeker_id": seeker,
            "employer_id": employer,
            "referral_id": rid,
            "start_date": today_in_china().isoformat(),
            "form": "quota",
            "counts_as_new": True,
        },
    )
    assert placed.status_code == 201, placed.text
    done = client.get(f"{URL}/{rid}", headers=counselor).json()
    assert done["status"] == "hired"
    history = [(e["from_status"], e["to_status"], e["role"]) for e in done["events"]]
    assert history == [
        (None, "referred", "counselor"),
        ("referred", "interview_scheduled", "partner"),
        ("interview_scheduled", "interviewed", "partner"),
        ("interviewed", "offered", "partner"),
        ("offered", "hired", "counselor"),
    ]
    read = client.get(f"{URL}/{rid}", headers=counselor)
    assert read.headers["etag"] == '"v5"' and read.json()["interview_at"] == step["interview_at"]
    assert len(stored(raw_db, "referral_event", referral_id=rid)) == 5
    updates = audit_rows(raw_db, action="referral.update", outcome="ok")
    assert [u["seeker_ids"] for u in updates] == [[seeker]] * 4  # the hire by placement
    assert "interview_at" in as_list(updates[0]["fields"])

    closed = assert_problem(
        client.patch(
            f"{URL}/{rid}",
            json={"status": "withdrawn", "reason_code": "other"},
            headers={"If-Match": '"v5"'},
        ),
        409,
    )
    assert "hired" in closed["detail"]


def test_forbidden_moves_and_reason_codes(client: TestClient, raw_db: sa.Engine) -> None:
    partner = issue_key(client, "partner")
    vacancy = partner_vacancy(client, partner)
    made = refer(client, seeker_id=make_seeker(client), vacancy_id=vacancy)
    rid = made["id"]
    before = row_counts(raw_db)
    skip = move(client, rid, expect=409, status="offered")
    assert "'referred'" in skip["detail"]
    assert ("status", "transition_not_allowed") in fields(skip)
    for body, expected in (
        ({"status": "rejected_by_employer"}, "reason_required"),
        ({"status": "rejected_by_employer", "reason_code": "pay_too_low"}, "reason_not_for_status"),
        ({"status": "interview_scheduled", "reason_code": "other"}, "reason_not_applicable"),
    ):
        problem = move(client, rid, expect=422, **body)
        assert ("reason_code", expected) in fields(problem)
    early = move(
        client, rid, expect=422, status="interview_scheduled", interview_at="2001-01-01T08:00:00Z"
    )
    assert ("interview_at", "before_referral") in fields(early)
    wrong = move(
        client,
        rid,
        expect=422,
        status="withdrawn",
        reason_code="other",
        interview_at="2030-01-01T08:00:00Z",
    )
    assert ("interview_at", "not_applicable") in fields(wrong)
    naive = move(
        client, rid, expect=422, status="interview_scheduled", interview_at="2030-01-01T08:00:00"
    )
    assert "interview_at" in {e["field"] for e in naive["errors"]}
    for seeker_side in (
        {"status": "declined_by_seeker", "reason_code": "health"},
        {"status": "withdrawn", "reason_code": "recorded_in_error"},
    ):
        assert_problem(
            client.patch(f"{URL}/{rid}", json=seeker_side, headers={**partner, "If-Match": '"v1"'}),
            403,
        )
    assert row_counts(raw_db) == before
    unchanged = client.get(f"{URL}/{rid}").json()
    assert unchanged["status"] == "referred" and len(unchanged["events"]) == 1

    for status in ("interview_scheduled", "interviewed", "offered"):
        move(client, rid, partner, status=status)
    assert_problem(
        client.patch(
            f"{URL}/{rid}", json={"status": "hired"}, headers={**partner, "If-Match": '"v4"'}
        ),
        403,
    )
    declined = move(client, rid, status="declined_by_seeker", reason_code="found_other_job")
    assert (declined["status"], declined["reason_code"]) == (
        "declined_by_seeker",
        "found_other_job",
    )
    # Closed: a new referral of the same person to the same vacancy may be made.
    refer(client, seeker_id=unchanged["seeker_id"], vacancy_id=vacancy)


def test_if_match_is_required_and_checked(client: TestClient) -> None:
    made = refer(
        client,
        seeker_id=make_seeker(client),
        vacancy_id=make_vacancy(client, make_employer(client)),
    )
    url = f"{URL}/{made['id']}"
    body = {"status": "withdrawn", "reason_code": "seeker_unavailable"}
    assert_problem(client.patch(url, json=body), 428)
    assert_problem(client.patch(url, json=body, headers={"If-Match": '"v9"'}), 412)
    assert client.get(url).json()["status"] == "referred"
    response = client.patch(url, json=body, headers={"If-Match": '"v1"'})
    assert response.status_code == 200 and response.headers["etag"] == '"v2"'


# -- lists and the audit trail -------------------------------------------------------------


def test_list_filters_pages_and_audit(client: TestClient, raw_db: sa.Engine) -> None:
    counselor = issue_key(client, "counselor")
    employer = make_employer(client)
    seekers = [make_seeker(client) for _ in range(2)]
    vacancies = [make_vacancy(client, employer) for _ in range(2)]
    made = {
        (s, v): refer(client, counselor, seeker_id=s, vacancy_id=v)["id"]
        for s in seekers
        for v in vacancies
    }
    move(
        client,
        made[(seekers[0], vacancies[0])],
        counselor,
        status="withdrawn",
        reason_code="recorded_in_error",
    )

    def ids(**params: str) -> set[str]:
        response = client.get(URL, headers=counselor, params=params)
        assert response.status_code == 200, response.text
        return {r["id"] for r in response.json()["items"]}

    assert ids() == set(made.values())
    assert ids(seeker_id=seekers[1]) == {made[(seekers[1], v)] for v in vacancies}
    assert ids(vacancy_id=vacancies[0]) == {made[(s, vacancies[0])] for s in seekers}
    assert ids(status="withdrawn") == {made[(seekers[0], vacancies[0])]}
    assert ids(status="referred", seeker_id=seekers[0]) == {made[(seekers[0], vacancies[1])]}
    pages, cursor = [], None
    while True:
        params = {"limit": 3, **({"cursor": cursor} if cursor else {})}
        body = client.get(URL, headers=counselor, params=params).json()
        pages.append([r["id"] for r in body["items"]])
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert [len(p) for p in pages] == [3, 1] and {i for p in pages for i in p} == set(made.values())
    for bad in ({"candidate_id": "psn_x"}, {"status": "lost"}, {"seekerid": "x"}):
        assert_problem(client.get(URL, headers=counselor, params=bad), 422)

    one = made[(seekers[0], vacancies[1])]
    client.get(f"{URL}/{one}", headers=counselor)
    assert [a["seeker_ids"] for a in audit_rows(raw_db, action="referral.create")] == [
        [s] for s in seekers for _ in vacancies
    ]
    [read] = audit_rows(raw_db, action="referral.read", role="counselor")
    assert (read["resource_id"], read["seeker_ids"]) == (one, [seekers[0]])
    lists = audit_rows(raw_db, action="referral.list", role="counselor")
    assert lists[0]["seeker_ids"] == sorted(seekers)
    [update] = audit_rows(raw_db, action="referral.update")
    assert update["seeker_ids"] == [seekers[0]]
    assert as_list(update["fields"]) == ["reason_code", "status"]
