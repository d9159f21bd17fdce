"""The review store: append-only judgments, the uncertainty queue, export as corpus notes."""

from __future__ import annotations

import json
import sqlite3

import pytest

from textmine.errors import InputError
from textmine.review import ReviewStore, uncertainty

LABELS = ["party_building", "finance", "three_assets", "livelihood"]
THRESHOLDS = {"party_building": 0.3, "finance": 0.4, "three_assets": 0.5, "livelihood": 0.5}


def result(scores, clue_score=0.1, clue_threshold=0.5, model="default@v1"):
    labels = [lab for lab in LABELS if scores.get(lab, 0.0) >= THRESHOLDS[lab]]
    return {"labels": labels, "scores": {lab: scores.get(lab, 0.0) for lab in LABELS}, "clue": clue_score >= clue_threshold,
            "clue_score": clue_score, "evidence": {}, "model": model}


@pytest.fixture
def store(tmp_path):
    return ReviewStore(tmp_path / "sub" / "reviews.sqlite3")


def test_uncertainty_is_one_on_a_threshold_and_zero_at_the_ends():
    on_threshold = result({"finance": 0.4, "party_building": 0.0, "three_assets": 0.0, "livelihood": 1.0}, clue_score=0.0)
    assert uncertainty(on_threshold, THRESHOLDS, 0.5) == 1.0
    sure = result({"party_building": 0.0, "finance": 1.0, "three_assets": 0.0, "livelihood": 0.0}, clue_score=1.0)
    assert uncertainty(sure, THRESHOLDS, 0.5) == 0.0


def test_uncertainty_uses_the_closest_decision_relative_to_its_side():
    # finance 0.7 vs 0.4: margin 0.3/0.6 = 0.5; livelihood 0.25 vs 0.5: 0.25/0.5 = 0.5;
    # clue 0.6 vs 0.5: 0.1/0.5 = 0.2 — the closest; the others are at 0 (margin 1).
    r = result({"finance": 0.7, "livelihood": 0.25}, clue_score=0.6)
    assert uncertainty(r, THRESHOLDS, 0.5) == pytest.approx(0.8)
    assert uncertainty(r, THRESHOLDS, None) == pytest.approx(0.5)


def test_record_tells_confirmed_from_corrected(store):
    text = "村会计王某2021年挪用修路款3万元"
    out = result({"finance": 0.9}, clue_score=0.9)
    same = store.record(text, out, ["finance"], True, "张审", note_id="p1", allowed_labels=LABELS)
    changed = store.record(text, out, ["finance", "three_assets"], True, "李审", allowed_labels=LABELS)
    assert (same["verdict"], changed["verdict"]) == ("confirmed", "corrected")
    assert same["note_id"] == "p1" and same["model_labels"] == ["finance"] and same["model_version"] == "default@v1"
    assert changed["labels"] == ["finance", "three_assets"]
    assert store.counts() == {"judgments": 2, "reviewed_notes": 1, "corrected": 1, "waiting": 0}


def test_labels_are_kept_in_model_order_without_repeats(store):
    j = store.record("低保优亲厚友", result({}), ["livelihood", "party_building", "livelihood"], False, "张审",
                     allowed_labels=LABELS)
    assert j["labels"] == ["party_building", "livelihood"]


def test_record_refuses_unknown_category_and_missing_reviewer(store):
    with pytest.raises(InputError, match="unknown category 'roads'; the categories are: party_building"):
        store.record("村里路灯坏了", result({}), ["roads"], False, "张审", allowed_labels=LABELS)
    with pytest.raises(InputError, match="reviewer's name is empty"):
        store.record("村里路灯坏了", result({}), [], False, "   ", allowed_labels=LABELS)
    with pytest.raises(InputError, match="kind 'letter' is not one of"):
        store.record("村里路灯坏了", result({}), [], False, "张审", kind="letter", allowed_labels=LABELS)
    assert store.judgments() == []


def test_judgments_are_never_changed_or_deleted(store):
    store.record("村支书赌博", result({"party_building": 0.8}), ["party_building"], False, "张审", allowed_labels=LABELS)
    conn = sqlite3.connect(store.path)
    with pytest.raises(sqlite3.DatabaseError, match="audit trail: rows are never changed"):
        conn.execute("UPDATE judgments SET labels = '[]'")
    with pytest.raises(sqlite3.DatabaseError, match="audit trail: rows are never deleted"):
        conn.execute("DELETE FROM judgments")
    conn.close()
    assert store.judgments()[0]["labels"] == ["party_building"]


def test_latest_judgment_counts_but_every_one_is_kept(store):
    text = "组长张某把征地补偿款12万元截留了"
    out = result({"three_assets": 0.8}, clue_score=0.9)
    store.record(text, out, ["three_assets"], True, "张审", allowed_labels=LABELS)
    store.record(text, out, ["three_assets", "finance"], True, "李审", allowed_labels=LABELS)
    store.record("村里路灯坏了", result({}), [], False, "张审", allowed_labels=LABELS)
    notes = store.reviewed_notes()
    assert [(n.text, n.labels, n.clue) for n in notes] == [
        (text, ["finance", "three_assets"], True), ("村里路灯坏了", [], False)]
    assert notes[0].id == "review-2"
    assert [j["reviewer"] for j in store.judgments()] == ["张审", "李审", "张审"]
    assert [j["reviewer"] for j in store.judgments(newest_first=False, limit=1)] == ["张审"]
    # A judgment naming a label outside the trained set is left out, not silently added.
    assert [n.text for n in store.reviewed_notes(labels=["livelihood"])] == ["村里路灯坏了"]


def test_queue_gives_least_sure_first_and_drops_reviewed_notes(store):
    notes = [("a", "村里路灯坏了"), ("b", "会计张某坐收坐支"), ("c", "希望加强管理")]
    results = [result({"livelihood": 0.05}, clue_score=0.02),   # sure: nothing
               result({"finance": 0.41}, clue_score=0.45),       # right at the finance threshold
               result({"party_building": 0.2}, clue_score=0.3)]  # fairly close
    assert store.add_pending(notes, results, THRESHOLDS, 0.5) == 3
    assert store.add_pending(notes[:1], results[:1], THRESHOLDS, 0.5) == 0  # already waiting
    assert [q["id"] for q in store.queue(limit=10)] == ["b", "c", "a"]
    assert store.queue(limit=1)[0]["text"] == "会计张某坐收坐支"
    store.record("会计张某坐收坐支", results[1], ["finance"], True, "张审", allowed_labels=LABELS)
    assert [q["id"] for q in store.queue(limit=10)] == ["c", "a"]
    assert store.counts()["waiting"] == 2


def test_queue_rescores_notes_seen_by_another_model(store, model):
    text = "村支书王某2021年挪用低保金3000元"
    store.add_pending([(None, text)], [result({}, model="old@0")], THRESHOLDS, 0.5)
    (q,) = store.queue(model=model)
    fresh = model.classify(text, explain=False)
    assert q["model"] == model.version and q["scores"] == fresh["scores"]
    clue_t = float(model.clue.threshold_)
    assert q["uncertainty"] == pytest.approx(uncertainty(fresh, model.thresholds, clue_t), abs=1e-6)
    assert q["id"].startswith("queue-")


def test_export_writes_valid_corpus_notes(store, tmp_path):
    from textmine.corpus import check_corpus

    store.record("村会计王某2021年挪用修路款3万元", result({"finance": 0.9}), ["finance"], True, "张审", kind="hotline",
                 allowed_labels=LABELS)
    store.record("问：你反映什么？答：低保评定优亲厚友", result({}), ["livelihood"], False, "张审", allowed_labels=LABELS)
    out = tmp_path / "reviews.jsonl"
    assert store.export_jsonl(out) == 2
    lines = [json.loads(x) for x in out.read_text(encoding="utf-8").splitlines()]
    assert [(d["kind"], d["labels"], d["clue"]) for d in lines] == [("hotline", ["finance"], True),
                                                                   ("petition", ["livelihood"], False)]
    problems, stats = check_corpus(out)
    assert problems == [] and stats["notes"] == 2


def test_a_file_that_is_not_a_database_is_a_plain_error(tmp_path):
    from textmine.errors import ConfigurationError

    path = tmp_path / "reviews.sqlite3"
    path.write_text("这不是数据库" * 200, encoding="utf-8")
    with pytest.raises(ConfigurationError, match="cannot be used .*set TEXTMINE_REVIEW_DB to a writable SQLite file"):
        ReviewStore(path).counts()
