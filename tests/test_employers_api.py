"""/v1/employers: CRUD, filters, pagination, credit-code rules and the quota report."""

from __future__ import annotations

import base64
import datetime as dt
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from stdnum.cn import uscc

from tests.conftest import PROBLEM_JSON, patch_current, row_counts
from tests.factories import credit_code, employer_body, vacancy_body

VALID_CODE = "91110000600037341L"


def with_check(first17: str) -> str:
    return first17 + uscc.calc_check_digit(first17)


def create(client: TestClient, **overrides: Any) -> dict[str, Any]:
    response = client.post("/v1/employers", json=employer_body(**overrides))
    assert response.status_code == 201, response.text
    return response.json()


def problem_fields(response: Any, status: int) -> set[str]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM_JSON)
    body = response.json()
    assert body["status"] == status
    return {e["field"] for e in body.get("errors") or []}


def when(value: str) -> dt.datetime:
    return dt.datetime.fromisoformat(value.replace("Z", "+00:00"))


# -- CRUD -------------------------------------------------------------------------------


def test_create_read_update_delete(client: TestClient) -> None:
    response = client.post("/v1/employers", json=employer_body())
    assert response.status_code == 201, response.text
    created = response.json()
    location = response.headers["Location"]
    assert location.endswith(f"/v1/employers/{created['id']}")
    for name, value in employer_body().items():
        assert created[name] == value, name
    assert created["credit_code_warning"] is None

    read = client.get(location)
    assert read.status_code == 200
    assert read.json() == created

    changed = patch_current(
        client,
        location,
        json={
            "name": "阳泉新名字有限公司",
            "staff_count": 500,
            "accessibility": ["sign_language"],
            "established_posts": 12,
        },
    )
    assert changed.status_code == 200, changed.text
    after = changed.json()
    assert (after["name"], after["staff_count"]) == ("阳泉新名字有限公司", 500)
    assert after["accessibility"] == ["sign_language"] and after["established_posts"] == 12
    assert after["credit_code"] == VALID_CODE and after["kind"] == "soe"
    assert after["created_at"] == created["created_at"]
    assert when(after["updated_at"]) > when(created["updated_at"])
    assert client.get(location).json() == after

    cleared = patch_current(
        client, location, json={"established_posts": None, "average_annual_wage": None}
    )
    assert cleared.status_code == 200, cleared.text
    assert cleared.json()["established_posts"] is None
    assert cleared.json()["average_annual_wage"] is None

    assert client.delete(location).status_code == 204
    for method in ("GET", "DELETE", "PATCH"):
        response = client.request(method, location, json={} if method == "PATCH" else None)
        assert problem_fields(response, 404) == set(), method
    assert problem_fields(client.get(f"{location}/quota"), 404) == set()


@pytest.mark.parametrize(
    "field",
    [
        "name",
        "credit_code",
        "kind",
        "district_code",
        "staff_count",
        "disabled_staff",
        "severe_disabled_staff",
        "accessibility",
    ],
)
def test_patch_null_for_required_field_is_422(client: TestClient, field: str) -> None:
    employer = create(client)
    response = patch_current(client, f"/v1/employers/{employer['id']}", json={field: None})
    assert field in problem_fields(response, 422)
    assert client.get(f"/v1/employers/{employer['id']}").json() == employer


@pytest.mark.parametrize(
    "change, field",
    [
        ({"disabled_staff": 421}, "disabled_staff"),
        ({"staff_count": 2}, "disabled_staff"),
        ({"severe_disabled_staff": 4}, "severe_disabled_staff"),
        ({"district_code": "999999"}, "district_code"),
        ({"unknown_field": 1}, "unknown_field"),
    ],
)
def test_invalid_patch_changes_nothing(
    client: TestClient, change: dict[str, Any], field: str
) -> None:
    employer = create(client)
    response = patch_current(client, f"/v1/employers/{employer['id']}", json=change)
    assert field in problem_fields(response, 422)
    assert client.get(f"/v1/employers/{employer['id']}").json() == employer


def test_delete_with_vacancies_is_409(client: TestClient) -> None:
    employer = create(client)
    vacancy = client.post("/v1/vacancies", json=vacancy_body(employer["id"]))
    assert vacancy.status_code == 201, vacancy.text
    problem_fields(client.delete(f"/v1/employers/{employer['id']}"), 409)
    assert client.get(f"/v1/employers/{employer['id']}").status_code == 200
    assert client.delete(f"/v1/vacancies/{vacancy.json()['id']}").status_code == 204
    assert client.delete(f"/v1/employers/{employer['id']}").status_code == 204


# -- listing ----------------------------------------------------------------------------


def test_list_filters(client: TestClient) -> None:
    made = {
        "a": create(client, kind="soe", district_code="140302", credit_code=credit_code(1)),
        "b": create(client, kind="private", district_code="140311", credit_code=credit_code(2)),
        "c": create(client, kind="private", district_code="420202", credit_code=credit_code(3)),
        "d": create(
            client, kind="government_organ", district_code="371502", credit_code=credit_code(4)
        ),
    }
    names = {e["id"]: key for key, e in made.items()}
    cases = [
        ({}, "abcd"),
        ({"kind": "private"}, "bc"),
        ({"kind": "blind_massage"}, ""),
        ({"district_code": "14"}, "ab"),
        ({"district_code": "1403"}, "ab"),
        ({"district_code": "140302"}, "a"),
        ({"district_code": "42"}, "c"),
        ({"credit_code": made["c"]["credit_code"]}, "c"),
        ({"credit_code": made["c"]["credit_code"].lower()}, "c"),
        ({"kind": "private", "district_code": "14"}, "b"),
    ]
    for params, expected in cases:
        response = client.get("/v1/employers", params=params)
        assert response.status_code == 200, response.text
        found = "".join(sorted(names[e["id"]] for e in response.json()["items"]))
        assert found == expected, params
        assert response.json()["next_cursor"] is None
    for params, field in [
        ({"kind": "spaceship"}, "kind"),
        ({"district_code": "abc"}, "district_code"),
    ]:
        assert field in problem_fields(client.get("/v1/employers", params=params), 422)


def test_cursor_pagination_walks_every_row_once(client: TestClient) -> None:
    created = {create(client, credit_code=credit_code(100 + i))["id"] for i in range(5)}
    seen: list[str] = []
    sizes = []
    cursor = None
    for _ in range(10):
        params: dict[str, Any] = {"limit": 2}
        if cursor:
            params["cursor"] = cursor
        page = client.get("/v1/employers", params=params)
        assert page.status_code == 200, page.text
        items = page.json()["items"]
        sizes.append(len(items))
        seen += [e["id"] for e in items]
        cursor = page.json()["next_cursor"]
        if cursor is None:
            break
    assert sizes == [2, 2, 1]
    assert len(seen) == len(set(seen)) == 5 and set(seen) == created
    whole = client.get("/v1/employers", params={"limit": 5}).json()
    assert whole["next_cursor"] is None and len(whole["items"]) == 5


@pytest.mark.parametrize(
    "params, field",
    [
        ({"cursor": "garbage"}, "cursor"),
        ({"cursor": "!!!"}, "cursor"),
        ({"cursor": base64.urlsafe_b64encode(b"hello").decode()}, "cursor"),
        ({"cursor": "YzE6"}, "cursor"),
        ({"limit": 0}, "limit"),
        ({"limit": 201}, "limit"),
        ({"limit": "ten"}, "limit"),
    ],
)
def test_bad_page_parameters_are_422(
    client: TestClient, params: dict[str, Any], field: str
) -> None:
    create(client)
    assert field in problem_fields(client.get("/v1/employers", params=params), 422)


# -- credit code ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "given, stored, warned",
    [
        (VALID_CODE, VALID_CODE, False),
        (" 91110000600037341l ", VALID_CODE, False),
        ("91110000600037341M", "91110000600037341M", True),  # pilot code: check char only
        (credit_code(60003734, prefix="Y1"), credit_code(60003734, prefix="Y1"), False),
        (credit_code(12345678, prefix="NA"), credit_code(12345678, prefix="NA"), False),
        (
            credit_code(5, prefix="GH", division="420202"),
            credit_code(5, prefix="GH", division="420202"),
            False,
        ),
    ],
)
def test_credit_codes_accepted(client: TestClient, given: str, stored: str, warned: bool) -> None:
    employer = create(client, credit_code=given)
    assert employer["credit_code"] == stored
    assert (employer["credit_code_warning"] is not None) is warned
    assert client.get(f"/v1/employers/{employer['id']}").json() == employer


def test_patch_credit_code_recomputes_warning(client: TestClient) -> None:
    employer = create(client)
    path = f"/v1/employers/{employer['id']}"
    pilot = patch_current(client, path, json={"credit_code": "91110000600037341m"})
    assert pilot.status_code == 200, pilot.text
    assert pilot.json()["credit_code"] == "91110000600037341M"
    assert pilot.json()["credit_code_warning"] is not None
    fixed = patch_current(client, path, json={"credit_code": VALID_CODE})
    assert fixed.status_code == 200, fixed.text
    assert fixed.json()["credit_code_warning"] is None
    bad = patch_current(client, path, json={"credit_code": "X"})
    assert "credit_code" in problem_fields(bad, 422)
    assert client.get(path).json()["credit_code"] == VALID_CODE


BAD_CODES = [
    "91110000600037341",
    "91110000600037341LL",
    "",
    "9111000060003734",
    "91110000600037341L9",
    *(VALID_CODE[:17] + letter for letter in "IOSVZ"),
    *(VALID_CODE[0] + letter + VALID_CODE[2:] for letter in "IOSVZ"),
    with_check("91110000600037342"),  # organisation code check broken, outer check right
    with_check("91110000600037351"),
    with_check("91ABCDEF600037341"),  # characters 3-8 must be a division code
    "91110000-60003734",
]


@pytest.mark.parametrize("code", BAD_CODES)
def test_bad_credit_codes_rejected_and_nothing_stored(
    client: TestClient, raw_db: sa.Engine, code: str
) -> None:
    before = row_counts(raw_db)
    response = client.post("/v1/employers", json=employer_body(credit_code=code))
    assert "credit_code" in problem_fields(response, 422)
    assert row_counts(raw_db) == before


def test_duplicate_credit_code_is_409(client: TestClient, raw_db: sa.Engine) -> None:
    first = create(client)
    other = create(client, credit_code=credit_code(7))
    before = row_counts(raw_db)
    for code in (VALID_CODE, VALID_CODE.lower(), f" {VALID_CODE} "):
        response = client.post(
            "/v1/employers", json=employer_body(credit_code=code, name="另一家公司")
        )
        problem_fields(response, 409)
        assert row_counts(raw_db) == before
    response = patch_current(
        client, f"/v1/employers/{other['id']}", json={"credit_code": VALID_CODE}
    )
    problem_fields(response, 409)
    assert client.get(f"/v1/employers/{other['id']}").json() == other
    same = patch_current(client, f"/v1/employers/{first['id']}", json={"credit_code": VALID_CODE})
    assert same.status_code == 200, same.text


@pytest.mark.parametrize(
    "overrides, field",
    [
        ({"disabled_staff": 421}, "disabled_staff"),
        ({"severe_disabled_staff": 4}, "severe_disabled_staff"),
        (
            {"staff_count": 10, "disabled_staff": 3, "severe_disabled_staff": 11},
            "severe_disabled_staff",
        ),
        ({"staff_count": -1}, "staff_count"),
        ({"staff_count": "420"}, "staff_count"),
        ({"staff_count": 4.5}, "staff_count"),
        ({"district_code": "999999"}, "district_code"),
        ({"district_code": "14030"}, "district_code"),
        ({"accessibility": ["jetpack"]}, "accessibility.0"),
        ({"kind": "spaceship"}, "kind"),
        ({"name": "   "}, "name"),
        ({"average_annual_wage": -1}, "average_annual_wage"),
        ({"extra": True}, "extra"),
    ],
)
def test_invalid_employer_rejected_and_nothing_stored(
    client: TestClient, raw_db: sa.Engine, overrides: dict[str, Any], field: str
) -> None:
    before = row_counts(raw_db)
    response = client.post("/v1/employers", json=employer_body(**overrides))
    assert field in problem_fields(response, 422)
    assert row_counts(raw_db) == before


# -- quota and levy ---------------------------------------------------------------------

AS_OF = dt.date(2026, 6, 30)  # inside the 2027-12-31 levy phase


@pytest.fixture
def quota_client(client: TestClient, monkeypatch: pytest.MonkeyPatch) -> TestClient:
    monkeypatch.setattr("service.api.routers.employers.today_in_china", lambda: AS_OF)
    return client


def quota(client: TestClient, **overrides: Any) -> dict[str, Any]:
    employer = create(client, **overrides)
    response = client.get(f"/v1/employers/{employer['id']}/quota")
    assert response.status_code == 200, response.text
    return response.json()


def test_quota_worked_example(quota_client: TestClient) -> None:
    report = quota(quota_client)  # staff 420, 3 disabled of which 1 severe, wage 68,000
    assert report["as_of"] == AS_OF.isoformat()
    assert report["quota_ratio"] == pytest.approx(0.015)
    assert report["counted_disabled_staff"] == pytest.approx(4)
    assert report["required"] == pytest.approx(6.3)
    assert report["shortfall"] == pytest.approx(2.3)
    assert report["actual_ratio"] == pytest.approx(4 / 420)
    assert report["meets_quota"] is False
    assert report["levy_share"] == pytest.approx(0.9)
    assert report["levy_base_wage"] == pytest.approx(68000)
    assert report["levy_full"] == pytest.approx(2.3 * 68000)
    assert report["levy_due"] == pytest.approx(2.3 * 68000 * 0.9)  # 140,760 CNY
    assert report["lead_by_example_duty"] is False
    assert report["concentrated_employment"] is False


LEVY_CASES = [
    # kind, staff, disabled, severe, expected shortfall, share, due (wage 50,000)
    ("private", 30, 0, 0, 0.45, 0.0, 0.0),  # ≤ 30 staff: enterprise exempt
    ("platform", 12, 0, 0, 0.18, 0.0, 0.0),
    ("private", 31, 0, 0, 0.465, 0.9, 0.465 * 50000 * 0.9),
    ("soe", 100, 2, 0, 0.0, 0.0, 0.0),  # quota met
    ("soe", 100, 1, 1, 0.0, 0.0, 0.0),  # one severe counts as two
    ("private", 200, 2, 0, 1.0, 0.5, 0.5 * 50000),  # ratio exactly 1 %: half
    ("private", 1000, 9, 0, 6.0, 0.9, 6.0 * 50000 * 0.9),  # 0.9 %: 90 %
    ("government_organ", 20, 0, 0, 0.3, 0.9, 0.3 * 50000 * 0.9),  # not an enterprise
]


@pytest.mark.parametrize("kind, staff, disabled, severe, shortfall, share, due", LEVY_CASES)
def test_levy_rules(
    quota_client: TestClient,
    kind: str,
    staff: int,
    disabled: int,
    severe: int,
    shortfall: float,
    share: float,
    due: float,
) -> None:
    report = quota(
        quota_client,
        kind=kind,
        staff_count=staff,
        disabled_staff=disabled,
        severe_disabled_staff=severe,
        average_annual_wage=50000,
    )
    assert report["shortfall"] == pytest.approx(shortfall)
    assert report["meets_quota"] is (shortfall == 0)
    assert report["levy_share"] == pytest.approx(share)
    assert report["levy_due"] == pytest.approx(due)


def test_levy_unknown_without_wage(quota_client: TestClient) -> None:
    report = quota(quota_client, average_annual_wage=None)
    assert report["shortfall"] == pytest.approx(2.3)
    assert report["levy_due"] is None and report["notes"]


@pytest.mark.parametrize(
    "kind, posts, disabled, stage, duty, met",
    [
        ("government_organ", 50, 0, None, True, False),
        ("government_organ", 120, 0, None, True, False),
        ("government_organ", 49, 0, None, False, None),
        ("government_organ", None, 0, None, False, None),
        # The duty is to employ at least one disabled person; it applies whatever the ratio.
        ("government_organ", 50, 1, None, True, True),
        ("public_institution", 67, 0, None, True, False),
        ("public_institution", 66, 0, None, False, None),
        ("soe", 500, 0, None, False, None),
        # Kindergartens, primary and secondary schools are excluded from the duty.
        ("public_institution", 80, 0, "primary", False, None),
        ("public_institution", 80, 0, "kindergarten", False, None),
        ("public_institution", 80, 0, "secondary", False, None),
        ("public_institution", 80, 0, "vocational", True, False),
        ("public_institution", 80, 2, "higher", True, True),
    ],
)
def test_lead_by_example_duty(
    quota_client: TestClient,
    kind: str,
    posts: int | None,
    disabled: int,
    stage: str | None,
    duty: bool,
    met: bool | None,
) -> None:
    report = quota(
        quota_client,
        kind=kind,
        staff_count=60,
        established_posts=posts,
        disabled_staff=disabled,
        severe_disabled_staff=0,
        school_stage=stage,
    )
    assert report["lead_by_example_duty"] is duty
    assert report["lead_by_example_met"] is met


@pytest.mark.parametrize("kind", ["private", "soe", "government_organ"])
def test_school_stage_only_for_public_institutions(
    client: TestClient, raw_db: sa.Engine, kind: str
) -> None:
    before = row_counts(raw_db)
    response = client.post("/v1/employers", json=employer_body(kind=kind, school_stage="primary"))
    assert problem_fields(response, 422) == {"school_stage"}
    assert row_counts(raw_db) == before


def test_school_stage_is_kept_and_cleared(client: TestClient) -> None:
    school = create(client, kind="public_institution", established_posts=80, school_stage="primary")
    assert school["school_stage"] == "primary"
    url = f"/v1/employers/{school['id']}"
    moved = patch_current(client, url, {"kind": "private"})
    assert problem_fields(moved, 422) == {"school_stage"}
    changed = patch_current(client, url, {"kind": "private", "school_stage": None})
    assert changed.status_code == 200, changed.text
    assert changed.json()["school_stage"] is None
    bad = client.post(
        "/v1/employers", json=employer_body(kind="public_institution", school_stage="university")
    )
    assert problem_fields(bad, 422) == {"school_stage"}


@pytest.mark.parametrize(
    "kind, staff, disabled, concentrated",
    [
        ("blind_massage", 12, 5, True),
        ("blind_massage", 12, 4, False),
        ("blind_massage", 24, 5, False),
        ("private", 40, 10, True),
        ("private", 36, 9, False),
        ("private", 12, 5, False),
        ("concentrated_employer", 100, 20, False),
        ("concentrated_employer", 100, 25, True),
    ],
)
def test_concentrated_employment(
    quota_client: TestClient, kind: str, staff: int, disabled: int, concentrated: bool
) -> None:
    report = quota(
        quota_client, kind=kind, staff_count=staff, disabled_staff=disabled, severe_disabled_staff=0
    )
    assert report["concentrated_employment"] is concentrated
