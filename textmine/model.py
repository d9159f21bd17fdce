"""The fitted whole: normalise → features → categories → evidence → clue score → highlights.

:class:`Model` is what ``load_model`` returns and what the CLI, the screening stage, the
transcript stage and the service all call; no other module repeats this logic.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from functools import cached_property

import numpy as np

from .clue import ClueScorer, evidence_features
from .classify import CategoryClassifier
from .errors import EmptyTextError, NoteTypeError
from .evidence import EvidenceExtractor
from .explain import highlights
from .featurize import NoteVectorizer
from .normalize import normalize

__all__ = ["Model", "check_note"]


def check_note(text, where: str = "the note") -> str:
    """Return ``text`` if it is a usable note, else raise a plain-language error."""
    if not isinstance(text, str):
        raise NoteTypeError(f"{where} must be text, but it is {type(text).__name__} ({text!r:.40}); "
                            "put the note's text in quotes / in a text column")
    if not text.strip():
        raise EmptyTextError(f"{where} is empty; give the text of the note")
    return text


class Model:
    """A trained textmine model with its manifest.

    Use :func:`textmine.load_model` to get one; :func:`textmine.train.train_model` builds one.
    """

    def __init__(self, vectorizer: NoteVectorizer, categories: CategoryClassifier, clue: ClueScorer | None,
                 evidence: EvidenceExtractor, manifest: dict | None = None):
        self.vectorizer = vectorizer
        self.categories = categories
        self.clue = clue
        self.evidence = evidence
        self.manifest = manifest or {}

    @property
    def labels(self) -> list[str]:
        """Category ids the model was trained with, in order."""
        return list(self.categories.labels_)

    @property
    def thresholds(self) -> dict[str, float]:
        return {lab: float(t) for lab, t in zip(self.labels, self.categories.thresholds_)}

    @property
    def version(self) -> str:
        return f"{self.manifest.get('name', 'default')}@{self.manifest.get('version', 'unsaved')}"

    @cached_property
    def feature_names(self) -> np.ndarray:
        return self.vectorizer.get_feature_names_out()

    def warm_up(self) -> None:
        """Load dictionaries and caches now (service start-up), not on the first request."""
        self.classify("村支书王某2021年挪用低保金3000元")

    def classify(self, text: str, id=None, explain: bool = True) -> dict:
        """One result (CONTRACT.md shape) for one note."""
        return self.classify_many([text], ids=[id if id is not None else 1], explain=explain)[0]

    def classify_many(self, texts: Sequence[str] | Iterable[str], ids: Sequence | None = None,
                      explain: bool = True) -> list[dict]:
        """Results for many notes, in order. ``ids`` default to row numbers from 1."""
        texts = list(texts)
        for i, t in enumerate(texts):
            check_note(t, where=f"note {i + 1}" if len(texts) > 1 else "the note")
        if ids is None:
            ids = list(range(1, len(texts) + 1))
        if not texts:
            return []
        X = self.vectorizer.transform(texts)
        proba = self.categories.predict_proba(X)
        assigned = self.categories.decide(proba)
        norms = [normalize(t) for t in texts]
        evidence = [self.evidence.extract(t, n) for t, n in zip(texts, norms)]
        if self.clue is not None:
            E = np.vstack([evidence_features(ev, n.text) for ev, n in zip(evidence, norms)])
            clue_scores = self.clue.predict_proba(X, E)
        labels = self.labels
        out = []
        for i, text in enumerate(texts):
            chosen = [j for j in range(len(labels)) if assigned[i, j]]
            result = {
                "id": ids[i],
                "labels": [labels[j] for j in chosen],
                "scores": {lab: round(float(proba[i, j]), 4) for j, lab in enumerate(labels)},
                "clue": None if self.clue is None else bool(clue_scores[i] >= self.clue.threshold_),
                "clue_score": None if self.clue is None else round(float(clue_scores[i]), 4),
                "evidence": evidence[i],
                "highlights": highlights(X[i], self.categories.coef_, labels, chosen, self.feature_names,
                                         norms[i], self.vectorizer.segmenter_.spans) if explain else [],
                "model": self.version,
            }
            out.append(result)
        return out
