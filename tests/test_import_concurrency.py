"""Parallel imports upsert: each item is created or updated exactly once, on both databases."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from tests.factories import employer_body, vacancy_body

THREADS = 6


@pytest.fixture
def employer_id(client: TestClient) -> str:
    response = client.post("/v1/employers", json=employer_body())
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def _parallel(client: TestClient, bodies: list[list[dict[str, Any]]]) -> list[dict[str, Any]]:
    def send(items: list[dict[str, Any]]) -> dict[str, Any]:
        response = client.post("/v1/vacancies/import", json=items)
        assert response.status_code == 200, response.text
        return dict(response.json())

    with ThreadPoolExecutor(THREADS) as pool:
        return list(pool.map(send, bodies))


def test_parallel_imports_of_overlapping_new_ids_upsert(
    client: TestClient, employer_id: str, raw_db: sa.Engine
) -> None:
    # Thread t sends ids t .. t+9 of 0..14: every id is sent by several threads at once.
    batches = [
        [
            vacancy_body(employer_id, external_id=f"ext-{n}", title=f"岗位{t}")
            for n in range(t, t + 10)
        ]
        for t in range(THREADS)
    ]
    reports = _parallel(client, batches)
    statuses = [i["status"] for r in reports for i in r["items"]]
    assert "error" not in statuses, reports
    assert statuses.count("created") == 15
    assert statuses.count("updated") == THREADS * 10 - 15
    with raw_db.connect() as conn:
        rows = conn.execute(
            sa.text("SELECT external_id, count(*), max(version) FROM vacancy GROUP BY external_id")
        ).all()
    assert sorted(r[0] for r in rows) == sorted(f"ext-{n}" for n in range(15))
    assert all(r[1] == 1 for r in rows)
    sends = {f"ext-{n}": sum(t <= n < t + 10 for t in range(THREADS)) for n in range(15)}
    assert {r[0]: r[2] for r in rows} == sends  # created once, then one version per update


def test_parallel_updates_each_get_their_own_version(client: TestClient, employer_id: str) -> None:
    items = [vacancy_body(employer_id, external_id=f"row-{n}") for n in range(5)]
    first = client.post("/v1/vacancies/import", json=items).json()
    ids = [i["id"] for i in first["items"]]
    batches = [[{**item, "title": f"版本{t}"} for item in items] for t in range(THREADS)]
    reports = _parallel(client, batches)
    assert all(i["status"] == "updated" for r in reports for i in r["items"]), reports
    assert all([i["id"] for i in r["items"]] == ids for r in reports)
    for vid in ids:
        read = client.get(f"/v1/vacancies/{vid}")
        assert read.headers["etag"] == f'"v{1 + THREADS}"'


def test_one_invalid_item_does_not_lose_the_valid_ones(
    client: TestClient, employer_id: str, raw_db: sa.Engine
) -> None:
    items = [vacancy_body(employer_id, external_id=f"ok-{n}") for n in range(20)]
    items[7]["district_code"] = "140302\n"
    report = client.post("/v1/vacancies/import", json=items).json()
    # Whether item 7 is refused by validation or by the database (PostgreSQL's check of
    # the code), the other 19 stand.
    assert [i["status"] for n, i in enumerate(report["items"]) if n != 7] == ["created"] * 19
    with raw_db.connect() as conn:
        stored = conn.execute(
            sa.text("SELECT count(*) FROM vacancy WHERE district_code = '140302'")
        ).scalar()
    assert stored == 19
