"""The contract as a generated client reads it: every error is problem+json and declared
so; 405 names every method the path accepts."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient

from tests.conftest import PROBLEM_JSON, assert_problem


def test_every_error_response_is_declared_as_problem_json(client: TestClient) -> None:
    spec = client.app.openapi()  # type: ignore[attr-defined]
    assert "HTTPValidationError" not in json.dumps(spec)
    checked = 0
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            for status, response in operation["responses"].items():
                if int(status) < 400:
                    continue
                checked += 1
                assert list(response["content"]) == [PROBLEM_JSON], (method, path, status)
                schema = response["content"][PROBLEM_JSON]["schema"]
                assert schema == {"$ref": "#/components/schemas/Problem"}, (method, path)
    assert checked > 100


def test_operations_with_input_declare_422(client: TestClient) -> None:
    spec = client.app.openapi()  # type: ignore[attr-defined]
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            if operation.get("parameters") or operation.get("requestBody"):
                assert "422" in operation["responses"], (method, path)


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [
        ("PUT", "/v1/seekers/abc", "DELETE, GET, PATCH"),
        ("DELETE", "/v1/seekers", "GET, POST"),
        ("PATCH", "/v1/employers", "GET, POST"),
        ("POST", "/healthz", "GET"),
        ("DELETE", "/v1/audit", "GET"),
    ],
)
def test_405_lists_every_allowed_method(
    client: TestClient, method: str, path: str, allowed: str
) -> None:
    response = client.request(method, path)
    assert_problem(response, 405)
    assert response.headers["allow"] == allowed


def test_patch_fields_refused_as_null_are_not_nullable(client: TestClient) -> None:
    from service.models.employer import EmployerUpdate
    from service.models.seeker import SeekerUpdate
    from service.models.vacancy import VacancyUpdate

    schemas = client.app.openapi()["components"]["schemas"]  # type: ignore[attr-defined]
    for model in (SeekerUpdate, VacancyUpdate, EmployerUpdate):
        properties = schemas[model.__name__]["properties"]
        for name in model.NOT_NULL:
            assert "null" not in json.dumps(properties[name]), (model.__name__, name)
        # An explicit null is still refused, naming the field.
    seeker_null = client.patch("/v1/seekers/skr_x", json={"name": None}, headers={"If-Match": "*"})
    assert assert_problem(seeker_null, 422)["errors"][0]["field"] == "name"


def test_if_match_is_required_where_its_absence_is_428(client: TestClient) -> None:
    spec = client.app.openapi()  # type: ignore[attr-defined]
    patches = 0
    for operations in spec["paths"].values():
        for method, operation in operations.items():
            headers = {p["name"]: p for p in operation.get("parameters", []) if p["in"] == "header"}
            if "428" in operation["responses"]:
                patches += 1
                # A PUT that creates needs If-Match only to replace (428 then).
                assert headers["If-Match"]["required"] is (method != "put")
                assert headers["If-Match"]["schema"]["type"] == "string"
            else:
                assert "If-Match" not in headers, method
    # seekers, employers, vacancies, referrals, placements, targets; a declaration's PUT
    assert patches == 7


@pytest.mark.parametrize("value", [None, "", "  "])
def test_a_patch_without_a_version_is_428(client: TestClient, value: str | None) -> None:
    from tests.factories import employer_body

    employer = client.post("/v1/employers", json=employer_body()).json()["id"]
    headers = {} if value is None else {"If-Match": value}
    response = client.patch(f"/v1/employers/{employer}", json={"name": "新名"}, headers=headers)
    assert_problem(response, 428)
