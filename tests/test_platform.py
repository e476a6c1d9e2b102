"""Errors, health, observability and configuration of the service as a whole."""

from __future__ import annotations

import json
import logging
import re
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families
from pydantic import ValidationError

from service import config as config_module
from service.cli import main as cli_main
from service.config import DEMO_ADMIN_KEY, DEMO_SECRET_KEY, ConfigurationError, Settings
from service.logging import configure_logging, request_id_var
from service.main import create_app
from tests.conftest import (
    ADMIN_KEY,
    SECRET,
    assert_problem,
    issue_key,
    make_settings,
    patch_current,
)
from tests.factories import employer_body, seeker_body, vacancy_body

SANE_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


# -- errors -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "method, path, status",
    [
        ("GET", "/v1/no-such-resource", 404),
        ("GET", "/nowhere", 404),
        ("DELETE", "/v1/employers", 405),
        ("PUT", "/v1/seekers", 405),
        ("POST", "/healthz", 405),
    ],
)
def test_routing_errors_are_problems(
    client: TestClient, method: str, path: str, status: int
) -> None:
    response = client.request(method, path)
    body = assert_problem(response, status)
    assert body["request_id"] == response.headers["X-Request-ID"]
    assert body["instance"] == path
    if status == 405:
        assert response.headers.get("Allow"), "a 405 must say which methods are allowed"


@pytest.mark.parametrize("raw", [b'{"name": ', b"not json at all", b'{"name": "x",}'])
def test_malformed_json_is_a_422_problem(client: TestClient, raw: bytes) -> None:
    response = client.post(
        "/v1/employers", content=raw, headers={"content-type": "application/json"}
    )
    body = assert_problem(response, 422)
    assert body["errors"], body
    for error in body["errors"]:
        assert isinstance(error["field"], str)
        assert error["code"] and error["message"]


def test_schema_violation_names_the_field(client: TestClient) -> None:
    response = client.post("/v1/employers", json={"name": "某公司", "kind": "spaceship"})
    fields = {e["field"] for e in assert_problem(response, 422)["errors"]}
    assert {"kind", "credit_code", "district_code", "staff_count"} <= fields


class _StampContext(logging.Filter):
    """Notes the request id in force when a record is emitted."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.ctx_request_id = request_id_var.get()
        return True


@pytest.mark.parametrize("sent_id", [None, "client-trace-42"])
def test_unexpected_exception_is_a_bare_500_with_request_id(
    settings: Settings, caplog: pytest.LogCaptureFixture, sent_id: str | None
) -> None:
    app = create_app(settings)

    def boom() -> None:
        raise RuntimeError("secret internals: password=hunter2 at /srv/app.py")

    app.add_api_route("/boom", boom)
    caplog.handler.addFilter(_StampContext())
    caplog.set_level(logging.INFO)
    headers = {"X-Request-ID": sent_id} if sent_id else {}
    with TestClient(app, raise_server_exceptions=False, headers={"X-API-Key": ADMIN_KEY}) as client:
        response = client.get("/boom", headers=headers)
    app.state.engine.dispose()

    body = assert_problem(response, 500)
    for leak in ("hunter2", "secret internals", "RuntimeError", "Traceback", "app.py"):
        assert leak not in response.text
    request_id = response.headers.get("X-Request-ID")
    assert request_id, "a 500 response must carry X-Request-ID"
    if sent_id:
        assert request_id == sent_id
    assert body.get("request_id") == request_id
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert errors, "the failure must be logged"
    assert any(request_id in (getattr(r, "request_id", None), r.ctx_request_id) for r in errors), (
        "the error log must carry the request id"
    )
    assert any(r.exc_info for r in errors), "operators need the stack trace in the log"


# -- health -----------------------------------------------------------------------------


def test_health_and_readiness(client: TestClient) -> None:
    anonymous = TestClient(client.app)
    assert anonymous.get("/healthz").status_code == 200
    ready = anonymous.get("/readyz")
    deadline = time.monotonic() + 15  # 503 while the match index is being built
    while ready.status_code == 503 and time.monotonic() < deadline:
        time.sleep(0.05)
        ready = anonymous.get("/readyz")
    assert ready.status_code == 200, ready.text
    assert ready.json()["status"] == "ready"


@pytest.mark.parametrize(
    "url",
    ["postgresql+psycopg://postgres@127.0.0.1:1/none", "sqlite:////proc/accessmatch-none.db"],
    ids=["pg-closed-port", "file-unwritable"],
)
def test_readiness_fails_cleanly_without_database(url: str) -> None:
    app = create_app(make_settings(url, admin_key=None))
    with TestClient(app) as client:
        assert client.get("/healthz").status_code == 200  # liveness needs no database
        body = assert_problem(client.get("/readyz"), 503)
    app.state.engine.dispose()
    assert "Traceback" not in body["detail"] and "psycopg" not in body["detail"]


# -- observability ----------------------------------------------------------------------


def _request_counts(client: TestClient) -> dict[tuple[str, str, str], float]:
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    counts = {}
    for family in text_string_to_metric_families(response.text):
        for sample in family.samples:
            if sample.name == "accessmatch_http_requests_total":
                labels = sample.labels
                counts[(labels["method"], labels["route"], labels["status"])] = sample.value
    return counts


def test_metrics_count_by_route_template(client: TestClient) -> None:
    created = client.post("/v1/seekers", json=seeker_body())
    assert created.status_code == 201, created.text
    seeker_id = created.json()["id"]
    assert client.get(f"/v1/seekers/{seeker_id}").status_code == 200
    assert client.get("/v1/seekers/skr_doesnotexist42").status_code == 404
    assert client.get("/random/zzqq7731").status_code == 404

    counts = _request_counts(client)
    assert counts[("GET", "/v1/seekers/{seeker_id}", "200")] == 1
    assert counts[("GET", "/v1/seekers/{seeker_id}", "404")] == 1
    assert counts[("POST", "/v1/seekers", "201")] == 1
    text = client.get("/metrics").text
    for concrete in (seeker_id, "skr_doesnotexist42", "zzqq7731"):
        assert concrete not in text, "metrics labels must not hold concrete ids"
    assert "accessmatch_http_request_duration_seconds" in text


@pytest.mark.parametrize(
    "sent, echoed",
    [
        ("abc-123_X.y", True),
        ("0f8fad5b-d9cb-469f-a165-70867728950e", True),
        (None, False),
        ("", False),
        ("has spaces in it", False),
        ("x" * 65, False),
        ("<script>", False),
        ("line\tbreak", False),
    ],
)
def test_request_id_echoed_only_when_sane(
    client: TestClient, sent: str | None, echoed: bool
) -> None:
    headers = {"X-Request-ID": sent} if sent is not None else {}
    response = client.get("/v1/employers/emp_missing", headers=headers)
    request_id = response.headers["X-Request-ID"]
    assert response.json()["request_id"] == request_id
    if echoed:
        assert request_id == sent
    else:
        assert request_id != sent and SANE_ID.match(request_id)


def test_generated_request_ids_differ(client: TestClient) -> None:
    ids = {client.get("/healthz").headers["X-Request-ID"] for _ in range(5)}
    assert len(ids) == 5


@pytest.fixture
def restore_logging() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


@pytest.mark.usefixtures("restore_logging")
def test_logs_are_json_with_request_id(
    client: TestClient, capsys: pytest.CaptureFixture[str]
) -> None:
    configure_logging("INFO", json_output=True)
    response = client.get("/v1/employers", headers={"X-Request-ID": "trace-json-77"})
    assert response.status_code == 200
    lines = [line for line in capsys.readouterr().err.splitlines() if line.strip()]
    records = [json.loads(line) for line in lines if line.startswith("{")]
    assert records, lines
    access = [r for r in records if r.get("request_id") == "trace-json-77"]
    assert access, records
    line = access[-1]
    assert line["level"] == "INFO" and line["logger"].startswith("accessmatch")
    assert line["route"] == "/v1/employers" and line["status"] == 200
    assert ADMIN_KEY not in "\n".join(lines), "API keys must never be logged"


# -- configuration ----------------------------------------------------------------------


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[pytest.MonkeyPatch]:
    import os

    for name in list(os.environ):
        if name.startswith("ACCESSMATCH_"):
            monkeypatch.delenv(name)
    config_module.get_settings.cache_clear()
    yield monkeypatch
    config_module.get_settings.cache_clear()


@pytest.mark.parametrize(
    "values, message",
    [
        ({}, "ACCESSMATCH_SECRET_KEY"),
        ({"secret_key": ""}, "ACCESSMATCH_SECRET_KEY"),
        ({"secret_key": DEMO_SECRET_KEY}, "demo"),
        ({"secret_key": "s" * 31}, "32"),
        ({"secret_key": SECRET, "admin_key": DEMO_ADMIN_KEY}, "demo"),
    ],
    ids=["no-secret", "empty-secret", "demo-secret", "short-secret", "demo-admin-key"],
)
def test_unsafe_settings_are_refused(
    clean_env: pytest.MonkeyPatch, values: dict[str, Any], message: str
) -> None:
    with pytest.raises(ConfigurationError, match=message):
        Settings(**values)


def test_safe_settings_and_demo_mode(clean_env: pytest.MonkeyPatch) -> None:
    assert Settings(secret_key="s" * 32).secret == "s" * 32
    demo = Settings(demo=True)
    assert demo.secret == DEMO_SECRET_KEY
    assert demo.admin_key is not None and demo.admin_key.get_secret_value() == DEMO_ADMIN_KEY
    clean_env.setenv("ACCESSMATCH_DEMO", "true")
    assert Settings().secret == DEMO_SECRET_KEY
    clean_env.delenv("ACCESSMATCH_DEMO")
    clean_env.setenv("ACCESSMATCH_SECRET_KEY", "too-short")
    with pytest.raises(ConfigurationError):
        Settings()
    assert SECRET not in repr(Settings(secret_key=SECRET)), "secrets must not show in repr"


@pytest.mark.parametrize("limit", ["lots", "3/fortnight", "", "-1/minute", "minute/3"])
def test_bad_rate_limit_is_rejected(clean_env: pytest.MonkeyPatch, limit: str) -> None:
    with pytest.raises(ValidationError, match="rate_limit"):
        Settings(secret_key=SECRET, rate_limit=limit)


@pytest.mark.parametrize("limit", ["3/minute", "1200/minute", "10 per second"])
def test_good_rate_limit_is_accepted(clean_env: pytest.MonkeyPatch, limit: str) -> None:
    assert Settings(secret_key=SECRET, rate_limit=limit).rate_limit == limit


def test_cli_migrate_without_secret_exits_2(
    clean_env: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "cli.db"
    clean_env.setenv("ACCESSMATCH_DATABASE_URL", f"sqlite:///{db}")
    assert cli_main(["migrate"]) == 2
    err = capsys.readouterr().err
    assert "ACCESSMATCH_SECRET_KEY" in err and "Traceback" not in err
    assert not db.exists(), "nothing may be migrated with unsafe settings"

    clean_env.setenv("ACCESSMATCH_SECRET_KEY", SECRET)
    config_module.get_settings.cache_clear()
    assert cli_main(["migrate"]) == 0
    assert db.exists()


def test_a_corrupt_scorer_stops_start_up_with_a_clear_message(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from service.matching import scorer

    shipped = Path(scorer.__file__).parent / "artifacts"
    broken = tmp_path / "artifacts"
    shutil.copytree(shipped, broken)
    data = bytearray((broken / "scorer.skops").read_bytes())
    data[len(data) // 2] ^= 0xFF
    (broken / "scorer.skops").write_bytes(bytes(data))
    with pytest.raises(scorer.ScorerError, match="checksum"):
        create_app(make_settings("sqlite:///:memory:", scorer_dir=broken))
    monkeypatch.setenv("ACCESSMATCH_DEMO", "true")
    monkeypatch.setenv("ACCESSMATCH_SCORER_DIR", str(broken))
    config_module.get_settings.cache_clear()
    try:
        assert cli_main(["serve", "--port", "1"]) == 2
    finally:
        config_module.get_settings.cache_clear()
    assert "checksum" in capsys.readouterr().err


def test_create_key_command_prints_a_working_key(
    db_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("ACCESSMATCH_DATABASE_URL", db_url)
    monkeypatch.setenv("ACCESSMATCH_SECRET_KEY", SECRET)
    config_module.get_settings.cache_clear()
    try:
        assert cli_main(["create-key", "--role", "counselor", "--name", "ops"]) == 0
    finally:
        config_module.get_settings.cache_clear()
    issued = json.loads(capsys.readouterr().out)
    assert issued["role"] == "counselor"
    app = create_app(make_settings(db_url))
    with TestClient(app, headers={"X-API-Key": issued["key"]}) as client:
        assert client.get("/v1/seekers").status_code == 200
    app.state.engine.dispose()


def test_oversized_bodies_get_413_without_being_stored(db_url: str) -> None:
    app = create_app(make_settings(db_url, max_body_bytes=1024))
    big = {**seeker_body(), "skills": ["客服"] * 40, "name": "张" * 200}
    with TestClient(app, headers={"X-API-Key": ADMIN_KEY}) as client:
        assert len(json.dumps(big)) > 1024
        declared = client.post("/v1/seekers", json=big)
        assert_problem(declared, 413)

        def chunks() -> Iterator[bytes]:  # no Content-Length: the limit counts the stream
            yield b'{"name": "'
            for _ in range(100):
                yield b"x" * 100
            yield b'"}'

        streamed = client.post(
            "/v1/seekers", content=chunks(), headers={"content-type": "application/json"}
        )
        assert_problem(streamed, 413)
        assert client.get("/v1/seekers").json()["items"] == []
        small = {**seeker_body(), "assessment": None, "preferences": None}
        small = {k: v for k, v in small.items() if v is not None}
        assert len(json.dumps(small)) < 1024
        assert client.post("/v1/seekers", json=small).status_code == 201
    app.state.engine.dispose()


def test_logs_hold_no_names_id_numbers_or_phones(
    client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    body = seeker_body(name="欧阳娜娜", phone="13987654321")
    caplog.set_level(logging.DEBUG)
    partner = issue_key(client, "partner")
    created = client.post("/v1/seekers", json=body, headers={"Idempotency-Key": "log-1"})
    assert created.status_code == 201
    seeker_id = created.json()["id"]
    url = f"/v1/seekers/{seeker_id}"
    patch_current(client, url, json={"phone": "13811112222"})
    client.post("/v1/seekers", json=body)  # 409, logged as a request and audited
    client.post("/v1/seekers", json=body, headers={"Idempotency-Key": "log-1"})  # replay
    client.post("/v1/seekers", json={**body, "id_number": body["id_number"][:-1] + "0"})
    client.get(url, headers=partner)  # 404, audited as refused
    employer = client.post("/v1/employers", json=employer_body()).json()["id"]
    vacancy = client.post("/v1/vacancies", json=vacancy_body(employer)).json()["id"]
    for path in (
        f"{url}/matches",
        f"{url}/matches/{vacancy}",
        f"/v1/vacancies/{vacancy}/matches",
        f"{url}/export",
        "/v1/seekers",
        f"/v1/audit?seeker_id={seeker_id}",
    ):
        assert client.get(path).status_code == 200, path
    assert client.delete(url).status_code == 204
    assert caplog.records, "nothing was logged: the test would prove nothing"
    secrets = [
        "欧阳娜娜",
        body["id_number"],
        body["disability"]["certificate_number"],
        "13987654321",
        "13811112222",
        body["id_number"][:-1] + "0",
    ]
    for record in caplog.records:
        text = record.getMessage() + repr(vars(record))
        for secret in secrets:
            assert secret not in text, (record.name, record.getMessage())
