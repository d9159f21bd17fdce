"""The serving path: the fitted model's arithmetic, vectorised, without scikit-learn.

Training fits scikit-learn objects (``NoteVectorizer``, ``CategoryClassifier``, ``ClueScorer``).
For serving, the ``from_fitted`` constructors copy out what those objects compute with —
vocabularies, IDF weights, coefficient matrices, thresholds — and the classes here redo the same
computation for a whole batch at once with NumPy:

- the whole batch is segmented in one jieba-rs call (notes joined by a line break, which the
  normaliser never leaves inside a note and jieba always cuts as a token of its own);
- every character n-gram (up to 3 characters) becomes an exact 63-bit key made of its code points
  (21 bits each), and every word n-gram a key made of its words' vocabulary indices, so looking
  features up is a few vectorised probes of an open-addressing hash table (:class:`KeyTable`) for
  the whole batch instead of a dict lookup per n-gram;
- counts, sublinear TF, IDF and the per-block L2 norm are computed as
  ``TfidfVectorizer(sublinear_tf=True)`` does;
- scores are sums over each note's own features in a fixed order (SciPy's compiled CSR × dense
  kernel, which adds a row's terms one after another), so a note gets bit-for-bit the same result
  alone or in any batch.

One note alone would pay NumPy's fixed cost per call some 30 times; :class:`OneNoteScorer` does
the same arithmetic for it in one call of an optional C helper (``_fastscore.c``), with the same
results to the last bit, and the NumPy path stands in where the helper was not built.

``tests/test_fastpath.py`` proves features and scores equal to the scikit-learn objects' on the
corpus, and the helper's equal to the NumPy path's. Why bother: scikit-learn costs ~1.3 ms of validation per call and ~0.8 s of import at a
cold start, and its vectoriser looks n-grams up one by one in Python.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from itertools import repeat

import numpy as np

from .errors import ConfigurationError
from .normalize import codepoint_table, normalize_text
from .segment import Segmenter

__all__ = ["KeyTable", "LeanVectorizer", "OneNoteScorer", "LeanCategories", "LeanClue", "Features", "sigmoid",
           "softmax", "decide"]

_BITS = 21  # every Unicode code point fits in 21 bits


def sigmoid(z: np.ndarray) -> np.ndarray:
    # minimum/maximum rather than np.clip: the same values, without clip's ~1 µs of Python wrapper
    # (it counts when one note is scored at a time).
    return 1.0 / (1.0 + np.exp(-np.minimum(np.maximum(z, -40.0), 40.0)))


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
        """``X @ W`` for a dense, C-ordered float64 W (n_features × k).

        SciPy's CSR kernel adds each note's terms one after another in feature order, so a note's
        result does not depend on its batch; called directly, it skips ``csr_matrix``'s ~50 µs of
        input checks per call (the arrays here are built consistent)."""
        from scipy.sparse import _sparsetools

        k = W.shape[1]
        out = np.zeros((self.n, k))
        _sparsetools.csr_matvecs(self.n, W.shape[0], k, self.ptr, self.ids, self.vals, W.ravel(), out.ravel())
        return out

    def to_csr(self, n_features: int):
        import scipy.sparse as sp

        return sp.csr_matrix((self.vals.astype(np.float32), self.ids, self.ptr), shape=(self.n, n_features))


_GOLDEN = np.uint64(0x9E3779B97F4A7C15)  # Fibonacci hashing: 2^64 / golden ratio
_STEP = np.uint64(0xC2B2AE3D27D4EB4F)    # a second odd multiplier for the probe step


class KeyTable:
    """Feature ids of non-negative 63-bit n-gram keys.

    Two ways to look keys up, chosen by how many there are:

    - a few (one note): a binary search over the sorted keys, one NumPy call — per-call overhead
      is what counts here;
    - many (a batch): an open-addressing hash table with double hashing (each key probes slots
      home, home + step, home + 2·step … with its own odd step), at most half full, probed for
      all keys at once: each round is a few NumPy passes over the keys still unresolved, most
      resolve in the first round, and the chance of needing more than k rounds falls like 0.5^k.
      About 4x faster than the binary search on a batch of 10,000 titles.

    Only the sorted keys are saved with a model; the hash table is built (in ~30 ms for 300,000
    keys) the first time it is needed: a batch, or :class:`OneNoteScorer`, whose C helper probes
    the same table one key at a time.
    """

    SMALL = 2048  # fewer keys than this: the binary search

    def __init__(self, keys, ids):
        keys = np.asarray(keys, dtype=np.int64)
        order = np.argsort(keys, kind="stable")
        self.sorted_keys = keys[order]
        self.sorted_ids = np.asarray(ids, dtype=np.int64)[order]

    def __getstate__(self):
        return {"sorted_keys": self.sorted_keys, "sorted_ids": self.sorted_ids}

    def __len__(self) -> int:
        return len(self.sorted_keys)

    @cached_property
    def _hashed(self) -> tuple[np.ndarray, np.ndarray, int]:
        """The hash table: (slot keys, slot ids, log2 of the number of slots); -1 marks a free slot."""
        keys, ids = self.sorted_keys, self.sorted_ids
        bits = max(4, int(np.ceil(np.log2(max(len(keys), 1) * 2))))
        size = 1 << bits
        table_keys = np.full(size, -1, dtype=np.int64)
        table_ids = np.full(size, -1, dtype=np.int64)
        slot, step = _probe(keys, bits)
        pending = np.arange(len(keys))
        while len(pending):
            s = slot[pending]
            free = table_keys[s] == -1
            s, first = np.unique(s[free], return_index=True)  # one key per free slot this round
            won = pending[free][first]
            table_keys[s], table_ids[s] = keys[won], ids[won]
            placed = np.zeros(len(keys), dtype=bool)
            placed[won] = True
            pending = pending[~placed[pending]]
            slot[pending] = (slot[pending] + step[pending]) & (size - 1)  # the slot it wanted is taken now
        return table_keys, table_ids, bits

    def lookup(self, keys: np.ndarray) -> np.ndarray:
        """Feature id of each key, -1 where the key is not in the table."""
        if len(self.sorted_keys) == 0:
            return np.full(len(keys), -1, dtype=np.int64)
        if len(keys) < self.SMALL:
            pos = self.sorted_keys.searchsorted(keys)
            np.minimum(pos, len(self.sorted_keys) - 1, out=pos)
            return np.where(self.sorted_keys[pos] == keys, self.sorted_ids[pos], -1)
        table_keys, table_ids, bits = self._hashed
        mask = len(table_keys) - 1
        slot, step = _probe(keys, bits)
        found = table_keys[slot]
        out = np.where(found == keys, table_ids[slot], -1)
        pending = np.flatnonzero((found != keys) & (found != -1))  # an other key sits there: probe on
        while len(pending):
            s = slot[pending] = (slot[pending] + step[pending]) & mask
            found = table_keys[s]
            hit = found == keys[pending]
            out[pending[hit]] = table_ids[s[hit]]
            pending = pending[~hit & (found != -1)]
        return out


def _probe(keys: np.ndarray, bits: int) -> tuple[np.ndarray, np.ndarray]:
    """Home slot and (odd) probe step of each key in a table of 2^bits slots."""
    u = keys.astype(np.uint64)
    shift = np.uint64(64 - bits)
    return (u * _GOLDEN >> shift).astype(np.int64), (u * _STEP >> shift).astype(np.int64) | 1


class LeanVectorizer:
    """Word + character n-gram TF-IDF, numerically equal to a fitted :class:`NoteVectorizer`."""

    def __init__(self, unigrams: dict[str, int], word_table: KeyTable, char_table: KeyTable, idf, n_word: int,
                 word_ngram_range, char_ngram_range, segmenter: Segmenter, feature_names=None):
        self.unigrams = unigrams
        self.word_table = word_table
        self.char_table = char_table
        self.idf = np.asarray(idf, dtype=np.float64)
        self.n_word = n_word
        self.word_ngram_range = tuple(word_ngram_range)
        self.char_ngram_range = tuple(char_ngram_range)
        self.segmenter_ = segmenter
        self._feature_names = feature_names

    def __getstate__(self):
        state = dict(self.__dict__)
        state.pop("_token_ids", None)
        return state

    def __setstate__(self, state):
        # Models saved before the hash tables kept sorted key arrays: build the tables from them.
        for kind in ("word", "char"):
            if f"{kind}_table" not in state:
                state[f"{kind}_table"] = KeyTable(state.pop(f"{kind}_keys"), state.pop(f"{kind}_ids"))
        self.__dict__.update(state)

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
        char_grams = list(char.vocabulary_.items())
        char_table = KeyTable([_char_key(g) for g, _ in char_grams], [i + n_word for _, i in char_grams])
        idf = np.concatenate([word.idf_, char.idf_])
        seg = Segmenter(vec.dictionary, vec.stopwords, backend=backend)
        return cls(unigrams, KeyTable(keys, ids), char_table, idf, n_word, vec.word_ngram_range,
                   vec.char_ngram_range, seg, feature_names=vec.get_feature_names_out())

    @property
    def n_features(self) -> int:
        return len(self.idf)

    def get_feature_names_out(self) -> np.ndarray:
        return self._feature_names

    # -- occurrences -----------------------------------------------------------------------
    # Each returns (note index, feature index) for every n-gram occurrence found in the vocabulary.
    # The keys of all n-gram lengths are looked up together: one table probe per batch.
    _SKIP, _BOUNDARY, _UNKNOWN = -3, -2, -1

    @property
    def token_ids(self) -> dict[str, int]:
        """Vocabulary index of each unigram; stopwords and the space token map to ``_SKIP`` (the
        reference tokenizer drops them before forming n-grams), the note separator to ``_BOUNDARY``."""
        ids = getattr(self, "_token_ids", None)
        if ids is None:
            ids = dict.fromkeys(self.segmenter_.stopword_set, self._SKIP)
            ids.update(self.unigrams)
            ids[" "] = self._SKIP  # the normaliser leaves no other whitespace
            ids["\n"] = self._BOUNDARY
            self._token_ids = ids
        return ids

    def _word_occurrences(self, batch: "_Batch") -> tuple[np.ndarray, np.ndarray]:
        get = self.token_ids.get
        # One segmenter call for the batch: normalised notes hold no line break, and jieba always
        # cuts one as a token of its own, so it separates notes without changing their tokens.
        tokens = self.segmenter_.raw_tokens(batch.joined())
        arr = np.fromiter(map(get, tokens, repeat(self._UNKNOWN)), dtype=np.int64, count=len(tokens))
        arr = arr[arr != self._SKIP]
        boundary = arr == self._BOUNDARY
        doc_of = np.cumsum(boundary)
        doc_of -= boundary
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
        found = self.word_table.lookup(_cat(keys))
        hit = found >= 0
        if lo == 1:
            return np.concatenate([doc_of[known], _cat(docs)[hit]]), np.concatenate([arr[known], found[hit]])
        return _cat(docs)[hit], found[hit]

    def _char_occurrences(self, batch: "_Batch") -> tuple[np.ndarray, np.ndarray]:
        cps, doc_of = batch.folded()
        lo, hi = self.char_ngram_range
        docs, keys = [], []
        for n in range(lo, hi + 1):
            m = len(cps) - n + 1
            if m <= 0:
                break
            ok = doc_of[:m] == doc_of[n - 1:]  # the n-gram lies within one note
            key = cps[:m]
            for i in range(1, n):
                key = (key << _BITS) | cps[i:m + i]
            docs.append(doc_of[:m][ok])
            keys.append(key[ok])
        found = self.char_table.lookup(_cat(keys))
        hit = found >= 0
        return _cat(docs)[hit], found[hit]

    def features(self, texts: list[str], normalized: list[str] | None = None) -> Features:
        """TF-IDF features of a batch of notes (``normalized``: their normalised texts, when the
        caller already has them)."""
        n = len(texts)
        batch = _Batch(normalized, n, False) if normalized is not None else _Batch(texts, n, True)
        wd, wf = self._word_occurrences(batch)
        cd, cf = self._char_occurrences(batch)
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


class OneNoteScorer:
    """Logits of one note (``X @ W + b``), and with :meth:`scored` its TF-IDF features, in one call
    of the optional C helper (``textmine/_fastscore.c``), bit-for-bit equal to the NumPy path's.

    :meth:`build` returns None when the helper was not compiled at install time (no C compiler);
    :meth:`logits` and :meth:`scored` return None for a note the helper leaves to NumPy (a feature
    counted more often than the log table covers).
    """

    LOG_TABLE = 4096

    def __init__(self, vectorizer: LeanVectorizer, scorer):
        self._scorer = scorer
        seg = vectorizer.segmenter_
        if seg.backend == "rjieba":  # raw_tokens without its two Python call layers
            cut = seg.tokenizer.cut
            self._raw_tokens = lambda text: cut(text, False)
        else:
            self._raw_tokens = seg.raw_tokens

    @classmethod
    def build(cls, vectorizer: LeanVectorizer, W: np.ndarray, b: np.ndarray) -> "OneNoteScorer | None":
        try:
            from ._fastscore import Scorer
        except ImportError:
            return None
        # 1 + log(count) exactly as the NumPy path computes it (the C library's log may round differently).
        log_table = 1.0 + np.log(np.arange(cls.LOG_TABLE, dtype=np.int64)[1:])
        log_table = np.concatenate([[np.nan], log_table])

        def i64(a):
            return np.ascontiguousarray(a, dtype=np.int64)

        def f64(a):
            return np.ascontiguousarray(a, dtype=np.float64)

        (ck, ci, cbits), (wk, wi, wbits) = vectorizer.char_table._hashed, vectorizer.word_table._hashed
        # Single characters of the Basic Multilingual Plane by direct index (a key of one character
        # is its code point).
        char1 = np.full(0x10000, -1, dtype=np.int64)
        keys, ids = vectorizer.char_table.sorted_keys, vectorizer.char_table.sorted_ids
        one = keys < 0x10000
        char1[keys[one]] = ids[one]
        # Side by side, so that one memory read brings what belongs together: a slot's key and id,
        # a feature's idf and weights (the tables are far larger than the CPU caches).
        scorer = Scorer(vectorizer.token_ids, i64(np.stack([ck, ci], axis=1)), cbits, i64(np.stack([wk, wi], axis=1)),
                        wbits, f64(np.hstack([vectorizer.idf[:, None], W])), f64(b), f64(log_table), char1,
                        vectorizer.n_word, *vectorizer.word_ngram_range, *vectorizer.char_ngram_range)
        return cls(vectorizer, scorer)  # the scorer holds its arrays' buffers (and so the arrays)

    def logits(self, text: str) -> tuple[float, ...] | None:
        """The ``k`` logits of ``text`` (raw, not yet normalised), or None."""
        return self._run(normalize_text(text), False)

    def scored(self, normalized: str) -> tuple[tuple[float, ...], Features] | None:
        """Logits and TF-IDF features of one already-normalised note, or None."""
        out = self._run(normalized, True)
        if out is None:
            return None
        z, ids, vals = out
        ids, vals = np.frombuffer(ids, dtype=np.int64), np.frombuffer(vals, dtype=np.float64)
        return z, Features(1, np.zeros(len(ids), dtype=np.int64), ids, vals, np.array([0, len(ids)]))

    def _run(self, norm: str, features: bool):
        # (The batch path cuts notes joined by line breaks; a line break is a token of its own that
        # ends every n-gram, so cutting the note alone gives the same n-grams.)
        return self._scorer.logits(" ".join(norm.split()), self._raw_tokens(norm), features)


class _Batch:
    """The normalised notes of a batch, as the word and character paths each need them."""

    SMALL = 16  # up to this many notes, plain string methods are cheaper than NumPy's fixed costs

    def __init__(self, texts: list[str], n: int, normalize: bool):
        self.n = n
        if n <= self.SMALL:
            norm = [normalize_text(t) for t in texts] if normalize else list(texts)
            self._joined = "\n".join(norm) + "\n"
            folded = [" ".join(t.split()) for t in norm]
            lengths = np.fromiter(map(len, folded), dtype=np.int64, count=n)
            cps = np.frombuffer("".join(folded).encode("utf-32-le"), dtype=np.uint32).astype(np.int64)
            self._folded = cps, np.repeat(np.arange(n), lengths)
            return
        lengths = np.fromiter(map(len, texts), dtype=np.int64, count=n)
        cps = np.frombuffer("".join(texts).encode("utf-32-le"), dtype=np.uint32).astype(np.int64)
        doc = np.repeat(np.arange(n), lengths)
        if normalize:  # normalize_text, for the whole batch at once
            cps = codepoint_table()[cps]
            kept = cps >= 0
            cps, doc = cps[kept].astype(np.int64), doc[kept]
        self.cps, self.doc = cps, doc
        self._joined = self._folded = None

    def joined(self) -> str:
        """The normalised notes as one string, a line break after each."""
        if self._joined is None:
            ends = np.cumsum(np.bincount(self.doc, minlength=self.n))
            self._joined = np.insert(self.cps, ends, 10).astype(np.uint32).tobytes().decode("utf-32-le")
        return self._joined

    def folded(self) -> tuple[np.ndarray, np.ndarray]:
        """Code points and notes with each note's whitespace folded as ``" ".join(note.split())``
        (NoteVectorizer's character preprocessor; the normaliser leaves no whitespace but " ")."""
        if self._folded is None:
            cps, doc = self.cps, self.doc
            space = cps == 32
            starts = np.ones(len(cps), dtype=bool)
            starts[1:] = doc[1:] != doc[:-1]
            after_space = np.zeros(len(cps), dtype=bool)
            after_space[1:] = space[:-1]
            kept = ~(space & (starts | after_space))  # leading spaces and all but the first of a run
            cps, doc = cps[kept], doc[kept]
            ends = np.ones(len(cps), dtype=bool)
            ends[:-1] = doc[1:] != doc[:-1]
            kept = ~((cps == 32) & ends)  # what is left of a trailing run
            self._folded = cps[kept], doc[kept]
        return self._folded


def _cat(parts: list[np.ndarray]) -> np.ndarray:
    return np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)


def _char_key(gram: str) -> int:
    key = 0
    for ch in gram:
        key = (key << _BITS) | ord(ch)
    return key



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

    def proba_of_one(self, z: tuple[float, ...]) -> np.ndarray:
        """:meth:`proba_from_logits` of one note's logits given as floats (a ``(1, k)`` array, the
        same numbers): the max is subtracted in Python, which saves two NumPy calls per note."""
        if self.mode_ == "multiclass":
            top = max(z)
            e = np.exp(np.array([[v - top for v in z]]))
            return e / np.add.reduce(e, axis=1, keepdims=True)
        return sigmoid(np.array([z]))

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
