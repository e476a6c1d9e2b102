"""Stored statistics summaries, on both databases: a repeated question is answered from the
store, any committed write (through the service or not) makes the next answer fresh and
right, a rolled-back one does not, and keys of different reach never share an answer."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from service.generation import writes_a_source
from service.main import create_app
from tests.conftest import ADMIN_KEY, assert_problem, make_settings
from tests.stats_helpers import TODAY, Person, assert_table, expected, people, register


def _get(client: TestClient, key: dict[str, str], path: str = "seekers", **params: Any) -> Any:
    response = client.get(f"/v1/stats/{path}", params=params, headers=key)
    assert response.status_code == 200, response.text
    return response.json()


def _summaries(engine: sa.Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(sa.text("SELECT COUNT(*) FROM stats_summary")).scalar_one())


def _generation(engine: sa.Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(sa.text("SELECT max(n) FROM stats_generation")).scalar() or 0)


@pytest.fixture
def crowd(client: TestClient) -> list[Person]:
    return register(client, people(30))


def _analyst(client: TestClient, district: str | None = None) -> dict[str, str]:
    body: dict[str, Any] = {"role": "analyst", "name": "dashboard"}
    if district:
        body["district_code"] = district
    response = client.post("/v1/api-keys", json=body)
    assert response.status_code == 201, response.text
    return {"X-API-Key": response.json()["key"]}


def test_a_repeated_question_is_answered_from_the_store(
    client: TestClient, crowd: list[Person], raw_db: sa.Engine
) -> None:
    key = _analyst(client)
    first = _get(client, key, by=["district", "sex"])
    assert first["computed_at"] is not None
    stored = _summaries(raw_db)
    assert stored >= 1
    again = _get(client, key, by=["district", "sex"])
    assert again == first  # the same cells and the same computed_at: not computed again
    assert _summaries(raw_db) == stored
    other = _get(client, key, by=["district"])  # another question: its own answer
    assert other["computed_at"] != first["computed_at"]
    assert_table(other, expected(crowd, lambda p: (p.district,)))


def test_a_write_through_the_service_makes_the_next_answer_fresh(
    client: TestClient, crowd: list[Person]
) -> None:
    key = _analyst(client)
    before = _get(client, key, by=["district"])
    more = register(client, people(7, seed=11), start=100)
    after = _get(client, key, by=["district"])
    assert after["computed_at"] != before["computed_at"]
    assert after["total"]["count"] == len(crowd) + len(more)
    assert_table(after, expected(crowd + more, lambda p: (p.district,)))


def test_a_write_outside_the_service_is_seen_too(
    client: TestClient, crowd: list[Person], raw_db: sa.Engine
) -> None:
    key = _analyst(client)
    before = _get(client, key, by=["status"])
    assert before["total"]["count"] == len(crowd)
    with raw_db.begin() as conn:  # an operator's SQL, not the service
        conn.execute(sa.text("UPDATE seeker SET status = 'inactive'"))
    after = _get(client, key, by=["status"])
    assert after["computed_at"] != before["computed_at"]
    counted = {c["key"]["status"]: c["count"] for c in after["cells"] if c["count"]}
    assert counted == {"inactive": len(crowd)}


def test_a_rolled_back_write_leaves_the_store_current(
    client: TestClient, crowd: list[Person], raw_db: sa.Engine
) -> None:
    key = _analyst(client)
    before = _get(client, key, by=["district"])
    seen = _generation(raw_db)
    with raw_db.connect() as conn:
        conn.execute(sa.text("UPDATE seeker SET status = 'inactive'"))
        conn.rollback()
    bad = client.post("/v1/seekers", json={"consent": True})  # refused: stores nothing
    assert bad.status_code == 422
    assert _generation(raw_db) == seen
    assert _get(client, key, by=["district"]) == before


def test_keys_of_different_reach_never_share_an_answer(
    client: TestClient, crowd: list[Person]
) -> None:
    everywhere = _get(client, _analyst(client), by=["district"])
    local = _get(client, _analyst(client, "140302"), by=["district"])
    assert local["filters"] == {"district": "140302"}
    assert_table(
        local, expected([p for p in crowd if p.district == "140302"], lambda p: (p.district,))
    )
    assert_table(everywhere, expected(crowd, lambda p: (p.district,)))


@pytest.mark.parametrize(
    "path,params",
    [
        ("employment", {"by": ["district", "form"]}),
        ("funnel", {"by": ["priority_group"]}),
        ("four-ones", {}),
        ("employment-rate", {"definition": "able_to_work"}),
        ("follow-ups", {}),
        ("training", {}),
        ("quota", {}),
    ],
)
def test_every_costly_statistic_is_stored(
    client: TestClient, crowd: list[Person], path: str, params: dict[str, Any]
) -> None:
    key = _analyst(client)
    first = _get(client, key, path, **params)
    assert first["computed_at"] is not None
    assert _get(client, key, path, **params) == first
    register(client, people(1, seed=99), start=500)
    assert _get(client, key, path, **params)["computed_at"] != first["computed_at"]


def test_plan_target_progress_is_stored_too(client: TestClient, crowd: list[Person]) -> None:
    for metric in ("new_employment", "employment_rate_able_to_work"):
        body = {
            "plan": "test-plan",
            "district_code": "140300",
            "year_from": TODAY.year - 1,
            "year_to": TODAY.year,
            "metric": metric,
            "target": 0.7 if metric.startswith("employment_rate") else 10,
        }
        assert client.post("/v1/stats/targets", json=body).status_code == 201
    key = _analyst(client)
    first = _get(client, key, "targets", plan="test-plan")
    assert len(first) == 2 and all(t["computed_at"] for t in first)
    assert _get(client, key, "targets", plan="test-plan") == first
    register(client, people(1, seed=98), start=600)
    patient = {**key, "Cache-Control": "max-age=600"}
    assert _get(client, patient, "targets", plan="test-plan") == first
    one = first[0]["id"]
    assert _get(client, patient, f"targets/{one}")["computed_at"] == first[0]["computed_at"]
    again = _get(client, key, "targets", plan="test-plan")
    assert {t["computed_at"] for t in again}.isdisjoint({t["computed_at"] for t in first})
    assert [t["id"] for t in again] == [t["id"] for t in first]


@pytest.fixture
def unstored_client(db_url: str) -> Iterator[TestClient]:
    app = create_app(make_settings(db_url, stats_summary_max_age_seconds=0))
    with TestClient(app, headers={"X-API-Key": ADMIN_KEY}) as test_client:
        yield test_client
    app.state.engine.dispose()


def test_an_age_limit_of_zero_stores_nothing(
    unstored_client: TestClient, raw_db: sa.Engine
) -> None:
    crowd = register(unstored_client, people(6))
    key = _analyst(unstored_client)
    first = _get(unstored_client, key, by=["sex"])
    second = _get(unstored_client, key, by=["sex"])
    assert first["computed_at"] != second["computed_at"]
    assert second["total"]["count"] == len(crowd)
    assert _summaries(raw_db) == 0


def test_start_up_moves_the_generation(db_url: str, raw_db: sa.Engine) -> None:
    seen = _generation(raw_db)
    app = create_app(make_settings(db_url))
    with TestClient(app):
        pass
    app.state.engine.dispose()
    assert _generation(raw_db) > seen


@pytest.mark.parametrize(
    "statement,writes",
    [
        ("INSERT INTO seeker (id) VALUES (1)", True),
        ("insert or replace into placement values (1)", True),
        ('UPDATE "referral" SET status = 1', True),
        ("DELETE FROM follow_up_visit", True),
        ("TRUNCATE seeker CASCADE", True),
        ("ALTER TABLE seeker ADD COLUMN x int", True),
        ("WITH gone AS (DELETE FROM seeker RETURNING id) SELECT count(*) FROM gone", True),
        ("INSERT INTO stats_summary (key) VALUES ('k')", False),
        ("UPDATE stats_generation SET n = n + 1", False),
        ("INSERT INTO audit_event (id) VALUES (1)", False),
        ("SELECT updated_at FROM seeker", False),
        ("WITH x AS (SELECT 1) SELECT * FROM x", False),
        ("-- backfill\nUPDATE seeker SET status = 'inactive'", True),
        ("/* a note */ DELETE FROM referral", True),
        ("\n  INSERT INTO placement VALUES (1)", True),
        ("-- a note\nSELECT 1", False),
    ],
)
def test_which_statements_move_the_generation(statement: str, writes: bool) -> None:
    assert writes_a_source(statement) is writes


def test_a_caller_may_accept_an_older_answer_with_cache_control(
    client: TestClient, crowd: list[Person]
) -> None:
    key = _analyst(client)
    first = _get(client, key, by=["district"])
    more = register(client, people(6, seed=12), start=200)
    for patient in ("max-age=600", 'max-age="600"', "max-age=900, max-age=600"):
        answer = _get(client, {**key, "Cache-Control": patient}, by=["district"])
        assert answer == first, patient  # written since, but accepted
    strict_ones = (
        "max-age=0",
        "no-cache",
        "max-age=600, no-cache",
        "max-age=600, max-age=0",
        "public",
    )
    for strict in strict_ones:
        fresh = _get(client, {**key, "Cache-Control": strict}, by=["district"])
        assert fresh["total"]["count"] == len(crowd) + len(more), strict
    assert _get(client, key, by=["district"])["total"]["count"] == len(crowd) + len(more)


@pytest.mark.parametrize("value", ["max-age=abc", "max-age=86401", "max-age=-1", "max-age="])
def test_a_bad_cache_control_is_refused_naming_it(client: TestClient, value: str) -> None:
    response = client.get(
        "/v1/stats/seekers", params={"by": ["district"]}, headers={"Cache-Control": value}
    )
    body = assert_problem(response, 422)
    assert [e["field"] for e in body["errors"]] == ["Cache-Control"]


def test_a_write_in_another_process_makes_the_next_answer_fresh(
    client: TestClient, crowd: list[Person], settings: Any
) -> None:
    key = _analyst(client)
    before = _get(client, key, by=["district"])
    other = create_app(settings)  # another worker on the same database
    with TestClient(other, headers={"X-API-Key": ADMIN_KEY}) as elsewhere:
        more = register(elsewhere, people(5, seed=13), start=300)
    other.state.engine.dispose()
    after = _get(client, key, by=["district"])
    assert after["computed_at"] != before["computed_at"]
    assert after["total"]["count"] == len(crowd) + len(more)


class _BrokenConnection:
    """A DBAPI connection whose database went away right after the write's commit."""

    def __init__(self) -> None:
        self.rolled_back = False

    def cursor(self) -> Any:
        raise OSError("server closed the connection unexpectedly")

    def rollback(self) -> None:
        self.rolled_back = True


def test_a_lost_move_is_logged_and_never_fails_the_committed_write(
    caplog: pytest.LogCaptureFixture,
) -> None:
    from types import SimpleNamespace

    from service import generation

    record = SimpleNamespace(info={"generation_pending": True})
    broken = _BrokenConnection()
    with caplog.at_level("WARNING", logger="accessmatch.generation"):
        generation._returned(broken, record)  # must not raise
    assert broken.rolled_back and "generation_pending" not in record.info
    assert "did not move" in caplog.text


def test_a_write_on_an_autocommit_connection_is_seen(
    client: TestClient, crowd: list[Person], db_url: str
) -> None:
    key = _analyst(client)
    before = _get(client, key, by=["status"])
    engine = sa.create_engine(db_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(sa.text("UPDATE seeker SET status = 'inactive'"))
    engine.dispose()
    after = _get(client, key, by=["status"])
    assert after["computed_at"] != before["computed_at"]
    counted = {c["key"]["status"]: c["count"] for c in after["cells"] if c["count"]}
    assert counted == {"inactive": len(crowd)}
