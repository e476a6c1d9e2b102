"""Test fixtures: every API test runs on SQLite and on PostgreSQL, each database built by
running the real migrations, each test isolated (a fresh SQLite copy; truncated PostgreSQL
tables)."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlmodel import SQLModel

import service.models.tables  # noqa: F401
from service import clock
from service.config import Settings
from service.main import create_app
from service.migrate import upgrade

POSTGRES_URL = os.environ.get(
    "ACCESSMATCH_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
SECRET = "test-secret-key-0123456789-abcdefghijklmnop"
ADMIN_KEY = "test-admin-key-0123456789"
PROBLEM_JSON = "application/problem+json"
TABLES = [t.name for t in SQLModel.metadata.sorted_tables]


def _pin_the_day() -> None:
    """Move the service's clock so this run starts at 10:00 in Beijing: a run never crosses
    midnight there, so "today" stays one day for every test (and every subprocess, which
    inherits the variable). A run that sets the offset itself keeps its own."""
    if clock.OFFSET_ENV not in os.environ:
        now = dt.datetime.now(clock.CHINA_TZ)
        ten = now.replace(hour=10, minute=0, second=0, microsecond=0)
        clock.set_offset((ten - now).total_seconds())


_pin_the_day()  # at collection, before any test module computes its "today"


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("db") / "template.db"
    upgrade(f"sqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def postgres_schema_url() -> Iterator[str]:
    """A private schema in the test database, migrated once for the whole run."""
    schema = f"t_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(POSTGRES_URL)
    try:
        with admin.begin() as conn:
            conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    except sa.exc.OperationalError as exc:
        pytest.fail(
            f"PostgreSQL is not reachable at {POSTGRES_URL}: {exc}. The suite runs "
            "on both databases; start it or set ACCESSMATCH_TEST_POSTGRES_URL."
        )
    sep = "&" if "?" in POSTGRES_URL else "?"
    url = f"{POSTGRES_URL}{sep}options=-csearch_path%3D{schema}"
    upgrade(url)
    yield url
    with admin.begin() as conn:
        conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


def _truncate(url: str) -> None:
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        # The audit log refuses TRUNCATE by trigger; the superuser's replica role (an
        # operator's deliberate act) is the only way past it.
        conn.execute(sa.text("SET LOCAL session_replication_role = replica"))
        conn.execute(sa.text(f"TRUNCATE {', '.join(TABLES)} CASCADE"))
    engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        path = tmp_path / "test.db"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        yield f"sqlite:///{path}"
    else:
        url = request.getfixturevalue("postgres_schema_url")
        _truncate(url)
        yield url
        _truncate(url)


def make_settings(db_url: str, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "database_url": db_url,
        "secret_key": SECRET,
        "admin_key": ADMIN_KEY,
        "rate_limit": "100000/minute",
        "log_json": False,
    }
    values.update(overrides)
    return Settings(**values)


@pytest.fixture
def settings(db_url: str) -> Settings:
    return make_settings(db_url)


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    app = create_app(settings)
    with TestClient(app, headers={"X-API-Key": ADMIN_KEY}) as test_client:
        yield test_client
    app.state.engine.dispose()


@pytest.fixture
def raw_db(db_url: str) -> Iterator[sa.Engine]:
    """Direct access to the database, to check what is really stored."""
    engine = sa.create_engine(db_url)
    yield engine
    engine.dispose()


# The audit log records refused attempts and reads too, so "a rejected request stores
# nothing" is about every other table; tests of the audit log count it on its own.
AUDIT_TABLES = ("audit_event", "audit_subject")
# Stored statistics and the write generation are derived from the rest, not stored input.
DERIVED_TABLES = ("stats_summary", "stats_generation")


def row_counts(engine: sa.Engine) -> dict[str, int]:
    """Rows per table, the audit log and the derived statistics left out."""
    with engine.connect() as conn:
        return {
            t: conn.execute(sa.text(f"SELECT COUNT(*) FROM {t}")).scalar_one()
            for t in TABLES
            if t not in AUDIT_TABLES + DERIVED_TABLES
        }


def audit_rows(engine: sa.Engine, **where: str) -> list[dict[str, Any]]:
    """Audit events as stored, oldest first, each with the seekers it concerns."""
    condition = " AND ".join(f"{k} = :{k}" for k in where) or "1 = 1"
    with engine.connect() as conn:
        events = [
            dict(r)
            for r in conn.execute(
                sa.text(f"SELECT * FROM audit_event WHERE {condition} ORDER BY id"), where
            ).mappings()
        ]
        for event in events:
            event["seeker_ids"] = sorted(
                conn.execute(
                    sa.text("SELECT seeker_id FROM audit_subject WHERE event_id = :e"),
                    {"e": event["id"]},
                ).scalars()
            )
    return events


def assert_problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM_JSON)
    body = response.json()
    assert body["status"] == status
    assert {"type", "title", "detail"} <= body.keys()
    return body


def issue_key(client: TestClient, role: str) -> dict[str, str]:
    response = client.post("/v1/api-keys", json={"role": role, "name": f"{role} test"})
    assert response.status_code == 201, response.text
    return {"X-API-Key": response.json()["key"]}


_outcomes: dict[str, dict[str, int]] = {}


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if report.when != "call" and not (report.when == "setup" and report.outcome != "passed"):
        return
    for database in ("sqlite", "postgresql"):
        if f"[{database}" in report.nodeid or f"-{database}]" in report.nodeid:
            counts = _outcomes.setdefault(database, {})
            counts[report.outcome] = counts.get(report.outcome, 0) + 1


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """Say plainly how many tests ran on each database, so a skipped half shows."""
    terminalreporter.section("tests per database")
    for database in ("sqlite", "postgresql"):
        counts = _outcomes.get(database, {})
        summary = ", ".join(f"{n} {outcome}" for outcome, n in sorted(counts.items()))
        terminalreporter.write_line(f"{database}: {summary or 'none ran'}")


def patch_current(
    client: TestClient, url: str, json: Any = None, headers: dict[str, str] | None = None
) -> Any:
    """PATCH as a careful client does: with If-Match naming the version just read (or "*"
    when the reader may not read it; the PATCH then shows why)."""
    read = client.get(url, headers=headers)
    etag = read.headers.get("etag") if read.status_code == 200 else None
    return client.patch(url, json=json, headers={**(headers or {}), "If-Match": etag or "*"})
