"""The engine's comparison points: a bare numpy scan (the floor) and a naive per-pair loop,
plus timing and memory helpers for the match benchmark.

The floor does the least any engine must do for one query: the hard constraints of
``constraints.eligible_mask`` (same rules, written with scalars for the query side and a
few seeker- or vacancy-only columns computed once: ``demands - bridge``, coordinates in
radians, ``sin²(max_km / 2R)``), a linear score over a small dense float32 matrix of
precomputed columns for the survivors, and ``argpartition`` for the top k.  No text
similarity, no pair features, no explanation.  ``check`` compares its survivors with
``eligible_mask`` so the floor provably applies the same constraints.
"""

from __future__ import annotations

import contextlib
import ctypes
import datetime as dt
import gc
import os
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, fields
from typing import Any

import numpy as np
import scipy.sparse as sp

from service.matching.arrays import NO_DATE, SeekerArrays, VacancyArrays
from service.matching.constraints import (
    EARTH_RADIUS_KM,
    GRADUATE_BIT,
    Day,
    seeker_groups,
    verdict,
)
from service.matching.encoding import ETYPE_CODE, GROUP_BIT, KINDS, MODE_CODE, PREMISES_MASK
from service.matching.features import pair_features
from service.matching.index import Side
from service.matching.policy import PriorityPolicy
from service.matching.scorer import ScorerBundle

_HARD = GROUP_BIT["hard_to_employ"]
_PART_TIME = [ETYPE_CODE["part_time"], ETYPE_CODE["flexible"]]


def _top(score: np.ndarray, rows: np.ndarray, k: int) -> np.ndarray:
    if len(score) > k:
        part = np.argpartition(-score, k - 1)[:k]
        return rows[part[np.argsort(-score[part], kind="stable")]]
    return rows[np.argsort(-score, kind="stable")]


def _half_angle(lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    radians = np.radians(lat)
    return radians, np.cos(radians)


def _hav(lat1: Any, lon1: Any, cos1: Any, lat2: Any, lon2: Any, cos2: Any) -> Any:
    """The haversine ``a`` (km ≤ d ⇔ a ≤ sin²(d / 2R)), coordinates in radians."""
    return np.sin((lat2 - lat1) / 2) ** 2 + cos1 * cos2 * np.sin((lon2 - lon1) / 2) ** 2


class VacancyFloor:
    """Bare scan of vacancies for one seeker."""

    def __init__(self, v: VacancyArrays) -> None:
        self.closes = np.where(v.open_, v.closes, -1).astype(np.int32)
        self.need = (v.demands.astype(np.int16) - v.bridge).astype(np.int8)
        self.not_offered = ~v.offered
        self.remote = v.mode == MODE_CODE["remote"]
        self.mode, self.etype = v.mode, v.etype
        self.lat, self.cos = _half_angle(v.lat)
        self.lon = np.radians(v.lon)
        self.located = ~np.isnan(v.lat)
        self.city, self.restricted, self.groups = v.city, v.restricted, v.groups
        kinds = v.kind[:, None] == np.arange(len(KINDS))[None, :]
        self.features = np.ascontiguousarray(
            np.column_stack(
                [
                    self.remote,
                    v.mode == MODE_CODE["hybrid"],
                    np.isin(v.etype, _PART_TIME),
                    v.etype == ETYPE_CODE["internship"],
                    v.targeted,
                    v.welfare,
                    v.salary_max / 1000.0,
                    v.edu,
                    kinds,
                ]
            ),
            dtype=np.float32,
        )
        self.weights = np.asarray(
            np.random.default_rng(0).normal(0, 1, self.features.shape[1]), dtype=np.float32
        )

    def rows(self, s: SeekerArrays, i: int, day: Day) -> np.ndarray:
        if not (s.seeking[i] and s.consented[i] and s.adult_from[i] <= day.today < s.retire_on[i]):
            return np.zeros(0, dtype=np.int64)
        mask = (self.closes >= day.today) & (self.need <= s.abilities[i]).all(axis=1)
        required = int(s.required[i])
        if required:
            need = np.where(self.remote, required & ~PREMISES_MASK, required)
            mask &= (need & self.not_offered) == 0
        mask &= ((int(s.modes[i]) >> self.mode) & 1).astype(bool)
        mask &= ((int(s.etypes[i]) >> self.etype) & 1).astype(bool)
        same_city = self.city == s.city[i]
        if np.isnan(s.lat[i]):
            near = same_city
        else:
            lat, cos = _half_angle(s.lat[i])
            a = _hav(lat, np.radians(s.lon[i]), cos, self.lat, self.lon, self.cos)
            with np.errstate(invalid="ignore"):
                near = np.where(
                    self.located, a <= np.sin(s.max_km[i] / (2 * EARTH_RADIUS_KM)) ** 2, same_city
                )
        mask &= self.remote | near
        groups = int(s.groups[i]) | (
            GRADUATE_BIT if NO_DATE != s.graduated[i] >= day.graduate_since else 0
        )
        mask &= ~self.restricted | ((self.groups & groups) != 0)
        return np.flatnonzero(mask)

    def top(self, s: SeekerArrays, i: int, day: Day, k: int) -> np.ndarray:
        rows = self.rows(s, i, day)
        return _top(self.features[rows] @ self.weights, rows, k)


class SeekerFloor:
    """Bare scan of seekers for one vacancy."""

    def __init__(self, s: SeekerArrays) -> None:
        self.available = s.seeking & s.consented
        self.adult_from, self.retire_on = s.adult_from, s.retire_on
        self.abilities, self.required = s.abilities, s.required
        self.modes, self.etypes = s.modes.astype(np.int16), s.etypes.astype(np.int16)
        self.lat, self.cos = _half_angle(s.lat)
        self.lon = np.radians(s.lon)
        self.located = ~np.isnan(s.lat)
        self.limit = np.sin(s.max_km / (2 * EARTH_RADIUS_KM)) ** 2
        self.city, self.groups, self.graduated = s.city, s.groups, s.graduated
        self.features = np.ascontiguousarray(
            np.column_stack(
                [np.log1p(s.experience), s.edu, s.min_salary / 1000.0, s.n_skills, s.abilities]
            ),
            dtype=np.float32,
        )
        self.weights = np.asarray(
            np.random.default_rng(1).normal(0, 1, self.features.shape[1]), dtype=np.float32
        )

    def rows(self, v: VacancyArrays, j: int, day: Day) -> np.ndarray:
        if not v.open_[j] or v.closes[j] < day.today:
            return np.zeros(0, dtype=np.int64)
        mask = self.available & (self.adult_from <= day.today) & (day.today < self.retire_on)
        need = v.demands[j].astype(np.int16) - v.bridge[j]
        for d in np.flatnonzero(need > 0):
            mask &= self.abilities[:, d] >= need[d]
        remote = v.mode[j] == MODE_CODE["remote"]
        missing = ~int(v.offered[j]) & ~(PREMISES_MASK if remote else 0)
        mask &= (self.required & missing) == 0
        mask &= ((self.modes >> int(v.mode[j])) & 1).astype(bool)
        mask &= ((self.etypes >> int(v.etype[j])) & 1).astype(bool)
        if not remote:
            same_city = self.city == v.city[j]
            if np.isnan(v.lat[j]):
                mask &= same_city
            else:
                lat, cos = _half_angle(v.lat[j])
                a = _hav(self.lat, self.lon, self.cos, lat, np.radians(v.lon[j]), cos)
                with np.errstate(invalid="ignore"):
                    mask &= np.where(self.located, a <= self.limit, same_city)
        if v.restricted[j]:
            recent = (self.graduated != NO_DATE) & (self.graduated >= day.graduate_since)
            groups = self.groups | np.where(recent, GRADUATE_BIT, 0).astype(np.int16)
            mask &= (groups & v.groups[j]) != 0
        return np.flatnonzero(mask)

    def top(self, v: VacancyArrays, j: int, day: Day, k: int) -> np.ndarray:
        rows = self.rows(v, j, day)
        return _top(self.features[rows] @ self.weights, rows, k)


# --------------------------------------------------------------------------- naive loop


def naive_for_seeker(
    record: dict[str, Any],
    s_one: SeekerArrays,
    vacancy_records: Sequence[dict[str, Any]],
    vacancies: VacancyArrays,
    day: Day,
    date: dt.date,
    window: int,
    scorer: ScorerBundle,
    policy: PriorityPolicy,
    k: int,
) -> list[tuple[float, int]]:
    """One pair at a time: ``verdict`` on the records, then for an eligible pair its
    one-row arrays, its text and skill dot products, ``pair_features``, ``predict`` on
    one row and the boosts; finally a sort.  (Texts are the index's precomputed vectors,
    as for the engine: no encoding inside the loop.)"""
    groups = seeker_groups(s_one, day)
    group_mask, hard = int(groups[0]), bool(groups[0] & _HARD)
    scored: list[tuple[float, int]] = []
    for j, vacancy in enumerate(vacancy_records):
        if verdict(record, vacancy, date, window):
            continue
        v = vacancies.take(np.array([j]))
        text = np.array([(s_one.text @ v.text.T).sum()], dtype=np.float32)
        overlap = np.array([(s_one.skills @ v.skills.T).sum()], dtype=np.float32)
        probability = float(scorer.predict(pair_features(s_one, v, text, overlap, groups))[0])
        boost = (
            policy.names_seekers_group * bool(int(v.groups[0]) & group_mask)
            + policy.targeted * bool(v.targeted[0])
            + policy.public_welfare_for_hard_to_employ * (bool(v.welfare[0]) and hard)
        )
        scored.append((probability + boost, j))
    scored.sort(key=lambda item: -item[0])
    return scored[:k]


# --------------------------------------------------------------------------- timing


@dataclass
class Timings:
    ms: list[float]
    errors: dict[str, int]

    def pct(self, q: float) -> float:
        return float(np.percentile(self.ms, q)) if self.ms else float("nan")


def time_calls(
    calls: dict[str, Callable[[int], Any]], items: Sequence[int], warmup: int = 10
) -> dict[str, Timings]:
    """Wall time of each ``call(item)``, the calls interleaved item by item (so a burst of
    load elsewhere on the machine hits all of them alike), after ``warmup`` untimed items."""
    for item in list(items)[:warmup]:
        for call in calls.values():
            with contextlib.suppress(Exception):  # failures are counted in the timed pass
                call(item)
    gc.collect()
    out = {name: Timings([], {}) for name in calls}
    for item in items:
        for name, call in calls.items():
            started = time.perf_counter()
            try:
                call(item)
            except Exception as exc:
                key = f"{type(exc).__name__}: {str(exc)[:80]}"
                out[name].errors[key] = out[name].errors.get(key, 0) + 1
                continue
            out[name].ms.append((time.perf_counter() - started) * 1e3)
    return out


# --------------------------------------------------------------------------- memory


def rss_bytes() -> int:
    with open("/proc/self/statm") as handle:
        return int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def release_memory() -> None:
    """Collect garbage and hand freed heap back to the OS, so RSS shows what is live."""
    gc.collect()
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6").malloc_trim(0)


def side_nbytes(side: Side) -> dict[str, int]:
    """Bytes held by one index side: numeric arrays, sparse matrices (CSR and the CSC
    copies), the Python strings behind object arrays, the id → row dict."""
    numeric = sparse = objects = 0
    for f in fields(side.arrays):
        value = getattr(side.arrays, f.name)
        if sp.issparse(value):
            sparse += value.data.nbytes + value.indices.nbytes + value.indptr.nbytes
        else:
            numeric += value.nbytes
            if value.dtype == object:
                objects += sum(sys.getsizeof(x) for x in {id(x): x for x in value}.values())
    for matrix in (side.text_csc, side.skills_csc):
        sparse += matrix.data.nbytes + matrix.indices.nbytes + matrix.indptr.nbytes
    return {
        "numeric": numeric,
        "sparse": sparse,
        "python_objects": objects,
        "row_dict": sys.getsizeof(side.row),
    }
