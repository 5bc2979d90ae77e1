"""Socket.IO events of shared documents: the Yjs sync protocol, one message per event.

``collab_join {doc}`` starts following a document (``doc`` is its owner, "manifesto:3") and
answers the server's sync step 1; ``collab {doc, message}`` carries one y-protocols message
(base64) and answers the replies; ``collab_leave {doc}`` stops. Others following receive
``collab {doc, message}`` (updates and awareness) and ``collab_closed {doc}`` when access
is lost. The whole protocol is in docs/MANIFESTO.md.
"""

from __future__ import annotations

import base64
import binascii
import functools
import threading

from flask import request
from flask_babel import gettext as _
from flask_socketio import join_room, leave_room
from limits import parse
from sqlalchemy import Select, bindparam, delete, select

from app import ratelimit, realtime
from app.collab import hosts, protocol, services, store
from app.db import atomic, on_commit
from app.errors import ServiceError
from app.extensions import db, socketio
from app.models import CollabPresence, LiveSocket, User
from app.permissions import Principals
from app.permissions.principals import ANONYMOUS

UPDATE_LIMIT = parse("1200 per minute")  # per account: about 20 changes a second
AWARENESS_LIMIT = parse("600 per minute")  # per account: cursor moves
JOIN_LIMIT = parse("60 per minute")
MAX_MESSAGE_CHARS = (store.MAX_UPDATE_BYTES + 64) * 4 // 3 + 4  # base64 of the largest
# The awareness clients each connection announced, per document, in this process:
# (sid, name, document id) -> {client id: clock}; told gone when the connection goes.
_cursors: dict[tuple[str, str, int], dict[int, int]] = {}
_cursors_lock = threading.Lock()


def _within(user: User, limit, scope: str) -> None:
    if not ratelimit.hit(limit, scope, str(user.id)):
        raise ServiceError("rate_limited", _("You are sending very fast. Please wait a minute."))


def _decoded(value: object) -> bytes:
    """The bytes of a base64 message (bounded), or a 'bad_request' refusal."""
    if not isinstance(value, str) or len(value) > MAX_MESSAGE_CHARS:
        raise ServiceError("bad_request", _("Something in the request was not right"))
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError) as error:
        raise ServiceError("bad_request", _("Something in the request was not right")) from error


def _encoded(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _following(document_id: int) -> bool:
    """Whether this connection follows the document: it is in the document's channel.

    Asked at every keystroke, so from memory, not the presence rows: the channel is joined
    with the row and left wherever the row goes (leaving, losing access, realign), and it
    is what the document's changes are sent to.
    """
    return realtime.in_channel(request.sid, hosts.channel(document_id))


def _presence_stored(document_id: int) -> bool:
    """Whether this connection's presence row for the document is stored already."""
    found = db.session.scalar(_presence_query(), {"sid": request.sid, "doc": document_id})
    return found is not None


@functools.cache
def _presence_query() -> Select:
    """Built once (every join asks)."""
    return select(CollabPresence.sid).where(
        CollabPresence.sid == bindparam("sid"), CollabPresence.document_id == bindparam("doc")
    )


@realtime.socket_event("collab_join")
def on_join(user: User, data: dict) -> dict:
    """Follow a document's changes; answer the server's sync step 1 and whether one may write."""
    host, owner, document_id = services.open_document(user, data.get("doc"))
    _within(user, JOIN_LIMIT, "collab-join")
    sid = request.sid
    if sid not in realtime._state().sids:  # the connection is already gone
        raise ServiceError("bad_request", _("Something in the request was not right"))
    join_room(hosts.channel(document_id))
    try:
        with atomic():
            if not _presence_stored(document_id):
                db.session.add(
                    CollabPresence(
                        sid=sid, document_id=document_id, user_id=user.id,
                        kind=host.kind, owner_id=owner.id,
                    )
                )  # fmt: skip
    except BaseException:
        leave_room(hosts.channel(document_id))  # following is the channel and the row together
        raise
    # Whoever is already there announces their cursor again, so the newcomer sees it.
    services.relay(data["doc"], document_id, protocol.query_awareness_message(), skip_sid=sid)
    return {
        "doc": data["doc"],
        "can_write": bool(host.can_write(user, owner)),
        "messages": [_encoded(services.greeting(document_id))],
    }


@realtime.socket_event("collab")
def on_message(user: User, data: dict) -> dict:
    """One y-protocols message from a follower; the replies (the relay goes to the others)."""
    host, owner, document_id = services.open_document(user, data.get("doc"))
    if not _following(document_id):
        raise ServiceError("not_following", _("Please open the text again."))
    raw = _decoded(data.get("message"))
    is_awareness = raw[:1] == bytes([protocol.MESSAGE_AWARENESS])
    _within(user, AWARENESS_LIMIT if is_awareness else UPDATE_LIMIT, "collab")
    to = store.Relay(data["doc"], request.sid)
    outcome = services.receive(user, host, owner, document_id, raw, to)
    if outcome.awareness:
        with _cursors_lock:
            _cursors.setdefault((request.sid, data["doc"], document_id), {}).update(
                outcome.awareness
            )
    if outcome.relay is not None:
        services.relay(data["doc"], document_id, outcome.relay, skip_sid=request.sid)
    return {"messages": [_encoded(reply) for reply in outcome.replies]}


@realtime.socket_event("collab_leave")
def on_leave(user: User, data: dict) -> dict:
    """Stop following a document (nothing happens for one never followed or not visible)."""
    found = hosts.parse(data.get("doc"))
    if found is None:
        return {}
    host, ident = found
    owner = host.find(ident)
    if owner is None:
        return {}
    document_id = host.document_id(owner)
    leave_room(hosts.channel(document_id))
    _cursors_gone(request.sid, document_id)
    with atomic():
        db.session.execute(
            delete(CollabPresence).where(
                CollabPresence.sid == request.sid, CollabPresence.document_id == document_id
            )
        )
    return {}


# --- keeping followers in line with access --------------------------------------------------


def _drop(sid: str) -> None:
    """A closed connection follows no document any more; its cursors leave the others' pages."""
    with atomic():
        db.session.execute(delete(CollabPresence).where(CollabPresence.sid == sid))
    _cursors_gone(sid)


def _cursors_gone(sid: str, document_id: int | None = None) -> None:
    """Tell the others this connection's cursors are gone (a lost connection cannot say so)."""
    with _cursors_lock:
        keys = [k for k in _cursors if k[0] == sid and document_id in (None, k[2])]
        gone = {key: _cursors.pop(key) for key in keys}
    for (_sid, name, doc_id), clients in gone.items():
        services.relay(name, doc_id, protocol.awareness_gone(clients))


def _sweep(cutoff) -> None:
    """Forget followers on connections that are gone."""
    alive = select(LiveSocket.sid).where(LiveSocket.seen_at >= cutoff)
    with atomic():
        db.session.execute(delete(CollabPresence).where(CollabPresence.sid.not_in(alive)))


def _streams(sids: list[str]) -> dict[str, set[str]]:
    """The document channels these connections should be in: those they follow."""
    rows = db.session.execute(
        select(CollabPresence.sid, CollabPresence.document_id).where(CollabPresence.sid.in_(sids))
    )
    streams: dict[str, set[str]] = {}
    for sid, document_id in rows:
        streams.setdefault(sid, set()).add(hosts.channel(document_id))
    return streams


def _close_lost(sockets: list[LiveSocket], now: dict[int, Principals]) -> int:
    """After a change of access: stop the documents a connection may no longer read, at once.

    And tell the page (it says so and stops sending).
    """
    by_sid = {s.sid: s for s in sockets}
    followed = db.session.scalars(
        select(CollabPresence).where(CollabPresence.sid.in_(by_sid))
    ).all()
    closed = 0
    for presence in followed:
        host = hosts.HOSTS.get(presence.kind)
        owner = host.find(presence.owner_id) if host else None
        who = now.get(by_sid[presence.sid].user_id, ANONYMOUS)
        if owner is not None and host.audience.open_to(who, owner):
            continue
        socketio.server.leave_room(
            presence.sid, hosts.channel(presence.document_id), namespace=realtime.NAMESPACE
        )
        db.session.delete(presence)
        closed += 1
        name = f"{presence.kind}:{presence.owner_id}"
        on_commit(functools.partial(_tell_closed, presence.sid, name))
    return closed


def _tell_closed(sid: str, name: str) -> None:
    socketio.emit("collab_closed", {"doc": name}, to=sid)


realtime.DISCONNECT_HOOKS.append(_drop)
realtime.ACCESS_HOOKS.append(_close_lost)
realtime.SWEEP_HOOKS.append(_sweep)
realtime.STREAM_HOOKS.append(_streams)
