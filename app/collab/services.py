"""The Yjs sync protocol for one shared document: what to answer, what to store and relay.

Shared by the socket events (collab/events.py), the plain edit form and the tests. Nothing
is applied, stored or relayed before it is checked: the reader's access on every message,
write access on every change, the bytes walked as a v1 update (protocol.py), the size of the
text and of what the document stores. Every update is stored (committed) before it is
relayed, so what others receive is always in the log.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from typing import Any

from flask_babel import gettext as _

from app.collab import hosts, protocol, store
from app.db import atomic
from app.errors import ServiceError
from app.extensions import db, socketio

MAX_AWARENESS_BYTES = 8 * 1024  # a cursor, a name and a colour


@dataclass
class Outcome:
    """Messages back to the sender, and the message for everyone else following (if any)."""

    replies: list[bytes] = field(default_factory=list)
    relay: bytes | None = None
    awareness: dict[int, int] = field(default_factory=dict)  # client id -> clock announced


def relay(name: str, document_id: int, message: bytes, skip_sid: str | None = None) -> None:
    """Send one y-protocols message to everyone following a document (but skip_sid)."""
    data = {"doc": name, "message": base64.b64encode(message).decode("ascii")}
    socketio.emit("collab", data, to=hosts.channel(document_id), skip_sid=skip_sid)


def not_found() -> ServiceError:
    """The refusal for a document that does not exist or that this person may not read."""
    return ServiceError("not_found", _("This text does not exist, or it is not open to you."))


def open_document(user: Any, name: Any) -> tuple[hosts.Host, Any, int]:
    """The host, owner and document id of ``"<kind>:<id>"``, if this person may read it."""
    found = hosts.parse(name)
    if found is None:
        raise not_found()
    host, ident = found
    owner = host.find(ident)
    if owner is None or not host.audience.allows(user, owner):
        raise not_found()
    return host, owner, host.document_id(owner)


def greeting(document_id: int) -> bytes:
    """The server's sync step 1: its state vector, so the client sends what it lacks."""
    copy = store.live(document_id)
    with copy.lock:
        store.catch_up(copy)
        return protocol.sync_message(protocol.SYNC_STEP1, copy.doc.get_state())


def text(document_id: int) -> str:
    """The document's current text."""
    copy = store.live(document_id)
    with copy.lock:
        store.catch_up(copy)
        return str(copy.text)


def receive(user: Any, host: hosts.Host, owner: Any, document_id: int, data: bytes) -> Outcome:
    """Handle one y-protocols message from a reader of the document."""
    if len(data) > store.MAX_UPDATE_BYTES + 16:
        raise ServiceError("too_large", _("This change is too large to be sent at once."))
    try:
        message = protocol.read_message(data)
    except protocol.ProtocolError as error:
        raise _refused() from error
    if message.kind == protocol.MESSAGE_AWARENESS:
        if len(message.payload) > MAX_AWARENESS_BYTES:
            raise ServiceError("too_large", _("This change is too large to be sent at once."))
        try:
            clients = protocol.awareness_clients(message.payload)
        except protocol.ProtocolError as error:
            raise _refused() from error
        return Outcome(relay=data, awareness=clients)
    if message.kind == protocol.MESSAGE_QUERY_AWARENESS:
        return Outcome(relay=data)
    if message.step == protocol.SYNC_STEP1:
        return Outcome(replies=[_answer_step1(document_id, message.payload)])
    if not host.can_write(user, owner):
        raise ServiceError("forbidden", _("You can read this text but not change it."))
    apply(document_id, getattr(user, "id", None), message.payload)
    return Outcome(relay=protocol.sync_message(protocol.SYNC_UPDATE, message.payload))


def _refused() -> ServiceError:
    return ServiceError("bad_update", _("This change could not be read. Please reload the page."))


def _answer_step1(document_id: int, state_vector: bytes) -> bytes:
    """Sync step 2: everything the client's state vector says it lacks."""
    try:
        protocol.check_state_vector(state_vector)
    except protocol.ProtocolError as error:
        raise _refused() from error
    copy = store.live(document_id)
    with copy.lock:
        store.catch_up(copy)
        return protocol.sync_message(protocol.SYNC_STEP2, copy.doc.get_update(state_vector))


def apply(document_id: int, user_id: int | None, update: bytes) -> int:
    """Check, store and apply one v1 update; its sequence number (0: it held nothing)."""
    try:
        info = protocol.check_update(update)
    except protocol.ProtocolError as error:
        raise _refused() from error
    if info.structs == 0 and info.deletions == 0:
        return 0  # a client's sync step 2 with nothing new
    copy = store.live(document_id)
    with copy.lock:
        store.catch_up(copy)
        if copy.stored_bytes + len(update) > store.MAX_STORED_BYTES:
            raise ServiceError("too_long", _("This text is as long as a text here may be."))
        try:
            copy.doc.apply_update(update)
        except Exception as error:  # pycrdt refused what the walk accepted: nothing stored
            store.reset(copy)
            raise _refused() from error
        # Measured after applying (a change both removes and adds); the copy that went over
        # is dropped, so the next use reads the log, which never held this change.
        if len(copy.text) > store.MAX_CHARS and len(str(copy.text)) > store.MAX_CHARS:
            store.reset(copy)
            raise ServiceError("too_long", _("This text is as long as a text here may be."))
        try:
            with atomic():
                seq = store.append(document_id, user_id, update)
        except BaseException:
            store.reset(copy)  # the copy holds a change the log does not
            db.session.rollback()
            raise
        if seq == copy.seq + 1:
            copy.seq = seq
            copy.stored_bytes += len(update)
        else:  # another process stored updates in between: read them (ours again is a no-op)
            store.catch_up(copy)
        compacting = copy.seq - copy.snapshot_seq > store.COMPACT_AFTER
        for hook in hosts.AFTER_STORE:
            hook(document_id, seq, compacting)
        if compacting:
            with atomic():
                store.compact(copy)
        return seq
