import numpy as np

from textmine.corpus import Corpus, Note
from textmine.evaluate import KeywordBaseline, category_metrics, clue_metrics, format_report, kind_split


def test_category_metrics():
    Y = np.array([[1, 0], [1, 1], [0, 1], [0, 0]])
    P = np.array([[1, 0], [1, 0], [0, 1], [1, 0]])
    m = category_metrics(Y, P, ["a", "b"])
    assert m["per_label"]["a"] == {"precision": 0.6667, "recall": 1.0, "f1": 0.8, "support": 2}
    assert m["per_label"]["b"]["recall"] == 0.5
    assert m["exact_match"] == 0.5


def test_clue_metrics_precision_at_k_and_average_precision():
    y = np.array([1, 0, 1, 0] * 5)
    score = np.array([0.9, 0.1, 0.8, 0.2] * 5)
    m = clue_metrics(y, score, score > 0.5, ks=(10,))
    assert m["precision_at_10"] == 1.0 and m["average_precision"] == 1.0 and m["f1"] == 1.0


def test_keyword_baseline_flags_notes_with_a_keyword():
    P, score, clue = KeywordBaseline().predict(["村会计挪用公款", "今天天气不错"], ["finance"])
    assert P[:, 0].tolist() == [True, False]
    assert clue.tolist() == [True, False]


def test_kind_split_trains_without_the_kind():
    notes = [Note(str(i), "x", [], False, k) for i, k in enumerate(["petition", "transcript", "visit"])]
    train, test = kind_split(Corpus(notes, ["finance"], "", []), "transcript")
    assert [n.kind for n in train.notes] == ["petition", "visit"] and [n.kind for n in test.notes] == ["transcript"]


def test_report_table_names_every_system():
    Y = np.array([[1], [0]])
    rep = {"textmine": category_metrics(Y, Y, ["finance"]), "keywords": category_metrics(Y, 1 - Y, ["finance"]),
           "setup": {"labels": ["finance"]}}
    table = format_report(rep)
    assert "textmine" in table and "keywords" in table and "1.00/1.00/1.00" in table


def test_evidence_by_file_leaves_each_file_out_and_pools_counts():
    from textmine.evaluate import evidence_by_file
    from textmine.evidence import EvidenceExtractor

    def note(i, source, text, persons, amounts):
        return Note(str(i), text, [], True, "petition",
                    {"persons": persons, "amounts": amounts, "dates": [], "places": [], "acts": []}, source)

    notes = [note(1, "a.jsonl", "村会计王某挪用3000元", ["村会计王某"], ["3000元"]),
             note(2, "a.jsonl", "支书李某某收了两千多元", ["支书李某某"], ["两千多元"]),
             note(3, "b.jsonl", "组长赵某截留补贴五百元", ["组长赵某"], ["五百块"])]
    seen = []

    def fit(train):
        seen.append(sorted(n.source for n in train))
        return EvidenceExtractor()

    report = evidence_by_file(Corpus(notes, ["finance"], "", []), fit=fit)
    assert seen == [["b.jsonl"], ["a.jsonl", "a.jsonl"]]
    assert report["files"]["a.jsonl"]["persons"]["recall_exact"] == 1.0
    assert report["files"]["b.jsonl"]["amounts"]["recall_exact"] == 0.0  # "五百元" found, "五百块" annotated
    assert report["pooled"]["amounts"]["annotated"] == 3 and report["pooled"]["amounts"]["recall_exact"] == 0.6667
    assert report["worst"]["amounts"]["recall_exact"] == ["b.jsonl", 0.0]


def test_evidence_overlap_recall_counts_any_occurrence_of_an_annotated_string():
    from textmine.evaluate import evidence_report

    # "五十" first occurs in a count of people (not money); the annotation is the fee after it.
    text = "全组五十九个人，卫生费一户五十块。"
    note = Note("1", text, [], True, "petition",
                {"persons": [], "amounts": ["五十"], "dates": [], "places": [], "acts": []}, "a.jsonl")
    report = evidence_report(Corpus([note], ["finance"], "", []))
    assert report["amounts"]["recall_overlap"] == 1.0 and report["amounts"]["recall_exact"] == 0.0
