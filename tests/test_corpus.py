import json

import pytest

from textmine.corpus import check_corpus, load_corpus, load_table
from textmine.errors import CorpusError

GOOD = {"id": "t1", "kind": "petition", "text": "村会计王某挪用3000元", "labels": ["finance"], "clue": True,
        "evidence": {"persons": ["村会计王某"], "amounts": ["3000元"], "dates": [], "places": [], "acts": ["挪用"]}}


def write(path, rows):
    path.write_text("\n".join(r if isinstance(r, str) else json.dumps(r, ensure_ascii=False) for r in rows) + "\n",
                    encoding="utf-8")
    return path


def test_good_corpus_passes(tmp_path):
    problems, stats = check_corpus(write(tmp_path / "a.jsonl", [GOOD]))
    assert problems == []
    assert stats["notes"] == 1 and stats["finance"] == 1 and stats["clue"] == 1


@pytest.mark.parametrize("change, reason", [
    ({"labels": ["money"]}, "must be a list of"),
    ({"kind": "letter"}, "kind 'letter' is not one of"),
    ({"clue": "yes"}, "clue must be true or false"),
    ({"evidence": {"persons": ["李某"], "amounts": [], "dates": [], "places": [], "acts": []}},
     "evidence persons '李某' is not a substring"),
])
def test_malformed_notes_are_named_by_file_and_line(tmp_path, change, reason):
    path = write(tmp_path / "a.jsonl", [dict(GOOD, id="t0", text="另一条完全不同的记录，关于修路", evidence={}), {**GOOD, **change}])
    problems, _ = check_corpus(path)
    assert [(p[0], p[1]) for p in problems] == [(str(path), 2)]
    assert reason in problems[0][2]


def test_duplicate_id_and_near_duplicate_text(tmp_path):
    other = dict(GOOD, text="村会计王某挪用3000元。")
    problems, _ = check_corpus(write(tmp_path / "a.jsonl", [GOOD, other]))
    reasons = " ".join(p[2] for p in problems)
    assert "duplicate id 't1'" in reasons and "near-duplicate of 't1'" in reasons


def test_invalid_json_line(tmp_path):
    problems, _ = check_corpus(write(tmp_path / "a.jsonl", [GOOD, "{oops"]))
    assert problems[0][1] == 2 and "not valid JSON" in problems[0][2]


def test_load_corpus_refuses_a_broken_corpus(tmp_path):
    with pytest.raises(CorpusError, match="1 problem"):
        load_corpus(write(tmp_path / "a.jsonl", [dict(GOOD, labels=["x"])]))


def test_user_table_with_own_taxonomy_and_multi_labels(tmp_path):
    path = tmp_path / "mine.csv"
    path.write_text("正文,类别\n修路占地不补偿,城建|补偿\n学校食堂不卫生,教育\n,教育\n", encoding="gbk")
    corpus = load_table(path, label_column="类别")
    assert corpus.labels == ["城建", "教育", "补偿"]
    assert [n.labels for n in corpus.notes] == [["城建", "补偿"], ["教育"]]


def test_shipped_corpus_meets_the_issue(corpus):
    problems, stats = check_corpus(corpus.sources[0].rsplit("/", 1)[0])
    assert problems == []
    assert stats["notes"] >= 1200
    for lab in ("party_building", "finance", "three_assets", "livelihood"):
        assert stats[lab] >= 250
    assert stats["multi_label"] >= 300 and stats["no_label"] >= 200
    assert 0.35 <= stats["clue_share"] <= 0.45
    assert all(stats["kinds"][k] > 0 for k in stats["kinds"])
    assert stats["length"]["max"] > 3000
