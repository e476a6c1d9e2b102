"""Idempotency-Key on POST: safe retries for partner integrations (both databases)."""

from __future__ import annotations

import datetime as dt
import hashlib
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from service.api.idempotency import IdempotencyMiddleware
from service.clock import utcnow
from service.db import transaction
from service.main import create_app
from service.models.base import as_utc
from service.models.tables import IdempotencyRecord
from service.repositories import idempotency
from tests.conftest import ADMIN_KEY, assert_problem, make_settings, row_counts
from tests.factories import employer_body, id_number, seeker_body, vacancy_body


def test_a_retry_returns_the_original_response_and_stores_once(
    client: TestClient, raw_db: sa.Engine
) -> None:
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


def test_a_retry_while_the_first_is_in_flight_is_409(
    client: TestClient, db_url: str, raw_db: sa.Engine
) -> None:
    engine = sa.create_engine(db_url)
    owner = hashlib.sha256(ADMIN_KEY.encode()).hexdigest()
    with transaction(engine) as session:  # the first request has claimed the key
        later = utcnow() + dt.timedelta(hours=1)
        idempotency.claim(
            session,
            idempotency.Claim(owner, "slow-1", "live"),
            "anything",
            expires_at=later,
            lease_until=later,
        )
    engine.dispose()
    retry = client.post(
        "/v1/employers", json=employer_body(), headers={"Idempotency-Key": "slow-1"}
    )
    assert_problem(retry, 409)
    assert row_counts(raw_db)["employer"] == 0


def test_keys_expire_and_errors_are_not_remembered(db_url: str, raw_db: sa.Engine) -> None:
    from service.main import create_app
    from tests.conftest import make_settings

    app = create_app(make_settings(db_url, idempotency_ttl_seconds=2.0))
    with TestClient(app, headers={"X-API-Key": ADMIN_KEY}) as client:
        headers = {"Idempotency-Key": "k"}
        bad = client.post("/v1/employers", json=employer_body(kind="spaceship"), headers=headers)
        assert bad.status_code == 422
        assert (
            client.post(
                "/v1/employers", json=employer_body(kind="spaceship"), headers=headers
            ).json()
            == bad.json()
        )
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
    theirs = client.post(
        "/v1/employers", json=employer_body(name="别家"), headers={**headers, "X-API-Key": partner}
    )
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
    unknown = client.post(
        "/v1/seekers",
        json=seeker_body(),
        headers={"X-API-Key": "am_unknown", "Idempotency-Key": "reg-9"},
    )
    assert_problem(unknown, 401)
    assert row_counts(raw_db)["idempotency_record"] == 1


def test_replays_count_against_the_rate_limit(db_url: str, raw_db: sa.Engine) -> None:
    from service.main import create_app
    from tests.conftest import make_settings

    app = create_app(make_settings(db_url, rate_limit="3/minute"))
    with TestClient(app, headers={"X-API-Key": ADMIN_KEY}) as client:
        headers = {"Idempotency-Key": "emp-r"}
        assert (
            client.post("/v1/employers", json=employer_body(), headers=headers).status_code == 201
        )
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
        assert (
            client.post(
                "/v1/seekers", json=seeker_body(), headers={"Idempotency-Key": "old"}
            ).status_code
            == 201
        )
        deadline = time.monotonic() + 10  # purges run at most once per TTL here
        while time.monotonic() < deadline:
            time.sleep(1.1)
            client.post(
                "/v1/employers",
                json=employer_body(kind="bad"),
                headers={"Idempotency-Key": f"new-{time.monotonic()}"},
            )
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
        kept = conn.execute(
            sa.text("SELECT body FROM idempotency_record WHERE key = 'issue-1'")
        ).scalar_one()
        keys = conn.execute(sa.text("SELECT COUNT(*) FROM api_key")).scalar_one()
    assert kept is None and keys == 2  # the bootstrap admin and the one issued
    # A refused issue is an ordinary answer: replayed as it was.
    bad = {"role": "root", "name": "x"}
    refused = client.post("/v1/api-keys", json=bad, headers={"Idempotency-Key": "issue-2"})
    replay = client.post("/v1/api-keys", json=bad, headers={"Idempotency-Key": "issue-2"})
    assert_problem(refused, 422)
    assert replay.json() == refused.json() and replay.headers["idempotent-replayed"] == "true"


# --- leases: a claim left by a dead process is taken over -----------------------------


def _dead_claim(db_url: str, key: str) -> None:
    """A claim in flight whose process died: nobody renews its lease, which has run out."""
    engine = sa.create_engine(db_url)
    now = utcnow()
    with transaction(engine) as session:
        idempotency.claim(
            session,
            idempotency.Claim(OWNER, key, "dead-process"),
            "anything",
            expires_at=now + dt.timedelta(hours=1),
            lease_until=now - dt.timedelta(seconds=1),
        )
    engine.dispose()


OWNER = hashlib.sha256(ADMIN_KEY.encode()).hexdigest()


def _employer_id(client: TestClient) -> str:
    response = client.post("/v1/employers", json=employer_body())
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def test_a_claim_whose_process_died_is_taken_over(
    client: TestClient, db_url: str, raw_db: sa.Engine
) -> None:
    _dead_claim(db_url, "crashed-1")
    retry = client.post(
        "/v1/employers", json=employer_body(), headers={"Idempotency-Key": "crashed-1"}
    )
    assert retry.status_code == 201, retry.text  # run, not "still in progress"
    assert "idempotent-replayed" not in retry.headers
    again = client.post(
        "/v1/employers", json=employer_body(), headers={"Idempotency-Key": "crashed-1"}
    )
    assert again.headers["idempotent-replayed"] == "true" and again.json() == retry.json()
    assert row_counts(raw_db)["employer"] == 1
    with raw_db.connect() as conn:
        kept = conn.execute(
            sa.text("SELECT status, claimant FROM idempotency_record WHERE key = 'crashed-1'")
        ).one()
    assert kept.status == 201 and kept.claimant != "dead-process"


def test_racing_retries_of_a_dead_claim_run_it_once(
    client: TestClient, db_url: str, raw_db: sa.Engine
) -> None:
    employer = _employer_id(client)
    _dead_claim(db_url, "crashed-2")
    body = vacancy_body(employer)  # no external_id: a second run would be a second vacancy

    def retry(_: int) -> tuple[int, bool]:
        response = client.post("/v1/vacancies", json=body, headers={"Idempotency-Key": "crashed-2"})
        return response.status_code, "idempotent-replayed" in response.headers

    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(retry, range(8)))
    assert answers.count((201, False)) == 1, answers  # exactly one took the claim over
    assert set(answers) <= {(201, False), (201, True), (409, False)}, answers
    assert row_counts(raw_db)["vacancy"] == 1


def test_the_lease_is_renewed_while_the_request_runs(
    db_url: str, raw_db: sa.Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    from service.services import vacancies

    entered, release = threading.Event(), threading.Event()
    real_create = vacancies.create

    def slow_create(*args: Any, **kwargs: Any) -> Any:
        entered.set()
        assert release.wait(30)
        return real_create(*args, **kwargs)

    app = create_app(make_settings(db_url, idempotency_lease_seconds=1.0))
    with TestClient(app, headers={"X-API-Key": ADMIN_KEY}) as client:
        body = vacancy_body(_employer_id(client))
        monkeypatch.setattr(vacancies, "create", slow_create)
        headers = {"Idempotency-Key": "slow-2"}
        with ThreadPoolExecutor(1) as pool:
            first = pool.submit(client.post, "/v1/vacancies", json=body, headers=headers)
            assert entered.wait(30)
            with raw_db.connect() as conn:
                leased = as_utc(
                    conn.execute(
                        sa.select(IdempotencyRecord.lease_expires_at).where(
                            IdempotencyRecord.key == "slow-2"
                        )
                    ).scalar_one()
                )
            while utcnow() <= leased + dt.timedelta(seconds=0.5):
                time.sleep(0.1)  # the first lease has run out: only renewal keeps the claim
            assert_problem(client.post("/v1/vacancies", json=body, headers=headers), 409)
            release.set()
            assert first.result(30).status_code == 201
    app.state.engine.dispose()
    assert row_counts(raw_db)["vacancy"] == 1


def test_a_request_that_raises_releases_its_claim(
    db_url: str, raw_db: sa.Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An unexpected error is a 500: not kept, and the key is free for a retry at once."""
    from service.services import employers

    real_create = employers.create
    monkeypatch.setattr(employers, "create", lambda *a, **k: 1 / 0)
    app = create_app(make_settings(db_url))
    with TestClient(app, headers={"X-API-Key": ADMIN_KEY}, raise_server_exceptions=False) as client:
        headers = {"Idempotency-Key": "boom-1"}
        assert_problem(client.post("/v1/employers", json=employer_body(), headers=headers), 500)
        assert row_counts(raw_db)["idempotency_record"] == 0
        monkeypatch.setattr(employers, "create", real_create)
        retry = client.post("/v1/employers", json=employer_body(), headers=headers)
        assert retry.status_code == 201, retry.text
    app.state.engine.dispose()


# --- erasure forgets the kept registration whole -----------------------------------------


def _rows_mentioning(engine: sa.Engine, *needles: str) -> list[dict[str, Any]]:
    with engine.connect() as conn:
        rows = [
            dict(r) for r in conn.execute(sa.text("SELECT * FROM idempotency_record")).mappings()
        ]
    return [r for r in rows if any(n in str(v) for v in r.values() for n in needles)]


def test_erasure_deletes_the_kept_registration_whole(client: TestClient, raw_db: sa.Engine) -> None:
    body = seeker_body()
    key = f"reg-{body['id_number']}"  # a client may well put personal data in its keys
    mine = client.post("/v1/seekers", json=body, headers={"Idempotency-Key": key})
    assert mine.status_code == 201, mine.text
    other = client.post(
        "/v1/seekers",
        json=seeker_body(id_number=id_number(dt.date(1990, 1, 2), 456)),
        headers={"Idempotency-Key": "reg-other"},
    )
    assert other.status_code == 201, other.text
    assert len(_rows_mentioning(raw_db, key, mine.json()["id"])) == 1
    assert client.delete(f"/v1/seekers/{mine.json()['id']}").status_code == 204
    assert _rows_mentioning(raw_db, key, mine.json()["id"]) == []
    assert len(_rows_mentioning(raw_db, "reg-other")) == 1  # only that person's record
    retry = client.post("/v1/seekers", json=body, headers={"Idempotency-Key": key})
    assert retry.status_code == 201 and "idempotent-replayed" not in retry.headers


def test_a_registration_erased_before_its_answer_is_kept_leaves_nothing(
    client: TestClient, raw_db: sa.Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The client has the answer before the middleware keeps it: an erasure in between
    must not be outlived by the kept answer."""
    real_settle = IdempotencyMiddleware._settle

    def erase_first(
        self: IdempotencyMiddleware, attempt: Any, path: str, captured: dict[str, Any]
    ) -> None:
        location = captured["headers"].get("location", "")
        if location.startswith("/v1/seekers/"):
            assert client.delete(location).status_code == 204
        real_settle(self, attempt, path, captured)

    monkeypatch.setattr(IdempotencyMiddleware, "_settle", erase_first)
    created = client.post("/v1/seekers", json=seeker_body(), headers={"Idempotency-Key": "r"})
    assert created.status_code == 201, created.text
    assert row_counts(raw_db)["seeker"] == 0
    assert row_counts(raw_db)["idempotency_record"] == 0


# --- the header in the contract, and malformed headers ---------------------------------


def test_every_post_declares_the_idempotency_key_header() -> None:
    spec = create_app(make_settings("sqlite:///:memory:")).openapi()
    posts = [(path, ops["post"]) for path, ops in spec["paths"].items() if "post" in ops]
    assert len(posts) >= 5
    for path, operation in posts:
        declared = [p for p in operation.get("parameters", []) if p["name"] == "Idempotency-Key"]
        assert len(declared) == 1, path
        assert declared[0]["in"] == "header" and declared[0]["required"] is False, path
        assert declared[0]["schema"]["type"] == "string", path
        assert declared[0]["schema"]["maxLength"] == 200, path
        assert {"400", "409", "422"} <= operation["responses"].keys(), path


@pytest.mark.parametrize("value", ["", "   ", "k" * 201])
def test_a_malformed_idempotency_key_is_400(
    client: TestClient, raw_db: sa.Engine, value: str
) -> None:
    before = row_counts(raw_db)
    answer = client.post("/v1/employers", json=employer_body(), headers={"Idempotency-Key": value})
    assert "Idempotency-Key" in assert_problem(answer, 400)["detail"]
    assert row_counts(raw_db) == before


def test_two_idempotency_keys_are_400_and_the_longest_key_is_fine(
    client: TestClient, raw_db: sa.Engine
) -> None:
    twice = client.post(
        "/v1/employers",
        json=employer_body(),
        headers=[("X-API-Key", ADMIN_KEY), ("Idempotency-Key", "a"), ("Idempotency-Key", "b")],
    )
    assert_problem(twice, 400)
    assert row_counts(raw_db)["employer"] == 0
    longest = {"Idempotency-Key": "k" * 200}
    assert client.post("/v1/employers", json=employer_body(), headers=longest).status_code == 201
    assert (
        client.post("/v1/employers", json=employer_body(), headers=longest).headers[
            "idempotent-replayed"
        ]
        == "true"
    )
