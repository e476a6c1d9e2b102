"""Idempotency-Key on POST: safe retries for partner integrations (both databases)."""

from __future__ import annotations

import datetime as dt
import hashlib
import time

import sqlalchemy as sa
from fastapi.testclient import TestClient

from service.db import transaction
from service.repositories import idempotency
from tests.conftest import ADMIN_KEY, assert_problem, row_counts
from tests.factories import employer_body, seeker_body


def test_a_retry_returns_the_original_response_and_stores_once(
        client: TestClient, raw_db: sa.Engine) -> None:
    headers = {"Idempotency-Key": "reg-0001"}
    first = client.post("/v1/seekers", json=seeker_body(), headers=headers)
    assert first.status_code == 201, first.text
    again = client.post("/v1/seekers", json=seeker_body(), headers=headers)
    assert again.status_code == 201
    assert again.json() == first.json()
    assert again.headers["location"] == first.headers["location"]
    assert again.headers["idempotent-replayed"] == "true"
    assert row_counts(raw_db)["seeker"] == 1
    with raw_db.connect() as conn:  # the kept response is encrypted like the record
        stored = conn.execute(sa.text("SELECT body FROM idempotency_record")).scalar_one()
    assert first.json()["name"] not in stored and first.json()["id"] not in stored
    # Without the key the same body is a second attempt, and the registry refuses it.
    assert client.post("/v1/seekers", json=seeker_body()).status_code == 409


def test_the_same_key_with_another_body_is_422(client: TestClient, raw_db: sa.Engine) -> None:
    headers = {"Idempotency-Key": "emp-1"}
    assert client.post("/v1/employers", json=employer_body(), headers=headers).status_code == 201
    other = client.post("/v1/employers", json=employer_body(name="另一家公司"), headers=headers)
    assert_problem(other, 422)
    assert row_counts(raw_db)["employer"] == 1


def test_a_retry_while_the_first_is_in_flight_is_409(client: TestClient, db_url: str,
                                                     raw_db: sa.Engine) -> None:
    engine = sa.create_engine(db_url)
    owner = hashlib.sha256(ADMIN_KEY.encode()).hexdigest()
    with transaction(engine) as session:  # the first request has claimed the key
        idempotency.claim(session, owner, "slow-1", "anything",
                          dt.datetime.now(dt.UTC) + dt.timedelta(hours=1))
    engine.dispose()
    retry = client.post("/v1/employers", json=employer_body(),
                        headers={"Idempotency-Key": "slow-1"})
    assert_problem(retry, 409)
    assert row_counts(raw_db)["employer"] == 0


def test_keys_expire_and_errors_are_not_remembered(db_url: str, raw_db: sa.Engine) -> None:
    from service.main import create_app
    from tests.conftest import make_settings

    app = create_app(make_settings(db_url, idempotency_ttl_seconds=2.0))
    with TestClient(app, headers={"X-API-Key": ADMIN_KEY}) as client:
        headers = {"Idempotency-Key": "k"}
        bad = client.post("/v1/employers", json=employer_body(kind="spaceship"),
                          headers=headers)
        assert bad.status_code == 422
        assert client.post("/v1/employers", json=employer_body(kind="spaceship"),
                           headers=headers).json() == bad.json()
        import time
        time.sleep(2.1)  # expired: the key may now carry a different request
        good = client.post("/v1/employers", json=employer_body(), headers=headers)
        assert good.status_code == 201, good.text
    app.state.engine.dispose()
    assert row_counts(raw_db)["employer"] == 1


def test_keys_are_scoped_per_api_key(client: TestClient, raw_db: sa.Engine) -> None:
    partner = client.post("/v1/api-keys", json={"role": "partner", "name": "p"}).json()["key"]
    headers = {"Idempotency-Key": "same"}
    assert client.post("/v1/employers", json=employer_body(), headers=headers).status_code == 201
    theirs = client.post("/v1/employers", json=employer_body(name="别家"),
                         headers={**headers, "X-API-Key": partner})
    assert theirs.status_code == 409  # a new request (same credit code), not a replay
    assert "idempotent-replayed" not in theirs.headers


def test_a_revoked_key_gets_no_replay(client: TestClient, raw_db: sa.Engine) -> None:
    created = client.post("/v1/api-keys", json={"role": "partner", "name": "p"}).json()
    headers = {"X-API-Key": created["key"], "Idempotency-Key": "reg-9"}
    first = client.post("/v1/seekers", json=seeker_body(), headers=headers)
    assert first.status_code == 201, first.text
    assert client.delete(f"/v1/api-keys/{created['id']}").status_code == 204
    again = client.post("/v1/seekers", json=seeker_body(), headers=headers)
    assert_problem(again, 401)  # not the kept response, which holds the person's name
    assert first.json()["name"] not in again.text
    unknown = client.post("/v1/seekers", json=seeker_body(),
                          headers={"X-API-Key": "am_unknown", "Idempotency-Key": "reg-9"})
    assert_problem(unknown, 401)
    assert row_counts(raw_db)["idempotency_record"] == 1


def test_replays_count_against_the_rate_limit(db_url: str, raw_db: sa.Engine) -> None:
    from service.main import create_app
    from tests.conftest import make_settings

    app = create_app(make_settings(db_url, rate_limit="3/minute"))
    with TestClient(app, headers={"X-API-Key": ADMIN_KEY}) as client:
        headers = {"Idempotency-Key": "emp-r"}
        assert client.post("/v1/employers", json=employer_body(),
                           headers=headers).status_code == 201
        for _ in range(2):
            replay = client.post("/v1/employers", json=employer_body(), headers=headers)
            assert replay.headers["idempotent-replayed"] == "true"
        limited = client.post("/v1/employers", json=employer_body(), headers=headers)
        assert_problem(limited, 429)
        assert int(limited.headers["retry-after"]) > 0
        # A request first refused by the limit is not remembered as refused.
        fresh = {"Idempotency-Key": "emp-late"}
        body = employer_body(name="后来的公司")
        assert_problem(client.post("/v1/employers", json=body, headers=fresh), 429)
        with raw_db.connect() as conn:
            kept = conn.execute(sa.text("SELECT key FROM idempotency_record")).scalars()
            assert "emp-late" not in set(kept)
    app.state.engine.dispose()


def test_expired_records_are_purged(db_url: str, raw_db: sa.Engine) -> None:
    """A kept response may hold a name: once expired it is deleted, not only ignored."""
    from service.main import create_app
    from tests.conftest import make_settings

    app = create_app(make_settings(db_url, idempotency_ttl_seconds=1.0))
    with TestClient(app, headers={"X-API-Key": ADMIN_KEY}) as client:
        assert client.post("/v1/seekers", json=seeker_body(),
                           headers={"Idempotency-Key": "old"}).status_code == 201
        deadline = time.monotonic() + 10  # purges run at most once per TTL here
        while time.monotonic() < deadline:
            time.sleep(1.1)
            client.post("/v1/employers", json=employer_body(kind="bad"),
                        headers={"Idempotency-Key": f"new-{time.monotonic()}"})
            with raw_db.connect() as conn:
                keys = conn.execute(sa.text("SELECT key FROM idempotency_record")).scalars()
                if "old" not in set(keys):
                    break
        else:
            raise AssertionError("the expired record was never purged")
    app.state.engine.dispose()


def test_a_key_secret_is_not_replayed(client: TestClient, raw_db: sa.Engine) -> None:
    """POST /v1/api-keys shows the secret once: a retry is told so, and the secret is not
    kept for replays."""
    headers = {"Idempotency-Key": "issue-1"}
    body = {"role": "kiosk", "name": "展位"}
    first = client.post("/v1/api-keys", json=body, headers=headers)
    assert first.status_code == 201, first.text
    again = client.post("/v1/api-keys", json=body, headers=headers)
    assert_problem(again, 409)
    assert first.json()["key"] not in again.text
    with raw_db.connect() as conn:
        kept = conn.execute(sa.text(
            "SELECT body FROM idempotency_record WHERE key = 'issue-1'")).scalar_one()
        keys = conn.execute(sa.text("SELECT COUNT(*) FROM api_key")).scalar_one()
    assert kept is None and keys == 2  # the bootstrap admin and the one issued
    # A refused issue is an ordinary answer: replayed as it was.
    bad = {"role": "root", "name": "x"}
    refused = client.post("/v1/api-keys", json=bad, headers={"Idempotency-Key": "issue-2"})
    replay = client.post("/v1/api-keys", json=bad, headers={"Idempotency-Key": "issue-2"})
    assert_problem(refused, 422)
    assert replay.json() == refused.json() and replay.headers["idempotent-replayed"] == "true"
