"""The serving path: the fitted model's arithmetic, vectorised, without scikit-learn.

Training fits scikit-learn objects (``NoteVectorizer``, ``CategoryClassifier``, ``ClueScorer``).
For serving, the ``from_fitted`` constructors copy out what those objects compute with —
vocabularies, IDF weights, coefficient matrices, thresholds — and the classes here redo the same
computation for a whole batch at once with NumPy:

- every character n-gram (up to 3 characters) becomes an exact 63-bit key made of its code points
  (21 bits each), and every word n-gram a key made of its words' vocabulary indices, so looking
  features up is one ``searchsorted`` over the batch instead of a dict lookup per n-gram;
- counts, sublinear TF, IDF and the per-block L2 norm are computed as
  ``TfidfVectorizer(sublinear_tf=True)`` does;
- scores are sums over each note's own features in a fixed order (``np.bincount``), so a note gets
  bit-for-bit the same result alone or in any batch.

``tests/test_fastpath.py`` proves features and scores equal to the scikit-learn objects' on the
corpus. Why bother: scikit-learn costs ~1.3 ms of validation per call and ~0.8 s of import at a
cold start, and its vectoriser looks n-grams up one by one in Python.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .errors import ConfigurationError
from .normalize import normalize_text
from .segment import Segmenter

__all__ = ["LeanVectorizer", "LeanCategories", "LeanClue", "Features", "sigmoid", "softmax", "decide"]

_BITS = 21  # every Unicode code point fits in 21 bits


def sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.clip(z, -40, 40)))


def softmax(z: np.ndarray) -> np.ndarray:
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def decide(proba: np.ndarray, mode: str, thresholds: np.ndarray) -> np.ndarray:
    """Assigned labels: the most probable class (single-label), or every label whose probability
    reaches its threshold (multi-label)."""
    if mode == "multiclass":
        out = np.zeros_like(proba, dtype=bool)
        out[np.arange(len(proba)), proba.argmax(axis=1)] = True
        return out
    return proba >= thresholds


@dataclass
class Features:
    """TF-IDF features of a batch, sorted by note then feature: note ``i`` owns entries
    ``ptr[i]:ptr[i+1]`` of ``ids`` and ``vals``."""

    n: int
    doc: np.ndarray
    ids: np.ndarray
    vals: np.ndarray
    ptr: np.ndarray

    def row(self, i: int) -> tuple[np.ndarray, np.ndarray]:
        return self.ids[self.ptr[i]:self.ptr[i + 1]], self.vals[self.ptr[i]:self.ptr[i + 1]]

    def matmul(self, W: np.ndarray) -> np.ndarray:
        """``X @ W`` for a dense W (n_features × k), summing each note's terms in a fixed order
        (bincount adds sequentially), so a note's result does not depend on its batch."""
        k = W.shape[1]
        contrib = (self.vals[:, None] * W[self.ids]).ravel()
        slot = (self.doc * k)[:, None] + np.arange(k)
        return np.bincount(slot.ravel(), weights=contrib, minlength=self.n * k).reshape(self.n, k)

    def to_csr(self, n_features: int):
        import scipy.sparse as sp

        return sp.csr_matrix((self.vals.astype(np.float32), self.ids, self.ptr), shape=(self.n, n_features))


def _lookup(keys: np.ndarray, table_keys: np.ndarray, table_ids: np.ndarray) -> np.ndarray:
    """Feature index of each key, -1 where the key is not in the table (sorted ``table_keys``)."""
    if len(table_keys) == 0 or len(keys) == 0:
        return np.full(len(keys), -1, dtype=np.int64)
    pos = table_keys.searchsorted(keys)
    np.minimum(pos, len(table_keys) - 1, out=pos)
    return np.where(table_keys[pos] == keys, table_ids[pos], -1)


class LeanVectorizer:
    """Word + character n-gram TF-IDF, numerically equal to a fitted :class:`NoteVectorizer`."""

    def __init__(self, unigrams: dict[str, int], word_keys, word_ids, char_keys, char_ids, idf, n_word: int,
                 word_ngram_range, char_ngram_range, segmenter: Segmenter, feature_names=None):
        self.unigrams = unigrams
        self.word_keys, self.word_ids = word_keys, word_ids
        self.char_keys, self.char_ids = char_keys, char_ids
        self.idf = np.asarray(idf, dtype=np.float64)
        self.n_word = n_word
        self.word_ngram_range = tuple(word_ngram_range)
        self.char_ngram_range = tuple(char_ngram_range)
        self.segmenter_ = segmenter
        self._feature_names = feature_names

    @classmethod
    def from_fitted(cls, vec, backend: str = "rjieba") -> "LeanVectorizer":
        word, char = vec.word_, vec.char_
        if word.max_features or char.max_features or word.max_df != 1.0 or char.max_df != 1.0:
            raise ConfigurationError("the serving path needs vocabularies without max_features/max_df pruning")
        if char.ngram_range[1] > 3 or word.ngram_range[1] > 3:
            raise ConfigurationError("the serving path supports n-grams of at most 3 characters / 3 words")
        n_word = len(word.vocabulary_)
        unigrams = {k: v for k, v in word.vocabulary_.items() if " " not in k}
        keys, ids = [], []
        for gram, idx in word.vocabulary_.items():
            parts = gram.split(" ")
            if len(parts) > 1:
                # Every word of a kept n-gram is a kept unigram (its document frequency is at least the
                # n-gram's). Digits are index + 1 in base n_word + 1, so keys of different lengths differ.
                key = 0
                for p in parts:
                    key = key * (n_word + 1) + unigrams[p] + 1
                keys.append(key)
                ids.append(idx)
        word_keys, word_ids = _sorted_table(keys, ids)
        ckeys, cids = [], []
        for gram, idx in char.vocabulary_.items():
            ckeys.append(_char_key(gram))
            cids.append(idx + n_word)
        char_keys, char_ids = _sorted_table(ckeys, cids)
        idf = np.concatenate([word.idf_, char.idf_])
        seg = Segmenter(vec.dictionary, vec.stopwords, backend=backend)
        return cls(unigrams, word_keys, word_ids, char_keys, char_ids, idf, n_word, vec.word_ngram_range,
                   vec.char_ngram_range, seg, feature_names=vec.get_feature_names_out())

    @property
    def n_features(self) -> int:
        return len(self.idf)

    def get_feature_names_out(self) -> np.ndarray:
        return self._feature_names

    # -- occurrences -----------------------------------------------------------------------
    # Each returns (note index, feature index) for every n-gram occurrence found in the vocabulary.
    # The keys of all n-gram lengths are looked up together: one searchsorted per batch.
    def _word_occurrences(self, norm_texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
        get = self.unigrams.get
        cut = self.segmenter_.tokens_of_normalized
        flat: list[int] = []
        for nt in norm_texts:
            flat += [get(w, -1) for w in cut(nt)]
            flat.append(-2)  # note boundary: no n-gram crosses it
        arr = np.asarray(flat, dtype=np.int64)
        doc_of = np.cumsum(arr == -2)
        doc_of -= arr == -2
        lo, hi = self.word_ngram_range
        known = arr >= 0
        docs, keys = [], []
        for n in range(max(lo, 2), hi + 1):
            m = len(arr) - n + 1
            if m <= 0:
                break
            ok = known[:m].copy()
            key = arr[:m] + 1
            for i in range(1, n):
                ok &= known[i:m + i]
                key = key * (self.n_word + 1) + arr[i:m + i] + 1
            docs.append(doc_of[:m][ok])
            keys.append(key[ok])
        found = _lookup(_cat(keys), self.word_keys, self.word_ids)
        hit = found >= 0
        if lo == 1:
            return np.concatenate([doc_of[known], _cat(docs)[hit]]), np.concatenate([arr[known], found[hit]])
        return _cat(docs)[hit], found[hit]

    def _char_occurrences(self, norm_texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
        # Whitespace runs fold to one space, as NoteVectorizer's character preprocessor does;
        # NUL (never left by the normaliser) separates notes.
        big = "\x00".join([" ".join(t.split()) for t in norm_texts]) + "\x00"
        cps = np.frombuffer(big.encode("utf-32-le"), dtype=np.uint32).astype(np.int64)
        sep = cps == 0
        doc_of = np.cumsum(sep)
        doc_of -= sep
        real = ~sep
        lo, hi = self.char_ngram_range
        docs, keys = [], []
        for n in range(lo, hi + 1):
            m = len(cps) - n + 1
            if m <= 0:
                break
            ok = real[:m].copy()
            key = cps[:m]
            for i in range(1, n):
                ok &= real[i:m + i]
                key = (key << _BITS) | cps[i:m + i]
            docs.append(doc_of[:m][ok])
            keys.append(key[ok])
        found = _lookup(_cat(keys), self.char_keys, self.char_ids)
        hit = found >= 0
        return _cat(docs)[hit], found[hit]

    def features(self, texts: list[str], normalized: list[str] | None = None) -> Features:
        """TF-IDF features of a batch of notes (``normalized``: their normalised texts, when the
        caller already has them)."""
        n = len(texts)
        norm = normalized if normalized is not None else [normalize_text(t) for t in texts]
        wd, wf = self._word_occurrences(norm)
        cd, cf = self._char_occurrences(norm)
        F = self.n_features
        uniq, counts = np.unique(np.concatenate([wd * F + wf, cd * F + cf]), return_counts=True)
        doc, ids = np.divmod(uniq, F)
        vals = (1.0 + np.log(counts)) * self.idf[ids]
        block = doc * 2 + (ids >= self.n_word)
        sq = np.bincount(block, weights=vals * vals, minlength=2 * n)
        vals /= np.sqrt(sq[block])
        ptr = np.searchsorted(doc, np.arange(n + 1))
        return Features(n, doc, ids, vals, ptr)

    def transform(self, texts):
        """CSR matrix equal to ``NoteVectorizer.transform`` (for tests and evaluation)."""
        return self.features(list(texts)).to_csr(self.n_features)


def _cat(parts: list[np.ndarray]) -> np.ndarray:
    return np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)


def _char_key(gram: str) -> int:
    key = 0
    for ch in gram:
        key = (key << _BITS) | ord(ch)
    return key


def _sorted_table(keys: list[int], ids: list[int]) -> tuple[np.ndarray, np.ndarray]:
    k = np.asarray(keys, dtype=np.int64)
    v = np.asarray(ids, dtype=np.int64)
    order = np.argsort(k, kind="stable")
    return k[order], v[order]


class LeanCategories:
    """Scores and decisions of a fitted :class:`CategoryClassifier`."""

    def __init__(self, labels, coef, intercept, thresholds, mode):
        self.labels_ = list(labels)
        self.coef_ = np.asarray(coef, dtype=np.float64)
        self.intercept_ = np.asarray(intercept, dtype=np.float64)
        self.thresholds_ = np.asarray(thresholds, dtype=np.float64)
        self.mode_ = mode

    @classmethod
    def from_fitted(cls, clf) -> "LeanCategories":
        return cls(clf.labels_, clf.coef_, clf.intercept_, clf.thresholds_, clf.mode_)

    def proba_from_logits(self, z: np.ndarray) -> np.ndarray:
        return softmax(z) if self.mode_ == "multiclass" else sigmoid(z)

    def decide(self, proba: np.ndarray) -> np.ndarray:
        return decide(proba, self.mode_, self.thresholds_)


class LeanClue:
    """Scores of a fitted :class:`ClueScorer`: text logistic regression stacked with evidence."""

    def __init__(self, text_coef, text_intercept, meta_coef, meta_intercept, threshold, use_evidence):
        self.text_coef = np.asarray(text_coef, dtype=np.float64).reshape(-1)
        self.text_intercept = float(np.ravel(text_intercept)[0])
        self.meta_coef = np.asarray(meta_coef, dtype=np.float64)
        self.meta_intercept = float(meta_intercept)
        self.threshold_ = float(threshold)
        self.use_evidence = use_evidence

    @classmethod
    def from_fitted(cls, scorer) -> "LeanClue":
        return cls(scorer.text_.coef_, scorer.text_.intercept_, scorer.meta_.coef_[0], scorer.meta_.intercept_[0],
                   scorer.threshold_, scorer.use_evidence)

    def stack(self, text_logit: np.ndarray, E: np.ndarray) -> np.ndarray:
        """Clue probability from the text model's logit and the evidence features."""
        p = np.clip(sigmoid(text_logit), 1e-6, 1 - 1e-6)
        z = np.log(p / (1 - p)).reshape(-1, 1)
        M = np.hstack([z, np.asarray(E, dtype=np.float64)]) if self.use_evidence else z
        return sigmoid(M @ self.meta_coef + self.meta_intercept)
