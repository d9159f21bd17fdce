"""Retrain: a new model version from the corpus plus reviewers' confirmed judgments.

``textmine retrain`` builds the training set (the corpus, where a reviewed note overrides a
corpus note with the same text, plus every other reviewed note), compares the new model with the
current one on the same cross-validation folds, saves the new version under
``<models_root>/versions/<version>`` and prints the comparison. It does not change what is
served unless told to:

- ``--promote`` builds the new version and makes it the served one;
- ``--promote VERSION`` serves an already built version;
- ``--rollback`` goes back to the version served before the last promotion.

What is served is recorded in ``<models_root>/current.json`` (``{"current": ..., "history": [...]}``);
without that file the bundled model is served. ``textmine serve`` reads it at start-up, so
restart the service after a promotion or a rollback.

The comparison is honest in both directions: on each fold both models are trained on the training
part only — the *current* recipe on the notes the current model had (new reviews left out, corpus
labels where a review corrected them), the *new* recipe on everything — and both are scored on the
same held-out part, judged by the reviewed labels.
"""

from __future__ import annotations

import json
import shutil
import sys
from datetime import datetime, timezone
from pathlib import Path

from .errors import ConfigurationError, InputError, ModelNotFoundError

__all__ = ["register_cli", "served_model_dir", "read_pointer", "promote", "rollback", "build_training_set",
           "compare_on_folds", "retrain", "format_comparison"]

POINTER = "current.json"
VERSIONS = "versions"


# --------------------------------------------------------------------------------------------- pointer
def read_pointer(models_root: Path | str) -> dict | None:
    """The served-model pointer (``current.json``) under ``models_root``, or None when there is none."""
    path = Path(models_root) / POINTER
    if not path.exists():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ConfigurationError(f"{path} is damaged ({exc}); delete it to serve the bundled model, "
                                 "or run 'textmine retrain --promote VERSION'") from exc
    if not isinstance(data, dict) or not isinstance(data.get("current"), str):
        raise ConfigurationError(f"{path} has no 'current' entry; delete it to serve the bundled model")
    data.setdefault("history", [])
    return data


def _resolve(models_root: Path, entry: str) -> Path:
    p = Path(entry)
    return p if p.is_absolute() else models_root / p


def _entry(models_root: Path, path: Path) -> str:
    """How a model folder is written in the pointer: relative to models_root when inside it."""
    try:
        return str(Path(path).resolve().relative_to(Path(models_root).resolve()))
    except ValueError:
        return str(Path(path).resolve())


def served_model_dir(settings) -> Path:
    """The model folder the service should load: ``settings.model_dir`` when set, else the promoted
    version named in ``<models_root>/current.json``, else the bundled default model."""
    from .settings import DEFAULT_MODEL_DIR

    if settings.model_dir is not None:
        return Path(settings.model_dir)
    pointer = read_pointer(settings.models_root)
    if pointer is None:
        return DEFAULT_MODEL_DIR
    return _resolve(Path(settings.models_root), pointer["current"])


def _write_pointer(models_root: Path, data: dict) -> None:
    models_root.mkdir(parents=True, exist_ok=True)
    tmp = models_root / (POINTER + ".tmp")
    tmp.write_text(json.dumps(data, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    tmp.replace(models_root / POINTER)  # atomic: a service starting now sees the old or the new pointer


def promote(settings, model_dir: Path | str) -> dict:
    """Serve ``model_dir`` from now on (next service start); the previously served one is kept for rollback."""
    from .persist import MANIFEST

    root = Path(settings.models_root)
    target = Path(model_dir)
    if not (target / MANIFEST).exists():
        raise ModelNotFoundError(f"'{target}' is not a model folder (no {MANIFEST}); "
                                 "list the versions with 'textmine retrain --list'")
    previous = served_model_dir(settings.model_copy(update={"model_dir": None}))
    pointer = read_pointer(root) or {"current": None, "history": []}
    history = list(pointer["history"])
    history.append(_entry(root, previous))
    data = {"current": _entry(root, target), "history": history,
            "updated": datetime.now(timezone.utc).isoformat(timespec="seconds")}
    _write_pointer(root, data)
    return data


def rollback(settings) -> dict:
    """Serve the version that was served before the last promotion again."""
    root = Path(settings.models_root)
    pointer = read_pointer(root)
    if pointer is None or not pointer["history"]:
        raise InputError("nothing to roll back to: no version was promoted, the bundled model is served")
    history = list(pointer["history"])
    back = history.pop()
    data = {"current": back, "history": history, "rolled_back_from": pointer["current"],
            "updated": datetime.now(timezone.utc).isoformat(timespec="seconds")}
    _write_pointer(root, data)
    return data


def list_versions(settings) -> list[dict]:
    """Built versions under ``<models_root>/versions``, oldest first, with their headline metrics."""
    root = Path(settings.models_root) / VERSIONS
    out = []
    for d in sorted(root.glob("*/manifest.json")) if root.exists() else []:
        m = json.loads(d.read_text(encoding="utf-8"))
        out.append({"version": m.get("version"), "path": str(d.parent), "created": m.get("created"),
                    "reviews": m.get("reviews", 0), "macro_f1": (m.get("metrics") or {}).get("macro_f1")})
    return sorted(out, key=lambda v: v["created"] or "")


# --------------------------------------------------------------------------------------------- data
def build_training_set(corpus, reviewed: list, current_review_ids: set[str] | frozenset = frozenset()):
    """Merge the corpus with reviewed notes.

    Returns ``(combined, current_notes, review_ids)``: ``combined`` is the new training corpus (a
    reviewed note replaces a corpus note with the same text); ``current_notes[i]`` is what the
    current model was trained with for ``combined.notes[i]`` — the corpus note, an earlier review
    already in the current model (``current_review_ids``), or None for a review it never saw;
    ``review_ids`` are the ids of the reviews used.
    """
    from .corpus import Corpus

    by_text = {n.text: n for n in reviewed}
    combined, current = [], []
    used = set()
    for n in corpus.notes:
        r = by_text.get(n.text)
        if r is None:
            combined.append(n)
            current.append(n)
        else:
            used.add(r.text)
            combined.append(r)
            current.append(r if r.id in current_review_ids else n)
    for r in reviewed:
        if r.text not in used:
            combined.append(r)
            current.append(r if r.id in current_review_ids else None)
    review_ids = [r.id for r in reviewed]
    return Corpus(combined, list(corpus.labels), corpus.sha256, corpus.sources), current, review_ids


def _scores(model, corpus_notes):
    import numpy as np

    results = model.classify_many([n.text for n in corpus_notes], explain=False)
    labels = model.labels
    P = np.array([[lab in r["labels"] for lab in labels] for r in results], dtype=bool)
    clue = None if model.clue is None else np.array([r["clue_score"] for r in results])
    clue_pred = None if model.clue is None else np.array([r["clue"] for r in results], dtype=bool)
    return P, clue, clue_pred


def _metrics(corpus, P, clue_score, clue_pred, index) -> dict:
    from .evaluate import category_metrics, clue_metrics

    if len(index) == 0:
        return {}
    sub = corpus.subset(index)
    m = category_metrics(sub.indicator(), P[index], corpus.labels)
    if clue_score is not None and sub.has_clue and 0 < sub.clue_array().sum() < len(index):
        m["clue"] = clue_metrics(sub.clue_array(), clue_score[index], clue_pred[index])
    return m


def compare_on_folds(combined, current_notes: list, params=None, folds: int = 5, progress=None) -> dict:
    """Cross-validate the current and the new recipe on the same folds of ``combined``.

    Returns metrics for both on all notes and on the reviewed notes only (the notes where they differ).
    """
    import numpy as np
    from sklearn.model_selection import StratifiedKFold

    from .corpus import Corpus
    from .train import TrainParams, _fold_strata, fit_model

    p = params or TrainParams()
    n, L = len(combined.notes), len(combined.labels)
    if n < 2 * folds:
        raise InputError(f"too few notes ({n}) for {folds}-fold comparison; use fewer --folds or a bigger corpus")
    out = {name: {"P": np.zeros((n, L), bool), "score": np.zeros(n), "pred": np.zeros(n, bool)}
           for name in ("current", "new")}
    has_clue = combined.has_clue
    splits = StratifiedKFold(folds, shuffle=True, random_state=p.seed).split(np.zeros(n), _fold_strata(combined, folds))
    for k, (tr, te) in enumerate(splits):
        if progress:
            progress(f"fold {k + 1}/{folds}")
        test = [combined.notes[i] for i in te]
        for name, train_notes in (("new", [combined.notes[i] for i in tr]),
                                  ("current", [current_notes[i] for i in tr if current_notes[i] is not None])):
            model = fit_model(Corpus(train_notes, combined.labels, combined.sha256, combined.sources), p,
                              clue=has_clue)
            P, score, pred = _scores(model, test)
            out[name]["P"][te] = P
            if score is not None:
                out[name]["score"][te], out[name]["pred"][te] = score, pred
    reviewed = np.array([i for i, x in enumerate(combined.notes) if x.id.startswith("review-")], dtype=int)
    everything = np.arange(n)
    report = {"setup": {"folds": folds, "notes": n, "reviewed_notes": int(len(reviewed)),
                        "new_reviews": int(sum(c is None or c is not x for c, x in zip(current_notes, combined.notes))),
                        "labels": combined.labels}}
    for name, o in out.items():
        s = o["score"] if has_clue else None
        report[name] = {"all_notes": _metrics(combined, o["P"], s, o["pred"], everything),
                        "reviewed_notes": _metrics(combined, o["P"], s, o["pred"], reviewed)}
    return report


def format_comparison(report: dict) -> str:
    """The comparison as a plain-text table (current vs new, all notes and reviewed notes only)."""
    rows = [("macro_f1", lambda m: m.get("macro_f1")), ("micro_f1", lambda m: m.get("micro_f1")),
            ("exact_match", lambda m: m.get("exact_match")),
            ("clue_f1", lambda m: (m.get("clue") or {}).get("f1")),
            ("clue_avg_precision", lambda m: (m.get("clue") or {}).get("average_precision"))]
    s = report["setup"]
    lines = [f"{s['folds']}-fold comparison on {s['notes']} notes ({s['reviewed_notes']} reviewed, "
             f"{s['new_reviews']} new to the current model)",
             f"{'':<20}{'current':>12}{'new':>12}{'current':>12}{'new':>12}",
             f"{'':<20}{'all notes':>24}{'reviewed notes':>24}"]
    for name, get in rows:
        cells = []
        for part in ("all_notes", "reviewed_notes"):
            for which in ("current", "new"):
                v = get(report[which][part]) if report[which][part] else None
                cells.append(f"{v:>12.4f}" if isinstance(v, (int, float)) else f"{'—':>12}")
        lines.append(f"{name:<20}" + "".join(cells))
    return "\n".join(lines)


# --------------------------------------------------------------------------------------------- retrain
def _params_from(manifest: dict, folds: int | None):
    from .train import TrainParams

    fields = TrainParams.__dataclass_fields__
    raw = {k: (tuple(v) if isinstance(v, list) else v) for k, v in (manifest.get("params") or {}).items() if k in fields}
    p = TrainParams(**raw)
    if folds is not None:
        p.folds = folds
    return p


def retrain(settings, corpus_path: Path | str | None = None, folds: int | None = None, progress=None,
            on_comparison=None) -> dict:
    """Build a new version from the corpus plus confirmed reviews and compare it with the served one.

    Returns ``{"version", "path", "comparison", "reviews", "based_on"}``; the new version is saved
    under ``<models_root>/versions/<version>`` but not served. ``on_comparison(report)`` is called
    as soon as the comparison is known, before the final fit.
    """
    import tempfile
    from dataclasses import asdict

    from .corpus import load_corpus
    from .persist import MANIFEST, save_model
    from .review import ReviewStore
    from .segment import DEFAULT_DICTIONARY, file_sha256
    from .settings import CORPUS_DIR
    from .train import fit_model

    current_dir = served_model_dir(settings)
    if not (current_dir / MANIFEST).exists():
        raise ModelNotFoundError(f"the served model '{current_dir}' has no {MANIFEST}; "
                                 "fix TEXTMINE_MODEL_DIR or run 'textmine retrain --rollback'")
    current_manifest = json.loads((current_dir / MANIFEST).read_text(encoding="utf-8"))
    corpus = load_corpus(Path(corpus_path) if corpus_path else CORPUS_DIR)
    store = ReviewStore(settings.review_db)
    reviewed = store.reviewed_notes(labels=corpus.labels) if Path(settings.review_db).exists() else []
    combined, current_notes, review_ids = build_training_set(corpus, reviewed,
                                                             set(current_manifest.get("review_ids") or []))
    params = _params_from(current_manifest, folds)
    k = folds or params.folds
    comparison = compare_on_folds(combined, current_notes, params, folds=k, progress=progress)
    if on_comparison:
        on_comparison(comparison)
    if progress:
        progress("fitting the new version on all notes")
    model = fit_model(combined, params)
    versions = Path(settings.models_root) / VERSIONS
    versions.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".building-", dir=versions))
    dictionary = DEFAULT_DICTIONARY if DEFAULT_DICTIONARY.exists() else None
    try:
        save_model(model, tmp, extra={
            "name": current_manifest.get("name", "default"),
            "metrics": comparison["new"]["all_notes"],
            "corpus_sha256": corpus.sha256,
            "corpus_files": [Path(s).name for s in corpus.sources],
            "corpus_notes": len(corpus.notes),
            "reviews": len(review_ids),
            "review_ids": review_ids,
            "review_db": str(Path(settings.review_db).resolve()),
            "based_on": current_manifest.get("version"),
            "comparison": {w: comparison[w] for w in ("setup", "current", "new")},
            "dictionary_sha256": file_sha256(dictionary) if dictionary else None,
            "params": asdict(params),
        })
        version = model.manifest["version"]
        final = versions / version
        if final.exists():  # same data, same artifact: the version is already built
            shutil.rmtree(tmp)
        else:
            tmp.rename(final)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return {"version": version, "path": str(final), "comparison": comparison, "reviews": len(review_ids),
            "based_on": current_manifest.get("version")}


# --------------------------------------------------------------------------------------------- CLI
def register_cli(subparsers) -> None:
    """Add ``textmine retrain`` to the command line."""
    r = subparsers.add_parser(
        "retrain", help="build a new model version from the corpus plus confirmed reviews; compare; promote",
        description="Build a new model version from the corpus plus reviewers' confirmed judgments, compare it "
                    "with the served model on the same folds, and (only with --promote) serve it.")
    r.add_argument("--corpus", help="JSONL corpus file or folder (default: corpora/notes)")
    r.add_argument("--folds", type=int, help="cross-validation folds (default: as the served model was trained)")
    r.add_argument("--review-db", help="review store (default: TEXTMINE_REVIEW_DB)")
    r.add_argument("--models-dir", help="folder of versions and of current.json (default: TEXTMINE_MODELS_ROOT)")
    g = r.add_mutually_exclusive_group()
    g.add_argument("--promote", nargs="?", const=True, metavar="VERSION",
                   help="serve the new version (or an already built VERSION) from the next service start")
    g.add_argument("--rollback", action="store_true", help="serve the previously served version again")
    g.add_argument("--list", action="store_true", help="list built versions and what is served")
    r.add_argument("--json", help="also write the comparison as JSON to this file")
    r.set_defaults(func=cmd_retrain)


def cmd_retrain(args) -> int:
    from .settings import get_settings

    settings = get_settings()
    update = {}
    if args.review_db:
        update["review_db"] = Path(args.review_db)
    if args.models_dir:
        update["models_root"] = Path(args.models_dir)
    settings = settings.model_copy(update=update)
    err = lambda m: print(m, file=sys.stderr)  # noqa: E731
    if args.list:
        served = served_model_dir(settings).resolve()
        for v in list_versions(settings):
            mark = "*" if Path(v["path"]).resolve() == served else " "
            print(f"{mark} {v['version']}  created {v['created']}  reviews {v['reviews']}  macro_f1 {v['macro_f1']}")
        print(f"served: {served}")
        return 0
    if args.rollback:
        data = rollback(settings)
        err(f"rolled back: now serving {data['current']} (was {data['rolled_back_from']}); restart 'textmine serve'")
        return 0
    if isinstance(args.promote, str):
        target = Path(settings.models_root) / VERSIONS / args.promote
        if not target.exists() and Path(args.promote).exists():
            target = Path(args.promote)
        data = promote(settings, target)
        err(f"promoted: now serving {data['current']} (previous kept for --rollback); restart 'textmine serve'")
        return 0
    result = retrain(settings, args.corpus, args.folds, progress=lambda m: err(f"  {m}"),
                     on_comparison=lambda report: print(format_comparison(report), flush=True))
    if args.json:
        Path(args.json).write_text(json.dumps(result, ensure_ascii=False, indent=2), encoding="utf-8")
    err(f"built version {result['version']} from {result['reviews']} reviewed note(s) + the corpus → {result['path']}")
    if args.promote is True:
        data = promote(settings, Path(result["path"]))
        err(f"promoted: now serving {data['current']} (previous kept for --rollback); restart 'textmine serve'")
    else:
        err(f"not served yet; to serve it: textmine retrain --promote {result['version']}")
    return 0
