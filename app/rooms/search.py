"""Room messages in search: each carries its room's audience, so leaving hides them at once."""

from __future__ import annotations

from flask import url_for
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.models import Message, Organisation, Room
from app.permissions import MESSAGE, can_view_room
from app.search.base import Entry
from app.search.registry import Follow, Searchable, first_language, register


def entry(message: Message) -> Entry | None:
    """A message as the index stores it; a deleted one is not in the index."""
    if message.is_deleted:
        return None
    room = message.room
    org = room.organisation or (room.campaign.lead_organisation if room.campaign else None)
    return Entry(
        kind="message",
        id=message.id,
        title=room.name,
        body=message.body,
        language=first_language(org.language_codes if org else (), message.body),
        tokens=MESSAGE.tokens(message),
        date=message.created_at,
        organisation_id=org.id if org else None,
        organisation=org.name if org else "",
    )


def url(message: Message) -> str:
    """The room's page that ends with this message, scrolled to it."""
    return url_for(
        "rooms.show", room_id=message.room_id, before=message.seq + 1, _anchor=f"m-{message.seq}"
    )


register(
    Searchable(
        kind="message",
        model=Message,
        entry=entry,
        url=url,
        label=lambda: str(_l("Messages")),
        options=(
            selectinload(Message.room)
            .selectinload(Room.organisation)
            .selectinload(Organisation.languages),
            selectinload(Message.room).selectinload(Room.campaign),
        ),
        allows=lambda user, message: can_view_room(user, message.room) and not message.is_deleted,
        # Who may read a room's messages, and the room's name on each hit, move with the room.
        follows=(
            Follow(
                Room,
                ("scope", "organisation_id", "campaign_id", "name"),
                lambda room: select(Message.id).where(
                    Message.room_id == room.id, Message.deleted_at.is_(None)
                ),
            ),
        ),
    )
)
