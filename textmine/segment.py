"""Stage 2: segment Chinese text into words with jieba and the domain dictionary.

:class:`Segmenter` owns its own tokenizer (never jieba's module-level global one), loaded with
the domain dictionary in ``corpora/lexicon/domain_dict.txt``. Loading a jieba dictionary takes
about a second, so loaded tokenizers are shared per process, keyed by backend and dictionary
content; the Segmenter itself pickles as its settings only and reloads on first use after
unpickling (in a worker process, or after ``joblib.load``).

Backends:
- ``"jieba"`` — the reference, pure Python;
- ``"rjieba"`` — jieba-rs through the ``rjieba`` binding, the same algorithm and dictionary in
  Rust, many times faster. With HMM off (textmine's setting) both give the same tokens; the
  benchmark measures the agreement on the corpus.

HMM (new-word discovery) is off: it makes tokens depend on the HMM model's guesses, which
differ between backends, and the character n-gram features already cover unseen words.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import threading
from collections.abc import Iterator
from pathlib import Path

from .errors import ConfigurationError
from .normalize import normalize_text
from .settings import LEXICON_DIR

__all__ = ["Segmenter", "load_stopwords", "DEFAULT_DICTIONARY", "DEFAULT_STOPWORDS"]

log = logging.getLogger(__name__)

DEFAULT_DICTIONARY = LEXICON_DIR / "domain_dict.txt"
DEFAULT_STOPWORDS = LEXICON_DIR / "stopwords.txt"
BACKENDS = ("jieba", "rjieba")

_LOADED: dict[tuple[str, str], object] = {}
_LOCK = threading.Lock()
# Token memo used while training: cross-validation refits the vectoriser on overlapping folds,
# and segmenting the same notes again each time would dominate training time.
_MEMO: dict | None = None


@contextlib.contextmanager
def memoized():
    """Within this block, every Segmenter remembers the tokens of notes it has cut."""
    global _MEMO
    outer = _MEMO
    _MEMO = {} if outer is None else outer
    try:
        yield
    finally:
        _MEMO = outer


def file_sha256(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def read_dictionary(path: Path) -> list[tuple[str, int | None, str | None]]:
    """Entries of a jieba user dictionary: ``word [freq] [tag]`` per line."""
    entries = []
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        parts = line.strip().split()
        if not parts or parts[0].startswith("#"):
            continue
        freq = int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else None
        tag = parts[2] if len(parts) > 2 else None
        entries.append((parts[0], freq, tag))
    return entries


def load_stopwords(path: Path | None = DEFAULT_STOPWORDS) -> frozenset[str]:
    """The stopword list, one word per line (empty when ``path`` is None)."""
    if path is None:
        return frozenset()
    words = (w.strip() for w in Path(path).read_text(encoding="utf-8").splitlines())
    return frozenset(w for w in words if w and not w.startswith("#"))


def _cache_dir() -> Path:
    # jieba writes a pickled prefix dictionary once and reads it back on later starts (~3x faster).
    from .settings import get_settings

    path = get_settings().cache_dir
    try:
        path.mkdir(parents=True, exist_ok=True)
        return path
    except OSError:
        import tempfile

        return Path(tempfile.gettempdir())


def _load_tokenizer(backend: str, dictionary: Path | None):
    if backend == "jieba":
        import jieba  # ~70 ms of import: only when jieba itself is the backend

        jieba.setLogLevel(logging.WARNING)
        tok = jieba.Tokenizer()
        tok.tmp_dir = str(_cache_dir())
        tok.initialize()
        add = tok.add_word
    else:
        import rjieba

        tok = rjieba.Jieba()

        def add(word, freq=None, tag=None):
            tok.add_word(word, freq, tag)

    if dictionary is not None:
        for word, freq, tag in read_dictionary(dictionary):
            add(word, freq, tag)
    return tok


class Segmenter:
    """Callable that turns a note into a list of words (normalised, stopwords removed).

    Parameters
    ----------
    dictionary : path or None
        jieba user dictionary (``word freq tag`` per line); the domain dictionary by default.
    stopwords : path or None
        Stopword list; ``None`` keeps every token.
    backend : {"jieba", "rjieba"}
        Segmentation engine; see the module docstring.
    """

    def __init__(self, dictionary: Path | str | None = DEFAULT_DICTIONARY,
                 stopwords: Path | str | None = DEFAULT_STOPWORDS, backend: str = "jieba"):
        if backend not in BACKENDS:
            raise ConfigurationError(f"unknown segmenter backend {backend!r}; use one of {', '.join(BACKENDS)}")
        self.dictionary = Path(dictionary) if dictionary is not None else None
        self.stopwords = Path(stopwords) if stopwords is not None else None
        self.backend = backend
        self._tok = None
        self._stop: frozenset[str] | None = None

    # -- pickling: settings only; the tokenizer is rebuilt (or shared) in the new process ------
    def __getstate__(self):
        return {"dictionary": self.dictionary, "stopwords": self.stopwords, "backend": self.backend,
                "_tok": None, "_stop": self._stop}

    def __setstate__(self, state):
        self.__dict__.update(state)
        # A model moved to another checkout: use the lexicons shipped with this one (the manifest's
        # dictionary hash says whether they are the ones the model was trained with).
        if self.dictionary is not None and not Path(self.dictionary).exists():
            self.dictionary = DEFAULT_DICTIONARY
        if self.stopwords is not None and not Path(self.stopwords).exists():
            self.stopwords = DEFAULT_STOPWORDS

    def __repr__(self):
        return f"Segmenter(dictionary={self.dictionary!s}, backend={self.backend!r})"

    @property
    def tokenizer(self):
        """The loaded tokenizer, shared by every Segmenter of the same backend and dictionary."""
        if self._tok is None:
            key = (self.backend, file_sha256(self.dictionary) if self.dictionary else "")
            with _LOCK:
                tok = _LOADED.get(key)
                if tok is None:
                    tok = _LOADED[key] = _load_tokenizer(self.backend, self.dictionary)
            self._tok = tok
        return self._tok

    @property
    def stopword_set(self) -> frozenset[str]:
        if self._stop is None:
            self._stop = load_stopwords(self.stopwords)
        return self._stop

    def raw_tokens(self, text: str) -> list[str]:
        """Every token of ``text`` in order, whitespace included (their lengths add up to ``len(text)``)."""
        if self.backend == "jieba":
            return self.tokenizer.lcut(text, HMM=False)
        return self.tokenizer.cut(text, False)

    def cut(self, text: str) -> list[str]:
        """All tokens of already-normalised text, in order, whitespace dropped."""
        return [w for w in self.raw_tokens(text) if not w.isspace()]

    def __call__(self, text: str) -> list[str]:
        """Tokens for features: normalise, cut, drop stopwords and whitespace."""
        if _MEMO is not None:
            key = (self.backend, str(self.dictionary), text)
            words = _MEMO.get(key)
            if words is None:
                words = _MEMO[key] = self.tokens_of_normalized(normalize_text(text))
            return words
        return self.tokens_of_normalized(normalize_text(text))

    def tokens_of_normalized(self, text: str) -> list[str]:
        """Tokens for features of already-normalised text (stopwords and whitespace dropped)."""
        stop = self.stopword_set
        return [w for w in self.cut(text) if w not in stop]

    def spans(self, text: str) -> Iterator[tuple[str, int, int]]:
        """``(word, start, end)`` for each token of already-normalised ``text``."""
        pos = 0
        for w in self.raw_tokens(text):
            start = pos
            pos += len(w)
            if not w.isspace():
                yield w, start, pos


def warm_up(segmenter: Segmenter) -> None:
    """Load the tokenizer now (at service start-up) rather than on the first request."""
    segmenter.tokenizer
    segmenter.stopword_set
    log.debug("segmenter ready: %r (pid %d)", segmenter, os.getpid())
