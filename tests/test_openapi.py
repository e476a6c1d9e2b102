"""The committed OpenAPI document is the contract: it must equal what the app serves."""

from __future__ import annotations

import json
import re
from pathlib import Path

from fastapi.routing import APIRoute

from service.main import create_app
from tests.conftest import make_settings

SPEC = Path(__file__).resolve().parents[1] / "openapi" / "openapi.json"
CONTRACT_PATHS = {
    ("post", "/v1/seekers"),
    ("get", "/v1/seekers"),
    ("get", "/v1/seekers/{seeker_id}"),
    ("patch", "/v1/seekers/{seeker_id}"),
    ("delete", "/v1/seekers/{seeker_id}"),
    ("post", "/v1/employers"),
    ("get", "/v1/employers/{employer_id}/quota"),
    ("post", "/v1/vacancies"),
    ("post", "/v1/vacancies/import"),
    ("post", "/v1/api-keys"),
    ("get", "/healthz"),
    ("get", "/readyz"),
    ("get", "/metrics"),
}


def _app_spec() -> dict[str, object]:
    return create_app(make_settings("sqlite:///:memory:")).openapi()


def test_committed_spec_matches_the_app() -> None:
    committed = json.loads(SPEC.read_text(encoding="utf-8"))
    assert committed == _app_spec(), "openapi/openapi.json is stale: run `make openapi`"


def test_contract_paths_and_operation_ids() -> None:
    spec = _app_spec()
    paths = spec["paths"]
    assert isinstance(paths, dict)
    served = {(method, path) for path, ops in paths.items() for method in ops}
    assert served >= CONTRACT_PATHS
    ids = [op["operationId"] for ops in paths.values() for op in ops.values()]
    assert len(ids) == len(set(ids))
    for op_id in ids:
        assert re.fullmatch(r"[a-z]+(-[a-z]+)*", op_id), op_id


def test_every_v1_route_declares_its_errors() -> None:
    app = create_app(make_settings("sqlite:///:memory:"))
    for route in app.routes:
        if not isinstance(route, APIRoute) or not route.path.startswith("/v1"):
            continue
        declared = set(route.responses)
        assert {401, 403, 429} <= declared, route.path
        if "{" in route.path:
            assert 404 in declared, route.path
        if route.methods & {"POST", "PATCH"}:
            assert 422 in declared, route.path


CONTRACT_DOC = SPEC.parents[1] / "docs" / "contract.md"
ALWAYS = {"401", "403", "422", "429", "503"}  # stated once for every /v1 operation
ROW = re.compile(
    r"^\| (GET|POST|PUT|PATCH|DELETE) \| `([^`]+)` \| `([^`]+)` \|.*\| "
    r"([0-9, ]+) \| ([0-9, —]+) \|$"
)


def _documented() -> dict[tuple[str, str], tuple[str, set[str], set[str]]]:
    rows = {}
    for line in CONTRACT_DOC.read_text(encoding="utf-8").splitlines():
        if found := ROW.match(line):
            method, path, operation_id, success, other = found.groups()
            rows[(method.lower(), path)] = (
                operation_id,
                {s.strip() for s in success.split(",")},
                {s.strip() for s in other.split(",") if s.strip() != "—"},
            )
    return rows


def test_docs_contract_lists_every_operation_with_its_statuses() -> None:
    """docs/contract.md is what integrators read: each served operation is in its tables
    with the operationId, the success statuses and the other statuses the spec declares."""
    documented, served = _documented(), {}
    for path, ops in _app_spec()["paths"].items():  # type: ignore[union-attr]
        for method, op in ops.items():
            codes = set(op["responses"])
            success = {c for c in codes if c.startswith("2")}
            always = ALWAYS if path.startswith("/v1/") else set()
            served[(method, path)] = (op["operationId"], success, codes - success - always)
    assert set(documented) == set(served), set(documented) ^ set(served)
    wrong = {
        key: (documented[key], served[key]) for key in served if documented[key] != served[key]
    }
    assert not wrong, wrong
