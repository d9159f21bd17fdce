"""Retrain: corpus + confirmed reviews → a new version, compared on the same folds; promote and roll back."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from textmine.cli import main
from textmine.corpus import Corpus, Note
from textmine.errors import InputError, ModelNotFoundError
from textmine.retrain import (build_training_set, format_comparison, promote, read_pointer, retrain, rollback,
                              served_model_dir)
from textmine.review import ReviewStore
from textmine.settings import DEFAULT_MODEL_DIR, Settings

LABELS = ["party_building", "finance", "three_assets", "livelihood"]
NEW_NOTE = "村会计李某2023年把村集体鱼塘租金4万元存进自己账户，账上一直没有"


def settings_in(tmp_path, **kw):
    return Settings(**{"model_dir": None, "review_db": tmp_path / "reviews.sqlite3",
                       "models_root": tmp_path / "models", **kw})


def fake_model_dir(path: Path, version: str) -> Path:
    path.mkdir(parents=True)
    (path / "manifest.json").write_text(json.dumps({"version": version}), encoding="utf-8")
    return path


# --------------------------------------------------------------------------------------------- pointer
def test_bundled_model_is_served_until_something_is_promoted(tmp_path):
    s = settings_in(tmp_path)
    assert served_model_dir(s) == DEFAULT_MODEL_DIR
    assert served_model_dir(s.model_copy(update={"model_dir": tmp_path / "x"})) == tmp_path / "x"


def test_promote_and_rollback_keep_the_previous_versions(tmp_path):
    s = settings_in(tmp_path)
    v1 = fake_model_dir(tmp_path / "models" / "versions" / "v1", "v1")
    v2 = fake_model_dir(tmp_path / "models" / "versions" / "v2", "v2")
    promote(s, v1)
    assert served_model_dir(s) == v1
    assert read_pointer(s.models_root)["current"] == "versions/v1"
    promote(s, v2)
    assert served_model_dir(s) == v2
    assert read_pointer(s.models_root)["history"] == [str(DEFAULT_MODEL_DIR.resolve()), "versions/v1"]
    rollback(s)
    assert served_model_dir(s) == v1 and v2.exists()
    rollback(s)
    assert served_model_dir(s) == DEFAULT_MODEL_DIR
    with pytest.raises(InputError, match="nothing to roll back to"):
        rollback(s)


def test_promote_refuses_a_folder_that_is_not_a_model(tmp_path):
    with pytest.raises(ModelNotFoundError, match="is not a model folder"):
        promote(settings_in(tmp_path), tmp_path / "nothing")
    assert read_pointer(tmp_path / "models") is None


# --------------------------------------------------------------------------------------------- data
def test_training_set_lets_reviews_override_and_extend_the_corpus():
    a = Note("c1", "村支书赌博", ["party_building"], False)
    b = Note("c2", "低保优亲厚友", ["livelihood"], True)
    corpus = Corpus([a, b], LABELS, "sha", [])
    fix = Note("review-1", "低保优亲厚友", ["livelihood", "party_building"], True)
    new = Note("review-2", NEW_NOTE, ["finance", "three_assets"], True)
    combined, current, ids = build_training_set(corpus, [fix, new])
    assert [n.id for n in combined.notes] == ["c1", "review-1", "review-2"]
    assert current == [a, b, None]  # the current model learnt the corpus labels and never saw the new note
    assert ids == ["review-1", "review-2"]
    # Reviews already in the current model count as its training data.
    _, current, _ = build_training_set(corpus, [fix, new], current_review_ids={"review-2"})
    assert current == [a, b, new]


# --------------------------------------------------------------------------------------------- end to end
@pytest.fixture(scope="module")
def small_corpus_file(corpus, tmp_path_factory):
    """About 60 notes of the real corpus: enough for 2 folds, quick to fit."""
    step = max(1, len(corpus.notes) // 60)
    path = tmp_path_factory.mktemp("corpus") / "small.jsonl"
    with open(path, "w", encoding="utf-8") as fh:
        for n in corpus.notes[::step]:
            fh.write(json.dumps({"id": n.id, "kind": n.kind, "text": n.text, "labels": n.labels, "clue": n.clue,
                                 "evidence": {}}, ensure_ascii=False) + "\n")
    return path


def test_retrain_builds_compares_and_promotes_only_when_told(tmp_path, small_corpus_file, model, capsys, monkeypatch):
    from textmine.settings import get_settings

    monkeypatch.delenv("TEXTMINE_MODEL_DIR", raising=False)  # the CLI reads the environment
    get_settings.cache_clear()
    s = settings_in(tmp_path)
    store = ReviewStore(s.review_db)
    corrected_text = json.loads(small_corpus_file.read_text(encoding="utf-8").splitlines()[0])["text"]
    for text, labels, clue in ((corrected_text, ["finance"], True), (NEW_NOTE, ["finance", "three_assets"], True)):
        store.record(text, model.classify(text), labels, clue, "张审", allowed_labels=model.labels)

    result = retrain(s, small_corpus_file, folds=2)

    new_dir = Path(result["path"])
    manifest = json.loads((new_dir / "manifest.json").read_text(encoding="utf-8"))
    assert new_dir.parent == tmp_path / "models" / "versions" and new_dir.name == result["version"]
    assert manifest["reviews"] == 2 and manifest["review_ids"] == ["review-1", "review-2"]
    assert manifest["based_on"] == model.manifest["version"]
    setup = result["comparison"]["setup"]
    assert setup["folds"] == 2 and setup["reviewed_notes"] == 2 and setup["new_reviews"] == 2
    n_lines = len(small_corpus_file.read_text(encoding="utf-8").splitlines())
    assert setup["notes"] == n_lines + 1  # the corrected note replaced its corpus line; the new one was added
    for which in ("current", "new"):
        assert 0.0 <= result["comparison"][which]["all_notes"]["macro_f1"] <= 1.0
    table = format_comparison(result["comparison"])
    assert "2-fold comparison" in table and "macro_f1" in table
    assert served_model_dir(s) == DEFAULT_MODEL_DIR  # built, not served

    from textmine import load_model

    new_model = load_model(new_dir)
    assert new_model.labels == LABELS and new_model.version.endswith(result["version"])

    # The CLI promotes the built version, and rolls back to the bundled model.
    base = ["retrain", "--models-dir", str(s.models_root), "--review-db", str(s.review_db)]
    assert main(base + ["--promote", result["version"]]) == 0
    assert served_model_dir(s) == new_dir
    assert main(base + ["--list"]) == 0
    assert f"* {result['version']}" in capsys.readouterr().out
    assert main(base + ["--rollback"]) == 0
    assert served_model_dir(s) == DEFAULT_MODEL_DIR and new_dir.exists()
    assert main(base + ["--rollback"]) == 2
    assert "nothing to roll back to" in capsys.readouterr().err


def test_retrain_refuses_too_few_notes_for_the_folds(tmp_path, small_corpus_file):
    tiny = tmp_path / "tiny.jsonl"
    tiny.write_text("\n".join(small_corpus_file.read_text(encoding="utf-8").splitlines()[:5]) + "\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"too few notes \(5\) for 5-fold comparison"):
        retrain(settings_in(tmp_path), tiny, folds=5)
    assert not (tmp_path / "models" / "versions").exists() or not any((tmp_path / "models" / "versions").iterdir())
