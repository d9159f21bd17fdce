"""Near-duplicate grouping (textmine/dedup.py)."""

from __future__ import annotations

import re

import numpy as np
import pytest

from textmine.dedup import (MAX_FACTS, MAX_PLACES, NUM_PERM, MinHasher, NoteSketch, find_groups, key_facts,
                            key_places, village_key)


def _ev(text: str, persons=(), amounts=(), places=()) -> dict:
    """Evidence dict in the model's shape, spans located in ``text``."""
    def items(words, **extra):
        out = []
        for w in words:
            value = None
            if isinstance(w, tuple):
                w, value = w
            s = text.index(w)
            item = {"text": w, "start": s, "end": s + len(w)}
            if value is not None:
                item["yuan"] = value
            out.append(item)
        return out

    return {"persons": items(persons), "amounts": items(amounts), "dates": [], "places": items(places), "acts": []}


def _exact_jaccard(a: str, b: str) -> float:
    def grams(t):
        t = re.sub(r"[^0-9a-z\u3400-\u9fff]", "", t)
        return {t[i:i + 2] for i in range(len(t) - 1)}

    ga, gb = grams(a), grams(b)
    return len(ga & gb) / len(ga | gb)


def _stack(sketches):
    return (np.stack([s.signature for s in sketches]), np.stack([s.facts for s in sketches]),
            np.stack([s.places for s in sketches]))


def test_key_facts_normalise_names_and_amounts():
    a = "村支书刘某某把坑塘包给小舅子王某，一年一千二百元"
    b = "刘某（村支书）将鱼塘以每年1200元包给王某某"
    fa = key_facts(_ev(a, persons=["村支书刘某某", "王某"], amounts=[("一千二百元", 1200.0)]), a)
    fb = key_facts(_ev(b, persons=["刘某", "王某某"], amounts=[("1200元", 1200.0)]), b)
    assert fa == ["M:刘某", "M:王某", "A:1200"]
    assert set(fa) == set(fb)


def test_key_facts_skip_masked_places_posts_small_round_sums():
    text = "昭化区某镇某村村会计收了100元和350元，还有30000元"
    ev = _ev(text, persons=["区某", "村会计"], amounts=[("100元", 100.0), ("350元", 350.0), ("30000元", 30000.0)])
    assert key_facts(ev, text) == ["A:350", "R:30000"]


@pytest.mark.parametrize("place, key", [
    ("汲冢镇后刘庄村", "刘庄村"), ("后刘庄村", "刘庄村"), ("杨桥村", "杨桥村"), ("东风社区", "东风社区"),
    ("某村", None), ("是全村", None), ("汲冢镇", None),
])
def test_village_key(place, key):
    assert village_key(place) == key


def test_key_places_finds_a_village_glued_to_a_post():
    text = "举报临泉县瓦店镇杨桥村会计张某"
    assert "V:杨桥村" in key_places(_ev(text), text)


def test_minhash_estimates_jaccard():
    h = MinHasher()
    a = "2023年5月，白云村党支部书记赵某用村集体资金在镇上酒店宴请镇干部，花费5600元，以误工补贴名义入账。"
    b = "2023年5月，白云村支书赵某用村里的钱在镇上酒店请镇干部吃饭，花了5600元，记成误工补贴入账。"
    sa, sb = h.signature(a), h.signature(b)
    assert sa.shape == (NUM_PERM,) and sa.dtype == np.uint16
    assert np.array_equal(sa, h.signature(a))
    assert np.array_equal(sa, MinHasher().signature(a))  # deterministic across instances (and processes)
    assert abs((sa == sb).mean() - _exact_jaccard(a, b)) < 0.12


def test_sort_based_unique_equals_numpy_unique():
    from textmine.dedup import _unique

    rng = np.random.default_rng(5)
    for x in (np.zeros(0, dtype=np.int64), np.array([7]), rng.integers(0, 50, 1000), rng.integers(0, 2**62, 5000)):
        assert np.array_equal(_unique(x), np.unique(x))


def test_block_signatures_equal_one_by_one(corpus):
    h = MinHasher()
    # Short and symbol-only notes take the single-note path inside the block; a small block size
    # makes the notes span several blocks.
    texts = [n.text for n in corpus.notes[:300]] + ["", "好", "！！", "a", "村会计王某挪用3000元"]
    expected = np.stack([h.signature(t) for t in texts])
    assert np.array_equal(h.signatures(texts, block=500), expected)
    assert np.array_equal(h.signatures(texts), expected)
    assert h.signatures([]).shape == (0, NUM_PERM)


def test_copies_and_reworded_repeats_are_grouped_unrelated_are_not():
    h = MinHasher()
    a = "石桥村三组组长李某某2021年以来虚报冒领我组五户人家的耕地地力保护补贴，共计4800元，补贴款打到了他亲戚的卡上。"
    b = "石桥村三组组长李某某从2021年开始，把组里五户的耕地地力补贴冒领了，一共四千八百元，钱都打进了他亲戚的一卡通。"
    c = "东风社区网格员反映，小区路灯坏了三个月没人修，晚上出门不方便，希望尽快修好。"
    notes = [
        (a, _ev(a, persons=["组长李某某"], amounts=[("4800元", 4800.0)], places=["石桥村"])),
        (c, _ev(c, places=["东风社区"])),
        (b, _ev(b, persons=["组长李某某"], amounts=[("四千八百元", 4800.0)], places=["石桥村"])),
        (a, _ev(a, persons=["组长李某某"], amounts=[("4800元", 4800.0)], places=["石桥村"])),
    ]
    groups = find_groups(*_stack([NoteSketch.of(h, t, ev) for t, ev in notes]))
    assert groups.tolist() == [1, 0, 1, 1]


def test_same_facts_in_another_village_are_not_the_same_matter():
    h = MinHasher()
    a = "后沟村支书赵某某2022年收了入党积极分子3000元好处费，答应给他入党。"
    b = "黑池村支书赵某某2022年让低保户交了3000元才给办低保，村民很有意见。"
    sk = [NoteSketch.of(h, a, _ev(a, persons=["支书赵某某"], amounts=[("3000元", 3000.0)], places=["后沟村"])),
          NoteSketch.of(h, b, _ev(b, persons=["支书赵某某"], amounts=[("3000元", 3000.0)], places=["黑池村"]))]
    assert find_groups(*_stack(sk)).tolist() == [0, 0]


def test_groups_are_numbered_by_first_row_and_chains_join():
    rng = np.random.default_rng(0)
    n = 7
    sig = rng.integers(0, 2**16, size=(n, NUM_PERM), dtype=np.uint16)
    # Rows 1, 4, 6 are one matter; rows 2 and 5 another (copies); 0 and 3 stand alone.
    sig[4] = sig[1]
    sig[6] = sig[4]
    sig[5] = sig[2]
    facts = np.zeros((n, MAX_FACTS), dtype=np.uint32)
    places = np.zeros((n, MAX_PLACES), dtype=np.uint32)
    assert find_groups(sig, facts, places).tolist() == [0, 1, 2, 0, 1, 2, 1]


def test_partitioned_keys_give_the_same_groups():
    h = MinHasher()
    texts = [f"{v}村会计{s}某挪用{amt}元修路款，至今未退" for v, s, amt in
             [("杨桥", "张", 31000), ("石桥", "李", 4800), ("白云", "赵", 5600)]]
    texts = texts + texts[::-1] + ["今年雨水多，庄稼长得不错，感谢政府。"]
    sk = []
    for t in texts:
        amount = re.search(r"\d+元", t)
        sk.append(NoteSketch.of(h, t, _ev(t, amounts=[(amount.group(), float(amount.group()[:-1]))] if amount else [])))
    sig, facts, places = _stack(sk)
    default = find_groups(sig, facts, places)
    assert default.tolist() == [1, 2, 3, 3, 2, 1, 0]
    assert find_groups(sig, facts, places, partitions=3, chunk_rows=2).tolist() == default.tolist()


def test_empty_input():
    assert find_groups(np.zeros((0, NUM_PERM), np.uint16), np.zeros((0, MAX_FACTS), np.uint32)).tolist() == []


def test_reworded_real_petitions_group_with_model_evidence(model):
    """End to end with the model's own evidence: a letter and its reworded repeat."""
    h = MinHasher()
    texts = [
        "举报临泉县瓦店镇杨桥村会计张某，2022年把村里修路剩下的三万多元钱转到自己老婆的账户上，至今没有退回。",
        "县里能不能把镇上到县城的班车多开几趟？老人去县医院看病来回不方便。",
        "再次反映白云村支书赵某：去年五月在镇上的酒店请镇里干部吃饭，用的是村里的钱，一顿花了五千六百元，账上写成误工补贴报销了。",
        "杨桥村会计张某2022年将修路结余的3万余元转入其妻子账户，村民多次询问，至今未退回村集体。",
        "白云村党支部书记赵某2023年5月用村集体资金在镇上酒店宴请镇干部，花费5600元，以误工补贴名义入账。",
    ]
    results = model.classify_many(texts, explain=False)
    groups = find_groups(*_stack([NoteSketch.of(h, t, r["evidence"]) for t, r in zip(texts, results)]))
    assert groups.tolist() == [1, 0, 2, 1, 2]
