"""Optimistic concurrency: ETag on every single-resource read; PATCH needs If-Match."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from service.rules import today_in_china
from tests.conftest import assert_problem
from tests.factories import employer_body, seeker_body, vacancy_body


def _resources(client: TestClient) -> dict[str, tuple[str, dict[str, Any]]]:
    employer = client.post("/v1/employers", json=employer_body())
    vacancy = client.post("/v1/vacancies", json=vacancy_body(employer.json()["id"]))
    seeker = client.post("/v1/seekers", json=seeker_body())
    for created in (employer, vacancy, seeker):
        assert created.status_code == 201, created.text
        assert created.headers["etag"] == '"v1"'
    return {
        "employer": (employer.headers["location"], {"staff_count": 430}),
        "vacancy": (vacancy.headers["location"], {"openings": 4}),
        "seeker": (seeker.headers["location"], {"hukou": "urban"}),
    }


@pytest.mark.parametrize("kind", ["employer", "vacancy", "seeker"])
def test_patch_needs_the_current_etag(client: TestClient, kind: str) -> None:
    url, change = _resources(client)[kind]
    read = client.get(url)
    etag = read.headers["etag"]
    assert etag == '"v1"'

    missing = client.patch(url, json=change)
    assert_problem(missing, 428)
    assert client.get(url).json() == read.json()  # nothing changed

    current = client.patch(url, json=change, headers={"If-Match": etag})
    assert current.status_code == 200, current.text
    assert current.headers["etag"] == '"v2"' == client.get(url).headers["etag"]

    stale = client.patch(url, json=change, headers={"If-Match": etag})
    assert_problem(stale, 412)
    assert client.get(url).headers["etag"] == '"v2"'

    listed = f'"v9", {current.headers["etag"]}'
    either = client.patch(url, json=change, headers={"If-Match": listed})
    assert either.status_code == 200
    assert client.patch(url, json=change, headers={"If-Match": "*"}).status_code == 200


def test_every_single_resource_read_has_an_etag(client: TestClient) -> None:
    """Versioned records answer "v<version>"; derived resources (quota, export, a pair's
    verdict) a digest of their body, which moves when the answer does."""
    employer = client.post("/v1/employers", json=employer_body()).json()["id"]
    vacancy = client.post("/v1/vacancies", json=vacancy_body(employer)).json()["id"]
    seeker = client.post("/v1/seekers", json=seeker_body()).json()["id"]
    reads = {
        f"/v1/employers/{employer}": '"v1"',
        f"/v1/vacancies/{vacancy}": '"v1"',
        f"/v1/seekers/{seeker}": '"v1"',
        f"/v1/employers/{employer}/quota": None,
        f"/v1/seekers/{seeker}/export": None,
        f"/v1/seekers/{seeker}/matches/{vacancy}": None,
        f"/v1/seekers/{seeker}/status-history": None,
    }
    record = client.post(
        f"/v1/seekers/{seeker}/services",
        json={
            "type": "employment_service",
            "date": "2026-11-02",
            "channel": "phone",
            "agency_district_code": "140302",
            "result": "completed",
            "details": {"subtype": "policy_consultation"},
        },
    )
    assert record.status_code == 201, record.text
    reads[record.headers["location"]] = None
    referral = client.post(
        "/v1/referrals",
        json={
            "seeker_id": seeker,
            "vacancy_id": vacancy,
            "source": "counselor",
            "override": {"reason": "checked at a workplace visit"},
        },
    )
    if referral.status_code == 422:  # the pair is eligible: no override needed
        referral = client.post(
            "/v1/referrals",
            json={"seeker_id": seeker, "vacancy_id": vacancy, "source": "counselor"},
        )
    assert referral.status_code == 201, referral.text
    reads[referral.headers["location"]] = '"v1"'
    placement = client.post(
        "/v1/placements",
        json={
            "seeker_id": seeker,
            "employer_id": employer,
            "start_date": "2026-11-20",
            "form": "quota",
            "counts_as_new": True,
        },
    )
    assert placement.status_code == 201, placement.text
    reads[placement.headers["location"]] = '"v1"'
    reads[f"/v1/seekers/{seeker}"] = '"v2"'  # the placement made the person employed
    [model] = client.get("/v1/models").json()["items"]
    reads[f"/v1/models/{model['version']}"] = None
    target = client.post(
        "/v1/stats/targets",
        json={
            "plan": "etags",
            "district_code": "140300",
            "year_from": 2025,
            "year_to": 2026,
            "metric": "new_employment",
            "target": 100,
        },
    )
    assert target.status_code == 201, target.text
    reads[target.headers["location"]] = '"v1"'
    reads[f"/v1/employers/{employer}/declarations/{today_in_china().year}"] = '"v1"'
    for url, expected in reads.items():
        response = client.get(url)
        assert response.status_code == 200, (url, response.text)
        etag = response.headers["etag"]
        assert etag == expected if expected else etag.startswith('"h'), (url, etag)
    quota = f"/v1/employers/{employer}/quota"
    before = client.get(quota).headers["etag"]
    assert client.get(quota).headers["etag"] == before  # same answer, same tag
    assert (
        client.patch(
            f"/v1/employers/{employer}", json={"disabled_staff": 9}, headers={"If-Match": '"v1"'}
        ).status_code
        == 200
    )
    assert client.get(quota).headers["etag"] != before


def test_every_single_resource_get_route_is_covered(client: TestClient) -> None:
    from tests.test_auth import v1_routes

    # GETs of one thing: a path naming an id that is not a list of matches.
    lists = ("/matches", "/services", "/declarations")
    singles = {
        path
        for (method, path) in v1_routes(client.app)
        if method == "GET" and "{" in path and not path.endswith(lists)
    }
    assert singles == {
        "/v1/employers/{employer_id}",
        "/v1/vacancies/{vacancy_id}",
        "/v1/seekers/{seeker_id}",
        "/v1/employers/{employer_id}/quota",
        "/v1/seekers/{seeker_id}/export",
        "/v1/seekers/{seeker_id}/matches/{vacancy_id}",
        "/v1/seekers/{seeker_id}/services/{service_id}",
        "/v1/seekers/{seeker_id}/status-history",
        "/v1/referrals/{referral_id}",
        "/v1/placements/{placement_id}",
        "/v1/models/{version}",
        "/v1/stats/targets/{target_id}",
        "/v1/employers/{employer_id}/declarations/{year}",
    }


@pytest.fixture
def rival(settings: Any) -> Any:
    """A second app on the same database: another worker whose request lands first."""
    from service.main import create_app
    from tests.conftest import ADMIN_KEY

    app = create_app(settings)
    with TestClient(app, headers={"X-API-Key": ADMIN_KEY}) as other:
        yield other
    app.state.engine.dispose()


def test_a_write_that_loses_a_race_is_412_not_a_lost_update(
    client: TestClient, rival: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Both requests send the current ETag; the other one commits between this one's read
    and its write.  This one's UPDATE names the version it read and finds it gone."""
    from service.api.routers import seekers as router

    url = client.post("/v1/seekers", json=seeker_body()).headers["location"]
    real, raced = router.service.update, []

    def after_a_rival(*args: Any, **kwargs: Any) -> Any:
        if not raced:  # both apps share the module: only the first call races
            raced.append(True)
            assert (
                rival.patch(url, json={"hukou": "urban"}, headers={"If-Match": '"v1"'}).status_code
                == 200
            )
        return real(*args, **kwargs)

    monkeypatch.setattr(router.service, "update", after_a_rival)
    lost = client.patch(url, json={"phone": "13600001111"}, headers={"If-Match": '"v1"'})
    assert_problem(lost, 412)
    record = client.get(url).json()
    assert record["hukou"] == "urban" and record["phone_masked"] == "139****5678"
    assert client.get(url).headers["etag"] == '"v2"'


def test_an_erasure_that_loses_a_race_erases_once(
    client: TestClient, rival: TestClient, raw_db: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    import sqlalchemy as sa

    from service.api.routers import seekers as router

    url = client.post("/v1/seekers", json=seeker_body()).headers["location"]
    real, raced = router.privacy.erase, []

    def after_a_rival(*args: Any, **kwargs: Any) -> Any:
        if not raced:
            raced.append(True)
            assert rival.delete(url).status_code == 204
        return real(*args, **kwargs)

    monkeypatch.setattr(router.privacy, "erase", after_a_rival)
    assert_problem(client.delete(url), 412)
    with raw_db.connect() as conn:
        assert conn.execute(sa.text("SELECT COUNT(*) FROM erased_seeker")).scalar_one() == 1
        assert conn.execute(sa.text("SELECT COUNT(*) FROM seeker")).scalar_one() == 0
