"""The serving path computes what the scikit-learn estimators compute."""

import subprocess
import sys

import numpy as np
import pytest

from textmine.evidence import EVIDENCE_FEATURES


@pytest.fixture(scope="module")
def texts(corpus):
    # Notes of every kind and length the small model did not train on, plus edge cases.
    return [n.text for n in corpus.notes[1::4][:300]] + ["a", "２０２１年補貼", "低保", "。。。", "x" * 5]


def test_features_equal_the_scikit_learn_vectorizer(small_model, texts):
    est = small_model.estimators["vectorizer"]
    A = est.transform(texts)
    B = small_model.vectorizer.transform(texts)
    assert A.shape == B.shape
    assert A.nnz == B.nnz
    assert np.abs(A - B).max() < 1e-6


def test_category_and_clue_scores_equal_the_estimators(small_model, texts):
    X = small_model.estimators["vectorizer"].transform(texts)
    _, proba, clue_logit = small_model.scores(texts)
    assert np.allclose(small_model.estimators["categories"].predict_proba(X), proba, atol=1e-6)
    E = np.random.default_rng(0).integers(0, 2, size=(len(texts), len(EVIDENCE_FEATURES)))
    assert np.allclose(small_model.estimators["clue"].predict_proba(X, E), small_model.clue.stack(clue_logit, E),
                       atol=1e-6)


def test_a_note_scores_the_same_alone_and_in_any_batch(small_model, texts):
    batch = small_model.scores(texts)[1]
    for i in (0, 7, len(texts) - 1):
        assert (small_model.scores([texts[i]])[1][0] == batch[i]).all()
    reordered = small_model.scores(texts[::-1])[1]
    assert (reordered[::-1] == batch).all()


def test_one_note_helper_gives_the_batch_scores_bit_for_bit(small_model, texts):
    from textmine.fastpath import OneNoteScorer

    W, b = small_model._weights
    one = OneNoteScorer.build(small_model.vectorizer, W, b)
    if one is None:
        pytest.skip("the optional C helper was not built (no C compiler at install time)")
    # Long notes, short ones, stopwords only, Traditional and full-width characters, a space run.
    texts = texts + ["的的的", "  村  会计 ", "𠊎阿爸讲村里𠊎", "村" * 5000]  # 𠊎: beyond the BMP
    _, batch, clue_logit = small_model.scores(texts)
    L = len(small_model.labels)
    for i, t in enumerate(texts):
        z = one.logits(t)
        if z is None:  # only a character repeated beyond the log table is left to NumPy
            assert t == "村" * 5000
            continue
        assert (small_model.categories.proba_of_one(z[:L])[0] == batch[i]).all(), t[:30]
        assert z[L] == clue_logit[i]
    assert (small_model.predict_proba(texts[:1])[0] == batch[0]).all()
    assert (small_model.predict_proba(texts[-1:])[0] == batch[-1]).all()  # through the NumPy path
    # The features it returns (for highlights) are the batch's row, value for value.
    from textmine.normalize import normalize_text

    feats = small_model.vectorizer.features(texts)
    for i in (0, 5, len(texts) - 2):
        _, one_feats = one.scored(normalize_text(texts[i]))
        ids, vals = feats.row(i)
        assert (one_feats.ids == ids).all() and (one_feats.vals == vals).all()


@pytest.mark.parametrize("mode", ["multiclass", "multilabel"])
def test_probabilities_of_one_note_equal_the_batch_formula(mode):
    from textmine.fastpath import LeanCategories

    rng = np.random.default_rng(3)
    cats = LeanCategories(list("abcdefg"), rng.normal(size=(7, 4)), rng.normal(size=7), np.full(7, 0.5), mode)
    Z = rng.normal(scale=20, size=(500, 7))
    expected = cats.proba_from_logits(Z)
    for z, row in zip(Z, expected):
        assert (cats.proba_of_one(tuple(z.tolist()))[0] == row).all()


def test_without_the_helper_single_notes_take_the_numpy_path(small_model, texts, monkeypatch):
    import builtins

    from textmine.fastpath import OneNoteScorer

    real_import = builtins.__import__

    def no_helper(name, *args, **kwargs):
        if name.endswith("_fastscore"):
            raise ImportError("not built")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_helper)
    assert OneNoteScorer.build(small_model.vectorizer, *small_model._weights) is None


def test_serving_path_does_not_import_scikit_learn():
    code = ("import sys, textmine; m = textmine.load_model(); m.classify('村会计王某挪用三千元'); "
            "print('sklearn' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_key_table_finds_every_key_and_nothing_else_both_ways():
    from textmine.fastpath import KeyTable

    rng = np.random.default_rng(1)
    keys = rng.choice(2**62, size=50_000, replace=False).astype(np.int64)
    ids = rng.permutation(len(keys)).astype(np.int64)
    table = KeyTable(keys, ids)
    absent = keys[:3000] + 1
    absent = absent[~np.isin(absent, keys)]
    for query in (keys, keys[:100]):  # a batch (hash table) and a few keys (binary search)
        assert np.array_equal(table.lookup(query), ids[:len(query)])
    for query in (absent, absent[:50]):
        assert (table.lookup(query) == -1).all()
    mixed = np.concatenate([absent[:2000], keys[:2000]])
    assert np.array_equal(table.lookup(mixed), np.concatenate([np.full(2000, -1), ids[:2000]]))
    assert (KeyTable([], []).lookup(keys[:5000]) == -1).all()
