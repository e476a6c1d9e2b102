"""Optimistic concurrency: ETag on every single-resource read; PATCH needs If-Match."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.conftest import assert_problem
from tests.factories import employer_body, seeker_body, vacancy_body


def _resources(client: TestClient) -> dict[str, tuple[str, dict[str, Any]]]:
    employer = client.post("/v1/employers", json=employer_body())
    vacancy = client.post("/v1/vacancies", json=vacancy_body(employer.json()["id"]))
    seeker = client.post("/v1/seekers", json=seeker_body())
    for created in (employer, vacancy, seeker):
        assert created.status_code == 201, created.text
        assert created.headers["etag"] == '"v1"'
    return {"employer": (employer.headers["location"], {"staff_count": 430}),
            "vacancy": (vacancy.headers["location"], {"openings": 4}),
            "seeker": (seeker.headers["location"], {"hukou": "urban"})}


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
