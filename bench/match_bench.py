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
4. HTTP: ``accessmatch serve`` on loopback over SQLite (2 and 1 workers) and PostgreSQL
   (2 workers) with 10k open vacancies and 1k seekers, driven by wrk (or an asyncio
   client) three times for a bounded time each; the median run is reported.

    .venv/bin/python bench/match_bench.py [--quick] [--sqlite-only] [--load-client wrk]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script: make ``bench`` and ``service`` importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np

from bench import match_data as data
from bench.common import load_average, print_machine_info, print_table
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
from bench.match_report import MB, ROWS, K, fmt_ms, ratio_note, row, say, timing_line
from bench.match_service import ServiceSections
from service.clock import today_in_china
from service.matching.arrays import SeekerArrays, build_seekers, build_vacancies
from service.matching.constraints import eligible_mask
from service.matching.index import Side
from service.matching.offline import simulator
from service.matching.policy import load_policy
from service.matching.ranking import seekers_for_vacancy, vacancies_for_seeker
from service.matching.scorer import load_bundle


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


class Bench(ServiceSections):
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
        self.records = data.tile_vacancies(self.pool.vacancies, max(a.vacancy_sizes), a.seed + 1)
        say(
            f"generated {len(self.pool.seekers):,} seekers, {len(self.pool.vacancies):,} "
            f"vacancies and {len(self.pool.employers):,} employers (distinct records, "
            f"service.matching.offline.population) in {self.pool.seconds:.1f} s; vacancies beyond "
            f"{len(self.pool.vacancies):,} are perturbed copies (new id, workplace moved "
            f"≤ ~1 km, salary ±100) built from records; seekers beyond "
            f"{len(self.pool.seekers):,} are perturbed copies made on the arrays"
        )
        build_vacancies(self.records[:200], self.bundle.encode_text)  # warm caches
        started = time.perf_counter()
        self.seekers = Side.of(build_seekers(self.pool.seekers, self.bundle.encode_text))
        say(f"seeker side of {len(self.seekers):,} built in {time.perf_counter() - started:.1f} s")

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
        say(
            f"  build_vacancies + Side.of: {seconds:.1f} s; RSS +{delta / MB:.1f} MiB per "
            f"100k; bytes held per 100k: "
            + ", ".join(f"{k} {v * 100_000 / n / MB:.1f} MiB" for k, v in parts.items())
            + f" (total {total / MB:.1f} MiB)"
        )
        row("RSS per 100k vacancies (index side)", f"{delta / MB:.0f} MiB")
        row("  bytes the side holds (arrays, CSR+CSC, strings, id dict)", f"{total / MB:.0f} MiB")
        self.sides = {n: side}

    # ------------------------------------------------------------------ seeker → vacancies
    def seeker_queries(self) -> None:
        a = self.args
        pool = len(self.seekers)
        chosen = self.rng.choice(pool, size=min(a.queries, pool), replace=False)
        items = [int(i) for i in chosen]
        say(
            f"\n== seeker→top-{K}: {len(items)} random seekers; engine = "
            "ranking.vacancies_for_seeker, floor = masks + linear score + argpartition"
        )
        for n in a.vacancy_sizes:
            side = self.sides.get(n) or Side.of(
                build_vacancies(self.records[:n], self.bundle.encode_text)
            )
            self.sides[n] = side
            floor = VacancyFloor(side.arrays)
            s = self.seekers.arrays
            mismatch = check_floor(floor, s, side.arrays, items[:30], self.day)
            timed = time_calls(
                {
                    "engine": lambda i, side=side: vacancies_for_seeker(  # type: ignore[misc]
                        self.seekers, side, i, self.day, K, self.bundle, self.policy
                    ),
                    "floor": lambda i, floor=floor, s=s: floor.top(  # type: ignore[misc]
                        s, i, self.day, K
                    ),
                },
                items,
            )
            engine, bare = timed["engine"], timed["floor"]
            eligible = [len(floor.rows(s, i, self.day)) for i in items]
            say(
                f" {n:,} vacancies (eligible per seeker: median {np.median(eligible):.0f}, "
                f"zero for {sum(e == 0 for e in eligible)}; floor≠eligible_mask in "
                f"{mismatch}/30 checks)"
            )
            timing_line("engine", engine)
            timing_line("bare numpy scan (floor)", bare)
            ratio = engine.pct(50) / bare.pct(50)
            say(ratio_note(engine, bare))
            row(
                f"seeker→top-20 p50 / p95 @ {n:,} vacancies",
                f"{fmt_ms(engine.pct(50))} / {fmt_ms(engine.pct(95))}",
                "p50 ≤ 20 ms" if n == 100_000 else "",
                engine.pct(50) <= 20 if n == 100_000 else None,
            )
            official = n == 10_000  # the issue sets both ratio targets at 10k vacancies
            row(
                f"  engine / bare scan @ {n:,}",
                f"{ratio:.2f}× (floor p50 {fmt_ms(bare.pct(50))})",
                "≤ 3×" if official else "(3× is set at 10k)",
                ratio <= 3 if official else None,
            )
            if engine.errors:
                row(
                    f"  engine queries raising @ {n:,}",
                    f"{sum(engine.errors.values())} of {len(items)}",
                    "0",
                    False,
                )
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
                    ranked = vacancies_for_seeker(
                        self.seekers, side, i, self.day, K, self.bundle, self.policy
                    )
                    best.append(time.perf_counter() - started)
            except ValueError:
                continue  # the engine cannot rank this seeker (counted above)
            started = time.perf_counter()
            loop = naive_for_seeker(
                self.pool.seekers[i],
                s_one,
                records,
                side.arrays,
                self.day,
                simulator.SIM_DAY,
                window,
                self.bundle,
                self.policy,
                K,
            )
            took = time.perf_counter() - started
            engine_s = float(np.median(best))
            speedups.append(took / engine_s)
            naive_ms.append(took * 1e3)
            engine_ms.append(engine_s * 1e3)
            same += len(loop) == len(ranked.rows) and np.allclose(
                [score for score, _ in loop], ranked.score, atol=1e-5
            )
        if not speedups:
            say("  naive per-pair loop: no seeker the engine could rank")
            return
        speedup = float(np.median(speedups))
        say(
            f"  naive per-pair loop: {len(naive_ms)} seekers, median {np.median(naive_ms):,.0f}"
            f" ms (engine on the same seekers: median {np.median(engine_ms):.2f} ms); "
            f"speedup median {speedup:,.0f}× (min {min(speedups):,.0f}×); same top-{K} "
            f"scores as the engine for {same}/{len(naive_ms)}"
        )
        row(
            f"  speedup vs per-pair loop @ {n:,}",
            f"{speedup:,.0f}× ({len(naive_ms)} seekers, loop {np.median(naive_ms):,.0f} ms)",
            "≥ 200×" if n == 10_000 else "",
            speedup >= 200 if n == 10_000 else None,
        )

    # ------------------------------------------------------------------ vacancy → seekers
    def vacancy_queries(self) -> None:
        a = self.args
        vside = self.sides[min(n for n in a.vacancy_sizes if n >= 10_000)]
        open_rows = np.flatnonzero(vside.arrays.open_)
        say(
            f"\n== vacancy→top-{K}: random open vacancies; engine = "
            "ranking.seekers_for_vacancy (FA*IR included), floor as above"
        )
        for m in a.seeker_sizes:
            started = time.perf_counter()
            side = Side.of(data.tile_seekers(self.seekers.arrays, m, a.seed + 2))
            built = time.perf_counter() - started
            n_q = min(a.queries, a.queries_1m) if m >= 1_000_000 else a.queries
            items = [int(j) for j in self.rng.choice(open_rows, size=n_q, replace=False)]
            floor = SeekerFloor(side.arrays)
            mismatch = check_floor(floor, vside.arrays, side.arrays, items[:10], self.day)
            timed = time_calls(
                {
                    "engine": lambda j, side=side: seekers_for_vacancy(  # type: ignore[misc]
                        vside, side, j, self.day, K, self.bundle, self.policy
                    ),
                    "floor": lambda j, floor=floor: floor.top(  # type: ignore[misc]
                        vside.arrays, j, self.day, K
                    ),
                },
                items,
                warmup=5,
            )
            engine, bare = timed["engine"], timed["floor"]
            eligible = [len(floor.rows(vside.arrays, j, self.day)) for j in items[:20]]
            say(
                f" {m:,} seekers (tiled in {built:.1f} s; eligible per vacancy: median "
                f"{np.median(eligible):,.0f}; floor≠eligible_mask in {mismatch}/10 checks)"
            )
            timing_line("engine", engine)
            timing_line("bare numpy scan (floor)", bare)
            ratio = engine.pct(50) / bare.pct(50)
            say(ratio_note(engine, bare))
            big = m >= 1_000_000
            row(
                f"vacancy→top-20 p50 / p95 @ {m:,} seekers",
                f"{fmt_ms(engine.pct(50))} / {fmt_ms(engine.pct(95))}",
                "p50 ≤ 250 ms" if big else "",
                engine.pct(50) <= 250 if big else None,
            )
            row(f"  engine / bare scan @ {m:,}", f"{ratio:.2f}× (floor p50 {fmt_ms(bare.pct(50))})")
            if engine.errors:
                row(
                    f"  engine queries raising @ {m:,}",
                    f"{sum(engine.errors.values())} of {len(items)}",
                    "0",
                    False,
                )
            del side, floor
            release_memory()

    # ------------------------------------------------------------------ index from the DB


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="smaller, faster run")
    parser.add_argument("--sqlite-only", action="store_true", help="skip PostgreSQL")
    parser.add_argument(
        "--load-client",
        choices=("auto", "wrk", "python"),
        default="auto",
        help="HTTP load generator (auto: wrk if on PATH)",
    )
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
    args.http_repeats = 3
    args.workers = [2] if quick else [2, 1]
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    from threadpoolctl import threadpool_info

    started = time.monotonic()
    say("== machine")
    pools = "; ".join(
        f"{p['internal_api']} {p.get('version')} {p['num_threads']} threads"
        for p in threadpool_info()
    )
    print_machine_info(
        {
            "numpy": np.__version__,
            "threadpools": pools or "none",
            "run": "quick" if args.quick else "full",
            "sim day": str(simulator.SIM_DAY),
            "today": str(today_in_china()),
        }
    )
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
    say(f"\n== results ({time.monotonic() - started:.0f} s; load average now {load_average()})")
    print_table(["metric", "measured", "target", "met?"], ROWS, align="lrll")
    missed = [r[0] for r in ROWS if r[3] == "NO"]
    say(
        f"\n{len(missed)} target(s) missed"
        + (": " + "; ".join(str(m).strip() for m in missed) if missed else "")
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
