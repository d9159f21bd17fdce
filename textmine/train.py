"""Training: fit the whole model on a corpus, cross-validate it, and save it with its manifest."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path

from collections import Counter

import numpy as np
from sklearn.base import clone
from sklearn.model_selection import StratifiedKFold

from .classify import CategoryClassifier, _LinearScorer
from .clue import ClueScorer
from .corpus import Corpus
from .evidence import EvidenceExtractor
from .featurize import NoteVectorizer
from .model import Model
from .persist import save_model
from .segment import DEFAULT_DICTIONARY, file_sha256, memoized

__all__ = ["TrainParams", "fit_model", "train_model"]


@dataclass
class TrainParams:
    """Hyper-parameters of a textmine model (recorded in the manifest)."""

    C: float = 30.0
    clue_C: float = 10.0
    word_ngram_range: tuple[int, int] = (1, 2)
    char_ngram_range: tuple[int, int] = (1, 3)
    min_df: int = 1
    backend: str = "jieba"
    folds: int = 5
    seed: int = 0


def _vectorizer(p: TrainParams) -> NoteVectorizer:
    return NoteVectorizer(word_ngram_range=p.word_ngram_range, char_ngram_range=p.char_ngram_range,
                          min_df=p.min_df, backend=p.backend)


def _out_of_fold(corpus: Corpus, p: TrainParams, cats: CategoryClassifier, with_clue: bool):
    """Category probabilities and clue text probabilities for every note, each from a model
    whose vocabulary, IDF and weights were fitted without that note — the same situation as a
    new note at prediction time, so thresholds and the clue stacker learn from honest scores."""
    n = len(corpus.notes)
    Y = corpus.indicator()
    clue_y = corpus.clue_array() if with_clue else None
    strata = _fold_strata(corpus, p.folds)
    cat_oof = np.zeros(Y.shape)
    clue_oof = np.zeros(n) if with_clue else None
    texts = corpus.texts
    for train, test in StratifiedKFold(p.folds, shuffle=True, random_state=p.seed).split(np.zeros(n), strata):
        vec = _vectorizer(p)
        Xtr = vec.fit_transform([texts[i] for i in train])
        Xte = vec.transform([texts[i] for i in test])
        fold = clone(cats).set_params(threshold_folds=0).fit(Xtr, Y[train], labels=corpus.labels)
        cat_oof[test] = fold.predict_proba(Xte)
        if with_clue:
            scorer = _LinearScorer(C=p.clue_C).fit(Xtr, clue_y[train].reshape(-1, 1))
            clue_oof[test] = scorer.decision_scores(Xte)[:, 0]
    return cat_oof, clue_oof


def _fold_strata(corpus: Corpus, folds: int) -> np.ndarray:
    """Fold labels that keep label combinations (and clue) spread evenly; rare combinations pooled."""
    if all(len(n.labels) == 1 for n in corpus.notes):
        keys = [n.labels[0] for n in corpus.notes]
    else:
        keys = ["|".join(sorted(n.labels)) + ("#c" if n.clue else "") for n in corpus.notes]
    for _ in range(2):
        counts = Counter(keys)
        keys = [k if counts[k] >= folds else ("rare#c" if k.endswith("#c") else "rare") for k in keys]
    counts = Counter(keys)
    return np.array([k if counts[k] >= folds else "rare" for k in keys])


def fit_model(corpus: Corpus, params: TrainParams | None = None, clue: bool | None = None) -> Model:
    """Fit vectoriser, category classifier and (when the corpus has clue flags) the clue scorer.

    Thresholds and the clue stacker are learned from out-of-fold scores (see ``_out_of_fold``);
    then every part is refitted on the whole corpus.
    """
    p = params or TrainParams()
    with_clue = corpus.has_clue if clue is None else clue
    cats = CategoryClassifier(C=p.C, threshold_folds=p.folds, random_state=p.seed)
    single_label = all(len(n.labels) == 1 for n in corpus.notes)
    with memoized():
        # Single-label data assigns the arg-max class: no thresholds, so no out-of-fold pass is needed.
        needs_oof = p.folds >= 2 and (with_clue or not single_label)
        cat_oof, clue_oof = _out_of_fold(corpus, p, cats, with_clue) if needs_oof else (None, None)
        vec = _vectorizer(p)
        X = vec.fit_transform(corpus.texts)
    cats.fit(X, corpus.indicator(), labels=corpus.labels, oof_proba=None if single_label else cat_oof)
    extractor = EvidenceExtractor(vec.dictionary)
    scorer = None
    if with_clue:
        _, E = extractor.extract_with_features(corpus.texts)
        scorer = ClueScorer(C=p.clue_C, folds=p.folds, random_state=p.seed).fit(X, corpus.clue_array(), E,
                                                                                 oof_text=clue_oof)
    return Model.from_estimators(vec, cats, scorer, extractor, {"params": asdict(p)})


def train_model(corpus: Corpus, out_dir: Path | str, params: TrainParams | None = None, name: str | None = None,
                evaluate: bool = True, progress=None) -> Model:
    """Cross-validate, fit on everything, save to ``out_dir``; returns the fitted model."""
    from .evaluate import cross_validate

    p = params or TrainParams()
    metrics = cross_validate(corpus, p, baselines=False, progress=progress)["textmine"] if evaluate else {}
    model = fit_model(corpus, p)
    dictionary = DEFAULT_DICTIONARY if DEFAULT_DICTIONARY.exists() else None
    save_model(model, out_dir, extra={
        "name": name or Path(out_dir).name,
        "metrics": metrics,
        "corpus_sha256": corpus.sha256,
        "corpus_files": [Path(s).name for s in corpus.sources],
        "corpus_notes": len(corpus.notes),
        "dictionary_sha256": file_sha256(dictionary) if dictionary else None,
        "params": asdict(p),
    })
    return model
