"""The single feature table (service/matching/features.py): the lists derived from it are
the ones the shipped scorer was trained on, and ``pair_features`` computes exactly what it
computed before the table existed.

``tests/data/pair_features_before.npz`` holds a fixed random sample (the columns the
features read, on both sides, for aligned pairs, one seeker × many vacancies and many
seekers × one vacancy) and the matrix the code before the table computed from it.
"""

from __future__ import annotations

from dataclasses import fields
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from service.matching.arrays import SeekerArrays, VacancyArrays
from service.matching.features import (
    FACTOR_OF,
    FACTORS,
    FEATURE_INDEX,
    FEATURES,
    PAIR_INPUTS,
    SEEKER_COLUMNS,
    TABLE,
    VACANCY_COLUMNS,
    Pair,
    pair_features,
)
from service.matching.scorer import load_bundle

DATA = np.load(Path(__file__).parent / "data" / "pair_features_before.npz")
CASES = ("pairs", "one_seeker", "one_vacancy")
ROOT = Path(__file__).resolve().parents[1]


def _side(kind: type, case: str, side: str, keep: frozenset[str] | None = None) -> Any:
    """The sample's arrays of one side; columns outside ``keep`` left empty."""
    prefix = f"{case}/{side}/"
    columns = {k[len(prefix) :]: DATA[k] for k in DATA.files if k.startswith(prefix)}
    n = len(next(iter(columns.values())))
    values: dict[str, Any] = {f.name: np.zeros(0) for f in fields(kind)}
    values["ids"] = np.array([f"r{i}" for i in range(n)], dtype=object)
    values.update({k: v for k, v in columns.items() if keep is None or k in keep})
    return kind(**values)


def _inputs(
    case: str,
    keep_s: frozenset[str] | None = None,
    keep_v: frozenset[str] | None = None,
    keep_pair: frozenset[str] = PAIR_INPUTS,
) -> tuple[Any, ...]:
    empty = np.zeros(0, dtype=np.float32)
    return (
        _side(SeekerArrays, case, "s", keep_s),
        _side(VacancyArrays, case, "v", keep_v),
        DATA[f"{case}/text_sim"] if "text_sim" in keep_pair else empty,
        DATA[f"{case}/overlap"] if "skill_overlap" in keep_pair else empty,
        DATA[f"{case}/s/groups"] if "groups" in keep_pair else empty.astype(np.int16),
    )


# numpy's float32 ``log1p`` (the experience feature) is vectorised per CPU: on another
# machine than the one that wrote the sample it may differ in the last place.  The sample
# pins what each feature means; the last place is the machine's, so up to 2 units in the
# last place are allowed (a changed feature differs by far more).
MAX_ULP = 2


@pytest.mark.parametrize("case", CASES)
def test_pair_features_are_those_computed_before_the_table(case: str) -> None:
    expected = DATA[f"{case}/expected"]
    got = pair_features(*_inputs(case))
    assert got.dtype == np.float32 and got.shape == expected.shape
    np.testing.assert_array_max_ulp(got, expected, maxulp=MAX_ULP)
    exact = [j for j, f in enumerate(TABLE) if "s.experience" not in f.reads]
    assert np.array_equal(got[:, exact], expected[:, exact])  # no transcendental: exact


def test_the_derived_lists_are_the_ones_the_scorer_was_trained_on() -> None:
    assert tuple(str(n) for n in DATA["features"]) == FEATURES
    assert len(FEATURES) == len(TABLE) == len(set(FEATURES)) == 37
    assert {f.name: j for j, f in enumerate(TABLE)} == FEATURE_INDEX
    assert {f.name: f.factor for f in TABLE} == FACTOR_OF
    assert tuple(dict.fromkeys(FACTOR_OF[f] for f in FEATURES)) == FACTORS
    shipped = load_bundle(None)
    assert shipped.feature_names == FEATURES
    assert shipped.factors == FACTORS
    # The hot path gathers the same columns as before the table.
    before_s = {
        "abilities",
        "edu",
        "experience",
        "grade",
        "lat",
        "lon",
        "min_salary",
        "occupations",
        "groups",
        "graduated",
    }
    before_v = {
        "bridge",
        "demands",
        "edu",
        "etype",
        "kind",
        "lat",
        "lon",
        "mode",
        "n_skills",
        "occupation",
        "offered",
        "salary_max",
        "targeted",
        "welfare",
        "groups",
    }
    assert (before_s, before_v) == (SEEKER_COLUMNS, VACANCY_COLUMNS)


@pytest.mark.parametrize("case", CASES)
def test_each_feature_reads_only_what_it_declares(case: str) -> None:
    """Computed with every other column (and pair input) left empty, each feature still
    gives its column of the sample: ``reads`` is complete, so the columns derived from it
    are all the hot path needs."""
    expected = pair_features(*_inputs(case))  # every column, on this machine
    k = len(expected)
    for j, feature in enumerate(TABLE):
        keep_s = frozenset(r[2:] for r in feature.reads if r.startswith("s."))
        keep_v = frozenset(r[2:] for r in feature.reads if r.startswith("v."))
        pair = Pair(*_inputs(case, keep_s, keep_v, PAIR_INPUTS & set(feature.reads)))
        column = np.broadcast_to(np.asarray(feature.compute(pair), dtype=np.float32), (k,))
        assert np.array_equal(column, expected[:, j]), feature.name


def test_docs_name_every_feature_and_factor() -> None:
    text = (ROOT / "docs" / "matching.md").read_text(encoding="utf-8")
    for name in FEATURES:
        documented = f"`{name}`" in text or (name.startswith("kind_") and "`kind_" in text)
        assert documented, name
    for factor in FACTORS:
        assert f"| {factor} |" in text, factor
