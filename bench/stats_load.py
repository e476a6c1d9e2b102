"""The statistics benchmark's own PostgreSQL database: created, migrated with the
project's migrations, bulk-loaded with COPY (not the API), and reused while it holds the
same scale, seed, generator and migrations.

The load drops the loaded tables' foreign keys, unique constraints, primary keys and
indexes, COPYs every table (``FREEZE``, in the transaction that truncated it), then
re-creates them all from their definitions as the migrations left them, and runs
``VACUUM ANALYZE``.
"""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import dataclass, field
from typing import Any

import psycopg
from psycopg import sql

from bench.stats_world import Table
from service.migrate import MIGRATIONS, upgrade

GENERATOR_VERSION = 3  # bump when the generated rows change
META = "bench_stats_meta"
TABLES = (
    "api_key",
    "seeker",
    "seeker_status_change",
    "employer",
    "staff_declaration",
    "vacancy",
    "placement",
    "referral",
    "referral_event",
    "service_record",
    "follow_up_visit",
    "erased_seeker",
)


@dataclass
class LoadReport:
    skipped: bool
    seconds: float = 0.0
    rows: dict[str, int] = field(default_factory=dict)
    table_seconds: dict[str, float] = field(default_factory=dict)
    rebuild_seconds: float = 0.0
    vacuum_seconds: float = 0.0
    migrate_seconds: float = 0.0
    sizes: dict[str, str] = field(default_factory=dict)


def libpq(url: str) -> str:
    """A libpq conninfo from a SQLAlchemy URL."""
    return url.replace("postgresql+psycopg://", "postgresql://")


def migrations_digest() -> str:
    digest = hashlib.sha256()
    for path in sorted((MIGRATIONS / "versions").glob("*.py")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:16]


def ensure_database(url: str, *, drop: bool) -> None:
    """Create the benchmark's database (dropping it first if asked); never another one."""
    conninfo = psycopg.conninfo.conninfo_to_dict(libpq(url))
    name = str(conninfo["dbname"])
    if name in ("test", "postgres", "template0", "template1"):
        raise SystemExit(f"refusing to use database {name!r}: give the benchmark its own")
    admin = psycopg.conninfo.make_conninfo(libpq(url), dbname="postgres")
    with psycopg.connect(admin, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
        if exists and drop:
            conn.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(name)))
        if not exists or drop:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def wanted_meta(seekers: int, employers: int, seed: int) -> dict[str, Any]:
    return {
        "seekers": seekers,
        "employers": employers,
        "seed": seed,
        "generator": GENERATOR_VERSION,
        "migrations": migrations_digest(),
    }


def read_meta(url: str) -> dict[str, Any] | None:
    with psycopg.connect(libpq(url)) as conn:
        if conn.execute("SELECT to_regclass(%s)", (META,)).fetchone() == (None,):
            return None
        row = conn.execute(f"SELECT meta FROM {META}").fetchone()
        return dict(row[0]) if row else None


def columns_of(conn: psycopg.Connection[Any], table: str) -> dict[str, tuple[bool, bool]]:
    """column -> (nullable, has a default)."""
    rows = conn.execute(
        "SELECT column_name, is_nullable = 'YES', column_default IS NOT NULL "
        "FROM information_schema.columns WHERE table_schema = 'public' "
        "AND table_name = %s",
        (table,),
    ).fetchall()
    return {name: (nullable, default) for name, nullable, default in rows}


def has_valid_to(url: str) -> bool:
    with psycopg.connect(libpq(url)) as conn:
        return "valid_to" in columns_of(conn, "seeker_status_change")


def migration_indexes(url: str) -> set[str]:
    """The index names the migrations made (recorded at load time)."""
    meta = read_meta(url) or {}
    return set(meta.get("indexes", ()))


def prepare(
    url: str, *, seekers: int, employers: int, seed: int, rebuild: bool, make_tables: Any
) -> LoadReport:
    """The database at this scale: reused if it holds it, else (re)built and loaded."""
    wanted = wanted_meta(seekers, employers, seed)
    ensure_database(url, drop=rebuild)
    meta = None if rebuild else _try_meta(url)
    if meta is not None and all(meta.get(k) == v for k, v in wanted.items()):
        return LoadReport(skipped=True, rows=meta.get("rows", {}))
    if meta is not None and meta.get("migrations") != wanted["migrations"]:
        ensure_database(url, drop=True)  # the migrations changed: start from scratch
    started = time.perf_counter()
    upgrade(url)
    report = LoadReport(skipped=False, migrate_seconds=time.perf_counter() - started)
    with psycopg.connect(libpq(url)) as conn:
        conn.execute("SET maintenance_work_mem = '256MB'")
        indexes = _all_indexes(conn)
        definitions = _drop_constraints(conn)
        conn.commit()
        valid_to = "valid_to" in columns_of(conn, "seeker_status_change")
        for table in make_tables(with_valid_to=valid_to):
            report.rows[table.name], report.table_seconds[table.name] = _copy(conn, table)
        started_rebuild = time.perf_counter()
        for statement in definitions:
            conn.execute(statement)
        conn.commit()
        report.rebuild_seconds = time.perf_counter() - started_rebuild
        conn.execute(f"CREATE TABLE IF NOT EXISTS {META} (meta jsonb NOT NULL)")
        conn.execute(f"DELETE FROM {META}")
        meta = {**wanted, "rows": report.rows, "indexes": sorted(indexes), "valid_to": valid_to}
        conn.execute(f"INSERT INTO {META} VALUES (%s)", (json.dumps(meta),))
        conn.commit()
    started_vacuum = time.perf_counter()
    with psycopg.connect(libpq(url), autocommit=True) as conn:
        conn.execute("VACUUM (ANALYZE)")
    report.vacuum_seconds = time.perf_counter() - started_vacuum
    report.seconds = time.perf_counter() - started
    return report


def _try_meta(url: str) -> dict[str, Any] | None:
    try:
        return read_meta(url)
    except psycopg.Error:
        return None


def _all_indexes(conn: psycopg.Connection[Any]) -> set[str]:
    rows = conn.execute("SELECT indexname FROM pg_indexes WHERE schemaname = 'public'")
    return {name for (name,) in rows}


def _drop_constraints(conn: psycopg.Connection[Any]) -> list[str]:
    """Drop the loaded tables' keys and indexes; return the statements that re-create
    them (primary keys, unique constraints, plain and partial indexes, foreign keys)."""
    tables = list(TABLES)
    constraints = conn.execute(
        "SELECT c.conrelid::regclass::text, c.conname, c.contype, pg_get_constraintdef(c.oid) "
        "FROM pg_constraint c WHERE c.contype IN ('p', 'u', 'f') "
        "AND c.conrelid::regclass::text = ANY(%s) ORDER BY c.contype",
        (tables,),
    ).fetchall()
    owned = {name for _, name, kind, _ in constraints if kind in ("p", "u")}
    indexes = conn.execute(
        "SELECT tablename, indexname, indexdef FROM pg_indexes WHERE schemaname = 'public' "
        "AND tablename = ANY(%s)",
        (tables,),
    ).fetchall()
    # Foreign keys from tables not loaded here (e.g. consent_record) go and come back too.
    inbound = conn.execute(
        "SELECT c.conrelid::regclass::text, c.conname, pg_get_constraintdef(c.oid) "
        "FROM pg_constraint c WHERE c.contype = 'f' AND c.confrelid::regclass::text = ANY(%s) "
        "AND NOT c.conrelid::regclass::text = ANY(%s)",
        (tables, tables),
    ).fetchall()
    foreign = [(t, n, d) for t, n, k, d in constraints if k == "f"] + list(inbound)
    keys = [(t, n, d) for t, n, k, d in constraints if k in ("p", "u")]
    plain = [(t, n, d) for t, n, d in indexes if n not in owned]
    for table, name, _ in foreign + keys:
        conn.execute(
            sql.SQL("ALTER TABLE {} DROP CONSTRAINT {}").format(
                sql.Identifier(table), sql.Identifier(name)
            )
        )
    for _, name, _ in plain:
        conn.execute(sql.SQL("DROP INDEX {}").format(sql.Identifier(name)))
    recreate = [f'ALTER TABLE "{t}" ADD CONSTRAINT "{n}" {d}' for t, n, d in keys]
    recreate += [d for _, _, d in plain]
    recreate += [f'ALTER TABLE "{t}" ADD CONSTRAINT "{n}" {d}' for t, n, d in foreign]
    return recreate


def _copy(conn: psycopg.Connection[Any], table: Table) -> tuple[int, float]:
    columns = columns_of(conn, table.name)
    unknown = [c for c in table.columns if c not in columns]
    missing = [
        c
        for c, (nullable, default) in columns.items()
        if c not in table.columns and not nullable and not default
    ]
    if unknown or missing:
        raise SystemExit(
            f"{table.name}: the generator does not fit the migrated schema "
            f"(unknown columns {unknown}, required columns not filled {missing})"
        )
    started = time.perf_counter()
    count = 0
    conn.execute(sql.SQL("TRUNCATE {}").format(sql.Identifier(table.name)))
    statement = sql.SQL("COPY {} ({}) FROM STDIN (FREEZE)").format(
        sql.Identifier(table.name), sql.SQL(", ").join(map(sql.Identifier, table.columns))
    )
    with conn.cursor() as cur, cur.copy(statement) as copy:
        for row in table.rows:
            copy.write_row(row)
            count += 1
    conn.commit()
    return count, time.perf_counter() - started


def table_sizes(url: str) -> dict[str, str]:
    with psycopg.connect(libpq(url)) as conn:
        rows = conn.execute(
            "SELECT relname, pg_size_pretty(pg_total_relation_size(oid)) FROM pg_class "
            "WHERE relname = ANY(%s) AND relkind = 'r'",
            (list(TABLES),),
        ).fetchall()
    return dict(rows)
