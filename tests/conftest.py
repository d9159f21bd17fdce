"""Shared fixtures: the bundled model (loaded once per test session) and a small model trained on
a slice of the corpus (for tests that train, save and load)."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def model():
    """The bundled default model, as a user gets it after install."""
    from textmine import load_model

    return load_model()


@pytest.fixture(scope="session")
def corpus():
    from textmine.corpus import load_corpus
    from textmine.settings import CORPUS_DIR

    return load_corpus(CORPUS_DIR)


@pytest.fixture(scope="session")
def small_corpus(corpus):
    """Every fourth note: enough to learn something, fast to fit."""
    return corpus.subset(range(0, len(corpus.notes), 4))


@pytest.fixture(scope="session")
def small_model(small_corpus):
    from textmine.train import TrainParams, fit_model

    return fit_model(small_corpus, TrainParams(folds=3))
