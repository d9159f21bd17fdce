import numpy as np

from textmine.evidence import EVIDENCE_FEATURES, EvidenceExtractor, evidence_features


def features(text):
    return dict(zip(EVIDENCE_FEATURES, evidence_features(EvidenceExtractor().extract(text), text)))


def test_evidence_features_of_a_specific_allegation():
    f = features("村会计王某2021年挪用低保金3000元")
    assert f["named_person"] and f["act"] and f["amount"] and f["date"]
    assert f["who_and_what"] and f["who_what_detail"] and f["n_details"] == 2


def test_evidence_features_of_a_vague_question():
    f = features("请问低保应该怎么申请？")
    assert not f["named_person"] and not f["amount"] and not f["who_what_detail"]
    assert f["question_only"]


def test_clue_scorer_learns_that_evidence_matters(small_model):
    specific = "三组组长李某某2022年把全组的退耕还林补助两万三千元领走了，至今没发"
    vague = "希望上级加强对村干部的管理，多为群众办实事"
    scores = [r["clue_score"] for r in small_model.classify_many([specific, vague])]
    assert scores[0] > 0.5 > scores[1]
    assert 0.0 < small_model.clue_threshold < 1.0


def test_clue_scorer_follows_the_estimator_contract(small_model):
    from sklearn.base import clone

    scorer = small_model.estimators["clue"]
    fresh = clone(scorer)
    assert not hasattr(fresh, "meta_") and fresh.get_params() == scorer.get_params()
    assert np.isclose(scorer.meta_.coef_.shape[1], 1 + len(EVIDENCE_FEATURES))
