"""A small learned character tagger that evidence extraction uses to find where a person's mention
starts and ends (see :mod:`textmine.evidence`).

Every character gets one of three tags — B (begins a span), I (inside one), O (outside) — from a
linear model over *hashed* features of a five-character window: the characters themselves, their
bigrams and a trigram, their classes (surname character, mask such as 某/×, digit, punctuation …),
and *hints*: small per-character codes supplied by the caller (for persons: where the hand-written
rules found a person, a post, a name tag). The rules propose; the tagger, trained on the corpus
annotations, learns where writers put the edges and which proposals they keep.

Why this shape:
- a per-character linear model scores the whole batch with a few numpy gathers (no Python loop
  per character), so it adds little to the cost of extraction;
- tags are decided per character (no Viterbi): spans are runs of B/I, a new span starting at
  every B; on this data a sequence decoder did not pay for its cost;
- feature hashing keeps the model a fixed-size table with no vocabulary to store.

The learned state is ``weights_`` (n_features × 2: the B and I scores relative to O) and
``bias_``; ``save``/``load`` keep them in a compressed ``.npz``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

__all__ = ["CharTagger", "char_classes", "spans_to_tags"]

O, B, I = 0, 1, 2
_PAD = 2  # window half-width: features look two characters to each side
_MULT = np.uint64(0x9E3779B97F4A7C15)

# Character classes: what a character *is*, so that patterns carry over to unseen characters.
_CLASS_SETS = [
    (1, "某×*＊xX○〇"),                        # masks in 张某, 王××, 李**
    (2, "0123456789"),
    (3, "，,。.、；;：:！!？?（）()“”\"'‘’《》【】[]-—…~～/|"),
    (4, " \t\r\n\u3000"),
]


def char_classes(codes: np.ndarray, surnames: str) -> np.ndarray:
    """A small class code per character: 0 other, 1 mask, 2 digit, 3 punctuation, 4 space,
    5 Latin letter, 6 common surname, 7 other CJK."""
    cls = np.zeros(len(codes), dtype=np.uint8)
    cjk = (codes >= 0x4E00) & (codes <= 0x9FFF)
    cls[cjk] = 7
    cls[np.isin(codes, np.frombuffer(surnames.encode("utf-32-le"), dtype=np.uint32))] = 6
    latin = ((codes >= 65) & (codes <= 90)) | ((codes >= 97) & (codes <= 122))
    cls[latin] = 5
    for code, chars in _CLASS_SETS:
        cls[np.isin(codes, np.frombuffer(chars.encode("utf-32-le"), dtype=np.uint32))] = code
    return cls


def spans_to_tags(n: int, spans: list[tuple[int, int]]) -> np.ndarray:
    """BIO tags (O=0, B=1, I=2) of ``n`` characters; overlapping spans: the longer one wins."""
    tags = np.zeros(n, dtype=np.int8)
    for s, e in sorted(spans, key=lambda p: p[0] - p[1]):
        if e > s and not tags[s:e].any():
            tags[s] = B
            tags[s + 1:e] = I
    return tags


def _decode(tags: np.ndarray) -> list[tuple[int, int]]:
    """Spans of a tag sequence: a span starts at B, or at an I after O, and runs over the I's."""
    inside = tags != O
    starts = inside & ((tags == B) | ~np.concatenate(([False], inside[:-1])))
    idx = np.flatnonzero(starts)
    if not len(idx):
        return []
    # a span ends before the next start or at the first O after its start
    stops = np.flatnonzero(~np.concatenate((inside, [False])))
    ends = np.minimum(stops[np.searchsorted(stops, idx)], np.append(idx[1:], len(tags)))
    return list(zip(idx.tolist(), ends.tolist()))


class CharTagger:
    """BIO character tagger: a linear model over hashed window features (see module docstring).

    Parameters
    ----------
    n_bits : int
        The feature table has ``2**n_bits`` rows.
    alpha : float
        L2 regularisation of the SGD fit.
    epochs : int
        Passes over the training characters.
    surnames : str
        Characters given the "surname" class.
    random_state : int
        Seed of the SGD shuffling.
    """

    def __init__(self, n_bits: int = 20, alpha: float = 1e-6, epochs: int = 8, surnames: str = "",
                 random_state: int = 0):
        self.n_bits = n_bits
        self.alpha = alpha
        self.epochs = epochs
        self.surnames = surnames
        self.random_state = random_state

    # ---------------------------------------------------------------- features
    def _hashed(self, texts: list[str], hints: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
        """Feature rows (n_chars_total × n_templates) of all texts and where each text starts.

        Texts are laid end to end with ``_PAD`` blank characters between them, so one window
        never sees two notes and every note is featurised in one pass of numpy operations."""
        lengths = np.fromiter((len(t) for t in texts), dtype=np.int64, count=len(texts))
        offsets = np.concatenate(([0], np.cumsum(lengths + _PAD)))[:-1] + _PAD
        joined = (" " * _PAD).join(texts)
        total = _PAD + len(joined) + _PAD
        c = np.zeros(total, dtype=np.uint64)
        c[_PAD:_PAD + len(joined)] = np.frombuffer(joined.encode("utf-32-le"), dtype=np.uint32)
        k = char_classes(c.astype(np.uint32), self.surnames).astype(np.uint64)
        h = np.zeros(total, dtype=np.uint64)
        for off, hint in zip(offsets, hints):
            h[off:off + len(hint)] = hint
        n = total - 2 * _PAD

        def at(a, d):  # a[i + d] for every character i of the joined texts
            return a[_PAD + d:_PAD + d + n]

        templates = [
            (at(c, 0),), (at(c, -1),), (at(c, 1),), (at(c, -2),), (at(c, 2),),
            (at(c, -1), at(c, 0)), (at(c, 0), at(c, 1)), (at(c, -2), at(c, -1)), (at(c, 1), at(c, 2)),
            (at(c, -1), at(c, 0), at(c, 1)),
            (at(k, -2), at(k, -1), at(k, 0)), (at(k, -1), at(k, 0), at(k, 1)), (at(k, 0), at(k, 1), at(k, 2)),
            (at(h, -1), at(h, 0), at(h, 1)), (at(h, 0), at(c, 0)), (at(h, -1), at(h, 0), at(c, -1)),
            (at(h, 0), at(h, 1), at(c, 1)), (at(h, -2), at(h, -1), at(h, 0), at(h, 1), at(h, 2)),
        ]
        shift = np.uint64(64 - self.n_bits)
        X = np.empty((n, len(templates)), dtype=np.int64)
        for j, cols in enumerate(templates):
            v = np.full(n, (j + 1) * 0x100000001B3, dtype=np.uint64)
            for col in cols:
                v = (v ^ col) * _MULT
            X[:, j] = (v >> shift).astype(np.int64)
        starts = offsets - _PAD  # offsets into the feature rows
        return X, starts

    # ---------------------------------------------------------------- fit / predict
    def fit(self, texts: list[str], spans: list[list[tuple[int, int]]], hints: list[np.ndarray]):
        """Learn from texts, their gold spans and their hint codes (one small int per character)."""
        from scipy.sparse import csr_matrix
        from sklearn.linear_model import SGDClassifier

        if not (len(texts) == len(spans) == len(hints)):
            raise ValueError(f"texts, spans and hints differ in length: {len(texts)}, {len(spans)}, {len(hints)}")
        X, starts = self._hashed(texts, hints)
        keep = np.concatenate([np.arange(s, s + len(t)) for s, t in zip(starts, texts)])
        y = np.concatenate([spans_to_tags(len(t), sp) for t, sp in zip(texts, spans)])
        X = X[keep]
        rows = np.repeat(np.arange(len(X)), X.shape[1])
        M = csr_matrix((np.ones(X.size, dtype=np.float32), (rows, X.ravel())), shape=(len(X), 2 ** self.n_bits))
        M.sum_duplicates()
        model = SGDClassifier(loss="modified_huber", alpha=self.alpha, max_iter=self.epochs, tol=None,
                              average=True, random_state=self.random_state).fit(M, y)
        W = model.coef_.T  # n_features × 3 (O, B, I), one-vs-rest scores
        # Only score differences to O matter for the arg-max, so two columns are enough.
        self.weights_ = (W[:, 1:] - W[:, :1]).astype(np.float32)
        self.bias_ = (model.intercept_[1:] - model.intercept_[0]).astype(np.float32)
        return self

    def predict_spans(self, texts: list[str], hints: list[np.ndarray]) -> list[list[tuple[int, int]]]:
        """Spans ``(start, end)`` per text, in that text's character offsets."""
        if not texts:
            return []
        X, starts = self._hashed(texts, hints)
        S = self.weights_[X].sum(axis=1) + self.bias_  # n × 2: B and I scores relative to O
        tags = np.where(S.max(axis=1) > 0, S.argmax(axis=1) + 1, O).astype(np.int8)
        return [_decode(tags[s:s + len(t)]) for s, t in zip(starts, texts)]

    # ---------------------------------------------------------------- persistence
    def save(self, path: Path | str) -> None:
        rows = np.flatnonzero(np.abs(self.weights_).sum(axis=1) > 0)
        np.savez_compressed(path, n_bits=self.n_bits, rows=rows.astype(np.int32),
                            weights=self.weights_[rows].astype(np.float16), bias=self.bias_,
                            surnames=np.array(self.surnames))

    @classmethod
    def load(cls, path: Path | str) -> "CharTagger":
        with np.load(path) as z:
            tagger = cls(n_bits=int(z["n_bits"]), surnames=str(z["surnames"]))
            weights = np.zeros((2 ** tagger.n_bits, 2), dtype=np.float32)
            weights[z["rows"]] = z["weights"].astype(np.float32)
            tagger.weights_ = weights
            tagger.bias_ = z["bias"].astype(np.float32)
        return tagger
