"""Columnar, numpy-backed views of vacancies and seekers: what the engine ranks from.

Built from plain records (dicts), so the database index, the simulator and the tests
share one encoding.  Rows are immutable; a refresh builds a new object.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, fields
from functools import lru_cache
from typing import Any

import numpy as np
import scipy.sparse as sp
from sklearn.feature_extraction.text import HashingVectorizer

from service.matching.dimensions import DIMENSIONS
from service.matching.encoding import (
    ACC_BIT,
    CATEGORY_CODE,
    EDU_LEVEL,
    ETYPE_CODE,
    GROUP_BIT,
    KIND_CODE,
    MODE_CODE,
    N_DIM,
    REMOTE,
    bridges_for,
    city_of,
    mask_of,
    occupation_segments,
)
from service.matching.location import LocationKey, displaced_location

TextEncoder = Callable[[Sequence[str]], sp.csr_matrix]
NO_DATE = np.iinfo(np.int32).max
MAX_OCCUPATION_PREFS = 5

_skill_hasher = HashingVectorizer(
    analyzer=lambda skills: skills, n_features=2**16, binary=True, norm=None, alternate_sign=False
)


def encode_skills(skill_lists: Sequence[Sequence[str]]) -> sp.csr_matrix:
    if not skill_lists:  # the hasher cannot take an empty batch
        return sp.csr_matrix((0, _skill_hasher.n_features), dtype=np.float32)
    return sp.csr_matrix(_skill_hasher.transform(skill_lists), dtype=np.float32)


def _ordinal(day: dt.date | None) -> int:
    return day.toordinal() if day else NO_DATE


def _take_rows(matrix: sp.csr_matrix, rows: np.ndarray) -> sp.csr_matrix:
    return matrix[rows]


@dataclass(frozen=True)
class Columns:
    """Base: row selection and concatenation over every field."""

    def take(
        self, rows: np.ndarray, *, sparse: bool = True, columns: frozenset[str] | None = None
    ) -> Any:
        """The given rows.  ``sparse=False`` leaves the text matrices empty; ``columns``
        gathers only those columns (and ``ids``), leaving the others empty: the hot path
        copies only what it reads."""
        values = {}
        for name in _names(type(self)):
            value = getattr(self, name)
            wanted = columns is None or name in columns or name == "ids"
            if sp.issparse(value):
                values[name] = (
                    _take_rows(value, rows)
                    if sparse and wanted
                    else _empty_sparse(value.shape[1], value.dtype)
                )
            else:
                values[name] = value[rows] if wanted else value[:0]
        return type(self)(**values)

    def __len__(self) -> int:
        first = getattr(self, fields(self)[0].name)
        return int(first.shape[0])


_NAMES: dict[type, tuple[str, ...]] = {}


def _names(kind: type) -> tuple[str, ...]:
    if kind not in _NAMES:
        _NAMES[kind] = tuple(f.name for f in fields(kind))
    return _NAMES[kind]


def pair_count(one: Columns, other: Columns) -> int:
    """How many pairs two sides make: a one-row side broadcasts against the other."""
    if len(one) == 1:
        return len(other)
    return len(one)


@lru_cache(maxsize=8)
def _empty_sparse(width: int, dtype: Any) -> sp.csr_matrix:
    return sp.csr_matrix((0, width), dtype=dtype)


def concat(parts: Sequence[Columns]) -> Any:
    kind = type(parts[0])
    values = {}
    for f in fields(parts[0]):
        chunks = [getattr(p, f.name) for p in parts]
        values[f.name] = (
            sp.vstack(chunks, format="csr") if sp.issparse(chunks[0]) else np.concatenate(chunks)
        )
    return kind(**values)


@dataclass(frozen=True)
class VacancyArrays(Columns):
    ids: np.ndarray
    employer_ids: np.ndarray
    titles: np.ndarray
    employer_names: np.ndarray
    demands: np.ndarray  # int8 (n, 13)
    bridge: np.ndarray  # int8 (n, 13): capacity the offered accommodations add
    offered: np.ndarray  # int32 bitmask: vacancy accommodations ∪ premises (not remote)
    mode: np.ndarray
    etype: np.ndarray
    lat: np.ndarray
    lon: np.ndarray
    city: np.ndarray
    salary_min: np.ndarray
    salary_max: np.ndarray
    edu: np.ndarray
    open_: np.ndarray
    closes: np.ndarray  # date ordinal, NO_DATE when open-ended
    targeted: np.ndarray
    welfare: np.ndarray
    groups: np.ndarray  # bitmask of named priority groups
    restricted: np.ndarray
    kind: np.ndarray
    occupation: np.ndarray  # int16 (n, 4)
    skills: sp.csr_matrix
    n_skills: np.ndarray
    text: sp.csr_matrix


@dataclass(frozen=True)
class SeekerArrays(Columns):
    ids: np.ndarray
    abilities: np.ndarray  # int8 (m, 13)
    required: np.ndarray  # int32 bitmask
    modes: np.ndarray  # bitmask of acceptable work modes
    etypes: np.ndarray  # bitmask of acceptable employment types
    max_km: np.ndarray
    min_salary: np.ndarray
    lat: np.ndarray
    lon: np.ndarray
    # Where partners' answers place the seeker (location.py); NaN when unlocated or when
    # built without the key (records that never reach a partner).
    displaced_lat: np.ndarray
    displaced_lon: np.ndarray
    city: np.ndarray
    edu: np.ndarray
    groups: np.ndarray  # bitmask of priority groups except graduate (time-dependent)
    graduated: np.ndarray  # ordinal of graduation with a degree, NO_DATE otherwise
    seeking: np.ndarray
    consented: np.ndarray
    shared: np.ndarray
    adult_from: np.ndarray  # ordinal of the day working age starts
    retire_on: np.ndarray  # ordinal of the statutory retirement day
    category: np.ndarray
    grade: np.ndarray
    estimated: np.ndarray  # bitmask of dimensions estimated, not assessed
    occupations: np.ndarray  # int16 (m, 5, 4), -1 padded
    experience: np.ndarray
    skills: sp.csr_matrix
    n_skills: np.ndarray
    text: sp.csr_matrix


def vacancy_text(record: dict[str, Any]) -> str:
    return " ".join([record["title"], *record["skills"]])


def seeker_text(record: dict[str, Any]) -> str:
    return " ".join(record["skills"])


def build_vacancies(records: Sequence[dict[str, Any]], encode_text: TextEncoder) -> VacancyArrays:
    n = len(records)
    remote = np.array([MODE_CODE[r["work_mode"]] == REMOTE for r in records], dtype=bool)
    own = np.array([mask_of(r["accommodations"], ACC_BIT) for r in records], dtype=np.int32)
    premises = np.array([mask_of(r.get("premises", []), ACC_BIT) for r in records], dtype=np.int32)
    offered = np.where(remote, own, own | premises).astype(np.int32)
    demands = np.array(
        [[r["demands"].get(d, 0) for d in DIMENSIONS] for r in records], dtype=np.int8
    ).reshape(n, N_DIM)
    skills = encode_skills([r["skills"] for r in records])
    return VacancyArrays(
        ids=np.array([r["id"] for r in records], dtype=object),
        employer_ids=np.array([r["employer_id"] for r in records], dtype=object),
        titles=np.array([r["title"] for r in records], dtype=object),
        employer_names=np.array([r["employer_name"] for r in records], dtype=object),
        demands=demands,
        bridge=bridges_for(offered).reshape(n, N_DIM),
        offered=offered,
        mode=np.array([MODE_CODE[r["work_mode"]] for r in records], dtype=np.int8),
        etype=np.array([ETYPE_CODE[r["employment_type"]] for r in records], dtype=np.int8),
        lat=np.array(
            [r["lat"] if r["lat"] is not None else np.nan for r in records], dtype=np.float64
        ),
        lon=np.array(
            [r["lon"] if r["lon"] is not None else np.nan for r in records], dtype=np.float64
        ),
        city=np.array([city_of(r["district_code"]) for r in records], dtype=np.int32),
        salary_min=np.array([r["salary_min"] for r in records], dtype=np.int32),
        salary_max=np.array([r["salary_max"] for r in records], dtype=np.int32),
        edu=np.array([EDU_LEVEL[r["education_min"]] for r in records], dtype=np.int8),
        open_=np.array([r["open"] for r in records], dtype=bool),
        closes=np.array([_ordinal(r["closes_on"]) for r in records], dtype=np.int32),
        targeted=np.array([r["targeted"] for r in records], dtype=bool),
        welfare=np.array([r["public_welfare"] for r in records], dtype=bool),
        groups=np.array(
            [mask_of(r["priority_groups"], GROUP_BIT) for r in records], dtype=np.int16
        ),
        restricted=np.array([r.get("restricted", False) for r in records], dtype=bool),
        kind=np.array([KIND_CODE[r["employer_kind"]] for r in records], dtype=np.int8),
        occupation=np.array(
            [occupation_segments(r["occupation_code"]) for r in records], dtype=np.int16
        ).reshape(n, 4),
        skills=skills,
        n_skills=np.asarray(skills.sum(axis=1)).ravel().astype(np.float32),
        text=encode_text([vacancy_text(r) for r in records]),
    )


def build_seekers(
    records: Sequence[dict[str, Any]],
    encode_text: TextEncoder,
    *,
    location_key: LocationKey | None = None,
) -> SeekerArrays:
    """``location_key`` (the index has it) fills the displaced coordinates partners'
    answers are computed from."""
    m = len(records)
    ids = np.array([r["id"] for r in records], dtype=object)
    lat = np.array(
        [r["lat"] if r["lat"] is not None else np.nan for r in records], dtype=np.float64
    )
    lon = np.array(
        [r["lon"] if r["lon"] is not None else np.nan for r in records], dtype=np.float64
    )
    if location_key is None:
        displaced = np.full(m, np.nan), np.full(m, np.nan)
    else:
        displaced = displaced_location(lat, lon, [str(i) for i in ids], location_key)
    occupations = np.full((m, MAX_OCCUPATION_PREFS, 4), -1, dtype=np.int16)
    for i, r in enumerate(records):
        for j, code in enumerate(r["occupations"][:MAX_OCCUPATION_PREFS]):
            occupations[i, j] = occupation_segments(code)
    skills = encode_skills([r["skills"] for r in records])
    return SeekerArrays(
        ids=ids,
        abilities=np.array(
            [[r["abilities"][d] for d in DIMENSIONS] for r in records], dtype=np.int8
        ).reshape(m, N_DIM),
        required=np.array([mask_of(r["required"], ACC_BIT) for r in records], dtype=np.int32),
        modes=np.array(
            [mask_of(r["work_modes"], {k: 1 << v for k, v in MODE_CODE.items()}) for r in records],
            dtype=np.int8,
        ),
        etypes=np.array(
            [
                mask_of(r["employment_types"], {k: 1 << v for k, v in ETYPE_CODE.items()})
                for r in records
            ],
            dtype=np.int8,
        ),
        max_km=np.array([r["max_commute_km"] for r in records], dtype=np.float64),
        min_salary=np.array([r["min_salary"] or 0 for r in records], dtype=np.int32),
        lat=lat,
        lon=lon,
        displaced_lat=displaced[0],
        displaced_lon=displaced[1],
        city=np.array([city_of(r["district_code"]) for r in records], dtype=np.int32),
        edu=np.array([EDU_LEVEL[r["education"]] for r in records], dtype=np.int8),
        groups=np.array([mask_of(r["groups"], GROUP_BIT) for r in records], dtype=np.int16),
        graduated=np.array([_ordinal(r["degree_graduation"]) for r in records], dtype=np.int32),
        seeking=np.array([r["seeking"] for r in records], dtype=bool),
        consented=np.array([r["consented"] for r in records], dtype=bool),
        shared=np.array([r["shared"] for r in records], dtype=bool),
        adult_from=np.array([_ordinal(r["adult_from"]) for r in records], dtype=np.int32),
        retire_on=np.array([_ordinal(r["retire_on"]) for r in records], dtype=np.int32),
        category=np.array([CATEGORY_CODE[r["category"]] for r in records], dtype=np.int8),
        grade=np.array([r["grade"] for r in records], dtype=np.int8),
        estimated=np.array(
            [sum(1 << DIMENSIONS.index(d) for d in r.get("estimated", [])) for r in records],
            dtype=np.int16,
        ),
        occupations=occupations,
        experience=np.array([r["experience_years"] or 0 for r in records], dtype=np.float32),
        skills=skills,
        n_skills=np.asarray(skills.sum(axis=1)).ravel().astype(np.float32),
        text=encode_text([seeker_text(r) for r in records]),
    )
