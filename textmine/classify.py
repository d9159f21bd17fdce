"""Stage 4: assign categories — one linear model per category, with per-category thresholds.

The taxonomy is data: :class:`CategoryClassifier` learns whatever label set it is given.

- *multi-label* data (a note may have zero or several labels, as in the inspection corpus):
  one binary logistic regression per label; a label is assigned when its probability passes
  that label's threshold, chosen to maximise F1 on out-of-fold probabilities (thresholds are data,
  stored in the manifest);
- *single-label* data (every row has exactly one label, as in most users' spreadsheets): one
  multinomial logistic regression; the label is the most probable class.

Learned weights are kept as plain arrays (``coef_``, ``intercept_``) so that scoring is one
sparse matrix product — the same arithmetic in the reference path and in the lean fast path.
"""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import KFold, StratifiedKFold
from sklearn.utils.validation import check_is_fitted

from .errors import InputError
from .fastpath import decide, sigmoid, softmax

__all__ = ["CategoryClassifier", "best_f1_threshold", "sigmoid", "softmax", "out_of_fold"]


def best_f1_threshold(y_true: np.ndarray, scores: np.ndarray, default: float = 0.5) -> float:
    """The score cut-off that maximises F1 for one binary label (midpoint between neighbours,
    so the threshold does not sit exactly on a training score)."""
    y_true = np.asarray(y_true, dtype=bool)
    if y_true.sum() == 0 or y_true.sum() == len(y_true):
        return default
    order = np.argsort(-scores, kind="stable")
    s, t = scores[order], y_true[order]
    tp = np.cumsum(t)
    fp = np.cumsum(~t)
    f1 = 2 * tp / (tp + fp + t.sum())
    # Only cut between distinct scores.
    distinct = np.r_[s[1:] != s[:-1], True]
    f1 = np.where(distinct, f1, -1)
    k = int(np.argmax(f1))
    nxt = s[k + 1] if k + 1 < len(s) else s[k] - 1e-3
    return float(np.clip((s[k] + nxt) / 2, 1e-4, 1 - 1e-4))


def out_of_fold(estimator, X, y, n_splits: int, random_state: int, stratify=None) -> np.ndarray:
    """Scores from ``estimator.decision_scores`` for every row, each from a model that did not see it."""
    n = X.shape[0]
    if stratify is not None and np.bincount(np.unique(stratify, return_inverse=True)[1]).min() >= n_splits:
        splits = StratifiedKFold(n_splits, shuffle=True, random_state=random_state).split(np.zeros(n), stratify)
    else:
        splits = KFold(n_splits, shuffle=True, random_state=random_state).split(np.zeros(n))
    oof = None
    for train, test in splits:
        fold = clone(estimator).fit(X[train], y[train])
        scores = fold.decision_scores(X[test])
        if oof is None:
            oof = np.zeros((n,) + scores.shape[1:], dtype=np.float64)
        oof[test] = scores
    return oof


def _svm_softmax(X, y: np.ndarray, n_classes: int, class_weight) -> tuple[np.ndarray, np.ndarray]:
    """Single-label weights: one-vs-rest linear SVMs (about a point more accurate than multinomial
    logistic regression on short texts, e.g. 0.866 vs 0.855 in CV on THUCNews titles), with their
    margins turned into probabilities by a softmax whose temperature minimises the log-loss of
    out-of-fold margins. The temperature is folded into the weights, so scoring stays a softmax of
    ``X @ coef.T + intercept``."""
    from sklearn.model_selection import StratifiedKFold
    from sklearn.svm import LinearSVC

    def fit(Xa, ya):
        coef = np.zeros((n_classes, X.shape[1]))
        intercept = np.full(n_classes, -1e3)  # a class absent from these rows is never chosen
        present = np.unique(ya)
        if len(present) == 1:
            intercept[present[0]] = 0.0
            return coef, intercept
        svm = LinearSVC(C=1.0, class_weight=class_weight).fit(Xa, ya)
        rows = svm.coef_ if len(present) > 2 else np.vstack([-svm.coef_[0] / 2, svm.coef_[0] / 2])
        bias = svm.intercept_ if len(present) > 2 else np.array([-svm.intercept_[0] / 2, svm.intercept_[0] / 2])
        coef[present], intercept[present] = rows, bias
        return coef, intercept

    coef, intercept = fit(X, y)
    counts = np.bincount(y, minlength=n_classes)
    folds = min(3, int(counts[counts > 0].min()))
    if folds < 2:
        return coef, intercept
    margins = np.zeros((X.shape[0], n_classes))
    for tr, te in StratifiedKFold(folds, shuffle=True, random_state=0).split(np.zeros(len(y)), y):
        c, b = fit(X[tr], y[tr])
        margins[te] = X[te] @ c.T + b
    temps = np.logspace(-1, 2, 61)
    losses = [-np.log(np.clip(softmax(margins * t)[np.arange(len(y)), y], 1e-12, None)).mean() for t in temps]
    t = temps[int(np.argmin(losses))]
    return coef * t, intercept * t


class _LinearScorer(ClassifierMixin, BaseEstimator):
    """Logistic regression(s) reduced to ``coef_``/``intercept_`` and a probability function."""

    def __init__(self, C=10.0, class_weight="balanced", multiclass=False, max_iter=2000):
        self.C = C
        self.class_weight = class_weight
        self.multiclass = multiclass
        self.max_iter = max_iter

    def fit(self, X, Y):
        Y = np.asarray(Y)
        if self.multiclass:
            coef, intercept = _svm_softmax(X, Y.argmax(axis=1), Y.shape[1], self.class_weight)
        else:
            coef = np.zeros((Y.shape[1], X.shape[1]), dtype=np.float64)
            intercept = np.zeros(Y.shape[1])
            for j in range(Y.shape[1]):
                yj = Y[:, j]
                if yj.min() == yj.max():  # a label never (or always) present in this fold
                    intercept[j] = 40.0 if yj.max() else -40.0
                    continue
                lr = LogisticRegression(C=self.C, class_weight=self.class_weight, solver="liblinear",
                                        max_iter=self.max_iter)
                lr.fit(X, yj)
                coef[j] = lr.coef_[0]
                intercept[j] = lr.intercept_[0]
        self.coef_ = coef.astype(np.float32)
        self.intercept_ = intercept.astype(np.float32)
        return self

    def decision_scores(self, X) -> np.ndarray:
        z = np.asarray(X @ self.coef_.T, dtype=np.float64) + self.intercept_
        return softmax(z) if self.multiclass else sigmoid(z)


class CategoryClassifier(ClassifierMixin, BaseEstimator):
    """Multi-label or single-label linear classifier over note features.

    Parameters
    ----------
    C : float
        Inverse regularisation strength of the logistic regressions.
    class_weight : "balanced" or None
        Re-weight rare labels.
    mode : {"auto", "multilabel", "multiclass"}
        ``auto`` picks multiclass when every training row has exactly one label.
    threshold_folds : int
        Folds used to choose per-label thresholds in multi-label mode.
    random_state : int
        Seed for the folds.
    """

    def __init__(self, C=10.0, class_weight="balanced", mode="auto", threshold_folds=5, random_state=0):
        self.C = C
        self.class_weight = class_weight
        self.mode = mode
        self.threshold_folds = threshold_folds
        self.random_state = random_state

    def fit(self, X, Y, labels=None, oof_proba=None):
        """Fit on features ``X`` and an indicator matrix ``Y`` (n_notes × n_labels).

        ``labels`` names the columns of ``Y`` (defaults to "0", "1", …). ``oof_proba``, when
        given, are out-of-fold probabilities from models whose *features were also fitted
        without the held-out notes* (see :func:`textmine.train.fit_model`); thresholds are chosen
        on them. Without it, folds are made over ``X`` — slightly optimistic features for the held-out
        notes (their rare n-grams stay in the vocabulary and dilute their vectors), which pushes
        thresholds too low.
        """
        Y = np.asarray(Y, dtype=np.int8)
        if Y.ndim != 2 or Y.shape[0] != X.shape[0]:
            raise InputError(f"labels must be an indicator matrix with one row per note; got shape {Y.shape}")
        if Y.shape[0] < 2:
            raise InputError("at least two labelled notes are needed to train")
        self.labels_ = list(labels) if labels is not None else [str(i) for i in range(Y.shape[1])]
        if self.mode == "auto":
            self.mode_ = "multiclass" if (Y.sum(axis=1) == 1).all() and Y.shape[1] > 1 else "multilabel"
        else:
            self.mode_ = self.mode
        self.scorer_ = _LinearScorer(C=self.C, class_weight=self.class_weight,
                                     multiclass=self.mode_ == "multiclass").fit(X, Y)
        if self.mode_ == "multilabel":
            folds = min(self.threshold_folds, int(Y.shape[0]))
            if oof_proba is not None:
                oof = np.asarray(oof_proba)
                self.thresholds_ = np.array([best_f1_threshold(Y[:, j], oof[:, j]) for j in range(Y.shape[1])])
            elif folds >= 2:
                oof = out_of_fold(_LinearScorer(C=self.C, class_weight=self.class_weight), X, Y, folds,
                                  self.random_state)
                self.thresholds_ = np.array([best_f1_threshold(Y[:, j], oof[:, j]) for j in range(Y.shape[1])])
            else:
                self.thresholds_ = np.full(Y.shape[1], 0.5)
        else:
            self.thresholds_ = np.zeros(Y.shape[1])  # unused: the arg-max class is assigned
        return self

    @property
    def coef_(self):
        return self.scorer_.coef_

    @property
    def intercept_(self):
        return self.scorer_.intercept_

    def predict_proba(self, X) -> np.ndarray:
        """Probability per note and label, shape (n_notes, n_labels)."""
        check_is_fitted(self, "scorer_")
        return self.scorer_.decision_scores(X)

    def decide(self, proba: np.ndarray) -> np.ndarray:
        """Indicator matrix of assigned labels for already computed probabilities."""
        return decide(proba, self.mode_, self.thresholds_)

    def predict(self, X) -> np.ndarray:
        return self.decide(self.predict_proba(X))
