"""Benchmark of the statistics at scale on PostgreSQL: 1M seekers, 100k employers.

Builds its own database (default ``accessmatch_stats_bench`` on 127.0.0.1:5432; never
``test``) with the project's migrations, bulk-loads synthetic records with COPY (not the
API), then times every statistic: the product's own SQL (service/repositories/stats_*),
the services and one HTTP route when they exist, raw SQL where no product code exists
yet, and rewrites of slow queries (checked to give the same answer).  Each case runs once
to warm up, then ``--runs`` times: median and p95, the database's share, EXPLAIN (ANALYZE,
BUFFERS) of its slowest statements.  Then session settings (jit, work_mem) and candidate
indexes are tried one at a time against the same run's baseline, and all that helped
together; the indexes are dropped again (the migrations are the lead's).

    .venv/bin/python -m bench.stats_bench --seekers 1000000 --employers 100000 [--rebuild]

The load is skipped when the database already holds this scale, seed, generator and
migrations; ``--rebuild`` drops and rebuilds it.
"""

from __future__ import annotations

import argparse
import multiprocessing
import resource
import sys
import time
from pathlib import Path
from typing import Any

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlmodel import Session

from bench.common import load_average, print_machine_info, print_table
from bench.stats_cases import CANDIDATES, CASES, SETTINGS, Case
from bench.stats_load import LoadReport, migration_indexes, prepare, read_meta, table_sizes
from bench.stats_measure import (
    SERVICE_STATEMENT_TIMEOUT_S,
    Recorder,
    Timing,
    explain_case,
    peak_rss_mb,
)
from bench.stats_trials import (
    Trial,
    check_rewrites,
    create_index,
    drop_index,
    index_exists,
    index_trial,
    run_cases,
    setting_trial,
)

DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/accessmatch_stats_bench"
TARGET_MS = 300.0
SLOW_MS = 150.0  # settings are tried on the cases slower than this


def _load(url: str, seekers: int, employers: int, seed: int, rebuild: bool, out: Any) -> None:
    from bench.stats_data import World

    def make_tables(*, with_valid_to: bool) -> list[Any]:
        return World(seekers, employers, seed=seed).tables(with_valid_to=with_valid_to)

    try:
        out.put(
            prepare(
                url,
                seekers=seekers,
                employers=employers,
                seed=seed,
                rebuild=rebuild,
                make_tables=make_tables,
            )
        )
    except BaseException as exc:  # reported by the parent
        out.put(f"{type(exc).__name__}: {exc}")


def load(args: argparse.Namespace) -> tuple[LoadReport, float]:
    """The load in a child process, so this process's peak RSS is the statistics' own."""
    context = multiprocessing.get_context("fork")
    queue = context.Queue()
    child = context.Process(
        target=_load, args=(args.url, args.seekers, args.employers, args.seed, args.rebuild, queue)
    )
    child.start()
    result = queue.get()
    child.join()
    if isinstance(result, str):
        raise SystemExit(f"load failed: {result}")
    return result, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


def print_load(report: LoadReport, child_rss: float, url: str) -> None:
    meta = read_meta(url) or {}
    if report.skipped:
        print(
            f"data already loaded at this scale (generator {meta.get('generator')}, "
            f"migrations {meta.get('migrations')}): load skipped (--rebuild to redo)"
        )
    else:
        total = sum(report.rows.values())
        print(
            f"loaded {total:,} rows with psycopg COPY (not the API) in "
            f"{report.seconds:.1f} s: migrations {report.migrate_seconds:.1f} s, COPY "
            f"{sum(report.table_seconds.values()):.1f} s, keys and indexes rebuilt "
            f"{report.rebuild_seconds:.1f} s, VACUUM ANALYZE {report.vacuum_seconds:.1f} s; "
            f"loader peak RSS {child_rss:.0f} MB"
        )
    sizes = table_sizes(url)
    print_table(
        ["table", "rows", "COPY s", "size"],
        [
            [
                t,
                f"{n:,}",
                f"{report.table_seconds.get(t, 0):.1f}" if not report.skipped else "-",
                sizes.get(t, "?"),
            ]
            for t, n in sorted(report.rows.items(), key=lambda kv: -kv[1])
        ],
    )
    print(f"seeker_status_change.valid_to filled: {meta.get('valid_to')}")


def say(case: Case, t: Timing) -> None:
    if t.error:
        print(f"  {case.name:<24} ERROR {t.error}", flush=True)
        return
    flag = (
        " OVER the service's 5 s statement_timeout"
        if t.median > (SERVICE_STATEMENT_TIMEOUT_S * 1000)
        else ""
    )
    print(
        f"  {case.name:<24} median {t.median:7.0f} ms  p95 {t.p95:7.0f} ms  "
        f"SQL {t.sql_median:7.0f} ms  rows {t.rows:>7,}  ({len(t.runs_ms)} runs){flag}",
        flush=True,
    )


def baseline_table(cases: list[Case], base: dict[str, Timing]) -> None:
    rows = []
    for case in cases:
        t = base[case.name]
        if t.error:
            rows.append([case.name, case.kind, "error", "", "", "", "", t.error[:60], ""])
            continue
        rows.append(
            [
                case.name,
                case.kind,
                f"{t.median:.0f}",
                f"{t.p95:.0f}",
                f"{t.sql_median:.0f}",
                f"{t.rows:,}",
                len(t.statements),
                f"{t.median / TARGET_MS:.2f}×",
                f"{t.rss_mb:.0f}",
            ]
        )
    print_table(
        [
            "case",
            "kind",
            "median ms",
            "p95 ms",
            "SQL ms",
            "rows",
            "stmts",
            "vs 300 ms",
            "peak RSS MB",
        ],
        rows,
        align="llrrrrrrr",
    )


def explain_all(session: Session, cases: list[Case], base: dict[str, Timing]) -> None:
    for case in cases:
        t = base[case.name]
        if t.error:
            continue
        print(f"- {case.name}: {case.what}")
        for plan in explain_case(session, t):
            print(f"    {plan.line()}")
            joins = f" | joins: {', '.join(plan.joins)}" if plan.joins else ""
            print(f"      scans: {'; '.join(plan.scans[:6])}{joins}")
            if plan.notes:
                print(f"      {'; '.join(plan.notes)}")


def ratio_table(title: str, trials: list[Trial], base: dict[str, Timing]) -> None:
    print(f"\n{title}")
    rows = []
    for trial in trials:
        if trial.skipped:
            rows.append([trial.name, "-", "-", "-", trial.skipped, ""])
            continue
        for name, ratio in trial.ratios(base).items():
            rows.append(
                [
                    trial.name,
                    name,
                    f"{base[name].median:.0f}",
                    f"{trial.timings[name].median:.0f}",
                    f"{ratio:.2f}",
                    f"{1 / ratio:.2f}× faster" if ratio < 1 else f"{ratio:.2f}× slower",
                ]
            )
    print_table(
        ["trial", "case", "before ms", "after ms", "after/before", ""], rows, align="llrrrl"
    )


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seekers", type=int, default=1_000_000)
    parser.add_argument("--employers", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=20261204)
    parser.add_argument("--url", default=DEFAULT_URL, help="the benchmark's own database")
    parser.add_argument("--rebuild", action="store_true", help="drop and reload the data")
    parser.add_argument("--runs", type=int, default=5, help="timed runs per case")
    parser.add_argument("--only", nargs="*", default=None, help="case names")
    parser.add_argument("--no-trials", action="store_true", help="baseline only")
    parser.add_argument("--no-explain", action="store_true")
    parser.add_argument("--load-only", action="store_true")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    started = time.perf_counter()
    print("== machine")
    print_machine_info()
    print("\n== data")
    report, child_rss = load(args)
    print_load(report, child_rss, args.url)
    if args.load_only:
        return 0
    from service.db import make_engine

    cases = [c for c in CASES if args.only is None or c.name in args.only]
    engine = make_engine(args.url, statement_timeout=120)
    recorder = Recorder(engine)
    made_by_migrations = migration_indexes(args.url)
    for candidate in CANDIDATES:  # left over by an interrupted run (never the lead's)
        if candidate.name not in made_by_migrations and index_exists(args.url, candidate.name):
            drop_index(args.url, candidate.name)
    with engine.connect() as conn, Session(bind=conn) as session:
        print(
            f"\n== baseline: the migrations' indexes, default settings ({args.runs} runs "
            f"after one warm-up; load average {load_average()})"
        )
        base = run_cases(session, recorder, cases, runs=args.runs, say=say)
        print()
        baseline_table(cases, base)
        print("\n== rewrites give the product's answer")
        for line in check_rewrites(session, cases):
            print(f"  {line}")
        if not args.no_explain:
            print("\n== EXPLAIN (ANALYZE, BUFFERS) of each case's slowest statements")
            explain_all(session, cases, base)
        if not args.no_trials:
            trials(args, session, recorder, cases, base, made_by_migrations)
        from bench.stats_product import product_section

        product_section(args, engine, recorder)
    print(
        f"\npeak RSS of this process (the statistics, not the loader): "
        f"{peak_rss_mb():.0f} MB; loader {child_rss:.0f} MB; whole run "
        f"{time.perf_counter() - started:.0f} s; load average {load_average()}"
    )
    return 0


def trials(
    args: argparse.Namespace,
    session: Session,
    recorder: Recorder,
    cases: list[Case],
    base: dict[str, Timing],
    made: set[str],
) -> None:
    slow = [c for c in cases if base[c.name].error or base[c.name].median > SLOW_MS]
    print(
        f"\n== session settings (SET for the whole connection, then RESET ALL), on the "
        f"{len(slow)} cases over {SLOW_MS:.0f} ms"
    )
    settings = [
        setting_trial(session, recorder, name, statements, slow, runs=args.runs)
        for name, statements in SETTINGS.items()
    ]
    ratio_table("settings vs baseline (after/before < 1 = faster)", settings, base)
    print("\n== candidate indexes, one at a time (created, VACUUM ANALYZE, cases, dropped)")
    indexes = []
    for candidate in CANDIDATES:
        if not any(c.name in candidate.cases for c in cases):
            continue
        if candidate.name in made:
            indexes.append(Trial(candidate.name, skipped="already made by the migrations"))
            continue
        trial = index_trial(args.url, session, recorder, candidate, runs=args.runs)
        print(f"  {candidate.name}: built in {trial.build_s:.1f} s, {trial.size}", flush=True)
        indexes.append(trial)
    ratio_table("indexes vs baseline", indexes, base)
    helping = [t for t in indexes if not t.skipped and t.helps(base)]
    best = min(
        settings,
        key=lambda t: sum(t.timings[n].median for n in t.timings if not t.timings[n].error),
    )
    print(f"\n== together: {', '.join(t.name for t in helping) or 'no index'} + {best.name}")
    try:
        for trial in helping:
            create_index(args.url, next(c for c in CANDIDATES if c.name == trial.name))
        final = setting_trial(
            session, recorder, f"indexes + {best.name}", best.sql.split("; "), cases, runs=args.runs
        )
    finally:
        for trial in helping:
            drop_index(args.url, trial.name)
    ratio_table("everything that helped, together, vs baseline", [final], base)
    recommend(helping, base, best, final)


def recommend(helping: list[Trial], base: dict[str, Timing], best: Trial, final: Trial) -> None:
    print("\n== recommended for migration 0008 (PostgreSQL; before/after from this run)")
    for trial in helping:
        print(f"{trial.sql};  -- built in {trial.build_s:.1f} s, {trial.size}")
        for name, ratio in sorted(trial.ratios(base).items(), key=lambda kv: kv[1]):
            print(
                f"    {name}: {base[name].median:.0f} -> {trial.timings[name].median:.0f} ms "
                f"(×{ratio:.2f})"
            )
    print(f"and for the statistics' transactions: {best.sql}")
    over = [n for n, t in final.timings.items() if not t.error and t.median > TARGET_MS]
    print(f"still over {TARGET_MS:.0f} ms with all of it: {', '.join(over) or 'none'}")


if __name__ == "__main__":
    raise SystemExit(main())
