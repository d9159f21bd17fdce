"""A guarded pattern finds exactly what the pattern finds."""

import re

from textmine.regexguard import first_characters, guarded


def test_first_characters_cover_optional_prefixes_branches_and_repeats():
    p = re.compile(r"(?<![0-9])(?:将近|约)?(?:[0-9]+|[一二三]+)元|(?:前|去)年|第?[四五]组")
    assert first_characters(p) == set("将约0123456789一二三前去第四五")
    assert first_characters(re.compile(r"[\u4e00-\u9fa5]{2}村")) is None  # any Han character: no filter
    assert first_characters(re.compile(r"a*")) is None  # can match the empty string
    assert first_characters(re.compile(r"[^a]b")) is None  # negated class: unbounded
    assert first_characters(re.compile(r".b")) is None


def test_guarded_matches_are_identical_on_tricky_text():
    text = ("村会计王某2021年3月挪用一万三千余元，将近两千块钱；去年腊月前后三组组长又收了800元。"
            "第五组 约3.5万元 前年 12万 二〇二一年 ２０２１年") * 3
    patterns = [r"(?<![0-9])(?:将近|约)?(?:[0-9]+(?:\.[0-9]+)?|[一二两三四五六七八九十百千万余]+)(?:万)?(?:元|块钱)",
                r"(?:去|前)年(?:腊月)?(?:前后)?|[0-9]{4}年(?:[0-9]{1,2}月)?",
                r"(?:原|前任)?(?:村会计|组长|三组组长)(?:王某)?",
                r"第?[一二三四五六七八九十]组"]
    for pattern in patterns:
        p = re.compile(pattern)
        g = guarded(p)
        assert g.pattern != p.pattern  # a lookahead was added
        assert [m.span() for m in g.finditer(text)] == [m.span() for m in p.finditer(text)]


def test_patterns_that_gain_nothing_are_returned_unchanged():
    for pattern in (r"[\u4e00-\u9fa5]{1,3}村", r"村(?:委|部)", r"x?", r"[^，]+"):
        p = re.compile(pattern)
        assert guarded(p) is p
