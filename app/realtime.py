"""Socket.IO wiring: who may connect, and cutting a user's live sockets when access ends."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Flask, request
from flask_login import current_user
from flask_socketio import ConnectionRefusedError, join_room
from sqlalchemy import delete, select

from app.extensions import db, socketio
from app.models import LiveSocket, utcnow
from app.permissions import can_use_account

MAX_SOCKET_PAYLOAD = 64 * 1024  # bytes; a message body is capped well below this


def user_room(user_id: int) -> str:
    """The private Socket.IO room every connection of one user joins."""
    return f"user:{user_id}"


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

# Features add what a connection joins or leaves behind (e.g. rooms: channels, presence).
CONNECT_HOOKS: list[Callable[[Any], None]] = []
DISCONNECT_HOOKS: list[Callable[[str], None]] = []


def on_connect(auth: Any = None) -> None:
    """Refuse foreign origins and anonymous or suspended users; remember the connection."""
    # Engine.IO already checks the origin on its HTTP handshake; checking again here keeps
    # the rule in force whatever transport or proxy carried the connection.
    if not origin_allowed(request.headers.get("Origin"), request.environ):
        raise ConnectionRefusedError("origin")
    if not can_use_account(current_user):
        raise ConnectionRefusedError("unauthorised")
    join_room(user_room(current_user.id))
    db.session.add(LiveSocket(sid=request.sid, user_id=current_user.id, connected_at=utcnow()))
    db.session.commit()
    for hook in CONNECT_HOOKS:
        hook(current_user)


def on_disconnect(*_: Any) -> None:
    for hook in DISCONNECT_HOOKS:
        hook(request.sid)
    db.session.execute(delete(LiveSocket).where(LiveSocket.sid == request.sid))
    db.session.commit()


def disconnect_user(user_id: int) -> int:
    """Close every live socket of a user, in every worker process; return how many."""
    sids = list(db.session.scalars(select(LiveSocket.sid).where(LiveSocket.user_id == user_id)))
    for sid in sids:
        # With a message queue this reaches the worker holding the socket.
        socketio.server.disconnect(sid, namespace="/")
    db.session.execute(delete(LiveSocket).where(LiveSocket.user_id == user_id))
    db.session.commit()
    return len(sids)


def init_app(app: Flask) -> None:
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
