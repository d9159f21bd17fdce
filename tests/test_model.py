"""End to end on a slice of the corpus: fit, save, load, identical scores; batch equals one by one."""

import json

import pytest

from textmine import load_model
from textmine.errors import EmptyTextError, NoteTypeError
from textmine.persist import save_model

NOTES = [
    "村支书李某2019年把村集体鱼塘以每年800元的低价发包给他小舅子，没有开村民代表大会。",
    "反映我村低保评定优亲厚友，村主任王某的弟弟家有小轿车也吃低保。",
    "希望村里多组织点文化活动，广场舞音响太吵了。",
    "村会计张某某报销招待费用白条入账，2022年账目至今未公开。",
]


def test_result_has_the_contract_shape(small_model):
    r = small_model.classify(NOTES[0], id="p001")
    assert set(r) >= {"id", "labels", "scores", "clue", "clue_score", "evidence", "highlights", "model"}
    assert r["id"] == "p001"
    assert list(r["scores"]) == small_model.labels
    assert set(r["labels"]) <= set(small_model.labels)
    assert all(r["scores"][lab] >= small_model.thresholds[lab] for lab in r["labels"])
    assert 0.0 <= r["clue_score"] <= 1.0
    assert set(r["evidence"]) == {"persons", "amounts", "dates", "places", "acts"}
    for h in r["highlights"]:
        assert h["label"] in r["labels"] and 0 <= h["start"] < h["end"] <= len(NOTES[0])


def test_batch_equals_one_by_one(small_model):
    batch = small_model.classify_many(NOTES)
    single = [small_model.classify(t, id=i + 1) for i, t in enumerate(NOTES)]
    assert batch == single


def test_ids_default_to_row_numbers(small_model):
    assert [r["id"] for r in small_model.classify_many(NOTES[:3])] == [1, 2, 3]


def test_round_trip_save_load_gives_identical_results(small_model, tmp_path):
    save_model(small_model, tmp_path / "m")
    loaded = load_model(tmp_path / "m")
    assert loaded.labels == small_model.labels
    a = small_model.classify_many(NOTES)
    b = loaded.classify_many(NOTES)
    for ra, rb in zip(a, b):
        ra.pop("model"), rb.pop("model")
    assert a == b
    manifest = json.loads((tmp_path / "m" / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["labels"] == small_model.labels
    assert set(manifest["thresholds"]) == set(small_model.labels)
    assert len(manifest["artifact_sha256"]) == 64


@pytest.mark.parametrize("bad, error, message", [
    ("", EmptyTextError, "empty"), ("   \n\t", EmptyTextError, "empty"),
    (None, NoteTypeError, "must be text"), (123, NoteTypeError, "must be text"),
])
def test_bad_notes_are_plain_errors(small_model, bad, error, message):
    with pytest.raises(error, match=message):
        small_model.classify(bad)


def test_bad_note_in_a_batch_is_named_by_position(small_model):
    with pytest.raises(EmptyTextError, match="note 2 is empty"):
        small_model.classify_many(["村会计挪用公款", " "])


def test_specific_allegation_outranks_vague_complaint(model):
    specific = model.classify("村会计王某2021年3月把征地补偿款12万元借给他小舅子，至今未还，村民都不知道。")
    vague = model.classify("村干部不作为，希望上级加强管理。")
    assert specific["clue"] and not vague["clue"]
    assert specific["clue_score"] > vague["clue_score"]
