"""Client mistakes that once gave a 500 or were quietly accepted (both databases): each is
a 422 (or 415) naming the field, and stores nothing."""

from __future__ import annotations

import base64
import datetime as dt
import json
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.conftest import assert_problem, row_counts
from tests.factories import employer_body, id_number, seeker_body, vacancy_body

FULL_WIDTH_6 = "１４０３０２"


def _refused(
    client: TestClient,
    raw_db: Any,
    path: str,
    body: Any,
    field: str,
    status: int = 422,
    **kwargs: Any,
) -> dict[str, Any]:
    before = row_counts(raw_db)
    problem = assert_problem(client.post(path, json=body, **kwargs), status)
    if status == 422:
        assert field in {e["field"] for e in problem["errors"]}, problem
    assert row_counts(raw_db) == before
    return problem


def test_id_number_with_unknown_county_is_422(client: TestClient, raw_db: Any) -> None:
    # Check digit right, county 999999 in no GB/T 2260 edition (stdnum raised KeyError).
    for division in ("999999", "140399", "990101"):
        number = id_number(dt.date(1990, 1, 1), 123, division=division)
        _refused(client, raw_db, "/v1/seekers", seeker_body(id_number=number), "id_number")


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("district_code", "140302\n"),
        ("phone", "13912345678\n"),
        ("district_code", FULL_WIDTH_6),
        ("phone", "１３９１２３４５６７８"),
        ("id_number", id_number(dt.date(1990, 1, 1)) + "\n\n1"),
    ],
)
def test_codes_with_a_trailing_newline_or_full_width_digits_are_422(
    client: TestClient, raw_db: Any, field: str, value: str
) -> None:
    _refused(client, raw_db, "/v1/seekers", seeker_body(**{field: value}), field)


def test_occupation_and_credit_codes_are_checked_whole(client: TestClient, raw_db: Any) -> None:
    body = seeker_body(preferences={"occupations": ["4-07-05-01\n"]})
    _refused(client, raw_db, "/v1/seekers", body, "preferences.occupations.0")
    _refused(
        client, raw_db, "/v1/employers", employer_body(district_code="140302\n"), "district_code"
    )
    employer = client.post("/v1/employers", json=employer_body()).json()["id"]
    _refused(
        client,
        raw_db,
        "/v1/vacancies",
        vacancy_body(employer, occupation_code="４-07"),
        "occupation_code",
    )


def test_one_bad_code_in_an_import_loses_no_valid_item(client: TestClient, raw_db: Any) -> None:
    employer = client.post("/v1/employers", json=employer_body()).json()["id"]
    items = [vacancy_body(employer, external_id=f"e{i}") for i in range(50)]
    items[17]["district_code"] = "140302\n"
    report = client.post("/v1/vacancies/import", json=items)
    assert report.status_code == 200, report.text
    body = report.json()
    assert (body["created"], body["failed"]) == (49, 1)
    assert body["items"][17]["errors"][0]["field"].endswith("district_code")
    listed = client.get("/v1/vacancies", params={"limit": 200}).json()["items"]
    assert len(listed) == 49 and all(v["district_code"] == "140302" for v in listed)


@pytest.mark.parametrize(
    "cursor_text", ["c1:skr_\x00abc", "c1:skr_abc\n", "c1:' OR 1=1", "c1:", "c1:emp_ＡＢＣ"]
)
def test_a_cursor_with_foreign_text_is_422(client: TestClient, cursor_text: str) -> None:
    cursor = base64.urlsafe_b64encode(cursor_text.encode()).decode().rstrip("=")
    for path in ("/v1/seekers", "/v1/employers", "/v1/vacancies", "/v1/audit"):
        problem = assert_problem(client.get(path, params={"cursor": cursor}), 422)
        assert problem["errors"][0]["field"] == "cursor"


@pytest.mark.parametrize(
    "instant",
    ["0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00", "0001-01-01T00:30:00+14:00"],
)
def test_instants_beyond_the_calendar_in_utc_are_422(
    client: TestClient, raw_db: Any, instant: str
) -> None:
    for name in ("since", "until"):
        problem = assert_problem(client.get("/v1/audit", params={name: instant}), 422)
        assert problem["errors"][0]["field"] == name
    _refused(
        client,
        raw_db,
        "/v1/api-keys",
        {"role": "analyst", "name": "x", "expires_at": instant},
        "expires_at",
    )


@pytest.mark.parametrize(
    ("value", "field"),
    [
        ("yes", "consent.sensitive_data"),
        (1, "consent.sensitive_data"),
        ("true", "consent.sensitive_data"),
        (1, "consent.share_with_employers"),
    ],
)
def test_consent_is_json_true_or_false_only(
    client: TestClient, raw_db: Any, value: Any, field: str
) -> None:
    consent = {"sensitive_data": True, "share_with_employers": False}
    consent[field.split(".")[1]] = value
    _refused(client, raw_db, "/v1/seekers", seeker_body(consent=consent), field)


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"hard_to_employ": "yes"}, "hard_to_employ"),
        ({"poverty_monitoring": 0}, "poverty_monitoring"),
        ({"experience_years": "1"}, "experience_years"),
        ({"location": {"lat": "37.8", "lon": 113.5}}, "location.lat"),
        ({"graduation_date": 1700000000}, "graduation_date"),
        ({"preferences": {"max_commute_km": "15"}}, "preferences.max_commute_km"),
        ({"preferences": {"min_monthly_salary": "2500"}}, "preferences.min_monthly_salary"),
    ],
)
def test_one_json_type_per_field(
    client: TestClient, raw_db: Any, overrides: dict[str, Any], field: str
) -> None:
    _refused(client, raw_db, "/v1/seekers", seeker_body(**overrides), field)


def test_numbers_stay_numbers(client: TestClient) -> None:
    """An integer where a float is asked for is still a JSON number: accepted."""
    body = seeker_body(preferences={"max_commute_km": 20}, experience_years=2)
    assert client.post("/v1/seekers", json=body).status_code == 201


@pytest.mark.parametrize(
    ("raw", "field"),
    [
        ('{"sensitive_data": false, "sensitive_data": true}', "consent.sensitive_data"),
        (
            '{"sensitive_data": true, "share_with_employers": true, "share_with_employers": false}',
            "consent.share_with_employers",
        ),
    ],
)
def test_a_duplicated_key_is_422_naming_it(
    client: TestClient, raw_db: Any, raw: str, field: str
) -> None:
    text = json.dumps(seeker_body(consent={"placeholder": 1}), ensure_ascii=False)
    text = text.replace('{"placeholder": 1}', raw)
    before = row_counts(raw_db)
    response = client.post(
        "/v1/seekers", content=text.encode(), headers={"Content-Type": "application/json"}
    )
    problem = assert_problem(response, 422)
    assert problem["errors"] == [
        {"field": field, "code": "duplicate_key", "message": "this key is given more than once"}
    ]
    assert row_counts(raw_db) == before


def test_a_duplicated_top_level_key_in_a_patch_is_422(client: TestClient) -> None:
    employer = client.post("/v1/employers", json=employer_body())
    response = client.patch(
        f"/v1/employers/{employer.json()['id']}",
        content=b'{"name": "A", "name": "B"}',
        headers={"Content-Type": "application/json", "If-Match": employer.headers["etag"]},
    )
    assert assert_problem(response, 422)["errors"][0]["field"] == "name"


@pytest.mark.parametrize(
    "content_type", ["text/plain", "application/x-www-form-urlencoded", "", "application/xml"]
)
def test_a_body_that_is_not_json_is_415(client: TestClient, raw_db: Any, content_type: str) -> None:
    before = row_counts(raw_db)
    headers = {"Content-Type": content_type} if content_type else {}
    response = client.post(
        "/v1/employers", content=json.dumps(employer_body()).encode(), headers=headers
    )
    assert_problem(response, 415)
    assert row_counts(raw_db) == before


def test_json_with_a_charset_or_a_json_suffix_is_json(client: TestClient) -> None:
    for content_type in ("application/json; charset=utf-8", "application/merge-patch+json"):
        body = employer_body(
            credit_code="91140302MA0K00001X" if "merge" in content_type else "91110000600037341L"
        )
        response = client.post(
            "/v1/employers",
            content=json.dumps(body).encode(),
            headers={"Content-Type": content_type},
        )
        assert response.status_code in (201, 422), response.text
        assert response.status_code != 415


@pytest.mark.parametrize("value", ["", "   "])
def test_an_empty_idempotency_key_is_400(client: TestClient, raw_db: Any, value: str) -> None:
    _refused(
        client,
        raw_db,
        "/v1/employers",
        employer_body(),
        "",
        status=400,
        headers={"Idempotency-Key": value},
    )
