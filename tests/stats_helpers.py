"""People for the statistics tests, through the API, and independent expectations."""

from __future__ import annotations

import datetime as dt
import random
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from fastapi.testclient import TestClient

from service.rules import today_in_china
from tests.factories import id_number, seeker_body

TODAY = today_in_china()
THRESHOLD = 5


@dataclass(frozen=True)
class Person:
    district: str
    category: str
    grade: int
    sex: str
    hukou: str
    birth: dt.date
    graduate: bool  # a bachelor who graduated last year
    hard_to_employ: bool
    id: str = ""

    def age(self, day: dt.date) -> int:
        years = day.year - self.birth.year
        return years - 1 if (day.month, day.day) < (self.birth.month, self.birth.day) else years

    def band(self, day: dt.date) -> str:
        age = self.age(day)
        for low, label in ((55, "55+"), (45, "45-54"), (35, "35-44"), (25, "25-34"), (16, "16-24")):
            if age >= low:
                return label
        return "0-15"

    def groups(self) -> set[str]:
        out = set()
        if self.graduate:
            out.add("graduate")
        if self.hukou == "rural":
            out.add("rural")
        if self.hard_to_employ:
            out.add("hard_to_employ")
        if self.grade in (1, 2):
            out.add("severe_disability")
        if self.category == "visual":
            out.add("blind")
        return out


CATEGORY_SKILLS = {"visual": ["screen_reader"], "physical": [], "hearing": []}


def people(
    n: int,
    seed: int = 7,
    districts: tuple[str, ...] = ("140302", "140303", "140311"),
) -> list[Person]:
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        out.append(
            Person(
                district=rng.choices(districts, weights=(6, 3, 1)[: len(districts)])[0],
                category=rng.choice(["visual", "physical", "physical", "hearing"]),
                grade=rng.randint(1, 4),
                sex=rng.choice(["male", "female"]),
                hukou=rng.choice(["urban", "rural"]),
                birth=dt.date(rng.randint(1968, 2004), rng.randint(1, 12), rng.randint(1, 28)),
                graduate=rng.random() < 0.3,
                hard_to_employ=rng.random() < 0.2,
            )
        )
    return out


def register(client: TestClient, people: Iterable[Person], start: int = 1) -> list[Person]:
    """Register each person (sequence numbers from ``start``: odd male, even female)."""
    out = []
    for i, p in enumerate(people):
        sequence = (start + i) * 2 + (1 if p.sex == "male" else 0)
        number = id_number(p.birth, sequence % 1000)
        body = seeker_body(
            id_number=number,
            category=p.category,
            grade=p.grade,
            hukou=p.hukou,
            district_code=p.district,
            hard_to_employ=p.hard_to_employ,
            education="bachelor" if p.graduate else "senior_secondary",
            graduation_date=(f"{TODAY.year - 1}-07-01" if p.graduate else None),
            required_accommodations=[],
        )
        response = client.post("/v1/seekers", json=body)
        assert response.status_code == 201, response.text
        out.append(Person(**{**p.__dict__, "id": response.json()["id"]}))
    return out


def expected(
    people: Iterable[Person], key: Callable[[Person], tuple[str, ...]]
) -> Counter[tuple[str, ...]]:
    return Counter(key(p) for p in people)


def cells_of(table: dict[str, Any]) -> dict[tuple[str, ...], int | None]:
    return {tuple(c["key"][n] for n in table["by"]): c["count"] for c in table["cells"]}


def assert_table(
    table: dict[str, Any], want: Counter[tuple[str, ...]], threshold: int = THRESHOLD
) -> None:
    """Every non-empty cell is there; shown ones are exact and not small; small ones hidden;
    any other cell listed is an empty one, hidden (so that hidden cells' emptiness is not
    given away)."""
    got = cells_of(table)
    assert set(got) >= {k for k, v in want.items() if v > 0}, (got, want)
    assert all(got[k] is None for k in set(got) - {k for k, v in want.items() if v > 0})
    for key, count in got.items():
        if count is None:
            continue
        assert count == want[key], (key, count, want[key])
        assert count >= threshold, (key, count)
    for key, n in want.items():
        if 0 < n < threshold:
            assert got[key] is None, (key, n)


def recoverable(
    margins: dict[tuple[str, ...], int | None],
    cells: dict[tuple[str, ...], int | None],
    line_of: Callable[[tuple[str, ...]], tuple[str, ...]],
) -> list[Any]:
    """The differencing attack: a shown margin minus the shown cells of its line pins the
    hidden cells down when one is hidden, or when the rest is exactly one each."""
    lines: dict[tuple[str, ...], list[int | None]] = {}
    for key, count in cells.items():
        lines.setdefault(line_of(key), []).append(count)
    found = []
    for line, counts in lines.items():
        margin = margins.get(line, 0)
        hidden = [c for c in counts if c is None]
        if margin is None or not hidden:
            continue
        rest = margin - sum(c for c in counts if c is not None)
        if len(hidden) == 1 or rest == len(hidden):
            found.append((line, rest, len(hidden)))
    return found
