"""Tag a large batch on several cores: worker processes, each with its own copy of the model.

One Python process uses one core, and textmine's per-note work (segmentation, n-gram lookup)
runs under the interpreter lock, so on a multi-core machine throughput comes from processes.
:class:`TaggingPool` starts the workers once — each loads the model from its folder (about half a
second) — and then splits every batch into chunks that the workers tag side by side. A note's
scores do not depend on the batch it is in, so the result equals :meth:`Model.predict_proba` in
one process, row for row (``tests/test_parallel.py``).

Screening (``textmine screen --jobs``) has its own pool, because each of its workers also
extracts evidence and masks numbers; this one is for callers that only need category scores::

    with TaggingPool("models/default", jobs=2) as pool:
        proba = pool.predict_proba(texts)
"""

from __future__ import annotations

import os
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from .model import check_note

__all__ = ["TaggingPool", "usable_cpus"]

_MODEL = None


def usable_cpus() -> int:
    """Cores this process may run on (its CPU affinity on Linux, else every core)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def _load(model_path: str | None) -> None:
    global _MODEL
    from .persist import load_model

    _MODEL = load_model(model_path)
    _MODEL.predict_proba(["村支书王某2021年挪用低保金3000元"])  # dictionaries loaded before the first batch


def _ready_pid(_) -> int:
    time.sleep(0.02)  # long enough that the other workers take their share of the warm-up tasks
    return os.getpid()


def _scores(texts: list[str]) -> np.ndarray:
    return _MODEL.scores(texts)[1]


class TaggingPool:
    """Worker processes that tag batches of notes with the model in ``model_path``.

    Parameters
    ----------
    model_path : path or None
        Model folder (the configured or bundled default when None).
    jobs : int or None
        Number of worker processes (default: the cores this process may use).
    chunk : int
        Notes sent to a worker at a time: large enough that sending them costs little next to
        tagging them, small enough that the workers finish together.
    """

    def __init__(self, model_path: Path | str | None = None, jobs: int | None = None, chunk: int = 2000):
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        self.jobs = max(1, jobs or usable_cpus())
        self.chunk = max(1, chunk)
        path = None if model_path is None else str(model_path)
        # spawn, not fork: the parent may hold threads (a web server, a progress bar) that fork
        # would copy in an unknown state.
        self._pool = ProcessPoolExecutor(self.jobs, mp_context=multiprocessing.get_context("spawn"),
                                         initializer=_load, initargs=(path,))
        # Wait until every worker has loaded the model: a worker answers only after its initializer,
        # and each answer names its process (one quick worker could otherwise take every warm-up task).
        ready: set[int] = set()
        while len(ready) < self.jobs:
            ready.update(self._pool.map(_ready_pid, range(self.jobs)))

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        """Category probabilities (n_notes × n_labels), equal to ``Model.predict_proba(texts)``."""
        texts = list(texts)
        for i, t in enumerate(texts):
            check_note(t, where=f"note {i + 1}")
        chunks = [texts[i:i + self.chunk] for i in range(0, len(texts), self.chunk)]
        parts = list(self._pool.map(_scores, chunks))
        return np.vstack(parts) if parts else np.zeros((0, 0))

    def close(self) -> None:
        self._pool.shutdown()

    def __enter__(self) -> "TaggingPool":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
