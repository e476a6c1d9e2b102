"""The placement-success scorer: a fitted text encoder and a calibrated linear model.

The model is ``StandardScaler`` + ``LogisticRegression`` over ``FEATURES`` (optionally
wrapped in a sigmoid calibration, itself affine in the logit), so a score is one
matrix-vector product and a logistic, and each score splits exactly into per-factor
contributions to the logit: ``logit(p) = intercept_term + contributions(X).sum(axis=1)``.

The artifact is two files in one directory: ``scorer.skops`` (the text encoder and the
model, in the skops format — never pickle) and ``scorer.json`` (version, SHA-256 of the
``.skops`` file, training parameters, feature names, the evaluation report, library
versions).  ``load_bundle`` verifies the checksum *before* it parses anything, loads with
an explicit list of trusted types and checks the feature names; any failure is a
``ScorerError`` with a one-line message, and the service does not start.
"""

from __future__ import annotations

import hashlib
import json
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any, Final

import numpy as np
import scipy.sparse as sp
import sklearn
import skops
import skops.io as sio
from scipy.special import expit
from sklearn.calibration import CalibratedClassifierCV
from sklearn.feature_extraction.text import HashingVectorizer, TfidfTransformer
from sklearn.pipeline import Pipeline

from service.matching.features import FACTOR_OF, FEATURES

ARTIFACTS_DIR: Final = Path(__file__).resolve().parent / "artifacts"
MODEL_FILE: Final = "scorer.skops"
META_FILE: Final = "scorer.json"
FORMAT: Final = 1
# Types skops does not trust by default that our artifact legitimately contains (the
# sigmoid calibration wrapper).  Anything else unknown is refused.
TRUSTED_TYPES: Final[tuple[str, ...]] = (
    "sklearn.calibration._CalibratedClassifier",
    "sklearn.calibration._SigmoidCalibration",
)
FACTORS: Final[tuple[str, ...]] = tuple(dict.fromkeys(FACTOR_OF[f] for f in FEATURES))
_FACTOR_MATRIX: Final = np.array(
    [[FACTOR_OF[f] == g for g in FACTORS] for f in FEATURES], dtype=np.float64
)


class ScorerError(RuntimeError):
    """The scorer artifact is missing, corrupt, unloadable or does not fit the code."""


def make_text_encoder() -> Pipeline:
    """Character n-grams (1-3, within words) hashed, then TF-IDF: Chinese needs no segmenter."""
    return Pipeline(
        [
            (
                "hash",
                HashingVectorizer(
                    analyzer="char_wb",
                    ngram_range=(1, 3),
                    n_features=2**18,
                    alternate_sign=False,
                    norm=None,
                ),
            ),
            ("tfidf", TfidfTransformer(sublinear_tf=True)),
        ]
    )


@dataclass(frozen=True)
class Linear:
    """The model folded into ``logit(p) = a · (coef · (x − mean) / scale + intercept) + b``."""

    mean: np.ndarray
    scale: np.ndarray
    coef: np.ndarray
    intercept: float
    a: float = 1.0
    b: float = 0.0

    @property
    def weights(self) -> np.ndarray:
        return self.a * self.coef / self.scale

    @property
    def offset(self) -> float:
        return float(
            self.a * (self.intercept - np.sum(self.coef * self.mean / self.scale)) + self.b
        )


def linear_parts(model: Any) -> Linear:
    a, b = 1.0, 0.0
    if isinstance(model, CalibratedClassifierCV):
        if len(model.calibrated_classifiers_) != 1:
            raise ScorerError("scorer model: expected one calibrated classifier")
        calibrated = model.calibrated_classifiers_[0]
        sigmoid = calibrated.calibrators[0]  # p = expit(-(a_ · f + b_))
        a, b = -float(sigmoid.a_), -float(sigmoid.b_)
        model = calibrated.estimator
        model = getattr(model, "estimator", model)  # unwrap FrozenEstimator
    if not isinstance(model, Pipeline) or len(model.steps) != 2:
        raise ScorerError("scorer model: expected StandardScaler + LogisticRegression")
    scaler, logistic = model.steps[0][1], model.steps[1][1]
    return Linear(
        mean=np.asarray(scaler.mean_, dtype=np.float64),
        scale=np.asarray(scaler.scale_, dtype=np.float64),
        coef=np.asarray(logistic.coef_[0], dtype=np.float64),
        intercept=float(logistic.intercept_[0]),
        a=a,
        b=b,
    )


@dataclass(frozen=True)
class ScorerBundle:
    version: str
    text_encoder: Pipeline
    model: Any  # Pipeline(StandardScaler, LogisticRegression), maybe sigmoid-calibrated
    feature_names: tuple[str, ...] = FEATURES
    params: dict[str, Any] = field(default_factory=dict)
    report: dict[str, Any] = field(default_factory=dict)
    factors: tuple[str, ...] = FACTORS

    def encode_text(self, texts: Sequence[str]) -> sp.csr_matrix:
        """L2-normalised float32 CSR rows (one per text); an empty list gives 0 rows."""
        n_features = self.text_encoder.steps[0][1].n_features
        if len(texts) == 0:
            return sp.csr_matrix((0, n_features), dtype=np.float32)
        return sp.csr_matrix(self.text_encoder.transform(list(texts)), dtype=np.float32)

    @cached_property
    def linear(self) -> Linear:
        return linear_parts(self.model)

    def predict(self, X: np.ndarray) -> np.ndarray:
        """Calibrated probabilities that the placement succeeds (float64).

        One matrix-vector product and a logistic over the folded model; equal to
        ``predict_reference`` (sklearn's ``predict_proba``) to rounding, about five times
        faster (``load_bundle`` checks the two agree).
        """
        lin = self.linear
        return np.asarray(
            expit(np.asarray(X, dtype=np.float64) @ lin.weights + lin.offset), dtype=np.float64
        )

    def predict_reference(self, X: np.ndarray) -> np.ndarray:
        """The same probabilities through the scikit-learn model (``predict_proba[:, 1]``)."""
        if len(X) == 0:
            return np.zeros(0, dtype=np.float64)
        return np.asarray(
            self.model.predict_proba(np.asarray(X, dtype=np.float64))[:, 1], dtype=np.float64
        )

    def check(self) -> None:
        """The folded form agrees with the scikit-learn model on a fixed probe."""
        lin = self.linear
        probe = lin.mean + lin.scale * np.random.default_rng(0).normal(0, 2, (64, len(lin.mean)))
        gap = float(np.max(np.abs(self.predict(probe) - self.predict_reference(probe))))
        if not gap <= 1e-9:
            raise ScorerError(
                f"scorer model check failed: folded and scikit-learn "
                f"probabilities differ by {gap:.3g}"
            )

    @property
    def intercept_term(self) -> float:
        """The logit of a pair whose features all sit at their training means."""
        return float(self.linear.a * self.linear.intercept + self.linear.b)

    def contributions(self, X: np.ndarray) -> np.ndarray:
        """(rows × factors): each factor's push on the logit, relative to the average pair.

        Positive raised the score, negative lowered it; ``intercept_term`` plus the row sum
        is the logit of ``predict``.
        """
        lin = self.linear
        per_feature = (np.asarray(X, dtype=np.float64) - lin.mean) * (lin.a * lin.coef / lin.scale)
        return np.asarray(per_feature @ _FACTOR_MATRIX)


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def save_bundle(bundle: ScorerBundle, directory: Path | str) -> Path:
    """Write ``scorer.skops`` and ``scorer.json``; return the directory."""
    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    model_path = out / MODEL_FILE
    # skops names entries by object ids, so the bytes (and the checksum) differ between
    # runs even for the same model; the version fingerprints the fitted weights instead.
    sio.dump(
        {"text_encoder": bundle.text_encoder, "model": bundle.model},
        model_path,
        compression=zipfile.ZIP_DEFLATED,
        compresslevel=9,
    )
    meta = {
        "format": FORMAT,
        "version": bundle.version,
        "sha256": sha256_of(model_path),
        "model_file": MODEL_FILE,
        "feature_names": list(bundle.feature_names),
        "factors": list(bundle.factors),
        "params": bundle.params,
        "report": bundle.report,
        "libraries": {
            "scikit-learn": sklearn.__version__,
            "skops": skops.__version__,
            "numpy": np.__version__,
        },
    }
    (out / META_FILE).write_text(
        json.dumps(meta, ensure_ascii=False, indent=2, sort_keys=True) + "\n", encoding="utf-8"
    )
    return out


def load_bundle(directory: Path | str | None = None) -> ScorerBundle:
    """Verify and load the scorer (default: the artifact shipped with the code)."""
    where = Path(directory) if directory is not None else ARTIFACTS_DIR
    meta_path, model_path = where / META_FILE, where / MODEL_FILE
    for path in (meta_path, model_path):
        if not path.is_file():
            raise ScorerError(f"scorer artifact missing: {path} (run `accessmatch train`)")
    try:
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
        expected, version = str(meta["sha256"]), str(meta["version"])
        names = tuple(meta["feature_names"])
    except (ValueError, KeyError, TypeError) as exc:
        raise ScorerError(f"scorer metadata unreadable: {meta_path}: {exc}") from exc
    actual = sha256_of(model_path)
    if actual != expected:
        raise ScorerError(
            f"scorer artifact corrupt or tampered: checksum mismatch for "
            f"{model_path} (sha256 {actual[:12]}…, expected {expected[:12]}…)"
        )
    if names != FEATURES:
        raise ScorerError(
            f"scorer feature mismatch: the artifact {version} was trained on "
            f"{len(names)} features that differ from the code's {len(FEATURES)}"
            " (retrain with `accessmatch train`)"
        )
    try:
        untrusted = sio.get_untrusted_types(file=model_path)
        refused = sorted(set(untrusted) - set(TRUSTED_TYPES))
        if refused:
            raise ScorerError(f"scorer artifact holds untrusted types: {', '.join(refused)}")
        loaded = sio.load(model_path, trusted=list(untrusted))
        text_encoder, model = loaded["text_encoder"], loaded["model"]
    except ScorerError:
        raise
    except Exception as exc:  # skops raises many kinds; each means "cannot use this file"
        raise ScorerError(
            f"scorer artifact unloadable: {model_path}: {type(exc).__name__}: {exc}"
        ) from exc
    bundle = ScorerBundle(
        version=version,
        text_encoder=text_encoder,
        model=model,
        feature_names=names,
        params=meta.get("params", {}),
        report=meta.get("report", {}),
    )
    n_in = getattr(model, "n_features_in_", None)
    if n_in != len(FEATURES) or not isinstance(text_encoder, Pipeline):
        raise ScorerError(
            f"scorer feature mismatch: the model takes {n_in} features, the "
            f"code computes {len(FEATURES)}"
        )
    bundle.check()  # the structure predict() and contributions() rely on
    return bundle
