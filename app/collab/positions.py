"""Places in a shared text that follow its edits (Yjs relative positions), in characters.

A relative position names one character by its item id (client, clock), the same on every
client, so it moves with every edit made before it. pycrdt 0.14's StickyIndex mixes two
ways of counting (UTF-8 bytes up to the character's item, UTF-16 units inside it), which
puts positions a few characters off once accented letters precede them in one typing run
(pycrdt issues 379 and 382). So positions are made and read here from item ids directly:
deleting the character in a scratch copy says which id it has, and deleting an id in a
scratch copy says which character it is.
"""

from __future__ import annotations

from collections.abc import Iterable

import pycrdt

from app.collab import protocol
from app.collab.store import ROOT

MAX_POSITION_BYTES = 64  # kind, client id, clock and assoc: about 20 bytes
FOLLOW_DELETED = 32  # characters of its typing run looked at after a deleted one


def utf8_len(text: str) -> int:
    """The length pycrdt gives this text (UTF-8 bytes)."""
    return len(text.encode("utf-8"))


def _scratch(state: bytes) -> tuple[pycrdt.Doc, pycrdt.Text]:
    scratch = pycrdt.Doc()
    scratch.apply_update(state)
    return scratch, scratch.get(ROOT, type=pycrdt.Text)


def encode(state: bytes, text: str, at: int) -> bytes:
    """A position on the character at index `at` of `text` (0 <= at < len).

    `state` is the whole document as an update (Doc.get_update()), `text` its text.
    """
    scratch, shared = _scratch(state)
    before = _deletions(scratch)
    start = utf8_len(text[:at])
    del shared[start : start + utf8_len(text[at])]
    client, clock = _newly_deleted(before, _deletions(scratch))
    return protocol.relative_position(client, clock)


def _deletions(doc: pycrdt.Doc) -> set[tuple[int, int, int]]:
    """Every deleted range of a document (an update from its own state holds only those)."""
    return set(protocol.deleted_ranges(doc.get_update(doc.get_state())))


def _newly_deleted(before: set, after: set) -> tuple[int, int]:
    """The first item id deleted in `after` but not in `before` (ranges merge as they grow)."""
    for client, clock, length in sorted(after - before):
        covered = sorted(
            (c, n) for k, c, n in before if k == client and clock <= c < clock + length
        )
        at = clock
        for start, size in covered:
            if at < start:
                break
            at = max(at, start + size)
        if at < clock + length:
            return client, at
    raise ValueError("nothing was deleted")


def indexes(state: bytes, text: str, positions: Iterable[bytes]) -> dict[bytes, int | None]:
    """Where each position is now in `text` (state's text), in characters; None if nowhere.

    A character is found by deleting its id in a fresh scratch copy and seeing which one
    went: pycrdt 0.14's change events mix their units too, and one copy for several
    positions confuses neighbours once the characters between them are gone. In a run of
    one repeated character ("ll", "  ") this finds the run's first. A position on a deleted
    character is read at the first one still there that was typed after it in the same run
    (Yjs reads it where the deleted one was: the same place, unless more went).
    """
    found: dict[bytes, int | None] = {}
    for position in positions:
        if position in found:
            continue
        item = _item(position)
        found[position] = len(text) if item == "end" else None
        if isinstance(item, tuple):
            client, clock = item
            # At most two scratch copies a position: its character, else (deleted) the run
            # typed after it at once, whose first survivor in the text is the place.
            found[position] = _find(state, text, client, clock, 1)
            if found[position] is None:
                found[position] = _find(state, text, client, clock, FOLLOW_DELETED)
    return found


def _find(state: bytes, text: str, client: int, clock: int, length: int) -> int | None:
    """Where the first still there of `length` characters from (client, clock) is in `text`."""
    scratch, shared = _scratch(state)
    scratch.apply_update(protocol.deletion_update(client, clock, length))
    after = str(shared)
    return _deleted_at(text, after) if len(after) < len(text) else None


def _item(position: bytes) -> tuple[int, int] | str | None:
    if not position or len(position) > MAX_POSITION_BYTES:
        return None
    try:
        item = protocol.position_item(position)
    except protocol.ProtocolError:
        return None
    return "end" if item is None else item


def _deleted_at(before: str, after: str) -> int:
    """Which character of `before` was deleted to give `after` (a run's first if repeated)."""
    same, size = 0, len(after)
    step = 4096
    while same < size and before[same : same + step] == after[same : same + step]:
        same += step
    high = min(same + step, size)
    while same < high:  # the first difference lies in before[same:high]
        middle = (same + high) // 2
        if before[same : middle + 1] == after[same : middle + 1]:
            same = middle + 1
        else:
            high = middle
    # before[same] is the last of the run the deleted character was in: go to its first.
    while same > 0 and before[same - 1] == before[same]:
        same -= 1
    return same
