"""A server killed (SIGKILL) while a POST with Idempotency-Key runs: after a restart, the
retry with the same key takes the dead claim over and runs, and the result exists once.
Real processes on both databases."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from service.clock import utcnow
from service.migrate import upgrade
from service.models.base import as_utc
from service.models.tables import IdempotencyRecord
from tests.factories import employer_body, vacancy_body
from tests.live_server import Server

ROOT = Path(__file__).resolve().parents[1]
LEASE_SECONDS = 2.0
LEASE_ENV = {"ACCESSMATCH_IDEMPOTENCY_LEASE_SECONDS": str(LEASE_SECONDS)}
KEY = "import-crash-1"
ITEMS = 1000


@pytest.fixture
def servers(db_url: str, tmp_path: Path) -> Iterator[list[Server]]:
    upgrade(db_url)
    started: list[Server] = []
    yield started
    for server in started:
        server.kill()


def _claim(engine: sa.Engine) -> Any:
    with engine.connect() as conn:
        return conn.execute(
            sa.select(IdempotencyRecord.status, IdempotencyRecord.lease_expires_at).where(
                IdempotencyRecord.key == KEY
            )
        ).first()


def _wait_for(condition: Any, what: str, seconds: float = 60) -> Any:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = condition()
        if found:
            return found
        time.sleep(0.01)
    raise AssertionError(f"timed out waiting for {what}")


def test_a_retry_after_the_server_was_killed_runs_the_request_once(
    db_url: str, raw_db: sa.Engine, servers: list[Server], tmp_path: Path
) -> None:
    first = Server(db_url, tmp_path / "server.log", **LEASE_ENV)
    servers.append(first)
    with first.client() as http:
        employer = http.post("/v1/employers", json=employer_body())
        assert employer.status_code == 201, employer.text
    items = [vacancy_body(employer.json()["id"], external_id=f"ext-{n}") for n in range(ITEMS)]
    headers = {"Idempotency-Key": KEY}

    def send_and_lose() -> None:
        with first.client() as http, pytest.raises(httpx.TransportError):
            http.post("/v1/vacancies/import", json=items, headers=headers)

    sender = threading.Thread(target=send_and_lose)
    sender.start()
    # Killed once the claim is committed and before it is settled: the import is running.
    _wait_for(
        lambda: (row := _claim(raw_db)) is not None and row.status is None,
        "the claim of the import",
    )
    first.kill()
    sender.join(60)
    claim = _claim(raw_db)
    assert claim.status is None  # left in flight by the dead process

    second = Server(db_url, tmp_path / "server.log", **LEASE_ENV)
    servers.append(second)
    lease = as_utc(claim.lease_expires_at)
    _wait_for(lambda: utcnow() > lease, "the dead claim's lease to run out")
    with second.client() as http:
        retry = http.post("/v1/vacancies/import", json=items, headers=headers)
        assert retry.status_code == 200, retry.text  # run, not 409 "still in progress"
        assert "idempotent-replayed" not in retry.headers
        assert {i["status"] for i in retry.json()["items"]} <= {"created", "updated"}
        again = http.post("/v1/vacancies/import", json=items, headers=headers)
        assert again.headers["idempotent-replayed"] == "true"
        assert again.json() == retry.json()
    with raw_db.connect() as conn:
        ids = conn.execute(sa.text("SELECT external_id FROM vacancy")).scalars().all()
    assert len(ids) == ITEMS and set(ids) == {f"ext-{n}" for n in range(ITEMS)}
    assert _claim(raw_db).status == 200
