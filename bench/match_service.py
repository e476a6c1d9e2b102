"""The match benchmark's sections that need a database: the index build from SQLite and
PostgreSQL, and the HTTP load on a real server (a mixin of ``match_bench.Bench``)."""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import update
from sqlmodel import Session

from bench import match_data as data
from bench.common import (
    PostgresUnavailable,
    ServiceProcess,
    migrate,
    postgres_base_url,
    postgres_database,
    random_token,
    sqlite_database,
)
from bench.match_http import cpu_seconds, run_load, warm_up
from bench.match_report import row, say
from service.db import make_engine
from service.matching.index import MatchIndex
from service.matching.location import location_key
from service.matching.scorer import ScorerBundle
from service.models.crypto import Cipher
from service.models.enums import Role
from service.models.tables import Vacancy
from service.repositories import changes
from service.rules import DomainRules, today_in_china
from service.services import api_keys


def ensure_admin_key(url: str, key: str) -> None:
    """Store the bootstrap admin key before the server starts.  Each uvicorn worker runs
    the lifespan's ``api_keys.ensure``; on an empty table two workers can both insert it
    and one dies on the unique constraint (a start-up race in service/main.py)."""
    engine = make_engine(url)
    try:
        with Session(engine) as session:
            api_keys.ensure(session, key, role=Role.admin, name="bootstrap admin")
            session.commit()
    finally:
        engine.dispose()


class ServiceSections:
    args: argparse.Namespace
    pool: data.Pool
    records: list[dict[str, Any]]
    bundle: ScorerBundle

    def index_build(self, name: str, url: str) -> None:
        a = self.args
        n = a.db_vacancies
        records = self.records[:n]
        used = {r["employer_id"] for r in records}
        employers = data.employer_rows(e for e in self.pool.employers if e["id"] in used)
        seekers = data.seeker_rows(self.pool.seekers[: a.db_seekers], DomainRules(), a.seed)
        migrate(url)
        inserted = data.insert_population(
            url, employers, data.vacancy_rows(records, today_in_china()), seekers
        )
        engine = make_engine(url)
        try:
            index = MatchIndex(
                engine,
                self.bundle.encode_text,
                DomainRules(),
                location_key=location_key(Cipher(random_token())),
            )
            started = time.perf_counter()
            snap = index.snapshot()
            build = time.perf_counter() - started
            assert len(snap.vacancies) == n and len(snap.seekers) == len(seekers)
            refresh = []
            for attempt in range(3):
                target = records[attempt * 997]["id"]
                with Session(engine) as session:
                    session.execute(
                        update(Vacancy)
                        .where(Vacancy.id == target)  # type: ignore[arg-type]
                        .values(salary_max=9000 + attempt, version=2 + attempt)
                    )
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
        say(
            f" {name}: inserted {n:,} vacancies + {len(employers):,} employers + "
            f"{len(seekers):,} seekers in {inserted:.1f} s (Core); full build "
            f"{build:.2f} s; incremental refresh after 1 update: "
            + ", ".join(f"{r * 1e3:.0f} ms" for r in refresh)
        )
        row(
            f"index full build from {name} ({n:,} vac + {len(seekers):,} seekers)", f"{build:.2f} s"
        )
        row(
            f"  incremental refresh after 1 update ({name})",
            f"{np.median(refresh) * 1e3:.0f} ms (median of 3)",
        )

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
        say(
            f"\n== HTTP GET /v1/seekers/{{id}}/matches?limit=20: 10,000 open vacancies, "
            f"{a.db_seekers:,} seekers, {a.connections} connections, {a.http_repeats} runs "
            f"of {a.http_seconds:.0f} s each (median reported: which worker accepts which "
            "keep-alive connection varies from run to run)"
        )
        with sqlite_database(tmp, "http.db") as url:
            self.http_on("SQLite", url, tmp, a.workers)
        if a.sqlite_only:
            return
        try:
            with postgres_database(postgres_base_url()) as url:
                self.http_on("PostgreSQL", url, tmp, a.workers[:1])
        except PostgresUnavailable as exc:
            say(f" PostgreSQL: unavailable ({exc})")
            row("HTTP on PostgreSQL", "unavailable", "measured", False)

    def http_on(self, name: str, url: str, tmp: Path, workers_list: list[int]) -> None:
        a = self.args
        records = self.records[:10_000]
        migrate(url)
        used = {r["employer_id"] for r in records}
        seekers = self.pool.seekers[: a.db_seekers]
        data.insert_population(
            url,
            data.employer_rows(e for e in self.pool.employers if e["id"] in used),
            data.vacancy_rows(records, today_in_china()),
            data.seeker_rows(seekers, DomainRules(), a.seed),
        )
        ids = [s["id"] for s in seekers]
        for workers in workers_list:
            env = {"ACCESSMATCH_RATE_LIMIT": "1000000/second", "ACCESSMATCH_WORKERS": str(workers)}
            server = ServiceProcess(url, log_dir=tmp, workers=workers, env=env)
            ensure_admin_key(url, server.admin_key)
            with server:
                statuses, good, eligible = warm_up(server.base_url, server.admin_key, ids)
                bad = len(ids) - len(good)
                say(
                    f" {name}, workers={workers}: warm-up over all {len(ids)} seekers: "
                    f"{dict(statuses)}; eligible vacancies per seeker median "
                    f"{np.median(eligible):.0f}"
                )
                if bad:
                    row(
                        f"HTTP warm-up non-2xx ({name}, workers={workers})",
                        f"{bad} of {len(ids)} seekers",
                        "0",
                        False,
                    )
                run_load(a.load_client, server.port, server.admin_key, good, 3, a.connections)
                assert server.process is not None
                runs = []
                for _ in range(a.http_repeats):
                    cpu_before = cpu_seconds(server.process.pid)
                    result = run_load(
                        a.load_client,
                        server.port,
                        server.admin_key,
                        good,
                        a.http_seconds,
                        a.connections,
                    )
                    cpu_ms = (
                        (cpu_seconds(server.process.pid) - cpu_before)
                        * 1e3
                        / max(result.requests, 1)
                    )
                    runs.append((result, cpu_ms))
                    say(
                        f"  {result.client}: {result.requests:,} requests in "
                        f"{result.seconds:.1f} s = {result.rate:,.0f}/s; p50 "
                        f"{result.p50_ms:.1f} ms, p99 {result.p99_ms:.1f} ms; errors "
                        f"{result.errors or 0}; server CPU {cpu_ms:.1f} ms per request"
                    )
                alive = server.process is not None and server.process.poll() is None
                errors = sum(r.error_count for r, _ in runs)
                log_tail = server.log_tail(5) if errors else ""
                reference = run_load(
                    a.load_client,
                    server.port,
                    server.admin_key,
                    [r["id"] for r in records],
                    min(5.0, a.http_seconds),
                    a.connections,
                    "/v1/vacancies/{}",
                )
            runs.sort(key=lambda run: run[0].rate)
            result, cpu_ms = runs[len(runs) // 2]
            spread = f"{runs[0][0].rate:,.0f}–{runs[-1][0].rate:,.0f}"
            say(
                f"  median {result.rate:,.0f}/s (runs {spread}/s); server alive after: {alive}"
                + (f"\n{log_tail}" if log_tail else "")
            )
            say(
                f"  reference, GET /v1/vacancies/{{id}} (auth + one row, same load): "
                f"{reference.rate:,.0f}/s, p50 {reference.p50_ms:.1f} ms, errors "
                f"{reference.error_count}"
            )
            label = f"HTTP @ 10k vacancies, {name}, {workers} worker(s), c={a.connections}"
            row(
                f"{label}: requests/s",
                f"{result.rate:,.0f} (median; runs {spread}; {result.client})",
                "≥ 500/s",
                result.rate >= 500,
            )
            row("  p50 / p99 (median run)", f"{result.p50_ms:.1f} / {result.p99_ms:.1f} ms")
            row("  server CPU per request (median run)", f"{cpu_ms:.1f} ms")
            row("  errors (non-2xx or socket), all runs", str(errors), "0", errors == 0 and alive)
            row(
                "  reference: GET /v1/vacancies/{id} requests/s",
                f"{reference.rate:,.0f} (p50 {reference.p50_ms:.1f} ms)",
            )
