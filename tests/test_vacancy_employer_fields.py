"""Vacancies carry their employer's name and kind in every answer, lists included (one
joined query, not one per vacancy), for every role that reads vacancies."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from fastapi.testclient import TestClient

from tests.conftest import issue_key, patch_current
from tests.factories import credit_code, employer_body, vacancy_body


def _employer(client: TestClient, serial: int, **overrides: Any) -> str:
    response = client.post(
        "/v1/employers", json=employer_body(credit_code=credit_code(serial), **overrides)
    )
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def test_every_answer_names_the_employer(client: TestClient) -> None:
    emp = _employer(client, 1, name="阳泉市图书馆", kind="public_institution")
    created = client.post("/v1/vacancies", json=vacancy_body(emp))
    assert created.status_code == 201, created.text
    assert (created.json()["employer_name"], created.json()["employer_kind"]) == (
        "阳泉市图书馆",
        "public_institution",
    )
    url = created.headers["location"]
    patched = patch_current(client, url, {"title": "图书整理员"})
    assert patched.json()["employer_name"] == "阳泉市图书馆"
    # The employer's name as registered now, not when the vacancy was posted.
    assert (
        patch_current(client, f"/v1/employers/{emp}", {"name": "阳泉市少儿图书馆"}).status_code
        == 200
    )
    for key in ({}, issue_key(client, "kiosk"), issue_key(client, "partner")):
        one = client.get(url, headers=key)
        assert one.status_code == 200, one.text
        assert one.json()["employer_name"] == "阳泉市少儿图书馆"
        [item] = client.get("/v1/vacancies", headers=key).json()["items"]
        assert (item["employer_name"], item["employer_kind"]) == (
            "阳泉市少儿图书馆",
            "public_institution",
        )


def test_lists_do_not_query_per_vacancy(client: TestClient) -> None:
    employers = [
        _employer(client, n, kind=kind)
        for n, kind in enumerate(("soe", "private", "government_organ"), start=1)
    ]
    for i in range(12):
        assert client.post("/v1/vacancies", json=vacancy_body(employers[i % 3])).status_code == 201
    engine = client.app.state.engine  # type: ignore[attr-defined]
    statements: list[str] = []

    def count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if "vacancy" in statement.lower():
            statements.append(statement)

    sa.event.listen(engine, "before_cursor_execute", count)
    try:
        page = client.get("/v1/vacancies", params={"limit": 5}).json()
        rest = client.get(
            "/v1/vacancies", params={"limit": 50, "cursor": page["next_cursor"]}
        ).json()
    finally:
        sa.event.remove(engine, "before_cursor_execute", count)
    items = page["items"] + rest["items"]
    assert len(items) == 12 and len({i["id"] for i in items}) == 12
    assert {i["employer_kind"] for i in items} == {"soe", "private", "government_organ"}
    assert len([s for s in statements if "employer" in s.lower()]) == 2, statements
