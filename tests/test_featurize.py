import pickle

import numpy as np
from sklearn.base import clone

from textmine.featurize import NoteVectorizer

NOTES = ["村会计王某挪用低保金", "村两委没有按四议两公开程序研究", "２０２１年補貼没有发放", "广场舞太吵"]


def test_word_and_character_features_side_by_side():
    vec = NoteVectorizer()
    X = vec.fit_transform(NOTES)
    names = vec.get_feature_names_out()
    assert X.shape == (4, len(names))
    assert "w:四议两公开" in names and "c:补贴" in names  # Traditional and full-width folded first
    # each block is L2-normalised on its own: two unit vectors side by side
    n_word = len(vec.word_.vocabulary_)
    row = X[0].toarray()[0]
    assert np.isclose(np.linalg.norm(row[:n_word]), 1.0) and np.isclose(np.linalg.norm(row[n_word:]), 1.0)


def test_same_features_after_pickling_and_cloning():
    vec = NoteVectorizer().fit(NOTES)
    again = pickle.loads(pickle.dumps(vec))
    assert (vec.transform(NOTES) != again.transform(NOTES)).nnz == 0
    assert clone(vec).get_params() == vec.get_params()


def test_min_df_drops_rare_features():
    assert len(NoteVectorizer(min_df=2).fit(NOTES * 2 + ["独一无二"]).get_feature_names_out()) < \
        len(NoteVectorizer(min_df=1).fit(NOTES * 2 + ["独一无二"]).get_feature_names_out())
