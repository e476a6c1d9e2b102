"""The in-memory match index: vacancies and seekers as arrays, kept fresh from the database.

Each process holds one index.  A write in this process marks it dirty, so the next query
refreshes first; other processes see the change log move when they poll it (at most every
``poll_seconds``).  Queries read an immutable snapshot; a refresh builds a new one and
swaps it in, so readers never see half an update.
"""

from __future__ import annotations

import dataclasses
import logging
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp
from sqlalchemy.engine import Engine
from sqlmodel import Session

from service.matching.arrays import (
    SeekerArrays,
    TextEncoder,
    VacancyArrays,
    build_seekers,
    build_vacancies,
    concat,
)
from service.matching.location import LocationKey
from service.matching.records import seeker_record, vacancy_record
from service.repositories import changes
from service.repositories import matching as repo
from service.rules import DomainRules

log = logging.getLogger("accessmatch.index")
# Late commits can land below the newest id seen; this many ids are re-checked each poll.
_RECHECK_WINDOW = 2000
_REBUILD_SHARE = 0.25


@dataclass(frozen=True)
class Side:
    """One side of the index: arrays, column-major copies for sparse lookups, id → row."""

    arrays: Any
    text_csc: sp.csc_matrix
    skills_csc: sp.csc_matrix
    row: dict[str, int]

    @classmethod
    def of(cls, arrays: VacancyArrays | SeekerArrays) -> Side:
        return cls(
            arrays=arrays,
            text_csc=arrays.text.tocsc(),
            skills_csc=arrays.skills.tocsc(),
            row={str(i): n for n, i in enumerate(arrays.ids)},
        )

    def __len__(self) -> int:
        return len(self.row)

    def displaced(self) -> Side:
        """The seekers as a partner's answer is computed from: each at its displaced
        location (both the distance constraint and the distance feature read it)."""
        a = self.arrays
        return Side(
            arrays=dataclasses.replace(a, lat=a.displaced_lat, lon=a.displaced_lon),
            text_csc=self.text_csc,
            skills_csc=self.skills_csc,
            row=self.row,
        )


@dataclass(frozen=True)
class Snapshot:
    vacancies: Side
    seekers: Side


class MatchIndex:
    def __init__(
        self,
        engine: Engine,
        encode_text: TextEncoder,
        rules: DomainRules,
        poll_seconds: float = 1.0,
        *,
        location_key: LocationKey,
        build_engine: Engine | None = None,
    ) -> None:
        self._engine = engine
        # The full build reads every open vacancy and seeker: on a large database it may
        # outlast the request path's statement timeout, so it may have an engine of its own.
        self._build_engine = build_engine or engine
        self._encode = encode_text
        self._location_key = location_key
        self._rules = rules
        self._poll = poll_seconds
        self._lock = threading.Lock()
        self._snapshot: Snapshot | None = None
        self._applied: set[int] = set()
        self._seen = 0
        self._dirty = True
        self._last_poll = 0.0
        self.builds = 0

    @property
    def ready(self) -> bool:
        return self._snapshot is not None

    def notify(self) -> None:
        """A write committed in this process: refresh before the next query."""
        self._dirty = True

    def note_latest(self, change_id: int) -> None:
        """The change log's newest id, read by the caller: past what this index has seen,
        the next snapshot refreshes first."""
        if change_id > self._seen:
            self._dirty = True

    def snapshot(self) -> Snapshot:
        if (
            self._snapshot is None
            or self._dirty
            or (time.monotonic() - self._last_poll >= self._poll)
        ):
            self.refresh()
        assert self._snapshot is not None
        return self._snapshot

    def refresh(self) -> None:
        with self._lock:
            if self._snapshot is None:
                with Session(self._build_engine) as session:
                    self._build(session)
                return
            self._refresh()

    def _refresh(self) -> None:
        with Session(self._engine) as session:
            self._dirty = False
            self._last_poll = time.monotonic()
            floor = max(0, self._seen - _RECHECK_WINDOW)
            pending = [c for c in changes.since(session, floor) if c[0] not in self._applied]
            if pending:
                self._apply(session, pending)

    def _build(self, session: Session) -> None:
        started = time.perf_counter()
        self._dirty = False
        self._last_poll = time.monotonic()
        recent = changes.since(session, max(0, changes.latest(session) - _RECHECK_WINDOW))
        vacancies = self._load_vacancies(session, None, None)
        seekers = self._load_seekers(session, None)
        self._snapshot = Snapshot(vacancies=Side.of(vacancies), seekers=Side.of(seekers))
        self._remember(c[0] for c in recent)
        self.builds += 1
        log.info(
            "match index built",
            extra={
                "vacancies": len(vacancies),
                "seekers": len(seekers),
                "ms": round((time.perf_counter() - started) * 1e3),
            },
        )

    def _apply(self, session: Session, pending: list[tuple[int, str, str]]) -> None:
        snap = self._snapshot
        assert snap is not None
        ids = {
            kind: {eid for _, e, eid in pending if e == kind}
            for kind in ("vacancy", "employer", "seeker")
        }
        touched = len(ids["vacancy"]) + len(ids["seeker"]) + 50 * len(ids["employer"])
        if touched > _REBUILD_SHARE * max(len(snap.vacancies) + len(snap.seekers), 1):
            self._build(session)
            self._remember(c[0] for c in pending)
            return
        vacancies = snap.vacancies
        if ids["vacancy"] or ids["employer"]:
            fresh = self._load_vacancies(session, sorted(ids["vacancy"]), sorted(ids["employer"]))
            gone = (
                set(ids["vacancy"])
                | set(fresh.ids.tolist())
                | {
                    str(v)
                    for v, e in zip(
                        snap.vacancies.arrays.ids, snap.vacancies.arrays.employer_ids, strict=True
                    )
                    if e in ids["employer"]
                }
            )
            vacancies = Side.of(_replace(snap.vacancies.arrays, gone, fresh))
        seekers = snap.seekers
        if ids["seeker"]:
            fresh_seekers = self._load_seekers(session, sorted(ids["seeker"]))
            seekers = Side.of(_replace(snap.seekers.arrays, ids["seeker"], fresh_seekers))
        self._snapshot = Snapshot(vacancies=vacancies, seekers=seekers)
        self._remember(c[0] for c in pending)

    def _remember(self, change_ids: Iterable[int]) -> None:
        self._applied.update(change_ids)
        if self._applied:
            self._seen = max(self._seen, max(self._applied))
        floor = self._seen - _RECHECK_WINDOW
        self._applied = {c for c in self._applied if c > floor}

    def _load_vacancies(
        self, session: Session, ids: list[str] | None, employer_ids: list[str] | None
    ) -> VacancyArrays:
        records = [
            vacancy_record(v, e)
            for v, e in repo.vacancies_with_employers(session, ids, employer_ids)
        ]
        return build_vacancies(records, self._encode)

    def _load_seekers(self, session: Session, ids: list[str] | None) -> SeekerArrays:
        records = [seeker_record(s, self._rules) for s in repo.seekers(session, ids)]
        return build_seekers(records, self._encode, location_key=self._location_key)


def _replace(old: Any, gone: set[str], fresh: Any) -> Any:
    keep = np.array([str(i) not in gone for i in old.ids], dtype=bool)
    return concat([old.take(np.flatnonzero(keep)), fresh])
