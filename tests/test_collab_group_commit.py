"""Changes sent at once to one shared document: stored together, each answered alone.

Whoever takes the document's lock stores every change waiting by then in one commit. These
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
from tests.test_collab import document_id, notes, reloaded  # noqa: F401 - notes: a fixture

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
