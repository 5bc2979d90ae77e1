"""Room state changes shared by the web views and the socket events.

Every change is committed first and only then announced on Socket.IO, so nobody is told of
a message that is not stored.
"""

from __future__ import annotations

import re
from typing import Any

from flask_babel import gettext as _
from limits import parse
from sqlalchemy import and_, delete, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from app import audit
from app.campaigns.services import campaigns_of
from app.extensions import db, limiter, socketio
from app.markup import render_markdown
from app.models import (
    Campaign,
    LiveSocket,
    Membership,
    Mention,
    Message,
    MessageReport,
    MessageRevision,
    Organisation,
    OrgStatus,
    ReadMarker,
    Room,
    RoomMute,
    RoomPresence,
    RoomScope,
    User,
    utcnow,
)
from app.permissions import is_admin, is_movement_member, participant_org_ids

MAX_BODY_BYTES = 16 * 1024
POST_LIMIT = parse("30 per minute")
CLIENT_ID = re.compile(r"^[A-Za-z0-9_-]{8,64}$")
PAGE_SIZE = 50
SYNC_LIMIT = 500


class RoomError(ValueError):
    """A change that cannot be made; the message is shown to the person."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


# --- socket room names ----------------------------------------------------------------------


def stream(room: Room | int) -> str:
    """The Socket.IO room carrying one discussion room's live messages."""
    return f"room:{room if isinstance(room, int) else room.id}"


def audience_channel(room: Room) -> str:
    """The Socket.IO room of everyone who may see this room (for unread badges)."""
    if room.scope == RoomScope.ORGANISATION:
        return f"org:{room.organisation_id}"
    if room.scope == RoomScope.CAMPAIGN:
        return f"campaign:{room.campaign_id}"
    return "movement"


def channels_for(user: User) -> list[str]:
    """Audience channels a connection of this user joins."""
    org_ids = db.session.scalars(
        select(Membership.organisation_id)
        .join(Organisation)
        .where(Membership.user_id == user.id, Organisation.status == OrgStatus.APPROVED)
    ).all()
    channels = [f"org:{org_id}" for org_id in org_ids]
    channels += [f"campaign:{campaign_id}" for campaign_id in _campaign_ids(org_ids)]
    if org_ids or is_admin(user):
        channels.append("movement")
    return channels


def _campaign_ids(org_ids) -> list[int]:
    if not org_ids:
        return []
    return list(db.session.scalars(campaigns_of(org_ids)))


# --- reading ----------------------------------------------------------------------------------


def visible_rooms(user: User) -> list[Room]:
    """The rooms this person may see: movement rooms and their organisations' rooms."""
    conditions = [
        and_(
            Room.scope == RoomScope.ORGANISATION,
            Room.organisation_id.in_(
                select(Membership.organisation_id)
                .join(Organisation)
                .where(Membership.user_id == user.id, Organisation.status == OrgStatus.APPROVED)
            ),
        )
    ]
    if is_admin(user) or is_movement_member(user):
        conditions.append(Room.scope == RoomScope.MOVEMENT)
    my_orgs = db.session.scalars(
        select(Membership.organisation_id).where(Membership.user_id == user.id)
    ).all()
    if campaign_ids := _campaign_ids(my_orgs):
        conditions.append(
            and_(Room.scope == RoomScope.CAMPAIGN, Room.campaign_id.in_(campaign_ids))
        )
    return list(
        db.session.scalars(
            select(Room)
            .options(selectinload(Room.organisation))
            .where(or_(*conditions))
            .order_by(Room.archived_at.is_not(None), Room.scope, Room.name)
        )
    )


def _messages(room: Room):
    return select(Message).options(selectinload(Message.author)).where(Message.room_id == room.id)


def latest_messages(room: Room, limit: int = PAGE_SIZE) -> list[Message]:
    rows = db.session.scalars(_messages(room).order_by(Message.seq.desc()).limit(limit)).all()
    return list(reversed(rows))


def messages_before(room: Room, before_seq: int, limit: int = PAGE_SIZE) -> list[Message]:
    """Older history, for scrolling up."""
    rows = db.session.scalars(
        _messages(room)
        .where(Message.seq < before_seq)
        .order_by(Message.seq.desc())
        .limit(min(limit, PAGE_SIZE))
    ).all()
    return list(reversed(rows))


def messages_after(room: Room, after_seq: int, limit: int = SYNC_LIMIT) -> list[Message]:
    """Everything after a sequence number, to fill the gap after a reconnect."""
    return list(
        db.session.scalars(
            _messages(room).where(Message.seq > after_seq).order_by(Message.seq).limit(limit)
        )
    )


def read_marker(user: User, room: Room) -> int:
    marker = db.session.get(ReadMarker, (user.id, room.id))
    return marker.last_read_seq if marker else 0


def unread_counts(user: User, rooms: list[Room]) -> dict[int, int]:
    """Messages by others after the person's read marker, per room (one query)."""
    if not rooms:
        return {}
    rows = db.session.execute(
        select(Message.room_id, func.count())
        .outerjoin(
            ReadMarker, and_(ReadMarker.room_id == Message.room_id, ReadMarker.user_id == user.id)
        )
        .where(
            Message.room_id.in_([room.id for room in rooms]),
            Message.seq > func.coalesce(ReadMarker.last_read_seq, 0),
            Message.deleted_at.is_(None),
            or_(Message.author_id.is_(None), Message.author_id != user.id),
        )
        .group_by(Message.room_id)
    ).all()
    return {room_id: count for room_id, count in rows}


def mentions_of(user: User, limit: int = 100) -> list[Message]:
    """Messages that name this person, newest first, in rooms they can still see."""
    room_ids = [room.id for room in visible_rooms(user)]
    return list(
        db.session.scalars(
            select(Message)
            .join(Mention, Mention.message_id == Message.id)
            .options(selectinload(Message.author), selectinload(Message.room))
            .where(
                Mention.user_id == user.id,
                Message.room_id.in_(room_ids),
                Message.deleted_at.is_(None),
            )
            .order_by(Message.created_at.desc())
            .limit(limit)
        )
    )


def present_names(room: Room) -> list[str]:
    """Display names of the people who have the room open now."""
    return list(
        db.session.scalars(
            select(User.display_name)
            .join(RoomPresence, RoomPresence.user_id == User.id)
            .where(RoomPresence.room_id == room.id)
            .distinct()
            .order_by(User.display_name)
        )
    )


def _html(message: Message) -> str:
    """The message's sanitised HTML, rendered once per text (broadcast and acknowledgement
    of one send share it; an edit changes the text and so renders again)."""
    cached = getattr(message, "_html_cache", None)
    if cached is None or cached[0] != message.body:
        cached = (message.body, str(render_markdown(message.body)))
        message._html_cache = cached  # a plain attribute, not a column
    return cached[1]


def serialise(message: Message) -> dict[str, Any]:
    """The JSON form of a message sent to browsers (HTML already sanitised)."""
    deleted = message.is_deleted
    return {
        "id": message.id,
        "room_id": message.room_id,
        "seq": message.seq,
        "client_id": message.client_id,
        "author_id": message.author_id,
        "author": message.author.display_name if message.author else "",
        "body": "" if deleted else message.body,
        "html": "" if deleted else _html(message),
        "created_at": message.created_at.isoformat(),
        "edited": message.edited_at is not None,
        "deleted": deleted,
    }


# --- writing ----------------------------------------------------------------------------------


def _clean_body(body: Any) -> str:
    if not isinstance(body, str) or not body.strip():
        raise RoomError("empty", _("Please write a message first."))
    if len(body.encode("utf-8")) > MAX_BODY_BYTES:
        raise RoomError("too_long", _("This message is too long. Please split it in parts."))
    return body.strip()


def _check_rate(user: User) -> None:
    if limiter.enabled and not limiter.limiter.hit(POST_LIMIT, "post", str(user.id)):
        raise RoomError("rate_limited", _("You are sending very fast. Please wait a minute."))


def _next_seq(room: Room) -> int:
    """Take the room's next sequence number (the row update serialises concurrent senders)."""
    return db.session.execute(
        update(Room)
        .where(Room.id == room.id)
        .values(last_seq=Room.last_seq + 1)
        .returning(Room.last_seq)
    ).scalar_one()


def sent_message(room: Room, author: User, client_id: Any) -> Message | None:
    """The message this author already sent with this client id, if any."""
    if not isinstance(client_id, str):
        return None
    return _existing(room, author, client_id)


def _existing(room: Room, author: User, client_id: str) -> Message | None:
    return db.session.scalar(
        select(Message).where(
            Message.room_id == room.id,
            Message.author_id == author.id,
            Message.client_id == client_id,
        )
    )


def post_message(author: User, room: Room, body: Any, client_id: Any) -> tuple[Message, bool]:
    """Store a message once per client id and announce it; return it and whether it is new.

    A retry with the same client id (a resend after a lost acknowledgement) returns the
    stored message instead of creating a second one.
    """
    if not isinstance(client_id, str) or not CLIENT_ID.match(client_id):
        raise RoomError("bad_client_id", _("Something in the request was not right"))
    if existing := _existing(room, author, client_id):
        return existing, False
    text = _clean_body(body)
    _check_rate(author)
    message = Message(
        room_id=room.id, seq=_next_seq(room), author_id=author.id, client_id=client_id, body=text
    )
    db.session.add(message)
    try:
        db.session.flush()
        _record_mentions(room, message)
        db.session.commit()
    except IntegrityError:
        # The same client id arrived twice at once: the other request stored it.
        db.session.rollback()
        if existing := _existing(room, author, client_id):
            return existing, False
        raise
    payload = serialise(message)
    socketio.emit("message", payload, to=stream(room))
    socketio.emit(
        "activity",
        {"room_id": room.id, "seq": message.seq, "author_id": author.id},
        to=audience_channel(room),
    )
    return message, True


# @**Full Name**, or @Firstname (a trailing full stop or dash belongs to the sentence).
MENTION = re.compile(r"@\*\*([^*\n]{1,80})\*\*|@(\w[\w.-]{0,38}\w)", re.UNICODE)


def _audience(room: Room):
    """A query of the ids of everyone who may see the room."""
    members = select(Membership.user_id).join(Organisation)
    if room.scope == RoomScope.ORGANISATION:
        return members.where(Membership.organisation_id == room.organisation_id)
    if room.scope == RoomScope.CAMPAIGN:
        return members.where(Membership.organisation_id.in_(participant_org_ids(room.campaign)))
    admins = select(User.id).where(User.is_admin, User.suspended_at.is_(None))
    return members.where(Organisation.status == OrgStatus.APPROVED).union(admins)


def _record_mentions(room: Room, message: Message) -> None:
    """Link the people named as @**Full Name** or @Firstname who can see the room."""
    full, first = set(), set()
    for match in MENTION.finditer(message.body):
        if match.group(1):
            full.add(match.group(1).strip().lower())
        else:
            first.add(match.group(2).lower())
    if not full and not first:
        return
    candidates = db.session.execute(
        select(User.id, User.display_name).where(User.id.in_(_audience(room)))
    ).all()
    by_first: dict[str, list[int]] = {}
    for user_id, name in candidates:
        by_first.setdefault(name.split()[0].lower() if name.split() else "", []).append(user_id)
    named = {user_id for user_id, name in candidates if name.lower() in full}
    for word in first:
        if len(by_first.get(word, [])) == 1:  # only an unambiguous first name counts
            named.update(by_first[word])
    named.discard(message.author_id)
    db.session.add_all(Mention(message_id=message.id, user_id=user_id) for user_id in named)


def edit_message(actor: User, message: Message, body: Any) -> Message:
    """Change a message's text; the earlier text is kept for moderators."""
    text = _clean_body(body)
    if text == message.body:
        return message
    db.session.add(MessageRevision(message_id=message.id, body=message.body))
    message.body = text
    message.edited_at = utcnow()
    db.session.execute(delete(Mention).where(Mention.message_id == message.id))
    _record_mentions(message.room, message)
    db.session.commit()
    socketio.emit("message_updated", serialise(message), to=stream(message.room_id))
    return message


def delete_message(actor: User, message: Message) -> Message:
    """Replace a message by a tombstone; moderators' deletions go to the audit log."""
    db.session.add(MessageRevision(message_id=message.id, body=message.body))
    message.body = ""
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
    db.session.commit()
    socketio.emit("message_updated", serialise(message), to=stream(message.room_id))
    return message


def revisions(message: Message) -> list[MessageRevision]:
    return list(
        db.session.scalars(
            select(MessageRevision)
            .where(MessageRevision.message_id == message.id)
            .order_by(MessageRevision.created_at, MessageRevision.id)
        )
    )


def mark_read(user: User, room: Room, seq: Any) -> int:
    """Move the person's read marker forward (never back); return where it stands."""
    if not isinstance(seq, int) or isinstance(seq, bool) or seq < 0:
        raise RoomError("bad_seq", _("Something in the request was not right"))
    seq = min(seq, room.last_seq)
    marker = db.session.get(ReadMarker, (user.id, room.id))
    if marker is None:
        marker = ReadMarker(user_id=user.id, room_id=room.id, last_read_seq=0)
        db.session.add(marker)
    if seq > marker.last_read_seq:
        marker.last_read_seq = seq
    db.session.commit()
    return marker.last_read_seq


def create_room(
    actor: User,
    scope: RoomScope,
    name: str,
    description: str = "",
    org: Organisation | None = None,
    campaign: Campaign | None = None,
) -> Room:
    room = Room(
        name=name.strip(),
        description=description.strip(),
        scope=scope,
        organisation_id=org.id if org else None,
        campaign_id=campaign.id if campaign else None,
        created_by_id=actor.id,
    )
    db.session.add(room)
    db.session.flush()
    audit.record(actor, "room.create", org=room.owner_organisation or org, room=room.name)
    db.session.commit()
    return room


def archive_room(actor: User, room: Room) -> None:
    """Make a room read-only."""
    if room.is_archived:
        return
    room.archived_at = utcnow()
    audit.record(actor, "room.archive", org=room.owner_organisation, room=room.name)
    db.session.commit()
    socketio.emit("room_archived", {"room_id": room.id}, to=stream(room))


def report_message(reporter: User, message: Message, reason: str) -> MessageReport:
    """Put a message in the moderation queue of its room (once per person)."""
    existing = db.session.scalar(
        select(MessageReport).where(
            MessageReport.message_id == message.id,
            MessageReport.reporter_id == reporter.id,
            MessageReport.resolved_at.is_(None),
        )
    )
    if existing:
        return existing
    report = MessageReport(message_id=message.id, reporter_id=reporter.id, reason=reason[:500])
    db.session.add(report)
    db.session.commit()
    return report


def open_reports(room: Room) -> list[MessageReport]:
    return list(
        db.session.scalars(
            select(MessageReport)
            .join(Message)
            .options(selectinload(MessageReport.message).selectinload(Message.author))
            .options(selectinload(MessageReport.reporter))
            .where(Message.room_id == room.id, MessageReport.resolved_at.is_(None))
            .order_by(MessageReport.created_at)
        )
    )


def resolve_report(actor: User, report: MessageReport) -> None:
    if report.resolved_at:
        return
    report.resolved_at = utcnow()
    report.resolved_by_id = actor.id
    room = report.message.room
    audit.record(actor, "report.resolve", org=room.owner_organisation, room=room.name)
    db.session.commit()


def mute(actor: User, room: Room, user: User) -> None:
    """Silence a person in a room and take them off its live stream at once."""
    if db.session.get(RoomMute, (room.id, user.id)):
        return
    db.session.add(RoomMute(room_id=room.id, user_id=user.id, muted_by_id=actor.id))
    audit.record(actor, "member.mute", org=room.owner_organisation, target=user, room=room.name)
    db.session.commit()
    sids = db.session.scalars(select(LiveSocket.sid).where(LiveSocket.user_id == user.id)).all()
    for sid in sids:
        socketio.server.leave_room(sid, stream(room), namespace="/")
    db.session.execute(
        delete(RoomPresence).where(RoomPresence.room_id == room.id, RoomPresence.user_id == user.id)
    )
    db.session.commit()
    socketio.emit("presence", {"room_id": room.id, "names": present_names(room)}, to=stream(room))
    socketio.emit("muted", {"room_id": room.id}, to=f"user:{user.id}")


def unmute(actor: User, room: Room, user: User) -> None:
    found = db.session.get(RoomMute, (room.id, user.id))
    if found is None:
        return
    db.session.delete(found)
    audit.record(actor, "member.unmute", org=room.owner_organisation, target=user, room=room.name)
    db.session.commit()


def muted_people(room: Room) -> list[RoomMute]:
    return list(
        db.session.scalars(
            select(RoomMute).options(selectinload(RoomMute.user)).where(RoomMute.room_id == room.id)
        )
    )
