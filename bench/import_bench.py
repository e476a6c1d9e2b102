"""Benchmark of POST /v1/vacancies/import over real HTTP, on SQLite and PostgreSQL.

Requirement: the import sustains at least 5,000 vacancies/s on both databases.

For each database: a fresh database (an SQLite file in a temp dir; a fresh ``bench_*``
schema on PostgreSQL, dropped afterwards), ``alembic upgrade head``, ``accessmatch serve``
in a subprocess on 127.0.0.1, one employer, then three passes of N batches of 1,000:

* insert: new external_ids (all ``created``);
* update: the same external_ids again, edited (all ``updated``);
* mixed: half existing, half new external_ids, shuffled.

Every response must be 200 with ``failed == 0`` and the expected created/updated counts,
or the run stops with an error.  Bodies are encoded before the clock starts; a batch's
latency is its HTTP round trip, a pass's time is the wall clock over all its batches.

    .venv/bin/python bench/import_bench.py [--batches 20] [--sqlite-only] [--enforce]

PostgreSQL: ``ACCESSMATCH_TEST_POSTGRES_URL`` (default
postgresql+psycopg://postgres@127.0.0.1:5432/test).  Unreachable PostgreSQL is an error
(exit 2) unless ``--sqlite-only``.  ``--enforce`` exits 1 when a pass misses the target.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script: make ``bench`` and ``service`` importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import httpx

from bench.common import (
    BenchError,
    PostgresUnavailable,
    ServiceProcess,
    create_employer,
    load_average,
    migrate,
    percentile,
    postgres_base_url,
    postgres_database,
    postgres_version,
    print_machine_info,
    print_table,
    sqlite_database,
)
from bench.data import vacancy

TARGET_PER_S = 5000
BATCH_SIZE = 1000


@dataclass
class PassResult:
    database: str
    name: str
    batches: int
    vacancies: int
    seconds: float
    latencies_ms: list[float]

    @property
    def rate(self) -> float:
        return self.vacancies / self.seconds if self.seconds else 0.0

    def row(self) -> list[object]:
        ratio = self.rate / TARGET_PER_S
        return [
            self.database,
            self.name,
            self.batches,
            f"{self.vacancies:,}",
            f"{self.seconds:.2f}",
            f"{self.rate:,.0f}",
            f"{percentile(self.latencies_ms, 50):.0f}",
            f"{percentile(self.latencies_ms, 95):.0f}",
            f"{ratio:.2f}× target" + ("" if ratio >= 1 else "  MISSED"),
        ]


@dataclass
class Batch:
    body: bytes
    size: int
    created: int
    updated: int


def ext_id(run: str, number: int) -> str:
    return f"bench-{run}-{number:07d}"


def build_passes(
    employer_id: str, run: str, batches: int, size: int, seed: int
) -> dict[str, list[Batch]]:
    """Pre-encoded bodies of the three passes (insert, update, mixed)."""
    rng = random.Random(seed)

    def encode(items: list[dict[str, Any]]) -> bytes:
        return json.dumps(items, ensure_ascii=False).encode()

    inserts, updates, mixed = [], [], []
    for b in range(batches):
        numbers = range(b * size, (b + 1) * size)
        inserts.append(
            Batch(
                encode([vacancy(rng, employer_id, ext_id(run, n)) for n in numbers]), size, size, 0
            )
        )
        updates.append(
            Batch(
                encode([vacancy(rng, employer_id, ext_id(run, n), revision=1) for n in numbers]),
                size,
                0,
                size,
            )
        )
        half = size // 2
        old = [
            vacancy(rng, employer_id, ext_id(run, b * half + i), revision=2) for i in range(half)
        ]
        new = [
            vacancy(rng, employer_id, ext_id(run, batches * size + b * half + i))
            for i in range(size - half)
        ]
        items = old + new
        rng.shuffle(items)
        mixed.append(Batch(encode(items), size, size - half, half))
    return {"insert": inserts, "update": updates, "mixed": mixed}


def post_batch(client: httpx.Client, batch: Batch, label: str) -> float:
    """POST one batch, check the report, return the round trip in ms."""
    start = time.perf_counter()
    response = client.post(
        "/v1/vacancies/import", content=batch.body, headers={"Content-Type": "application/json"}
    )
    elapsed_ms = (time.perf_counter() - start) * 1000
    if response.status_code != 200:
        raise BenchError(f"{label}: HTTP {response.status_code}: {response.text[:1000]}")
    report = response.json()
    bad = [item for item in report["items"] if item["status"] == "error"]
    if (
        report["failed"]
        or bad
        or len(report["items"]) != batch.size
        or report["created"] != batch.created
        or report["updated"] != batch.updated
    ):
        raise BenchError(
            f"{label}: expected created={batch.created} updated={batch.updated} failed=0 "
            f"of {batch.size}, got created={report['created']} updated={report['updated']} "
            f"failed={report['failed']} items={len(report['items'])}; first errors: "
            f"{json.dumps(bad[:3], ensure_ascii=False)[:1000]}"
        )
    return elapsed_ms


def run_pass(
    client: httpx.Client,
    database: str,
    name: str,
    batches: list[Batch],
    concurrency: int,
    deadline: float,
) -> PassResult:
    def one(index_batch: tuple[int, Batch]) -> float:
        index, batch = index_batch
        if time.monotonic() > deadline:
            raise BenchError(f"time budget exhausted during {database} {name}")
        return post_batch(client, batch, f"{database} {name} batch {index + 1}")

    start = time.perf_counter()
    if concurrency == 1:
        latencies = [one(item) for item in enumerate(batches)]
    else:
        with ThreadPoolExecutor(concurrency) as pool:
            latencies = list(pool.map(one, enumerate(batches)))
    seconds = time.perf_counter() - start
    return PassResult(
        database, name, len(batches), sum(b.size for b in batches), seconds, latencies
    )


def bench_database(
    database: str,
    url_context: AbstractContextManager[str],
    args: argparse.Namespace,
    workdir: Path,
    deadline: float,
) -> list[PassResult]:
    results: list[PassResult] = []
    with url_context as url:
        migrate(url)
        with (
            ServiceProcess(url, log_dir=workdir, workers=args.workers) as server,
            server.client(timeout=args.request_timeout) as client,
        ):
            try:
                results += run_passes(database, server, client, args, deadline)
            except BenchError as exc:
                raise BenchError(
                    f"[{database}] {exc}\n--- server log (last lines):\n{server.log_tail()}"
                ) from exc
    return results


def run_passes(
    database: str,
    server: ServiceProcess,
    client: httpx.Client,
    args: argparse.Namespace,
    deadline: float,
) -> list[PassResult]:
    employer_id = create_employer(client)
    run = f"{database[:2]}{random.randrange(16**6):06x}"
    print(
        f"[{database}] server {server.base_url} (log {server.log_path}); "
        f"encoding {3 * args.batches} batches ...",
        flush=True,
    )
    passes = build_passes(employer_id, run, args.batches, args.batch_size, args.seed)
    # warm-up, not timed: one small batch under other external_ids
    rng = random.Random(0)
    warm = [vacancy(rng, employer_id, f"warmup-{run}-{i}") for i in range(50)]
    post_batch(client, Batch(json.dumps(warm).encode(), 50, 50, 0), "warm-up")
    results: list[PassResult] = []
    for name, batches in passes.items():
        result = run_pass(client, database, name, batches, args.concurrency, deadline)
        print(
            f"[{database}] {name}: {result.vacancies:,} in {result.seconds:.2f} s "
            f"= {result.rate:,.0f}/s",
            flush=True,
        )
        results.append(result)
    if server.process is None or server.process.poll() is not None:
        raise BenchError("the server died")
    return results


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--batches", type=int, default=20, help="batches per pass (default 20 = 20,000 vacancies)"
    )
    parser.add_argument(
        "--batch-size",
        type=int,
        default=BATCH_SIZE,
        help="vacancies per batch, at most 1000 (default 1000)",
    )
    only = parser.add_mutually_exclusive_group()
    only.add_argument("--sqlite-only", action="store_true", help="skip PostgreSQL")
    only.add_argument("--postgres-only", action="store_true", help="skip SQLite")
    parser.add_argument(
        "--postgres-url",
        default=None,
        help="base URL (default $ACCESSMATCH_TEST_POSTGRES_URL or local test)",
    )
    parser.add_argument(
        "--concurrency",
        type=int,
        default=1,
        help="batches in flight at once (default 1: one client, in order)",
    )
    parser.add_argument("--workers", type=int, default=1, help="uvicorn workers (default 1)")
    parser.add_argument("--seed", type=int, default=20261001)
    parser.add_argument("--request-timeout", type=float, default=120.0)
    parser.add_argument(
        "--max-seconds",
        type=float,
        default=900.0,
        help="time budget for the whole run (default 900)",
    )
    parser.add_argument(
        "--enforce",
        action="store_true",
        help=f"exit 1 if any pass is below {TARGET_PER_S:,} vacancies/s",
    )
    args = parser.parse_args(argv)
    if not 1 <= args.batch_size <= BATCH_SIZE or args.batches < 1 or args.concurrency < 1:
        parser.error("need --batches >= 1, 1 <= --batch-size <= 1000, --concurrency >= 1")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    deadline = time.monotonic() + args.max_seconds
    extra: dict[str, str] = {}
    plan: list[tuple[str, Callable[[Path], AbstractContextManager[str]]]] = []
    if not args.postgres_only:
        plan.append(("sqlite", sqlite_database))
    if not args.sqlite_only:
        base = args.postgres_url or postgres_base_url()
        try:
            extra["postgresql"] = postgres_version(base)
        except Exception as exc:
            print(
                f"error: PostgreSQL is unreachable at {base}: {exc}\n"
                f"(set ACCESSMATCH_TEST_POSTGRES_URL, or pass --sqlite-only)",
                file=sys.stderr,
            )
            return 2
        pg_base: str = base
        plan.append(("postgresql", lambda _dir: postgres_database(pg_base)))

    print("== machine")
    print_machine_info(extra)
    print(
        f"== POST /v1/vacancies/import: {args.batches} batches × {args.batch_size} per "
        f"pass, concurrency {args.concurrency}, uvicorn workers {args.workers}\n",
        flush=True,
    )
    results: list[PassResult] = []
    try:
        with tempfile.TemporaryDirectory(prefix="accessmatch-bench-") as tmp:
            for database, make_url in plan:
                workdir = Path(tmp) / database
                workdir.mkdir()
                results += bench_database(database, make_url(workdir), args, workdir, deadline)
    except PostgresUnavailable as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except BenchError as exc:
        print(f"\nBENCHMARK FAILED: {exc}", file=sys.stderr)
        return 1

    print(f"\n== results (target {TARGET_PER_S:,} vacancies/s; load average now {load_average()})")
    print_table(
        [
            "database",
            "pass",
            "batches",
            "vacancies",
            "seconds",
            "vacancies/s",
            "batch p50 ms",
            "batch p95 ms",
            "vs target",
        ],
        [r.row() for r in results],
        align="llrrrrrrl",
    )
    missed = [r for r in results if r.rate < TARGET_PER_S]
    if missed:
        print(
            f"\n{len(missed)} pass(es) below {TARGET_PER_S:,}/s: "
            + ", ".join(f"{r.database} {r.name}" for r in missed)
        )
    return 1 if missed and args.enforce else 0


if __name__ == "__main__":
    raise SystemExit(main())
