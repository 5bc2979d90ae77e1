"""The gate in front of Socket.IO: a socket is opened only by a signed-in person, within caps.

An open socket holds one server thread for as long as it lives (gunicorn gthread), so the
Socket.IO connect handler is too late to refuse one: Engine.IO has already upgraded the
connection and the thread stays held while the client keeps it open. This WSGI middleware
answers every request under /socket.io/ before Engine.IO sees it:

- 401 without a valid signed-in session (the Flask session or remember-me cookie, checked
  through Flask-Login against the server-side session rows), 403 from a foreign origin;
- for a request that would start holding a thread (a new connection, or an upgrade to
  WebSocket): 429 over the caps per account (open sockets in every process, from
  ``live_sockets``, or in this one) and per network address (this process), 503 when this
  process already holds SOCKETS_PER_PROCESS, so that pages always find a free thread.

A refusal is one short request; the browser's Socket.IO client retries later on its own.
"""

from __future__ import annotations

import logging
import threading
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from flask import Flask, current_app
from flask_login import COOKIE_NAME, current_user
from sqlalchemy import func, select

from app.extensions import db
from app.models import LiveSocket, utcnow
from app.permissions import can_use_account

log = logging.getLogger(__name__)
PATH = "/socket.io/"

StartResponse = Callable[..., Any]
WSGIApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]


@dataclass(frozen=True)
class Refusal:
    """Why a socket request is turned away, as an HTTP status and a short text."""

    status: str
    text: str


NOT_SIGNED_IN = Refusal("401 Unauthorized", "Please sign in.")
FOREIGN_ORIGIN = Refusal("403 Forbidden", "Origin not allowed.")
TOO_MANY = Refusal("429 Too Many Requests", "Too many live connections.")
FULL = Refusal("503 Service Unavailable", "This server holds all the connections it can.")
NEW, UPGRADE, POLL = "new", "upgrade", "poll"


def fresh_sockets(user_id: int) -> int:
    """How many live sockets of this account are open in any process (seen within the TTL)."""
    cutoff = utcnow() - timedelta(seconds=current_app.config["LIVE_SOCKET_TTL"])
    return db.session.scalar(
        select(func.count())
        .select_from(LiveSocket)
        .where(LiveSocket.user_id == user_id, LiveSocket.seen_at >= cutoff)
    )


class SocketGate:
    """WSGI middleware: admit a socket request, or refuse it before it holds a thread."""

    def __init__(self, app: Flask, inner: WSGIApp) -> None:
        """Wrap inner (the app's wsgi_app, Socket.IO's middleware included)."""
        self.app, self.inner = app, inner
        self.lock = threading.Lock()
        self.in_flight = 0  # socket requests being served now: threads held by sockets
        self.by_address: Counter[str] = Counter()
        self.by_account: Counter[int] = Counter()
        self.refused: Counter[int] = Counter()  # HTTP status -> how many, for /healthz

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        """Serve pages untouched; check socket requests, and count the threads they hold."""
        if not environ.get("PATH_INFO", "").startswith(PATH):
            return self.inner(environ, start_response)
        kind = _kind(environ)
        checked = self._check(environ, kind)
        if isinstance(checked, Refusal):
            return self._refuse(checked, start_response)
        user_id, address = checked, environ.get("REMOTE_ADDR", "")
        with self.lock:
            refusal = self._over_caps(kind, address, user_id)
            if refusal is None:
                self._count(address, user_id, +1)
        if refusal is not None:
            return self._refuse(refusal, start_response)
        try:
            # Engine.IO serves a socket request inside this call: a WebSocket for its whole
            # life, a long-polling GET until there is something to send.
            return self.inner(environ, start_response)
        finally:
            with self.lock:
                self._count(address, user_id, -1)

    def _check(self, environ: dict[str, Any], kind: str) -> Refusal | int:
        """The account behind the request, or why it is refused (session, origin, account cap)."""
        from app.realtime import origin_allowed  # realtime installs the gate

        if not origin_allowed(environ.get("HTTP_ORIGIN"), environ):
            return FOREIGN_ORIGIN
        if not self._has_cookie(environ):  # the cheapest refusal, for floods of anonymous ones
            return NOT_SIGNED_IN
        with self.app.request_context(environ):
            if not can_use_account(current_user):
                return NOT_SIGNED_IN
            user_id = current_user.id
            if kind == NEW and fresh_sockets(user_id) >= self.app.config["SOCKETS_PER_ACCOUNT"]:
                return TOO_MANY
            return user_id

    def _has_cookie(self, environ: dict[str, Any]) -> bool:
        """Whether the request carries a session or remember-me cookie at all."""
        cookies = environ.get("HTTP_COOKIE", "")
        config = self.app.config
        names = (config["SESSION_COOKIE_NAME"], config.get("REMEMBER_COOKIE_NAME", COOKIE_NAME))
        return any(f"{name}=" in cookies for name in names)

    def _over_caps(self, kind: str, address: str, user_id: int) -> Refusal | None:
        """Refusal when this process, address or account already holds its share of threads.

        Only a new connection counts against the address and account (an upgrade to
        WebSocket is a connection already admitted); polling requests of an admitted
        connection pass.
        """
        config = self.app.config
        if kind == POLL:
            return None
        if self.in_flight >= config["SOCKETS_PER_PROCESS"]:
            return FULL
        if kind == UPGRADE:
            return None
        if self.by_address[address] >= config["SOCKETS_PER_ADDRESS"]:
            return TOO_MANY
        if self.by_account[user_id] >= config["SOCKETS_PER_ACCOUNT"]:
            return TOO_MANY
        return None

    def _count(self, address: str, user_id: int, step: int) -> None:
        """Add (or take away) one socket request being served, in every count."""
        self.in_flight += step
        for counter, key in ((self.by_address, address), (self.by_account, user_id)):
            counter[key] += step
            if counter[key] <= 0:
                del counter[key]

    def _refuse(self, refusal: Refusal, start_response: StartResponse) -> list[bytes]:
        code = int(refusal.status.split()[0])
        with self.lock:
            self.refused[code] += 1
        body = refusal.text.encode()
        start_response(
            refusal.status,
            [("Content-Type", "text/plain; charset=utf-8"), ("Content-Length", str(len(body)))],
        )
        return [body]

    def stats(self) -> dict[str, Any]:
        """Threads held by sockets in this process, and refusals so far by status."""
        with self.lock:
            return {"in_flight": self.in_flight, "refused": dict(self.refused)}


def _kind(environ: dict[str, Any]) -> str:
    """A new connection, an upgrade of one to a long-held WebSocket, or one of its polls."""
    query = environ.get("QUERY_STRING", "")
    params = dict(part.partition("=")[::2] for part in query.split("&") if part)
    if "sid" not in params:
        return NEW
    return UPGRADE if params.get("transport") == "websocket" else POLL
