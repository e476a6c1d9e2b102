"""Complementary suppression audited as an attacker would: every coarsening of a table
(each cut from the same pattern, as the service answers them) is published, and a linear
programme looks for the tightest range of every hidden cell from all of them together."""

from __future__ import annotations

import itertools
import random
from collections import defaultdict
from collections.abc import Sequence

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import linprog

from service.stats.audit import protection_width
from service.stats.suppression import Dimension, district_dimension, flat_dimension, suppress

THRESHOLD = 5
COUNTIES = ["140302", "140303", "140311", "140321", "371502", "371521", "371522", "371581"]
FLAT = {"category": ["visual", "hearing", "physical"], "sex": ["female", "male"]}
FINEST = list(itertools.product(COUNTIES, *FLAT.values()))
LEVELS: dict[str | None, int] = {"county": 6, "city": 4, "province": 2, None: 0}

View = tuple[str | None, tuple[str, ...]]  # the district's level (None: dropped), flat dims


def _coarse(cell: tuple[str, ...], view: View) -> tuple[str, ...]:
    level, flats = view
    key = [] if level is None else [cell[0][: LEVELS[level]].ljust(6, "0")]
    names = list(FLAT)
    return (*key, *(cell[1 + names.index(n)] for n in flats))


def _dims(view: View) -> list[Dimension]:
    level, flats = view
    district = [] if level is None else [district_dimension(level)]  # type: ignore[arg-type]
    return district + [flat_dimension(n) for n in flats]


def _views() -> list[View]:
    subsets = [c for r in range(len(FLAT) + 1) for c in itertools.combinations(FLAT, r)]
    return [(level, tuple(s)) for level in LEVELS for s in subsets]


def _published(counts: dict[tuple[str, ...], int]) -> dict[View, dict[tuple[str, ...], int | None]]:
    """Every table one query's answer is consistent with: each coarsening of it."""
    dims = [district_dimension("county"), *(flat_dimension(n) for n in FLAT)]
    out = {}
    for view in _views():
        level, flats = view
        steps = [
            3 if level is None else {"county": 0, "city": 1, "province": 2}[level],
            *(0 if n in flats else 1 for n in FLAT),
        ]
        result = suppress(counts, dims, threshold=THRESHOLD, levels=steps)
        if not _dims(view):
            out[view] = {(): result.total}
            continue
        keep = [i for i, step in enumerate(steps) if step < len(dims[i].parents)]
        out[view] = {tuple(k[i] for i in keep): v for k, v in result.cells.items()}
    return out


Range = tuple[View, tuple[str, ...], float, float, int]  # view, cell, least, greatest, true


def _ranges(
    counts: dict[tuple[str, ...], int], finest: Sequence[tuple[str, ...]] = FINEST
) -> list[Range]:
    """For each hidden cell of every table: the least and greatest value consistent with
    everything published (a cell not listed is known to be 0; a hidden one may be 0 too),
    and its true count."""
    published = _published(counts)
    index = {cell: i for i, cell in enumerate(finest)}
    rows, rhs, hidden = [], [], []
    for view, cells in published.items():
        members: dict[tuple[str, ...], list[int]] = defaultdict(list)
        for cell in finest:
            members[_coarse(cell, view)].append(index[cell])
        for key, parts in members.items():
            row = np.zeros(len(finest))
            row[parts] = 1
            value = cells.get(key, 0)  # a cell not listed is an empty one, known to be 0
            if value is None:
                hidden.append((view, key, row))
            else:
                rows.append(row)
                rhs.append(value)
    truth = np.array([counts.get(cell, 0) for cell in finest])
    bounds = [(0, None) for _ in finest]
    out = []
    for view, key, row in hidden:
        low = linprog(row, A_eq=np.array(rows), b_eq=rhs, bounds=bounds)
        high = linprog(-row, A_eq=np.array(rows), b_eq=rhs, bounds=bounds)
        assert low.status == 0 and high.status in (0, 3), (low.message, high.message)
        top = float("inf") if high.status == 3 else -high.fun
        out.append((view, key, low.fun, top, int(row @ truth)))
    return out


def _audit(counts: dict[tuple[str, ...], int]) -> list[Range]:
    """The hidden small counts the attacker narrows below the protection width."""
    width = protection_width(THRESHOLD)
    return [r for r in _ranges(counts) if 0 < r[4] < THRESHOLD and r[3] - r[2] < width - 1e-6]


counts_strategy = st.lists(st.integers(0, 14), min_size=len(FINEST), max_size=len(FINEST))


@settings(max_examples=40, deadline=None)
@given(counts_strategy)
def test_every_small_count_is_hidden_and_every_other_shown_as_it_is(values: Sequence[int]) -> None:
    counts = {cell: n for cell, n in zip(FINEST, values, strict=True) if n}
    for view, cells in _published(counts).items():
        table: dict[tuple[str, ...], int] = defaultdict(int)
        for cell, n in counts.items():
            table[_coarse(cell, view)] += n
        for key, shown in cells.items():
            true = table[key] if key else sum(counts.values())
            if 0 < true < THRESHOLD:
                assert shown is None, (view, key)
            assert shown in (None, true), (view, key)


def test_a_single_small_cell_takes_a_partner_in_each_of_its_lines() -> None:
    counts = {cell: 20 for cell in FINEST}
    counts[("140302", "visual", "female")] = 2
    finest = _published(counts)[("county", tuple(FLAT))]
    hidden = {k for k, v in finest.items() if v is None}
    assert ("140302", "visual", "female") in hidden
    assert len(hidden) >= 4  # a partner across sex, across category, and their corner
    assert _audit(counts) == []


def test_the_same_table_is_suppressed_alike_in_any_order_of_dimensions() -> None:
    counts = {cell: (i * 7) % 9 for i, cell in enumerate(FINEST)}
    dims = [district_dimension("county"), flat_dimension("category"), flat_dimension("sex")]
    straight = suppress(counts, dims, threshold=THRESHOLD)
    order = [2, 0, 1]
    turned = suppress(
        {tuple(k[i] for i in order): n for k, n in counts.items()},
        [dims[i] for i in order],
        threshold=THRESHOLD,
    )
    assert {tuple(k[i] for i in order): v for k, v in straight.cells.items()} == turned.cells
    assert straight.total == turned.total


def _sparse_tables(n: int, seed: int = 7) -> list[dict[tuple[str, ...], int]]:
    """Random sparse tables, drawn as ``bench/suppression_audit.py`` draws them (seeded, so
    the same tables every run however the test's source is laid out)."""
    rng = random.Random(seed)
    return [
        {c: k for c in FINEST if (k := rng.choice([0, 0, 1, 2, 3, 6, 9, 12, 20]))} for _ in range(n)
    ]


@pytest.mark.parametrize("index", range(8))
def test_no_small_count_can_be_narrowed_from_every_coarsening_together(index: int) -> None:
    """The differencing attack at its strongest: every coarsening of the answer published
    at once, a linear programme for each hidden count.  None comes out exact, or narrower
    than the protection width."""
    assert _audit(_sparse_tables(index + 1)[index]) == []
