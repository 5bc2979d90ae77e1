"""Socket.IO wiring: who may connect, and which channels a connection is in.

Those channels are kept in line with the policy when someone's access changes.

Every connection joins its person's audience channels (permissions/channels.py) and records
them in ``live_sockets``, which every process shares. When access changes, ``sync_access``
(run after the commit) takes each open connection of the people concerned out of the
channels and room streams they lost — on any process, as ``leave_room`` and ``disconnect``
travel through the message queue — and into the ones they gained.

Sockets are admitted by the gate (app/socket_gate.py) before they hold a thread. Each process
marks its sockets as seen (``heartbeat``), so that presence ignores those of a process that
died and their rows are swept away, and puts its connections back in line when a change of
access made elsewhere was lost with the message queue. Live messages the queue could not
carry are counted for /healthz; readers notice the gap in the numbers and catch up.
"""

from __future__ import annotations

import functools
import logging
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import socketio as python_socketio
from flask import Flask, current_app, g, has_request_context, request, session
from flask.sessions import SecureCookieSessionInterface
from flask_babel import gettext as _
from flask_login import current_user
from flask_socketio import ConnectionRefusedError
from sqlalchemy import Select, bindparam, delete, or_, select, update

from app import gc_tuning
from app.db import atomic, holds_work, on_commit
from app.errors import ServiceError
from app.extensions import db, socketio
from app.models import LiveSocket, User, UserSession, utcnow
from app.permissions import can_use_account, channels
from app.permissions.principals import (
    ANONYMOUS,
    Principals,
    principals_of_ids,
    remember_principals,
)
from app.socket_gate import SocketGate

log = logging.getLogger(__name__)
MAX_SOCKET_PAYLOAD = 64 * 1024  # bytes; a message body is capped well below this
NAMESPACE = "/"
LISTEN_RETRY = 1.0  # seconds between attempts to listen to an unreachable message queue
PUBLISH_PAUSE = 2.0  # seconds without trying to publish after the message queue failed


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
# And what they keep about connections that are gone without a word (their process died):
# called by every sweep with the time before which a socket counts as gone.
SWEEP_HOOKS: list[Callable[[datetime], None]] = []
# The live streams each of these connections should be in now (rooms: the rooms it has open).
STREAM_HOOKS: list[Callable[[list[str]], dict[str, set[str]]]] = []
CLOSED = ""  # in LiveState.suspects: the connection's row is gone (its session was ended)
BUSY_TEXT = "caravana.busy_text"  # in a connection's environ: its "busy" answer, translated


@dataclass
class LiveState:
    """This process's open sockets (for one app) and the state of its heartbeat.

    Whether its sweeping has started, and what the last beat found out of line (corrected
    when the next one finds it still so).
    """

    sids: set[str] = field(default_factory=set)
    started: bool = False
    lock: threading.Lock = field(default_factory=threading.Lock)
    suspects: dict[str, set[str]] = field(default_factory=dict)


def _state(app: Flask | None = None) -> LiveState:
    return (app or current_app).extensions["caravana.live"]


def stale_before() -> datetime:
    """Sockets not seen since this time are gone: their process died without closing them."""
    return utcnow() - timedelta(seconds=current_app.config["LIVE_SOCKET_TTL"])


def on_connect(auth: Any = None) -> None:
    """Refuse foreign origins and anonymous or suspended users; join the person's channels."""
    # Engine.IO already checks the origin on its HTTP handshake; checking again here keeps
    # the rule in force whatever transport or proxy carried the connection.
    if not origin_allowed(request.headers.get("Origin"), request.environ):
        raise ConnectionRefusedError("origin")
    if not can_use_account(current_user):
        raise ConnectionRefusedError("unauthorised")
    _start_sweeping()
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
    _state().sids.add(request.sid)  # once its row is stored: the heartbeat checks the two agree
    # The text of a "busy" answer, in this person's language, found now: refusing an event
    # must not cost the query that finds the language.
    request.environ[BUSY_TEXT] = str(busy())


def on_disconnect(*_: Any) -> None:
    """Forget the connection and what it left behind."""
    _state().sids.discard(request.sid)
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


# --- heartbeat: presence expires when a process dies ---------------------------------------


def _start_sweeping() -> None:
    """On this process's first connection: clear leftovers, then keep its sockets fresh.

    In the embedded single-process mode (no message queue) every live socket row not of
    this process is a leftover of an earlier run (killed, not stopped), so all of them go.
    """
    state, app = _state(), current_app._get_current_object()
    with state.lock:  # other first connections wait: the sweep must not take their rows
        if state.started:
            return
        state.started = True
        if app.config["GC_FREEZE_AFTER"]:
            gc_tuning.settle()  # a process that serves sockets first: see app/gc_tuning.py
        try:
            sweep(everything_else=not app.config["SOCKETIO_MESSAGE_QUEUE"])
        except Exception:
            log.exception("clearing the live sockets of an earlier run failed")
    if app.config["LIVE_SOCKET_HEARTBEAT"] > 0:
        socketio.start_background_task(_heartbeat_loop, app)


def _heartbeat_loop(app: Flask) -> None:
    while True:
        socketio.sleep(app.config["LIVE_SOCKET_HEARTBEAT"])
        try:
            with app.app_context():
                heartbeat()
        except Exception:
            log.exception("live socket heartbeat failed")


def heartbeat() -> None:
    """Mark this process's open sockets as seen now, and sweep away the ones gone.

    Then bring this process's connections back in line with what they may see.
    """
    sids = sorted(_state().sids)
    with atomic():
        for start in range(0, len(sids), 500):
            db.session.execute(
                update(LiveSocket)
                .where(LiveSocket.sid.in_(sids[start : start + 500]))
                .values(seen_at=utcnow())
            )
    sweep()
    stored = _stored(sids)
    realign(sids, stored)
    recheck_tokens(stored)


def _stored(sids: list[str]) -> dict[str, tuple[int, frozenset[str]]]:
    """Each of these connections' person and stored channels (gone ones left out)."""
    stored: dict[str, tuple[int, frozenset[str]]] = {}
    for start in range(0, len(sids), 500):  # a bounded number of parameters per statement
        rows = db.session.execute(
            select(LiveSocket.sid, LiveSocket.user_id, LiveSocket.channels).where(
                LiveSocket.sid.in_(sids[start : start + 500])
            )
        )
        stored.update((sid, (user_id, frozenset(held or ()))) for sid, user_id, held in rows)
    return stored


def recheck_tokens(stored: dict[str, tuple[int, frozenset[str]]]) -> int:
    """Bring in line the people of these connections whose stored channels are not their tokens.

    Every change of access calls sync_access after its commit; if that failed (a crash
    between the two), a connection would keep the channels, and with them the tokens its
    events are checked with (_sign_in_connection), of before the change. Each beat compares
    them with the tokens read afresh (connections: sid -> person, stored channels); returns
    how many people were out of line.
    """
    people = sorted({user_id for user_id, _held in stored.values()})
    now: dict[int, Principals] = {}
    for start in range(0, len(people), 500):  # the tokens query repeats the ids per kind
        now.update(principals_of_ids(people[start : start + 500]))
    wrong = sorted(
        {
            user_id
            for user_id, held in stored.values()
            if held != channels.of_principals(now.get(user_id, ANONYMOUS))
        }
    )
    if wrong:
        log.warning("live sockets of %d people out of line with their tokens", len(wrong))
        sync_access(wrong)
    return len(wrong)


def realign(sids: list[str], stored: dict[str, tuple[int, frozenset[str]]]) -> None:
    """Correct this process's connections whose channels disagree with what is stored.

    (stored: each connection's person and stored channels, as _stored reads them.) A change
    of access made on another process reaches this one through the message queue:
    if that was down, a removed member's connection here stays in the channels and room
    streams she lost, and an ended session's connection stays open. What is stored is right
    (the other process wrote it), so each beat compares; what disagrees at two beats in a
    row (not a change still under way) is corrected: channels and streams left or entered,
    connections of ended sessions closed.
    """
    state, manager = _state(), socketio.server.manager
    streams: dict[str, set[str]] = {}
    for hook in STREAM_HOOKS:
        for sid, own in hook(sids).items():
            streams.setdefault(sid, set()).update(own)
    inside = _rooms_of(set(sids))
    found: dict[str, set[str]] = {}
    for sid in sids:
        if not manager.is_connected(sid, NAMESPACE):
            continue
        if sid not in stored:
            found[sid] = {CLOSED}
            continue
        now, held = inside[sid], stored[sid][1]
        extra = now - held - streams.get(sid, set())
        missing = held - now
        if extra or missing:
            found[sid] = {f"-{room}" for room in extra} | {f"+{room}" for room in missing}
    for sid, wrong in found.items():
        _correct(sid, wrong & state.suspects.get(sid, set()))
    state.suspects = found


def _rooms_of(sids: set[str]) -> dict[str, set[str]]:
    """The Socket.IO rooms each of these connections is in now, in one pass over the rooms.

    (The manager's own get_rooms walks every room for one connection, and fails when
    another thread changes them meanwhile: here each room is copied whole, under the GIL.)
    """
    inside: dict[str, set[str]] = {sid: set() for sid in sids}
    for room, members in list(_rooms().items()):
        if room is None:  # every connection of the namespace: not a channel
            continue
        for sid in list(members):
            if sid in inside and sid != room:
                inside[sid].add(room)
    return inside


def in_channel(sid: str, channel: str) -> bool:
    """Whether this process's connection is in a channel now (memory, no query).

    A connection's events come to the process that holds it, and a channel left anywhere
    (an access change on another process) is left here through the message queue.
    """
    return sid in _rooms().get(channel, ())


def _rooms() -> dict[Any, Any]:
    """This process's Socket.IO rooms: {room: {sid: engine.io sid}} (the manager's own map)."""
    return socketio.server.manager.rooms.get(NAMESPACE, {})


def _correct(sid: str, confirmed: set[str]) -> None:
    if CLOSED in confirmed:
        log.warning("closing live socket %s: its session was ended elsewhere", sid)
        socketio.server.disconnect(sid, namespace=NAMESPACE)
        return
    for change in sorted(confirmed):
        log.warning("live socket %s out of line with its access: %s", sid, change)
        if change.startswith("-"):
            socketio.server.leave_room(sid, change[1:], namespace=NAMESPACE)
        else:
            socketio.server.enter_room(sid, change[1:], namespace=NAMESPACE)


def sweep(everything_else: bool = False) -> None:
    """Delete the rows of sockets not seen within the TTL (or, at start, all but ours).

    Then let each feature clear what those sockets left behind (rooms: presence).
    """
    cutoff = stale_before()
    gone = or_(LiveSocket.seen_at.is_(None), LiveSocket.seen_at < cutoff)
    if everything_else:
        gone = LiveSocket.sid.not_in(sorted(_state().sids))
    with atomic():
        db.session.execute(delete(LiveSocket).where(gone))
    for hook in SWEEP_HOOKS:
        hook(cutoff)


# --- socket events --------------------------------------------------------------------------


def fail(code: str, message: str | None = None) -> dict[str, Any]:
    """A refusal, as every event answers it: a code for programs, a text for people."""
    return {"ok": False, "error": code, "message": message or _("Something went wrong.")}


def busy() -> ServiceError:
    """The refusal of an event the server has no time for now; the client tries again later."""
    return ServiceError("busy", _("The server is very busy. Trying again in a moment."))


def event_wait() -> float:
    """Seconds an event may wait for its turn before it is answered "busy"."""
    return current_app.config["SOCKET_EVENT_WAIT"]


class EventGate:
    """How many socket events this process handles at once, and a bounded queue for the rest.

    Every event runs in a thread of its own (python-socketio's threading mode). Without a
    bound, an overloaded process starts them all: they share one core's worth of Python,
    queue for database connections and SQLite's write lock, and answer after tens of
    seconds or never. Here at most ``at_once`` run; up to ``queue`` more wait, each at most
    ``wait`` seconds (less than the browser's 10 s), roughly in arrival order; an event beyond the
    queue, or one that waited too long, is answered ``busy`` at once, before it costs a
    query, and the client sends it again later (the same client id: never doubled).
    """

    def __init__(self, at_once: int, queue: int, wait: float) -> None:
        """A gate letting at_once events run, queue wait, each for at most wait seconds."""
        self.slots = threading.Semaphore(at_once)
        self.queue, self.wait = queue, wait
        self.lock = threading.Lock()
        self.waiting = 0
        self.refused = 0  # events answered "busy", for /healthz

    def enter(self) -> bool:
        """Take a turn (waiting in the queue if need be); False when refused."""
        if self.slots.acquire(blocking=False):
            return True
        with self.lock:
            if self.waiting >= self.queue:
                self.refused += 1
                return False
            self.waiting += 1
        entered = self.slots.acquire(timeout=self.wait)
        with self.lock:
            self.waiting -= 1
            self.refused += not entered
        return entered

    def leave(self) -> None:
        """Give the turn to the next event waiting."""
        self.slots.release()

    def stats(self) -> dict[str, int]:
        """Events waiting now, and how many were answered "busy" so far."""
        with self.lock:
            return {"events_waiting": self.waiting, "events_busy": self.refused}


def _gate() -> EventGate:
    return current_app.extensions["caravana.event_gate"]


@contextmanager
def waiting() -> Iterator[None]:
    """Wait for another event (a lock it holds) without keeping this event's turn.

    A turn bounds the Python and database work running at once (EventGate); an event that
    only waits does neither, and the events behind it in the gate could run meanwhile. A
    change to a shared document waits so for the one storing every waiting change (a group
    commit): with the turns held, eight changes waiting on one document filled the gate and
    the queue before it, not the processor, set the round trip (bench/editor.py). The
    event's read transaction ends first, so waiting events hold no pooled connection. The
    turn is not taken back: what follows the wait is short, and waiting for a turn while
    holding the lock would stall everyone behind it. Elsewhere (a page, a test): just waits.
    """
    gate = g.pop("event_turn", None) if has_request_context() else None
    if gate is not None:
        session = db.session()
        if not holds_work(session):
            session.rollback()  # it has only read: its connection goes back to the pool
        gate.leave()
    yield


def socket_event(name: str) -> Callable:
    """Register a socket event handler(user, payload) -> dict.

    Signed-in users only, one dict payload, service errors and crashes answered as refusals,
    never raised; an overloaded process answers "busy" (EventGate).
    """

    def register(handler: Callable[[Any, dict], dict]) -> Callable:
        @functools.wraps(handler)
        def wrapped(data: Any = None, *extra: Any) -> dict[str, Any]:
            gate = _gate()
            if not gate.enter():
                return fail("busy", request.environ.get(BUSY_TEXT) or str(busy()))
            g.event_turn = gate
            try:
                return _handle(name, handler, data, extra)
            finally:
                if g.pop("event_turn", None) is not None:  # not given up while waiting
                    gate.leave()

        socketio.on_event(name, wrapped)
        return wrapped

    return register


def _handle(name: str, handler: Callable[[Any, dict], dict], data: Any, extra: tuple) -> dict:
    """Run one event's handler for the signed-in person; every failure becomes a refusal."""
    _sign_in_connection()
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


def _sign_in_connection() -> None:
    """The event's person and tokens from its connection's row, in one query.

    A connection is admitted with its session checked (on_connect). Each event then needs
    to know that the session still works and the account is not suspended (both read
    here), and the person's tokens: those are the connection's channels, which sync_access
    keeps equal to the tokens whenever access changes (and the heartbeat re-checks). This
    replaces Flask-Login's session load and the tokens query, a quarter of a keystroke's
    cost in a shared document. Without a row (or a session not marked seen for a while),
    Flask-Login loads the person as for a page, with every check.
    """
    row = db.session.execute(_connection_query(), {"sid": request.sid}).one_or_none()
    if row is None or utcnow() - row.last_seen_at > UserSession.SEEN_EVERY:
        return
    person, tokens = row.User, channels.principals_of(row.channels or ())
    person.session_key = session.get("_user_id")  # as Flask-Login's loader would set it
    g._login_user = person  # what flask_login.current_user answers for this event
    g.session_id = row.session_id
    remember_principals(person.id, tokens)


@functools.cache
def _connection_query() -> Select:
    """The live connection's person, channels and session, if that session still works."""
    return (
        select(User, LiveSocket.channels, LiveSocket.session_id, UserSession.last_seen_at)
        .join(LiveSocket, LiveSocket.user_id == User.id)
        .join(UserSession, UserSession.id == LiveSocket.session_id)
        .where(
            LiveSocket.sid == bindparam("sid"),
            UserSession.user_id == User.id,
            UserSession.revoked_at.is_(None),
            User.suspended_at.is_(None),
        )
    )


def int_field(data: dict, key: str, default: int | None = None) -> int:
    """A whole number >= 0 from a payload, or a 'bad_request' refusal."""
    value = data.get(key, default)
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise ServiceError("bad_request", _("Something in the request was not right"))
    return value


# --- publishing through the message queue -----------------------------------------------------


class PublishCounter:
    """Messages this process could not hand to the message queue (Redis down), for /healthz.

    Readers on other processes miss those live messages and catch up by themselves (they
    notice the gap in the numbers); the count says it happened.
    """

    def __init__(self) -> None:
        """Start with nothing failed."""
        self.lock = threading.Lock()
        self.failures = 0
        self.last_failure: datetime | None = None
        self.down = False

    def record(self, ok: bool, event: Any = None) -> None:
        """Count one publication; log when the queue goes away and when it comes back."""
        with self.lock:
            was_down, self.down = self.down, not ok
            if not ok:
                self.failures += 1
                self.last_failure = utcnow()
        if not ok and not was_down:
            log.warning("message queue unreachable: live messages (%s) not published", event)
        elif ok and was_down:
            log.warning("message queue reachable again (%d not published so far)", self.failures)

    def health(self) -> dict[str, Any]:
        """The queue's state as last seen, and how many publications failed in this process."""
        with self.lock:
            last = self.last_failure.isoformat() if self.last_failure else None
            return {"state": "down" if self.down else "ok", "publish_failures": self.failures,
                    "last_failure": last}  # fmt: skip


publishing = PublishCounter()


FOLLOWERS = "followers-of:"  # in skip_sid: every connection in the channel that follows


def followers_of(channel: str) -> str:
    """A ``skip_sid`` entry that leaves out every connection in a channel (a room's stream).

    Expanded by each process for its own connections when the emit is delivered, so with a
    message queue the followers on every process are left out, and the entry stays short.
    """
    return FOLLOWERS + channel


class _SidSet(list):
    """The sids to leave out, as the list python-socketio expects, looked up in a set."""

    def __init__(self, sids: Iterable[str]) -> None:
        super().__init__(sids)
        self.lookup = frozenset(self)

    def __contains__(self, sid: object) -> bool:
        return sid in self.lookup


class SkipFollowersMixin(python_socketio.Manager):
    """A client manager that understands ``followers_of(channel)`` in ``skip_sid``.

    An unread badge ("activity") is news only to connections that do not follow the room's
    stream: those that do already got the message itself.
    """

    def emit(self, event: str, data: Any, namespace: str, room: Any = None,
             skip_sid: Any = None, callback: Any = None, to: Any = None,
             **kwargs: Any) -> Any:  # fmt: skip
        """Deliver to this process's connections, leaving out the followers named."""
        if isinstance(skip_sid, list) and any(_is_followers(s) for s in skip_sid):
            skip: set[str] = set()
            for entry in skip_sid:
                if _is_followers(entry):
                    channel = entry[len(FOLLOWERS) :]
                    skip.update(sid for sid, _eio in self.get_participants(namespace, channel))
                else:
                    skip.add(entry)
            skip_sid = _SidSet(skip)
        return super().emit(event, data, namespace, room=room, skip_sid=skip_sid,
                            callback=callback, to=to, **kwargs)  # fmt: skip


def _is_followers(entry: Any) -> bool:
    return isinstance(entry, str) and entry.startswith(FOLLOWERS)


class LocalManager(SkipFollowersMixin):
    """The in-process client manager (one process, no message queue)."""


class CountingRedisManager(python_socketio.RedisManager, SkipFollowersMixin):
    """The Redis message queue, counting what it fails to publish instead of only dropping it.

    python-socketio tries twice, logs through its own (silenced) logger and gives up
    without raising, so a send is never failed by a dead Redis; this keeps that, and counts.
    """

    paused_until = 0.0  # after a failure, publishing is not even tried for a moment

    def _publish(self, data: dict) -> Any:
        # An unreachable Redis host costs each attempt the connect timeout, inside the request
        # of the person sending: after a failure the next ones fail at once, for a moment.
        result = None
        if time.monotonic() >= self.paused_until:
            result = super()._publish(data)
            if result is None:
                self.paused_until = time.monotonic() + PUBLISH_PAUSE
        publishing.record(result is not None, data.get("event") or data.get("method"))
        return result

    def _redis_listen_with_retries(self) -> Iterator[dict]:
        # As python-socketio's, but trying again every second: its back-off doubles up to a
        # minute, so after an outage this process would stay deaf for that long.
        subscribed = False
        while True:
            try:
                if not subscribed:
                    self._redis_connect()
                    self.pubsub.subscribe(self.channel)
                    subscribed = True
                yield from self.pubsub.listen()
            except Exception as error:  # noqa: BLE001 - whatever the Redis client raises
                log.debug("message queue: cannot listen (%s), trying again in 1 s", error)
                subscribed = False
                time.sleep(LISTEN_RETRY)


def _client_manager(url: str | None) -> dict[str, Any]:
    """The manager argument for Socket.IO: a counting Redis queue, in-process without one."""
    if not url:
        # Explicit, so an app built after a scaled one in the same process is not left
        # with the earlier one's queue (Flask-SocketIO keeps its options between calls).
        return {"client_manager": LocalManager(), "message_queue": None}
    if url.startswith(("redis://", "rediss://")):
        # A dead Redis host must not hold a send for the system's connect timeout.
        options = {"socket_connect_timeout": 2}
        manager = CountingRedisManager(url, channel="flask-socketio", redis_options=options)
        return {"client_manager": manager, "message_queue": url}
    return {"message_queue": url}  # other queues, as Flask-SocketIO builds them (not counted)


def health() -> dict[str, Any]:
    """Live sockets of this process and the message queue, for /healthz."""
    gate: SocketGate = current_app.extensions["caravana.socket_gate"]
    queue = current_app.config["SOCKETIO_MESSAGE_QUEUE"]
    return {
        "sockets": len(_state().sids),
        **gate.stats(),
        **current_app.extensions["caravana.event_gate"].stats(),
        "message_queue": publishing.health() if queue else {"state": "none"},
    }


class EventSessions(SecureCookieSessionInterface):
    """Flask's signed-cookie sessions, not decoded again for every socket event.

    Each event pushes a request context on its connection's environ, which opens the session
    from the cookie (signature, decompression, JSON: a tenth of a keystroke's cost); then
    Flask-SocketIO puts the connection's own copy, made at its first event, in its place.
    Once that copy exists it is the session, as it would have become anyway.
    """

    def open_session(self, app: Flask, request: Any) -> Any:
        """The connection's copy for a socket event that has one; else from the cookie."""
        kept = request.environ.get("saved_session")
        return kept if kept is not None else super().open_session(app, request)


def init_app(app: Flask) -> None:
    """Attach Socket.IO to the app and the connect rules, behind the gate that refuses sockets.

    Also: a message queue when scaled, pings that notice a dead link within about 10 s.
    """
    _allowed_origins.clear()
    _allowed_origins.update(app.config["SOCKETIO_ALLOWED_ORIGINS"])
    app.session_interface = EventSessions()
    app.extensions["caravana.live"] = LiveState()
    app.extensions["caravana.event_gate"] = EventGate(
        app.config["SOCKET_EVENTS_AT_ONCE"],
        app.config["SOCKET_EVENTS_QUEUED"],
        app.config["SOCKET_EVENT_WAIT"],
    )
    socketio.init_app(
        app,
        async_mode="threading",
        cors_allowed_origins=origin_allowed,
        max_http_buffer_size=MAX_SOCKET_PAYLOAD,
        ping_interval=app.config["SOCKETIO_PING_INTERVAL"],
        ping_timeout=app.config["SOCKETIO_PING_TIMEOUT"],
        logger=False,
        engineio_logger=False,
        **_client_manager(app.config["SOCKETIO_MESSAGE_QUEUE"]),
    )
    socketio.on_event("connect", on_connect)
    socketio.on_event("disconnect", on_disconnect)
    # Outermost, so a refused socket costs one short request and never a thread.
    gate = SocketGate(app, app.wsgi_app)
    app.extensions["caravana.socket_gate"] = gate
    app.wsgi_app = gate
