"""Benchmark of the matching engine, the match index and GET /v1/seekers/{id}/matches.

Targets (2 cores): seeker→top-20 within 3× of a bare numpy scan of the same arrays and
≥ 200× faster than a naive per-pair loop at 10k vacancies; seeker→top-20 p50 ≤ 20 ms at
100k open vacancies; vacancy→top-20 p50 ≤ 250 ms at 1M seekers; ≥ 500 match requests/s
at 10k vacancies over HTTP.  One run measures, in this order:

1. resident memory of a 100k-vacancy index side (RSS delta and the arrays' bytes);
2. engine (``ranking.vacancies_for_seeker``, k=20) vs the floor vs the per-pair loop at
   1k/10k/100k vacancies; ``ranking.seekers_for_vacancy`` vs the floor at 100k/1M seekers;
3. a full ``MatchIndex`` build from SQLite and from PostgreSQL (vacancies bulk-inserted
   through SQLAlchemy Core; the import API has its own benchmark), and an incremental
   refresh after one vacancy update;
4. HTTP: ``accessmatch serve`` on loopback over SQLite with 10k open vacancies and 1k
   seekers, driven by wrk (or an asyncio client) for a bounded time.

    .venv/bin/python bench/match_bench.py [--quick] [--sqlite-only] [--load-client wrk]
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script: make ``bench`` and ``service`` importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np
from sqlalchemy import update
from sqlmodel import Session

from bench import match_data as data
from bench.common import (
    PostgresUnavailable,
    ServiceProcess,
    load_average,
    migrate,
    postgres_base_url,
    postgres_database,
    print_machine_info,
    print_table,
    sqlite_database,
)
from bench.match_engine import (
    SeekerFloor,
    Timings,
    VacancyFloor,
    naive_for_seeker,
    release_memory,
    rss_bytes,
    side_nbytes,
    time_calls,
)
from bench.match_http import run_load, warm_up
from service.db import make_engine
from service.matching import simulator
from service.matching.arrays import SeekerArrays, build_seekers, build_vacancies
from service.matching.constraints import eligible_mask
from service.matching.index import MatchIndex, Side
from service.matching.policy import load_policy
from service.matching.ranking import seekers_for_vacancy, vacancies_for_seeker
from service.matching.scorer import load_bundle
from service.models.tables import Vacancy
from service.repositories import changes
from service.rules import DomainRules, today_in_china

K = 20
MB = 1024 * 1024
ROWS: list[list[object]] = []  # the final table: metric, measured, target, met?


def say(text: str = "") -> None:
    print(text, flush=True)


def row(metric: str, measured: str, target: str = "", met: bool | None = None) -> None:
    ROWS.append([metric, measured, target or "—",
                 "—" if met is None else ("yes" if met else "NO")])


def fmt_ms(value: float) -> str:
    return f"{value:.2f} ms" if value < 10 else f"{value:.1f} ms"


def timing_line(label: str, t: Timings, extra: str = "") -> None:
    errors = f"  errors {t.errors}" if t.errors else ""
    say(f"  {label:<34} n={len(t.ms):<4} p50 {fmt_ms(t.pct(50)):>10}  "
        f"p95 {fmt_ms(t.pct(95)):>10}{extra}{errors}")


def check_floor(floor: Any, one: Any, full: Any, items: list[int], day: Any) -> int:
    """Queries whose floor survivors differ from ``eligible_mask``'s (must be 0)."""
    bad = 0
    for i in items:
        pair = (one.take(np.array([i])), full)
        if isinstance(full, SeekerArrays):
            pair = pair[::-1]
        expected = np.flatnonzero(eligible_mask(*pair, day))
        bad += not np.array_equal(floor.rows(one, i, day), expected)
    return bad


class Bench:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.quick = args.quick
        self.rng = np.random.default_rng(args.seed)
        self.bundle = load_bundle()
        self.policy = load_policy(None)
        self.day = simulator.day()

    # ------------------------------------------------------------------ data
    def prepare(self) -> None:
        a = self.args
        self.pool = data.generate(a.seeker_pool, a.vacancy_pool, a.seed)
        self.records = data.tile_vacancies(self.pool.vacancies, max(a.vacancy_sizes),
                                           a.seed + 1)
        say(f"generated {len(self.pool.seekers):,} seekers, {len(self.pool.vacancies):,} "
            f"vacancies and {len(self.pool.employers):,} employers (distinct records, "
            f"service.matching.population) in {self.pool.seconds:.1f} s; vacancies beyond "
            f"{len(self.pool.vacancies):,} are perturbed copies (new id, workplace moved "
            f"≤ ~1 km, salary ±100) built from records; seekers beyond "
            f"{len(self.pool.seekers):,} are perturbed copies made on the arrays")
        build_vacancies(self.records[:200], self.bundle.encode_text)  # warm caches
        started = time.perf_counter()
        self.seekers = Side.of(build_seekers(self.pool.seekers, self.bundle.encode_text))
        say(f"seeker side of {len(self.seekers):,} built in "
            f"{time.perf_counter() - started:.1f} s")

    # ------------------------------------------------------------------ memory
    def memory(self) -> None:
        n = max(self.args.vacancy_sizes)
        say(f"\n== resident memory of a {n:,}-vacancy index side")
        release_memory()
        before = rss_bytes()
        started = time.perf_counter()
        side = Side.of(build_vacancies(self.records[:n], self.bundle.encode_text))
        seconds = time.perf_counter() - started
        release_memory()
        delta = (rss_bytes() - before) * 100_000 / n
        parts = side_nbytes(side)
        total = sum(parts.values()) * 100_000 / n
        say(f"  build_vacancies + Side.of: {seconds:.1f} s; RSS +{delta / MB:.1f} MiB per "
            f"100k; bytes held per 100k: " + ", ".join(
                f"{k} {v * 100_000 / n / MB:.1f} MiB" for k, v in parts.items())
            + f" (total {total / MB:.1f} MiB)")
        row("RSS per 100k vacancies (index side)", f"{delta / MB:.0f} MiB")
        row("  of which arrays+sparse+objects", f"{total / MB:.0f} MiB")
        self.sides = {n: side}

    # ------------------------------------------------------------------ seeker → vacancies
    def seeker_queries(self) -> None:
        a = self.args
        pool = len(self.seekers)
        chosen = self.rng.choice(pool, size=min(a.queries, pool), replace=False)
        items = [int(i) for i in chosen]
        say(f"\n== seeker→top-{K}: {len(items)} random seekers; engine = "
            "ranking.vacancies_for_seeker, floor = masks + linear score + argpartition")
        for n in a.vacancy_sizes:
            side = self.sides.get(n) or Side.of(build_vacancies(self.records[:n],
                                                                self.bundle.encode_text))
            self.sides[n] = side
            floor = VacancyFloor(side.arrays)
            s = self.seekers.arrays
            mismatch = check_floor(floor, s, side.arrays, items[:30], self.day)
            engine = time_calls(lambda i, side=side: vacancies_for_seeker(  # type: ignore[misc]
                self.seekers, side, i, self.day, K, self.bundle, self.policy), items)
            bare = time_calls(lambda i, floor=floor, s=s: floor.top(  # type: ignore[misc]
                s, i, self.day, K), items)
            eligible = [len(floor.rows(s, i, self.day)) for i in items]
            say(f" {n:,} vacancies (eligible per seeker: median {np.median(eligible):.0f}, "
                f"zero for {sum(e == 0 for e in eligible)}; floor≠eligible_mask in "
                f"{mismatch}/30 checks)")
            timing_line("engine", engine)
            timing_line("bare numpy scan (floor)", bare)
            ratio = engine.pct(50) / bare.pct(50)
            say(f"  engine / floor at p50: {ratio:.2f}×")
            row(f"seeker→top-20 p50 / p95 @ {n:,} vacancies",
                f"{fmt_ms(engine.pct(50))} / {fmt_ms(engine.pct(95))}",
                "p50 ≤ 20 ms" if n == 100_000 else "",
                engine.pct(50) <= 20 if n == 100_000 else None)
            row(f"  engine / bare scan @ {n:,}", f"{ratio:.2f}× (floor p50 "
                f"{fmt_ms(bare.pct(50))})", "≤ 3×", ratio <= 3)
            if engine.errors:
                row(f"  engine queries raising @ {n:,}",
                    f"{sum(engine.errors.values())} of {len(items)}", "0", False)
            if n in a.naive_sizes:
                self.naive(n, side, items, engine)

    def naive(self, n: int, side: Side, items: list[int], engine: Timings) -> None:
        a = self.args
        count = a.naive_seekers[a.naive_sizes.index(n)]
        deadline = time.monotonic() + a.naive_seconds
        records = self.records[:n]
        window = simulator.GRADUATE_WINDOW_YEARS
        speedups: list[float] = []
        naive_ms: list[float] = []
        engine_ms: list[float] = []
        same = 0
        for i in items:
            if len(speedups) >= count or time.monotonic() > deadline:
                break
            s_one = self.seekers.arrays.take(np.array([i]))
            try:
                best = []
                for _ in range(3):
                    started = time.perf_counter()
                    ranked = vacancies_for_seeker(self.seekers, side, i, self.day, K,
                                                  self.bundle, self.policy)
                    best.append(time.perf_counter() - started)
            except ValueError:
                continue  # the engine cannot rank this seeker (counted above)
            started = time.perf_counter()
            loop = naive_for_seeker(self.pool.seekers[i], s_one, records, side.arrays,
                                    self.day, simulator.SIM_DAY, window, self.bundle,
                                    self.policy, K)
            took = time.perf_counter() - started
            engine_s = float(np.median(best))
            speedups.append(took / engine_s)
            naive_ms.append(took * 1e3)
            engine_ms.append(engine_s * 1e3)
            same += (len(loop) == len(ranked.rows) and np.allclose(
                [score for score, _ in loop], ranked.score, atol=1e-5))
        if not speedups:
            say("  naive per-pair loop: no seeker the engine could rank")
            return
        speedup = float(np.median(speedups))
        say(f"  naive per-pair loop: {len(naive_ms)} seekers, median {np.median(naive_ms):,.0f}"
            f" ms (engine on the same seekers: median {np.median(engine_ms):.2f} ms); "
            f"speedup median {speedup:,.0f}× (min {min(speedups):,.0f}×); same top-{K} "
            f"scores as the engine for {same}/{len(naive_ms)}")
        row(f"  speedup vs per-pair loop @ {n:,}",
            f"{speedup:,.0f}× ({len(naive_ms)} seekers, loop {np.median(naive_ms):,.0f} ms)",
            "≥ 200×" if n == 10_000 else "", speedup >= 200 if n == 10_000 else None)

    # ------------------------------------------------------------------ vacancy → seekers
    def vacancy_queries(self) -> None:
        a = self.args
        vside = self.sides[min(n for n in a.vacancy_sizes if n >= 10_000)]
        open_rows = np.flatnonzero(vside.arrays.open_)
        say(f"\n== vacancy→top-{K}: random open vacancies; engine = "
            "ranking.seekers_for_vacancy (FA*IR included), floor as above")
        for m in a.seeker_sizes:
            started = time.perf_counter()
            side = Side.of(data.tile_seekers(self.seekers.arrays, m, a.seed + 2))
            built = time.perf_counter() - started
            n_q = min(a.queries, a.queries_1m) if m >= 1_000_000 else a.queries
            items = [int(j) for j in self.rng.choice(open_rows, size=n_q, replace=False)]
            floor = SeekerFloor(side.arrays)
            mismatch = check_floor(floor, vside.arrays, side.arrays, items[:10], self.day)
            engine = time_calls(lambda j, side=side: seekers_for_vacancy(  # type: ignore[misc]
                vside, side, j, self.day, K, self.bundle, self.policy), items, warmup=5)
            bare = time_calls(lambda j, floor=floor: floor.top(  # type: ignore[misc]
                vside.arrays, j, self.day, K), items, warmup=5)
            eligible = [len(floor.rows(vside.arrays, j, self.day)) for j in items[:20]]
            say(f" {m:,} seekers (tiled in {built:.1f} s; eligible per vacancy: median "
                f"{np.median(eligible):,.0f}; floor≠eligible_mask in {mismatch}/10 checks)")
            timing_line("engine", engine)
            timing_line("bare numpy scan (floor)", bare)
            ratio = engine.pct(50) / bare.pct(50)
            say(f"  engine / floor at p50: {ratio:.2f}×")
            big = m >= 1_000_000
            row(f"vacancy→top-20 p50 / p95 @ {m:,} seekers",
                f"{fmt_ms(engine.pct(50))} / {fmt_ms(engine.pct(95))}",
                "p50 ≤ 250 ms" if big else "", engine.pct(50) <= 250 if big else None)
            row(f"  engine / bare scan @ {m:,}", f"{ratio:.2f}× (floor p50 "
                f"{fmt_ms(bare.pct(50))})", "≤ 3×", ratio <= 3)
            if engine.errors:
                row(f"  engine queries raising @ {m:,}",
                    f"{sum(engine.errors.values())} of {len(items)}", "0", False)
            del side, floor
            release_memory()

    # ------------------------------------------------------------------ index from the DB
    def index_build(self, name: str, url: str) -> None:
        a = self.args
        n = a.db_vacancies
        records = self.records[:n]
        used = {r["employer_id"] for r in records}
        employers = data.employer_rows(e for e in self.pool.employers if e["id"] in used)
        seekers = data.seeker_rows(self.pool.seekers[:a.db_seekers], DomainRules(), a.seed)
        migrate(url)
        inserted = data.insert_population(url, employers, data.vacancy_rows(
            records, today_in_china()), seekers)
        engine = make_engine(url)
        try:
            index = MatchIndex(engine, self.bundle.encode_text, DomainRules())
            started = time.perf_counter()
            snap = index.snapshot()
            build = time.perf_counter() - started
            assert len(snap.vacancies) == n and len(snap.seekers) == len(seekers)
            refresh = []
            for attempt in range(3):
                target = records[attempt * 997]["id"]
                with Session(engine) as session:
                    session.execute(update(Vacancy).where(Vacancy.id == target)  # type: ignore[arg-type]
                                    .values(salary_max=9000 + attempt, version=2 + attempt))
                    changes.record(session, "vacancy", [target])
                    session.commit()
                index.notify()
                started = time.perf_counter()
                snap = index.snapshot()
                refresh.append(time.perf_counter() - started)
                fresh = snap.vacancies.arrays.salary_max[snap.vacancies.row[target]]
                assert fresh == 9000 + attempt, "the refresh did not pick up the update"
        finally:
            engine.dispose()
        say(f" {name}: inserted {n:,} vacancies + {len(employers):,} employers + "
            f"{len(seekers):,} seekers in {inserted:.1f} s (Core); full build "
            f"{build:.2f} s; incremental refresh after 1 update: "
            + ", ".join(f"{r * 1e3:.0f} ms" for r in refresh))
        row(f"index full build from {name} ({n:,} vac + {len(seekers):,} seekers)",
            f"{build:.2f} s")
        row(f"  incremental refresh after 1 update ({name})",
            f"{np.median(refresh) * 1e3:.0f} ms (median of 3)")

    def databases(self, tmp: Path) -> None:
        say(f"\n== match index from the database ({self.args.db_vacancies:,} vacancies)")
        with sqlite_database(tmp, "index.db") as url:
            self.index_build("SQLite", url)
        if self.args.sqlite_only:
            return
        try:
            with postgres_database(postgres_base_url()) as url:
                self.index_build("PostgreSQL", url)
        except PostgresUnavailable as exc:
            say(f" PostgreSQL: unavailable ({exc})")
            row("index full build from PostgreSQL", "unavailable", "measured", False)

    # ------------------------------------------------------------------ HTTP
    def http(self, tmp: Path) -> None:
        a = self.args
        n = 10_000
        records = self.records[:n]
        say(f"\n== HTTP GET /v1/seekers/{{id}}/matches?limit=20: SQLite, {n:,} open "
            f"vacancies, {a.db_seekers:,} seekers, {a.connections} connections, "
            f"{a.http_seconds:.0f} s per run")
        with sqlite_database(tmp, "http.db") as url:
            migrate(url)
            used = {r["employer_id"] for r in records}
            seekers = self.pool.seekers[:a.db_seekers]
            data.insert_population(
                url, data.employer_rows(e for e in self.pool.employers if e["id"] in used),
                data.vacancy_rows(records, today_in_china()),
                data.seeker_rows(seekers, DomainRules(), a.seed))
            ids = [s["id"] for s in seekers]
            for workers in a.workers:
                env = {"ACCESSMATCH_RATE_LIMIT": "1000000/second",
                       "ACCESSMATCH_WORKERS": str(workers)}
                with ServiceProcess(url, log_dir=tmp, workers=workers, env=env) as server:
                    statuses, good, eligible = warm_up(server.base_url, server.admin_key, ids)
                    bad = len(ids) - len(good)
                    say(f" workers={workers}: warm-up over all {len(ids)} seekers: "
                        f"{dict(statuses)}; eligible vacancies per seeker median "
                        f"{np.median(eligible):.0f}")
                    if bad:
                        say(f"  {bad} seekers answered non-2xx in warm-up; the load uses the "
                            f"{len(good)} that answered 200")
                        row(f"HTTP warm-up non-2xx (workers={workers})",
                            f"{bad} of {len(ids)} seekers", "0", False)
                    run_load(a.load_client, server.port, server.admin_key, good, 3,
                             a.connections)
                    result = run_load(a.load_client, server.port, server.admin_key, good,
                                      a.http_seconds, a.connections)
                    alive = server.process is not None and server.process.poll() is None
                    log_tail = server.log_tail(5) if result.error_count else ""
                say(f"  {result.client}: {result.requests:,} requests in "
                    f"{result.seconds:.1f} s = {result.rate:,.0f}/s; p50 "
                    f"{result.p50_ms:.1f} ms, p99 {result.p99_ms:.1f} ms; errors "
                    f"{result.errors or 0}; server alive after: {alive}"
                    + (f"\n{log_tail}" if log_tail else ""))
                label = f"HTTP @ 10k vacancies, {workers} worker(s), c={a.connections}"
                row(f"{label}: requests/s", f"{result.rate:,.0f} ({result.client})",
                    "≥ 500/s", result.rate >= 500)
                row("  p50 / p99", f"{result.p50_ms:.1f} / {result.p99_ms:.1f} ms")
                row("  errors (non-2xx or socket)", str(result.error_count), "0",
                    result.error_count == 0 and alive)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="smaller, faster run")
    parser.add_argument("--sqlite-only", action="store_true", help="skip PostgreSQL")
    parser.add_argument("--load-client", choices=("auto", "wrk", "python"), default="auto",
                        help="HTTP load generator (auto: wrk if on PATH)")
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--seed", type=int, default=20261123)
    args = parser.parse_args(argv)
    quick = args.quick
    args.seeker_pool = args.vacancy_pool = 5_000 if quick else 20_000
    args.vacancy_sizes = [1_000, 10_000] if quick else [1_000, 10_000, 100_000]
    args.seeker_sizes = [100_000] if quick else [100_000, 1_000_000]
    args.queries, args.queries_1m = (40, 40) if quick else (200, 100)
    args.naive_sizes = [1_000, 10_000]
    args.naive_seekers = [5, 2] if quick else [20, 5]
    args.naive_seconds = 20.0 if quick else 60.0
    args.db_vacancies = 10_000 if quick else 100_000
    args.db_seekers = 1_000
    args.http_seconds = 5.0 if quick else 15.0
    args.workers = [2] if quick else [2, 1]
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    from threadpoolctl import threadpool_info

    started = time.monotonic()
    say("== machine")
    pools = "; ".join(f"{p['internal_api']} {p.get('version')} {p['num_threads']} threads"
                      for p in threadpool_info())
    print_machine_info({"numpy": np.__version__, "threadpools": pools or "none",
                        "run": "quick" if args.quick else "full",
                        "sim day": str(simulator.SIM_DAY), "today": str(dt.date.today())})
    bench = Bench(args)
    bench.prepare()
    bench.memory()
    bench.seeker_queries()
    bench.vacancy_queries()
    bench.sides.clear()
    release_memory()
    with tempfile.TemporaryDirectory(prefix="accessmatch-match-bench-") as tmp:
        bench.databases(Path(tmp))
        bench.http(Path(tmp))
    say(f"\n== results ({time.monotonic() - started:.0f} s; load average now "
        f"{load_average()})")
    print_table(["metric", "measured", "target", "met?"], ROWS, align="lrll")
    missed = [r[0] for r in ROWS if r[3] == "NO"]
    say(f"\n{len(missed)} target(s) missed" + (": " + "; ".join(
        str(m).strip() for m in missed) if missed else ""))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
