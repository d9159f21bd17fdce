"""Stage 1: normalise a note before segmentation, keeping a map back to the text as received.

What changes, and why:
- full-width ASCII (２０２１年, ＡＢＣ) becomes half-width, so "2021" is one feature however it was typed;
- Traditional characters become Simplified, one character for one character (OpenCC's character
  table), so 補貼 and 补贴 are the same word; phrase-level conversion is not used because it can
  change the length and would break offsets;
- ASCII letters are lower-cased;
- control characters and odd whitespace (ideographic space, NBSP, tabs, line breaks) become a
  plain space; zero-width characters and soft hyphens are removed.

Results carry character offsets into the text *as received*. Almost every change is one
character for one character, so the map is the identity; only removed characters shift it, and
:class:`Normalized` then keeps an explicit index array.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

__all__ = ["Normalized", "normalize", "normalize_text", "codepoint_table"]

_REMOVED = "\u200b\u200c\u200d\u2060\ufeff\u00ad"


def _opencc_characters() -> dict[str, str]:
    """Traditional → Simplified single characters from the OpenCC table shipped with the
    ``opencc-python-reimplemented`` package (read from disk: nothing is downloaded)."""
    import opencc  # local import: only needed when the table is first built

    path = Path(opencc.__file__).resolve().parent / "dictionary" / "TSCharacters.txt"
    table: dict[str, str] = {}
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            parts = line.rstrip("\n").split("\t")
            if len(parts) != 2:
                continue
            trad, simp = parts[0], parts[1].split(" ")[0]
            if len(trad) == 1 and len(simp) == 1 and trad != simp:
                table[trad] = simp
    return table


@lru_cache(maxsize=1)
def _translation_table() -> dict[int, str | None]:
    table: dict[int, str | None] = {}
    for trad, simp in _opencc_characters().items():
        table[ord(trad)] = simp
    # Full-width ASCII block U+FF01..U+FF5E maps to U+0021..U+007E.
    for code in range(0xFF01, 0xFF5F):
        table[code] = chr(code - 0xFEE0).lower()
    for code in range(ord("A"), ord("Z") + 1):
        table[code] = chr(code).lower()
    for ch in _REMOVED:
        table[ord(ch)] = None
    # Every control, space-separator, line- and paragraph-separator character lies below U+3001.
    for code in range(0x3001):
        if code in table:
            continue
        ch = chr(code)
        cat = unicodedata.category(ch)
        if ch in _REMOVED:
            table[code] = None
        elif cat == "Cc" or (cat == "Zs" and ch != " ") or cat in ("Zl", "Zp"):
            table[code] = " "
    # Chinese punctuation whose half-width twin tokenises the same way is left alone; only
    # the ideographic space (a Zs) was folded above.
    return table


@lru_cache(maxsize=1)
def codepoint_table() -> np.ndarray:
    """The same normalisation as an array over code points, for whole batches at once:
    ``table[ord(ch)]`` is the normalised code point of ``ch``, or -1 where ``ch`` is removed."""
    table = np.arange(0x110000, dtype=np.int32)
    for code, mapped in _translation_table().items():
        table[code] = -1 if mapped is None else ord(mapped)
    return table


def normalize_text(text: str) -> str:
    """The normalised string alone (for vectorisers, which need no offsets)."""
    return text.translate(_translation_table())


@dataclass(frozen=True)
class Normalized:
    """A normalised note and the way back to the text as received.

    ``source_index[i]`` is the index in the original text of normalised character ``i``; it
    is ``None`` when normalisation removed nothing (the identity map, the common case).
    """

    original: str
    text: str
    source_index: tuple[int, ...] | None = None

    def to_original(self, start: int, end: int) -> tuple[int, int]:
        """Map a ``[start, end)`` span of the normalised text to the original text."""
        if self.source_index is None:
            return start, end
        if start >= len(self.source_index):
            return len(self.original), len(self.original)
        o_start = self.source_index[start]
        o_end = self.source_index[end - 1] + 1 if end > start else o_start
        return o_start, o_end


def normalize(text: str) -> Normalized:
    """Normalise ``text`` and keep the offset map (see the module docstring)."""
    table = _translation_table()
    out = text.translate(table)
    if len(out) == len(text):
        return Normalized(text, out)
    # Some characters were removed: build the index map character by character.
    chars: list[str] = []
    index: list[int] = []
    for i, ch in enumerate(text):
        mapped = table.get(ord(ch), ch)
        if mapped is None:
            continue
        chars.append(mapped)
        index.append(i)
    return Normalized(text, "".join(chars), tuple(index))
