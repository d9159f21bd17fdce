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


@pytest.mark.parametrize("artifact, full", [("serving.pkl", False), ("model.joblib", True)])
def test_altered_artifact_is_refused(small_model, tmp_path, artifact, full):
    save_model(small_model, tmp_path)
    with open(tmp_path / artifact, "ab") as fh:
        fh.write(b"tampered")
    with pytest.raises(ModelIntegrityError, match=f"{artifact} does not match its manifest"):
        load_model(tmp_path, full=full)


def test_full_load_gives_the_same_results_and_can_be_saved_again(small_model, tmp_path):
    save_model(small_model, tmp_path / "a")
    full = load_model(tmp_path / "a", full=True)
    assert full.estimators is not None
    note = "村会计王某2022年把修路款三万元借给亲戚"
    first, again = small_model.classify(note), full.classify(note)
    first.pop("model"), again.pop("model")
    assert first == again
    save_model(full, tmp_path / "b")
    assert load_model(tmp_path / "b").labels == small_model.labels


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
