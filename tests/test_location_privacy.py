"""The location attack of issue 8, run through real HTTP on both databases: a partner moves
its own vacancy and reads its candidates under their pseudonyms, to work back where each
one lives.  Three attacks: a least-squares fit of logit(probability) as linear in the
distance (12 positions), bisection on the probability's level circle, and bisection on the
commute circle (where the candidate appears and disappears).  Run with a counsellor key
(exact numbers, real homes) they find every home within 0.3 km: the control that proves
the attacks work.  Run with the partner key, the precise ones find a point at least 2 km
away, for every seeker: matching placed the seeker at its displaced location."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
from fastapi.testclient import TestClient
from scipy.optimize import least_squares
from scipy.special import logit

from service.matching.constraints import haversine_km
from service.matching.location import MAX_KM, MIN_KM, location_key, offsets
from service.models.crypto import Cipher
from tests.conftest import SECRET, issue_key
from tests.match_helpers import YQ_LAT, YQ_LON, credit_code, seeker_payload, vacancy_payload

KM_PER_DEG = 6371.0088 * math.pi / 180
_COS = math.cos(math.radians(YQ_LAT))
# Seekers' homes (km east, km north of the vacancy's start) and commute limits: the "wide"
# ones never leave the commute circle (the numbers are attacked), the "near" ones do (the
# circle is attacked).  Each has its own experience, which tells the test (not the
# attacker) which pseudonym is whose.
WIDE = {2: (1.2, 0.5), 3: (-0.8, 1.5), 4: (0.3, -1.7)}
NEAR = {5: (-1.5, -0.6), 6: (1.6, -1.1), 7: (0.2, 1.9)}
WIDE_KM, NEAR_KM = 60, 9
RAYS = (0.0, 2 * math.pi / 3, 4 * math.pi / 3)
# Long enough that every ray leaves both circles (a home up to 6 km from the start), then
# bisection to 24 km / 2**10 = 0.02 km.
RAY_KM, STEPS = 24.0, 10
# Two rings: points on one circle leave a far-away home almost as good a fit.
FIT_POSITIONS = [
    (r * math.cos(a + r), r * math.sin(a + r))
    for r in (2.5, 6.0)
    for a in np.linspace(0, 2 * math.pi, 6, endpoint=False)
]
GRID = 0.05  # a partner's numbers come in these steps


def _latlon(x: float, y: float) -> dict[str, float]:
    return {
        "lat": round(YQ_LAT + y / KM_PER_DEG, 6),
        "lon": round(YQ_LON + x / (KM_PER_DEG * _COS), 6),
    }


def _xy(point: dict[str, float]) -> tuple[float, float]:
    return ((point["lon"] - YQ_LON) * KM_PER_DEG * _COS, (point["lat"] - YQ_LAT) * KM_PER_DEG)


def _km(a: dict[str, float], b: dict[str, float]) -> float:
    return float(haversine_km(a["lat"], a["lon"], b["lat"], b["lon"]))


class Vacancy:
    """The attacker's own vacancy, moved with PATCH (If-Match from the last answer)."""

    def __init__(self, client: TestClient, headers: dict[str, str], employer: str) -> None:
        self.client, self.headers = client, headers
        created = client.post(
            "/v1/vacancies", headers=headers, json=vacancy_payload(employer, location=_latlon(0, 0))
        )
        assert created.status_code == 201, created.text
        self.url, self.etag = f"/v1/vacancies/{created.json()['id']}", created.headers["etag"]

    def move(self, x: float, y: float) -> None:
        moved = self.client.patch(
            self.url,
            json={"location": _latlon(x, y)},
            headers={**self.headers, "If-Match": self.etag},
        )
        assert moved.status_code == 200, moved.text
        self.etag = moved.headers["etag"]


class Attacker:
    """What one key can do: move its vacancy, read its candidates (by experience, which
    stands in for the attacker following one pseudonym)."""

    def __init__(self, client: TestClient, vacancy: Vacancy, reader: dict[str, str]) -> None:
        self.client, self.vacancy, self.reader = client, vacancy, reader

    def read(self, x: float, y: float) -> dict[float, dict[str, Any]]:
        self.vacancy.move(x, y)
        response = self.client.get(
            f"{self.vacancy.url}/matches", params={"limit": 50}, headers=self.reader
        )
        assert response.status_code == 200, response.text
        return {i["profile"]["experience_years"]: i for i in response.json()["items"]}

    def boundary(
        self, inside: Callable[[dict[float, dict[str, Any]]], bool], angle: float
    ) -> tuple[float, float]:
        """Where ``inside`` stops holding along a ray from the start (a convex region)."""
        low, high = 0.0, RAY_KM
        assert not inside(self.read(high * math.cos(angle), high * math.sin(angle)))
        for _ in range(STEPS):
            mid = (low + high) / 2
            if inside(self.read(mid * math.cos(angle), mid * math.sin(angle))):
                low = mid
            else:
                high = mid
        r = (low + high) / 2
        return r * math.cos(angle), r * math.sin(angle)

    def circle_centre(
        self, inside: Callable[[dict[float, dict[str, Any]]], bool]
    ) -> dict[str, float]:
        assert inside(self.read(0, 0))
        (ax, ay), (bx, by), (cx, cy) = (self.boundary(inside, a) for a in RAYS)
        d = 2 * (ax * (by - cy) + bx * (cy - ay) + cx * (ay - by))
        ux = (
            (ax**2 + ay**2) * (by - cy) + (bx**2 + by**2) * (cy - ay) + (cx**2 + cy**2) * (ay - by)
        ) / d
        uy = (
            (ax**2 + ay**2) * (cx - bx) + (bx**2 + by**2) * (ax - cx) + (cx**2 + cy**2) * (bx - ax)
        ) / d
        return _latlon(ux, uy)

    def level_centre(self, experience: float, *, exact: bool) -> dict[str, float]:
        """The centre of a circle on which the probability is constant: just below the
        value at the start (exact numbers), or where the rounded value steps down."""
        start = self.read(0, 0)[experience]["probability"]
        level = start - 0.03 if exact else start - 1e-9
        return self.circle_centre(
            lambda seen: experience in seen and seen[experience]["probability"] >= level
        )


def _fit(points: list[tuple[float, float]], probabilities: list[float]) -> dict[str, float]:
    """Least squares on logit(p) = a + b * distance(position, home), from a grid of starts."""
    xy, y = np.array(points), logit(np.clip(probabilities, 0.005, 0.995))

    def residual(t: np.ndarray) -> np.ndarray:
        return np.asarray(t[0] + t[1] * np.hypot(xy[:, 0] - t[2], xy[:, 1] - t[3]) - y)

    fits = [
        least_squares(residual, [y.mean(), -0.05, sx, sy], xtol=1e-12, ftol=1e-12)
        for sx in (-4, 0, 4)
        for sy in (-4, 0, 4)
    ]
    best = min(fits, key=lambda f: f.cost)
    return _latlon(float(best.x[2]), float(best.x[3]))


def _setup(client: TestClient) -> tuple[Attacker, Attacker, dict[float, dict[str, float]]]:
    homes = {}
    for group, max_km in ((WIDE, WIDE_KM), (NEAR, NEAR_KM)):
        for experience, (x, y) in group.items():
            homes[float(experience)] = _latlon(x, y)
            made = client.post(
                "/v1/seekers",
                json=seeker_payload(
                    location=homes[float(experience)], max_km=max_km, experience_years=experience
                ),
            )
            assert made.status_code == 201, made.text
    partner, counselor = issue_key(client, "partner"), issue_key(client, "counselor")
    employer = client.post(
        "/v1/employers",
        headers=partner,
        json={
            "name": "阳泉就业网合作企业",
            "credit_code": credit_code(7001),
            "kind": "private",
            "district_code": "140302",
            "staff_count": 80,
            "accessibility": [],
        },
    )
    assert employer.status_code == 201, employer.text
    vacancy = Vacancy(client, partner, employer.json()["id"])
    return (Attacker(client, vacancy, partner), Attacker(client, vacancy, counselor), homes)


def _summary(errors: list[float]) -> str:
    return (
        f"min {min(errors):.2f} / median {float(np.median(errors)):.2f} / max {max(errors):.2f} km"
    )


def test_probability_attack_finds_only_a_point_two_km_off(client: TestClient) -> None:
    partner, counselor, homes = _setup(client)
    seen: dict[str, list[dict[float, dict[str, Any]]]] = {"partner": [], "counselor": []}
    for x, y in FIT_POSITIONS:
        seen["partner"].append(partner.read(x, y))
        seen["counselor"].append(counselor.read(x, y))
    fit_errors: dict[str, list[float]] = {"partner": [], "counselor": []}
    for who, answers in seen.items():
        for experience in WIDE:
            probabilities = [a[experience]["probability"] for a in answers]
            home = homes[float(experience)]
            fit_errors[who].append(_km(_fit(FIT_POSITIONS, probabilities), home))
    # A partner's numbers are coarse: every one on the 0.05 grid.
    for answer in seen["partner"]:
        for item in answer.values():
            for number in (item["probability"], item["score"]):
                assert abs(number / GRID - round(number / GRID)) < 1e-9, number
    assert max(fit_errors["counselor"]) <= 0.3, fit_errors  # the control: the attack works

    # Rounding turns the fit into guesswork (a guess may land anywhere); the precise form
    # of the attack follows the level circle where the rounded number steps down.
    level = {
        "partner": [_km(partner.level_centre(e, exact=False), homes[float(e)]) for e in WIDE],
        "counselor": [_km(counselor.level_centre(e, exact=True), homes[float(e)]) for e in WIDE],
    }
    print(
        f"\nleast-squares fit, 12 positions: partner {_summary(fit_errors['partner'])}, "
        f"counselor {_summary(fit_errors['counselor'])}"
    )
    print(
        f"probability level circle: partner {_summary(level['partner'])}, "
        f"counselor {_summary(level['counselor'])}"
    )
    assert max(level["counselor"]) <= 0.3, level
    assert min(level["partner"]) >= 1.8, level


def test_commute_circle_attack_finds_only_a_point_two_km_off(client: TestClient) -> None:
    partner, counselor, homes = _setup(client)
    errors = {
        who: [
            _km(attacker.circle_centre(lambda seen, e=float(e): e in seen), homes[float(e)])
            for e in NEAR
        ]
        for who, attacker in (("partner", partner), ("counselor", counselor))
    }
    print(
        f"\ncommute circle: partner {_summary(errors['partner'])}, "
        f"counselor {_summary(errors['counselor'])}"
    )
    assert max(errors["counselor"]) <= 0.3, errors  # the control: the attack works
    assert min(errors["partner"]) >= 1.8, errors


def test_displacements_are_keyed_stable_and_never_under_two_km() -> None:
    ids = [f"skr_{i:06d}" for i in range(3000)]
    key = location_key(Cipher(SECRET))
    km, bearing = offsets(ids, key)
    assert km.min() >= MIN_KM and km.max() <= MAX_KM
    # Uniform over the annulus' area: half the area lies beyond sqrt((4 + 16) / 2) km.
    assert abs(float(np.mean(km > math.sqrt((MIN_KM**2 + MAX_KM**2) / 2))) - 0.5) < 0.05
    assert abs(float(np.mean(np.cos(bearing)))) < 0.05
    assert abs(float(np.mean(np.sin(bearing)))) < 0.05
    # The same for every query and every partner (nothing to average), another secret's
    # draw for another secret (not computable without it).
    again, _ = offsets(ids, location_key(Cipher(SECRET)))
    assert np.array_equal(km, again)
    other, _ = offsets(ids, location_key(Cipher("another-secret-0123456789-abcdefghijkl")))
    assert not np.allclose(km, other)
