"""The ``textmine`` command line.

Exit codes: 0 success; 1 finished, but some rows/notes were bad (listed on stderr, the rest done);
2 nothing done (bad arguments, unreadable file, unusable model) — the message says how to fix it.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from .errors import InputError, TextmineError

__all__ = ["main", "build_parser"]

EXIT_OK, EXIT_PARTIAL, EXIT_FAIL = 0, 1, 2


def _print_json(obj, fh=None):
    print(json.dumps(obj, ensure_ascii=False, indent=2), file=fh or sys.stdout)


def _err(msg: str) -> None:
    print(f"textmine: {msg}", file=sys.stderr)


# --------------------------------------------------------------------------------------------- classify
def _iter_notes(path: Path, text_column: str | None, sheet: str | None):
    """(id, text) for good rows, (row, reason) for bad ones: yields ("ok", id, text) / ("bad", row, reason)."""
    from .readers import find_column, find_text_columns, read_records, ID_COLUMN_NAMES

    header, records = read_records(path, sheet)
    if path.suffix.lower() in (".jsonl", ".json"):
        text_cols = [text_column or "text"]
        id_col = "id"
    else:
        text_cols = find_text_columns(header, text_column)
        id_col = find_column(header, None, ID_COLUMN_NAMES, "id", "", required=False)
    for rec in records:
        if rec.fields is None:
            yield "bad", rec.row, "the row could not be read (broken line or invalid JSON); fix or remove it"
            continue
        if not rec.fields:
            yield "bad", rec.row, "the row is empty"
            continue
        values = [rec.fields.get(c) for c in text_cols]
        if path.suffix.lower() in (".jsonl", ".json") and not isinstance(values[0], str):
            what = "missing" if values[0] is None else f"not text ({type(values[0]).__name__})"
            yield "bad", rec.row, f"'{text_cols[0]}' is {what}; each line needs {{\"id\": …, \"text\": \"…\"}}"
            continue
        text = "\n".join(str(v).strip() for v in values if v is not None and str(v).strip())
        if not text:
            yield "bad", rec.row, f"the text column ({', '.join(text_cols)}) is empty"
            continue
        nid = rec.fields.get(id_col) if id_col else None
        yield "ok", (nid if nid not in (None, "") else rec.row), text


def cmd_classify(args) -> int:
    from .persist import load_model

    model = load_model(args.model)
    if args.input is None:
        if args.text is None:
            raise InputError("give a note in quotes (textmine classify \"…\") or a file with --input FILE")
        result = model.classify(args.text)
        if args.explain:
            from .explain import render_terminal

            print(render_terminal(args.text, result, colour=sys.stdout.isatty() and not args.no_colour))
        else:
            _print_json(result)
        return EXIT_OK
    if args.output is None:
        raise InputError("--input needs --output FILE (JSONL, one result per note)")
    bad = 0
    done = 0
    batch_ids, batch_texts = [], []
    with open(args.output, "w", encoding="utf-8") as out:
        def flush():
            nonlocal done
            for res in model.classify_many(batch_texts, ids=batch_ids, explain=args.explain_all):
                out.write(json.dumps(res, ensure_ascii=False) + "\n")
            done += len(batch_texts)
            batch_ids.clear()
            batch_texts.clear()

        for status, a, b in _iter_notes(Path(args.input), args.text_column, args.sheet):
            if status == "bad":
                bad += 1
                _err(f"{args.input}, row {a}: {b} — skipped")
                continue
            batch_ids.append(a)
            batch_texts.append(b)
            if len(batch_texts) >= 512:
                flush()
        if batch_texts:
            flush()
    print(f"classified {done} notes → {args.output}" + (f"; {bad} bad rows skipped (listed above)" if bad else ""),
          file=sys.stderr)
    return EXIT_PARTIAL if bad else EXIT_OK


# --------------------------------------------------------------------------------------------- train/evaluate
def _params(args):
    from .train import TrainParams

    C = TrainParams.C if args.C is None else args.C
    return TrainParams(C=C, folds=args.folds, backend=args.backend)


def _load(args, path):
    from .corpus import load_labelled
    from .settings import CORPUS_DIR

    return load_labelled(Path(path) if path else CORPUS_DIR, text_column=args.text_column,
                         label_column=args.label_column, sheet=args.sheet)


def cmd_train(args) -> int:
    from .train import train_model

    corpus = _load(args, args.corpus)
    print(f"training on {len(corpus.notes)} notes, labels: {', '.join(corpus.labels)}", file=sys.stderr)
    model = train_model(corpus, args.out, _params(args), name=args.name, evaluate=not args.no_eval,
                        progress=lambda m: print(f"  cross-validation {m}", file=sys.stderr))
    metrics = model.manifest.get("metrics") or {}
    summary = {k: metrics[k] for k in ("macro_f1", "micro_f1", "exact_match", "accuracy") if k in metrics}
    if "clue" in metrics:
        summary["clue_f1"] = metrics["clue"]["f1"]
        summary["clue_average_precision"] = metrics["clue"]["average_precision"]
    print(f"saved {model.version} → {args.out}  {json.dumps(summary)}", file=sys.stderr)
    return EXIT_OK


def cmd_evaluate(args) -> int:
    from .evaluate import cross_validate, evaluate_split, format_report, kind_split

    corpus = _load(args, args.corpus)
    params = _params(args)
    reports = {}
    if args.evidence_only:
        pass
    elif args.test:
        test = _load(args, args.test)
        reports["held_out"] = evaluate_split(corpus, test, params, baselines=not args.no_baselines)
    else:
        reports["cross_validation"] = cross_validate(corpus, params, baselines=not args.no_baselines,
                                                     progress=lambda m: print(f"  {m}", file=sys.stderr))
        kinds = {n.kind for n in corpus.notes}
        for kind in args.split_kind or []:
            if kind in kinds:
                tr, te = kind_split(corpus, kind)
                reports[f"train_without_{kind}_test_on_{kind}"] = evaluate_split(tr, te, params,
                                                                                 baselines=not args.no_baselines)
    for name, rep in reports.items():
        print(format_report(rep, title=f"== {name} =="))
        print()
    if args.evidence:
        from .evaluate import evidence_report, format_evidence_report

        target = _load(args, args.test) if args.test else corpus
        reports["evidence"] = evidence_report(target)
        print(f"== evidence extraction against the annotations of {len(target.notes)} notes ==")
        print(format_evidence_report(reports["evidence"]))
        print()
    if args.by_file:
        from .evaluate import evidence_by_file, format_evidence_by_file

        reports["evidence_by_file"] = evidence_by_file(corpus)
        print("== evidence per corpus file (leave one file out: a file per writer) ==")
        print(format_evidence_by_file(reports["evidence_by_file"]))
        print()
    if args.json:
        Path(args.json).write_text(json.dumps(reports, ensure_ascii=False, indent=2), encoding="utf-8")
        print(f"JSON written to {args.json}", file=sys.stderr)
    else:
        _print_json(reports)
    return EXIT_OK


def cmd_corpus_check(args) -> int:
    from .corpus import check_corpus
    from .settings import CORPUS_DIR

    problems, stats = check_corpus(Path(args.path) if args.path else CORPUS_DIR)
    for f, line, why in problems:
        print(f"{f}:{line}: {why}")
    _print_json(stats, sys.stderr)
    if problems:
        _err(f"{len(problems)} problem(s) found")
        return EXIT_PARTIAL
    print("corpus OK", file=sys.stderr)
    return EXIT_OK


# --------------------------------------------------------------------------------------------- parser
#: Sub-commands defined in this module; the others come from their stage's module (see _extensions).
CORE_COMMANDS = ("classify", "train", "evaluate", "corpus")


def build_parser(extensions: bool = True) -> argparse.ArgumentParser:
    """The command-line parser; ``extensions=False`` leaves out the sub-commands of other modules
    (importing screening, the service and retraining only to register them costs ~0.2 s)."""
    p = argparse.ArgumentParser(prog="textmine", description="Tag petitions and interview notes; surface clues.")
    sub = p.add_subparsers(dest="command", required=True)

    c = sub.add_parser("classify", help="classify one note or a file of notes")
    c.add_argument("text", nargs="?", help="the note's text (in quotes)")
    c.add_argument("--input", help="JSONL/CSV/XLSX file of notes")
    c.add_argument("--output", help="JSONL file for the results")
    c.add_argument("--text-column", help="name of the text column (default: guessed from usual names)")
    c.add_argument("--sheet", help="XLSX sheet (default: all sheets)")
    c.add_argument("--model", help="model folder (default: the bundled model)")
    c.add_argument("--explain", action="store_true", help="show the note with the reasons highlighted")
    c.add_argument("--no-colour", action="store_true", help="mark highlights with [[…]] instead of colour")
    c.add_argument("--no-highlights", dest="explain_all", action="store_false",
                   help="skip highlights in file output (faster)")
    c.set_defaults(func=cmd_classify)

    def data_args(q):
        q.add_argument("--corpus", help="JSONL corpus (file or folder) or CSV/TSV/XLSX table (default: corpora/notes)")
        q.add_argument("--text-column", help="text column of a table")
        q.add_argument("--label-column", help="label column of a table (several labels joined by |)")
        q.add_argument("--sheet", help="XLSX sheet")
        q.add_argument("--C", type=float, help="inverse regularisation (default: TrainParams.C, 30)")
        q.add_argument("--folds", type=int, default=5, help="cross-validation folds (default 5)")
        q.add_argument("--backend", default="jieba", choices=["jieba", "rjieba"], help="segmenter backend")

    t = sub.add_parser("train", help="train a model and save it with its manifest")
    data_args(t)
    t.add_argument("--out", required=True, help="folder to write the model to")
    t.add_argument("--name", help="model name (default: the folder name)")
    t.add_argument("--no-eval", action="store_true", help="skip cross-validated metrics in the manifest")
    t.set_defaults(func=cmd_train)

    e = sub.add_parser("evaluate", help="cross-validate textmine and baselines, print metrics")
    data_args(e)
    e.add_argument("--test", help="held-out labelled file instead of cross-validation")
    e.add_argument("--split-kind", action="append", help="also train without this kind and test on it "
                                                         "(e.g. --split-kind transcript)")
    e.add_argument("--no-baselines", action="store_true", help="skip the keyword and fastText baselines")
    e.add_argument("--evidence", action="store_true", help="also score evidence extraction against the annotations")
    e.add_argument("--by-file", action="store_true",
                   help="also score evidence per corpus file, each with nothing learned from it (a file per writer)")
    e.add_argument("--evidence-only", action="store_true",
                   help="skip the category and clue evaluation (use with --evidence and/or --by-file)")
    e.add_argument("--json", help="write the full report as JSON to this file")
    e.set_defaults(func=cmd_evaluate)

    k = sub.add_parser("corpus", help="corpus tools")
    ksub = k.add_subparsers(dest="corpus_command", required=True)
    kc = ksub.add_parser("check", help="validate a labelled JSONL corpus")
    kc.add_argument("path", nargs="?", help="file or folder (default: corpora/notes)")
    kc.set_defaults(func=cmd_corpus_check)

    for register in _extensions() if extensions else ():
        register(sub)
    return p


def _extensions():
    """Sub-commands defined next to their stage (screen, transcript, serve, retrain)."""
    from importlib import import_module

    out = []
    for mod in ("textmine.screen", "textmine.transcript", "service.cli", "textmine.retrain"):
        try:
            out.append(import_module(mod).register_cli)
        except ModuleNotFoundError as exc:
            if exc.name != mod:
                raise
    return out


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    # `textmine classify "…"` from a cold process should not pay for importing the other stages.
    args = build_parser(extensions=not argv or argv[0] not in CORE_COMMANDS).parse_args(argv)
    try:
        return args.func(args)
    except TextmineError as exc:
        _err(str(exc))
        return EXIT_FAIL
    except KeyboardInterrupt:
        _err("interrupted")
        return EXIT_FAIL


if __name__ == "__main__":
    sys.exit(main())
