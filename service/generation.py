"""The database's write generation: a counter that moves on after every committed write.

A stored statistic (``service.services.stats_summary``) is kept with the generation it
was computed at and answers again only while the counter has not moved.  The counter is
moved by the process that wrote, on the same DBAPI connection, right after its commit
and in a transaction of its own: moving it inside the writing transaction would make
every writer queue on one row, and a reader could see the new value before the write
itself.  Read first, then compute: a summary stored at generation G holds every write
whose move made the counter G or less.

Every statement through any SQLAlchemy engine is watched (sessions, ``engine.begin()``,
the migrations), so a write is never missed by forgetting to call something; writes
that bypass SQLAlchemy (a bulk COPY, ``psql``) must call :func:`advance` or run
``UPDATE stats_generation SET n = n + 1``.  A process killed between its commit and the
move leaves the summaries one write behind until the next write or their age limit
(``Settings.stats_summary_max_age_seconds``).
"""

from __future__ import annotations

import logging
import re
import sqlite3
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.pool import Pool

log = logging.getLogger("accessmatch.generation")

# Written by reads, or the summaries themselves: moving the counter for them would make
# every statistic answer recompute.
NOT_SOURCES = frozenset(
    {"stats_summary", "stats_generation", "audit_event", "audit_subject", "candidate_pseudonym"}
)
ADVANCE_SQL = (
    "INSERT INTO stats_generation (id, n) VALUES (1, 1) "
    "ON CONFLICT (id) DO UPDATE SET n = stats_generation.n + 1"
)
_LEAD = r"^(?:\s*(?:--[^\n]*(?:\n|$)|/\*.*?\*/))*\s*"  # blanks and comments
_DML = re.compile(
    _LEAD + r"(?:insert\s+(?:or\s+\w+\s+)?into|replace\s+into|update|delete\s+from)\s+[\"`]?(\w+)",
    re.IGNORECASE | re.DOTALL,
)
_OTHER_WRITE = re.compile(
    _LEAD + r"(?:truncate|create|alter|drop|merge|copy)\b", re.IGNORECASE | re.DOTALL
)
_WITH = re.compile(_LEAD + r"with\b", re.IGNORECASE | re.DOTALL)
_WITH_DML = re.compile(r"\b(?:insert|update|delete)\b", re.IGNORECASE)
_DIRTY = "generation_dirty"  # written in the open transaction
_PENDING = "generation_pending"  # committed; the counter moves when the connection is returned


def writes_a_source(statement: str) -> bool:
    """Does this statement change data a statistic may read (conservatively: yes if unsure)?"""
    match = _DML.match(statement)
    if match:
        return match.group(1).lower() not in NOT_SOURCES
    if _OTHER_WRITE.match(statement):
        return True
    return bool(_WITH.match(statement) and _WITH_DML.search(statement))


def _seen(conn: Connection, _cursor: Any, statement: str, *_args: Any) -> None:
    if writes_a_source(statement):
        # In autocommit each statement is its own commit, and no commit event comes.
        conn.info[_PENDING if _autocommit(conn) else _DIRTY] = True


def _autocommit(conn: Connection) -> bool:
    raw = conn.connection.dbapi_connection
    if isinstance(raw, sqlite3.Connection):
        return raw.isolation_level is None
    return getattr(raw, "autocommit", False) is True


def _committed(conn: Connection) -> None:
    if conn.info.pop(_DIRTY, False):
        conn.info[_PENDING] = True


def _rolled_back(conn: Connection) -> None:
    conn.info.pop(_DIRTY, None)


def _returned(dbapi_connection: Any, record: Any) -> None:
    if record is None or not record.info.pop(_PENDING, False) or dbapi_connection is None:
        return
    try:
        advance(dbapi_connection)
    except Exception as exc:  # the write has committed; never fail it afterwards
        try:
            dbapi_connection.rollback()
        except Exception:  # a dead connection: the pool discards it
            log.debug("rollback after a failed generation move failed", exc_info=True)
        if "stats_generation" in str(exc):  # a schema older than the summaries
            log.debug("no stats_generation table: %s", exc)
        else:
            log.warning(
                "the write generation did not move (stored statistics may answer from "
                "before this write until their age limit): %s",
                exc,
            )


def advance(dbapi_connection: Any) -> None:
    """Move the counter on, committed at once (after a write that SQLAlchemy did not see)."""
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute(ADVANCE_SQL)
    finally:
        cursor.close()
    dbapi_connection.commit()


def advance_engine(engine: Engine) -> None:
    """Move the counter on through ``engine`` (e.g. at start-up: new code may compute a
    statistic differently from the summaries stored by the old)."""
    with engine.begin() as conn:
        conn.exec_driver_sql(ADVANCE_SQL)


def watch() -> None:
    """Watch every engine and pool of this process (idempotent)."""
    for target, name, listener in (
        (Engine, "after_cursor_execute", _seen),
        (Engine, "commit", _committed),
        (Engine, "rollback", _rolled_back),
        (Pool, "checkin", _returned),
    ):
        if not event.contains(target, name, listener):
            event.listen(target, name, listener)
