"""Discussion rooms, their messages, read markers, mentions, mutes and reports."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import Base, TimestampMixin, enum_column
from app.models.campaigns import Campaign
from app.models.orgs import Organisation
from app.models.users import User


class RoomScope(StrEnum):
    """Who a room is for."""

    MOVEMENT = "movement"  # every member of an approved organisation
    ORGANISATION = "organisation"  # the members of one organisation
    CAMPAIGN = "campaign"  # members of a campaign's participating organisations


class Room(TimestampMixin, Base):
    """A place to talk, for the whole movement, one organisation or one campaign."""

    __tablename__ = "rooms"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80))
    description: Mapped[str] = mapped_column(String(500), default="")
    scope: Mapped[RoomScope] = mapped_column(enum_column(RoomScope))
    organisation_id: Mapped[int | None] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), index=True
    )
    campaign_id: Mapped[int | None] = mapped_column(
        ForeignKey("campaigns.id", ondelete="CASCADE"), index=True
    )
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    archived_at: Mapped[datetime | None]
    # The last sequence number handed out; messages are numbered 1, 2, 3... per room.
    last_seq: Mapped[int] = mapped_column(default=0)

    organisation: Mapped[Organisation | None] = relationship()
    campaign: Mapped[Campaign | None] = relationship()

    @property
    def is_archived(self) -> bool:
        """True when the room is archived: it can be read but not written in."""
        return self.archived_at is not None

    @property
    def owner_organisation(self) -> Organisation | None:
        """The organisation answerable for the room (a campaign's lead organisation)."""
        return self.campaign.lead_organisation if self.campaign else self.organisation

    @property
    def audience_name(self) -> str | None:
        """Whom the room is for: an organisation's or a campaign's name (None: the movement)."""
        if self.campaign is not None:
            return self.campaign.title
        return self.organisation.name if self.organisation else None


class Message(TimestampMixin, Base):
    """One message, numbered within its room; the sender's client id makes sending idempotent."""

    __tablename__ = "messages"
    __table_args__ = (
        UniqueConstraint("room_id", "seq"),
        UniqueConstraint("room_id", "author_id", "client_id", name="uq_messages_client"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    room_id: Mapped[int] = mapped_column(ForeignKey("rooms.id", ondelete="CASCADE"))
    seq: Mapped[int]
    author_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    client_id: Mapped[str] = mapped_column(String(64))
    body: Mapped[str] = mapped_column(Text, default="")
    body_html: Mapped[str] = mapped_column(Text, default="")  # rendered once, when written
    edited_at: Mapped[datetime | None]
    deleted_at: Mapped[datetime | None]
    deleted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    room: Mapped[Room] = relationship()
    author: Mapped[User | None] = relationship(foreign_keys=[author_id])

    @property
    def is_deleted(self) -> bool:
        """True when the message is deleted and only its tombstone remains."""
        return self.deleted_at is not None


class MessageRevision(TimestampMixin, Base):
    """An earlier text of an edited or deleted message, kept for moderators."""

    __tablename__ = "message_revisions"

    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[int] = mapped_column(
        ForeignKey("messages.id", ondelete="CASCADE"), index=True
    )
    body: Mapped[str] = mapped_column(Text)


class ReadMarker(Base):
    """How far one person has read in one room."""

    __tablename__ = "read_markers"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    room_id: Mapped[int] = mapped_column(
        ForeignKey("rooms.id", ondelete="CASCADE"), primary_key=True
    )
    last_read_seq: Mapped[int] = mapped_column(default=0)


class Mention(Base):
    """A person named with @ in a message."""

    __tablename__ = "mentions"
    __table_args__ = (Index("ix_mentions_user_message", "user_id", "message_id"),)

    message_id: Mapped[int] = mapped_column(
        ForeignKey("messages.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )

    message: Mapped[Message] = relationship()


class RoomMute(TimestampMixin, Base):
    """A person a moderator has silenced in one room."""

    __tablename__ = "room_mutes"

    room_id: Mapped[int] = mapped_column(
        ForeignKey("rooms.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    muted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    user: Mapped[User] = relationship(foreign_keys=[user_id])


class MessageReport(TimestampMixin, Base):
    """A member's report of a message, waiting in the room's moderation queue."""

    __tablename__ = "message_reports"

    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[int] = mapped_column(
        ForeignKey("messages.id", ondelete="CASCADE"), index=True
    )
    reporter_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    reason: Mapped[str] = mapped_column(String(500), default="")
    resolved_at: Mapped[datetime | None]
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    message: Mapped[Message] = relationship()
    reporter: Mapped[User | None] = relationship(foreign_keys=[reporter_id])


class RoomPresence(Base):
    """Which live connection is looking at which room now (shared by every process)."""

    __tablename__ = "room_presence"

    sid: Mapped[str] = mapped_column(String(64), primary_key=True)
    room_id: Mapped[int] = mapped_column(
        ForeignKey("rooms.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
