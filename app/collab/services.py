"""The Yjs sync protocol for one shared document: what to answer, what to store and relay.

Shared by the socket events (collab/events.py), the plain edit form and the tests. Nothing
is applied, stored or relayed before it is checked: the reader's access on every message,
write access on every change, the bytes walked as a v1 update (protocol.py), the size of the
text and of what the document stores. Every update is stored (committed) before it is
relayed, so what others receive is always in the log.
"""

from __future__ import annotations

import base64
import logging
from dataclasses import dataclass, field
from typing import Any

import pycrdt
from flask_babel import gettext as _

from app import realtime
from app.collab import hosts, protocol, store
from app.db import atomic
from app.errors import ServiceError
from app.extensions import db, socketio

log = logging.getLogger(__name__)

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


def receive(
    user: Any,
    host: hosts.Host,
    owner: Any,
    document_id: int,
    data: bytes,
    to: store.Relay | None = None,
) -> Outcome:
    """Handle one y-protocols message from a reader of the document.

    A change is relayed to the followers (``to``) by whoever stores it (see apply); other
    messages come back in the outcome for the caller to relay.
    """
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
    apply(document_id, getattr(user, "id", None), message.payload, to)
    return Outcome()


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


def apply(
    document_id: int, user_id: int | None, update: bytes, to: store.Relay | None = None
) -> int:
    """Check, store and apply one v1 update, then relay it; its sequence number (0: nothing).

    Changes to one document are stored in turns: whoever finds no turn going takes one and
    stores every change waiting by then, in one commit (a group commit: under a crowd, one
    disk write for several changes instead of a queue of them), and relays them to the
    followers as one message (one write per follower for the turn, instead of one per
    change). Each change is still checked alone and refused alone, and is applied to the
    live copy only with the commit that stores it, so what the copy answers and what
    followers receive is always in the log. What follows a store (relaying, checkpoints,
    folding the log) runs after the turn, so that the next one need not wait for it.
    """
    try:
        info = protocol.check_update(update)
    except protocol.ProtocolError as error:
        raise _refused() from error
    if info.structs == 0 and info.deletions == 0:
        return 0  # a client's sync step 2 with nothing new
    copy = store.live(document_id)
    mine = store.Waiting(user_id, update, to)
    with copy.waiting_lock:
        copy.waiting.append(mine)
    while not mine.done:
        mine.woken.clear()  # before trying: a wake-up after a failed try is then not lost
        if copy.turn_lock.acquire(blocking=False):
            stored = _turn(copy, mine)
            if stored:
                _relay_turn(document_id, stored)
                _after_store(copy, stored[-1].seq)
            break
        # A turn is going: its thread wakes this one when the change is stored, or, if it
        # is still waiting after that turn, to take the next. Waiting on a change's own
        # event, not on the turn's lock, wakes each waiting thread once, at once: passing
        # a lock from one waiting thread to the next, each only to see its change stored,
        # took 45 ms (p95 177 ms) after every turn under load (bench/editor.py).
        with realtime.waiting():
            mine.woken.wait()
    if mine.refusal is not None:  # said in the sender's language, not the storer's
        raise _too_long() if mine.refusal == "too_long" else _refused()
    if mine.error is not None:
        raise mine.error
    return mine.seq


def _turn(copy: store.Live, mine: store.Waiting) -> list[store.Waiting]:
    """Store the waiting changes (holding copy.turn_lock), then wake the next turn's taker."""
    try:
        if mine.done:  # stored by the turn that just ended
            return []
        if not copy.lock.acquire(blocking=False):  # a sync or a fold is reading the copy
            with realtime.waiting():
                copy.lock.acquire()
        try:
            return _store_waiting(copy)
        finally:
            copy.lock.release()
    finally:
        copy.turn_lock.release()
        with copy.waiting_lock:  # a change that came during the turn: its thread takes the next
            following = copy.waiting[0] if copy.waiting else None
        if following is not None:
            following.woken.set()


def _store_waiting(copy: store.Live) -> list[store.Waiting]:
    """Apply and store every change waiting for this document (under copy.lock).

    The changes stored, in their order in the log (none if every change was refused).
    """
    with copy.waiting_lock:
        turn, copy.waiting = copy.waiting, []
    try:
        if copy.seq == 0:  # never read (or reset): check sizes against the whole text
            store.catch_up(copy)
        accepted = _apply_each(copy, turn)
        if accepted:
            _store(copy, accepted)
        return accepted
    except BaseException as error:
        for change in turn:
            if change.refusal is None and change.error is None and not change.seq:
                change.error = error
        raise
    finally:
        for change in turn:
            change.done = True
            change.woken.set()


def _apply_each(copy: store.Live, turn: list[store.Waiting]) -> list[store.Waiting]:
    """Apply the changes one by one to the copy; those refused are marked and left out."""
    accepted: list[store.Waiting] = []
    size = copy.stored_bytes
    for change in turn:
        if size + len(change.data) > store.MAX_STORED_BYTES:
            change.refusal = "too_long"
            continue
        try:
            copy.doc.apply_update(change.data)
            # Measured after applying (a change both removes and adds).
            if len(copy.text) > store.MAX_CHARS and len(str(copy.text)) > store.MAX_CHARS:
                change.refusal = "too_long"
        except Exception:  # pycrdt refused what the walk accepted: nothing stored
            log.warning("pycrdt refused a checked update", exc_info=True)
            change.refusal = "refused"
        if change.refusal is not None:
            # The copy may hold the refused change: read the log again, then what was accepted.
            store.reset(copy)
            store.catch_up(copy)
            for earlier in accepted:
                copy.doc.apply_update(earlier.data)
            continue
        accepted.append(change)
        size += len(change.data)
    return accepted


def _store(copy: store.Live, accepted: list[store.Waiting]) -> None:
    """Store the applied changes in one commit (each is given its number)."""
    try:
        with atomic():
            seqs = store.append(copy.document_id, [(c.user_id, c.data) for c in accepted])
    except BaseException:
        store.reset(copy)  # the copy holds changes the log does not
        db.session.rollback()
        raise
    for change, seq in zip(accepted, seqs, strict=True):
        change.seq = seq
    if seqs[0] == copy.seq + 1:
        copy.seq = seqs[-1]
        copy.stored_bytes += sum(len(c.data) for c in accepted)
    else:  # another process stored updates in between: read them (ours again are no-ops)
        store.catch_up(copy)


def _relay_turn(document_id: int, stored: list[store.Waiting]) -> None:
    """Send a turn's stored changes to the followers, one message per name they follow.

    Several changes go as one merged update to everyone, their senders included (Yjs
    ignores what a copy already holds); a change alone in its turn skips its sender.
    """
    by_name: dict[str, list[store.Waiting]] = {}
    for change in stored:
        if change.relay is not None:
            by_name.setdefault(change.relay.name, []).append(change)
    for name, changes in by_name.items():
        try:
            if len(changes) == 1:
                update, skip = changes[0].data, changes[0].relay.skip_sid
            else:
                update, skip = pycrdt.merge_updates(*(c.data for c in changes)), None
            relay(name, document_id, protocol.sync_message(protocol.SYNC_UPDATE, update), skip)
        except Exception:  # stored: a follower that misses it catches up at its next sync
            log.exception("relaying changes to shared document %s", document_id)


def _after_store(copy: store.Live, seq: int) -> None:
    """The owners' hooks (a checkpoint when due), then fold the log into a snapshot if due.

    The changes are stored: a hook that fails is logged, never the change's failure (its
    sender would send it again, and the others would not receive it). Folding holds the
    lock from the owners' last look (a checkpoint: a revision's authors are read from the
    log) to the snapshot, so no change slips between the two.
    """
    with copy.after_lock:
        try:
            for hook in hosts.AFTER_STORE:
                hook(copy.document_id, seq, False)
            if copy.seq - copy.snapshot_seq <= store.COMPACT_AFTER:
                return
            with copy.lock:
                store.catch_up(copy)
                if copy.seq - copy.snapshot_seq > store.COMPACT_AFTER:  # not done meanwhile
                    for hook in hosts.AFTER_STORE:
                        hook(copy.document_id, copy.seq, True)
                    with atomic():
                        store.compact(copy)
        except Exception:
            db.session.rollback()
            log.exception("after storing changes to shared document %s", copy.document_id)


def _too_long() -> ServiceError:
    return ServiceError("too_long", _("This text is as long as a text here may be."))
