"""Snippets as pieces (text, matched) from character spans of matched words; never HTML.

Engine-independent: a backend finds where the matched words are (character offsets in the
original text), this module picks the best passage and cuts it into pieces.
"""

from __future__ import annotations

import re

from app.search.base import Snippet

WIDTH = 240  # characters of a passage (about two lines of a results page)
LEAD = 60  # context kept before the first matched word of a passage
SCAN = 200_000  # only matches within the first SCAN characters are considered (bounded cost)
_SPACE = re.compile(r"\s+")

Span = tuple[int, int]


def _merged(spans, limit: int) -> list[Span]:
    """Sorted spans inside [0, limit), overlapping ones merged (a word matched twice)."""
    merged: list[list[int]] = []
    for start, end in sorted(s for s in spans if 0 <= s[0] < s[1] <= limit):
        if merged and start < merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return [(start, end) for start, end in merged]


def _pieces(text: str, spans: list[Span], start: int, end: int) -> list[tuple[str, bool]]:
    """text[start:end] cut at the spans, whitespace runs shown as one space."""
    pieces: list[tuple[str, bool]] = []
    at = start
    for s, e in spans:
        if s < start or e > end:
            continue
        if s > at:
            pieces.append((_SPACE.sub(" ", text[at:s]), False))
        pieces.append((_SPACE.sub(" ", text[s:e]), True))
        at = e
    if at < end:
        pieces.append((_SPACE.sub(" ", text[at:end]), False))
    return [piece for piece in pieces if piece[0]]


def marked(text: str, spans) -> Snippet:
    """The whole text (a title) with the matched words marked."""
    return tuple(_pieces(text, _merged(spans, len(text)), 0, len(text)))


def _best_window(text: str, spans: list[Span]) -> int:
    """The index of the span opening the window with the most distinct matched words."""
    best, best_key, last = 0, (-1, -1), 0
    for first in range(len(spans)):
        last = max(last, first)
        while last + 1 < len(spans) and spans[last + 1][1] - spans[first][0] <= WIDTH - LEAD:
            last += 1
        window = spans[first : last + 1]
        words = {text[s:e].casefold() for s, e in window}
        key = (len(words), len(window))
        if key > best_key:
            best, best_key = first, key
    return best


def passage(text: str, spans) -> Snippet:
    """The best passage (about WIDTH characters) of a body, matched words marked.

    Without a match in the first SCAN characters: the opening of the text, unmarked.
    """
    spans = _merged(spans, min(len(text), SCAN))
    if not text.strip():
        return ()
    anchor = spans[_best_window(text, spans)][0] if spans else 0
    start = max(0, anchor - LEAD)
    if start > 0:  # begin at a word: after the first space before the anchor
        space = text.rfind(" ", start, anchor)
        start = space + 1 if space >= 0 else start
    end = min(len(text), start + WIDTH)
    if end < len(text):  # end at a word, but never inside a matched word
        space = text.rfind(" ", max(anchor, start) + 1, end)
        end = space if space > 0 else end
        for s, e in spans:
            if s < end < e:
                end = e
    pieces = _pieces(text, spans, start, end)
    if not pieces:
        return ()
    if start > 0:
        pieces.insert(0, ("…", False))
    if end < len(text):
        pieces.append(("…", False))
    return _joined(pieces)


def _joined(pieces: list[tuple[str, bool]]) -> Snippet:
    """Adjacent unmatched pieces joined (the ellipses were added as pieces of their own)."""
    out: list[tuple[str, bool]] = []
    for piece in pieces:
        if out and not piece[1] and not out[-1][1]:
            out[-1] = (out[-1][0] + piece[0], False)
        else:
            out.append(piece)
    return tuple(out)
