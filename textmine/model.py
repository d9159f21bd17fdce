"""The fitted whole: normalise → features → categories → evidence → clue score → highlights.

:class:`Model` is what ``load_model`` returns and what the CLI, the screening stage, the
transcript stage and the service all call; no other module repeats this logic. It computes with
the lean serving parts of :mod:`textmine.fastpath`; the scikit-learn estimators it was compiled
from (``estimators``) are kept when the model was just trained or loaded with ``full=True``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from functools import cached_property

import numpy as np

from .errors import EmptyTextError, NoteTypeError
from .evidence import EvidenceExtractor
from .explain import highlights
from .fastpath import LeanCategories, LeanClue, LeanVectorizer, OneNoteScorer
from .normalize import normalize, normalize_text

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

    Use :func:`textmine.load_model` to get one; :func:`textmine.train.fit_model` builds one.
    """

    def __init__(self, vectorizer: LeanVectorizer, categories: LeanCategories, clue: LeanClue | None,
                 evidence: EvidenceExtractor, manifest: dict | None = None, estimators: dict | None = None):
        self.vectorizer = vectorizer
        self.categories = categories
        self.clue = clue
        self.evidence = evidence
        self.manifest = manifest or {}
        self.estimators = estimators

    @classmethod
    def from_estimators(cls, vectorizer, categories, clue, evidence: EvidenceExtractor,
                        manifest: dict | None = None) -> "Model":
        """Compile fitted scikit-learn parts into a serving model (keeping them in ``estimators``)."""
        return cls(LeanVectorizer.from_fitted(vectorizer), LeanCategories.from_fitted(categories),
                   LeanClue.from_fitted(clue) if clue is not None else None, evidence, manifest,
                   {"vectorizer": vectorizer, "categories": categories, "clue": clue, "evidence": evidence})

    @property
    def labels(self) -> list[str]:
        """Category ids the model was trained with, in order."""
        return list(self.categories.labels_)

    @property
    def thresholds(self) -> dict[str, float]:
        return {lab: float(t) for lab, t in zip(self.labels, self.categories.thresholds_)}

    @property
    def clue_threshold(self) -> float | None:
        return None if self.clue is None else self.clue.threshold_

    @property
    def version(self) -> str:
        return f"{self.manifest.get('name', 'default')}@{self.manifest.get('version', 'unsaved')}"

    @cached_property
    def _weights(self) -> tuple[np.ndarray, np.ndarray]:
        # Category and clue-text weights side by side: one pass over each note's features.
        cols = [self.categories.coef_]
        bias = [self.categories.intercept_]
        if self.clue is not None:
            cols.append(self.clue.text_coef[None, :])
            bias.append(np.array([self.clue.text_intercept]))
        return np.ascontiguousarray(np.vstack(cols).T), np.concatenate(bias)

    def warm_up(self) -> None:
        """Load dictionaries and caches now (service start-up), not on the first request."""
        self.classify("村支书王某2021年挪用低保金3000元")

    def scores(self, texts: list[str], normalized: list[str] | None = None):
        """Features, category probabilities and clue-text logits of already-checked notes."""
        if len(texts) == 1 and self._one_note is not None:  # the compiled helper: same numbers, faster
            out = self._one_note.scored(normalized[0] if normalized is not None else normalize_text(texts[0]))
            if out is not None:
                z, feats = out
                L = len(self.labels)
                clue_logit = np.array([z[L]]) if self.clue is not None else None
                return feats, self.categories.proba_of_one(z[:L]), clue_logit
        feats = self.vectorizer.features(texts, normalized)
        W, b = self._weights
        z = feats.matmul(W) + b
        L = len(self.labels)
        proba = self.categories.proba_from_logits(z[:, :L])
        return feats, proba, (z[:, L] if self.clue is not None else None)

    @cached_property
    def _one_note(self) -> OneNoteScorer | None:
        return OneNoteScorer.build(self.vectorizer, *self._weights)

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        """Category probabilities only (n_notes × n_labels): the fastest way to tag many notes.
        A single note is scored by the compiled helper when it is installed (same numbers)."""
        texts = list(texts)
        if len(texts) == 1 and self._one_note is not None:
            z = self._one_note.logits(check_note(texts[0], where="note 1"))
            if z is not None:
                return self.categories.proba_of_one(z[:len(self.labels)])
        for i, t in enumerate(texts):
            check_note(t, where=f"note {i + 1}")
        return self.scores(texts)[1]

    def classify(self, text: str, id=None, explain: bool = True) -> dict:
        """One result (CONTRACT.md shape) for one note."""
        return self.classify_many([text], ids=[id if id is not None else 1], explain=explain)[0]

    def classify_many(self, texts: Sequence[str] | Iterable[str], ids: Sequence | None = None,
                      explain: bool = True) -> list[dict]:
        """Results for many notes, in order; each equal to what ``classify`` gives for that note.
        ``ids`` default to row numbers from 1."""
        texts = list(texts)
        for i, t in enumerate(texts):
            check_note(t, where=f"note {i + 1}" if len(texts) > 1 else "the note")
        if ids is None:
            ids = list(range(1, len(texts) + 1))
        if not texts:
            return []
        norms = [normalize(t) for t in texts]
        feats, proba, clue_logit = self.scores(texts, [n.text for n in norms])
        assigned = self.categories.decide(proba)
        evidence, E = self.evidence.extract_with_features(texts, norms)
        if self.clue is not None:
            clue_scores = self.clue.stack(clue_logit, E)
        labels = self.labels
        names = self.vectorizer.get_feature_names_out() if explain else None
        out = []
        for i in range(len(texts)):
            chosen = [j for j in range(len(labels)) if assigned[i, j]]
            out.append({
                "id": ids[i],
                "labels": [labels[j] for j in chosen],
                "scores": {lab: round(float(proba[i, j]), 4) for j, lab in enumerate(labels)},
                "clue": None if self.clue is None else bool(clue_scores[i] >= self.clue.threshold_),
                "clue_score": None if self.clue is None else round(float(clue_scores[i]), 4),
                "evidence": evidence[i],
                "highlights": highlights(*feats.row(i), self.categories.coef_, labels, chosen, names, norms[i],
                                         self.vectorizer.segmenter_.spans) if explain else [],
                "model": self.version,
            })
        return out
