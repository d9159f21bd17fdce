"""Stage 3: turn notes into TF-IDF features — segmented words plus character n-grams.

Words carry the domain vocabulary (the dictionary keeps 四议两公开 and 征地补偿款 whole);
character n-grams carry what segmentation misses: typos (低包), unseen names and dialect, and
Traditional text the normaliser could not fold. Both are sublinear TF-IDF, L2-normalised, and
stacked side by side.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.utils.validation import check_is_fitted

from .normalize import normalize_text
from .segment import DEFAULT_DICTIONARY, DEFAULT_STOPWORDS, Segmenter

__all__ = ["NoteVectorizer"]


class NoteVectorizer(TransformerMixin, BaseEstimator):
    """Word and character n-gram TF-IDF features for Chinese notes.

    Parameters
    ----------
    word_ngram_range, char_ngram_range : (int, int)
        n-gram ranges for jieba words and for characters.
    min_df : int
        Ignore features seen in fewer notes than this.
    max_features : int or None
        Keep at most this many features of each kind (by corpus frequency).
    dictionary, stopwords, backend :
        Passed to :class:`~textmine.segment.Segmenter`.
    """

    def __init__(self, word_ngram_range=(1, 2), char_ngram_range=(1, 3), min_df=1, max_features=None,
                 dictionary=DEFAULT_DICTIONARY, stopwords=DEFAULT_STOPWORDS, backend="jieba"):
        self.word_ngram_range = word_ngram_range
        self.char_ngram_range = char_ngram_range
        self.min_df = min_df
        self.max_features = max_features
        self.dictionary = dictionary
        self.stopwords = stopwords
        self.backend = backend

    def _make(self):
        self.segmenter_ = Segmenter(self.dictionary, self.stopwords, backend=self.backend)
        self.word_ = TfidfVectorizer(tokenizer=self.segmenter_, token_pattern=None, lowercase=False,
                                     ngram_range=tuple(self.word_ngram_range), min_df=self.min_df,
                                     max_features=self.max_features, sublinear_tf=True, dtype=np.float32)
        self.char_ = TfidfVectorizer(analyzer="char", preprocessor=_char_preprocess, lowercase=False,
                                     ngram_range=tuple(self.char_ngram_range), min_df=self.min_df,
                                     max_features=self.max_features, sublinear_tf=True, dtype=np.float32)

    def fit(self, X, y=None):
        self.fit_transform(X)
        return self

    def fit_transform(self, X, y=None):
        X = list(X)
        self._make()
        return sp.hstack([self.word_.fit_transform(X), self.char_.fit_transform(X)], format="csr")

    def transform(self, X):
        check_is_fitted(self, "word_")
        X = list(X)
        return sp.hstack([self.word_.transform(X), self.char_.transform(X)], format="csr")

    def get_feature_names_out(self, input_features=None):
        check_is_fitted(self, "word_")
        words = ["w:" + f for f in self.word_.get_feature_names_out()]
        chars = ["c:" + f for f in self.char_.get_feature_names_out()]
        return np.asarray(words + chars, dtype=object)


def _char_preprocess(text: str) -> str:
    # Whitespace runs carry nothing for Chinese character n-grams; fold them to one space.
    return " ".join(normalize_text(text).split())
