"""Trials of the statistics benchmark: session settings and candidate indexes, each
measured against the baseline of the same run, and the rewrites checked against the
product's answers."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import psycopg
from sqlmodel import Session

from bench.stats_cases import CASES, Candidate, Case
from bench.stats_load import libpq
from bench.stats_measure import Recorder, Timing, time_case

HELPS = 0.90  # an index helps when some case's median falls below 90 % of the baseline
HURTS = 1.15  # ... and none rises above 115 % (the machine is noisy)


@dataclass
class Trial:
    name: str
    sql: str = ""
    build_s: float = 0.0
    size: str = ""
    timings: dict[str, Timing] = field(default_factory=dict)
    skipped: str | None = None

    def ratios(self, baseline: dict[str, Timing]) -> dict[str, float]:
        return {
            name: t.median / baseline[name].median
            for name, t in self.timings.items()
            if name in baseline and not t.error and not baseline[name].error
        }

    def helps(self, baseline: dict[str, Timing]) -> bool:
        ratios = self.ratios(baseline).values()
        return bool(ratios) and min(ratios) < HELPS and max(ratios) < HURTS


def run_cases(
    session: Session, recorder: Recorder, cases: Iterable[Case], *, runs: int, say: Any = None
) -> dict[str, Timing]:
    out = {}
    for case in cases:
        timing = time_case(
            session, recorder, case.name, case.run, runs=min(runs, case.runs or runs)
        )
        out[case.name] = timing
        if say:
            say(case, timing)
    return out


def setting_trial(
    session: Session,
    recorder: Recorder,
    name: str,
    statements: Sequence[str],
    cases: Sequence[Case],
    *,
    runs: int,
) -> Trial:
    for statement in statements:
        session.connection().exec_driver_sql(statement)
    session.commit()
    try:
        return Trial(
            name, "; ".join(statements), timings=run_cases(session, recorder, cases, runs=runs)
        )
    finally:
        session.connection().exec_driver_sql("RESET ALL")
        session.commit()


def index_exists(url: str, name: str) -> bool:
    with psycopg.connect(libpq(url)) as conn:
        return conn.execute("SELECT to_regclass(%s)", (name,)).fetchone() != (None,)


def create_index(url: str, candidate: Candidate) -> tuple[float, str]:
    table = candidate.sql.split(" ON ", 1)[1].split()[0]
    started = time.perf_counter()
    with psycopg.connect(libpq(url), autocommit=True) as conn:
        conn.execute("SET maintenance_work_mem = '256MB'")
        conn.execute(candidate.sql)  # type: ignore[arg-type]
        conn.execute(f"VACUUM (ANALYZE) {table}")  # type: ignore[arg-type]
        size = conn.execute(
            "SELECT pg_size_pretty(pg_relation_size(%s::regclass))", (candidate.name,)
        ).fetchone()
    return time.perf_counter() - started, str(size[0] if size else "?")


def drop_index(url: str, name: str) -> None:
    with psycopg.connect(libpq(url), autocommit=True) as conn:
        conn.execute(f'DROP INDEX IF EXISTS "{name}"')  # type: ignore[arg-type]


def index_trial(
    url: str,
    session: Session,
    recorder: Recorder,
    candidate: Candidate,
    *,
    runs: int,
    keep: bool = False,
) -> Trial:
    cases = [c for c in CASES if c.name in candidate.cases]
    build_s, size = create_index(url, candidate)
    try:
        timings = run_cases(session, recorder, cases, runs=runs)
    finally:
        if not keep:
            drop_index(url, candidate.name)
    return Trial(candidate.name, candidate.sql, build_s, size, timings)


# -- the rewrites give the product's answer ---------------------------------------------


def _normal(rows: Sequence[Any]) -> Counter[tuple[Any, ...]]:
    """Rows of either shape (the product's dicts with ``groups``, or raw rows with
    ``g_*`` flags) as counts by their key."""
    out: Counter[tuple[Any, ...]] = Counter()
    for row in rows:
        data = dict(row) if isinstance(row, dict) else dict(row._mapping)
        n = int(data.pop("n"))
        groups = data.pop("groups", None)
        if groups is None:
            groups = frozenset(k[2:] for k in list(data) if k.startswith("g_") and data[k])
        for key in [k for k in data if k.startswith("g_")]:
            del data[key]
        out[(*(str(v) for _, v in sorted(data.items())), tuple(sorted(groups)))] += n
    return out


def check_rewrites(session: Session, cases: Sequence[Case]) -> list[str]:
    by_name = {c.name: c for c in CASES}
    lines = []
    for case in cases:
        if not case.same_as or case.same_as not in by_name:
            continue
        try:
            ours = _normal(case.run(session))
            theirs = _normal(by_name[case.same_as].run(session))
        except Exception as exc:
            session.rollback()
            lines.append(f"{case.name}: could not compare ({type(exc).__name__}: {exc})")
            continue
        session.rollback()
        if ours == theirs:
            lines.append(
                f"{case.name} = {case.same_as}: the same {len(ours):,} cells, "
                f"{sum(ours.values()):,} counted"
            )
        else:
            diff = sum(((ours - theirs) + (theirs - ours)).values())
            lines.append(
                f"{case.name} DIFFERS from {case.same_as}: {len(ours):,} vs "
                f"{len(theirs):,} cells, {diff:,} counts apart"
            )
    return lines
