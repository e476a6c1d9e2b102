"""What every request is checked for before any route runs or any row is written: NUL
characters (PostgreSQL text cannot hold them), unknown or repeated query parameters, and
request ids that are not plain ASCII tokens (both databases)."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.conftest import assert_problem, row_counts
from tests.factories import employer_body, vacancy_body


@pytest.mark.parametrize(
    ("method", "path", "body", "field"),
    [
        ("POST", "/v1/api-keys", {"role": "analyst", "name": "ab\x00"}, "name"),
        ("POST", "/v1/employers", {"name": "公司\x00"}, "name"),
        ("GET", "/v1/seekers/skr_%00", None, "seeker_id"),
        ("GET", "/v1/vacancies?external_id=a%00b", None, "external_id"),
        ("GET", "/v1/audit?key_id=%00", None, "key_id"),
    ],
)
def test_nul_characters_are_422_naming_the_field(
    client: TestClient, raw_db: Any, method: str, path: str, body: Any, field: str
) -> None:
    """PostgreSQL text cannot hold U+0000: the request is refused, never a 500."""
    before = row_counts(raw_db)
    if path == "/v1/employers":
        body = {**employer_body(), **body}
    problem = assert_problem(client.request(method, path, json=body), 422)
    assert field in {e["field"] for e in problem["errors"]}
    assert row_counts(raw_db) == before


def test_vacancy_text_with_nul_is_refused(client: TestClient) -> None:
    employer = client.post("/v1/employers", json=employer_body()).json()["id"]
    for field in ("description", "employer_id", "title"):
        body = {**vacancy_body(employer), field: "客服\x00"}
        problem = assert_problem(client.post("/v1/vacancies", json=body), 422)
        assert field in {e["field"] for e in problem["errors"]}, field


@pytest.mark.parametrize(
    ("query", "field", "code"),
    [
        ("distrct_code=1403", "distrct_code", "unknown_parameter"),
        ("status=open&status=closed", "status", "repeated_parameter"),
        ("limit=5&limit=500", "limit", "repeated_parameter"),
    ],
)
def test_query_parameters_are_checked(
    client: TestClient, query: str, field: str, code: str
) -> None:
    """A misspelt or doubled filter is refused, never silently ignored."""
    problem = assert_problem(client.get(f"/v1/vacancies?{query}"), 422)
    assert {(e["field"], e["code"]) for e in problem["errors"]} == {(field, code)}


def test_a_request_id_outside_ascii_is_replaced(
    client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    """A name sent as X-Request-ID would reach the logs and the audit log: refused.  Over
    the wire, header bytes are read as latin-1, where "é" is a letter to str.isalnum."""
    from service.api.middleware import _incoming_request_id

    raw = "JoséMaría".encode("latin-1")
    assert _incoming_request_id({"headers": [(b"x-request-id", raw)]}) is None
    assert _incoming_request_id({"headers": [(b"x-request-id", b"abc-123.X_")]}) == "abc-123.X_"
    caplog.set_level(logging.INFO)
    response = client.get("/v1/seekers", headers={"X-Request-ID": "张三丰".encode()})
    assert response.status_code == 200
    assert caplog.records
    sent = "张三丰".encode().decode("latin-1")
    assert response.headers["x-request-id"] != sent
    assert all(sent not in r.getMessage() + repr(vars(r)) for r in caplog.records)
