"""Discussion rooms: who reads, writes and moderates each room and its messages."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from app.extensions import db
from app.models import (
    Campaign,
    Message,
    MessageReport,
    Organisation,
    Room,
    RoomMute,
    RoomScope,
    User,
)
from app.permissions.accounts import is_admin, signed_in
from app.permissions.audience import Audience, follow, grant
from app.permissions.campaigns import CAMPAIGN_EDITORS, can_edit_campaign
from app.permissions.orgs import is_coordinator
from app.permissions.principals import holders, remembered

# Movement rooms: every member of an approved organisation, and admins. Organisation rooms:
# that organisation's members. Campaign rooms: members of the organisations taking part.
ROOM = Audience(
    Room,
    grant("member", "admin", scope=RoomScope.MOVEMENT),
    grant("org:{organisation_id}", scope=RoomScope.ORGANISATION),
    grant("campaign:{campaign_id}", scope=RoomScope.CAMPAIGN),
)
# Admins moderate movement rooms; an organisation's coordinators its rooms; the lead
# organisation's coordinators a campaign's rooms.
ROOM_MODERATORS = Audience(
    Room,
    grant("admin", scope=RoomScope.MOVEMENT),
    grant("org:{organisation_id}:coordinator", scope=RoomScope.ORGANISATION),
    follow("campaign", CAMPAIGN_EDITORS, scope=RoomScope.CAMPAIGN),
)
# A message carries its room's audience: leaving an organisation hides its rooms' messages
# at once, in lists and search alike, without touching the messages.
MESSAGE = Audience(Message, follow("room", ROOM))


def can_view_room(user: Any, room: Room) -> bool:
    """Read a room and follow it live."""
    return ROOM.allows(user, room)


def is_muted(user: Any, room: Room) -> bool:
    """A moderator has silenced this person in this room."""
    return signed_in(user) and db.session.get(RoomMute, (room.id, user.id)) is not None


def can_post(user: Any, room: Room) -> bool:
    """Write in a room one can see, unless it is archived or one is muted there."""
    return can_view_room(user, room) and not room.is_archived and not is_muted(user, room)


def can_moderate_room(user: Any, room: Room) -> bool:
    """Delete others' messages, read earlier versions, mute, archive, handle reports."""
    return can_view_room(user, room) and ROOM_MODERATORS.allows(user, room)


def can_mute(user: Any, room: Room, person: User) -> bool:
    """Moderators mute people of the room, never themselves."""
    return can_moderate_room(user, room) and person.id != user.id


def can_create_room(
    user: Any, scope: RoomScope, org: Organisation | None = None, campaign: Campaign | None = None
) -> bool:
    """Admins open movement rooms; coordinators open rooms for their organisation.

    The lead organisation's coordinators open a campaign's room.
    """
    if scope == RoomScope.MOVEMENT:
        return is_admin(user)
    if scope == RoomScope.ORGANISATION and org is not None:
        return is_coordinator(user, org)
    if scope == RoomScope.CAMPAIGN and campaign is not None:
        return can_edit_campaign(user, campaign)
    return False


@dataclass(frozen=True)
class RoomRights:
    """What one person may do in one room, worked out once (a page shows many messages)."""

    user_id: int | None
    view: bool
    post: bool
    moderate: bool

    def edit(self, message: Message) -> bool:
        """Authors edit their own messages while they may still post in the room."""
        return self.post and message.author_id == self.user_id and not message.is_deleted

    def delete(self, message: Message) -> bool:
        """Authors delete their own messages; moderators delete any in their rooms."""
        if message.is_deleted or not self.view:
            return False
        return self.moderate or message.author_id == self.user_id

    def report(self, message: Message) -> bool:
        """Anyone who can see a message, other than its author, may report it."""
        return self.view and not message.is_deleted and message.author_id != self.user_id


def room_rights(user: Any, room: Room) -> RoomRights:
    """Everything one person may do in one room."""
    view = can_view_room(user, room)
    return RoomRights(
        user_id=user.id if signed_in(user) else None,
        view=view,
        post=view and can_post(user, room),
        moderate=view and can_moderate_room(user, room),
    )


def can_edit_message(user: Any, message: Message) -> bool:
    """Change the text of a message."""
    return room_rights(user, message.room).edit(message)


def can_delete_message(user: Any, message: Message) -> bool:
    """Replace a message by a tombstone."""
    return room_rights(user, message.room).delete(message)


def can_report_message(user: Any, message: Message) -> bool:
    """Send a message to the room's moderation queue."""
    return room_rights(user, message.room).report(message)


# --- reports: never to the person reported ------------------------------------------------------


def report_reviewers(room: Room, author_id: int | None) -> set[int]:
    """Who handles a report of a message by ``author_id``: never its author.

    The room's other moderators (another coordinator of the organisation, another admin);
    when the author is the room's only moderator, the platform administrators.
    """
    memo, key = remembered("report_reviewers"), (room.id, author_id)
    if memo is not None and key in memo:
        return memo[key]  # a list of reports asks once per room and author, not per report
    others = set(db.session.scalars(ROOM_MODERATORS.holders(room))) - {author_id}
    found = others or set(db.session.scalars(holders({"admin"}))) - {author_id}
    if memo is not None:
        memo[key] = found
    return found


def can_review_report(user: Any, report: MessageReport) -> bool:
    """See and close a report: one of its reviewers (``report_reviewers``)."""
    message = report.message
    if not signed_in(user) or message.author_id == user.id:
        return False
    if can_moderate_room(user, message.room):
        return True  # a moderator other than the author is always among the reviewers
    return is_admin(user) and user.id in report_reviewers(message.room, message.author_id)
