"""Speed and accuracy of textmine against its peers, side by side, in one run.

Reproduce (the README's figures come from this command on the project's 2-core machine)::

    pip install -e ".[test]"            # fastText comes with the test extras
    python benchmarks/bench.py --thucnews ../shared/benchmarks/thucnews --corpus corpora/notes

Systems, each trained on the same training split and measured on the same test notes:

- ``naive``: the usual pipeline — jieba (precise mode) words + character 1–3-grams, TF-IDF,
  LinearSVC (one-vs-rest for multi-label) in a scikit-learn Pipeline;
- ``fasttext_char`` / ``fasttext_word``: fastText supervised (characters / jieba words, bigrams),
  when the ``fasttext`` module is installed;
- ``textmine``: ``textmine.train.fit_model`` and the serving model. ``tags`` rows time
  ``Model.predict_proba`` (categories and scores only, what the peers compute); ``full`` rows time
  ``Model.classify`` (plus evidence, clue score and highlights); ``2 procs`` spreads a batch over
  two worker processes with ``textmine.parallel.TaggingPool`` (the peers each use one core).

Measured: accuracy (single-label) or micro/macro-F1 (multi-label); batch throughput in notes/s and
characters/s; one-by-one latency p50/p99 over ``--single`` notes; model load time, first-call time
and peak memory, each in a fresh child process; the cold start of ``textmine classify "…"``.
Data sets: THUCNews titles (short: train.tsv → test.tsv) and the corpus (long notes: a stratified
80/20 split for speed, and 5-fold cross-validation of naive, fastText char and textmine for
accuracy, since one 384-note test split moves macro-F1 by about a point either way). Results are printed as tables and written as JSON to ``--out``.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


# ----------------------------------------------------------------------------------------- data
def load_thucnews(folder: Path):
    def read(name):
        rows = [line.split("\t") for line in (folder / name).read_text(encoding="utf-8").splitlines()[1:] if line]
        return [r[0] for r in rows], [[r[1]] for r in rows]
    return read("train.tsv") + read("test.tsv")


def load_corpus_split(folder: Path, seed: int = 0):
    from sklearn.model_selection import StratifiedShuffleSplit

    from textmine.corpus import load_corpus
    from textmine.train import _fold_strata

    corpus = load_corpus(folder)
    strata = _fold_strata(corpus, 5)
    tr, te = next(StratifiedShuffleSplit(1, test_size=0.2, random_state=seed).split(np.zeros(len(strata)), strata))
    train, test = corpus.subset(tr), corpus.subset(te)
    return train.texts, [n.labels for n in train.notes], test.texts, [n.labels for n in test.notes], train


# ----------------------------------------------------------------------------------------- systems
class Naive:
    name = "naive"

    def fit(self, texts, labels, multilabel):
        import jieba
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.multiclass import OneVsRestClassifier
        from sklearn.pipeline import FeatureUnion, Pipeline
        from sklearn.preprocessing import MultiLabelBinarizer
        from sklearn.svm import LinearSVC

        jieba.setLogLevel(60)
        self.multilabel = multilabel
        feats = FeatureUnion([
            ("word", TfidfVectorizer(tokenizer=jieba.lcut, token_pattern=None, lowercase=False, sublinear_tf=True,
                                     ngram_range=(1, 2))),
            ("char", TfidfVectorizer(analyzer="char", ngram_range=(1, 3), sublinear_tf=True)),
        ])
        if multilabel:
            self.mlb = MultiLabelBinarizer().fit(labels)
            self.pipe = Pipeline([("f", feats), ("c", OneVsRestClassifier(LinearSVC()))]).fit(texts, self.mlb.transform(labels))
        else:
            self.pipe = Pipeline([("f", feats), ("c", LinearSVC())]).fit(texts, [l[0] for l in labels])
        return self

    def predict(self, texts):
        out = self.pipe.predict(texts)
        return [list(self.mlb.classes_[row.astype(bool)]) for row in out] if self.multilabel else [[x] for x in out]

    def predict_one(self, text):
        return self.pipe.predict([text])[0]

    def save(self, path):
        # jieba.lcut is a method of jieba's global tokenizer, which holds a lock and cannot be
        # pickled (STYLE.md's counter-example): save without it, set it again after loading.
        import joblib

        word = self.pipe.named_steps["f"].transformer_list[0][1]
        word.tokenizer = None
        try:
            joblib.dump(self.pipe, path)
        finally:
            import jieba

            word.tokenizer = jieba.lcut


class FastText:
    def __init__(self, level):
        self.level = level
        self.name = f"fasttext_{level}"

    def _tok(self, text):
        if self.level == "char":
            return " ".join(ch for ch in text if not ch.isspace())
        return " ".join(self.seg(text))

    def fit(self, texts, labels, multilabel):
        import fasttext

        from textmine.segment import Segmenter

        self.seg = Segmenter(backend="jieba")
        self.multilabel = multilabel
        with tempfile.NamedTemporaryFile("w", suffix=".txt", encoding="utf-8", delete=False) as fh:
            for t, labs in zip(texts, labels):
                fh.write(" ".join(f"__label__{l}" for l in labs or ["none"]) + " " + self._tok(t) + "\n")
        self.model = fasttext.train_supervised(fh.name, epoch=25, lr=0.5, wordNgrams=2, dim=100, minCount=1,
                                               loss="ova" if multilabel else "softmax", verbose=0, thread=2, seed=0)
        os.unlink(fh.name)
        return self

    def _decode(self, labs, probs):
        if self.multilabel:
            return [l[9:] for l, p in zip(labs, probs) if p >= 0.5 and l != "__label__none"]
        return [labs[0][9:]]

    def predict(self, texts):
        out = []
        for t in texts:
            pairs = self.predict_one(t)
            out.append(self._decode([lab for _, lab in pairs], [p for p, _ in pairs]))
        return out

    def predict_one(self, text):
        # The binding's own predict: under NumPy 2 the wrapper's single-string form raises
        # (np.array(copy=False)) and its list form returns one probability for every label.
        return self.model.f.predict(self._tok(text) + "\n", -1 if self.multilabel else 1, 0.0, "strict")

    def save(self, path):
        self.model.save_model(str(path))


class Textmine:
    name = "textmine"

    def fit(self, texts, labels, multilabel, corpus=None):
        from textmine.corpus import Corpus, Note
        from textmine.train import TrainParams, fit_model

        if corpus is None:
            notes = [Note(str(i), t, l) for i, (t, l) in enumerate(zip(texts, labels))]
            corpus = Corpus(notes, sorted({x for l in labels for x in l}), "", [])
        self.model = fit_model(corpus, TrainParams(folds=5))
        return self

    def predict(self, texts):
        proba = self.model.predict_proba(texts)
        dec = self.model.categories.decide(proba)
        return [[self.model.labels[j] for j in np.flatnonzero(row)] for row in dec]

    def predict_one(self, text):
        return self.model.predict_proba([text])

    def save(self, path):
        from textmine.persist import save_model

        save_model(self.model, path)


# ----------------------------------------------------------------------------------------- measures
def score(gold, pred, multilabel):
    from sklearn.metrics import f1_score
    from sklearn.preprocessing import MultiLabelBinarizer

    if not multilabel:
        return {"accuracy": round(float(np.mean([g[0] == p[0] for g, p in zip(gold, pred)])), 4)}
    mlb = MultiLabelBinarizer().fit(gold + pred)
    G, P = mlb.transform(gold), mlb.transform(pred)
    return {"micro_f1": round(float(f1_score(G, P, average="micro", zero_division=0)), 4),
            "macro_f1": round(float(f1_score(G, P, average="macro", zero_division=0)), 4)}


def throughput(fn, texts, repeat=3):
    best = float("inf")
    for _ in range(repeat):
        t = time.perf_counter()
        fn(texts)
        best = min(best, time.perf_counter() - t)
    chars = sum(map(len, texts))
    return {"notes_per_s": round(len(texts) / best), "chars_per_s": round(chars / best)}


def latency(fn, texts):
    fn(texts[0])
    times = []
    for t in texts:
        s = time.perf_counter()
        fn(t)
        times.append(time.perf_counter() - s)
    times.sort()
    return {"p50_us": round(times[len(times) // 2] * 1e6, 1), "p99_us": round(times[int(len(times) * 0.99)] * 1e6, 1),
            "one_by_one_notes_per_s": round(len(times) / sum(times))}


def child_measure(system: str, model_path: str, sample: str) -> dict:
    """Load time, first-call time and peak memory in a fresh process."""
    code = f"""
import json, sys, time
sys.path.insert(0, {str(ROOT)!r})
t0 = time.perf_counter()
system, path, text = {system!r}, {model_path!r}, {sample!r}
if system == "naive":
    import joblib, jieba; jieba.setLogLevel(60); m = joblib.load(path)
    m.named_steps["f"].transformer_list[0][1].tokenizer = jieba.lcut
    call = lambda: m.predict([text])
elif system.startswith("fasttext"):
    import fasttext; m = fasttext.load_model(path); call = lambda: m.f.predict(" ".join(text) + "\\n", 1, 0.0, "strict")
else:
    import textmine; m = textmine.load_model(path); call = lambda: m.classify(text)
t1 = time.perf_counter(); call(); t2 = time.perf_counter()
# VmHWM, not ru_maxrss: Linux carries ru_maxrss over from the parent across fork and exec.
hwm = [l for l in open("/proc/self/status") if l.startswith("VmHWM")][0].split()[1]
print(json.dumps({{"load_s": round(t1 - t0, 3), "first_call_s": round(t2 - t1, 3),
                  "peak_rss_mb": round(int(hwm) / 1024, 1)}}))
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    if out.returncode != 0:
        return {"error": out.stderr.strip().splitlines()[-1:]}
    return json.loads(out.stdout.strip().splitlines()[-1])


def two_process_throughput(model_path, texts, jobs=2):
    from textmine.parallel import TaggingPool

    with TaggingPool(model_path, jobs=jobs) as pool:  # workers started and warm before timing
        return throughput(pool.predict_proba, texts)


def cold_start(runs=5):
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        subprocess.run(["textmine", "classify", "村会计王某2021年3月把征地补偿款12万元借给他小舅子"], check=True,
                       capture_output=True)
        times.append(time.perf_counter() - t)
    return {"median_s": round(statistics.median(times), 3), "max_s": round(max(times), 3)}


def corpus_cross_validation(folder: Path, folds: int = 5, seed: int = 1) -> dict:
    """Macro-F1 of each system over ``folds`` cross-validation folds of the corpus (the same folds
    for every system): one 20 % split of ~1,900 notes moves macro-F1 by a point either way, so the
    accuracy comparison on long notes is made on every note once."""
    from sklearn.model_selection import StratifiedKFold

    from textmine.corpus import load_corpus
    from textmine.train import _fold_strata

    corpus = load_corpus(folder)
    strata = _fold_strata(corpus, folds)
    makers = [Naive]
    try:
        import fasttext  # noqa: F401

        makers.append(lambda: FastText("char"))
    except ImportError:
        pass
    makers.append(Textmine)
    scores: dict[str, list[float]] = {}
    for k, (tr, te) in enumerate(StratifiedKFold(folds, shuffle=True, random_state=seed).split(strata, strata)):
        train, test = corpus.subset(tr), corpus.subset(te)
        gold = [n.labels for n in test.notes]
        for make in makers:
            s = make()
            print(f"[corpus CV] fold {k + 1}/{folds}: {s.name}", file=sys.stderr)
            if isinstance(s, Textmine):
                s.fit(train.texts, [n.labels for n in train.notes], True, corpus=train)
            else:
                s.fit(train.texts, [n.labels for n in train.notes], True)
            scores.setdefault(s.name, []).append(score(gold, s.predict(test.texts), True)["macro_f1"])
    return {name: {"macro_f1_mean": round(float(np.mean(v)), 4), "macro_f1_folds": v} for name, v in scores.items()}


# ----------------------------------------------------------------------------------------- run
def run_dataset(name, train_x, train_y, test_x, test_y, args, corpus=None):
    multilabel = any(len(y) != 1 for y in train_y + test_y)
    systems = [Naive()]
    try:
        import fasttext  # noqa: F401

        systems += [FastText("char"), FastText("word")]
    except ImportError:
        print("fastText not installed: skipped (pip install -e '.[test]')", file=sys.stderr)
    systems.append(Textmine())
    single = test_x[: args.single]
    rows = {}
    tmp = Path(tempfile.mkdtemp(prefix="textmine-bench-"))
    for s in systems:
        print(f"[{name}] {s.name}: training", file=sys.stderr)
        t = time.perf_counter()
        s.fit(train_x, train_y, multilabel, corpus=corpus) if isinstance(s, Textmine) else s.fit(train_x, train_y, multilabel)
        row = {"train_s": round(time.perf_counter() - t, 2)}
        row.update(score(test_y, s.predict(test_x), multilabel))
        row["batch"] = throughput(s.predict, test_x)
        row["single"] = latency(s.predict_one, single)
        path = tmp / (s.name + (".bin" if s.name.startswith("fasttext") else ""))
        s.save(path)
        row["process"] = child_measure(s.name, str(path), test_x[0])
        rows[s.name] = row
        if isinstance(s, Textmine):
            rows["textmine full"] = {"batch": throughput(s.model.classify_many, test_x[: min(len(test_x), 4000)], repeat=1),
                                     "single": latency(s.model.classify, single)}
            rows["textmine 2 procs"] = {"batch": two_process_throughput(str(path), test_x * max(1, 20000 // len(test_x)))}
    return rows


def print_table(name, rows):
    ft = [r for k, r in rows.items() if k.startswith("fasttext")]
    best_batch = max((r["batch"]["notes_per_s"] for r in ft), default=None)
    best_single = max((r["single"]["one_by_one_notes_per_s"] for r in ft), default=None)
    print(f"\n## {name}\n")
    print("| system | quality | batch notes/s | chars/s | × best fastText | one-by-one p50 µs | p99 µs | notes/s | "
          "× best fastText | load s | first call s | peak MB |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for k, r in rows.items():
        q = ", ".join(f"{m} {r[m]:.4f}" for m in ("accuracy", "micro_f1", "macro_f1") if m in r)
        b, s, p = r.get("batch", {}), r.get("single", {}), r.get("process", {})
        rb = f"{b['notes_per_s'] / best_batch:.2f}" if best_batch and b else ""
        rs = f"{s['one_by_one_notes_per_s'] / best_single:.2f}" if best_single and s else ""
        print(f"| {k} | {q} | {b.get('notes_per_s', '')} | {b.get('chars_per_s', '')} | {rb} | {s.get('p50_us', '')} | "
              f"{s.get('p99_us', '')} | {s.get('one_by_one_notes_per_s', '')} | {rs} | {p.get('load_s', '')} | "
              f"{p.get('first_call_s', '')} | {p.get('peak_rss_mb', '')} |")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--thucnews", type=Path, default=ROOT.parent / "shared" / "benchmarks" / "thucnews",
                    help="folder with train.tsv and test.tsv (columns text, label)")
    ap.add_argument("--corpus", type=Path, default=ROOT / "corpora" / "notes", help="labelled JSONL corpus folder")
    ap.add_argument("--single", type=int, default=2000, help="notes timed one by one")
    ap.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "bench.json")
    ap.add_argument("--skip", action="append", default=[], choices=["thucnews", "corpus", "corpus-cv", "cold"])
    args = ap.parse_args(argv)
    results = {"machine": {"cpus": os.cpu_count(), "python": sys.version.split()[0]}}
    if "thucnews" not in args.skip:
        results["thucnews_titles"] = run_dataset("THUCNews titles", *load_thucnews(args.thucnews), args)
        print_table("THUCNews titles (10,000 train → 10,000 test)", results["thucnews_titles"])
    if "corpus" not in args.skip:
        tx, ty, vx, vy, train = load_corpus_split(args.corpus)
        results["corpus_long_notes"] = run_dataset("corpus", tx, ty, vx, vy, args, corpus=train)
        print_table(f"Corpus notes (80/20 split: {len(tx)} → {len(vx)}, median "
                    f"{int(np.median([len(x) for x in vx]))} characters)", results["corpus_long_notes"])
    if "corpus-cv" not in args.skip:
        results["corpus_cv"] = corpus_cross_validation(args.corpus)
        print("\n## Corpus, 5-fold cross-validation (same folds for every system)\n")
        print("| system | macro-F1 mean | per fold |\n|---|---|---|")
        for name, r in results["corpus_cv"].items():
            print(f"| {name} | {r['macro_f1_mean']:.4f} | {' '.join(f'{x:.3f}' for x in r['macro_f1_folds'])} |")
    if "cold" not in args.skip:
        results["cli_cold_start"] = cold_start()
        print(f"\n`textmine classify \"…\"` from a cold process: median {results['cli_cold_start']['median_s']} s, "
              f"max {results['cli_cold_start']['max_s']} s (5 runs)")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, ensure_ascii=False, indent=2), encoding="utf-8")
    print(f"\nJSON: {args.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
