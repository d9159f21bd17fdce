"""Training: fit the whole model on a corpus, cross-validate it, and save it with its manifest."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from .classify import CategoryClassifier
from .clue import ClueScorer, evidence_features
from .corpus import Corpus
from .evidence import EvidenceExtractor
from .featurize import NoteVectorizer
from .model import Model
from .normalize import normalize
from .persist import save_model
from .segment import DEFAULT_DICTIONARY, file_sha256

__all__ = ["TrainParams", "fit_model", "train_model", "evidence_matrix"]


@dataclass
class TrainParams:
    """Hyper-parameters of a textmine model (recorded in the manifest)."""

    C: float = 10.0
    clue_C: float = 10.0
    word_ngram_range: tuple[int, int] = (1, 2)
    char_ngram_range: tuple[int, int] = (1, 3)
    min_df: int = 1
    backend: str = "jieba"
    folds: int = 5
    seed: int = 0


def evidence_matrix(extractor: EvidenceExtractor, texts: list[str]) -> tuple[list[dict], np.ndarray]:
    """Extracted evidence and the clue scorer's evidence features for ``texts``."""
    evidence, rows = [], []
    for t in texts:
        norm = normalize(t)
        ev = extractor.extract(t, norm)
        evidence.append(ev)
        rows.append(evidence_features(ev, norm.text))
    return evidence, np.vstack(rows) if rows else np.zeros((0, 0))


def fit_model(corpus: Corpus, params: TrainParams | None = None, clue: bool | None = None) -> Model:
    """Fit vectoriser, category classifier and (when the corpus has clue flags) the clue scorer."""
    p = params or TrainParams()
    vec = NoteVectorizer(word_ngram_range=p.word_ngram_range, char_ngram_range=p.char_ngram_range,
                         min_df=p.min_df, backend=p.backend)
    X = vec.fit_transform(corpus.texts)
    cats = CategoryClassifier(C=p.C, threshold_folds=p.folds, random_state=p.seed)
    cats.fit(X, corpus.indicator(), labels=corpus.labels)
    extractor = EvidenceExtractor(vec.segmenter_)
    scorer = None
    if (corpus.has_clue if clue is None else clue):
        _, E = evidence_matrix(extractor, corpus.texts)
        scorer = ClueScorer(C=p.clue_C, folds=p.folds, random_state=p.seed).fit(X, corpus.clue_array(), E)
    return Model(vec, cats, scorer, extractor, {"params": asdict(p)})


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
