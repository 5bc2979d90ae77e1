"""Socket.IO events of the rooms: each parses its payload, asks the policy, then calls one service.

Every answer is an acknowledgement {"ok": true, ...} or {"ok": false, "error": code,
"message": text}; a malformed event never raises.
"""

from __future__ import annotations

import functools
import time
from datetime import datetime

from flask import request
from flask_babel import gettext as _
from flask_socketio import join_room, leave_room
from limits import RateLimitItem, parse
from sqlalchemy import delete, select

from app import ratelimit, realtime
from app.db import atomic, on_commit
from app.errors import ServiceError
from app.extensions import db, socketio
from app.models import LiveSocket, Message, Room, RoomPresence, User
from app.permissions import (
    ROOM,
    Principals,
    can_delete_message,
    can_edit_message,
    can_post,
    can_report_message,
    can_view_room,
    channels,
    is_muted,
)
from app.permissions.principals import ANONYMOUS
from app.rooms import queries, services

TYPING_INTERVAL = 3.0  # seconds between two typing notices of one person in one room
_last_typing: dict[tuple[int, int], float] = {}
# Per account, for the events whose cost falls on the others in the room (each is pushed to
# all of them): presence changes, edits and deletions, typing notices across rooms.
FOLLOW_LIMIT = parse("60 per minute")  # join and leave together
EDIT_LIMIT = parse("20 per minute")  # edit and delete together
TYPING_LIMIT = parse("20 per minute")  # typing notices actually pushed
PEOPLE_LIMIT = parse("60 per minute")  # name suggestions (each reads the room's readers)


def _within(user: User, limit: RateLimitItem, scope: str) -> None:
    """Count one event of this person against a limit; 'rate_limited' once it is reached."""
    if not ratelimit.hit(limit, scope, str(user.id)):
        raise ServiceError("rate_limited", _("You are sending very fast. Please wait a minute."))


def _room(user: User, data: dict) -> Room:
    """The room named in the payload, if this person may see it (else 'not found')."""
    room = db.session.get(Room, realtime.int_field(data, "room_id"))
    if room is None or not can_view_room(user, room):
        raise ServiceError("not_found", _("This room does not exist, or it is not open to you."))
    return room


def _message(user: User, data: dict) -> Message:
    message = db.session.get(Message, realtime.int_field(data, "message_id"))
    if message is None or not can_view_room(user, message.room):
        raise ServiceError("not_found", _("This message does not exist, or it is not open to you."))
    return message


def _forbidden() -> ServiceError:
    return ServiceError("forbidden", _("You cannot do this here."))


@realtime.socket_event("join")
def on_join(user: User, data: dict) -> dict:
    """Start following a room; return what the client lacks (latest, or after a sequence)."""
    room = _room(user, data)
    if is_muted(user, room):
        raise ServiceError("muted", _("A moderator has muted you in this room."))
    _within(user, FOLLOW_LIMIT, "follow")
    after = data.get("after_seq")
    # Validate everything before following the room: a refused join must not subscribe.
    after_seq = None if after is None else realtime.int_field(data, "after_seq")
    if not room.is_archived:  # an archived room has no live stream: it is only read
        _follow(user, room)
    if after_seq is None:
        messages = queries.latest_messages(room)
    else:
        messages = queries.messages_after(room, after_seq)
    return {
        "room_id": room.id,
        "last_seq": room.last_seq,
        "read_seq": queries.read_marker(user, room),
        "can_post": can_post(user, room),
        "messages": _serialised(user, messages),
        # After a long absence the gap may exceed one answer: the client goes on with "sync".
        "complete": after is None or not messages or messages[-1].seq == room.last_seq,
    }


def _connected(sid: str) -> bool:
    """This process still holds the connection (its disconnect forgets it first of all)."""
    return sid in realtime._state().sids  # the process's own set: no query, no lag


def _follow(user: User, room: Room) -> None:
    """Follow the room's stream and be shown present, unless the connection is already gone.

    A join handled after its connection's disconnect (two threads) must leave no presence:
    the disconnect forgets the sid before it removes the presence rows, so a row written
    after that removal is found here, on checking again, and taken back.
    """
    sid = request.sid
    if not _connected(sid):
        return
    join_room(channels.stream(room))
    with atomic():
        if db.session.get(RoomPresence, (sid, room.id)) is None:
            db.session.add(RoomPresence(sid=sid, room_id=room.id, user_id=user.id))
    if not _connected(sid):
        with atomic():
            db.session.execute(delete(RoomPresence).where(RoomPresence.sid == sid))
        return
    services.announce_presence(room.id)


def _serialised(user: User, messages: list[Message]) -> list[dict]:
    """Messages for one reader's answer; those naming the reader say so (one query)."""
    mine = queries.mentioning(user, messages)
    return [services.serialise(m, mentioned=[user.id] if m.id in mine else []) for m in messages]


@realtime.socket_event("people")
def on_people(user: User, data: dict) -> dict:
    """Names of the room's readers that match what follows an "@" (for the composer)."""
    room = _room(user, data)
    _within(user, PEOPLE_LIMIT, "people")
    return {"people": services.suggest_people(user, room, data.get("q", ""))}


@realtime.socket_event("leave")
def on_leave(user: User, data: dict) -> dict:
    """Stop following a room's live stream; the others see one person fewer present.

    Only when this connection had the room open: a leave of a room one cannot see (or did
    not join) tells nobody anything.
    """
    room_id = realtime.int_field(data, "room_id")
    room = db.session.get(Room, room_id)
    if room is None or not can_view_room(user, room):
        leave_room(channels.stream(room_id))  # only this connection's own subscription
        raise ServiceError("not_found", _("This room does not exist, or it is not open to you."))
    _within(user, FOLLOW_LIMIT, "follow")
    leave_room(channels.stream(room))
    with atomic():
        left = db.session.execute(
            delete(RoomPresence).where(
                RoomPresence.sid == request.sid, RoomPresence.room_id == room.id
            )
        ).rowcount
    if left:
        services.announce_presence(room.id)
    return {}


@realtime.socket_event("send")
def on_send(user: User, data: dict) -> dict:
    """Post a message; the acknowledgement carries the stored message (once per client id)."""
    room = _room(user, data)
    if not can_post(user, room):
        # A resend of a message already stored is answered with it, even if the sender has
        # been muted since: the first answer was lost, not the message.
        if resend := services.resent(user, room, data.get("client_id")):
            return {"message": resend.payload, "created": False}
        raise _forbidden()
    # The answer is the payload the room was told, built before the commit: nothing reloaded.
    posted = services.post(user, room, data.get("body"), data.get("client_id"))
    return {"message": posted.payload, "created": posted.created}


@realtime.socket_event("sync")
def on_sync(user: User, data: dict) -> dict:
    """Everything after a sequence number: how a reconnecting client fills its gap."""
    room = _room(user, data)
    if is_muted(user, room):
        raise ServiceError("muted", _("A moderator has muted you in this room."))
    messages = queries.messages_after(room, realtime.int_field(data, "after_seq"))
    return {
        "messages": _serialised(user, messages),
        "last_seq": room.last_seq,
        "complete": not messages or messages[-1].seq == room.last_seq,
    }


@realtime.socket_event("history")
def on_history(user: User, data: dict) -> dict:
    """Older messages before a sequence number, for scrolling up."""
    room = _room(user, data)
    messages = queries.messages_before(room, realtime.int_field(data, "before_seq"))
    return {"messages": _serialised(user, messages)}


@realtime.socket_event("unread")
def on_unread(user: User, data: dict) -> dict:
    """Unread counts and latest numbers of the rooms one can see: the rooms list catches up."""
    rooms = queries.visible_rooms(user)
    counts = queries.unread_counts(user, rooms)
    return {
        "rooms": {
            str(room.id): {"unread": counts.get(room.id, 0), "last_seq": room.last_seq}
            for room in rooms
        }
    }


@realtime.socket_event("edit")
def on_edit(user: User, data: dict) -> dict:
    """Change a message's text; the acknowledgement carries the changed message."""
    message = _message(user, data)
    if not can_edit_message(user, message):
        raise _forbidden()
    _within(user, EDIT_LIMIT, "edit")
    return {"message": services.serialise(services.edit_message(user, message, data.get("body")))}


@realtime.socket_event("delete")
def on_delete(user: User, data: dict) -> dict:
    """Delete a message; the acknowledgement carries its tombstone."""
    message = _message(user, data)
    if not can_delete_message(user, message):
        raise _forbidden()
    _within(user, EDIT_LIMIT, "edit")
    return {"message": services.serialise(services.delete_message(user, message))}


@realtime.socket_event("report")
def on_report(user: User, data: dict) -> dict:
    """Put a message in the room's moderation queue, with an optional reason."""
    message = _message(user, data)
    if not can_report_message(user, message):
        raise _forbidden()
    reason = data.get("reason", "")
    services.report_message(user, message, reason if isinstance(reason, str) else "")
    return {}


@realtime.socket_event("read")
def on_read(user: User, data: dict) -> dict:
    """Move the person's read marker forward; the answer says where it stands."""
    room = _room(user, data)
    return {"read_seq": services.mark_read(user, room, data.get("seq"))}


@realtime.socket_event("typing")
def on_typing(user: User, data: dict) -> dict:
    """Tell the others someone is writing, at most once every few seconds."""
    room = _room(user, data)
    if not can_post(user, room):
        raise _forbidden()
    key, now = (user.id, room.id), time.monotonic()
    if len(_last_typing) > 10_000:  # forget old entries so the table stays small
        for stale in [k for k, t in _last_typing.items() if now - t > TYPING_INTERVAL]:
            del _last_typing[stale]
    if now - _last_typing.get(key, 0.0) >= TYPING_INTERVAL:
        _last_typing[key] = now
        _within(user, TYPING_LIMIT, "typing")
        socketio.emit(
            "typing",
            {"room_id": room.id, "name": user.display_name},
            to=channels.stream(room),
            skip_sid=request.sid,
        )
    return {}


def _drop_presence(sid: str) -> None:
    """A closed connection no longer has any room open."""
    room_ids = db.session.scalars(select(RoomPresence.room_id).where(RoomPresence.sid == sid)).all()
    if not room_ids:
        return
    with atomic():
        db.session.execute(delete(RoomPresence).where(RoomPresence.sid == sid))
    for room_id in room_ids:
        services.announce_presence(room_id)


def _sweep_presence(cutoff: datetime) -> None:
    """Forget who had rooms open on sockets that are gone; tell those rooms who is left."""
    gone = RoomPresence.sid.not_in(select(LiveSocket.sid).where(LiveSocket.seen_at >= cutoff))
    room_ids = db.session.scalars(select(RoomPresence.room_id).where(gone).distinct()).all()
    if not room_ids:
        return
    with atomic():
        db.session.execute(delete(RoomPresence).where(gone))
    for room_id in room_ids:
        services.announce_presence(room_id)


def _open_streams(sids: list[str]) -> dict[str, set[str]]:
    """The room streams these connections should follow: those of the rooms they have open."""
    rows = db.session.execute(
        select(RoomPresence.sid, RoomPresence.room_id).where(RoomPresence.sid.in_(sids))
    )
    streams: dict[str, set[str]] = {}
    for sid, room_id in rows:
        streams.setdefault(sid, set()).add(channels.stream(room_id))
    return streams


def _close_lost_streams(sockets: list[LiveSocket], now: dict[int, Principals]) -> int:
    """After a change of access: leave the live streams of rooms a connection may no longer read.

    And tell the page (it then says so and stops sending).
    """
    by_sid = {s.sid: s for s in sockets}
    followed = db.session.execute(
        select(RoomPresence, Room)
        .join(Room, Room.id == RoomPresence.room_id)
        .where(RoomPresence.sid.in_(by_sid))
    ).all()
    closed: set[int] = set()
    for presence, room in followed:
        if ROOM.open_to(now.get(by_sid[presence.sid].user_id, ANONYMOUS), room):
            continue
        socketio.server.leave_room(
            presence.sid, channels.stream(room), namespace=realtime.NAMESPACE
        )
        db.session.delete(presence)
        closed.add(room.id)
        on_commit(functools.partial(_tell_closed, presence.sid, room.id))
    for room_id in closed:
        on_commit(functools.partial(services.announce_presence, room_id))
    return len(closed)


def _tell_closed(sid: str, room_id: int) -> None:
    socketio.emit("room_closed", {"room_id": room_id}, to=sid)


realtime.DISCONNECT_HOOKS.append(_drop_presence)
realtime.ACCESS_HOOKS.append(_close_lost_streams)
realtime.SWEEP_HOOKS.append(_sweep_presence)
realtime.STREAM_HOOKS.append(_open_streams)
