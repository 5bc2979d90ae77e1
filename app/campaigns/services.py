"""Campaign and event state changes, shared by the pages, the importer and the demo.

Each runs in one unit of work and writes the audit log, like the other features; a change of
who takes part in a campaign brings the open pages of the people concerned in line at once.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from flask_babel import gettext as _
from sqlalchemy import select

from app import audit
from app.campaigns.queries import rsvp_counts
from app.campaigns.recurrence import event_end
from app.db import atomic, lock_row
from app.errors import ServiceError
from app.extensions import db
from app.markup import render_markdown
from app.models import (
    CalendarToken,
    Campaign,
    CampaignParticipant,
    CampaignStatus,
    Event,
    EventOverride,
    Organisation,
    ParticipationStatus,
    Rsvp,
    RsvpResponse,
    User,
    Visibility,
    utcnow,
)
from app.permissions import holders
from app.realtime import sync_after_commit
from app.text import unique_slug, web_url
from app.tokens import new_token, token_digest


@dataclass
class EventDraft:
    """What a form (or an imported file) says about an event, in the event's own wall time."""

    title: str
    timezone: str
    starts_local: datetime  # naive wall time in `timezone`
    ends_local: datetime
    all_day: bool = False
    description: str = ""
    rrule: str = ""
    exdates_local: list[datetime] = field(default_factory=list)
    location: str = ""
    latitude: float | None = None
    longitude: float | None = None
    online_url: str = ""
    capacity: int | None = None
    visibility: Visibility = Visibility.PUBLIC


def time_exists(wall: datetime, zone: str) -> bool:
    """Whether the clocks of a zone show this wall time (not skipped when they go forward)."""
    instant = wall.replace(tzinfo=ZoneInfo(zone)).astimezone(UTC)
    return instant.astimezone(ZoneInfo(zone)).replace(tzinfo=None) == wall.replace(tzinfo=None)


def to_utc(wall: datetime, zone: str) -> datetime:
    """A wall time in a zone as an aware UTC instant; refuse a time the clocks skip."""
    if not time_exists(wall, zone):
        raise ServiceError(
            "no_such_time",
            _("This time does not exist that day: the clocks change. Please choose another time."),
        )
    return _rule_instant(wall, zone)


def _rule_instant(wall: datetime, zone: str) -> datetime:
    """A date of a series as expanding the rule gives it, even on the day the clocks skip."""
    return wall.replace(tzinfo=ZoneInfo(zone)).astimezone(UTC)


def _until_in_utc(rrule: str, zone: str, all_day: bool) -> str:
    """The rule with a date UNTIL written as a UTC time, as the pages and feeds read it.

    A date ends the series on that day: at its start for an all-day event (as importing
    does), at its last second otherwise.
    """
    parts = [part.split("=", 1) for part in rrule.split(";") if "=" in part]
    for part in parts:
        if part[0].strip().upper() == "UNTIL" and len(part[1].strip()) == 8:
            day = datetime.strptime(part[1].strip(), "%Y%m%d")
            wall = day if all_day else day.replace(hour=23, minute=59, second=59)
            part[1] = _rule_instant(wall, zone).strftime("%Y%m%dT%H%M%SZ")
    return ";".join("=".join(part) for part in parts) if parts else rrule


def _apply(event: Event, draft: EventDraft) -> None:
    starts, ends = (
        to_utc(draft.starts_local, draft.timezone),
        to_utc(draft.ends_local, draft.timezone),
    )
    if ends <= starts and not draft.all_day:
        raise ServiceError("ends_before_start", _("The end must be after the start."))
    # Column limits (forms check them too; imported files may not).
    event.title = draft.title.strip()[:150]
    event.description = draft.description
    event.description_html = str(render_markdown(draft.description))  # rendered once, here
    event.timezone = draft.timezone
    event.all_day = draft.all_day
    event.starts_at = starts
    event.ends_at = ends if ends > starts else starts + timedelta(days=1)
    event.rrule = _until_in_utc(draft.rrule, draft.timezone, draft.all_day)
    # A date left out may be the one the clocks skip: it is the rule's date that day.
    event.exdates = [_rule_instant(d, draft.timezone).isoformat() for d in draft.exdates_local]
    event.location = draft.location.strip()[:300]
    event.latitude, event.longitude = draft.latitude, draft.longitude
    event.online_url = web_url(draft.online_url)
    event.capacity = draft.capacity
    event.visibility = draft.visibility
    event.last_ends_at = event_end(event)


def create_event(
    actor: User,
    org: Organisation,
    draft: EventDraft,
    campaign: Campaign | None = None,
    uid: str | None = None,
    record: bool = True,
) -> Event:
    """Add an event organised by org (in a campaign it takes part in, or on its own).

    ``record=False`` when the caller writes one audit entry for many (an import).
    """
    with atomic():
        event = Event(
            uid=uid or f"{uuid.uuid4()}@caravana",
            organisation_id=org.id,
            campaign_id=campaign.id if campaign else None,
            created_by_id=actor.id,
        )
        _apply(event, draft)
        db.session.add(event)
        db.session.flush()
        if record:
            audit.record(actor, "event.create", org=org, event=event.id, title=event.title)
    return event


def update_event(actor: User, event: Event, draft: EventDraft) -> Event:
    """Change the whole series; calendars see a higher SEQUENCE and update their copy."""
    with atomic():
        _apply(event, draft)
        event.sequence += 1
        event.updated_at = utcnow()
        audit.record(actor, "event.edit", org=event.organisation, event=event.id)
    return event


def cancel_event(actor: User, event: Event) -> None:
    """Cancel every date of an event (calendars show it struck through)."""
    with atomic():
        event.cancelled_at = utcnow()
        event.sequence += 1
        event.updated_at = utcnow()
        audit.record(actor, "event.cancel", org=event.organisation, event=event.id)


def restore_event(actor: User, event: Event) -> None:
    """Take back a cancellation: the event's dates take place again (feeds say CONFIRMED)."""
    with atomic():
        event.cancelled_at = None
        event.sequence += 1
        event.updated_at = utcnow()
        audit.record(actor, "event.restore", org=event.organisation, event=event.id)


def change_occurrence(
    actor: User,
    event: Event,
    recurrence_id: datetime,
    starts_local: datetime | None = None,
    ends_local: datetime | None = None,
    title: str = "",
    cancelled: bool = False,
) -> EventOverride:
    """Move, rename or cancel one occurrence of a series (RECURRENCE-ID in feeds)."""
    if not event.rrule:
        raise ServiceError("not_repeating", _("This event does not repeat."))
    duration = event.ends_at - event.starts_at
    with atomic():
        override = next((o for o in event.overrides if o.recurrence_id == recurrence_id), None)
        if override is None:
            override = EventOverride(
                event=event,
                recurrence_id=recurrence_id,
                starts_at=recurrence_id,
                ends_at=recurrence_id + duration,
            )
            db.session.add(override)
        if starts_local is not None:
            override.starts_at = to_utc(starts_local, event.timezone)
            override.ends_at = (
                to_utc(ends_local, event.timezone) if ends_local else override.starts_at + duration
            )
        override.title = title.strip()
        override.cancelled = cancelled
        override.sequence = event.sequence + 1
        override.updated_at = utcnow()
        event.last_ends_at = event_end(event)  # a date moved later may end the series later
        audit.record(
            actor,
            "event.occurrence",
            org=event.organisation,
            event=event.id,
            date=recurrence_id.isoformat(),
        )
    return override


def exclude_occurrence(actor: User, event: Event, recurrence_id: datetime) -> None:
    """Leave one date out of a series (EXDATE in feeds), with any change made to it."""
    if not event.rrule:
        raise ServiceError("not_repeating", _("This event does not repeat."))
    with atomic():
        value = recurrence_id.astimezone(UTC).isoformat()
        if value not in (event.exdates or []):
            event.exdates = [*(event.exdates or []), value]  # a new list: the column sees it
        for override in [o for o in event.overrides if o.recurrence_id == recurrence_id]:
            event.overrides.remove(override)
            db.session.delete(override)
        event.sequence += 1
        event.updated_at = utcnow()
        event.last_ends_at = event_end(event)
        audit.record(
            actor,
            "event.occurrence",  # audit.py has no label of its own for leaving a date out
            org=event.organisation,
            event=event.id,
            date=recurrence_id.isoformat(),
            left_out=True,
        )


# --- campaigns --------------------------------------------------------------------------------


def create_campaign(
    actor: User,
    lead: Organisation,
    title: str,
    starts_on: date,
    ends_on: date,
    description: str = "",
    goal: str = "",
    visibility: Visibility = Visibility.PUBLIC,
    status: CampaignStatus = CampaignStatus.PLANNED,
) -> Campaign:
    """Start a campaign led by one organisation."""
    if ends_on < starts_on:
        raise ServiceError("ends_before_start", _("The end must be after the start."))
    with atomic():
        campaign = Campaign(
            slug=unique_slug(Campaign.slug, title, "campaign"),
            title=title.strip(),
            description=description,
            description_html=str(render_markdown(description)),
            goal=goal,
            starts_on=starts_on,
            ends_on=ends_on,
            visibility=visibility,
            status=status,
            lead_organisation_id=lead.id,
            created_by_id=actor.id,
        )
        db.session.add(campaign)
        audit.record(actor, "campaign.create", org=lead, campaign=campaign.slug)
    return campaign


def update_campaign(
    actor: User,
    campaign: Campaign,
    title: str,
    starts_on: date,
    ends_on: date,
    description: str,
    goal: str,
    visibility: Visibility,
    status: CampaignStatus,
) -> Campaign:
    """Change a campaign's profile, dates, status and visibility."""
    if ends_on < starts_on:
        raise ServiceError("ends_before_start", _("The end must be after the start."))
    with atomic():
        campaign.title, campaign.description, campaign.goal = title.strip(), description, goal
        campaign.description_html = str(render_markdown(description))
        campaign.starts_on, campaign.ends_on = starts_on, ends_on
        campaign.visibility, campaign.status = visibility, status
        audit.record(actor, "campaign.edit", org=campaign.lead_organisation, campaign=campaign.slug)
    return campaign


def _members_of(org_id: int):
    """A query of the members of an organisation (their access to a campaign changed)."""
    return holders([f"org:{org_id}"])


def invite_organisation(
    actor: User, campaign: Campaign, org: Organisation
) -> CampaignParticipant | None:
    """Invite an organisation to take part; its coordinators answer."""
    existing = next((p for p in campaign.participants if p.organisation_id == org.id), None)
    if existing is not None or org.id == campaign.lead_organisation_id:
        return existing
    with atomic():
        participant = CampaignParticipant(
            campaign=campaign, organisation_id=org.id, invited_by_id=actor.id
        )
        db.session.add(participant)
        audit.record(
            actor, "campaign.invite", org=campaign.lead_organisation, campaign=campaign.slug,
            invited=org.name,
        )  # fmt: skip
        sync_after_commit(_members_of(org.id))
    return participant


def answer_participation(actor: User, participant: CampaignParticipant, accept: bool) -> None:
    """Take part in a campaign, or decline (also after having taken part).

    The organisation's members gain or lose the campaign's rooms and private events at once.
    """
    with atomic():
        participant.status = (
            ParticipationStatus.ACCEPTED if accept else ParticipationStatus.DECLINED
        )
        participant.decided_at = utcnow()
        audit.record(
            actor,
            "campaign.accept" if accept else "campaign.decline",
            org=participant.organisation,
            campaign=participant.campaign.slug,
        )
        sync_after_commit(_members_of(participant.organisation_id))


def remove_participant(actor: User, participant: CampaignParticipant) -> None:
    """Take an organisation off a campaign; its members lose access at once, live too."""
    with atomic():
        campaign, org = participant.campaign, participant.organisation
        db.session.delete(participant)
        audit.record(
            actor, "campaign.remove", org=campaign.lead_organisation, campaign=campaign.slug,
            removed=org.name,
        )  # fmt: skip
        sync_after_commit(_members_of(org.id))


# --- RSVP and personal feeds ------------------------------------------------------------------


def rsvp(user: User, event: Event, response: RsvpResponse) -> Rsvp:
    """Answer going / maybe / not going; 'going' is refused when the event is full."""
    with atomic():
        if event.capacity is not None:
            lock_row(Event, event.id)  # counting and answering happen as one, one at a time
        answer = db.session.get(Rsvp, (event.id, user.id))
        if (
            response == RsvpResponse.GOING
            and event.capacity is not None
            and (answer is None or answer.response != RsvpResponse.GOING)
            and rsvp_counts(event)[RsvpResponse.GOING] >= event.capacity
        ):
            raise ServiceError("full", _("This event is full."))
        if answer is None:
            answer = Rsvp(event_id=event.id, user_id=user.id, response=response)
            db.session.add(answer)
        answer.response = response
    return answer


def create_feed_token(user: User) -> str:
    """A new secret personal feed address; earlier ones stop working."""
    token = new_token()
    with atomic():
        revoke_feed_tokens(user)
        db.session.add(CalendarToken(user_id=user.id, token_hash=token_digest(token)))
    return token


def revoke_feed_tokens(user: User) -> None:
    """Make every personal feed address of this person stop working."""
    with atomic():
        for found in db.session.scalars(
            select(CalendarToken).where(
                CalendarToken.user_id == user.id, CalendarToken.revoked_at.is_(None)
            )
        ):
            found.revoked_at = utcnow()


def user_for_feed_token(token: str) -> User | None:
    """The owner of a personal feed address, while it works and their account too."""
    found = db.session.scalar(
        select(CalendarToken).where(
            CalendarToken.token_hash == token_digest(token), CalendarToken.revoked_at.is_(None)
        )
    )
    if found is None or not found.user.is_active:
        return None
    return found.user
