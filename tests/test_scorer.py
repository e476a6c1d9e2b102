"""The scorer: simulator reproducibility, training, the shipped artifact and its safety.

No database: everything here runs on simulated records.  The shipped-artifact test
retrains at full size (about 10 s on two cores).
"""

from __future__ import annotations

import json
import os
import shutil
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import skops.io as sio
from scipy.special import logit
from sklearn.preprocessing import FunctionTransformer

from service.cli import main as cli
from service.matching.constraints import verdict
from service.matching.features import FEATURES
from service.matching.report import render_markdown
from service.matching.scorer import (
    ARTIFACTS_DIR,
    META_FILE,
    MODEL_FILE,
    ScorerBundle,
    ScorerError,
    load_bundle,
    save_bundle,
    sha256_of,
)
from service.matching.simulator import SIM_DAY, simulate
from service.matching.training import TrainParams, train

REPO = Path(__file__).resolve().parent.parent
SMALL = {"n_seekers": 500, "n_vacancies": 400, "pairs_per_seeker": 30}


def _stable(report: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in report.items() if k != "timings_seconds"}


@pytest.fixture(scope="module")
def shipped() -> ScorerBundle:
    return load_bundle()


@pytest.fixture(scope="module")
def small() -> ScorerBundle:
    return train(TrainParams(**SMALL))


@pytest.fixture(scope="module")
def retrained(tmp_path_factory: pytest.TempPathFactory, shipped: ScorerBundle) -> Path:
    """``accessmatch train`` with the shipped parameters, into a scratch directory."""
    out = tmp_path_factory.mktemp("retrained")
    assert cli(["train", "--seed", str(shipped.params["seed"]), "--output", str(out)]) == 0
    return out


# --- the simulator ------------------------------------------------------------------

def test_simulator_same_seed_same_records() -> None:
    a, b = simulate(7, 150, 120, 20), simulate(7, 150, 120, 20)
    assert a.seekers == b.seekers and a.vacancies == b.vacancies
    assert np.array_equal(a.seeker_idx, b.seeker_idx)
    assert np.array_equal(a.vacancy_idx, b.vacancy_idx)
    assert np.array_equal(a.p, b.p) and np.array_equal(a.y, b.y)
    c = simulate(8, 150, 120, 20)
    assert c.seekers != a.seekers


def test_simulated_pairs_are_eligible() -> None:
    sim = simulate(11, 200, 200, 25)
    assert len(sim.p) > 1000
    assert ((sim.p > 0) & (sim.p < 1)).all()
    picks = np.random.default_rng(0).choice(len(sim.p), size=300, replace=False)
    for k in picks:
        seeker, vacancy = sim.seekers[sim.seeker_idx[k]], sim.vacancies[sim.vacancy_idx[k]]
        assert verdict(seeker, vacancy, SIM_DAY) == []


def test_simulated_districts_are_real() -> None:
    from service.models.identifiers import district_name

    sim = simulate(3, 100, 100, 5)
    codes = {r["district_code"] for r in sim.seekers + sim.vacancies}
    assert all(district_name(c) for c in codes)


# --- training -----------------------------------------------------------------------

def test_training_is_reproducible(small: ScorerBundle) -> None:
    again = train(TrainParams(**SMALL))
    assert _stable(again.report) == _stable(small.report)
    assert again.version == small.version
    assert np.array_equal(again.linear.coef, small.linear.coef)
    assert again.linear.intercept == small.linear.intercept
    assert render_markdown(again.report) == render_markdown(small.report)


def test_predictions_and_contributions(small: ScorerBundle) -> None:
    rng = np.random.default_rng(1)
    X = rng.normal(size=(200, len(FEATURES))).astype(np.float32) * 2
    p = small.predict(X)
    assert p.dtype == np.float64 and ((p >= 0) & (p <= 1)).all()
    assert np.allclose(small.predict_reference(X), p, rtol=0, atol=1e-9)
    # Plausible pairs (extreme ones saturate p at 0 or 1, where the logit is lost).
    lin = small.linear
    near = lin.mean + lin.scale * rng.normal(size=(200, len(FEATURES)))
    parts = small.contributions(near)
    assert parts.shape == (200, len(small.factors))
    assert np.allclose(logit(small.predict(near)), small.intercept_term + parts.sum(axis=1),
                       atol=1e-4)
    assert small.predict(np.empty((0, len(FEATURES)))).shape == (0,)


def test_sigmoid_calibrated_model_round_trips(tmp_path: Path) -> None:
    forced = train(TrainParams(**SMALL, max_ece=0.0))  # any ECE > 0 triggers calibration
    assert forced.report["calibration"]["method"] == "sigmoid"
    save_bundle(forced, tmp_path)
    loaded = load_bundle(tmp_path)
    X = np.random.default_rng(2).normal(size=(50, len(FEATURES)))
    p = loaded.predict(X)
    assert np.allclose(p, forced.predict_reference(X), rtol=0, atol=1e-9)
    assert np.allclose(logit(p), loaded.intercept_term + loaded.contributions(X).sum(axis=1),
                       atol=1e-4)


def test_text_encoder(small: ScorerBundle) -> None:
    empty = small.encode_text([])
    assert empty.shape[0] == 0
    rows = small.encode_text(["在线客服专员 客服 电脑打字", "按摩 推拿", ""])
    assert rows.format == "csr" and rows.dtype == np.float32
    norms = np.sqrt(np.asarray(rows.multiply(rows).sum(axis=1)).ravel())
    assert np.allclose(norms[:2], 1.0, atol=1e-5) and norms[2] == 0


# --- the shipped artifact -----------------------------------------------------------

def test_shipped_artifact_loads(shipped: ScorerBundle) -> None:
    assert shipped.feature_names == FEATURES
    meta = json.loads((ARTIFACTS_DIR / META_FILE).read_text(encoding="utf-8"))
    assert meta["sha256"] == sha256_of(ARTIFACTS_DIR / MODEL_FILE)
    X = np.zeros((3, len(FEATURES)))
    assert ((shipped.predict(X) > 0) & (shipped.predict(X) < 1)).all()


def test_shipped_report_beats_both_baselines(shipped: ScorerBundle) -> None:
    m = shipped.report["metrics"]
    assert m["learned"]["ndcg_at_10"] > m["tfidf_skills"]["ndcg_at_10"]
    assert m["learned"]["ndcg_at_10"] > m["rules"]["ndcg_at_10"]
    assert shipped.report["margins"]["ndcg_at_10_over_rules"]["absolute"] > 0
    assert shipped.report["calibration"]["ece_test"] <= 0.02


def test_train_reproduces_the_shipped_artifact(shipped: ScorerBundle, retrained: Path) -> None:
    fresh = load_bundle(retrained)
    assert _stable(fresh.report) == _stable(shipped.report)
    assert fresh.version == shipped.version
    assert np.allclose(fresh.linear.coef, shipped.linear.coef, rtol=0, atol=1e-8)
    assert TrainParams(**fresh.params) == TrainParams(**shipped.params)
    shipped_md = (REPO / "docs" / "scorer-report.md").read_bytes()
    assert (retrained / "scorer-report.md").read_bytes() == shipped_md


# --- refusing bad artifacts ---------------------------------------------------------

@pytest.fixture
def copy(tmp_path: Path) -> Path:
    for name in (MODEL_FILE, META_FILE):
        shutil.copy(ARTIFACTS_DIR / name, tmp_path / name)
    return tmp_path


def _rewrite_meta(directory: Path, **changes: Any) -> None:
    path = directory / META_FILE
    meta = json.loads(path.read_text(encoding="utf-8"))
    path.write_text(json.dumps({**meta, **changes}), encoding="utf-8")


def test_corrupt_artifact_is_refused(copy: Path) -> None:
    path = copy / MODEL_FILE
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(ScorerError, match="checksum"):
        load_bundle(copy)


@pytest.mark.parametrize("name", [MODEL_FILE, META_FILE])
def test_missing_file_is_refused(copy: Path, name: str) -> None:
    (copy / name).unlink()
    with pytest.raises(ScorerError, match="missing"):
        load_bundle(copy)


def test_feature_mismatch_is_refused(copy: Path) -> None:
    _rewrite_meta(copy, feature_names=[*FEATURES[:-1], "something_else"])
    with pytest.raises(ScorerError, match="feature mismatch"):
        load_bundle(copy)


def test_unloadable_artifact_is_refused(copy: Path) -> None:
    (copy / MODEL_FILE).write_bytes(b"not a zip file")
    _rewrite_meta(copy, sha256=sha256_of(copy / MODEL_FILE))
    with pytest.raises(ScorerError, match="unloadable"):
        load_bundle(copy)


def test_untrusted_types_are_refused(copy: Path, shipped: ScorerBundle) -> None:
    evil = FunctionTransformer(func=os.system)
    sio.dump({"text_encoder": evil, "model": shipped.model}, copy / MODEL_FILE,
             compression=zipfile.ZIP_DEFLATED)
    _rewrite_meta(copy, sha256=sha256_of(copy / MODEL_FILE))
    with pytest.raises(ScorerError, match="untrusted"):
        load_bundle(copy)


def test_default_location_ignores_the_working_directory(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, shipped: ScorerBundle) -> None:
    monkeypatch.chdir(tmp_path)
    assert load_bundle().version == shipped.version
