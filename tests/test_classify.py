import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.base import clone

from textmine.classify import CategoryClassifier, best_f1_threshold
from textmine.errors import InputError


def _toy():
    # Feature 0 signals label a, feature 1 label b; rows 6-7 carry neither.
    X = sp.csr_matrix(np.array([[1, 0], [1, 0], [1, 1], [0, 1], [0, 1], [1, 1], [0, 0], [0, 0]] * 3, dtype=float))
    Y = np.array([[1, 0], [1, 0], [1, 1], [0, 1], [0, 1], [1, 1], [0, 0], [0, 0]] * 3)
    return X, Y


def test_best_f1_threshold_separates_perfectly_separable_scores():
    y = np.array([0, 0, 1, 1])
    t = best_f1_threshold(y, np.array([0.1, 0.3, 0.6, 0.9]))
    assert 0.3 < t < 0.6


def test_multilabel_learns_each_label_and_stores_thresholds():
    X, Y = _toy()
    clf = CategoryClassifier(threshold_folds=3).fit(X, Y, labels=["a", "b"])
    assert clf.mode_ == "multilabel"
    assert clf.labels_ == ["a", "b"]
    assert clf.thresholds_.shape == (2,)
    assert (clf.predict(X) == Y.astype(bool)).all()


def test_single_label_data_uses_multiclass_argmax():
    X = sp.csr_matrix(np.eye(3).repeat(4, axis=0))
    Y = np.eye(3, dtype=int).repeat(4, axis=0)
    clf = CategoryClassifier().fit(X, Y, labels=["x", "y", "z"])
    assert clf.mode_ == "multiclass"
    proba = clf.predict_proba(X)
    assert np.allclose(proba.sum(axis=1), 1.0)
    assert (clf.predict(X).sum(axis=1) == 1).all()
    assert (proba.argmax(1) == Y.argmax(1)).all()


def test_follows_the_estimator_contract():
    X, Y = _toy()
    est = CategoryClassifier(C=3.0)
    assert clone(est).get_params()["C"] == 3.0
    assert not hasattr(est, "thresholds_")


def test_rejects_mismatched_labels():
    X, _ = _toy()
    with pytest.raises(InputError, match="one row per note"):
        CategoryClassifier().fit(X, np.zeros((3, 2)))
