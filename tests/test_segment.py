import pickle

import pytest

from textmine.errors import ConfigurationError
from textmine.segment import Segmenter, read_dictionary, DEFAULT_DICTIONARY


def test_domain_terms_stay_whole():
    seg = Segmenter()
    words = seg("村两委没有按四议两公开程序研究，征地补偿款被坐收坐支")
    for term in ("村两委", "四议两公开", "征地补偿款", "坐收坐支"):
        assert term in words


def test_stopwords_removed_but_negation_kept():
    words = Segmenter()("我们的账目没有公开")
    assert "的" not in words and "我们" not in words
    assert "没有" in words


def test_own_tokenizer_not_jiebas_global_one():
    import jieba

    seg = Segmenter()
    assert seg.tokenizer is not jieba.dt


def test_pickles_as_settings_and_tokenizes_the_same_after_loading():
    seg = Segmenter()
    before = seg("低保户王某的危房改造补助被截留")
    clone = pickle.loads(pickle.dumps(seg))
    assert clone._tok is None
    assert clone("低保户王某的危房改造补助被截留") == before


def test_rjieba_backend_gives_jieba_tokens():
    text = "村支书李某2019年把村集体鱼塘低价发包给小舅子，承包费白条入账"
    assert Segmenter(backend="rjieba")(text) == Segmenter(backend="jieba")(text)


def test_unknown_backend_is_a_clear_error():
    with pytest.raises(ConfigurationError, match="unknown segmenter backend 'hanlp'"):
        Segmenter(backend="hanlp")


def test_domain_dictionary_has_at_least_400_terms():
    assert len(read_dictionary(DEFAULT_DICTIONARY)) >= 400


def test_spans_cover_the_text():
    text = "村会计 王某挪用"
    spans = list(Segmenter().spans(text))
    assert all(text[s:e] == w for w, s, e in spans)
    assert "".join(w for w, _, _ in spans) == text.replace(" ", "")
