"""Socket.IO wiring: who may connect, and which channels a connection is in.

Those channels are kept in line with the policy when someone's access changes.

Every connection joins its person's audience channels (permissions/channels.py) and records
them in ``live_sockets``, which every process shares. When access changes, ``sync_access``
(run after the commit) takes each open connection of the people concerned out of the
channels and room streams they lost — on any process, as ``leave_room`` and ``disconnect``
travel through the message queue — and into the ones they gained.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Iterable
from typing import Any

from flask import Flask, g, request
from flask_babel import gettext as _
from flask_login import current_user
from flask_socketio import ConnectionRefusedError
from sqlalchemy import Select, delete, or_, select

from app.db import atomic, on_commit
from app.errors import ServiceError
from app.extensions import db, socketio
from app.models import LiveSocket, utcnow
from app.permissions import can_use_account, channels
from app.permissions.principals import ANONYMOUS, Principals, principals_of_ids

log = logging.getLogger(__name__)
MAX_SOCKET_PAYLOAD = 64 * 1024  # bytes; a message body is capped well below this
NAMESPACE = "/"


def origin_allowed(origin: str | None, environ: dict[str, Any]) -> bool:
    """Same origin always; other origins only when listed in SOCKETIO_ALLOWED_ORIGINS."""
    if origin is None:  # not a browser: nothing cross-site to protect against
        return True
    host = environ.get("HTTP_HOST", "")
    scheme = environ.get("wsgi.url_scheme", "http")
    own = {f"{scheme}://{host}"}
    if forwarded_host := environ.get("HTTP_X_FORWARDED_HOST"):
        proto = environ.get("HTTP_X_FORWARDED_PROTO", scheme).split(",")[0].strip()
        own.add(f"{proto}://{forwarded_host.split(',')[0].strip()}")
    return origin in own or origin in _allowed_origins


_allowed_origins: set[str] = set()

# Features add what a closing connection leaves behind (e.g. rooms: presence), and how their
# own live streams follow a change of access (given the connections and everyone's new tokens;
# they answer how many streams were left).
DISCONNECT_HOOKS: list[Callable[[str], None]] = []
ACCESS_HOOKS: list[Callable[[list[LiveSocket], dict[int, Principals]], int]] = []


def on_connect(auth: Any = None) -> None:
    """Refuse foreign origins and anonymous or suspended users; join the person's channels."""
    # Engine.IO already checks the origin on its HTTP handshake; checking again here keeps
    # the rule in force whatever transport or proxy carried the connection.
    if not origin_allowed(request.headers.get("Origin"), request.environ):
        raise ConnectionRefusedError("origin")
    if not can_use_account(current_user):
        raise ConnectionRefusedError("unauthorised")
    joined = channels.for_connection(current_user)
    for channel in joined:
        socketio.server.enter_room(request.sid, channel, namespace=NAMESPACE)
    with atomic():
        db.session.add(
            LiveSocket(
                sid=request.sid,
                user_id=current_user.id,
                session_id=g.get("session_id"),
                connected_at=utcnow(),
                seen_at=utcnow(),
                channels=sorted(joined),
            )
        )


def on_disconnect(*_: Any) -> None:
    """Forget the connection and what it left behind."""
    for hook in DISCONNECT_HOOKS:
        hook(request.sid)
    with atomic():
        db.session.execute(delete(LiveSocket).where(LiveSocket.sid == request.sid))


def _disconnect(*conditions: Any) -> int:
    with atomic():
        sids = list(db.session.scalars(select(LiveSocket.sid).where(*conditions)))
        db.session.execute(delete(LiveSocket).where(*conditions))
    for sid in sids:
        # With a message queue this reaches the worker holding the socket.
        socketio.server.disconnect(sid, namespace=NAMESPACE)
    return len(sids)


def disconnect_user(user_id: int, keep_session: int | None = None) -> int:
    """Close every live socket of a person (but those of one session), in every process."""
    conditions = [LiveSocket.user_id == user_id]
    if keep_session is not None:
        conditions.append(
            or_(LiveSocket.session_id.is_(None), LiveSocket.session_id != keep_session)
        )
    return _disconnect(*conditions)


def disconnect_session(session_id: int) -> int:
    """Close the live sockets opened by one signed-in session (it was signed out)."""
    return _disconnect(LiveSocket.session_id == session_id)


def sync_after_commit(people: Iterable[int] | Select) -> None:
    """Once the current change is stored, bring these people's connections in line.

    They then match what the people may now see (ids, or a query of ids evaluated after the
    commit).
    """
    ids = people if isinstance(people, Select) else list(people)
    on_commit(lambda: sync_access(ids))


def sync_access(people: Iterable[int] | Select) -> int:
    """Bring the open connections of these people in line with what they may see now.

    Take them out of every channel and room stream they may no longer be in, and into the
    channels they gained; return how many they left.
    """
    if isinstance(people, Select):
        people = db.session.scalars(people).all()
    ids = list(people)
    if not ids:
        return 0
    left = 0
    with atomic():
        sockets = list(db.session.scalars(select(LiveSocket).where(LiveSocket.user_id.in_(ids))))
        if not sockets:
            return 0
        now = principals_of_ids({s.user_id for s in sockets})
        for socket in sockets:
            allowed = channels.of_principals(now.get(socket.user_id, ANONYMOUS))
            had = set(socket.channels or [])
            for channel in had - allowed:
                socketio.server.leave_room(socket.sid, channel, namespace=NAMESPACE)
                left += 1
            for channel in allowed - had:
                socketio.server.enter_room(socket.sid, channel, namespace=NAMESPACE)
            socket.channels = sorted(allowed)
        for hook in ACCESS_HOOKS:
            left += hook(sockets, now)
    return left


# --- socket events --------------------------------------------------------------------------


def fail(code: str, message: str | None = None) -> dict[str, Any]:
    """A refusal, as every event answers it: a code for programs, a text for people."""
    return {"ok": False, "error": code, "message": message or _("Something went wrong.")}


def socket_event(name: str) -> Callable:
    """Register a socket event handler(user, payload) -> dict.

    Signed-in users only, one dict payload, service errors and crashes answered as refusals,
    never raised.
    """

    def register(handler: Callable[[Any, dict], dict]) -> Callable:
        @functools.wraps(handler)
        def wrapped(data: Any = None, *extra: Any) -> dict[str, Any]:
            if not can_use_account(current_user):
                return fail("unauthorised", _("Please sign in again."))
            if extra or not isinstance(data, dict):
                return fail("bad_request", _("Something in the request was not right"))
            try:
                return {"ok": True, **handler(current_user, data)}
            except ServiceError as error:
                db.session.rollback()
                return fail(error.code, str(error))
            except Exception:
                db.session.rollback()
                log.exception("socket event %s failed", name)
                return fail("server")

        socketio.on_event(name, wrapped)
        return wrapped

    return register


def int_field(data: dict, key: str, default: int | None = None) -> int:
    """A whole number >= 0 from a payload, or a 'bad_request' refusal."""
    value = data.get(key, default)
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise ServiceError("bad_request", _("Something in the request was not right"))
    return value


def init_app(app: Flask) -> None:
    """Attach Socket.IO to the app (a message queue when scaled) and the connect rules."""
    _allowed_origins.clear()
    _allowed_origins.update(app.config["SOCKETIO_ALLOWED_ORIGINS"])
    socketio.init_app(
        app,
        async_mode="threading",
        message_queue=app.config["SOCKETIO_MESSAGE_QUEUE"],
        cors_allowed_origins=origin_allowed,
        max_http_buffer_size=MAX_SOCKET_PAYLOAD,
        logger=False,
        engineio_logger=False,
    )
    socketio.on_event("connect", on_connect)
    socketio.on_event("disconnect", on_disconnect)
