"""A readable word-level difference between two texts, as pieces (never HTML).

Words and the spaces between them are compared (difflib), so a changed word shows as that
word removed and its replacement added, not as a whole changed line. Bounded: past
MAX_TOKENS words a text is compared line by line instead.
"""

from __future__ import annotations

import difflib
import re

MAX_TOKENS = 30_000
_TOKENS = re.compile(r"\s+|[^\s]+")

Piece = tuple[str, str]  # ("same" | "removed" | "added", text)


def _tokens(text: str) -> list[str]:
    tokens = _TOKENS.findall(text)
    if len(tokens) > MAX_TOKENS:
        return text.splitlines(keepends=True)
    return tokens


def word_diff(old: str, new: str) -> list[Piece]:
    """The pieces that turn old into new: kept, removed and added runs of words."""
    a, b = _tokens(old), _tokens(new)
    pieces: list[Piece] = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if op == "equal":
            pieces.append(("same", "".join(a[i1:i2])))
            continue
        if i2 > i1:
            pieces.append(("removed", "".join(a[i1:i2])))
        if j2 > j1:
            pieces.append(("added", "".join(b[j1:j2])))
    return pieces


def changed(pieces: list[Piece]) -> bool:
    """Whether anything differs."""
    return any(kind != "same" for kind, _text in pieces)
