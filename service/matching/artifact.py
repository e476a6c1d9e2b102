"""A scorer bundle as bytes, for the model registry in the database, and back.

The registry keeps exactly the two files of :func:`service.matching.scorer.save_bundle`:
the ``scorer.skops`` bytes and the ``scorer.json`` metadata (as a JSON object).  Loading
writes them to a private temporary directory and goes through
:func:`service.matching.scorer.load_bundle`, so a bundle from the database passes the
same checks as one from disk (checksum before parsing, trusted types only, the code's
feature names, the folded model agreeing with scikit-learn) and fails with the same
``ScorerError``.
"""

from __future__ import annotations

import hashlib
import json
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

from service.matching.scorer import META_FILE, MODEL_FILE, ScorerBundle, load_bundle, save_bundle


def bundle_to_bytes(bundle: ScorerBundle) -> tuple[bytes, dict[str, Any]]:
    """``(skops bytes, metadata)``: what ``save_bundle`` would write, in memory."""
    with tempfile.TemporaryDirectory(prefix="accessmatch-bundle-") as where:
        save_bundle(bundle, where)
        model = (Path(where) / MODEL_FILE).read_bytes()
        meta = json.loads((Path(where) / META_FILE).read_text(encoding="utf-8"))
    return model, meta


def bundle_from_bytes(model: bytes, meta: dict[str, Any]) -> ScorerBundle:
    """The bundle the two parts hold, verified like a bundle on disk (``ScorerError``)."""
    with tempfile.TemporaryDirectory(prefix="accessmatch-bundle-") as where:
        (Path(where) / MODEL_FILE).write_bytes(model)
        (Path(where) / META_FILE).write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")
        return load_bundle(where)


def encoder_fingerprint(bundle: ScorerBundle) -> str:
    """A digest of the text encoder (each step's class, parameters and fitted arrays): two
    bundles with the same fingerprint encode every text identically, so a match index
    built with one serves the other."""
    digest = hashlib.sha256()
    for name, step in bundle.text_encoder.steps:
        params = sorted((k, repr(v)) for k, v in step.get_params(deep=False).items())
        digest.update(f"{name}:{type(step).__qualname__}:{params!r}".encode())
        for attr in sorted(vars(step)):
            value = getattr(step, attr)
            if attr.endswith("_") and isinstance(value, np.ndarray):
                digest.update(attr.encode() + np.ascontiguousarray(value).tobytes())
    return digest.hexdigest()
