import json

import pytest

from textmine.errors import ModelIntegrityError, ModelNotFoundError
from textmine.persist import load_model, save_model


def test_missing_folder_is_a_clear_error(tmp_path):
    with pytest.raises(ModelNotFoundError, match="does not exist"):
        load_model(tmp_path / "nope")


def test_folder_without_manifest_is_not_a_model(tmp_path):
    with pytest.raises(ModelNotFoundError, match="has no manifest.json"):
        load_model(tmp_path)


def test_altered_artifact_is_refused(small_model, tmp_path):
    save_model(small_model, tmp_path)
    with open(tmp_path / "model.joblib", "ab") as fh:
        fh.write(b"tampered")
    with pytest.raises(ModelIntegrityError, match="does not match its manifest"):
        load_model(tmp_path)


def test_incompatible_library_versions_are_refused(small_model, tmp_path):
    save_model(small_model, tmp_path)
    manifest = json.loads((tmp_path / "manifest.json").read_text(encoding="utf-8"))
    manifest["libraries"]["scikit-learn"] = "0.24.2"
    (tmp_path / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    with pytest.raises(ModelIntegrityError, match="scikit-learn 0.24.2 \\(model\\)"):
        load_model(tmp_path)


def test_damaged_manifest_is_refused(tmp_path):
    (tmp_path / "manifest.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(ModelIntegrityError, match="damaged"):
        load_model(tmp_path)


def test_bundled_model_manifest_records_provenance(model):
    m = model.manifest
    for key in ("labels", "thresholds", "metrics", "corpus_sha256", "dictionary_sha256", "libraries", "created",
                "artifact_sha256"):
        assert key in m
    assert m["labels"] == ["party_building", "finance", "three_assets", "livelihood"]
