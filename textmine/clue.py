"""Stage 6: score how likely a note is a clue (问题线索) — text model plus evidence.

A clue is a *specific, checkable* allegation: who, did what, and when, where or how much
(LABELS.md). Words alone rank a vague, angry complaint close to a specific one, so the score is
stacked in two steps:

1. a logistic regression on the note's TF-IDF features gives a text score; for training the
   second step it is computed out of fold, so the second step learns how far to trust it;
2. a small logistic regression combines the text score (as a logit) with evidence features —
   is there an identifiable person or post, an alleged act, an amount, a time, a place, and do
   they come together — into one calibrated probability, ``clue_score``.

``clue`` is ``clue_score`` at a threshold chosen to maximise F1 on out-of-fold scores.
"""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils.validation import check_is_fitted

from .evidence import EVIDENCE_FEATURES, evidence_features

__all__ = ["ClueScorer", "evidence_features", "EVIDENCE_FEATURES"]


def _logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(p, 1e-6, 1 - 1e-6)
    return np.log(p / (1 - p))


class ClueScorer(ClassifierMixin, BaseEstimator):
    """Stacked clue model: text logistic regression, then text score + evidence features.

    Parameters
    ----------
    C : float
        Regularisation of the text model.
    use_evidence : bool
        False gives the text-only score (kept for measuring what evidence adds).
    folds : int
        Folds for the out-of-fold text scores and the threshold.
    random_state : int
        Seed for the folds.
    """

    def __init__(self, C=10.0, use_evidence=True, folds=5, random_state=0):
        self.C = C
        self.use_evidence = use_evidence
        self.folds = folds
        self.random_state = random_state

    def _meta_X(self, text_proba, E):
        z = _logit(text_proba).reshape(-1, 1)
        return np.hstack([z, E]) if self.use_evidence else z

    def fit(self, X, y, E, oof_text=None):
        """Fit on TF-IDF features ``X``, clue flags ``y`` and evidence features ``E``.

        ``oof_text``: out-of-fold text-model probabilities (see CategoryClassifier.fit); computed
        over ``X`` when not given.
        """
        from sklearn.linear_model import LogisticRegression
        from sklearn.model_selection import StratifiedKFold, cross_val_predict

        from .classify import _LinearScorer, best_f1_threshold, out_of_fold

        y = np.asarray(y, dtype=np.int8)
        Y = y.reshape(-1, 1)
        self.text_ = _LinearScorer(C=self.C).fit(X, Y)
        folds = max(2, min(self.folds, int(np.bincount(y, minlength=2).min())))
        if oof_text is None:
            oof_text = out_of_fold(_LinearScorer(C=self.C), X, Y, folds, self.random_state, stratify=y)[:, 0]
        M = self._meta_X(oof_text, np.asarray(E, dtype=np.float64))
        self.meta_ = LogisticRegression(C=1.0, max_iter=1000).fit(M, y)
        cv = StratifiedKFold(folds, shuffle=True, random_state=self.random_state)
        oof = cross_val_predict(LogisticRegression(C=1.0, max_iter=1000), M, y, cv=cv, method="predict_proba")[:, 1]
        self.threshold_ = best_f1_threshold(y, oof)
        self.oof_scores_ = oof
        return self

    def text_proba(self, X) -> np.ndarray:
        check_is_fitted(self, "meta_")
        return self.text_.decision_scores(X)[:, 0]

    def predict_proba(self, X, E) -> np.ndarray:
        """Clue probability per note."""
        M = self._meta_X(self.text_proba(X), np.asarray(E, dtype=np.float64))
        return self.meta_.predict_proba(M)[:, 1]

    def predict(self, X, E) -> np.ndarray:
        return self.predict_proba(X, E) >= self.threshold_
