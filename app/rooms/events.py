"""Socket.IO events of the rooms: each parses its payload, asks permissions.py, then calls
one service. Every answer is an acknowledgement {"ok": true, ...} or {"ok": false, "error":
code, "message": text}; a malformed event never raises."""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import Callable
from typing import Any

from flask import request
from flask_babel import gettext as _
from flask_login import current_user
from flask_socketio import join_room, leave_room
from sqlalchemy import delete, select

from app import realtime
from app.extensions import db, socketio
from app.models import Message, Room, RoomPresence, User
from app.permissions import (
    can_delete_message,
    can_edit_message,
    can_post,
    can_report_message,
    can_use_account,
    can_view_room,
    is_muted,
)
from app.rooms import services
from app.rooms.services import RoomError

log = logging.getLogger(__name__)
TYPING_INTERVAL = 3.0  # seconds between two typing notices of one person in one room
_last_typing: dict[tuple[int, int], float] = {}


def _fail(code: str, message: str | None = None) -> dict[str, Any]:
    return {"ok": False, "error": code, "message": message or _("Something went wrong.")}


def event(name: str) -> Callable:
    """Register a socket event: signed-in users only, dict payload, errors as answers."""

    def register(handler: Callable[[User, dict], dict]) -> Callable:
        @functools.wraps(handler)
        def wrapped(data: Any = None, *extra: Any) -> dict[str, Any]:
            if not can_use_account(current_user):
                return _fail("unauthorised", _("Please sign in again."))
            if extra or not isinstance(data, dict):
                return _fail("bad_request", _("Something in the request was not right"))
            try:
                return {"ok": True, **handler(current_user, data)}
            except RoomError as error:
                db.session.rollback()
                return _fail(error.code, str(error))
            except Exception:
                db.session.rollback()
                log.exception("socket event %s failed", name)
                return _fail("server")

        socketio.on_event(name, wrapped)
        return wrapped

    return register


def _int(data: dict, key: str, default: int | None = None) -> int:
    value = data.get(key, default)
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise RoomError("bad_request", _("Something in the request was not right"))
    return value


def _room(user: User, data: dict) -> Room:
    """The room named in the payload, if this person may see it (else 'not found')."""
    room = db.session.get(Room, _int(data, "room_id"))
    if room is None or not can_view_room(user, room):
        raise RoomError("not_found", _("This room does not exist, or it is not open to you."))
    return room


def _message(user: User, data: dict) -> Message:
    message = db.session.get(Message, _int(data, "message_id"))
    if message is None or not can_view_room(user, message.room):
        raise RoomError("not_found", _("This message does not exist, or it is not open to you."))
    return message


def _forbidden() -> RoomError:
    return RoomError("forbidden", _("You cannot do this here."))


def _announce_presence(room_id: int) -> None:
    room = db.session.get(Room, room_id)
    if room is not None:
        names = services.present_names(room)
        socketio.emit("presence", {"room_id": room_id, "names": names}, to=services.stream(room))


@event("join")
def on_join(user: User, data: dict) -> dict:
    """Start following a room; return what the client lacks (latest, or after a sequence)."""
    room = _room(user, data)
    if is_muted(user, room):
        raise RoomError("muted", _("A moderator has muted you in this room."))
    after = data.get("after_seq")
    # Validate everything before following the room: a refused join must not subscribe.
    after_seq = None if after is None else _int(data, "after_seq")
    join_room(services.stream(room))
    if db.session.get(RoomPresence, (request.sid, room.id)) is None:
        db.session.add(RoomPresence(sid=request.sid, room_id=room.id, user_id=user.id))
        db.session.commit()
    if after_seq is None:
        messages = services.latest_messages(room)
    else:
        messages = services.messages_after(room, after_seq)
    _announce_presence(room.id)
    return {
        "room_id": room.id,
        "last_seq": room.last_seq,
        "read_seq": services.read_marker(user, room),
        "can_post": can_post(user, room),
        "messages": [services.serialise(m) for m in messages],
        # After a long absence the gap may exceed one answer: the client goes on with "sync".
        "complete": after is None or not messages or messages[-1].seq == room.last_seq,
    }


@event("leave")
def on_leave(user: User, data: dict) -> dict:
    room_id = _int(data, "room_id")
    leave_room(services.stream(room_id))
    db.session.execute(
        delete(RoomPresence).where(RoomPresence.sid == request.sid, RoomPresence.room_id == room_id)
    )
    db.session.commit()
    _announce_presence(room_id)
    return {}


@event("send")
def on_send(user: User, data: dict) -> dict:
    """Post a message; the acknowledgement carries the stored message (once per client id)."""
    room = _room(user, data)
    # A resend of a message already stored is answered with it, even if the sender has
    # been muted since: the first answer was lost, not the message.
    if stored := services.sent_message(room, user, data.get("client_id")):
        return {"message": services.serialise(stored), "created": False}
    if not can_post(user, room):
        raise _forbidden()
    message, created = services.post_message(user, room, data.get("body"), data.get("client_id"))
    return {"message": services.serialise(message), "created": created}


@event("sync")
def on_sync(user: User, data: dict) -> dict:
    """Everything after a sequence number: how a reconnecting client fills its gap."""
    room = _room(user, data)
    if is_muted(user, room):
        raise RoomError("muted", _("A moderator has muted you in this room."))
    messages = services.messages_after(room, _int(data, "after_seq"))
    return {
        "messages": [services.serialise(m) for m in messages],
        "last_seq": room.last_seq,
        "complete": not messages or messages[-1].seq == room.last_seq,
    }


@event("history")
def on_history(user: User, data: dict) -> dict:
    """Older messages before a sequence number, for scrolling up."""
    room = _room(user, data)
    messages = services.messages_before(room, _int(data, "before_seq"))
    return {"messages": [services.serialise(m) for m in messages]}


@event("edit")
def on_edit(user: User, data: dict) -> dict:
    message = _message(user, data)
    if not can_edit_message(user, message):
        raise _forbidden()
    return {"message": services.serialise(services.edit_message(user, message, data.get("body")))}


@event("delete")
def on_delete(user: User, data: dict) -> dict:
    message = _message(user, data)
    if not can_delete_message(user, message):
        raise _forbidden()
    return {"message": services.serialise(services.delete_message(user, message))}


@event("report")
def on_report(user: User, data: dict) -> dict:
    message = _message(user, data)
    if not can_report_message(user, message):
        raise _forbidden()
    reason = data.get("reason", "")
    services.report_message(user, message, reason if isinstance(reason, str) else "")
    return {}


@event("read")
def on_read(user: User, data: dict) -> dict:
    room = _room(user, data)
    return {"read_seq": services.mark_read(user, room, data.get("seq"))}


@event("typing")
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
        socketio.emit(
            "typing",
            {"room_id": room.id, "name": user.display_name},
            to=services.stream(room),
            skip_sid=request.sid,
        )
    return {}


def _join_channels(user: User) -> None:
    for channel in services.channels_for(user):
        join_room(channel)


def _drop_presence(sid: str) -> None:
    room_ids = db.session.scalars(select(RoomPresence.room_id).where(RoomPresence.sid == sid)).all()
    if not room_ids:
        return
    db.session.execute(delete(RoomPresence).where(RoomPresence.sid == sid))
    db.session.commit()
    for room_id in room_ids:
        _announce_presence(room_id)


realtime.CONNECT_HOOKS.append(_join_channels)
realtime.DISCONNECT_HOOKS.append(_drop_presence)
