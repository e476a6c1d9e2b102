"""How often an attacker with every coarsening of one answer pins down a hidden count.

Random 8-county x 3-category x 2-sex tables; a linear programme over all 48 coarsenings
finds the tightest range of each hidden cell (tests/test_stats_suppression.py builds it).
Prints the share of tables where some hidden count below the threshold is recovered
exactly, and how many are narrowed below the protection width (docs/privacy.md); both
should be 0."""

from __future__ import annotations

import itertools
import random
import sys

from service.stats.audit import protection_width
from service.stats.suppression import AUDITED_CELLS
from tests.test_stats_suppression import COUNTIES, FLAT, THRESHOLD, _ranges


def main(trials: int = 30, seed: int = 7, counties: int = 8) -> None:
    """``counties`` beyond 8 adds made-up counties (ten to a city) to the two cities."""
    rng = random.Random(seed)
    extra = [f"{city}{n:02d}" for n in range(40, 99) for city in ("1403", "3715")]
    places = (COUNTIES + extra)[:counties]
    finest = list(itertools.product(places, *FLAT.values()))
    leaking = hidden = pinned = narrowed = 0
    width = protection_width(THRESHOLD)
    for _ in range(trials):
        counts = {c: n for c in finest if (n := rng.choice([0, 0, 1, 2, 3, 6, 9, 12, 20]))}
        ranges = _ranges(counts, finest)
        small = [r for r in ranges if 0 < r[4] < THRESHOLD]
        exact = [r for r in small if r[3] - r[2] < 1 - 1e-6]
        narrow = [r for r in small if r[3] - r[2] < width - 1e-6]
        hidden += len(small)
        pinned += len(exact)
        narrowed += len(narrow)
        leaking += bool(exact)
    print(
        f"{counties} counties x 3 categories x 2 sexes ({len(finest)} cells; tables of "
        f"more than {AUDITED_CELLS} cells are not audited)"
    )
    print(
        f"tables: {trials}; with a small hidden count recovered exactly: {leaking} "
        f"({leaking / trials:.0%}); hidden small counts (in all coarsenings) {hidden}, "
        f"recovered exactly {pinned}, narrowed below a range of {width}: {narrowed}"
    )


if __name__ == "__main__":
    main(*(int(a) for a in sys.argv[1:]))
