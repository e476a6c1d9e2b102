"""Each process follows the registry: at start-up and then every ``poll_seconds`` it reads
the newest activation (one indexed row) and, when that names another version, loads its
bytes from the database and switches the live matcher to it (no restart).  The
monitoring figures of the active version are refreshed on a switch and every
``monitor_seconds``.

At start-up: an empty registry gets the shipped scorer as its first, active version; an
active version that does not fit this code (a release changed the features) is replaced
by the shipped scorer, activated with reason ``initial`` and a note saying why.  Later,
a version this process cannot load is logged once and the current one kept.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from sqlalchemy.engine import Engine
from sqlmodel import Session

from service.db import is_database_unavailable
from service.matching.scorer import ScorerBundle, ScorerError
from service.models.base import as_utc
from service.models.model_registry import Monitoring
from service.repositories import models as repo
from service.services import model_monitor
from service.services import models as registry
from service.services.matching import LiveMatcher

log = logging.getLogger("accessmatch.models")
Reporter = Callable[[str, Monitoring], None]
MONITOR_SECONDS = 30.0


class ModelWatcher:
    def __init__(
        self,
        engine: Engine,
        live: LiveMatcher,
        shipped: ScorerBundle,
        *,
        poll_seconds: float,
        report: Reporter | None = None,
        monitor_seconds: float = MONITOR_SECONDS,
    ) -> None:
        self._engine = engine
        self._live = live
        self._shipped = shipped
        self._poll = poll_seconds
        self._report = report
        self._monitor_every = monitor_seconds
        self._monitored_at = float("-inf")
        self._refused: set[str] = set()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self.synced = False  # the registry was read at least once

    def sync(self) -> bool:
        """Follow the registry once; True if the matcher switched.  Raises if the
        database cannot be read."""
        with self._lock, Session(self._engine) as session:
            head = repo.head(session)
            if head is None:
                registry.ensure_initial(session, self._shipped)
                session.commit()
                head = repo.head(session)
                assert head is not None
            switched = self._follow(session, head[1])
            first, self.synced = not self.synced, True
            if switched or first or time.monotonic() - self._monitored_at >= self._monitor_every:
                self._monitor(session)
            return switched

    def _follow(self, session: Session, version: str) -> bool:
        if version == self._live.scorer.version or version in self._refused:
            return False
        try:
            bundle = (
                self._shipped
                if version == self._shipped.version
                else registry.load(session, version)
            )
        except ScorerError as exc:
            if not self.synced:  # start-up: this code cannot serve the active version
                note = f"the active {version} does not fit this code: {exc}"
                log.error(
                    "active model unusable; the shipped one is activated",
                    extra={"model_version": version, "error": str(exc)},
                )
                registry.adopt(session, self._shipped, note)
                session.commit()
                head = repo.head(session)
                if head is not None and head[1] == self._shipped.version:
                    return self._live.use(self._shipped)
                self._refused.add(version)  # another process activated another meanwhile
                return False
            log.error(
                "activated model cannot be loaded; keeping the current one",
                extra={
                    "model_version": version,
                    "error": str(exc),
                    "current": self._live.scorer.version,
                },
            )
            self._refused.add(version)
            return False
        started = time.perf_counter()
        switched = self._live.use(bundle)
        log.info(
            "model switched",
            extra={
                "model_version": bundle.version,
                "ms": round((time.perf_counter() - started) * 1e3),
            },
        )
        return switched

    def _monitor(self, session: Session) -> None:
        self._monitored_at = time.monotonic()
        if self._report is None:
            return
        version = self._live.scorer.version
        mine = repo.activations(session, version)
        since = as_utc(mine[-1].activated_at) if mine else None
        self._report(version, model_monitor.measure(session, version, since))

    def wake(self) -> None:
        """Look now (after an activation in this process), not at the next tick."""
        self._wake.set()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()

    def run(self) -> None:
        """The polling loop (a daemon thread); errors are logged and retried."""
        while not self._stop.is_set():
            try:
                self.sync()
            except Exception as exc:
                log.warning(
                    "model registry not read; retrying",
                    exc_info=not is_database_unavailable(exc),
                    extra={"error": type(exc).__name__},
                )
            self._wake.wait(self._poll)
            self._wake.clear()
