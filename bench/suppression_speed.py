"""How long the suppression of one wide table takes, without a database.

A county x category x grade x sex table of people drawn at random (skewed cell weights,
so there are many small cells) is suppressed with every coarsening, as a request does.
Prints the cells, the small ones, the cells listed as hidden and the time of one run.

    python -m bench.suppression_speed [people] [counties]   (default 1000000 100)
"""

from __future__ import annotations

import itertools
import sys
import time

import numpy as np

from service.stats.suppression import district_dimension, flat_dimension, suppress

CATEGORIES = ["visual", "hearing", "speech", "physical", "intellectual", "mental", "multiple"]


def main(people: int = 1_000_000, counties: int = 100) -> None:
    rng = np.random.default_rng(1)
    places = [
        f"14{city:02d}{n:02d}" for city in range(1, counties // 10 + 2) for n in range(1, 11)
    ][:counties]
    keys = list(itertools.product(places, CATEGORIES, ["1", "2", "3", "4"], ["f", "m"]))
    drawn = rng.multinomial(people, rng.dirichlet(np.full(len(keys), 0.5)))
    counts = {k: int(n) for k, n in zip(keys, drawn, strict=True) if n}
    dims = [
        district_dimension("county"),
        flat_dimension("category"),
        flat_dimension("grade"),
        flat_dimension("sex"),
    ]
    started = time.perf_counter()
    result = suppress(counts, dims, threshold=5)
    took = time.perf_counter() - started
    hidden = sum(v is None for v in result.cells.values())
    print(
        f"{people} people, {len(counts)} non-empty cells "
        f"({sum(n < 5 for n in counts.values())} below 5): {hidden} cells listed as hidden "
        f"(empty ones included), suppressed in {took * 1000:.0f} ms"
    )


if __name__ == "__main__":
    main(*(int(a) for a in sys.argv[1:]))
