"""API keys and roles: authentication, the access table, ownership, revocation, expiry and
the per-key rate limit, all through real HTTP requests."""

from __future__ import annotations

import datetime as dt
import hashlib
import inspect
import os
import time
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi import FastAPI
from fastapi.testclient import TestClient

from service.access import Action
from service.clock import utcnow
from service.main import create_app
from service.models.enums import Role
from service.models.tables import ApiKey
from tests.conftest import ADMIN_KEY, assert_problem, issue_key, make_settings, patch_current
from tests.factories import credit_code, employer_body, seeker_body, vacancy_body
from tests.match_helpers import seeker_payload, vacancy_payload

ROLES = [r.value for r in Role]
REDIS_URL = os.environ.get("ACCESSMATCH_TEST_REDIS_URL", "redis://127.0.0.1:6379")

# What each /v1 route does, written out by hand so that a route wired to the wrong action
# is caught; routes added later must at least declare some action (see below).
ROUTE_ACTIONS: dict[tuple[str, str], Action] = {
    ("POST", "/v1/api-keys"): Action.manage_keys,
    ("GET", "/v1/api-keys"): Action.manage_keys,
    ("DELETE", "/v1/api-keys/{key_id}"): Action.manage_keys,
    ("POST", "/v1/seekers"): Action.create_seeker,
    ("GET", "/v1/seekers"): Action.read_seeker,
    ("GET", "/v1/seekers/{seeker_id}"): Action.read_seeker,
    ("PATCH", "/v1/seekers/{seeker_id}"): Action.update_seeker,
    ("DELETE", "/v1/seekers/{seeker_id}"): Action.delete_seeker,
    ("POST", "/v1/employers"): Action.create_employer,
    ("GET", "/v1/employers"): Action.read_employer,
    ("GET", "/v1/employers/{employer_id}"): Action.read_employer,
    ("PATCH", "/v1/employers/{employer_id}"): Action.update_employer,
    ("DELETE", "/v1/employers/{employer_id}"): Action.delete_employer,
    ("GET", "/v1/employers/{employer_id}/quota"): Action.read_quota,
    ("POST", "/v1/vacancies"): Action.create_vacancy,
    ("POST", "/v1/vacancies/import"): Action.import_vacancies,
    ("GET", "/v1/vacancies"): Action.read_vacancy,
    ("GET", "/v1/vacancies/{vacancy_id}"): Action.read_vacancy,
    ("PATCH", "/v1/vacancies/{vacancy_id}"): Action.update_vacancy,
    ("DELETE", "/v1/vacancies/{vacancy_id}"): Action.delete_vacancy,
    ("GET", "/v1/seekers/{seeker_id}/export"): Action.export_seeker,
    ("GET", "/v1/seekers/{seeker_id}/matches"): Action.match_seeker,
    ("GET", "/v1/seekers/{seeker_id}/matches/{vacancy_id}"): Action.match_seeker,
    ("GET", "/v1/vacancies/{vacancy_id}/matches"): Action.match_vacancy,
    ("GET", "/v1/audit"): Action.read_audit,
}


def _flat_routes(app: FastAPI) -> list[Any]:
    try:  # FastAPI versions that keep included routers as nested route objects
        from fastapi.routing import iter_route_contexts
    except ImportError:  # pragma: no cover - older FastAPI lists the routes flat
        return list(app.routes)
    return list(iter_route_contexts(app.routes))


def v1_routes(app: FastAPI) -> dict[tuple[str, str], Any]:
    return {
        (method, route.path): route
        for route in _flat_routes(app)
        if (route.path or "").startswith("/v1")
        for method in sorted(route.methods or ())
        if method != "HEAD"
    }


def declared_action(route: Any) -> Action | None:
    """The action named by the route's ``requires(action)`` dependency, if any."""
    stack = list(route.dependant.dependencies)
    while stack:
        dep = stack.pop()
        if inspect.isfunction(dep.call):
            action = inspect.getclosurevars(dep.call).nonlocals.get("action")
            if isinstance(action, Action):
                return action
        stack.extend(dep.dependencies)
    return None


def when(value: str) -> dt.datetime:
    return dt.datetime.fromisoformat(value.replace("Z", "+00:00"))


# -- authentication ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "headers",
    [{}, {"X-API-Key": ""}, {"X-API-Key": "am_not-a-key"}, {"X-API-Key": ADMIN_KEY + "x"}],
    ids=["missing", "empty", "unknown", "near-miss"],
)
def test_missing_or_unknown_key_is_401(client: TestClient, headers: dict[str, str]) -> None:
    anonymous = TestClient(client.app)
    response = anonymous.get("/v1/employers", headers=headers)
    assert_problem(response, 401)
    assert response.headers.get("WWW-Authenticate")


@pytest.mark.parametrize("role", ROLES)
def test_admin_issues_key_shown_once_and_stored_hashed(
    client: TestClient, raw_db: sa.Engine, role: str
) -> None:
    response = client.post("/v1/api-keys", json={"role": role, "name": "某合作方"})
    assert response.status_code == 201, response.text
    created = response.json()
    assert created["role"] == role and created["name"] == "某合作方"
    secret = created["key"]
    assert len(secret) >= 32
    assert response.headers["Location"].endswith(f"/v1/api-keys/{created['id']}")

    listing = client.get("/v1/api-keys")
    assert listing.status_code == 200
    items = {k["id"]: k for k in listing.json()["items"]}
    assert items[created["id"]]["role"] == role
    assert "key" not in items[created["id"]]
    assert secret not in listing.text

    with raw_db.connect() as conn:
        row = (
            conn.execute(sa.text("SELECT * FROM api_key WHERE id = :id"), {"id": created["id"]})
            .mappings()
            .one()
        )
    assert row["key_hash"] == hashlib.sha256(secret.encode()).hexdigest()
    assert all(secret not in str(value) for value in row.values())
    # the new key works at once, with its own role
    probe = client.get("/v1/api-keys", headers={"X-API-Key": secret})
    assert probe.status_code == (200 if role == "admin" else 403)


@pytest.mark.parametrize("role", [r for r in ROLES if r != "admin"])
def test_only_admins_manage_keys(client: TestClient, raw_db: sa.Engine, role: str) -> None:
    headers = issue_key(client, role)
    with raw_db.connect() as conn:
        before = conn.execute(sa.text("SELECT COUNT(*) FROM api_key")).scalar_one()
    assert_problem(
        client.post("/v1/api-keys", json={"role": "admin", "name": "x"}, headers=headers), 403
    )
    assert_problem(client.get("/v1/api-keys", headers=headers), 403)
    with raw_db.connect() as conn:
        assert conn.execute(sa.text("SELECT COUNT(*) FROM api_key")).scalar_one() == before


@pytest.mark.parametrize(
    "body, field",
    [
        ({"role": "root", "name": "x"}, "role"),
        ({"role": "analyst"}, "name"),
        ({"role": "analyst", "name": "x", "expires_at": "soon"}, "expires_at"),
    ],
)
def test_invalid_key_request_is_422(
    client: TestClient, raw_db: sa.Engine, body: dict[str, Any], field: str
) -> None:
    with raw_db.connect() as conn:
        before = conn.execute(sa.text("SELECT COUNT(*) FROM api_key")).scalar_one()
    problem = assert_problem(client.post("/v1/api-keys", json=body), 422)
    assert field in {e["field"] for e in problem["errors"]}
    with raw_db.connect() as conn:
        assert conn.execute(sa.text("SELECT COUNT(*) FROM api_key")).scalar_one() == before


# -- the access table -------------------------------------------------------------------


def test_every_v1_route_is_mapped_to_its_action(client: TestClient) -> None:
    routes = v1_routes(client.app)
    assert set(ROUTE_ACTIONS) <= set(routes), "a route of the contract has disappeared"
    for key, route in routes.items():
        declared = declared_action(route)
        assert declared is not None, f"{key} checks no action of service.access"
        if key in ROUTE_ACTIONS:
            assert declared == ROUTE_ACTIONS[key], key


def _setup_records(client: TestClient) -> dict[str, str]:
    emp = client.post("/v1/employers", json=employer_body())
    assert emp.status_code == 201, emp.text
    vac = client.post("/v1/vacancies", json=vacancy_body(emp.json()["id"]))
    assert vac.status_code == 201, vac.text
    skr = client.post("/v1/seekers", json=seeker_body())
    assert skr.status_code == 201, skr.text
    return {"emp": emp.json()["id"], "vac": vac.json()["id"], "skr": skr.json()["id"]}


def test_partner_changes_only_its_own_records(client: TestClient) -> None:
    ids = _setup_records(client)  # registered by the admin key
    partner, other = issue_key(client, "partner"), issue_key(client, "partner")
    own = client.post(
        "/v1/employers", headers=partner, json=employer_body(credit_code=credit_code(22222222))
    )
    assert own.status_code == 201, own.text
    own_vac = client.post("/v1/vacancies", headers=partner, json=vacancy_body(own.json()["id"]))
    assert own_vac.status_code == 201, own_vac.text
    emp, vac = f"/v1/employers/{ids['emp']}", f"/v1/vacancies/{ids['vac']}"
    mine_emp = f"/v1/employers/{own.json()['id']}"
    mine_vac = f"/v1/vacancies/{own_vac.json()['id']}"

    for path, change in ((emp, {"name": "改"}), (vac, {"title": "改"})):
        assert client.get(path, headers=partner).status_code == 200
        assert_problem(patch_current(client, path, json=change, headers=partner), 403)
        assert_problem(client.delete(path, headers=partner), 403)
        assert client.get(path).status_code == 200  # still there
    for path in (mine_emp, mine_vac):  # another partner key: read-only too
        assert client.get(path, headers=other).status_code == 200
        assert_problem(patch_current(client, path, json={}, headers=other), 403)
        assert_problem(client.delete(path, headers=other), 403)

    assert client.get(emp).json()["name"] == employer_body()["name"]
    changed = patch_current(client, mine_emp, json={"name": "合作方自己的企业"}, headers=partner)
    assert changed.status_code == 200, changed.text
    assert changed.json()["name"] == "合作方自己的企业"
    changed = patch_current(client, mine_vac, json={"title": "在线客服"}, headers=partner)
    assert changed.status_code == 200, changed.text
    assert changed.json()["title"] == "在线客服"
    assert client.delete(mine_vac, headers=partner).status_code == 204
    # the admin (not owner-scoped) may change anything
    assert patch_current(client, mine_emp, json={"name": "管理员改名"}).status_code == 200


# -- revocation and expiry --------------------------------------------------------------


def test_revoked_key_is_refused_at_once(client: TestClient) -> None:
    created = client.post("/v1/api-keys", json={"role": "counselor", "name": "c"}).json()
    headers = {"X-API-Key": created["key"]}
    assert client.get("/v1/employers", headers=headers).status_code == 200
    assert client.delete(f"/v1/api-keys/{created['id']}").status_code == 204
    response = client.get("/v1/employers", headers=headers)
    assert_problem(response, 401)
    assert response.headers.get("WWW-Authenticate")
    listed = {k["id"]: k for k in client.get("/v1/api-keys").json()["items"]}
    assert listed[created["id"]]["revoked_at"] is not None
    assert_problem(client.delete("/v1/api-keys/key_unknown"), 404)


def test_expiry_given_when_issued(client: TestClient) -> None:
    future = (utcnow() + dt.timedelta(days=30)).isoformat()
    response = client.post(
        "/v1/api-keys", json={"role": "counselor", "name": "c", "expires_at": future}
    )
    assert response.status_code == 201, response.text
    assert when(response.json()["expires_at"]) == when(future)
    probe = client.get("/v1/employers", headers={"X-API-Key": response.json()["key"]})
    assert probe.status_code == 200, probe.text


@pytest.mark.parametrize(
    "expires_at",
    [
        (utcnow() - dt.timedelta(days=1)).isoformat(),
        "2020-01-01T00:00:00Z",
        "2099-01-01T00:00:00",  # no time zone: ambiguous
    ],
    ids=["yesterday", "2020", "naive"],
)
def test_key_already_expired_or_ambiguous_is_refused(
    client: TestClient, raw_db: sa.Engine, expires_at: str
) -> None:
    """A key that would be born expired is refused outright (no key is stored)."""
    with raw_db.connect() as conn:
        before = conn.execute(sa.text("SELECT COUNT(*) FROM api_key")).scalar_one()
    response = client.post(
        "/v1/api-keys", json={"role": "counselor", "name": "c", "expires_at": expires_at}
    )
    problem = assert_problem(response, 422)
    assert "expires_at" in {e["field"] for e in problem["errors"]}
    with raw_db.connect() as conn:
        assert conn.execute(sa.text("SELECT COUNT(*) FROM api_key")).scalar_one() == before


def test_key_expired_in_the_database_is_refused(client: TestClient, raw_db: sa.Engine) -> None:
    created = client.post("/v1/api-keys", json={"role": "partner", "name": "p"}).json()
    headers = {"X-API-Key": created["key"]}
    assert client.get("/v1/employers", headers=headers).status_code == 200
    past = utcnow() - dt.timedelta(seconds=5)
    with raw_db.begin() as conn:
        conn.execute(
            sa.update(ApiKey.__table__)
            .where(ApiKey.__table__.c.id == created["id"])
            .values(expires_at=past)
        )
    # Keys are cached per process for key_cache_seconds: a change made behind the API's
    # back is honoured once that has passed.
    ttl = client.app.state.key_cache.ttl  # type: ignore[attr-defined]
    deadline = time.monotonic() + ttl + 1.0
    response = client.get("/v1/employers", headers=headers)
    while response.status_code == 200 and time.monotonic() < deadline:
        time.sleep(0.1)
        response = client.get("/v1/employers", headers=headers)
    assert_problem(response, 401)


# -- rate limit -------------------------------------------------------------------------


def _burst_until_limited(client: TestClient, headers: dict[str, str], limit: int) -> None:
    for _ in range(limit):
        assert client.get("/v1/vacancies", headers=headers).status_code == 200
    limited = client.get("/v1/vacancies", headers=headers)
    body = assert_problem(limited, 429)
    assert body["type"].endswith("rate-limited")
    retry = limited.headers["Retry-After"]
    assert retry.isdigit() and int(retry) > 0


def test_rate_limit_is_per_key(db_url: str) -> None:
    """A kiosk's burst never slows a partner: each key has its own window."""
    app = create_app(make_settings(db_url, rate_limit="5/minute"))
    with TestClient(app, headers={"X-API-Key": ADMIN_KEY}) as client:
        kiosk, partner = issue_key(client, "kiosk"), issue_key(client, "partner")
        _burst_until_limited(client, kiosk, 5)
        for _ in range(5):  # the partner still has its whole allowance
            assert client.get("/v1/vacancies", headers=partner).status_code == 200
        assert client.get("/v1/vacancies", headers=partner).status_code == 429
        assert client.get("/v1/vacancies", headers=kiosk).status_code == 429
    app.state.engine.dispose()


def test_rate_limit_is_shared_by_workers_through_redis(db_url: str) -> None:
    """Two app instances (two workers) on one Redis count one window per key."""
    settings = make_settings(db_url, rate_limit="4/minute", rate_limit_storage=REDIS_URL)
    first, second = create_app(settings), create_app(settings)
    with (
        TestClient(first, headers={"X-API-Key": ADMIN_KEY}) as one,
        TestClient(second, headers={"X-API-Key": ADMIN_KEY}) as two,
    ):
        # Fresh keys: their ids have never been counted in this Redis.
        kiosk, partner = issue_key(one, "kiosk"), issue_key(one, "partner")
        for client in (one, two, one, two):
            assert client.get("/v1/vacancies", headers=kiosk).status_code == 200
        assert_problem(two.get("/v1/vacancies", headers=kiosk), 429)
        assert_problem(one.get("/v1/vacancies", headers=kiosk), 429)
        assert two.get("/v1/vacancies", headers=partner).status_code == 200
    for app in (first, second):
        app.state.engine.dispose()


# -- key rotation -----------------------------------------------------------------------


def test_a_replacement_key_keeps_the_partners_records(client: TestClient) -> None:
    """A partner rotates its key: the new key owns what the old one registered, the old
    one can be revoked, and candidates keep their pseudonyms."""
    old = client.post("/v1/api-keys", json={"role": "partner", "name": "网站 2026"}).json()
    old_headers = {"X-API-Key": old["key"]}
    own = client.post("/v1/seekers", json=seeker_payload(), headers=old_headers).json()["id"]
    employer = client.post("/v1/employers", json=employer_body(), headers=old_headers)
    vacancy = client.post(
        "/v1/vacancies", json=vacancy_payload(employer.json()["id"]), headers=old_headers
    ).json()["id"]
    before = client.get(f"/v1/vacancies/{vacancy}/matches", headers=old_headers).json()

    new = client.post(
        "/v1/api-keys", json={"role": "partner", "name": "网站 2027", "replaces": old["id"]}
    )
    assert new.status_code == 201, new.text
    assert new.json()["owner_id"] == old["owner_id"] == old["id"]
    assert client.delete(f"/v1/api-keys/{old['id']}").status_code == 204
    headers = {"X-API-Key": new.json()["key"]}
    assert client.get(f"/v1/seekers/{own}", headers=headers).status_code == 200
    assert (
        patch_current(
            client, f"/v1/vacancies/{vacancy}", json={"openings": 5}, headers=headers
        ).status_code
        == 200
    )
    after = client.get(f"/v1/vacancies/{vacancy}/matches", headers=headers).json()
    assert [i["seeker_id"] for i in after["items"]] == [i["seeker_id"] for i in before["items"]]
    assert after["items"]  # the comparison above is not between two empty lists
    stranger = issue_key(client, "partner")  # an unrelated key sees none of it
    assert_problem(client.get(f"/v1/seekers/{own}", headers=stranger), 404)


@pytest.mark.parametrize("replaces", ["key_nobody", "admin"], ids=["unknown", "other-role"])
def test_a_replacement_must_name_a_key_of_its_role(
    client: TestClient, raw_db: sa.Engine, replaces: str
) -> None:
    if replaces == "admin":
        replaces = client.get("/v1/api-keys").json()["items"][0]["id"]  # the bootstrap admin
    with raw_db.connect() as conn:
        before = conn.execute(sa.text("SELECT COUNT(*) FROM api_key")).scalar_one()
    problem = assert_problem(
        client.post("/v1/api-keys", json={"role": "partner", "name": "x", "replaces": replaces}),
        422,
    )
    assert [e["field"] for e in problem["errors"]] == ["replaces"]
    with raw_db.connect() as conn:
        assert conn.execute(sa.text("SELECT COUNT(*) FROM api_key")).scalar_one() == before


def test_an_expiry_with_an_offset_means_that_instant(client: TestClient, raw_db: sa.Engine) -> None:
    """2 hours from now written in China time is stored and enforced as that instant."""
    china = dt.timezone(dt.timedelta(hours=8))
    soon = (utcnow() + dt.timedelta(hours=2)).astimezone(china)
    created = client.post(
        "/v1/api-keys", json={"role": "kiosk", "name": "k", "expires_at": soon.isoformat()}
    )
    assert created.status_code == 201, created.text
    assert when(created.json()["expires_at"]) == soon
    listed = {k["id"]: k for k in client.get("/v1/api-keys").json()["items"]}
    assert when(listed[created.json()["id"]]["expires_at"]) == soon
