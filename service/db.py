"""Database engine and the per-request session: the one place where work is committed."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine, make_url
from sqlmodel import Session, create_engine


def make_engine(url: str, **kwargs: Any) -> Engine:
    parsed = make_url(url)
    # A failed statement's message must not carry its bound values (personal data).
    kwargs.setdefault("hide_parameters", True)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30},
                               **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    kwargs.setdefault("pool_size", 10)
    kwargs.setdefault("max_overflow", 10)
    return create_engine(url, pool_pre_ping=True, **kwargs)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=30000")
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


def session_scope(engine: Engine,
                  after_commit: Callable[[Session], None] | None = None) -> Iterator[Session]:
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
