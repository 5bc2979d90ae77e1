"""A readable word-level difference between two texts, as pieces (never HTML).

Lines are compared first; within each changed run of lines, words (each with the spaces
after it) are compared, so a changed word shows as that word removed and its replacement
added, not as a whole changed line. Bounded: difflib's matcher is quadratic in the worst
case (two unrelated 14,000-word paragraphs took 37 s), so a changed run longer than
MAX_BLOCK words on either side is shown as removed and added whole.
"""

from __future__ import annotations

import difflib
import re

MAX_BLOCK = 1_000  # words compared word by word within one changed run of lines
_WORDS = re.compile(r"\s+|\S+\s*")

Piece = tuple[str, str]  # ("same" | "removed" | "added", text)


def word_diff(old: str, new: str) -> list[Piece]:
    """The pieces that turn old into new: kept, removed and added runs of words."""
    a, b = old.splitlines(keepends=True), new.splitlines(keepends=True)
    pieces: list[Piece] = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b).get_opcodes():
        before, after = "".join(a[i1:i2]), "".join(b[j1:j2])
        if op == "equal":
            pieces.append(("same", before))
        else:
            pieces += _words(before, after)
    return _joined(pieces)


def _words(old: str, new: str) -> list[Piece]:
    """Word by word within a changed run (whole, past MAX_BLOCK words on either side)."""
    a, b = _WORDS.findall(old), _WORDS.findall(new)
    if len(a) > MAX_BLOCK or len(b) > MAX_BLOCK:
        return [("removed", old), ("added", new)]
    pieces: list[Piece] = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b).get_opcodes():
        if op == "equal":
            pieces.append(("same", "".join(a[i1:i2])))
            continue
        pieces += [("removed", "".join(a[i1:i2])), ("added", "".join(b[j1:j2]))]
    return pieces


def _joined(pieces: list[Piece]) -> list[Piece]:
    """Empty pieces dropped, neighbours of one kind joined."""
    out: list[Piece] = []
    for kind, text in pieces:
        if not text:
            continue
        if out and out[-1][0] == kind:
            out[-1] = (kind, out[-1][1] + text)
        else:
            out.append((kind, text))
    return out


def changed(pieces: list[Piece]) -> bool:
    """Whether anything differs."""
    return any(kind != "same" for kind, _text in pieces)
