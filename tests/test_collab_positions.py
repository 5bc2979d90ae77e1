"""Places in a shared text (Yjs relative positions) made and read as yjs itself does.

pycrdt's StickyIndex puts them a few characters off when accented letters come earlier in
the same typing run; app/collab/positions.py works from item ids instead. Checked here on a
text edited by three clients in Spanish, Arabic and emoji, against node's yjs: made exactly
as yjs makes them, read where yjs reads them (in a run of one repeated character, at the
run's first).
"""

from __future__ import annotations

import base64
import random

import pycrdt

from app.collab import positions, protocol
from tests.test_collab import _node, b64

ALPHABET = "abcde ñéüàç😀📊 تحقيق\n"


def _edited_by_three(seed: int, steps: int) -> tuple[list[pycrdt.Doc], list[pycrdt.Text]]:
    """Three replicas that took turns inserting and deleting runs of mixed characters."""
    rng = random.Random(seed)
    docs = [pycrdt.Doc(client_id=seed * 100 + i + 1) for i in range(3)]  # a fixed run
    texts = [doc.get("text", type=pycrdt.Text) for doc in docs]
    for _ in range(steps):
        i = rng.randrange(3)
        doc, shared = docs[i], texts[i]
        text = str(shared)
        at = positions.utf8_len(text[: rng.randint(0, len(text))])
        shared.insert(at, "".join(rng.choice(ALPHABET) for _ in range(rng.randint(1, 8))))
        text = str(shared)
        if rng.random() < 0.3 and len(text) > 4:
            start = rng.randrange(len(text) - 3)
            a, b = (positions.utf8_len(text[:n]) for n in (start, start + 2))
            del shared[a:b]
        for j in range(3):
            if j != i:
                docs[j].apply_update(doc.get_update(docs[j].get_state()))
    return docs, texts


def test_positions_are_the_ones_yjs_makes_and_are_read_where_yjs_reads_them():
    docs, texts = _edited_by_three(seed=7, steps=80)
    state, text = docs[0].get_update(), str(texts[0])
    assert any(ord(c) > 0xFFFF for c in text) and any("\u0600" <= c <= "\u06ff" for c in text)
    every = list(range(len(text)))
    made = _node({"updates": [b64(state)], "positions": every})["made"]
    ours = [b64(positions.encode(state, text, at)) for at in every]
    assert ours == made
    anchors = [base64.b64decode(p) for p in made]
    places = positions.indexes(state, text, anchors)
    assert _runs(text, [places[a] for a in anchors]) == _runs(text, every)

    # Others go on editing (text added before, passages deleted): both still agree.
    rng = random.Random(3)
    for step in range(30):
        shared, line = texts[step % 3], str(texts[step % 3])
        at = rng.randint(0, len(line))
        if step % 4 == 3 and at < len(line) - 1:
            a, b = (positions.utf8_len(line[:n]) for n in (at, at + 1))
            del shared[a:b]
        else:
            shared.insert(positions.utf8_len(line[:at]), rng.choice(["Añadido ", "😀 ", "تم "]))
        for j in range(3):
            if j != step % 3:
                docs[j].apply_update(docs[step % 3].get_update(docs[j].get_state()))
    state, text = docs[1].get_update(), str(texts[1])
    theirs = _node({"updates": [b64(state)], "resolve": made})["resolved"]
    places = positions.indexes(state, text, anchors)
    ids = _ids(state, text)
    there = [protocol.position_item(a) in ids for a in anchors]
    assert 0 < there.count(False) < len(anchors) // 4  # some passages were deleted
    ours = _runs(text, [places[a] for a, kept in zip(anchors, there, strict=True) if kept])
    assert ours == _runs(text, [at for at, kept in zip(theirs, there, strict=True) if kept])
    # On a deleted character: the next one still there of the same typing run.
    for anchor, kept in zip(anchors, there, strict=True):
        if not kept and places[anchor] is not None:
            client, clock = protocol.position_item(anchor)
            now = protocol.position_item(positions.encode(state, text, places[anchor]))
            assert now[0] == client and clock < now[1] <= clock + positions.FOLLOW_DELETED


def _ids(state: bytes, text: str) -> set[tuple[int, int]]:
    """The item id of every character of the text (as yjs names them: checked above)."""
    return {protocol.position_item(positions.encode(state, text, i)) for i in range(len(text))}


def _runs(text: str, indexes: list[int | None]) -> list[int | None]:
    """Each index moved to the first of its run of one repeated character ("ll", "  "):
    as closely as a position is read."""
    firsts = []
    for at in indexes:
        while at is not None and 0 < at < len(text) and text[at - 1] == text[at]:
            at -= 1
        firsts.append(at)
    return firsts


def test_a_position_that_names_nothing_here_is_none():
    doc = pycrdt.Doc()
    doc.get("text", type=pycrdt.Text).insert(0, "Texto")
    state = doc.get_update()
    unknown = bytes([0, 0x81, 0x01, 5, 0])  # an item of a client this document never saw
    places = positions.indexes(state, "Texto", [b"", b"\x07garbage", b"\x00" * 80, unknown])
    assert set(places.values()) == {None}


def test_reading_a_position_on_deleted_text_costs_at_most_two_copies(monkeypatch):
    """Every page view places every comment: one whose words were all deleted must not cost
    a scratch copy per character looked at after it."""
    doc = pycrdt.Doc(client_id=7)
    shared = doc.get("text", type=pycrdt.Text)
    shared.insert(0, "Exigimos verdad y justicia.")
    state = doc.get_update()
    anchors = [positions.encode(state, str(shared), at) for at in (0, 9, 18)]
    del shared[0 : positions.utf8_len("Exigimos verdad y justicia.")]
    other = pycrdt.Doc(client_id=8)  # someone else writes a new text
    other.apply_update(doc.get_update())
    other.get("text", type=pycrdt.Text).insert(0, "Nuevo.")
    copies = []
    real = positions._scratch
    monkeypatch.setattr(positions, "_scratch", lambda s: copies.append(1) or real(s))
    places = positions.indexes(other.get_update(), "Nuevo.", anchors)
    assert set(places.values()) == {None}  # the passage and all typed after it are gone
    assert len(copies) <= 2 * len(anchors)
