"""The serving path computes what the scikit-learn estimators compute."""

import subprocess
import sys

import numpy as np
import pytest

from textmine.evidence import EVIDENCE_FEATURES


@pytest.fixture(scope="module")
def texts(corpus):
    # Notes of every kind and length the small model did not train on, plus edge cases.
    return [n.text for n in corpus.notes[1::4][:300]] + ["a", "２０２１年補貼", "低保", "。。。", "x" * 5]


def test_features_equal_the_scikit_learn_vectorizer(small_model, texts):
    est = small_model.estimators["vectorizer"]
    A = est.transform(texts)
    B = small_model.vectorizer.transform(texts)
    assert A.shape == B.shape
    assert A.nnz == B.nnz
    assert np.abs(A - B).max() < 1e-6


def test_category_and_clue_scores_equal_the_estimators(small_model, texts):
    X = small_model.estimators["vectorizer"].transform(texts)
    _, proba, clue_logit = small_model.scores(texts)
    assert np.allclose(small_model.estimators["categories"].predict_proba(X), proba, atol=1e-6)
    E = np.random.default_rng(0).integers(0, 2, size=(len(texts), len(EVIDENCE_FEATURES)))
    assert np.allclose(small_model.estimators["clue"].predict_proba(X, E), small_model.clue.stack(clue_logit, E),
                       atol=1e-6)


def test_a_note_scores_the_same_alone_and_in_any_batch(small_model, texts):
    batch = small_model.scores(texts)[1]
    for i in (0, 7, len(texts) - 1):
        assert (small_model.scores([texts[i]])[1][0] == batch[i]).all()
    reordered = small_model.scores(texts[::-1])[1]
    assert (reordered[::-1] == batch).all()


def test_serving_path_does_not_import_scikit_learn():
    code = ("import sys, textmine; m = textmine.load_model(); m.classify('村会计王某挪用三千元'); "
            "print('sklearn' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
