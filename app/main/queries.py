"""What the signed-in home page shows a person: their next dates, unread rooms, mentions.

Only reads through the feature queries, so the one permission policy decides what is listed.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select

from app.campaigns.queries import events_in
from app.campaigns.recurrence import Occurrences
from app.extensions import db
from app.models import Message, Room, utcnow
from app.permissions import ROOM
from app.rooms.queries import mentions_of, unread_counts

# Far enough to reach a monthly meeting, near enough to stay "what is next".
UPCOMING_WINDOW = timedelta(days=42)
UPCOMING_DATES = 5
RECENT_MENTIONS = 3


def next_dates(user: Any, now: datetime | None = None) -> Occurrences:
    """The next few dates of this person's own calendar (organisations, campaigns, answers)."""
    start = now or utcnow()
    return events_in(start, start + UPCOMING_WINDOW, user, limit=UPCOMING_DATES, mine=user)


def unread_rooms(user: Any) -> list[tuple[Room, int]]:
    """Open rooms this person may read that have messages they have not read, with counts."""
    # Only names are shown: the rooms list's own query would also load their organisations.
    rooms = list(
        db.session.scalars(
            select(Room).where(ROOM.where(user), Room.archived_at.is_(None)).order_by(Room.name)
        )
    )
    counts = unread_counts(user, rooms)
    return [(room, counts[room.id]) for room in rooms if counts.get(room.id)]


def recent_mentions(user: Any) -> list[Message]:
    """The latest messages that name this person, newest first."""
    return mentions_of(user, limit=RECENT_MENTIONS)
