"""Timing of the statistics cases: warm runs with median and p95, the SQL each run sent
(captured from the engine), EXPLAIN (ANALYZE, BUFFERS) summaries, and peak RSS."""

from __future__ import annotations

import json
import resource
import statistics
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from bench.common import percentile

SERVICE_STATEMENT_TIMEOUT_S = 5.0  # ACCESSMATCH_DB_STATEMENT_TIMEOUT_SECONDS' default


@dataclass
class Statement:
    sql: str
    params: Any
    ms: float = 0.0


@dataclass
class Timing:
    case: str
    runs_ms: list[float]
    sql_ms: list[float]  # the part spent in the database (sum over its statements)
    rows: int
    statements: list[Statement] = field(default_factory=list)  # of the last run
    rss_mb: float = 0.0
    error: str | None = None

    @property
    def median(self) -> float:
        return statistics.median(self.runs_ms) if self.runs_ms else float("nan")

    @property
    def p95(self) -> float:
        return percentile(self.runs_ms, 95)

    @property
    def sql_median(self) -> float:
        return statistics.median(self.sql_ms) if self.sql_ms else float("nan")


class Recorder:
    """Records every statement the engine sends, with its duration."""

    def __init__(self, engine: sa.Engine) -> None:
        self.statements: list[Statement] = []
        self.on = False
        sa.event.listen(engine, "before_cursor_execute", self._before)
        sa.event.listen(engine, "after_cursor_execute", self._after)

    def _before(
        self,
        conn: Any,
        cursor: Any,
        statement: str,
        parameters: Any,
        context: Any,
        executemany: bool,
    ) -> None:
        if self.on:
            conn.info["bench_started"] = time.perf_counter()

    def _after(
        self,
        conn: Any,
        cursor: Any,
        statement: str,
        parameters: Any,
        context: Any,
        executemany: bool,
    ) -> None:
        if self.on:
            started = conn.info.pop("bench_started", time.perf_counter())
            self.statements.append(
                Statement(statement, parameters, (time.perf_counter() - started) * 1000)
            )

    @contextmanager
    def recording(self) -> Iterator[list[Statement]]:
        self.statements, self.on = [], True
        try:
            yield self.statements
        finally:
            self.on = False


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def time_case(
    session: Session, recorder: Recorder, name: str, run: Callable[[Session], Any], *, runs: int
) -> Timing:
    """One untimed warm-up, then ``runs`` timed calls (each in its own transaction)."""
    try:
        _count(run(session))
        session.rollback()
        times, sql_times, rows, last = [], [], 0, []
        for _ in range(runs):
            with recorder.recording() as statements:
                started = time.perf_counter()
                rows = _count(run(session))
                times.append((time.perf_counter() - started) * 1000)
            session.rollback()
            sql_times.append(sum(s.ms for s in statements))
            last = list(statements)
        return Timing(name, times, sql_times, rows, last, peak_rss_mb())
    except Exception as exc:  # a case that fails is reported, the others still run
        session.rollback()
        return Timing(name, [], [], 0, error=f"{type(exc).__name__}: {str(exc)[:300]}")


def _count(result: Any) -> int:
    if hasattr(result, "cells"):
        return len(result.cells)
    try:
        return len(result)
    except TypeError:
        return 1


# -- EXPLAIN ---------------------------------------------------------------------------


@dataclass
class PlanSummary:
    execution_ms: float
    planning_ms: float
    jit_ms: float
    temp_mb: float
    read_mb: float
    hit_mb: float
    scans: list[str]
    joins: list[str]
    subplans: int
    notes: list[str]

    def line(self) -> str:
        bits = [f"exec {self.execution_ms:.0f} ms", f"plan {self.planning_ms:.1f} ms"]
        if self.jit_ms:
            bits.append(f"JIT {self.jit_ms:.0f} ms")
        bits.append(f"buffers hit {self.hit_mb:.0f} MB / read {self.read_mb:.0f} MB")
        if self.temp_mb:
            bits.append(f"temp (spilled) {self.temp_mb:.0f} MB")
        if self.subplans:
            bits.append(f"{self.subplans} correlated subplan(s)")
        return "; ".join(bits)


def explain(session: Session, statement: Statement) -> PlanSummary:
    raw = (
        session.connection()
        .exec_driver_sql(
            "EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) " + statement.sql, statement.params
        )
        .scalar()
    )
    session.rollback()
    doc = (json.loads(raw) if isinstance(raw, str) else raw)[0]
    scans: list[str] = []
    joins: list[str] = []
    notes: list[str] = []
    subplans = 0

    def walk(node: dict[str, Any]) -> None:
        nonlocal subplans
        kind = node["Node Type"]
        if "Scan" in kind and "Relation Name" in node:
            index = f" using {node['Index Name']}" if "Index Name" in node else ""
            scans.append(
                f"{kind} on {node['Relation Name']}{index}"
                f" ({node.get('Actual Rows', 0) * node.get('Actual Loops', 1):,} rows)"
            )
        if kind in ("Hash Join", "Merge Join", "Nested Loop"):
            joins.append(kind)
        if str(node.get("Subplan Name", "")).startswith("SubPlan"):
            subplans += 1
        if node.get("Sort Method", "").startswith("external"):
            notes.append(f"sort spilled ({node.get('Sort Space Used', 0)} kB)")
        if node.get("HashAgg Batches", 1) > 1 or node.get("Hash Batches", 1) > 1:
            notes.append(f"{kind} in batches")
        for child in node.get("Plans", []):
            walk(child)

    plan = doc["Plan"]
    walk(plan)
    block_mb = 8192 / 2**20
    jit = doc.get("JIT", {}).get("Timing", {}).get("Total", 0.0)
    if isinstance(jit, dict):  # PostgreSQL 16+ nests the timings
        jit = jit.get("Total", 0.0)
    return PlanSummary(
        execution_ms=float(doc.get("Execution Time", 0.0)),
        planning_ms=float(doc.get("Planning Time", 0.0)),
        jit_ms=float(jit),
        temp_mb=(plan.get("Temp Read Blocks", 0) + plan.get("Temp Written Blocks", 0))
        * block_mb
        / 2,
        read_mb=plan.get("Shared Read Blocks", 0) * block_mb,
        hit_mb=plan.get("Shared Hit Blocks", 0) * block_mb,
        scans=scans,
        joins=joins,
        subplans=subplans,
        notes=sorted(set(notes)),
    )


def explain_case(session: Session, timing: Timing, *, limit: int = 2) -> list[PlanSummary]:
    """Summaries of the slowest statements of the case's last run."""
    chosen = sorted(timing.statements, key=lambda s: -s.ms)[:limit]
    out = []
    for statement in chosen:
        if not statement.sql.lstrip().upper().startswith(("SELECT", "WITH")):
            continue
        try:
            out.append(explain(session, statement))
        except Exception as exc:
            session.rollback()
            out.append(
                PlanSummary(0, 0, 0, 0, 0, 0, [], [], 0, [f"EXPLAIN failed: {type(exc).__name__}"])
            )
    return out
