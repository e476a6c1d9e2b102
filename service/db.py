"""Database engine and the per-request session: the one place where work is committed."""

from __future__ import annotations

import logging
import math
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from functools import partial
from pathlib import Path
from typing import Any

import psycopg
from sqlalchemy import event
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import Connection, Engine, make_url
from sqlmodel import Session, create_engine

from service import generation

# Every committed write moves the write generation on (stored statistics rely on it).
generation.watch()

DEFAULT_CONNECT_TIMEOUT = 3.0
SQLITE_DEFAULT_BUSY_SECONDS = 30.0
# Past the server's own statement_timeout, the client gives up on a silent server.
_READ_MARGIN_SECONDS = 1.0
# SQLite's messages for "try again later" (another writer, a file that cannot be reached).
_SQLITE_UNAVAILABLE = (
    "database is locked",
    "database table is locked",
    "unable to open",
    "disk i/o error",
)


def make_engine(
    url: str,
    *,
    connect_timeout: float | None = DEFAULT_CONNECT_TIMEOUT,
    statement_timeout: float | None = None,
    pool_timeout: float | None = None,
    **kwargs: Any,
) -> Engine:
    """The engine; with ``statement_timeout`` (the service's), no statement waits longer
    than about that, even on a server that accepts connections and never answers."""
    parsed = make_url(url)
    # A failed statement's message must not carry its bound values (personal data).
    kwargs.setdefault("hide_parameters", True)
    in_memory = parsed.get_backend_name() == "sqlite" and parsed.database in (None, "", ":memory:")
    if pool_timeout is not None and not in_memory:  # one connection, no queue to wait in
        kwargs.setdefault("pool_timeout", pool_timeout)
    if parsed.get_backend_name() == "sqlite":
        if not in_memory:
            Path(parsed.database or "").parent.mkdir(parents=True, exist_ok=True)
        busy = statement_timeout or SQLITE_DEFAULT_BUSY_SECONDS
        engine = create_engine(
            url, connect_args={"check_same_thread": False, "timeout": busy}, **kwargs
        )
        event.listen(engine, "connect", partial(_sqlite_pragmas, busy_ms=round(busy * 1000)))
        return engine
    kwargs.setdefault("pool_size", 10)
    kwargs.setdefault("max_overflow", 10)
    connect_args: dict[str, Any] = {}
    if connect_timeout is not None:  # libpq counts whole seconds
        connect_args["connect_timeout"] = max(1, math.ceil(connect_timeout))
    if statement_timeout is not None:
        options = " ".join(_as_tuple(parsed.query.get("options")))
        connect_args["options"] = (
            f"{options} -c statement_timeout={round(statement_timeout * 1000)}".strip()
        )
    engine = create_engine(url, pool_pre_ping=True, connect_args=connect_args, **kwargs)
    if statement_timeout is not None:
        read_timeout = statement_timeout + _READ_MARGIN_SECONDS
        event.listen(
            engine, "do_connect", partial(_connect_with_deadline, read_timeout=read_timeout)
        )
    return engine


def _as_tuple(value: str | tuple[str, ...] | None) -> tuple[str, ...]:
    if value is None:
        return ()
    return (value,) if isinstance(value, str) else value


class DatabaseTimeout(psycopg.OperationalError):
    """The server sent nothing within the deadline; the connection was closed."""


class _DeadlineConnection(psycopg.Connection[Any]):
    """A connection whose every wait on the server ends at a deadline: libpq has no read
    timeout, and a stopped server whose kernel still acknowledges, or a black hole, would
    otherwise hold the request (and its thread) for ever."""

    read_timeout: float | None = None

    def wait(self, gen: Any, interval: float = 0.1, timeout: float | None = None) -> Any:
        if timeout is not None or self.read_timeout is None:
            return super().wait(gen, interval, timeout)
        try:
            return super().wait(gen, interval, self.read_timeout)
        except psycopg.errors._WaitTimeout:
            # The exchange is cut in the middle: the connection cannot be used again.
            # Closed this way it is "broken", so SQLAlchemy invalidates the pool.
            self.pgconn.finish()
            raise DatabaseTimeout(
                f"the database did not answer within {self.read_timeout:g} s"
            ) from None


def _connect_with_deadline(
    _dialect: Any,
    _record: Any,
    cargs: tuple[Any, ...],
    cparams: dict[str, Any],
    *,
    read_timeout: float,
) -> Any:
    conn = _DeadlineConnection.connect(*cargs, **cparams)
    conn.read_timeout = read_timeout
    return conn


def is_database_unavailable(exc: BaseException) -> bool:
    """The database is down, unreachable, too busy or too slow: a moment's trouble that a
    retry may not meet (503), not a fault of the request or of the code."""
    seen: BaseException | None = exc
    while seen is not None:
        if _unavailable(seen):
            return True
        seen = seen.__cause__
    return False


def _unavailable(exc: BaseException) -> bool:
    if isinstance(exc, (sa_exc.DisconnectionError, sa_exc.TimeoutError)):
        return True  # TimeoutError: no pooled connection came free in time
    if isinstance(exc, sa_exc.DBAPIError):
        if exc.connection_invalidated:
            return True
        return _unavailable(exc.orig) if exc.orig is not None else False
    if isinstance(exc, (psycopg.OperationalError, psycopg.InterfaceError)):
        # OperationalError: connection lost or refused, statement_timeout, server
        # shutting down, too many connections, deadlock or serialization failure.
        return True
    if isinstance(exc, sqlite3.OperationalError):
        message = str(exc).lower()
        return any(text in message for text in _SQLITE_UNAVAILABLE)
    return False


def _sqlite_pragmas(dbapi_connection: Any, _record: Any, *, busy_ms: int) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    # Waiting for another writer ends here (503), not after half a minute.
    cursor.execute(f"PRAGMA busy_timeout={busy_ms:d}")
    # Erasure must not leave deleted rows readable in the file's free pages.
    cursor.execute("PRAGMA secure_delete=ON")
    cursor.close()


def transaction(engine: Engine) -> AbstractContextManager[Session]:
    """``with transaction(engine) as session``: one unit of work outside a request."""
    return contextmanager(session_scope)(engine)


_AFTER_COMMIT = "after_commit"
_AFTER_ROLLBACK = "after_rollback"

log = logging.getLogger("accessmatch.db")


def on_commit(session: Session, action: Callable[[], None]) -> None:
    """Run ``action`` once this session's work has committed (never if it rolls back)."""
    session.info.setdefault(_AFTER_COMMIT, []).append(action)


def on_rollback(session: Session, work: Callable[[Session], None]) -> None:
    """If this session's work rolls back, do ``work`` on the same session afterwards and
    commit it (e.g. record the refused attempt that caused the rollback)."""
    session.info.setdefault(_AFTER_ROLLBACK, []).append(work)


def session_scope(
    engine: Engine, after_commit: Callable[[Session], None] | None = None
) -> Iterator[Session]:
    """Commit when the work succeeds, roll back when it raises."""
    with Session(engine, expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            _after_rollback(session)
            raise
        for action in session.info.pop(_AFTER_COMMIT, ()):
            action()
        if after_commit is not None:
            after_commit(session)


def _after_rollback(session: Session) -> None:
    session.info.pop(_AFTER_COMMIT, None)
    work = session.info.pop(_AFTER_ROLLBACK, ())
    if not work:
        return
    try:
        for item in work:
            item(session)
        session.commit()
    except Exception:  # never hide the error that caused the rollback
        session.rollback()
        log.exception("work after a rollback failed")


def checkpoint_wal(engine: Engine | Connection) -> None:
    """SQLite: copy the write-ahead log into the database and empty it, so that rows just
    deleted (secure_delete zeroes them in the database) leave no copy in the log either.
    Best effort: a reader still holding an old snapshot can keep some frames for now."""
    if engine.dialect.name == "sqlite":
        with engine.engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
