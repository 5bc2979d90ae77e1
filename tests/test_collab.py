"""Shared documents (app/collab/): the Yjs sync protocol over socket events, with pycrdt
clients and an independent one (node's yjs), the stored log, bounds and access.

The collab layer knows nothing of manifestos: these tests give it a small owner of their own
("notes" of an organisation: its members read and follow, its coordinators write).
"""

from __future__ import annotations

import base64
import json
import shutil
import subprocess
from pathlib import Path

import pycrdt
import pytest
from sqlalchemy import func, select

from app.collab import hosts, protocol, services, store
from app.db import atomic
from app.extensions import db
from app.models import CollabUpdate, Membership, Organisation
from app.permissions import ORG_MEMBERS, is_coordinator
from tests.test_rooms_sockets import heard, live

ROOT = Path(__file__).resolve().parent.parent
NODE_CLIENT = ROOT / "tests" / "js" / "yjs_client.mjs"

# Not a skip: without Node and yjs this module fails, and `make test` installs them.
assert shutil.which("node") and (ROOT / "node_modules" / "yjs").is_dir(), (
    "install Node and run `npm ci` (as `make test` does) for yjs"
)


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


@pytest.fixture
def notes(app, world):
    """The shared notes of world.org, as "notes:<org id>"."""
    documents: dict[int, int] = {}

    def find(ident: int):
        return db.session.get(Organisation, ident) if ident in documents else None

    hosts.register(
        hosts.Host("notes", find, ORG_MEMBERS, is_coordinator, lambda org: documents[org.id])
    )
    with atomic():
        documents[world.org.id] = store.create().id
    store.forget()
    yield f"notes:{world.org.id}"
    hosts.HOSTS.pop("notes", None)
    store.forget()


def document_id(name: str) -> int:
    host, ident = hosts.parse(name)
    return host.document_id(host.find(ident))


class Editor:
    """A pycrdt client speaking the protocol through a live connection, as a browser does."""

    def __init__(self, app, user, name: str, doc: pycrdt.Doc | None = None) -> None:
        self.name = name
        self.doc = doc or pycrdt.Doc()
        self.sock = live(app, user)
        self.join_ack = self.sock.emit("collab_join", {"doc": name}, callback=True)
        if self.join_ack["ok"]:
            for message in self.join_ack["messages"]:
                self.handle(message)
            self.send(protocol.sync_message(protocol.SYNC_STEP1, self.doc.get_state()))

    @property
    def text(self) -> str:
        return str(self.doc.get("text", type=pycrdt.Text))

    def send(self, message: bytes) -> dict:
        ack = self.sock.emit("collab", {"doc": self.name, "message": b64(message)}, callback=True)
        for reply in ack.get("messages", []):
            self.handle(reply)
        return ack

    def handle(self, encoded: str) -> None:
        message = protocol.read_message(base64.b64decode(encoded))
        if message.kind != protocol.MESSAGE_SYNC:
            return
        if message.step == protocol.SYNC_STEP1:
            self.send(
                protocol.sync_message(protocol.SYNC_STEP2, self.doc.get_update(message.payload))
            )
        else:
            self.doc.apply_update(message.payload)

    def type(self, index: int, words: str, send: bool = True) -> dict | None:
        """Insert words at index locally, and send the change (unless offline)."""
        before = self.doc.get_state()
        text = self.doc.get("text", type=pycrdt.Text)
        text.insert(min(index, len(text)), words)
        if not send:
            return None
        return self.send(protocol.sync_message(protocol.SYNC_UPDATE, self.doc.get_update(before)))

    def listen(self) -> None:
        """Apply what the server pushed since last asked."""
        for push in heard(self.sock, "collab"):
            self.handle(push["message"])


def reloaded(name: str) -> str:
    """The text read again from the database alone (no live copy)."""
    store.forget()
    return services.text(document_id(name))


def stored_updates(name: str) -> int:
    return db.session.scalar(
        select(func.count()).select_from(CollabUpdate).filter_by(document_id=document_id(name))
    )


# --- convergence ----------------------------------------------------------------------------


def test_two_editors_typing_in_the_same_place_converge_and_the_log_reloads_it(app, world, notes):
    rosa = Editor(app, world.coordinator, notes)
    rosa.type(0, "Exigimos verdad y justicia.")
    marta = Editor(app, world.coordinator, notes)  # another connection, another Yjs client
    rosa.listen()
    assert marta.text == rosa.text == "Exigimos verdad y justicia."
    # Both type at the same place before either hears the other.
    assert rosa.type(9, "toda la ")["ok"]
    assert marta.type(9, "la ")["ok"]
    rosa.listen()
    marta.listen()
    assert rosa.text == marta.text
    assert "toda la " in rosa.text and rosa.text.count("la ") >= 2
    assert reloaded(notes) == rosa.text


def test_an_editor_offline_keeps_typing_and_nothing_is_lost(app, world, notes):
    rosa = Editor(app, world.coordinator, notes)
    rosa.type(0, "Primer punto. ")
    ana_doc = pycrdt.Doc()
    away = Editor(app, world.coordinator, notes, doc=ana_doc)
    away.sock.disconnect()
    # Offline: typed into the local copy only, while the others go on.
    away.type(0, "Escrito sin conexión. ", send=False)
    rosa.type(100, "Segundo punto.")
    back = Editor(app, world.coordinator, notes, doc=ana_doc)  # reconnects, same local copy
    rosa.listen()
    assert back.text == rosa.text
    assert "Escrito sin conexión. " in rosa.text and "Segundo punto." in rosa.text
    assert reloaded(notes) == rosa.text


def test_a_node_yjs_client_and_a_pycrdt_client_converge_through_the_server(app, world, notes):
    """An independent implementation (yjs itself) reads what the server sends and is read."""
    rosa = Editor(app, world.coordinator, notes)
    rosa.type(0, "Texto común")
    node = _node({"updates": [b64(store_state(notes))], "insert": [0, "Desde node: "]})
    assert node["text"] == "Desde node: Texto común"
    assert rosa.send(protocol.sync_message(protocol.SYNC_UPDATE, base64.b64decode(node["update"])))[
        "ok"
    ]
    assert rosa.text == "Texto común"  # its own message is not echoed back to it
    other = Editor(app, world.coordinator, notes)
    assert other.text == node["text"] == reloaded(notes)


def store_state(name: str) -> bytes:
    copy = store.live(document_id(name))
    with copy.lock:
        store.catch_up(copy)
        return copy.doc.get_update()


def _node(payload: dict) -> dict:
    done = subprocess.run(
        ["node", str(NODE_CLIENT)],
        input=json.dumps(payload).encode(),
        capture_output=True,
        check=False,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr.decode()
    return json.loads(done.stdout)


# --- refused without harm -------------------------------------------------------------------


def test_a_v2_update_or_garbage_is_refused_and_changes_nothing(app, world, notes):
    rosa = Editor(app, world.coordinator, notes)
    rosa.type(0, "Intacto")
    before = stored_updates(notes)
    v2 = base64.b64decode(_node({"insert": [0, "un texto en v2"]})["v2"])
    bad = [
        v2,  # pycrdt would apply it silently as an empty change
        b"\x00\x00\x01",  # bytes after an empty update
        b"\x01\x05\x01\x02",  # cut short
        bytes(range(256)),
        b"\x01" * 5000,
    ]
    for update in bad:
        ack = rosa.send(protocol.sync_message(protocol.SYNC_UPDATE, update))
        assert ack["ok"] is False and ack["error"] == "bad_update", update[:10]
    for message in (b"\x07\x00", b"\x00\x09\x00", b""):
        assert rosa.send(message)["error"] == "bad_update"
    assert (
        rosa.sock.emit("collab", {"doc": notes, "message": "%%%"}, callback=True)["error"]
        == "bad_request"
    )
    assert stored_updates(notes) == before
    assert reloaded(notes) == "Intacto"


def test_every_known_worst_update_is_bounded(app, world, notes, monkeypatch):
    """Too long a text, too large a message, values nested without end: refused cheaply."""
    rosa = Editor(app, world.coordinator, notes)
    monkeypatch.setattr(store, "MAX_CHARS", 50)
    assert rosa.type(0, "x" * 40)["ok"]
    assert rosa.type(0, "y" * 20)["error"] == "too_long"
    huge = "A" * (4 * store.MAX_UPDATE_BYTES)
    assert (
        rosa.sock.emit("collab", {"doc": notes, "message": huge}, callback=True)["error"]
        == "bad_request"
    )
    nested = bytes([117, 1]) * 1000 + bytes([126])  # [[[[...null...]]]]
    deep = b"\x01\x01\x01\x00" + bytes([8 | 0x00]) + b"\x01" + b"\x04text" + b"\x01" + nested
    with pytest.raises(protocol.ProtocolError):
        protocol.check_update(deep + b"\x00")
    many = b"\x01" + b"\xff\xff\xff\x0f" + b"\x01\x00"  # claims 33 million structs
    with pytest.raises(protocol.ProtocolError):
        protocol.check_update(many)
    assert reloaded(notes) == "x" * 40


def test_the_log_is_compacted_and_loads_the_same_text(app, world, notes, monkeypatch):
    monkeypatch.setattr(store, "COMPACT_AFTER", 5)
    rosa = Editor(app, world.coordinator, notes)
    for n in range(12):
        assert rosa.type(1000, f"frase {n}. ")["ok"]
    assert stored_updates(notes) <= 6  # folded into the snapshot as it went
    assert reloaded(notes) == rosa.text == "".join(f"frase {n}. " for n in range(12))
    late = Editor(app, world.coordinator, notes)  # a newcomer loads snapshot + tail
    assert late.text == rosa.text


# --- access -----------------------------------------------------------------------------------


def test_outsiders_cannot_join_read_or_write(app, world, notes):
    rosa = Editor(app, world.coordinator, notes)
    rosa.type(0, "Solo para el comité")
    stranger = Editor(app, world.outsider, notes)
    assert stranger.join_ack == {
        "ok": False,
        "error": "not_found",
        "message": stranger.join_ack["message"],
    }
    for message in (
        protocol.sync_message(protocol.SYNC_STEP1, b"\x00"),
        protocol.sync_message(protocol.SYNC_UPDATE, pycrdt.Doc().get_update()),
    ):
        assert stranger.send(message)["error"] == "not_found"
    assert stranger.send(b"\x01\x01\x00")["error"] == "not_found"  # awareness too
    assert heard(stranger.sock, "collab") == []
    for name in ("notes:999999", "notes:x", "nothing:1", 7, "notes:" + "9" * 30):
        ack = stranger.sock.emit("collab_join", {"doc": name}, callback=True)
        assert ack["error"] == "not_found"


def test_a_reader_who_may_not_write_follows_but_changes_nothing(app, world, notes):
    rosa = Editor(app, world.coordinator, notes)
    rosa.type(0, "Borrador")
    ana = Editor(app, world.member, notes)
    assert ana.join_ack["can_write"] is False and ana.text == "Borrador"
    assert ana.type(0, "Cambio ")["error"] == "forbidden"
    rosa.type(100, " final")
    ana.listen()
    assert reloaded(notes) == "Borrador final"
    assert "Cambio" not in rosa.text


def test_a_member_who_loses_access_is_cut_off_at_once(app, world, notes):
    rosa = Editor(app, world.coordinator, notes)
    ana = Editor(app, world.member, notes)
    membership = db.session.scalar(select(Membership.id).filter_by(user_id=world.member.id))
    org = db.session.get(Organisation, world.org.id)
    response = rosa.sock.http.post(f"/organisations/{org.slug}/members/{membership}/remove")
    assert response.status_code == 302
    assert heard(ana.sock, "collab_closed") == [{"doc": notes}]
    rosa.type(0, "Después de su salida")
    assert heard(ana.sock, "collab") == []
    assert ana.send(protocol.sync_message(protocol.SYNC_STEP1, b"\x00"))["error"] == "not_found"


def test_a_connection_that_does_not_follow_is_asked_to_open_the_text_again(app, world, notes):
    """A change from a page that never joined, or left, is refused (its page would not
    receive the others' changes) and nothing is stored; joining again works."""
    rosa = Editor(app, world.coordinator, notes)
    rosa.type(0, "Primera línea")
    other = live(app, world.coordinator)  # the same person on a second page, never joined
    change = pycrdt.Doc()
    change.get("text", type=pycrdt.Text).insert(0, "sin abrir ")
    update = protocol.sync_message(protocol.SYNC_UPDATE, change.get_update())
    ack = other.emit("collab", {"doc": notes, "message": b64(update)}, callback=True)
    assert ack["error"] == "not_following"
    assert rosa.sock.emit("collab_leave", {"doc": notes}, callback=True) == {"ok": True}
    assert rosa.type(0, "después de salir ")["error"] == "not_following"
    assert stored_updates(notes) == 1 and reloaded(notes) == "Primera línea"
    again = Editor(app, world.coordinator, notes)
    assert again.text == "Primera línea" and again.type(0, "De vuelta: ")["ok"]
    assert reloaded(notes) == "De vuelta: Primera línea"


def test_a_join_that_fails_leaves_the_page_not_following(app, world, notes, monkeypatch):
    """If the join cannot be recorded, the page is told so and its changes are refused,
    never taken from a page that is not recorded as following."""
    from app.collab import events

    def broken(_document_id: int) -> bool:
        raise RuntimeError("the database went away")

    monkeypatch.setattr(events, "_presence_stored", broken)
    rosa = Editor(app, world.coordinator, notes)
    assert rosa.join_ack["ok"] is False and rosa.join_ack["error"] == "server"
    assert rosa.type(0, "Sin unirse")["error"] == "not_following"
    assert stored_updates(notes) == 0


def test_a_lost_connections_cursor_is_removed_for_the_others(app, world, notes):
    """The server remembers which awareness clients a connection announced and, when the
    connection goes without saying goodbye, tells the others those clients are gone (what
    node's y-protocols reads as a removal)."""
    rosa = Editor(app, world.coordinator, notes)
    ana = Editor(app, world.member, notes)
    state = json.dumps({"user": {"name": "Ana", "colour": 3}})
    body = bytes([1]) + _varuint(424242) + _varuint(7) + _varuint(len(state)) + state.encode()
    assert ana.send(protocol.awareness_message(body))["ok"]
    pushed = [base64.b64decode(p["message"]) for p in heard(rosa.sock, "collab")]
    assert protocol.awareness_message(body) in pushed
    ana.sock.disconnect()
    gone = [
        protocol.read_message(base64.b64decode(p["message"])) for p in heard(rosa.sock, "collab")
    ]
    removal = [m for m in gone if m.kind == protocol.MESSAGE_AWARENESS]
    assert removal and protocol.awareness_clients(removal[0].payload) == {424242: 8}
    assert b"null" in removal[0].payload


def _varuint(value: int) -> bytes:
    out = bytearray()
    while value > 0x7F:
        out.append(0x80 | (value & 0x7F))
        value >>= 7
    out.append(value)
    return bytes(out)
