"""Read-only queries of the rooms pages and socket events (lists filtered by the policy in SQL)."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from sqlalchemy import Select, and_, func, or_, select
from sqlalchemy.orm import selectinload

from app.extensions import db
from app.models import (
    Campaign,
    LiveSocket,
    Mention,
    Message,
    MessageReport,
    MessageRevision,
    ReadMarker,
    Room,
    RoomMute,
    RoomPresence,
    RoomScope,
    User,
)
from app.orgs.queries import coordinated_orgs
from app.permissions import (
    CAMPAIGN_EDITORS,
    MESSAGE,
    ROOM,
    ROOM_MODERATORS,
    can_create_room,
    can_review_report,
    can_view_room,
    found_or_404,
    is_admin,
)
from app.realtime import stale_before

PAGE_SIZE = 50
SYNC_LIMIT = 500


def get_room_or_404(room_id: int, user: Any) -> Room:
    """The room, if this person may read it; 404 otherwise (its existence stays hidden)."""
    return found_or_404(db.session.get(Room, room_id), can_view_room, user)


def get_reader_or_404(room: Room, user_id: int) -> User:
    """A person who may read this room (moderators act on them); 404 for anyone else."""
    person = db.session.get(User, user_id)
    return found_or_404(person, lambda _viewer, found: can_view_room(found, room))


def get_message_or_404(room: Room, message_id: int) -> Message:
    """A message of this room; ids of other rooms' messages are 404."""
    message = db.session.get(Message, message_id)
    return found_or_404(message if message and message.room_id == room.id else None)


def _with_audience(query: Select) -> Select:
    """Load what a room's name line needs (its organisation or campaign) with the rooms."""
    return query.options(
        selectinload(Room.organisation),
        selectinload(Room.campaign).selectinload(Campaign.lead_organisation),
    )


def visible_rooms(user: Any) -> list[Room]:
    """The rooms this person may read, open ones first."""
    return list(
        db.session.scalars(
            _with_audience(select(Room))
            .where(ROOM.where(user))
            .order_by(Room.archived_at.is_not(None), Room.scope, Room.name)
        )
    )


def rooms_of_campaign(user: Any, campaign: Campaign) -> list[Room]:
    """A campaign's discussion rooms this person may enter."""
    return list(
        db.session.scalars(
            select(Room)
            .where(Room.campaign_id == campaign.id, ROOM.where(user))
            .order_by(Room.archived_at.is_not(None), Room.name)
        )
    )


def place_key(room: Room) -> str:
    """A room's place as a form value: ``movement``, ``org:<id>`` or ``campaign:<id>``."""
    if room.scope == RoomScope.ORGANISATION:
        return f"org:{room.organisation_id}"
    if room.scope == RoomScope.CAMPAIGN:
        return f"campaign:{room.campaign_id}"
    return "movement"


def room_places(user: Any, room: Room) -> dict[str, tuple[str, RoomScope, Any, Any]]:
    """Where this person may put a room: its current place and every place they may open rooms.

    By form value, with (label, scope, organisation, campaign).
    """
    places: dict[str, tuple[str, RoomScope, Any, Any]] = {}
    current = (room.audience_name or _("Whole movement"), room.scope, room.organisation,
               room.campaign)  # fmt: skip
    places[place_key(room)] = current
    if can_create_room(user, RoomScope.MOVEMENT):
        places["movement"] = (_("Whole movement"), RoomScope.MOVEMENT, None, None)
    for org in coordinated_orgs(user):
        places[f"org:{org.id}"] = (org.name, RoomScope.ORGANISATION, org, None)
    for campaign in db.session.scalars(
        select(Campaign).where(CAMPAIGN_EDITORS.where(user)).order_by(Campaign.title)
    ):
        places[f"campaign:{campaign.id}"] = (campaign.title, RoomScope.CAMPAIGN, None, campaign)
    return places


def _messages(room: Room) -> Select:
    return select(Message).options(selectinload(Message.author)).where(Message.room_id == room.id)


def latest_messages(room: Room, limit: int = PAGE_SIZE) -> list[Message]:
    """The newest messages, oldest first."""
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


def sent_message(room: Room, author: User, client_id: Any) -> Message | None:
    """The message this author already sent with this client id, if any."""
    if not isinstance(client_id, str):
        return None
    return db.session.scalar(
        select(Message).where(
            Message.room_id == room.id,
            Message.author_id == author.id,
            Message.client_id == client_id,
        )
    )


def read_marker(user: User, room: Room) -> int:
    """The last sequence number this person has read in this room."""
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
    return dict(rows)


def mentions_of(user: User, limit: int = 100) -> list[Message]:
    """Messages that name this person, newest first, in rooms they can still read."""
    return list(
        db.session.scalars(
            select(Message)
            .join(Mention, Mention.message_id == Message.id)
            .options(selectinload(Message.author), selectinload(Message.room))
            .where(Mention.user_id == user.id, MESSAGE.where(user), Message.deleted_at.is_(None))
            .order_by(Message.created_at.desc())
            .limit(limit)
        )
    )


def mentioning(user: Any, messages: list[Message]) -> set[int]:
    """The ids of these messages that name this person (one query; the page marks them)."""
    if not messages:
        return set()
    return set(
        db.session.scalars(
            select(Mention.message_id).where(
                Mention.user_id == user.id, Mention.message_id.in_([m.id for m in messages])
            )
        )
    )


def present_names(room: Room | int) -> list[str]:
    """Display names of the people who have the room open now.

    Only on sockets their process still marks as seen: those of a process that died are
    ignored until they are swept away.
    """
    room_id = room if isinstance(room, int) else room.id
    return list(
        db.session.scalars(
            select(User.display_name)
            .join(RoomPresence, RoomPresence.user_id == User.id)
            .join(LiveSocket, LiveSocket.sid == RoomPresence.sid)
            .where(RoomPresence.room_id == room_id, LiveSocket.seen_at >= stale_before())
            .distinct()
            .order_by(User.display_name)
        )
    )


def revisions(message: Message) -> list[MessageRevision]:
    """Earlier texts of a message, oldest first."""
    return list(
        db.session.scalars(
            select(MessageRevision)
            .where(MessageRevision.message_id == message.id)
            .order_by(MessageRevision.created_at, MessageRevision.id)
        )
    )


def open_reports(room: Room, user: Any) -> list[MessageReport]:
    """Reports waiting in the room's moderation queue for this moderator, oldest first.

    Never those about their own messages: those go to another reviewer.
    """
    return [report for report in _room_reports(room) if can_review_report(user, report)]


def _room_reports(room: Room) -> list[MessageReport]:
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


def get_report_or_404(room_id: int, report_id: int, user: Any) -> MessageReport:
    """A report about a message of this room, for one of its reviewers; 404 for anyone else."""
    report = db.session.get(MessageReport, report_id)
    found = report if report and report.message.room_id == room_id else None
    return found_or_404(found, can_review_report, user)


def _open_reports_of_others(user: Any) -> Select:
    """Open reports on others' messages: a report never reaches the person reported."""
    return (
        select(MessageReport)
        .join(Message, Message.id == MessageReport.message_id)
        .join(Room, Room.id == Message.room_id)
        .where(
            MessageReport.resolved_at.is_(None),
            or_(Message.author_id.is_(None), Message.author_id != user.id),
        )
    )


def waiting_reports(user: Any, room: Room | None = None) -> int:
    """How many reports wait for this moderator, in one room or in all (one count).

    An administrator's total also counts the reports sent on to the administrators.
    """
    if room is None and is_admin(user):
        return len(reports_for(user))
    query = _open_reports_of_others(user).where(ROOM_MODERATORS.where(user), ROOM.where(user))
    if room is not None:
        query = query.where(Room.id == room.id)
    return db.session.scalar(select(func.count()).select_from(query.subquery())) or 0


def reports_for(user: Any) -> list[MessageReport]:
    """Every open report this person reviews, in all rooms (``can_review_report``).

    Administrators also get those about a room's only moderator, even in rooms they do not read.
    """
    query = _open_reports_of_others(user)
    if not is_admin(user):
        query = query.where(ROOM_MODERATORS.where(user), ROOM.where(user))
    rows = db.session.scalars(
        query.options(
            selectinload(MessageReport.message).selectinload(Message.author),
            selectinload(MessageReport.message).selectinload(Message.room),
            selectinload(MessageReport.reporter),
        ).order_by(MessageReport.created_at)
    )
    return [report for report in rows if can_review_report(user, report)]


def muted_people(room: Room) -> list[RoomMute]:
    """Who is muted in the room."""
    return list(
        db.session.scalars(
            select(RoomMute).options(selectinload(RoomMute.user)).where(RoomMute.room_id == room.id)
        )
    )
