"""The scorer: simulator reproducibility, training, the shipped artifact and its safety.

No database: everything here runs on simulated records, with small worlds, except one
test that retrains the shipped artifact at full size (about 100 s on two cores) and
compares it byte for byte: the shipped model is what its command makes.
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
from sklearn.calibration import CalibratedClassifierCV
from sklearn.frozen import FrozenEstimator
from sklearn.preprocessing import FunctionTransformer

from service.cli import main as cli
from service.matching.constraints import verdict
from service.matching.features import FEATURES
from service.matching.offline.report import render_markdown
from service.matching.offline.robust import SIGNS, Scaling, to_pipeline
from service.matching.offline.simulator import SIM_DAY, simulate
from service.matching.offline.training import TrainParams, train
from service.matching.offline.worlds import BY_NAME
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

REPO = Path(__file__).resolve().parent.parent
SMALL: dict[str, Any] = {
    "n_seekers": 300,
    "n_vacancies": 250,
    "held_out_seekers": 200,
    "held_out_vacancies": 200,
    "pairs_per_seeker": 25,
    "training_worlds": ("baseline", "kind_reversed", "reworded"),
    "held_out_worlds": ("baseline_new_seed", "far_family_reworded"),
}


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
    assert np.allclose(
        logit(small.predict(near)), small.intercept_term + parts.sum(axis=1), atol=1e-4
    )
    assert small.predict(np.empty((0, len(FEATURES)))).shape == (0,)


def test_the_small_model_keeps_the_known_signs(small: ScorerBundle) -> None:
    coef = dict(zip(FEATURES, small.linear.coef, strict=True))
    for name, sign in SIGNS.items():
        assert coef[name] * sign >= -1e-12, name
    for name in small.report["method"]["dropped"]:
        assert coef[name] == 0.0, name
    assert set(small.report["held_out"]) == set(SMALL["held_out_worlds"])
    assert set(small.report["training"]) == set(SMALL["training_worlds"])


def test_sigmoid_calibrated_model_round_trips(tmp_path: Path, small: ScorerBundle) -> None:
    """The service still loads a sigmoid-wrapped model (what outcome training may write)."""
    rng = np.random.default_rng(4)
    X = rng.normal(size=(400, len(FEATURES)))
    y = (rng.random(400) < 0.3).astype(int)
    base = to_pipeline(Scaling.of(X), rng.normal(0, 0.3, len(FEATURES)), -0.8, len(X))
    wrapped = CalibratedClassifierCV(FrozenEstimator(base), method="sigmoid").fit(X, y)
    forced = ScorerBundle("1.1+test", small.text_encoder, wrapped, params=small.params)
    save_bundle(forced, tmp_path)
    loaded = load_bundle(tmp_path)
    X = np.random.default_rng(2).normal(size=(50, len(FEATURES)))
    p = loaded.predict(X)
    assert np.allclose(p, forced.predict_reference(X), rtol=0, atol=1e-9)
    assert np.allclose(
        logit(p), loaded.intercept_term + loaded.contributions(X).sum(axis=1), atol=1e-4
    )


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


def test_shipped_report_meets_the_targets(shipped: ScorerBundle) -> None:
    r = shipped.report
    held, training = r["held_out"], r["training"]
    assert set(held).isdisjoint(training)
    assert all(BY_NAME[w].role == "held_out" for w in held)
    assert all(BY_NAME[w].role == "training" for w in training)
    for name, m in held.items():  # never below the hand rules, in any held-out world
        assert m["learned"]["ndcg_at_10"] >= m["rules"]["ndcg_at_10"], name
    gain = np.mean(
        [m["learned"]["ndcg_at_10"] / m["tfidf_skills"]["ndcg_at_10"] - 1 for m in held.values()]
    )
    assert gain >= 0.10
    assert r["pooled_training_hold_out"]["ece_10_bins"] <= 0.03
    assert all(t["met"] for t in r["targets"].values())


def test_shipped_model_uses_only_what_the_worlds_establish(shipped: ScorerBundle) -> None:
    coef = dict(zip(FEATURES, shipped.linear.coef, strict=True))
    for name, sign in SIGNS.items():
        assert coef[name] * sign >= 0, name
    dropped = shipped.report["method"]["dropped"]
    assert {f for f in FEATURES if f.startswith("kind_")} <= set(dropped)
    assert all(coef[f] == 0.0 for f in dropped)


def test_shipped_report_is_the_rendered_artifact_report(shipped: ScorerBundle) -> None:
    shipped_md = (REPO / "docs" / "scorer-report.md").read_text(encoding="utf-8")
    assert shipped_md == render_markdown(shipped.report)
    assert shipped.version in shipped_md and shipped.report["version"] == shipped.version
    assert TrainParams(**shipped.params).seed == shipped.report["seed"]


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
    sio.dump(
        {"text_encoder": evil, "model": shipped.model},
        copy / MODEL_FILE,
        compression=zipfile.ZIP_DEFLATED,
    )
    _rewrite_meta(copy, sha256=sha256_of(copy / MODEL_FILE))
    with pytest.raises(ScorerError, match="untrusted"):
        load_bundle(copy)


def test_default_location_ignores_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, shipped: ScorerBundle
) -> None:
    monkeypatch.chdir(tmp_path)
    assert load_bundle().version == shipped.version
