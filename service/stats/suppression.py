"""Complementary cell suppression of people counts, the same for a table however it is asked.

Method.  The input is the requested table's counts; a cell not given is zero, and an
attacker knows that.  Every coarser table, got by moving any subset of the dimensions up
their ``parents`` chains (down to ``ALL``), can be asked for by another query, so it is
taken as published unless its own suppression hides a cell.  All these tables are
processed from the coarsest to the finest (ties in a fixed order), and a table's pattern
depends only on its own counts and on the patterns of the tables coarser than it; the
dimensions are put in the order of their names first (and the answer mapped back).  So the
same table asked for directly, or met as a part of a finer query, is suppressed alike.

In each table:
- primary: a cell with 0 < count < threshold is suppressed;
- lines: for each dimension d not at ``ALL``, a line is the set of cells that share all
  other coordinates and the same parent in d; its margin is the cell of the table one level
  coarser in d (already processed).  If the margin is published, the line's suppressed
  cells must be none, or k >= 2 of them summing to at least threshold + k - 2; if the
  margin is suppressed, at least one cell of the line must be too.  Complementary cells are
  added greedily, the smallest published non-zero cell of a line first (ties by key); a
  cell alone in a line under a published margin equals that margin, so it is chosen last;
- empty neighbours: the empty cells in every line of a hidden cell are listed as hidden
  too (count 0 kept), so that which hidden cells are empty cannot be read off the listing:
  that knowledge is what lets several margins together pin a count down;
- the attacker's audit (``service.stats.audit``), for tables of at most
  ``AUDITED_CELLS`` listed cells: linear programmes over every published cell of the table
  and of the coarser tables find the range of every hidden small count, and more of this
  table's cells are hidden until each range is wide enough.

A coarser table is never changed by a finer one.
``total`` is the ``ALL``..``ALL`` cell, suppressed if it is below the threshold.
"""

from __future__ import annotations

import heapq
import itertools
import logging
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

from service.stats.audit import Coarser, protection_width, repair

log = logging.getLogger("accessmatch.stats")

ALL = "*"
# Tables up to this many listed cells also get the attacker's audit (linear programmes);
# larger ones rely on the line rules and the hiding of empty neighbours.  By the table's
# own size, so that the same table is treated alike in every query.
AUDITED_CELLS = 60

Key = tuple[str, ...]
LineId = tuple[int, Key]  # (dimension's canonical position, the margin's key)


@dataclass(frozen=True)
class Dimension:
    """A breakdown and its coarsenings: ``parents[i]`` maps level i to level i + 1."""

    name: str
    parents: tuple[Callable[[str], str], ...]  # the last maps every value to ALL


@dataclass
class Suppressed:
    """The requested table as published: ``None`` marks a suppressed cell."""

    cells: dict[tuple[str, ...], int | None]
    total: int | None
    primary: frozenset[tuple[str, ...]]
    complementary: frozenset[tuple[str, ...]]


def _to_all(_value: str) -> str:
    return ALL


def _to_city(code: str) -> str:
    return code[:4] + "00"


def _to_province(code: str) -> str:
    return code[:2] + "0000"


# Module-level functions, so that every Dimension for the district shares the same chain.
_DISTRICT_CHAINS: dict[str, tuple[Callable[[str], str], ...]] = {
    "county": (_to_city, _to_province, _to_all),
    "city": (_to_province, _to_all),
    "province": (_to_all,),
}


def district_dimension(level: Literal["county", "city", "province"]) -> Dimension:
    """The district at ``level`` (six-digit codes), coarsened county → city → province."""
    return Dimension("district", _DISTRICT_CHAINS[level])


def flat_dimension(name: str) -> Dimension:
    """A dimension with no levels between its values and ALL."""
    return Dimension(name, (_to_all,))


@dataclass
class _Table:
    counts: dict[Key, int]  # non-zero cells only
    hidden: set[Key] = field(default_factory=set)
    primary: set[Key] = field(default_factory=set)
    unprotected: set[Key] = field(default_factory=set)  # what no hiding here could save


class _Lattice:
    """Every coarsening of one table, built from the finest and suppressed from the top."""

    def __init__(self, chains: Sequence[tuple[Callable[[str], str], ...]], threshold: int):
        self.chains = chains
        self.threshold = threshold
        self.top = [len(chain) for chain in chains]
        # Memoised parents: ups[d][level][value] is the value one level up.
        self.ups: list[list[dict[str, str]]] = [[{} for _ in chain] for chain in chains]
        self.tables: dict[tuple[int, ...], _Table] = {}

    def up(self, d: int, level: int, value: str) -> str:
        memo = self.ups[d][level]
        parent = memo.get(value)
        if parent is None:
            parent = self.chains[d][level](value)
            if level == self.top[d] - 1 and parent != ALL:
                raise ValueError(f"the last parent of dimension {d} must map to ALL")
            memo[value] = parent
        return parent

    def build(self, finest: dict[Key, int]) -> None:
        shapes = sorted(
            itertools.product(*(range(t + 1) for t in self.top)), key=lambda v: (sum(v), v)
        )
        for shape in shapes:
            moved = next((d for d, level in enumerate(shape) if level), None)
            if moved is None:
                self.tables[shape] = _Table(dict(finest))
                continue
            source = self.tables[(*shape[:moved], shape[moved] - 1, *shape[moved + 1 :])]
            counts: dict[Key, int] = defaultdict(int)
            for key, count in source.counts.items():
                parent = self.up(moved, shape[moved] - 1, key[moved])
                counts[(*key[:moved], parent, *key[moved + 1 :])] += count
            self.tables[shape] = _Table(dict(counts))
        for shape in shapes:
            table = self.tables[shape]
            table.primary = {k for k, c in table.counts.items() if c < self.threshold}
            table.hidden = set(table.primary)
        # Coarsest first: a table's pattern is fixed from its own counts and the patterns
        # of the tables coarser than it, so it is the same in whichever query it is met.
        for shape in reversed(shapes):
            self._suppress(shape)
            # Built once: the empty cells hidden below add no new value to any line.
            neighbours = self._neighbours(shape)
            self._hide_empty_neighbours(shape, neighbours)
            if len(self.tables[shape].counts) <= AUDITED_CELLS:
                self._audit(shape, neighbours)

    def _coarser(self, shape: tuple[int, ...]) -> list[Coarser]:
        out = []
        for other, table in self.tables.items():
            if other == shape or any(o < s for o, s in zip(other, shape, strict=True)):
                continue
            out.append(
                Coarser(
                    lift=self._lifter(shape, other),
                    hidden=table.hidden,
                    primary=table.primary,
                )
            )
        return out

    def _lifter(self, shape: tuple[int, ...], other: tuple[int, ...]) -> Callable[[Key], Key]:
        memo: dict[Key, Key] = {}

        def lift(key: Key) -> Key:
            known = memo.get(key)
            if known is not None:
                return known
            out = list(key)
            for d, (start, stop) in enumerate(zip(shape, other, strict=True)):
                for level in range(start, stop):
                    out[d] = self.up(d, level, out[d])
            memo[key] = lifted = tuple(out)
            return lifted

        return lift

    def _neighbours(self, shape: tuple[int, ...]) -> Callable[[Key], list[Key]]:
        """The other cells of a cell's lines, empty ones included (the values each
        dimension takes under each parent anywhere in the table)."""
        table = self.tables[shape]
        siblings: list[dict[str, list[str]]] = []
        for d, level in enumerate(shape):
            under: dict[str, set[str]] = defaultdict(set)
            if level < self.top[d]:
                for key in table.counts:
                    under[self.up(d, level, key[d])].add(key[d])
            siblings.append({p: sorted(v) for p, v in under.items()})

        def neighbours(key: Key) -> list[Key]:
            out = []
            for d, level in enumerate(shape):
                if level < self.top[d]:
                    out += [
                        (*key[:d], v, *key[d + 1 :])
                        for v in siblings[d][self.up(d, level, key[d])]
                        if v != key[d]
                    ]
            return out

        return neighbours

    def _hide_empty_neighbours(
        self, shape: tuple[int, ...], neighbours: Callable[[Key], list[Key]]
    ) -> None:
        """List the empty cells in a hidden cell's lines as hidden too: knowing which cells
        next to a hidden one are empty is what lets two margins pin a count down."""
        table = self.tables[shape]
        for key in sorted(k for k in table.hidden if table.counts[k]):
            for other in neighbours(key):
                if other not in table.counts:
                    table.counts[other] = 0
                    table.hidden.add(other)

    def _audit(self, shape: tuple[int, ...], neighbours: Callable[[Key], list[Key]]) -> None:
        """Hide more of this table's cells until the attacker's audit passes."""
        table = self.tables[shape]
        if not table.hidden:
            return
        table.unprotected = repair(
            table.counts,
            table.hidden,
            table.primary,
            self._coarser(shape),
            width=protection_width(self.threshold),
            neighbours=neighbours,
        )
        if table.unprotected:  # how many, never which or their values
            log.warning(
                "suppressed counts the audit could not widen to the protection width",
                extra={"counts": len(table.unprotected), "cells": len(table.counts)},
            )

    def _suppress(self, shape: tuple[int, ...]) -> None:
        """Step 1: complete the lines of the table's pattern (coarser tables stay as they
        are)."""
        table = self.tables[shape]
        hidden = table.hidden
        members: dict[LineId, list[Key]] = defaultdict(list)
        margins: dict[int, set[Key]] = {}
        lines_of: dict[Key, list[LineId]] = defaultdict(list)
        for d, level in enumerate(shape):
            if level == self.top[d]:
                continue
            margins[d] = self.tables[(*shape[:d], level + 1, *shape[d + 1 :])].hidden
            memo = self.ups[d][level]
            for key in table.counts:
                line = (d, (*key[:d], memo[key[d]], *key[d + 1 :]))
                members[line].append(key)
                lines_of[key].append(line)
        # A cell alone in a line under a published margin equals that margin: hiding it
        # would protect nothing, so it is never chosen as a complement.
        pinned = {
            keys[0]
            for line, keys in members.items()
            if len(keys) == 1 and line[1] not in margins[line[0]]
        }
        state = _LineState(table.counts, hidden, margins, self.threshold, pinned)
        for line, keys in members.items():
            state.add(line, keys)
        queue = [line for line in members if not state.holds(line)]
        heapq.heapify(queue)
        while queue:
            line = heapq.heappop(queue)
            while not state.holds(line):
                chosen = state.next_candidate(line)
                if chosen is None:  # nothing left in the line: the next steps protect it
                    break
                hidden.add(chosen)
                for other in lines_of[chosen]:
                    state.hide(other, chosen)
                    if other != line:
                        heapq.heappush(queue, other)


class _LineState:
    """How many cells of each line are hidden, their sum, and the next cell to hide."""

    def __init__(
        self,
        counts: dict[Key, int],
        hidden: set[Key],
        margins: dict[int, set[Key]],
        threshold: int,
        pinned: set[Key],
    ):
        self.counts = counts
        self.pinned = pinned
        self.hidden = hidden
        self.margins = margins
        self.threshold = threshold
        self.keys: dict[LineId, list[Key]] = {}
        self.number: dict[LineId, int] = {}
        self.total: dict[LineId, int] = {}
        self.cursor: dict[LineId, int] = {}

    def add(self, line: LineId, keys: list[Key]) -> None:
        self.keys[line] = keys
        inside = [self.counts[k] for k in keys if k in self.hidden]
        self.number[line] = len(inside)
        self.total[line] = sum(inside)

    def hide(self, line: LineId, key: Key) -> None:
        self.number[line] += 1
        self.total[line] += self.counts[key]

    def holds(self, line: LineId) -> bool:
        number = self.number[line]
        if line[1] in self.margins[line[0]]:
            return number >= 1
        return number == 0 or (number >= 2 and self.total[line] >= self.threshold + number - 2)

    def next_candidate(self, line: LineId) -> Key | None:
        if line not in self.cursor:
            self.keys[line].sort(key=lambda k: (self.counts[k], k))
            self.cursor[line] = 0
        keys, at = self.keys[line], self.cursor[line]
        while at < len(keys) and (keys[at] in self.hidden or keys[at] in self.pinned):
            at += 1
        self.cursor[line] = at
        if at < len(keys):
            return keys[at]
        # Last resort: a pinned cell, whose pinning margin the caller then hides as well.
        return next((k for k in keys if k not in self.hidden), None)


def suppress(
    counts: Mapping[tuple[str, ...], int],
    dims: Sequence[Dimension],
    *,
    threshold: int,
    levels: Sequence[int] | None = None,
) -> Suppressed:
    """Suppress ``counts`` (broken down by ``dims``) and every coarser table consistently;
    the answer is the table ``levels`` steps up each dimension's chain (default: ``counts``
    as given), so a coarser table is cut from the same pattern as the finer one."""
    if threshold < 1:
        raise ValueError("threshold must be at least 1")
    names = [dim.name for dim in dims]
    if len(set(names)) != len(names):
        raise ValueError("dimension names must be distinct")
    if any(not dim.parents for dim in dims):
        raise ValueError("every dimension needs a chain of parents ending at ALL")
    steps = list(levels) if levels is not None else [0] * len(dims)
    if len(steps) != len(dims) or any(
        not 0 <= n <= len(d.parents) for n, d in zip(steps, dims, strict=True)
    ):
        raise ValueError("levels must give a step within each dimension's chain")
    order = sorted(range(len(dims)), key=lambda i: names[i])
    finest: dict[Key, int] = {}
    for key, count in counts.items():
        if len(key) != len(dims):
            raise ValueError(f"key {key!r} does not have {len(dims)} values")
        if count < 0:
            raise ValueError(f"negative count for {key!r}")
        if count:
            canonical = tuple(key[i] for i in order)
            finest[canonical] = finest.get(canonical, 0) + count
    lattice = _Lattice([dims[i].parents for i in order], threshold)
    lattice.build(finest)
    table = lattice.tables[tuple(steps[i] for i in order)]
    top = lattice.tables[tuple(lattice.top)]
    total = sum(top.counts.values())
    back = [order.index(j) for j in range(len(dims))]  # canonical position of each dim

    def original(canonical: Key) -> Key:
        return tuple(canonical[back[j]] for j in range(len(dims)))

    cells: dict[Key, int | None] = {}
    if any(steps):
        for key, count in table.counts.items():
            cells[original(key)] = None if key in table.hidden else count
    else:
        for key, count in counts.items():
            canonical = tuple(key[i] for i in order)
            cells[tuple(key)] = None if canonical in table.hidden else count
        for canonical in table.hidden - finest.keys():  # empty cells hidden as partners
            cells[original(canonical)] = None
    return Suppressed(
        cells=cells,
        total=None if top.hidden and total else total,
        primary=frozenset(original(k) for k in table.primary),
        complementary=frozenset(original(k) for k in table.hidden - table.primary),
    )
