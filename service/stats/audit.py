"""The attacker's audit of one table's pattern, and its repair.

The attacker knows every published cell of the table and of every coarser table (each can
be asked for by another query) and that a cell not listed is zero; a hidden cell may be
empty (an empty cell next to a hidden one may be hidden too, so that which hidden cells are
empty cannot be read off the listing).  For each hidden count below the threshold, in the
table or in a coarser one, a linear programme over the table's hidden cells finds the
least and the greatest value consistent with all that.  A count is protected when that
range is at least ``threshold - 2`` wide, and never a single value (as wide as "anything
from 1 to threshold - 1").  An unprotected count gets more of this table's cells hidden
(the smallest of its neighbours first) until it is protected; coarser tables are never
touched, so a table's pattern depends only on its own counts and on the coarser tables' patterns.

Feasible points found on the way are kept: a count whose range they already show to be
wide enough needs no programme of its own, so most counts are settled by a few solves.
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
from scipy import sparse
from scipy.optimize import linprog

Key = tuple[str, ...]


def protection_width(threshold: int) -> int:
    """How wide the attacker's range of a hidden small count must stay: from 1 to
    ``threshold - 1`` (any small value), and never a single value."""
    return max(1, threshold - 2)


@dataclass(frozen=True)
class Coarser:
    """A coarser table as published: ``lift`` maps a cell of the audited table to its own."""

    lift: Callable[[Key], Key]
    hidden: set[Key]
    primary: set[Key]


@dataclass
class _Problem:
    variables: list[Key]
    rows: sparse.csr_matrix
    rhs: np.ndarray
    targets: dict[tuple[int, Key], np.ndarray] = field(default_factory=dict)


def _problem(
    counts: dict[Key, int], hidden: set[Key], primary: set[Key], coarser: Sequence[Coarser]
) -> _Problem:
    variables = sorted(hidden)
    position = {k: i for i, k in enumerate(variables)}
    row_cols: list[list[int]] = []
    rhs: list[int] = []
    targets: dict[tuple[int, Key], list[int]] = {}
    for key in variables:
        if key in primary:
            targets[(-1, key)] = [position[key]]
    for t, table in enumerate(coarser):
        under: dict[Key, list[int]] = defaultdict(list)
        for key in variables:
            under[table.lift(key)].append(position[key])
        for coarse in sorted(under):
            cols = under[coarse]
            if coarse not in table.hidden:
                row_cols.append(cols)
                rhs.append(sum(counts[variables[c]] for c in cols))
            elif coarse in table.primary:
                targets[(t, coarse)] = cols
    data = [1.0] * sum(len(c) for c in row_cols)
    indices = [c for cols in row_cols for c in cols]
    indptr = np.cumsum([0, *(len(c) for c in row_cols)])
    rows = sparse.csr_matrix((data, indices, indptr), shape=(len(row_cols), len(variables)))
    problem = _Problem(variables, rows, np.array(rhs, dtype=float))
    for name, cols in targets.items():
        vector = np.zeros(len(variables))
        vector[cols] = 1.0
        problem.targets[name] = vector
    return problem


class _Audit:
    """Ranges of the small hidden counts, narrowed by the feasible points found so far.

    A count is moved within its neighbourhood only (the hidden cells a few lines away,
    every other cell held at its true count): a range found there is a part of the true
    range, so a wide one settles the count with a small programme."""

    def __init__(
        self,
        problem: _Problem,
        truth: np.ndarray,
        names: list[tuple[int, Key]],
        width: int,
        near: list[np.ndarray],
    ):
        self.problem, self.truth, self.names, self.width = problem, truth, names, width
        self.columns = problem.rows.tocsc()
        self.near = near
        self.matrix = np.vstack([problem.targets[n] for n in names])
        self.low = self.matrix @ truth
        self.high = self.low.copy()
        self.wide = np.zeros(len(names), dtype=bool)

    def seen(self, point: np.ndarray) -> None:
        values = self.matrix @ point
        np.minimum(self.low, values, out=self.low)
        np.maximum(self.high, values, out=self.high)
        np.logical_or(self.wide, self.high - self.low >= self.width - 1e-6, out=self.wide)

    def solve(self, objective: np.ndarray, columns: np.ndarray) -> np.ndarray | None:
        """A feasible point minimising ``objective`` with only ``columns`` free (the true
        counts are always feasible); None if it is unbounded."""
        part = self.columns[:, columns].tocsr()
        used = np.flatnonzero(np.diff(part.indptr))
        part = part[used]
        result = linprog(
            objective[columns],
            A_eq=part if len(used) else None,
            b_eq=part @ self.truth[columns] if len(used) else None,
            bounds=(0, None),
            method="highs",
        )
        if result.status == 3:  # a free direction: the range is unbounded on this side
            return None
        if result.status != 0:
            raise RuntimeError(f"suppression audit: {result.message}")
        point = self.truth.copy()
        point[columns] = result.x
        return point

    def push(self, i: int, sense: float, columns: np.ndarray) -> None:
        point = self.solve(sense * self.matrix[i], columns)
        if point is None:
            self.wide[i] = True
        else:
            self.seen(point)

    def neighbourhood(self, i: int, hops: int) -> np.ndarray:
        cells = np.flatnonzero(self.matrix[i])
        for _ in range(hops):
            cells = np.unique(np.concatenate([cells, *(self.near[c] for c in cells)]))
        return cells

    def failing(self, skip: set[tuple[int, Key]], *, whole: bool = False) -> list[tuple[int, Key]]:
        """The open counts not shown wide: within two, then four lines of them (and over
        the whole table if ``whole``).  A count failing only the near programmes may be
        safe after all: hiding more for it is then merely cautious, never unsafe."""
        out = []
        everything = np.arange(len(self.truth))
        for i, name in enumerate(self.names):
            if name in skip:
                continue
            for columns in (
                self.neighbourhood(i, 2),
                self.neighbourhood(i, 4),
                *((everything,) if whole else ()),
            ):
                for sense in (-1.0, 1.0):
                    if not self.wide[i]:
                        self.push(i, sense, columns)
                if self.wide[i]:
                    break
            if not self.wide[i]:
                out.append(name)
        return out


def repair(
    counts: dict[Key, int],
    hidden: set[Key],
    primary: set[Key],
    coarser: Sequence[Coarser],
    *,
    width: int,
    neighbours: Callable[[Key], list[Key]],
) -> set[Key]:
    """Hide more cells of the table until every small count is protected (or every cell
    is hidden); returns the counts still unprotected at the end.  A count once shown wide
    enough stays so (hiding more only widens ranges), so only the others are checked
    again after each cell hidden."""
    settled: set[tuple[int, Key]] = set()
    for rounds in itertools.count():
        problem = _problem(counts, hidden, primary, coarser)
        names = sorted(problem.targets)
        if not names:
            return set()
        truth = np.array([counts[k] for k in problem.variables], dtype=float)
        position = {k: i for i, k in enumerate(problem.variables)}
        near = [
            np.array([position[n] for n in neighbours(k) if n in position], dtype=int)
            for k in problem.variables
        ]
        audit = _Audit(problem, truth, names, width, near)
        failing = audit.failing(settled)
        settled |= set(names) - set(failing)
        if not failing:
            return set()
        # More cells for each failing count, twice as many each round (the same cell may
        # serve several): few rounds, each a fresh audit.
        chosen = {
            c
            for target in failing
            for c in _candidates(
                target, counts, hidden, coarser, neighbours, many=1 << min(rounds, 4)
            )
        }
        if not chosen:  # nothing left to hide: only the whole table's programme can tell
            return {key for _, key in audit.failing(settled, whole=True)}
        hidden |= chosen
    raise AssertionError("unreachable")


def _candidates(
    target: tuple[int, Key],
    counts: dict[Key, int],
    hidden: set[Key],
    coarser: Sequence[Coarser],
    neighbours: Callable[[Key], list[Key]],
    *,
    many: int,
) -> list[Key]:
    """The ``many`` smallest cells next to the target's hidden cells that is still shown, an empty
    one first (else next to any hidden cell; else the smallest shown cell anywhere).  An
    empty cell chosen is listed as hidden from then on (its count 0 kept in ``counts``),
    so that the attacker no longer knows which hidden cells are empty."""
    index, key = target
    inside = [key] if index < 0 else [k for k in hidden if coarser[index].lift(k) == key]
    near = {n for k in inside for n in neighbours(k) if n not in hidden} or {
        n for k in hidden for n in neighbours(k) if n not in hidden
    }
    pool = near or {k for k in counts if k not in hidden}
    chosen = sorted(pool, key=lambda k: (counts.get(k, 0), k))[:many]
    for key in chosen:
        counts.setdefault(key, 0)
    return chosen
