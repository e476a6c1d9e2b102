"""The attacker, through the API, on both databases: an analyst asks for a table of
seekers, every coarsening of it (totals, margins, city and province roll-ups) and filtered
slices, then solves for every hidden count with a linear programme over all the answers
together.  No small count comes out exact, or narrower than the protection width; the
true counts are computed here from the people this test registered."""

from __future__ import annotations

import dataclasses
import itertools
import random
from collections import Counter
from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient
from scipy.optimize import linprog

from service.stats.audit import protection_width
from tests.conftest import issue_key
from tests.stats_helpers import THRESHOLD, Person, people, register

FLAT = ("category", "sex")
LEVELS = {"county": 6, "city": 4, "province": 2}
Cell = tuple[str, str, str]  # county, category, sex


def _ask(client: TestClient, key: dict[str, str], **params: Any) -> dict[str, Any]:
    response = client.get("/v1/stats/seekers", params=params, headers=key)
    assert response.status_code == 200, response.text
    return dict(response.json())


def _answers(client: TestClient, key: dict[str, str]) -> list[tuple[dict[str, Any], Any]]:
    """(answer, how a finest cell maps to one of its keys) for every question asked."""
    out = []
    for level in (*LEVELS, None):
        for r in range(len(FLAT) + 1):
            for flats in itertools.combinations(FLAT, r):
                by = ([] if level is None else ["district"]) + list(flats)
                params: dict[str, Any] = {"by": by} if by else {}
                if level is not None:
                    params["district_level"] = level
                out.append((_ask(client, key, **params), _mapper(level, flats, {})))
    for category in ("visual", "physical", "hearing"):  # slices: filtered answers
        answer = _ask(client, key, by=["district", "sex"], category=category)
        out.append((answer, _mapper("county", ("sex",), {"category": category})))
    return out


def _mapper(level: str | None, flats: tuple[str, ...], fixed: dict[str, str]) -> Any:
    def key_of(cell: Cell) -> tuple[str, ...] | None:
        values = {"category": cell[1], "sex": cell[2]}
        if any(values[n] != v for n, v in fixed.items()):
            return None  # outside the slice
        district = [] if level is None else [cell[0][: LEVELS[level]].ljust(6, "0")]
        return (*district, *(values[n] for n in flats))

    return key_of


def _ranges(
    answers: list[tuple[dict[str, Any], Any]], cells: list[Cell], truth: Counter[Cell]
) -> list[tuple[str, float, float, int]]:
    rows, rhs, hidden = [], [], []
    for answer, key_of in answers:
        listed = {tuple(c["key"][n] for n in answer["by"]): c["count"] for c in answer["cells"]}
        members: dict[tuple[str, ...], list[int]] = {}
        for i, cell in enumerate(cells):
            k = key_of(cell)
            if k is not None:
                members.setdefault(k, []).append(i)
        inside = [i for i, cell in enumerate(cells) if key_of(cell) is not None]
        pairs = [(members[k], k, listed.get(k, 0)) for k in members]  # unlisted: empty
        pairs.append((inside, ("total",), answer["total"]["count"]))
        for parts, k, count in pairs:
            row = np.zeros(len(cells))
            row[parts] = 1
            if count is None:
                hidden.append((f"{answer['by']}{answer['filters']}{k}", row))
            else:
                rows.append(row)
                rhs.append(count)
    out = []
    values = np.array([truth[c] for c in cells])
    for name, row in hidden:
        low = linprog(row, A_eq=np.array(rows), b_eq=rhs, bounds=(0, None), method="highs")
        high = linprog(-row, A_eq=np.array(rows), b_eq=rhs, bounds=(0, None), method="highs")
        assert low.status == 0 and high.status in (0, 3), (low.message, high.message)
        out.append((name, low.fun, np.inf if high.status == 3 else -high.fun, int(row @ values)))
    return out


COUNTIES = ("140302", "140303", "140311", "371502", "371521", "371522")
CATEGORIES = ("visual", "physical", "hearing")


def _crowd(seed: int) -> list[Person]:
    """Sparse small cells over two cities (the kind that gives counts away when combined)."""
    rng = random.Random(seed)
    template = people(1, seed=seed)[0]
    out = []
    for county, category, sex in itertools.product(COUNTIES, CATEGORIES, ("female", "male")):
        for _ in range(rng.choice([0, 0, 1, 2, 3, 6, 9])):
            out.append(
                dataclasses.replace(
                    template, district=county, category=category, sex=sex, grade=rng.randint(1, 4)
                )
            )
    return out


@pytest.mark.parametrize("seed", [1, 2, 4])
def test_no_hidden_count_is_recovered_from_all_the_answers_together(
    client: TestClient, seed: int
) -> None:
    crowd = register(client, _crowd(seed))
    truth = Counter((p.district, p.category, p.sex) for p in crowd)
    cells = list(itertools.product(COUNTIES, CATEGORIES, ("female", "male")))
    answers = _answers(client, issue_key(client, "analyst"))
    ranges = _ranges(answers, cells, truth)
    small = [r for r in ranges if 0 < r[3] < THRESHOLD]
    assert len(small) >= 3, "the crowd is meant to have small counts to hide"
    width = protection_width(THRESHOLD)
    narrowed = [r for r in small if r[2] - r[1] < width - 1e-6]
    assert narrowed == [], narrowed
    for answer, _ in answers:  # and what is shown is the truth
        for c in answer["cells"]:
            if c["count"] is not None:
                assert c["count"] >= THRESHOLD
