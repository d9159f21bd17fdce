"""Leave-one-file-out test of a learned person tagger on top of the evidence rules (not shipped).

Run from the checkout: ``PYTHONPATH=. python experiments/person_tagger_lofo.py``. For each corpus
file, a CharTagger (experiments/chartagger.py) is trained on the other files' person annotations,
with the rules' persons, posts and jieba name tags as hints, and used three ways: alone, to move
the rules' boundaries, and only to extend them. Prints pooled recall/precision (exact/overlap).
"""

import collections
import re
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from chartagger import CharTagger, _decode, spans_to_tags  # noqa: E402

from textmine.corpus import load_corpus  # noqa: E402
from textmine.evidence import SURNAMES, EvidenceExtractor, _drop_contained  # noqa: E402
from textmine.normalize import normalize  # noqa: E402

corpus = load_corpus(Path("corpora/notes"))
notes = [n for n in corpus.notes if any(n.evidence.get(t) for t in n.evidence)]
rules = EvidenceExtractor()
texts = [normalize(n.text).text for n in notes]
rule_persons = [_drop_contained(rules._spans(t)["persons"]) for t in texts]


def hints(i):
    h = spans_to_tags(len(texts[i]), rule_persons[i]).astype(np.uint8)
    for m in rules._post_re.finditer(texts[i]):
        h[m.start():m.end()] |= 4
    for w, flag, s, e in rules._pos_tags(texts[i]):
        if flag == "nr":
            h[s:e] |= 8
    return h


H = [hints(i) for i in range(len(texts))]
gold = [[normalize(g).text for g in n.evidence.get("persons", [])] for n in notes]
src = [Path(n.source).stem for n in notes]


def tally(idx, preds, T):
    for i, pred in zip(idx, preds):
        t, g = texts[i], gold[i]
        occ = [(m.start(), m.end()) for x in g for m in re.finditer(re.escape(x), t)]
        found = {t[s:e] for s, e in pred}
        T["gold"] += len(g)
        T["re"] += sum(x in found for x in g)
        T["ro"] += sum(any(s < me and ms < e for s, e in pred for ms, me in occ if t[ms:me] == x) for x in g)
        T["pred"] += len(pred)
        T["pe"] += sum(t[s:e] in g for s, e in pred)
        T["po"] += sum(any(s < oe and os_ < e for os_, oe in occ) for s, e in pred)


def best_variant(D, spans, n, extend_only, L=4, R=8):
    CI = np.concatenate(([0.0], np.cumsum(D[:, 1])))
    out = []
    for k, (s, e) in enumerate(spans):
        lo = spans[k - 1][1] if k else 0
        hi = spans[k + 1][0] if k + 1 < len(spans) else n
        best, score = (s, e), -1e9
        for a in range(max(lo, s - L), s + 1 if extend_only else min(e, s + L + 1)):
            for b in range(max(a + 1, e if extend_only else max(s + 1, e - L)), min(hi, e + R) + 1):
                if b - a < min(e - s, 2):
                    continue
                g = D[a, 0] + CI[b] - CI[a + 1]
                if g > score:
                    score, best = g, (a, b)
        out.append(best)
    return out


results = collections.defaultdict(collections.Counter)
for f in sorted(set(src)):
    train = [i for i, s in enumerate(src) if s != f]
    test = [i for i, s in enumerate(src) if s == f]
    gold_spans = [[m.span() for x in set(gold[i]) if x for m in re.finditer(re.escape(x), texts[i])] for i in train]
    tagger = CharTagger(surnames=SURNAMES).fit([texts[i] for i in train], gold_spans, [H[i] for i in train])
    X, starts = tagger._hashed([texts[i] for i in test], [H[i] for i in test])
    S = tagger.weights_[X].sum(axis=1) + tagger.bias_
    tags = np.where(S.max(axis=1) > 0, S.argmax(axis=1) + 1, 0).astype(np.int8)
    alone, moved, extended = [], [], []
    for s0, i in zip(starts, test):
        n = len(texts[i])
        alone.append(_decode(tags[s0:s0 + n]))
        moved.append(best_variant(S[s0:s0 + n], rule_persons[i], n, extend_only=False))
        extended.append(best_variant(S[s0:s0 + n], rule_persons[i], n, extend_only=True))
    tally(test, [rule_persons[i] for i in test], results["rules"])
    tally(test, alone, results["tagger alone"])
    tally(test, moved, results["rules, boundaries moved by the tagger"])
    tally(test, extended, results["rules, extended by the tagger"])
    print(f, "done", file=sys.stderr)

for name, T in results.items():
    print(f"{name:40s} R {T['re'] / T['gold']:.3f}/{T['ro'] / T['gold']:.3f}  P {T['pe'] / T['pred']:.3f}/{T['po'] / T['pred']:.3f}")
