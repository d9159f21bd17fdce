"""Save and load models: an artifact plus a manifest.

A model directory holds:

- ``model.joblib`` — the fitted scikit-learn vectoriser, category classifier, clue scorer and
  evidence extractor (for retraining, evaluation and inspection: ``load_model(path, full=True)``);
- ``serving.pkl`` — the same model compiled to plain arrays (:mod:`textmine.fastpath`), what
  ``load_model`` serves from: it loads without importing scikit-learn and predicts without its
  per-call overhead, with scores proven equal by ``tests/test_fastpath.py``;
- ``manifest.json`` — label order, per-label thresholds, clue threshold, cross-validated metrics,
  SHA-256 of the artifact, of the training data and of the dictionary, library versions and
  creation time.

Loading checks the artifact's SHA-256 against the manifest and the library versions against
the running ones, and refuses an altered or incompatible artifact with a message saying what to
do, instead of unpickling it blindly.
"""

from __future__ import annotations

import hashlib
import json
import pickle
import platform
from datetime import datetime, timezone
from pathlib import Path

from .errors import ModelError, ModelIntegrityError, ModelNotFoundError
from .model import Model

__all__ = ["save_model", "load_model", "library_versions", "sha256_file", "ARTIFACT", "MANIFEST"]

ARTIFACT = "model.joblib"
SERVING = "serving.pkl"
MANIFEST = "manifest.json"
FORMAT = 1
# Libraries whose pickles must match (major.minor) for the artifact to load safely.
_CHECKED = ("scikit-learn", "numpy", "scipy", "jieba", "rjieba")


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def library_versions() -> dict[str, str]:
    from importlib.metadata import version

    out = {"python": platform.python_version()}
    for name in (*_CHECKED, "joblib", "textmine"):
        try:
            out[name] = version(name)
        except Exception:  # noqa: BLE001 — a missing distribution just is not recorded
            out[name] = "unknown"
    return out


def save_model(model: Model, out_dir: Path | str, extra: dict | None = None) -> Path:
    """Write ``model`` to ``out_dir`` (created if needed); returns the manifest path."""
    import joblib

    if model.estimators is None:
        raise ModelError("this model has no fitted estimators to save; load it with load_model(path, full=True)")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    artifact = out / ARTIFACT
    joblib.dump(model.estimators, artifact, compress=3)
    with open(out / SERVING, "wb") as fh:
        pickle.dump({"vectorizer": model.vectorizer, "categories": model.categories, "clue": model.clue,
                     "evidence": model.evidence}, fh, protocol=pickle.HIGHEST_PROTOCOL)
    manifest = dict(model.manifest)
    manifest.update(extra or {})
    manifest.update({
        "format": FORMAT,
        "labels": model.labels,
        "mode": model.categories.mode_,
        "n_features": model.vectorizer.n_features,
        "thresholds": model.thresholds,
        "clue_threshold": model.clue_threshold,
        "artifact": ARTIFACT,
        "artifact_sha256": sha256_file(artifact),
        "serving_artifact": SERVING,
        "serving_sha256": sha256_file(out / SERVING),
        "libraries": library_versions(),
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
    })
    manifest.setdefault("name", out.name)
    manifest.setdefault("version", manifest["created"][:10].replace("-", "") + "-" + manifest["artifact_sha256"][:8])
    path = out / MANIFEST
    path.write_text(json.dumps(manifest, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    model.manifest = manifest
    return path


def _minor(v: str) -> str:
    return ".".join(v.split(".")[:2])


def load_model(path: Path | str | None = None, full: bool = False) -> Model:
    """Load a model directory (the bundled default when ``path`` is None), checking its integrity.

    ``full=False`` (the default) loads the serving artifact; ``full=True`` the scikit-learn
    objects, needed only to inspect or extend the fitted estimators.
    """
    from .settings import DEFAULT_MODEL_DIR, get_settings

    d = Path(path) if path is not None else (get_settings().model_dir or DEFAULT_MODEL_DIR)
    manifest = read_manifest(d)
    name, key = (manifest.get("artifact", ARTIFACT), "artifact_sha256") if full else \
        (manifest.get("serving_artifact", SERVING), "serving_sha256")
    artifact = d / name
    if not artifact.exists():
        raise ModelIntegrityError(f"{artifact} is missing; copy the whole model folder again or retrain")
    actual = sha256_file(artifact)
    if actual != manifest.get(key):
        raise ModelIntegrityError(
            f"{artifact} does not match its manifest (SHA-256 {actual[:12]}… instead of "
            f"{str(manifest.get(key))[:12]}…): the file was altered or damaged. "
            "Copy the model folder again from a trusted source, or retrain with 'textmine train'.")
    _check_versions(manifest)
    try:
        if full:
            import joblib

            parts = joblib.load(artifact)
        else:
            with open(artifact, "rb") as fh:
                parts = pickle.load(fh)
    except Exception as exc:  # noqa: BLE001 — any unpickling failure means an unusable artifact
        raise ModelIntegrityError(f"{artifact} could not be read ({type(exc).__name__}: {exc}); retrain the model") from exc
    if full:
        return Model.from_estimators(parts["vectorizer"], parts["categories"], parts["clue"], parts["evidence"],
                                     manifest)
    return Model(parts["vectorizer"], parts["categories"], parts["clue"], parts["evidence"], manifest)


def read_manifest(d: Path) -> dict:
    """The manifest of model folder ``d``; plain-language errors when there is none or it is damaged."""
    manifest_path = d / MANIFEST
    if not d.exists():
        raise ModelNotFoundError(f"no model at '{d}': the folder does not exist; pass the folder written by "
                                 "'textmine train --out DIR', or leave --model out to use the bundled model")
    if not manifest_path.exists():
        raise ModelNotFoundError(f"'{d}' is not a textmine model: it has no {MANIFEST}; pass the folder written by "
                                 "'textmine train --out DIR'")
    try:
        return json.loads(manifest_path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ModelIntegrityError(f"{manifest_path} is damaged ({exc}); copy the model folder again or retrain") from exc


def _check_versions(manifest: dict) -> None:
    running = library_versions()
    saved = manifest.get("libraries", {})
    mismatched = [f"{lib} {saved.get(lib)} (model) vs {running[lib]} (installed)" for lib in _CHECKED
                  if lib in saved and _minor(saved[lib]) != _minor(running[lib])]
    if mismatched:
        raise ModelIntegrityError(
            "the model was made with other library versions: " + "; ".join(mismatched) +
            ". Install the versions in pyproject.toml (pip install -e .) or retrain with 'textmine train'.")
