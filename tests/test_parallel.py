"""Tagging on several cores gives what one process gives."""

import numpy as np
import pytest

from textmine.errors import EmptyTextError
from textmine.parallel import TaggingPool
from textmine.persist import save_model


def test_pool_scores_equal_one_process_row_for_row(small_model, corpus, tmp_path):
    save_model(small_model, tmp_path / "m")
    texts = corpus.texts[:157] + ["低保", "２０２１年補貼"]
    with TaggingPool(tmp_path / "m", jobs=2, chunk=40) as pool:  # several chunks per worker, one short
        proba = pool.predict_proba(texts)
        with pytest.raises(EmptyTextError, match="note 2"):
            pool.predict_proba(["低保", "  "])
    assert proba.shape == (len(texts), len(small_model.labels))
    assert np.array_equal(proba, small_model.predict_proba(texts))
