"""Evaluation: stratified k-fold cross-validation (or a held-out test file) of textmine and two
baselines on the same folds — the keyword filter offices use today, and fastText when installed.

Everything that is chosen from data (vocabulary, weights, thresholds) is chosen inside the
training folds only, so the scores are honest estimates for unseen notes.
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import Callable
from pathlib import Path

import numpy as np
from sklearn.metrics import average_precision_score, precision_recall_fscore_support
from sklearn.model_selection import StratifiedKFold

from .corpus import Corpus
from .settings import LEXICON_DIR
from .train import TrainParams, _fold_strata, fit_model

__all__ = ["cross_validate", "evaluate_split", "category_metrics", "clue_metrics", "format_report",
           "evidence_report", "evidence_by_file", "format_evidence_report", "format_evidence_by_file",
           "KeywordBaseline", "FastTextBaseline"]


# --------------------------------------------------------------------------------------------- metrics
def category_metrics(Y: np.ndarray, P: np.ndarray, labels: list[str], multiclass: bool = False) -> dict:
    """Per-label P/R/F1, micro and macro F1, exact-match ratio (and accuracy for single-label)."""
    Y, P = np.asarray(Y, bool), np.asarray(P, bool)
    p, r, f, s = precision_recall_fscore_support(Y, P, average=None, zero_division=0)
    out = {"per_label": {lab: {"precision": round(float(p[j]), 4), "recall": round(float(r[j]), 4),
                               "f1": round(float(f[j]), 4), "support": int(s[j])} for j, lab in enumerate(labels)}}
    out["micro_f1"] = round(float(precision_recall_fscore_support(Y, P, average="micro", zero_division=0)[2]), 4)
    out["macro_f1"] = round(float(np.mean(f)), 4)
    out["exact_match"] = round(float((Y == P).all(axis=1).mean()), 4)
    if multiclass:
        out["accuracy"] = round(float((Y.argmax(1) == P.argmax(1)).mean()), 4)
    return out


def clue_metrics(y: np.ndarray, score: np.ndarray, pred: np.ndarray, ks=(10, 50, 100)) -> dict:
    y, pred = np.asarray(y, bool), np.asarray(pred, bool)
    p, r, f, _ = precision_recall_fscore_support(y, pred, average="binary", zero_division=0)
    order = np.argsort(-np.asarray(score), kind="stable")
    out = {"precision": round(float(p), 4), "recall": round(float(r), 4), "f1": round(float(f), 4),
           "average_precision": round(float(average_precision_score(y, score)), 4) if y.any() else None}
    for k in ks:
        if k <= len(y):
            out[f"precision_at_{k}"] = round(float(y[order[:k]].mean()), 4)
    return out


# --------------------------------------------------------------------------------------------- baselines
class KeywordBaseline:
    """What offices do today with Excel filters: a category if any of its keywords occurs; a clue
    if any clue keyword occurs (score = how many distinct ones). Keywords: corpora/lexicon/keywords.tsv."""

    name = "keywords"

    def __init__(self, path: Path = LEXICON_DIR / "keywords.tsv"):
        self.words: dict[str, list[str]] = {}
        for line in Path(path).read_text(encoding="utf-8").splitlines():
            parts = line.strip().split("\t")
            if len(parts) == 2 and not line.startswith("#") and parts[0] != "category":
                self.words.setdefault(parts[0], []).append(parts[1])

    def fit(self, corpus: Corpus):
        return self

    def predict(self, texts: list[str], labels: list[str]):
        P = np.array([[any(w in t for w in self.words.get(lab, [])) for lab in labels] for t in texts])
        clue_words = self.words.get("clue", [])
        score = np.array([sum(w in t for w in clue_words) for t in texts], dtype=float)
        return P, score, score > 0


class FastTextBaseline:
    """fastText supervised classifier (``loss='ova'`` for multi-label), character or word level."""

    def __init__(self, level: str = "char", epoch: int = 25, seed: int = 0):
        self.level = level
        self.epoch = epoch
        self.seed = seed
        self.name = f"fasttext_{level}"

    @staticmethod
    def available() -> bool:
        try:
            import fasttext  # noqa: F401
        except ImportError:
            return False
        return True

    def _tokens(self, text: str) -> str:
        from .normalize import normalize_text

        t = normalize_text(text)
        if self.level == "char":
            return " ".join(ch for ch in t if not ch.isspace())
        if not hasattr(self, "_seg"):
            from .segment import Segmenter

            self._seg = Segmenter()
        return " ".join(self._seg(t))

    def _fit_one(self, texts, label_lists, multilabel):
        import fasttext

        with tempfile.NamedTemporaryFile("w", suffix=".txt", encoding="utf-8", delete=False) as fh:
            for t, labs in zip(texts, label_lists):
                tags = " ".join(f"__label__{lab}" for lab in labs) or "__label__none"
                fh.write(f"{tags} {self._tokens(t)}\n")
            path = fh.name
        try:
            return fasttext.train_supervised(path, epoch=self.epoch, lr=0.5, wordNgrams=2, dim=100, minCount=1,
                                             loss="ova" if multilabel else "softmax", verbose=0, seed=self.seed,
                                             thread=2)
        finally:
            Path(path).unlink(missing_ok=True)

    def fit(self, corpus: Corpus):
        self.multilabel_ = not all(len(n.labels) == 1 for n in corpus.notes)
        self.labels_ = corpus.labels
        self.model_ = self._fit_one(corpus.texts, [n.labels for n in corpus.notes], self.multilabel_)
        self.clue_ = (self._fit_one(corpus.texts, [["clue"] if n.clue else [] for n in corpus.notes], True)
                      if corpus.has_clue else None)
        return self

    def _probs(self, model, texts, names):
        out = np.zeros((len(texts), len(names)))
        idx = {f"__label__{n}": j for j, n in enumerate(names)}
        # The binding's own predict: under NumPy 2 the wrapper's single-string form raises, and its
        # list form returns the same probability for every label.
        for i, t in enumerate(texts):
            for pr, lab in model.f.predict(self._tokens(t) + "\n", -1, 0.0, "strict"):
                if lab in idx:
                    out[i, idx[lab]] = pr
        return out

    def predict(self, texts, labels):
        S = self._probs(self.model_, texts, labels)
        if self.multilabel_:
            P = S >= 0.5
        else:
            P = np.zeros_like(S, dtype=bool)
            P[np.arange(len(S)), S.argmax(1)] = True
        if self.clue_ is None:
            return P, None, None
        c = self._probs(self.clue_, texts, ["clue"])[:, 0]
        return P, c, c >= 0.5


# --------------------------------------------------------------------------------------------- runs
class _Collector:
    """Accumulates predictions of one system over folds (or one split)."""

    def __init__(self, n: int, L: int):
        self.P = np.zeros((n, L), bool)
        self.S = np.zeros((n, L))
        self.clue_score = np.full(n, np.nan)
        self.clue_pred = np.zeros(n, bool)
        self.text_clue = np.full(n, np.nan)


def _textmine_predict(model, texts):
    from .fastpath import sigmoid

    _, S, clue_logit = model.scores(texts)
    P = model.categories.decide(S)
    if model.clue is None:
        return S, P, None, None, None
    _, E = model.evidence.extract_with_features(texts)
    score = model.clue.stack(clue_logit, E)
    return S, P, score, score >= model.clue.threshold_, sigmoid(clue_logit)


def _run(train: Corpus, test: Corpus, test_index, params, systems, collectors):
    model = fit_model(train, params)
    S, P, cs, cp, ct = _textmine_predict(model, test.texts)
    c = collectors["textmine"]
    c.S[test_index], c.P[test_index] = S, P
    if cs is not None:
        c.clue_score[test_index], c.clue_pred[test_index], c.text_clue[test_index] = cs, cp, ct
    for sysm in systems:
        sysm.fit(train)
        P, cs, cp = sysm.predict(test.texts, train.labels)
        c = collectors[sysm.name]
        c.P[test_index] = P
        if cs is not None:
            c.clue_score[test_index], c.clue_pred[test_index] = cs, cp
    return model


def _report(corpus: Corpus, collectors, multiclass: bool) -> dict:
    out = {}
    Y = corpus.indicator()
    for name, c in collectors.items():
        m = category_metrics(Y, c.P, corpus.labels, multiclass)
        if corpus.has_clue and not np.isnan(c.clue_score).any():
            m["clue"] = clue_metrics(corpus.clue_array(), c.clue_score, c.clue_pred)
            if not np.isnan(c.text_clue).any():
                m["clue_text_only"] = clue_metrics(corpus.clue_array(), c.text_clue, c.text_clue >= 0.5)
        out[name] = m
    return out


def _systems(corpus: Corpus, baselines: bool):
    if not baselines:
        return []
    out = []
    if set(corpus.labels) <= {"party_building", "finance", "three_assets", "livelihood"}:
        out.append(KeywordBaseline())
    if FastTextBaseline.available():
        out += [FastTextBaseline("char"), FastTextBaseline("word")]
    return out


def cross_validate(corpus: Corpus, params: TrainParams | None = None, folds: int | None = None,
                   baselines: bool = True, progress: Callable[[str], None] | None = None) -> dict:
    """k-fold cross-validation of textmine (and baselines) on ``corpus``; returns metrics per system."""
    p = params or TrainParams()
    k = folds or p.folds
    n, L = len(corpus.notes), len(corpus.labels)
    systems = _systems(corpus, baselines)
    collectors = {name: _Collector(n, L) for name in ["textmine"] + [s.name for s in systems]}
    multiclass = all(len(x.labels) == 1 for x in corpus.notes)
    strata = _fold_strata(corpus, k)
    for i, (tr, te) in enumerate(StratifiedKFold(k, shuffle=True, random_state=p.seed).split(np.zeros(n), strata)):
        if progress:
            progress(f"fold {i + 1}/{k}")
        _run(corpus.subset(tr), corpus.subset(te), te, p, systems, collectors)
    report = _report(corpus, collectors, multiclass)
    report["setup"] = {"folds": k, "notes": n, "labels": corpus.labels}
    return report


def evaluate_split(train: Corpus, test: Corpus, params: TrainParams | None = None, baselines: bool = True) -> dict:
    """Train on ``train`` and score on ``test`` (a held-out file, or a cross-kind split)."""
    p = params or TrainParams()
    test = Corpus(test.notes, train.labels, test.sha256, test.sources)
    systems = _systems(train, baselines)
    collectors = {name: _Collector(len(test.notes), len(train.labels)) for name in ["textmine"] + [s.name for s in systems]}
    _run(train, test, np.arange(len(test.notes)), p, systems, collectors)
    multiclass = all(len(x.labels) == 1 for x in train.notes)
    report = _report(test, collectors, multiclass)
    report["setup"] = {"train_notes": len(train.notes), "test_notes": len(test.notes), "labels": train.labels}
    return report


def kind_split(corpus: Corpus, kind: str) -> tuple[Corpus, Corpus]:
    """Everything but ``kind`` for training, ``kind`` for testing."""
    tr = [i for i, n in enumerate(corpus.notes) if n.kind != kind]
    te = [i for i, n in enumerate(corpus.notes) if n.kind == kind]
    return corpus.subset(tr), corpus.subset(te)


def format_report(report: dict, title: str = "") -> str:
    """A plain-text table of a report from :func:`cross_validate` or :func:`evaluate_split`."""
    systems = [k for k in report if k != "setup"]
    labels = report["setup"]["labels"]
    lines = [title] if title else []
    head = f"{'':<22}" + "".join(f"{s:>18}" for s in systems)
    lines.append(head)
    for lab in labels:
        cells = "".join(
            "{:>18}".format("{precision:.2f}/{recall:.2f}/{f1:.2f}".format(**report[s]["per_label"][lab]))
            for s in systems)
        lines.append(f"{lab + ' P/R/F1':<22}{cells}")
    for key in ("micro_f1", "macro_f1", "exact_match", "accuracy"):
        if key in report[systems[0]]:
            lines.append(f"{key:<22}" + "".join(f"{report[s].get(key, float('nan')):>18.4f}" for s in systems))
    for ckey in ("clue", "clue_text_only"):
        if any(ckey in report[s] for s in systems):
            for key in ("precision", "recall", "f1", "average_precision", "precision_at_50", "precision_at_100"):
                vals = "".join(
                    f"{report[s][ckey][key]:>18.4f}" if ckey in report[s] and report[s][ckey].get(key) is not None
                    else f"{'—':>18}" for s in systems)
                lines.append(f"{ckey + ' ' + re.sub('precision_at_', 'P@', key):<22}{vals}")
    return "\n".join(lines)


# --------------------------------------------------------------------------------------------- evidence
def _evidence_tallies(notes, extractor) -> dict[str, dict[str, int]]:
    """Counts behind :func:`evidence_report` (so that reports of several files can be pooled)."""
    from .evidence import EVIDENCE_TYPES

    tallies = {t: {"gold": 0, "found_exact": 0, "found_overlap": 0, "pred": 0, "pred_exact": 0, "pred_overlap": 0}
               for t in EVIDENCE_TYPES}
    scored = [n for n in notes if any(n.evidence.get(t) for t in EVIDENCE_TYPES)]
    predictions, _ = extractor.extract_with_features([n.text for n in scored])
    for note, pred in zip(scored, predictions):
        for t in EVIDENCE_TYPES:
            gold = [g if isinstance(g, str) else g["text"] for g in note.evidence.get(t, [])]
            occ = [(m.start(), m.end()) for g in gold for m in re.finditer(re.escape(g), note.text)]
            spans = [(p["start"], p["end"]) for p in pred[t]]
            texts = {p["text"] for p in pred[t]}
            tl = tallies[t]
            tl["gold"] += len(gold)
            tl["found_exact"] += sum(g in texts for g in gold)
            # an annotated string is found when any of its occurrences overlaps an extraction
            tl["found_overlap"] += sum(any(s < m.end() and m.start() < e for s, e in spans
                                           for m in re.finditer(re.escape(g), note.text)) for g in gold)
            tl["pred"] += len(pred[t])
            tl["pred_exact"] += sum(p["text"] in gold for p in pred[t])
            tl["pred_overlap"] += sum(any(s < oe and os_ < e for os_, oe in occ) for s, e in spans)
    return tallies


def _evidence_ratios(tallies: dict[str, dict[str, int]]) -> dict:
    def ratio(a, b):
        return round(a / b, 4) if b else None

    return {t: {"annotated": tl["gold"], "extracted": tl["pred"],
                "recall_exact": ratio(tl["found_exact"], tl["gold"]),
                "recall_overlap": ratio(tl["found_overlap"], tl["gold"]),
                "precision_exact": ratio(tl["pred_exact"], tl["pred"]),
                "precision_overlap": ratio(tl["pred_overlap"], tl["pred"])} for t, tl in tallies.items()}


def evidence_report(corpus: Corpus, extractor=None) -> dict:
    """Precision and recall of evidence extraction against the corpus annotations, per type.

    ``exact``: the extracted text equals an annotated string. ``overlap``: an extracted span
    overlaps an occurrence of an annotated string (annotations are strings, so every occurrence
    counts, for recall as for precision). Only notes with at least one annotation of that type count toward recall; precision
    counts extractions on every note that has an annotation of any type.
    """
    from .evidence import EvidenceExtractor

    return _evidence_ratios(_evidence_tallies(corpus.notes, extractor or EvidenceExtractor()))


def evidence_by_file(corpus: Corpus, fit: Callable | None = None) -> dict:
    """Evidence scores on each corpus file with an extractor that learned nothing from that file.

    Each file of the corpus was written by a different writer, so leaving one file out is how a
    new writer's notes are simulated. ``fit(train_notes) -> extractor`` builds the extractor from
    the other files' notes; ``None`` uses the shipped :class:`EvidenceExtractor` for every file,
    which is the same thing as long as it learns nothing from the corpus. Returns
    ``{"files": {name: report}, "pooled": report, "worst": {type: {metric: [file, value]}}}`` where
    a report is as in :func:`evidence_report` and "pooled" adds up the counts of every file.
    """
    from .evidence import EvidenceExtractor

    by_file: dict[str, list] = {}
    for note in corpus.notes:
        by_file.setdefault(Path(note.source).name or "(no file)", []).append(note)
    shared = EvidenceExtractor() if fit is None else None
    files, pooled = {}, None
    for name, notes in sorted(by_file.items()):
        extractor = shared or fit([n for other, ns in by_file.items() if other != name for n in ns])
        tallies = _evidence_tallies(notes, extractor)
        files[name] = _evidence_ratios(tallies)
        pooled = tallies if pooled is None else {t: {k: pooled[t][k] + v for k, v in tl.items()}
                                                 for t, tl in tallies.items()}
    worst = {}
    for t in (pooled or {}):
        worst[t] = {}
        for metric in ("recall_exact", "recall_overlap", "precision_exact", "precision_overlap"):
            scored = [(r[t][metric], name) for name, r in files.items() if r[t][metric] is not None]
            if scored:
                value, name = min(scored)
                worst[t][metric] = [name, value]
    return {"files": files, "pooled": _evidence_ratios(pooled or {}), "worst": worst}


def format_evidence_by_file(report: dict, types=("persons", "amounts", "dates")) -> str:
    """One line per file and type (recall and precision, exact/overlap), then the pooled figures."""
    lines = [f"{'file':<34}{'type':<9}{'R exact':>9}{'R overlap':>10}{'P exact':>9}{'P overlap':>10}"]
    rows = list(report["files"].items()) + [("pooled", report["pooled"])]
    for name, rep in rows:
        for t in types:
            r = rep[t]
            cells = "".join(f"{r[k]:>{w}.3f}" if r[k] is not None else f"{'—':>{w}}"
                            for k, w in (("recall_exact", 9), ("recall_overlap", 10), ("precision_exact", 9),
                                         ("precision_overlap", 10)))
            lines.append(f"{name:<34}{t:<9}{cells}")
    for t in types:
        w = report["worst"].get(t, {})
        lines.append(f"worst file, {t}: " + ", ".join(f"{m} {v:.3f} ({f})" for m, (f, v) in w.items()))
    return "\n".join(lines)


def format_evidence_report(report: dict) -> str:
    lines = [f"{'type':<10}{'annotated':>10}{'extracted':>10}{'R exact':>10}{'R overlap':>10}{'P exact':>10}"
             f"{'P overlap':>10}"]
    for t, r in report.items():
        cells = "".join(f"{r[k]:>10.3f}" if r[k] is not None else f"{'—':>10}"
                        for k in ("recall_exact", "recall_overlap", "precision_exact", "precision_overlap"))
        lines.append(f"{t:<10}{r['annotated']:>10}{r['extracted']:>10}{cells}")
    return "\n".join(lines)
