"""The access matrix: the table in code checked cell by cell against a copy written by
hand, then every role against every endpoint through real HTTP, on a record the role's own
key created and on one another key created (both databases)."""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

import pytest
from fastapi.testclient import TestClient

from service.access import Action, scope_of
from service.clock import today_in_china
from service.models.enums import Role
from tests.conftest import assert_problem, issue_key
from tests.factories import credit_code, employer_body, id_number, seeker_body, vacancy_body
from tests.test_auth import _flat_routes

A, C, P, K, N = "admin", "counselor", "partner", "kiosk", "analyst"
ANY, OWN = "any", "own"

# -- the table, cell by cell --------------------------------------------------------------

SEEKER_ACTIONS = [
    Action.create_seeker,
    Action.read_seeker,
    Action.update_seeker,
    Action.delete_seeker,
    Action.export_seeker,
]
EMPLOYER_ACTIONS = [
    Action.create_employer,
    Action.read_employer,
    Action.update_employer,
    Action.delete_employer,
    Action.read_quota,
]
VACANCY_ACTIONS = [
    Action.create_vacancy,
    Action.import_vacancies,
    Action.read_vacancy,
    Action.update_vacancy,
    Action.delete_vacancy,
]
MATCH_ACTIONS = [Action.match_seeker, Action.match_vacancy]
CASEWORK_ACTIONS = [
    Action.record_service,
    Action.read_services,
    Action.create_placement,
    Action.read_placement,
    Action.update_placement,
]
REFERRAL_ACTIONS = [Action.create_referral, Action.read_referral, Action.update_referral]
ADMIN_ONLY = [Action.manage_keys, Action.read_audit]
MODEL_ACTIONS = [Action.read_models, Action.activate_model]
STATS_ACTIONS = [Action.read_stats, Action.manage_targets]

HAND_TABLE: dict[str, dict[Action, str]] = {
    A: {a: ANY for a in Action},
    C: {
        a: ANY
        for a in SEEKER_ACTIONS
        + EMPLOYER_ACTIONS
        + VACANCY_ACTIONS
        + MATCH_ACTIONS
        + CASEWORK_ACTIONS
        + REFERRAL_ACTIONS
        + [Action.read_stats]
    },
    P: {
        Action.create_seeker: ANY,
        Action.read_seeker: OWN,
        Action.update_seeker: OWN,
        Action.delete_seeker: OWN,
        Action.export_seeker: OWN,
        Action.create_employer: ANY,
        Action.read_employer: ANY,
        Action.update_employer: OWN,
        Action.delete_employer: OWN,
        Action.read_quota: ANY,
        Action.create_vacancy: ANY,
        Action.import_vacancies: ANY,
        Action.read_vacancy: ANY,
        Action.update_vacancy: OWN,
        Action.delete_vacancy: OWN,
        Action.match_seeker: OWN,
        Action.match_vacancy: OWN,
        Action.create_referral: OWN,
        Action.read_referral: OWN,
        Action.update_referral: OWN,
    },
    K: {
        Action.create_seeker: ANY,
        Action.read_seeker: OWN,
        Action.export_seeker: OWN,
        Action.match_seeker: OWN,
        Action.read_vacancy: ANY,
    },
    N: {Action.read_models: ANY, Action.read_stats: ANY},
}


def test_every_action_is_covered_by_the_hand_table() -> None:
    covered = (
        SEEKER_ACTIONS
        + EMPLOYER_ACTIONS
        + VACANCY_ACTIONS
        + MATCH_ACTIONS
        + CASEWORK_ACTIONS
        + REFERRAL_ACTIONS
        + ADMIN_ONLY
        + MODEL_ACTIONS
        + STATS_ACTIONS
    )
    assert sorted(covered) == sorted(Action), "a new action needs a row in HAND_TABLE"


@pytest.mark.parametrize(
    ("role", "action"), list(itertools.product(Role, Action)), ids=lambda v: str(v)
)
def test_access_table_cell(role: Role, action: Action) -> None:
    expected = HAND_TABLE[role.value].get(action)
    actual = scope_of(role, action)
    assert (actual.value if actual else None) == expected


# -- every role x every endpoint, over HTTP ----------------------------------------------

Cell = int | tuple[int | None, int]  # one status, or (own record, another key's record)


def _seeker_like(own: int, other: int, kiosk: tuple[int | None, int]) -> dict[str, Cell]:
    return {A: (own, own), C: (own, own), P: (own, other), K: kiosk, N: (None, 403)}


def _employer_side(status: int, partner_other: int) -> dict[str, Cell]:
    return {
        A: (status, status),
        C: (status, status),
        P: (status, partner_other),
        K: (None, 403),
        N: (None, 403),
    }


SEEKER_READ = _seeker_like(200, 404, (200, 404))
ADMIN_ONLY_CELLS = {A: 200, C: 403, P: 403, K: 403, N: 403}
PUBLIC = dict.fromkeys((A, C, P, K, N), 200)
STATS = {A: 200, C: 200, P: 403, K: 403, N: 200}


def _casework(status: int) -> dict[str, Cell]:
    """Counselor's work: admin and counselor on any record; nobody else at all."""
    return {A: status, C: status, P: 403, K: 403, N: 403}


def _referral(status: int) -> dict[str, Cell]:
    """A partner acts on referrals to its own vacancies; another's looks missing."""
    return {A: status, C: status, P: (status, 404), K: 403, N: 403}


# Status per role; (own, other): the role's own record, and one another key created.
# None: the role cannot create such a record, so only others' are tried.
MATRIX: dict[tuple[str, str], dict[str, Cell]] = {
    ("POST", "/v1/seekers"): {A: 201, C: 201, P: 201, K: 201, N: 403},
    ("GET", "/v1/seekers"): {A: 200, C: 200, P: 200, K: 200, N: 403},
    ("GET", "/v1/seekers/{seeker}"): SEEKER_READ,
    ("PATCH", "/v1/seekers/{seeker}"): _seeker_like(200, 404, (403, 403)),
    ("DELETE", "/v1/seekers/{seeker}"): _seeker_like(204, 404, (403, 403)),
    ("GET", "/v1/seekers/{seeker}/export"): SEEKER_READ,
    ("GET", "/v1/seekers/{seeker}/matches"): SEEKER_READ,
    ("GET", "/v1/seekers/{seeker}/matches/{vacancy}"): SEEKER_READ,
    ("POST", "/v1/employers"): {A: 201, C: 201, P: 201, K: 403, N: 403},
    ("GET", "/v1/employers"): {A: 200, C: 200, P: 200, K: 403, N: 403},
    ("GET", "/v1/employers/{employer}"): _employer_side(200, 200),
    ("PATCH", "/v1/employers/{employer}"): _employer_side(200, 403),
    ("DELETE", "/v1/employers/{employer}"): _employer_side(204, 403),
    ("GET", "/v1/employers/{employer}/quota"): _employer_side(200, 200),
    ("POST", "/v1/vacancies"): {A: 201, C: 201, P: 201, K: 403, N: 403},
    ("POST", "/v1/vacancies/import"): {A: 200, C: 200, P: 200, K: 403, N: 403},
    ("GET", "/v1/vacancies"): {A: 200, C: 200, P: 200, K: 200, N: 403},
    ("GET", "/v1/vacancies/{vacancy}"): {**_employer_side(200, 200), K: (None, 200)},
    ("PATCH", "/v1/vacancies/{vacancy}"): _employer_side(200, 403),
    ("DELETE", "/v1/vacancies/{vacancy}"): _employer_side(204, 403),
    ("GET", "/v1/vacancies/{vacancy}/matches"): _employer_side(200, 403),
    ("POST", "/v1/api-keys"): {**ADMIN_ONLY_CELLS, A: 201},
    ("GET", "/v1/api-keys"): ADMIN_ONLY_CELLS,
    ("DELETE", "/v1/api-keys/{key}"): {**ADMIN_ONLY_CELLS, A: 204},
    ("GET", "/v1/audit"): ADMIN_ONLY_CELLS,
    ("POST", "/v1/seekers/{seeker}/services"): _casework(201),
    ("GET", "/v1/seekers/{seeker}/services"): _casework(200),
    ("GET", "/v1/seekers/{seeker}/services/{service}"): _casework(200),
    ("GET", "/v1/seekers/{seeker}/status-history"): _casework(200),
    ("POST", "/v1/seekers/{seeker}/status"): _casework(201),
    # A partner refers only a candidate it was shown (candidate_id): a seeker_id is 422,
    # past the access check (tests/test_referrals.py covers the partner's own path).
    ("POST", "/v1/referrals"): {**_casework(201), P: 422},
    ("GET", "/v1/referrals"): {A: 200, C: 200, P: 200, K: 403, N: 403},
    ("GET", "/v1/referrals/{referral}"): _referral(200),
    ("PATCH", "/v1/referrals/{referral}"): _referral(200),
    ("POST", "/v1/placements"): _casework(201),
    ("GET", "/v1/placements"): _casework(200),
    ("GET", "/v1/placements/{placement}"): _casework(200),
    ("PATCH", "/v1/placements/{placement}"): _casework(200),
    ("DELETE", "/v1/placements/{placement}"): _casework(204),
    ("POST", "/v1/placements/{placement}/follow-ups"): _casework(201),
    ("GET", "/v1/follow-ups"): _casework(200),
    # The model registry: admin and analyst read; the admin may activate (the model named
    # here is the active one, so the admin's answer is 409, past the access check).
    ("GET", "/v1/models"): {A: 200, C: 403, P: 403, K: 403, N: 200},
    ("GET", "/v1/models/{model}"): {A: 200, C: 403, P: 403, K: 403, N: 200},
    ("POST", "/v1/models/{model}/activate"): {A: 409, C: 403, P: 403, K: 403, N: 403},
    # Statistics: aggregates for admin, counselor and analyst; nobody else.
    **{
        ("GET", f"/v1/stats/{name}"): STATS
        for name in (
            "seekers",
            "employment",
            "training",
            "funnel",
            "employment-rate",
            "four-ones",
            "follow-ups",
            "vacancies",
            "employers",
            "quota",
            "targets",
            "targets/{target}",
        )
    },
    ("POST", "/v1/stats/targets"): {**ADMIN_ONLY_CELLS, A: 201},
    ("PATCH", "/v1/stats/targets/{target}"): ADMIN_ONLY_CELLS,
    ("DELETE", "/v1/stats/targets/{target}"): {**ADMIN_ONLY_CELLS, A: 204},
    ("GET", "/v1/employers/{employer}/declarations"): _employer_side(200, 200),
    ("GET", "/v1/employers/{employer}/declarations/{year}"): _employer_side(200, 200),
    ("PUT", "/v1/employers/{employer}/declarations/{year}"): _employer_side(200, 403),
    **{
        ("GET", path): PUBLIC
        for path in (
            "/healthz",
            "/readyz",
            "/metrics",
            "/openapi.json",
            "/docs",
            "/docs/oauth2-redirect",
            "/redoc",
        )
    },
}


def _template(path: str) -> str:
    """/v1/seekers/{seeker_id} -> /v1/seekers/{seeker}: the app's names, the matrix's."""
    for long, short in (
        ("seeker_id", "seeker"),
        ("vacancy_id", "vacancy"),
        ("employer_id", "employer"),
        ("key_id", "key"),
        ("service_id", "service"),
        ("referral_id", "referral"),
        ("placement_id", "placement"),
        ("version", "model"),
        ("target_id", "target"),
    ):
        path = path.replace("{" + long + "}", "{" + short + "}")
    return path


def test_the_matrix_names_every_endpoint(client: TestClient) -> None:
    served = {
        (method, _template(route.path))
        for route in _flat_routes(client.app)
        for method in route.methods or ()
        if method != "HEAD"
    }
    assert served == set(MATRIX), "every endpoint needs its row in MATRIX"
    assert all(set(cells) == {A, C, P, K, N} for cells in MATRIX.values())


class World:
    """Records made through the API: the caller's own and a rival partner's."""

    def __init__(self, client: TestClient, role: str) -> None:
        self.client = client
        self.me = issue_key(client, role)
        self.rival = issue_key(client, "partner")
        self.admin: dict[str, str] = {}  # the client's default key is the admin's
        self.role = Role(role)
        self._ids = itertools.count(100)

    def can(self, action: Action) -> bool:
        return scope_of(self.role, action) is not None

    def post(self, path: str, body: Any, headers: dict[str, str]) -> str:
        response = self.client.post(path, json=body, headers=headers)
        assert response.status_code == 201, response.text
        return str(response.json()["id"])

    def seeker(self, headers: dict[str, str]) -> str:
        n = next(self._ids)
        return self.post(
            "/v1/seekers",
            seeker_body(
                id_number=id_number(dt.date(1980, 1, 1) + dt.timedelta(days=n), 2 * n % 998 + 1)
            ),
            headers,
        )

    def employer(self, headers: dict[str, str]) -> str:
        return self.post(
            "/v1/employers",
            employer_body(credit_code=credit_code(30_000_000 + next(self._ids))),
            headers,
        )

    def vacancy(self, headers: dict[str, str]) -> str:
        return self.post("/v1/vacancies", vacancy_body(self.employer(headers)), headers)

    def service(self, seeker: str) -> str:
        return self.post(f"/v1/seekers/{seeker}/services", _record_body(), self.admin)

    def referral(self, vacancy: str) -> str:
        """An admin's referral of a fresh seeker to ``vacancy`` (whose owner is the
        partner that sees it as its own)."""
        seeker = self.seeker(self.admin)
        body = {"seeker_id": seeker, "vacancy_id": vacancy, "source": "counselor"}
        made = self.client.post("/v1/referrals", json=body)
        if made.status_code == 409:  # the factories' pair is blocked: refer it anyway
            made = self.client.post(
                "/v1/referrals",
                json={**body, "override": {"reason": "the counselor knows the workplace"}},
            )
        assert made.status_code == 201, made.text
        return str(made.json()["id"])

    def placement(self, *, ahead: bool = False) -> str:
        """A placement (for a cancellation, one whose start is still to come)."""
        body = _placement_body(self.seeker(self.admin), self.employer(self.admin))
        if ahead:
            body["start_date"] = (today_in_china() + dt.timedelta(days=20)).isoformat()
        return self.post("/v1/placements", body, self.admin)

    def make(self, kind: str, owner: str) -> str:
        """A fresh record of ``kind`` created by the caller ("own") or the rival."""
        headers = self.me if owner == "own" else self.rival
        if kind == "key":
            return self.post("/v1/api-keys", {"role": "analyst", "name": "x"}, {})
        return {"seeker": self.seeker, "employer": self.employer, "vacancy": self.vacancy}[kind](
            headers
        )


def _record_body() -> dict[str, Any]:
    return {
        "type": "basic_info_check",
        "date": today_in_china().isoformat(),
        "channel": "on_site",
        "agency_district_code": "140302",
        "result": "completed",
        "details": {"has_employment_need": True, "labour_capacity": "full"},
    }


def _placement_body(seeker: str, employer: str) -> dict[str, Any]:
    return {
        "seeker_id": seeker,
        "employer_id": employer,
        "form": "quota",
        "counts_as_new": True,
        "start_date": (today_in_china() - dt.timedelta(days=10)).isoformat(),
    }


def _kinds(path: str) -> list[str]:
    return [
        k
        for k in (
            "seeker",
            "employer",
            "vacancy",
            "key",
            "service",
            "referral",
            "placement",
            "model",
            "target",
            "year",
        )
        if "{" + k + "}" in path
    ]


def _body(world: World, method: str, path: str, ids: dict[str, str]) -> Any:
    n = next(world._ids)
    if method == "PATCH":
        return {
            "seeker": {"hukou": "urban"},
            "employer": {"staff_count": 500},
            "vacancy": {"openings": 2},
            "referral": {"status": "interview_scheduled"},
            "placement": {"form": "concentrated"},
            "target": {"note": "the access matrix"},
        }[_kinds(path)[0]]
    if method == "PUT":
        return {"staff_count": 100, "disabled_staff": 1, "severe_disabled_staff": 0}
    if method != "POST":
        return None
    employer = ids.get("own_employer") or ids["other_employer"]
    today = today_in_china().isoformat()
    if path.endswith("/services"):
        return _record_body()
    if path.endswith("/status"):
        return {"status": "inactive", "date": today, "cause": "left_labour_market"}
    if path.endswith("/follow-ups"):
        return {"date": today, "method": "phone", "still_employed": True}
    if path.endswith("/activate"):
        return {"reason": "the access matrix"}
    if path == "/v1/referrals":  # the factories' pair is blocked: the counselor overrides
        return {
            "seeker_id": world.seeker(world.admin),
            "vacancy_id": ids["other_vacancy"],
            "source": "counselor",
            "override": {"reason": "a workplace visit showed it can be done"},
        }
    if path == "/v1/placements":
        return _placement_body(world.seeker(world.admin), world.employer(world.admin))
    return {
        "/v1/seekers": seeker_body(
            id_number=id_number(dt.date(1970, 1, 1) + dt.timedelta(days=n), 11)
        ),
        "/v1/employers": employer_body(credit_code=credit_code(40_000_000 + n)),
        "/v1/vacancies": vacancy_body(employer),
        "/v1/vacancies/import": [vacancy_body(employer, external_id=f"imp-{n}")],
        "/v1/api-keys": {"role": "analyst", "name": "x"},
        "/v1/stats/targets": _target_body(),
    }[path]


def _target_body() -> dict[str, Any]:
    return {
        "plan": "access-matrix",
        "district_code": "140300",
        "year_from": 2025,
        "year_to": 2026,
        "metric": "new_employment",
        "target": 100,
    }


# Required query parameters, so that the answer shows the access decision.
QUERY = {"/v1/stats/employment-rate": {"definition": "certificate_holders"}}


def _call(world: World, method: str, path: str, owner: str, ids: dict[str, str]) -> Any:
    values: dict[str, str] = {}
    for kind in _kinds(path):
        if kind == "vacancy" and "{seeker}" in path:  # the pair: any readable vacancy
            values[kind] = ids["other_vacancy"]
            continue
        if kind == "service":  # a record of the seeker in the path, made by the admin
            values[kind] = world.service(values["seeker"])
            continue
        if kind == "referral":  # to the caller's own vacancy or the rival's
            values[kind] = world.referral(ids.get(f"{owner}_vacancy") or ids["other_vacancy"])
            continue
        if kind == "placement":
            values[kind] = world.placement(ahead=method == "DELETE")
            continue
        if kind == "target":  # made by the admin (the table is emptied between tests)
            values[kind] = world.post("/v1/stats/targets", _target_body(), {})
            continue
        if kind == "year":
            values[kind] = str(today_in_china().year)
            continue
        if kind == "model":  # the active version, registered at start-up
            values[kind] = world.client.get("/v1/models").json()["active_version"]
            continue
        # Destructive calls get a record of their own; reads share one.
        fresh = method == "DELETE" or kind == "key"
        values[kind] = world.make(kind, owner) if fresh else ids[f"{owner}_{kind}"]
    url = path.format(**values)
    headers = dict(world.me)
    if method in ("PATCH", "PUT"):  # a current If-Match: the answer shows the decision
        headers["If-Match"] = world.client.get(url).headers["etag"]
    return world.client.request(
        method, url, json=_body(world, method, path, ids), headers=headers, params=QUERY.get(path)
    )


@pytest.mark.parametrize("role", [A, C, P, K, N])
def test_every_role_on_every_endpoint(client: TestClient, role: str) -> None:
    world = World(client, role)
    ids = {f"other_{k}": world.make(k, "other") for k in ("seeker", "employer", "vacancy")}
    for kind, action in (
        ("seeker", Action.create_seeker),
        ("employer", Action.create_employer),
        ("vacancy", Action.create_vacancy),
    ):
        if world.can(action):
            ids[f"own_{kind}"] = world.make(kind, "own")
    checked = 0
    for (method, path), cells in MATRIX.items():
        cell = cells[role]
        expected = (
            {"own": cell, "other": cell}
            if isinstance(cell, int)
            else {"own": cell[0], "other": cell[1]}
        )
        owners = ["own", "other"] if _kinds(path) and not isinstance(cell, int) else ["other"]
        for owner in owners:
            if expected[owner] is None:
                continue
            response = _call(world, method, path, owner, ids)
            assert response.status_code == expected[owner], (
                role,
                method,
                path,
                owner,
                response.text,
            )
            if response.status_code >= 400:
                assert_problem(response, response.status_code)
            checked += 1
    assert checked >= len(MATRIX)


# -- what the cells mean -----------------------------------------------------------------


@pytest.mark.parametrize("role", [P, K])
def test_anothers_seeker_looks_exactly_like_a_missing_one(client: TestClient, role: str) -> None:
    world = World(client, role)
    other = world.make("seeker", "other")
    for suffix in ("", "/export", "/matches"):
        hidden = assert_problem(client.get(f"/v1/seekers/{other}{suffix}", headers=world.me), 404)
        missing = assert_problem(
            client.get(f"/v1/seekers/skr_nobody{suffix}", headers=world.me), 404
        )
        assert hidden["title"] == missing["title"] and hidden["type"] == missing["type"]
        assert hidden["detail"].replace(other, "X") == missing["detail"].replace("skr_nobody", "X")


@pytest.mark.parametrize(("role", "sees_all"), [(A, True), (C, True), (P, False), (K, False)])
def test_seeker_lists_hold_only_what_the_key_may_read(
    client: TestClient, role: str, sees_all: bool
) -> None:
    world = World(client, role)
    others = {world.make("seeker", "other") for _ in range(2)}
    own = {world.make("seeker", "own") for _ in range(2)}
    listed = client.get("/v1/seekers", headers=world.me)
    assert listed.status_code == 200, listed.text
    seen = {s["id"] for s in listed.json()["items"]}
    assert seen == (own | others if sees_all else own)
