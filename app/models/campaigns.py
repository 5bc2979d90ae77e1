"""Campaigns, their participating organisations, events (with recurrence), RSVPs and feeds."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Float, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import Base, TimestampMixin, enum_column, utcnow
from app.models.orgs import Organisation
from app.models.users import User


class CampaignStatus(StrEnum):
    """Where a campaign stands: planned, active or closed."""

    PLANNED = "planned"
    ACTIVE = "active"
    CLOSED = "closed"


class Visibility(StrEnum):
    """Who may see a campaign and its events."""

    PUBLIC = "public"  # everyone, also in the public feed
    MOVEMENT = "movement"  # members of approved organisations
    PARTICIPANTS = "participants"  # members of the participating organisations


class ParticipationStatus(StrEnum):
    """Where an organisation stands towards a campaign: invited, taking part or declined."""

    INVITED = "invited"
    ACCEPTED = "accepted"
    DECLINED = "declined"


class RsvpResponse(StrEnum):
    """A person's answer to an event: going, maybe or not going."""

    GOING = "going"
    MAYBE = "maybe"
    NOT_GOING = "not_going"


class Campaign(TimestampMixin, Base):
    """A caravan, a day of action, a series of vigils: a goal, dates and who takes part."""

    __tablename__ = "campaigns"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    title: Mapped[str] = mapped_column(String(150))
    description: Mapped[str] = mapped_column(Text, default="")
    description_html: Mapped[str] = mapped_column(Text, default="")  # rendered once, when written
    goal: Mapped[str] = mapped_column(String(500), default="")
    starts_on: Mapped[date]
    ends_on: Mapped[date]
    status: Mapped[CampaignStatus] = mapped_column(
        enum_column(CampaignStatus), default=CampaignStatus.PLANNED
    )
    visibility: Mapped[Visibility] = mapped_column(
        enum_column(Visibility), default=Visibility.PUBLIC
    )
    lead_organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), index=True
    )
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    lead_organisation: Mapped[Organisation] = relationship()
    participants: Mapped[list[CampaignParticipant]] = relationship(
        back_populates="campaign", cascade="all, delete-orphan"
    )


class CampaignParticipant(TimestampMixin, Base):
    """An organisation invited to, or taking part in, a campaign."""

    __tablename__ = "campaign_participants"
    __table_args__ = (UniqueConstraint("campaign_id", "organisation_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"))
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), index=True
    )
    status: Mapped[ParticipationStatus] = mapped_column(
        enum_column(ParticipationStatus), default=ParticipationStatus.INVITED
    )
    invited_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    decided_at: Mapped[datetime | None]

    campaign: Mapped[Campaign] = relationship(back_populates="participants")
    organisation: Mapped[Organisation] = relationship()


class Event(TimestampMixin, Base):
    """A vigil, meeting or caravan stop: wall time in its own zone, stored as UTC plus zone.

    For a recurring event, starts_at/ends_at are the first occurrence and rrule holds the
    RFC 5545 rule; excluded dates and changed occurrences are kept beside it.
    """

    __tablename__ = "events"

    id: Mapped[int] = mapped_column(primary_key=True)
    uid: Mapped[str] = mapped_column(String(120), unique=True)  # stable iCalendar UID
    campaign_id: Mapped[int | None] = mapped_column(
        ForeignKey("campaigns.id", ondelete="CASCADE"), index=True
    )
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), index=True
    )
    title: Mapped[str] = mapped_column(String(150))
    description: Mapped[str] = mapped_column(Text, default="")
    description_html: Mapped[str] = mapped_column(Text, default="")  # rendered once, when written
    timezone: Mapped[str] = mapped_column(String(64))
    all_day: Mapped[bool] = mapped_column(default=False)
    starts_at: Mapped[datetime] = mapped_column(index=True)
    ends_at: Mapped[datetime]
    rrule: Mapped[str] = mapped_column(String(500), default="")
    # UTC end of the last date, changed dates included (recurrence.series_end); NULL while a
    # series has no end. Calendars load only the series that have not ended before them.
    last_ends_at: Mapped[datetime | None] = mapped_column(index=True)
    # Original starts (UTC ISO 8601) of occurrences left out of the series.
    exdates: Mapped[list[Any]] = mapped_column(JSON, default=list)
    location: Mapped[str] = mapped_column(String(300), default="")
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    online_url: Mapped[str] = mapped_column(String(500), default="")
    capacity: Mapped[int | None]
    # For events outside a campaign (a campaign's events follow the campaign's visibility);
    # PARTICIPANTS then means the organising organisation's members.
    visibility: Mapped[Visibility] = mapped_column(
        enum_column(Visibility), default=Visibility.PUBLIC
    )
    sequence: Mapped[int] = mapped_column(default=0)  # iCalendar SEQUENCE, raised on change
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    cancelled_at: Mapped[datetime | None]
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    campaign: Mapped[Campaign | None] = relationship()
    organisation: Mapped[Organisation] = relationship()
    overrides: Mapped[list[EventOverride]] = relationship(
        back_populates="event", cascade="all, delete-orphan", lazy="selectin"
    )

    @property
    def is_cancelled(self) -> bool:
        """True when the whole event, every occurrence of it, is cancelled."""
        return self.cancelled_at is not None


class EventOverride(Base):
    """One changed or cancelled occurrence of a recurring event (RECURRENCE-ID)."""

    __tablename__ = "event_overrides"
    __table_args__ = (UniqueConstraint("event_id", "recurrence_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"))
    recurrence_id: Mapped[datetime]  # the occurrence's original start, UTC
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    title: Mapped[str] = mapped_column(String(150), default="")
    cancelled: Mapped[bool] = mapped_column(default=False)
    sequence: Mapped[int] = mapped_column(default=0)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    event: Mapped[Event] = relationship(back_populates="overrides")


class Rsvp(TimestampMixin, Base):
    """One person's answer to an event (for the whole series)."""

    __tablename__ = "rsvps"

    event_id: Mapped[int] = mapped_column(
        ForeignKey("events.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    response: Mapped[RsvpResponse] = mapped_column(enum_column(RsvpResponse))

    user: Mapped[User] = relationship()


class CalendarToken(TimestampMixin, Base):
    """The secret in a personal calendar feed address; only its digest is stored."""

    __tablename__ = "calendar_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    revoked_at: Mapped[datetime | None]

    user: Mapped[User] = relationship()
