"""Room state changes shared by the web views and the socket events.

Each change runs in one unit of work (``atomic``) and announces itself on Socket.IO only
after the commit (``on_commit``), so nobody is told of a message that is not stored.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from flask_babel import gettext as _
from limits import parse
from sqlalchemy import Executable, delete, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError

from app import audit, ratelimit
from app.db import atomic, in_atomic, on_commit
from app.errors import ServiceError
from app.extensions import db, socketio
from app.markup import render_markdown
from app.models import (
    Campaign,
    LiveSocket,
    Mention,
    Message,
    MessageReport,
    MessageRevision,
    Organisation,
    ReadMarker,
    Room,
    RoomMute,
    RoomPresence,
    RoomScope,
    User,
    utcnow,
)
from app.models.orgs import fold
from app.permissions import ROOM, channels, report_reviewers
from app.realtime import NAMESPACE, busy, event_wait, followers_of, sync_after_commit
from app.rooms import queries

MAX_BODY_BYTES = 16 * 1024
POST_LIMIT = parse("30 per minute")
CLIENT_ID = re.compile(r"^[A-Za-z0-9_-]{8,64}$")


def _set_body(message: Message, text: str) -> None:
    """Store a message's text and its sanitised HTML, rendered once, now (pages show it)."""
    message.body = text
    message.body_html = str(render_markdown(text)) if text else ""


def serialise(
    message: Message, author: User | None = None, mentioned: Iterable[int] = ()
) -> dict[str, Any]:
    """The JSON form of a message sent to browsers (its stored, sanitised HTML).

    ``author``, when given, is the message's author already in hand (no loading);
    ``mentioned``, the ids of the people it names that this payload may tell (each reader's
    page marks the messages naming them: the stored HTML stays as rendered once).
    """
    deleted = message.is_deleted
    author = author if author is not None else message.author
    return {
        "id": message.id,
        "room_id": message.room_id,
        "seq": message.seq,
        "client_id": message.client_id,
        "author_id": message.author_id,
        "author": author.display_name if author else "",
        "body": "" if deleted else message.body,
        "html": "" if deleted else message.body_html,
        "created_at": message.created_at.isoformat(),
        "edited": message.edited_at is not None,
        "deleted": deleted,
        "mentioned": [] if deleted else sorted(mentioned),
    }


def announce_presence(room_id: int) -> None:
    """Tell the room's followers who has it open now."""
    names = queries.present_names(room_id)
    socketio.emit("presence", {"room_id": room_id, "names": names}, to=channels.stream(room_id))


# --- messages ---------------------------------------------------------------------------------


def _clean_body(body: Any) -> str:
    if not isinstance(body, str) or not body.strip():
        raise ServiceError("empty", _("Please write a message first."))
    if len(body.encode("utf-8")) > MAX_BODY_BYTES:
        raise ServiceError("too_long", _("This message is too long. Please split it in parts."))
    return body.strip()


_write_lock = threading.Lock()  # this process's writers of messages take turns (SQLite)


@contextmanager
def writing() -> Iterator[None]:
    """A unit of work (``atomic``) that waits for this process's turn to write, on SQLite.

    SQLite lets one transaction write at a time, and a writer that finds the lock taken
    sleeps in SQLite's busy handler in steps of up to 100 ms, so under load the lock stays
    idle between writers while they sleep. Queued here, the next writer starts the moment
    the last one has committed: the turn is handed over before the after-commit work (the
    emits to the room) runs. A writer that waits too long is answered "busy". Inside an
    outer unit of work (which may already hold the database's lock, so waiting here could
    stall it), or on PostgreSQL (row locks), it is a plain ``atomic()``.
    """
    if in_atomic() or db.session.get_bind().dialect.name != "sqlite":
        with atomic():
            yield
        return
    if not _write_lock.acquire(timeout=event_wait()):
        raise busy()
    held = True

    def hand_over() -> None:
        nonlocal held
        if held:
            held = False
            _write_lock.release()

    try:
        with atomic():
            on_commit(hand_over)  # the first thing done once committed
            yield
    finally:
        hand_over()  # rolled back, or failed before the commit


def _next_seq(room: Room) -> int:
    """Take the room's next sequence number (the row update serialises concurrent senders)."""
    return db.session.execute(
        update(Room)
        .where(Room.id == room.id)
        .values(last_seq=Room.last_seq + 1)
        .returning(Room.last_seq)
    ).scalar_one()


@dataclass(frozen=True)
class Posted:
    """A message sent: the stored row, whether this call stored it, and its JSON form.

    ``payload`` is what the room was told (or, for a resend, the stored message), built
    before the commit, so that answering the sender loads nothing again.
    """

    message: Message
    created: bool
    payload: dict[str, Any]


def post_message(author: User, room: Room, body: Any, client_id: Any) -> tuple[Message, bool]:
    """Store a message once per client id and announce it; return it and whether it is new.

    A retry with the same client id (a resend after a lost acknowledgement) returns the
    stored message instead of creating a second one.
    """
    posted = post(author, room, body, client_id)
    return posted.message, posted.created


def post(author: User, room: Room, body: Any, client_id: Any) -> Posted:
    """Store a message once per client id and announce it after the commit (``post_message``).

    The common case, a new client id, asks the database nothing before writing: the unique
    ``(room, author, client_id)`` turns a resend into an IntegrityError, answered with the
    stored message. The write transaction holds SQLite's lock for two statements (number,
    row) and the mentions; Markdown and the mentions' lookup happen before it.
    """
    if not isinstance(client_id, str) or not CLIENT_ID.match(client_id):
        raise ServiceError("bad_client_id", _("Something in the request was not right"))
    text = _clean_body(body)
    # Counted in Redis when scaled; in this process's memory while Redis is down.
    if not ratelimit.hit(POST_LIMIT, "post", str(author.id)):
        if resend := _resent(author, room, client_id):  # answered even at the limit
            return resend
        raise ServiceError("rate_limited", _("You are sending very fast. Please wait a minute."))
    message = Message(
        room_id=room.id, author_id=author.id, client_id=client_id, created_at=utcnow()
    )
    _set_body(message, text)  # rendered before taking a number: the write lock waits for nothing
    named = _mentioned(room, message)
    stream, audience = channels.stream(room), channels.audience(ROOM, room)
    try:
        with writing():
            message.seq = _next_seq(room)
            db.session.add(message)
            db.session.flush()
            db.session.add_all(Mention(message_id=message.id, user_id=uid) for uid in named)
            payload = serialise(message, author, named)
            on_commit(lambda: _announce_new(stream, audience, payload))
    except IntegrityError:
        # Sent before (its answer was lost), or the same client id twice at once.
        if in_atomic() or (existing := _resent(author, room, client_id)) is None:
            raise
        return existing
    return Posted(message, True, payload)


def _resent(author: User, room: Room, client_id: str) -> Posted | None:
    """The message this author already sent with this client id, as a send's answer."""
    if (stored := queries.sent_message(room, author, client_id)) is None:
        return None
    return Posted(stored, False, serialise(stored))


def resent(author: User, room: Room, client_id: Any) -> Posted | None:
    """A resend of a stored message, answered even when the sender may no longer post."""
    return _resent(author, room, client_id) if isinstance(client_id, str) else None


def _announce_new(stream: str, audience: list[str], payload: dict[str, Any]) -> None:
    """Tell the room's followers the message, and everyone else who can see the room its number.

    The followers of the stream already have the message: the unread badge ("activity") is
    for the others (the rooms list), so each connection gets one frame per message.
    """
    socketio.emit("message", payload, to=stream)
    socketio.emit(
        "activity",
        {"room_id": payload["room_id"], "seq": payload["seq"], "author_id": payload["author_id"]},
        to=audience,
        skip_sid=[followers_of(stream)],
    )


# @**Full Name**, or @Firstname (a trailing full stop or dash belongs to the sentence).
MENTION = re.compile(r"@\*\*([^*\n]{1,80})\*\*|@(\w[\w.-]{0,38}\w)", re.UNICODE)


PEOPLE_QUERY_MAX = 40  # characters of a name typed after "@" that are looked at
PEOPLE_SHOWN = 8


def suggest_people(reader: User, room: Room, typed: Any) -> list[str]:
    """Names of the room's readers matching what follows an "@", for the composer.

    Only people who can read the room (``ROOM.holders``, as mentions themselves), never the
    reader, at most ``PEOPLE_SHOWN``; compared without case or accents ("jose" finds
    "José"), at the start of any word of the name.
    """
    wanted = fold(typed.strip()[:PEOPLE_QUERY_MAX]) if isinstance(typed, str) else ""
    people = db.session.execute(
        select(User.display_name, User.other_name)
        .where(User.id.in_(ROOM.holders(room)), User.id != reader.id)
        .order_by(User.display_name)
    )
    found: list[str] = []
    for name, other in people:
        # Either of the person's names ("نور" finds Noura who wrote نورة as her other name);
        # the mention inserted is the name everyone sees.
        for folded in filter(None, (fold(name), fold(other or ""))):
            if folded.startswith(wanted) or any(w.startswith(wanted) for w in folded.split()):
                found.append(name)
                break
        if len(found) == PEOPLE_SHOWN:
            break
    return found


def _mentioned(room: Room, message: Message) -> set[int]:
    """The people named as @**Full Name** or @Firstname who can see the room (not the author)."""
    full, first = set(), set()
    for match in MENTION.finditer(message.body):
        if match.group(1):
            full.add(match.group(1).strip().lower())
        else:
            first.add(match.group(2).lower())
    if not full and not first:
        return set()
    rows = db.session.execute(
        select(User.id, User.display_name, User.other_name).where(User.id.in_(ROOM.holders(room)))
    ).all()
    # Each person under each of their names (the one everyone sees, the other script's).
    candidates = [(user_id, name) for user_id, *names in rows for name in names if name]
    by_first: dict[str, set[int]] = {}
    for user_id, name in candidates:
        by_first.setdefault(name.split()[0].lower() if name.split() else "", set()).add(user_id)
    named = {user_id for user_id, name in candidates if name.lower() in full}
    for word in first:
        if len(by_first.get(word, [])) == 1:  # only an unambiguous first name counts
            named.update(by_first[word])
    named.discard(message.author_id)
    return named


def _record_mentions(room: Room, message: Message) -> set[int]:
    """Link the people named in the message who can see the room; return their ids."""
    named = _mentioned(room, message)
    db.session.add_all(Mention(message_id=message.id, user_id=user_id) for user_id in named)
    return named


def _announce_change(message: Message, mentioned: Iterable[int] = ()) -> None:
    on_commit(
        lambda: socketio.emit(
            "message_updated",
            serialise(message, mentioned=mentioned),
            to=channels.stream(message.room_id),
        )
    )


def edit_message(actor: User, message: Message, body: Any) -> Message:
    """Change a message's text; the earlier text is kept for moderators."""
    text = _clean_body(body)
    if text == message.body:
        return message
    with atomic():
        db.session.add(MessageRevision(message_id=message.id, body=message.body))
        _set_body(message, text)
        message.edited_at = utcnow()
        db.session.execute(delete(Mention).where(Mention.message_id == message.id))
        named = _record_mentions(message.room, message)
        _announce_change(message, named)
    return message


def delete_message(actor: User, message: Message) -> Message:
    """Replace a message by a tombstone; moderators' deletions go to the audit log."""
    with atomic():
        db.session.add(MessageRevision(message_id=message.id, body=message.body))
        _set_body(message, "")
        message.deleted_at = utcnow()
        message.deleted_by_id = actor.id
        if message.author_id != actor.id:
            room = message.room
            audit.record(
                actor,
                "message.delete",
                org=room.owner_organisation,
                target=message.author,
                room=room.name,
                seq=message.seq,
            )
        _announce_change(message)
    return message


def _move_marker(user: User, room: Room, seq: int) -> Executable:
    """One statement: insert the read marker if absent, else move it forward (never back).

    Two first visits at once insert it once (ON CONFLICT, on SQLite and PostgreSQL alike).
    """
    dialect = db.session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(ReadMarker).values(user_id=user.id, room_id=room.id, last_read_seq=seq)
    return statement.on_conflict_do_update(
        index_elements=[ReadMarker.user_id, ReadMarker.room_id],
        set_={"last_read_seq": statement.excluded.last_read_seq},
        where=ReadMarker.last_read_seq < statement.excluded.last_read_seq,
    ).returning(ReadMarker.last_read_seq)


def mark_read(user: User, room: Room, seq: Any) -> int:
    """Move the person's read marker forward (never back); return where it stands."""
    if not isinstance(seq, int) or isinstance(seq, bool) or seq < 0:
        raise ServiceError("bad_seq", _("Something in the request was not right"))
    with atomic():
        moved = db.session.execute(_move_marker(user, room, min(seq, room.last_seq))).scalar()
        if moved is not None:
            return moved
        return db.session.scalar(  # it already stood further on
            select(ReadMarker.last_read_seq).where(
                ReadMarker.user_id == user.id, ReadMarker.room_id == room.id
            )
        )


# --- rooms ------------------------------------------------------------------------------------


def create_room(
    actor: User,
    scope: RoomScope,
    name: str,
    description: str = "",
    org: Organisation | None = None,
    campaign: Campaign | None = None,
) -> Room:
    """Open a room for the movement, an organisation or a campaign."""
    with atomic():
        room = Room(
            name=name.strip(),
            description=description.strip(),
            scope=scope,
            organisation_id=org.id if org and scope == RoomScope.ORGANISATION else None,
            campaign_id=campaign.id if campaign and scope == RoomScope.CAMPAIGN else None,
            created_by_id=actor.id,
        )
        db.session.add(room)
        db.session.flush()
        audit.record(actor, "room.create", org=room.owner_organisation or org, room=room.name)
    return room


def update_room(
    actor: User,
    room: Room,
    name: str,
    description: str,
    scope: RoomScope,
    org: Organisation | None = None,
    campaign: Campaign | None = None,
) -> Room:
    """Rename a room, or change whom it is for.

    Whoever can no longer read it leaves its live stream at once.
    """
    with atomic():
        before = ROOM.tokens(room)
        room.name, room.description = name.strip(), description.strip()
        room.scope = scope
        room.organisation_id = org.id if org and scope == RoomScope.ORGANISATION else None
        room.campaign_id = campaign.id if campaign and scope == RoomScope.CAMPAIGN else None
        db.session.flush()
        db.session.expire(room, ["organisation", "campaign"])
        audit.record(actor, "room.edit", org=room.owner_organisation, room=room.name)
        if ROOM.tokens(room) != before:
            sync_after_commit(select(RoomPresence.user_id).where(RoomPresence.room_id == room.id))
    return room


def archive_room(actor: User, room: Room) -> None:
    """Make a room read-only and end its live stream."""
    if room.is_archived:
        return
    with atomic():
        room.archived_at = utcnow()
        audit.record(actor, "room.archive", org=room.owner_organisation, room=room.name)
        db.session.execute(delete(RoomPresence).where(RoomPresence.room_id == room.id))
        on_commit(lambda: _close_stream(room.id))


def unarchive_room(actor: User, room: Room) -> None:
    """Let a room be written in again (its readers open it again to follow it live)."""
    if not room.is_archived:
        return
    with atomic():
        room.archived_at = None
        audit.record(actor, "room.unarchive", org=room.owner_organisation, room=room.name)


def _close_stream(room_id: int) -> None:
    stream = channels.stream(room_id)
    socketio.emit("room_archived", {"room_id": room_id}, to=stream)
    socketio.close_room(stream)


# --- moderation -------------------------------------------------------------------------------


def report_message(reporter: User, message: Message, reason: str) -> MessageReport:
    """Put a message in the moderation queue of its room, once per person.

    Its reviewers who are online are told: never the person reported (``report_reviewers``).
    """
    existing = db.session.scalar(
        select(MessageReport).where(
            MessageReport.message_id == message.id,
            MessageReport.reporter_id == reporter.id,
            MessageReport.resolved_at.is_(None),
        )
    )
    if existing:
        return existing
    with atomic():
        report = MessageReport(message_id=message.id, reporter_id=reporter.id, reason=reason[:500])
        db.session.add(report)
        room = message.room
        told = [channels.user(uid) for uid in sorted(report_reviewers(room, message.author_id))]
        on_commit(lambda: told and socketio.emit("reported", {"room_id": room.id}, to=told))
    return report


def resolve_report(actor: User, report: MessageReport) -> None:
    """Close a report (the moderator has looked at it)."""
    if report.resolved_at:
        return
    with atomic():
        report.resolved_at = utcnow()
        report.resolved_by_id = actor.id
        room = report.message.room
        audit.record(actor, "report.resolve", org=room.owner_organisation, room=room.name)


def mute(actor: User, room: Room, user: User) -> None:
    """Silence a person in a room and take them off its live stream at once."""
    if db.session.get(RoomMute, (room.id, user.id)):
        return
    with atomic():
        db.session.add(RoomMute(room_id=room.id, user_id=user.id, muted_by_id=actor.id))
        audit.record(actor, "member.mute", org=room.owner_organisation, target=user, room=room.name)
        db.session.execute(
            delete(RoomPresence).where(
                RoomPresence.room_id == room.id, RoomPresence.user_id == user.id
            )
        )
        on_commit(lambda: _off_stream(room.id, user.id))


def _off_stream(room_id: int, user_id: int) -> None:
    sids = db.session.scalars(select(LiveSocket.sid).where(LiveSocket.user_id == user_id)).all()
    for sid in sids:
        socketio.server.leave_room(sid, channels.stream(room_id), namespace=NAMESPACE)
    announce_presence(room_id)
    socketio.emit("muted", {"room_id": room_id}, to=channels.user(user_id))


def unmute(actor: User, room: Room, user: User) -> None:
    """Let a muted person write again."""
    found = db.session.get(RoomMute, (room.id, user.id))
    if found is None:
        return
    with atomic():
        db.session.delete(found)
        audit.record(
            actor, "member.unmute", org=room.owner_organisation, target=user, room=room.name
        )
