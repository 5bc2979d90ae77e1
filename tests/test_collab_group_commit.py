"""Changes sent at once to one shared document: stored together, each answered alone.

Whoever takes a turn stores every change waiting by then in one commit. These
run on a database file, where each thread has its own connection as on the real server.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

import pycrdt
import pytest
from sqlalchemy import func, select

from app.collab import hosts, protocol, services, store
from app.errors import ServiceError
from app.extensions import db
from app.models import CollabUpdate
from tests.conftest import app_on_a_file
from tests.test_collab import Editor, document_id, notes, reloaded  # noqa: F401 - notes: a fixture

SENDERS = 6


@pytest.fixture
def app(tmp_path):
    with app_on_a_file(tmp_path) as app:
        yield app


def _changes(words: list[str]) -> list[bytes]:
    """One v1 update per word, each typed by a client of its own on an empty text."""
    updates = []
    for word in words:
        doc = pycrdt.Doc()
        doc.get("text", type=pycrdt.Text).insert(0, word)
        updates.append(doc.get_update())
    return updates


def _send_at_once(app, doc: int, updates: list[bytes], held: Held) -> list:
    """Each update from its own thread, while the first store is held back; their answers.

    Sender i is on connection "sid<i>" and its change goes to the followers of "notes:<doc>".
    """
    answers: list = [None] * len(updates)

    def send(index: int) -> None:
        with app.test_request_context():
            try:
                to = store.Relay(f"notes:{doc}", f"sid{index}")
                answers[index] = services.apply(doc, None, updates[index], to)
            except ServiceError as error:
                answers[index] = error.code
            finally:
                db.session.remove()

    first = threading.Thread(target=send, args=(0,))
    first.start()
    assert held.began.wait(10)  # the first change is being stored: the others queue behind it
    others = [threading.Thread(target=send, args=(i,)) for i in range(1, len(updates))]
    for thread in others:
        thread.start()
    while len(store.live(doc).waiting) < len(others):
        threading.Event().wait(0.01)
    held.go.set()
    for thread in [first, *others]:
        thread.join(30)
    return answers


@dataclass
class Held:
    """The first store, held back: it says when it began and waits for the go."""

    began: threading.Event = field(default_factory=threading.Event)
    go: threading.Event = field(default_factory=threading.Event)


def _hold_first_store(monkeypatch) -> tuple[Held, list[int]]:
    """Make the first store wait until told; record how many changes each store held."""
    held, sizes, real = Held(), [], store.append

    def append(document: int, changes: list) -> list[int]:
        sizes.append(len(changes))
        if len(sizes) == 1:
            held.began.set()
            assert held.go.wait(10)
        return real(document, changes)

    monkeypatch.setattr(store, "append", append)
    return held, sizes


def _record_relays(monkeypatch) -> list[tuple[str, str, str | None]]:
    """What is sent to followers: (name, text the message adds to an empty copy, skipped)."""
    sent: list = []

    def relay(name: str, _document_id: int, message: bytes, skip_sid=None) -> None:
        parsed = protocol.read_message(message)
        assert parsed.step == protocol.SYNC_UPDATE
        doc = pycrdt.Doc()
        doc.apply_update(parsed.payload)
        sent.append((name, str(doc.get("text", type=pycrdt.Text)), skip_sid))

    monkeypatch.setattr(services, "relay", relay)
    return sent


def test_changes_sent_at_once_are_all_stored_in_fewer_commits(app, world, notes, monkeypatch):  # noqa: F811
    held, sizes = _hold_first_store(monkeypatch)
    sent = _record_relays(monkeypatch)
    words = [f"palabra{n} " for n in range(SENDERS)]
    answers = _send_at_once(app, document_id(notes), _changes(words), held)
    assert sorted(answers) == list(range(1, SENDERS + 1))  # each its own number, no gap
    assert sizes == [1, SENDERS - 1]  # the waiting ones went in one commit
    text = reloaded(notes)
    assert all(word in text for word in words)
    count = select(func.count()).select_from(CollabUpdate)
    assert db.session.scalar(count) == SENDERS
    # Followers get one message per turn: the first change alone, not back to its sender;
    # then the five others merged, to everyone (a sender ignores its own change).
    name = f"notes:{document_id(notes)}"
    assert [(n, skip) for n, _text, skip in sent] == [(name, "sid0"), (name, None)]
    assert sent[0][1] == words[0]
    assert sorted(sent[1][1].split()) == sorted(word.strip() for word in words[1:])


def test_a_change_refused_in_a_turn_leaves_the_others_stored(app, world, notes, monkeypatch):  # noqa: F811
    monkeypatch.setattr(store, "MAX_CHARS", 40)
    held, _sizes = _hold_first_store(monkeypatch)
    sent = _record_relays(monkeypatch)
    words = ["uno ", "dos ", "x" * 60, "tres "]
    answers = _send_at_once(app, document_id(notes), _changes(words), held)
    assert answers[2] == "too_long"
    assert not any("x" in text for _name, text, _skip in sent)  # never sent to anyone
    assert sorted("".join(text for _name, text, _skip in sent).split()) == ["dos", "tres", "uno"]
    assert sorted(a for a in answers if isinstance(a, int)) == [1, 2, 3]
    text = reloaded(notes)
    assert "x" not in text and all(word in text for word in ("uno ", "dos ", "tres "))
    assert services.text(document_id(notes)) == text  # the live copy holds what is stored


def test_a_failing_checkpoint_does_not_fail_a_stored_change(app, world, notes, monkeypatch):  # noqa: F811
    """The change is in the log: its sender must hear so (or it sends it again) and the
    others must receive it; the failure is only logged."""

    def broken(*_args) -> None:
        raise RuntimeError("a checkpoint that fails")

    monkeypatch.setattr(hosts, "AFTER_STORE", [broken])
    assert services.apply(document_id(notes), None, _changes(["guardado"])[0]) == 1
    assert reloaded(notes) == "guardado"


def test_a_change_waiting_for_the_document_gives_its_turn_to_other_events(
    app,
    world,
    notes,  # noqa: F811
    monkeypatch,
):
    """A change waiting while another change to the document is stored holds none of the
    process's turns (EventGate): another person's event is answered meanwhile, not "busy"."""
    from app.realtime import EventGate

    held, sizes = _hold_first_store(monkeypatch)
    first, second = (Editor(app, world.coordinator, notes) for _ in range(2))
    reader = Editor(app, world.member, notes)
    gate = EventGate(at_once=2, queue=0, wait=0)  # no queue: without a turn, "busy" at once
    monkeypatch.setitem(app.extensions, "caravana.event_gate", gate)
    answers: dict[str, dict] = {}

    def types(editor: Editor, word: str) -> None:
        answers[word] = editor.type(0, word)

    storing = threading.Thread(target=types, args=(first, "primera "))
    storing.start()
    assert held.began.wait(10)  # the first change is being stored, with its turn
    waiting = threading.Thread(target=types, args=(second, "segunda "))
    waiting.start()
    while not store.live(document_id(notes)).waiting:  # the second waits for the document
        waiting.join(0.01)
    answered = None
    for _attempt in range(500):  # it gives its turn back right after it starts waiting
        answered = reader.sock.emit("collab_leave", {"doc": notes}, callback=True)
        if answered["ok"]:
            break
        threading.Event().wait(0.01)
    held.go.set()
    storing.join(30)
    waiting.join(30)
    assert answered == {"ok": True}
    assert answers["primera "] == {"ok": True, "messages": []}
    assert answers["segunda "] == {"ok": True, "messages": []}
    assert reloaded(notes) in ("segunda primera ", "primera segunda ")
    assert sizes == [1, 1] and gate.stats()["events_waiting"] == 0
    assert gate.enter() and gate.enter() and not gate.enter()  # both turns free again, no more
