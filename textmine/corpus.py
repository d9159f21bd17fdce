"""Labelled data: the inspection corpus (JSONL, CONTRACT.md) and users' own tables.

:func:`load_corpus` reads a JSONL file or a folder of them; :func:`check_corpus` validates every
note and names file and line for each problem; :func:`load_table` reads a user's CSV/TSV/XLSX
with a text column and a label column (several labels joined by ``|``).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .errors import CorpusError, InputError
from .readers import find_column, find_text_columns, read_records

__all__ = ["Note", "Corpus", "load_corpus", "check_corpus", "load_table", "load_labelled", "CATEGORIES", "KINDS"]

CATEGORIES = ("party_building", "finance", "three_assets", "livelihood")
CATEGORY_NAMES = {"party_building": "党建", "finance": "财务", "three_assets": "三资管理", "livelihood": "民生"}
KINDS = ("petition", "hotline", "online", "visit", "transcript")
EVIDENCE_KEYS = ("persons", "amounts", "dates", "places", "acts")


@dataclass
class Note:
    id: str
    text: str
    labels: list[str]
    clue: bool | None = None
    kind: str | None = None
    evidence: dict = field(default_factory=dict)
    source: str = ""
    line: int = 0


@dataclass
class Corpus:
    """Labelled notes plus the label set and a content hash (recorded in the model manifest)."""

    notes: list[Note]
    labels: list[str]
    sha256: str
    sources: list[str]

    @property
    def texts(self) -> list[str]:
        return [n.text for n in self.notes]

    def indicator(self) -> np.ndarray:
        index = {lab: j for j, lab in enumerate(self.labels)}
        Y = np.zeros((len(self.notes), len(self.labels)), dtype=np.int8)
        for i, n in enumerate(self.notes):
            for lab in n.labels:
                Y[i, index[lab]] = 1
        return Y

    @property
    def has_clue(self) -> bool:
        return bool(self.notes) and all(n.clue is not None for n in self.notes)

    def clue_array(self) -> np.ndarray:
        return np.array([bool(n.clue) for n in self.notes], dtype=np.int8)

    def subset(self, index) -> "Corpus":
        return Corpus([self.notes[i] for i in index], self.labels, self.sha256, self.sources)


def _files(path: Path) -> list[Path]:
    path = Path(path)
    if path.is_dir():
        files = sorted(path.glob("*.jsonl"))
        if not files:
            raise CorpusError(f"folder '{path}' has no .jsonl files; put the labelled notes there")
        return files
    if not path.exists():
        raise CorpusError(f"corpus '{path}' does not exist; check the path")
    return [path]


def _hash_files(files: list[Path]) -> str:
    h = hashlib.sha256()
    for f in files:
        h.update(f.name.encode())
        h.update(f.read_bytes())
    return h.hexdigest()


def check_corpus(path: Path | str, near_duplicate: float = 0.9) -> tuple[list[tuple[str, int, str]], dict]:
    """Validate a JSONL corpus. Returns ``(problems, stats)``; each problem is (file, line, reason)."""
    problems: list[tuple[str, int, str]] = []
    seen_ids: dict[str, tuple[str, int]] = {}
    notes: list[Note] = []
    for f in _files(path):
        for line_no, line in enumerate(f.read_text(encoding="utf-8").splitlines(), 1):
            if not line.strip():
                continue
            where = (str(f), line_no)
            try:
                d = json.loads(line)
            except json.JSONDecodeError as exc:
                problems.append((*where, f"not valid JSON ({exc.msg} at column {exc.colno})"))
                continue
            if not isinstance(d, dict):
                problems.append((*where, "a line must be a JSON object"))
                continue
            missing = [k for k in ("id", "kind", "text", "labels", "clue", "evidence") if k not in d]
            if missing:
                problems.append((*where, f"missing keys: {', '.join(missing)}"))
                continue
            nid, text = str(d["id"]), d["text"]
            if nid in seen_ids:
                problems.append((*where, f"duplicate id '{nid}' (first at {seen_ids[nid][0]}:{seen_ids[nid][1]})"))
            seen_ids.setdefault(nid, where)
            if not isinstance(text, str) or not text.strip():
                problems.append((*where, "text must be a non-empty string"))
                continue
            if d["kind"] not in KINDS:
                problems.append((*where, f"kind '{d['kind']}' is not one of {', '.join(KINDS)}"))
            labels = d["labels"]
            if not isinstance(labels, list) or any(lab not in CATEGORIES for lab in labels):
                problems.append((*where, f"labels {labels!r} must be a list of {', '.join(CATEGORIES)}"))
                continue
            if len(set(labels)) != len(labels):
                problems.append((*where, f"labels {labels!r} repeat a label"))
            if not isinstance(d["clue"], bool):
                problems.append((*where, "clue must be true or false"))
            ev = d["evidence"]
            if not isinstance(ev, dict) or set(ev) - set(EVIDENCE_KEYS):
                problems.append((*where, f"evidence must be an object with keys {', '.join(EVIDENCE_KEYS)}"))
                ev = {}
            for key, items in ev.items():
                for item in items if isinstance(items, list) else [items]:
                    item_text = item.get("text") if isinstance(item, dict) else item
                    if not isinstance(item_text, str) or not item_text or item_text not in text:
                        problems.append((*where, f"evidence {key} {item_text!r} is not a substring of the text"))
            notes.append(Note(nid, text, list(labels), d["clue"], d["kind"], ev, str(f), line_no))
    problems += _near_duplicates(notes, near_duplicate)
    stats = corpus_stats(notes)
    return problems, stats


def _near_duplicates(notes: list[Note], cutoff: float) -> list[tuple[str, int, str]]:
    """Pairs of notes whose character 4-gram TF-IDF vectors have cosine ≥ cutoff."""
    if len(notes) < 2:
        return []
    from sklearn.feature_extraction.text import TfidfVectorizer

    X = TfidfVectorizer(analyzer="char", ngram_range=(4, 4)).fit_transform(["".join(n.text.split()) for n in notes])
    sims = (X @ X.T).tocoo()
    out = []
    for i, j, v in zip(sims.row, sims.col, sims.data):
        if i < j and v >= cutoff:
            a, b = notes[i], notes[j]
            out.append((b.source, b.line, f"near-duplicate of '{a.id}' ({a.source}:{a.line}), similarity {v:.2f}"))
    return out


def corpus_stats(notes: list[Note]) -> dict:
    n = len(notes)
    stats: dict = {"notes": n}
    for lab in CATEGORIES:
        stats[lab] = sum(lab in x.labels for x in notes)
    stats["multi_label"] = sum(len(x.labels) >= 2 for x in notes)
    stats["no_label"] = sum(not x.labels for x in notes)
    stats["clue"] = sum(bool(x.clue) for x in notes)
    stats["clue_share"] = round(stats["clue"] / n, 3) if n else 0.0
    stats["kinds"] = {k: sum(x.kind == k for x in notes) for k in KINDS}
    lengths = sorted(len(x.text) for x in notes)
    if lengths:
        stats["length"] = {"min": lengths[0], "median": lengths[n // 2], "max": lengths[-1],
                           "over_3000": sum(v > 3000 for v in lengths)}
    return stats


def load_corpus(path: Path | str) -> Corpus:
    """Load a JSONL corpus (file or folder); raises CorpusError listing problems if it is malformed."""
    problems, _ = check_corpus(path, near_duplicate=1.01)
    if problems:
        head = "\n".join(f"  {f}:{line}: {why}" for f, line, why in problems[:20])
        raise CorpusError(f"the corpus has {len(problems)} problem(s); fix them (run 'textmine corpus check'):\n{head}",
                          problems)
    files = _files(path)
    notes = []
    for f in files:
        for line_no, line in enumerate(f.read_text(encoding="utf-8").splitlines(), 1):
            if line.strip():
                d = json.loads(line)
                notes.append(Note(str(d["id"]), d["text"], list(d["labels"]), d["clue"], d["kind"], d["evidence"],
                                  str(f), line_no))
    return Corpus(notes, list(CATEGORIES), _hash_files(files), [str(f) for f in files])


def load_table(path: Path | str, text_column: str | None = None, label_column: str | None = None,
               sheet: str | None = None, separator: str = "|") -> Corpus:
    """A user's CSV/TSV/XLSX with a text and a label column (several labels joined by ``separator``).

    Rows with empty text or labels are skipped and counted in the error if nothing is left.
    """
    header, records = read_records(Path(path), sheet)
    tcols = find_text_columns(header, text_column)
    lcol = find_column(header, label_column, ("label", "labels", "标签", "类别", "分类", "category", "class"), "label",
                       "--label-column")
    notes, skipped = [], 0
    for rec in records:
        if not rec.fields:
            skipped += 1
            continue
        text = "\n".join(str(rec.fields.get(c) or "") for c in tcols).strip()
        raw = str(rec.fields.get(lcol) or "").strip()
        labels = [x.strip() for x in raw.split(separator) if x.strip()] if raw else []
        if not text:
            skipped += 1
            continue
        notes.append(Note(str(rec.fields.get("id") or rec.row), text, labels, None, None, {}, str(path), rec.row))
    if not notes:
        raise InputError(f"'{path}' has no rows with both text and labels (skipped {skipped}); check the columns "
                         f"{', '.join(tcols)} and '{lcol}'")
    label_set = sorted({lab for n in notes for lab in n.labels})
    return Corpus(notes, label_set, _hash_files([Path(path)]), [str(path)])


def load_labelled(path: Path | str, **kw) -> Corpus:
    """A JSONL corpus (file or folder) or a user's table, by file type."""
    p = Path(path)
    if p.is_dir() or p.suffix.lower() == ".jsonl":
        return load_corpus(p)  # the JSONL format names its own fields: column options do not apply
    return load_table(p, **kw)
