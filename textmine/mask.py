"""Mask petitioners' phone numbers and ID-card numbers before anything is written out.

Screening outputs travel (e-mailed spreadsheets, printed reports), so personal numbers are
masked by default; ``--no-mask`` turns it off for staff who must call petitioners back.

What is masked (digits may be half- or full-width, ０-９, and separated by spaces or hyphens,
the way people type them into hotline forms):

- mainland mobiles ``1[3-9]x xxxx xxxx``, with or without ``+86``/``86``: kept ``138****5678``;
- landlines with an area code, ``0xx(x)-xxxxxxx(x)`` or ``(0xx)xxxxxxxx``: area code and last two
  digits kept, ``0571-******78``;
- resident ID numbers, 18 digits with a final ``X`` (or the old 15-digit form), with a valid
  birth month and day: first six and last four kept, ``320102********123X``.

Masking replaces each hidden digit by one ``*``, so the text keeps its length and every offset
computed on the unmasked text (evidence spans, highlights) stays valid on the masked one.
A number glued to other digits (a longer account or order number) is not a phone or ID number
and is left alone.
"""

from __future__ import annotations

import re

__all__ = ["mask_text", "mask_value", "MASK_CHAR"]

MASK_CHAR = "*"

# Matching runs on a shadow copy with full-width digits and signs folded to ASCII, one character
# for one character, so a span found there is the same span in the original.
_FOLD = str.maketrans("０１２３４５６７８９ｘＸ＋－（）", "0123456789xX+-()")
_SEP = r"[ \-‐—]?"  # one optional space or hyphen between digit groups, as typed
_MONTH_DAY = r"(?:0[1-9]|1[0-2])(?:[0-2][0-9]|3[01])"

_ID_RE = re.compile(
    rf"(?<![0-9])(?:[1-9][0-9]{{5}}(?:18|19|20)[0-9]{{2}}{_MONTH_DAY}[0-9]{{3}}[0-9xX]"
    # The 15-digit form of the 1980s and 90s: six-digit region, yymmdd, three digits.
    rf"|[1-9][0-9]{{7}}{_MONTH_DAY}[0-9]{{3}})(?![0-9a-zA-Z])"
)
_MOBILE_RE = re.compile(
    rf"(?<![0-9])(?:\+?86{_SEP})?(?P<num>1[3-9][0-9](?:{_SEP}[0-9]){{8}})(?![0-9])"
)
_LANDLINE_RE = re.compile(
    rf"(?<![0-9])(?P<area>\(?0[1-9][0-9]{{1,2}}\)?)[ \-‐—]?(?P<local>[2-9][0-9]{{2,3}}{_SEP}[0-9]{{4}})(?![0-9])"
)


# Every pattern below needs at least seven digits with at most two separators between neighbours
# (0571)-88… ; most cells and evidence items have none such, and this one search rules them out.
_MAYBE_NUMBER = re.compile(r"[0-9０-９](?:[ \-‐—－()（）]{0,2}[0-9０-９]){6}")


def _hide(chars: list[str], shadow: str, start: int, end: int, keep_first: int, keep_last: int) -> None:
    """Hide the digits of ``shadow[start:end]`` in ``chars`` except the first/last ones; separators stay."""
    positions = [i for i in range(start, end) if shadow[i].isdigit() or shadow[i] in "xX"]
    for i in positions[keep_first: len(positions) - keep_last]:
        chars[i] = MASK_CHAR


def mask_text(text: str) -> str:
    """``text`` with phone and ID-card numbers masked; same length as ``text``."""
    if not text or not _MAYBE_NUMBER.search(text):  # most cells and evidence items: nothing to mask
        return text
    shadow = text.translate(_FOLD)
    chars = list(text)
    # ID numbers first, and the other patterns only outside them: an ID card contains digit runs
    # that would otherwise look like a phone number.
    taken: list[tuple[int, int]] = []
    for m in _ID_RE.finditer(shadow):
        _hide(chars, shadow, m.start(), m.end(), 6, 4 if m.end() - m.start() >= 18 else 3)
        taken.append(m.span())
    for m in _MOBILE_RE.finditer(shadow):
        if not _inside(m.span(), taken):
            _hide(chars, shadow, m.start("num"), m.end("num"), 3, 4)
            taken.append(m.span())
    for m in _LANDLINE_RE.finditer(shadow):
        if not _inside(m.span(), taken):
            _hide(chars, shadow, m.start("local"), m.end("local"), 0, 2)
    return "".join(chars)


def _inside(span: tuple[int, int], taken: list[tuple[int, int]]) -> bool:
    return any(span[0] < e and s < span[1] for s, e in taken)


def mask_value(value):
    """Mask a spreadsheet cell: strings are masked; an integer that is a phone or ID number
    (Excel often stores them as numbers) becomes a masked string; anything else is unchanged."""
    if isinstance(value, str):
        return mask_text(value)
    if isinstance(value, int) and not isinstance(value, bool) and value >= 10**9:
        s = str(value)
        masked = mask_text(s)
        return masked if masked != s else value
    return value
