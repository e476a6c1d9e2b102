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


@pytest.mark.parametrize(("method", "path", "allowed"), [
    ("PUT", "/v1/seekers/abc", "DELETE, GET, PATCH"),
    ("DELETE", "/v1/seekers", "GET, POST"),
    ("PATCH", "/v1/employers", "GET, POST"),
    ("POST", "/healthz", "GET"),
    ("DELETE", "/v1/audit", "GET"),
])
def test_405_lists_every_allowed_method(client: TestClient, method: str, path: str,
                                        allowed: str) -> None:
    response = client.request(method, path)
    assert_problem(response, 405)
    assert response.headers["allow"] == allowed
