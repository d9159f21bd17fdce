"""Stage 7: explain a decision — which terms in the note pushed each assigned category.

For a linear model the contribution of a feature to label *j* is its TF-IDF value times the
weight the model learned for it; the largest positive contributions are the reasons (the way eli5
explains a linear classifier). Features are word n-grams ("w:低价 发包") or character n-grams
("c:发包"); each is mapped back to the character spans where it occurs in the note, then to
the text as received.
"""

from __future__ import annotations

import re

import numpy as np

from .normalize import Normalized

__all__ = ["highlights", "render_terminal"]


def highlights(idx: np.ndarray, vals: np.ndarray, coef: np.ndarray, labels: list[str], assigned: list[int],
               feature_names: np.ndarray, norm: Normalized, segment_spans, top_k: int = 6) -> list[dict]:
    """Highlight spans for the ``assigned`` label indices of one note.

    ``idx``/``vals`` are the note's feature indices and TF-IDF values; ``coef`` the label × feature
    weights; ``segment_spans(text)`` yields ``(word, start, end)`` tokens of the normalised text.
    """
    if not assigned or len(idx) == 0:
        return []
    words = None
    out: list[dict] = []
    for j in assigned:
        contrib = vals * coef[j, idx]
        order = np.argsort(-contrib)[:top_k]
        for k in order:
            weight = float(contrib[k])
            if weight <= 0:
                break
            name = feature_names[idx[k]]
            if name.startswith("w:"):
                if words is None:
                    words = _Tokens(list(segment_spans(norm.text)))
                spans = words.spans_of(name[2:].split(" "))
            else:
                term = name[2:]
                if not term.strip():
                    continue
                spans = [m.span() for m in re.finditer(re.escape(term), norm.text)]
            for s, e in spans:
                os_, oe = norm.to_original(s, e)
                out.append({"start": os_, "end": oe, "label": labels[j], "weight": round(weight, 4)})
    return _merge(out)


class _Tokens:
    """A note's tokens with where each word occurs, to find word n-grams without rescanning."""

    def __init__(self, words: list[tuple[str, int, int]]):
        self.words = words
        self.tokens = [w for w, _, _ in words]
        self.positions: dict[str, list[int]] = {}
        for i, w in enumerate(self.tokens):
            self.positions.setdefault(w, []).append(i)

    def spans_of(self, gram: list[str]) -> list[tuple[int, int]]:
        """Character spans of the consecutive tokens ``gram``."""
        n = len(gram)
        return [(self.words[i][1], self.words[i + n - 1][2]) for i in self.positions.get(gram[0], ())
                if self.tokens[i:i + n] == gram]


def _merge(items: list[dict]) -> list[dict]:
    """One entry per (label, span): overlapping spans of the same label are joined, weights summed
    only once per feature (the largest is kept), ordered by position."""
    by_label: dict[str, list[dict]] = {}
    for it in sorted(items, key=lambda d: (d["label"], d["start"], -d["end"])):
        group = by_label.setdefault(it["label"], [])
        if group and it["start"] < group[-1]["end"]:
            last = group[-1]
            last["end"] = max(last["end"], it["end"])
            last["weight"] = max(last["weight"], it["weight"])
        else:
            group.append(dict(it))
    return sorted((d for g in by_label.values() for d in g), key=lambda d: (d["start"], d["label"]))


_COLOURS = {0: "\033[1;31m", 1: "\033[1;33m", 2: "\033[1;32m", 3: "\033[1;36m", 4: "\033[1;35m"}
_RESET = "\033[0m"


def render_terminal(text: str, result: dict, colour: bool = True) -> str:
    """The note with highlights marked, for ``textmine classify --explain``: coloured in a
    terminal, ``[[term]]`` brackets otherwise, then a legend of labels and evidence."""
    labels = sorted({h["label"] for h in result["highlights"]})
    colour_of = {lab: _COLOURS[i % len(_COLOURS)] for i, lab in enumerate(labels)}
    marks = sorted(result["highlights"], key=lambda h: h["start"])
    pieces, pos = [], 0
    for h in marks:
        if h["start"] < pos:
            continue
        pieces.append(text[pos:h["start"]])
        term = text[h["start"]:h["end"]]
        pieces.append(f"{colour_of[h['label']]}{term}{_RESET}" if colour else f"[[{term}]]")
        pos = h["end"]
    pieces.append(text[pos:])
    lines = ["".join(pieces), ""]
    for lab in result["scores"]:
        mark = "✔" if lab in result["labels"] else " "
        key = f"{colour_of[lab]}■{_RESET} " if colour and lab in colour_of else ""
        lines.append(f" {mark} {key}{lab:<16} {result['scores'][lab]:.2f}")
    lines.append(f" {'✔' if result['clue'] else ' '} clue             {result['clue_score']:.2f}")
    for kind, items in result["evidence"].items():
        if items:
            lines.append(f"   {kind}: " + "、".join(i["text"] for i in items))
    return "\n".join(lines)
