"""Campaign and event state changes, shared by the pages, the importer and the demo."""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from flask_babel import gettext as _
from sqlalchemy import or_, select

from app.auth.services import token_digest
from app.campaigns.recurrence import Occurrence, occurrences
from app.extensions import db
from app.models import (
    CalendarToken,
    Campaign,
    CampaignParticipant,
    CampaignStatus,
    Event,
    EventOverride,
    Membership,
    Organisation,
    ParticipationStatus,
    Rsvp,
    RsvpResponse,
    User,
    Visibility,
    utcnow,
)
from app.orgs.services import slugify
from app.permissions import can_view_event


class CalendarError(ValueError):
    """A change that cannot be made; the message is shown to the person."""


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


def to_utc(wall: datetime, zone: str) -> datetime:
    """A wall time in a zone as an aware UTC instant; refuse a time the clocks skip."""
    instant = wall.replace(tzinfo=ZoneInfo(zone)).astimezone(UTC)
    if instant.astimezone(ZoneInfo(zone)).replace(tzinfo=None) != wall.replace(tzinfo=None):
        raise CalendarError(
            _("This time does not exist that day: the clocks change. Please choose another time.")
        )
    return instant


def _apply(event: Event, draft: EventDraft) -> None:
    starts, ends = (
        to_utc(draft.starts_local, draft.timezone),
        to_utc(draft.ends_local, draft.timezone),
    )
    if ends <= starts and not draft.all_day:
        raise CalendarError(_("The end must be after the start."))
    # Column limits (forms check them too; imported files may not).
    event.title = draft.title.strip()[:150]
    event.description = draft.description
    event.timezone = draft.timezone
    event.all_day = draft.all_day
    event.starts_at = starts
    event.ends_at = ends if ends > starts else starts + timedelta(days=1)
    event.rrule = draft.rrule
    event.exdates = [to_utc(d, draft.timezone).isoformat() for d in draft.exdates_local]
    event.location = draft.location.strip()[:300]
    event.latitude, event.longitude = draft.latitude, draft.longitude
    online = draft.online_url.strip()
    event.online_url = online[:500] if online.lower().startswith(("https://", "http://")) else ""
    event.capacity = draft.capacity
    event.visibility = draft.visibility


def create_event(
    actor: User,
    org: Organisation,
    draft: EventDraft,
    campaign: Campaign | None = None,
    uid: str | None = None,
) -> Event:
    event = Event(
        uid=uid or f"{uuid.uuid4()}@caravana",
        organisation_id=org.id,
        campaign_id=campaign.id if campaign else None,
        created_by_id=actor.id,
    )
    _apply(event, draft)
    db.session.add(event)
    db.session.commit()
    return event


def update_event(actor: User, event: Event, draft: EventDraft) -> Event:
    """Change the whole series; calendars see a higher SEQUENCE and update their copy."""
    _apply(event, draft)
    event.sequence += 1
    event.updated_at = utcnow()
    db.session.commit()
    return event


def cancel_event(actor: User, event: Event) -> None:
    event.cancelled_at = utcnow()
    event.sequence += 1
    event.updated_at = utcnow()
    db.session.commit()


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
        raise CalendarError(_("This event does not repeat."))
    duration = event.ends_at - event.starts_at
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
    db.session.commit()
    return override


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
    if ends_on < starts_on:
        raise CalendarError(_("The end must be after the start."))
    base = slugify(title)
    slug, n = base, 2
    while db.session.scalar(select(Campaign.id).where(Campaign.slug == slug)):
        slug, n = f"{base}-{n}", n + 1
    campaign = Campaign(
        slug=slug,
        title=title.strip(),
        description=description,
        goal=goal,
        starts_on=starts_on,
        ends_on=ends_on,
        visibility=visibility,
        status=status,
        lead_organisation_id=lead.id,
        created_by_id=actor.id,
    )
    db.session.add(campaign)
    db.session.commit()
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
        raise CalendarError(_("The end must be after the start."))
    campaign.title, campaign.description, campaign.goal = title.strip(), description, goal
    campaign.starts_on, campaign.ends_on = starts_on, ends_on
    campaign.visibility, campaign.status = visibility, status
    db.session.commit()
    return campaign


def invite_organisation(actor: User, campaign: Campaign, org: Organisation) -> CampaignParticipant:
    existing = next((p for p in campaign.participants if p.organisation_id == org.id), None)
    if existing is not None or org.id == campaign.lead_organisation_id:
        return existing  # type: ignore[return-value]
    participant = CampaignParticipant(
        campaign=campaign, organisation_id=org.id, invited_by_id=actor.id
    )
    db.session.add(participant)
    db.session.commit()
    return participant


def answer_participation(actor: User, participant: CampaignParticipant, accept: bool) -> None:
    participant.status = ParticipationStatus.ACCEPTED if accept else ParticipationStatus.DECLINED
    participant.decided_at = utcnow()
    db.session.commit()


# --- reading ----------------------------------------------------------------------------------


def events_in(
    window_start: datetime,
    window_end: datetime,
    viewer,
    campaign: Campaign | None = None,
    org: Organisation | None = None,
    user_scope: User | None = None,
) -> list[Occurrence]:
    """Occurrences the viewer may see in a window, for one campaign, one organisation,
    a person's own calendar (their organisations, campaigns and RSVPs) or the movement."""
    query = select(Event).where(
        Event.starts_at < window_end, or_(Event.rrule != "", Event.ends_at > window_start)
    )
    if campaign is not None:
        query = query.where(Event.campaign_id == campaign.id)
    if org is not None:
        query = query.where(Event.organisation_id == org.id)
    if user_scope is not None:
        query = query.where(personal_condition(user_scope))
    found: list[Occurrence] = []
    for event in db.session.scalars(query):
        if can_view_event(viewer, event):
            found.extend(occurrences(event, window_start, window_end))
    return sorted(found, key=lambda o: o.starts_at)


def campaigns_of(org_ids):
    """A query of the campaigns these organisations lead or accepted to take part in."""
    joined = select(CampaignParticipant.campaign_id).where(
        CampaignParticipant.organisation_id.in_(org_ids),
        CampaignParticipant.status == ParticipationStatus.ACCEPTED,
    )
    return joined.union(select(Campaign.id).where(Campaign.lead_organisation_id.in_(org_ids)))


def personal_condition(user: User):
    """Events of a person's own calendar: their organisations', their organisations'
    campaigns', and those they said they go to (or may)."""
    org_ids = select(Membership.organisation_id).where(Membership.user_id == user.id)
    answered = select(Rsvp.event_id).where(
        Rsvp.user_id == user.id, Rsvp.response != RsvpResponse.NOT_GOING
    )
    return or_(
        Event.organisation_id.in_(org_ids),
        Event.campaign_id.in_(campaigns_of(org_ids)),
        Event.id.in_(answered),
    )


def personal_events(user: User) -> list[Event]:
    """Whole events (series) of a person's own calendar that they may see, for their feed."""
    query = select(Event).where(personal_condition(user)).order_by(Event.starts_at)
    return [e for e in db.session.scalars(query) if can_view_event(user, e)]


def visible_events(viewer, **scope) -> list[Event]:
    """Whole events (series) the viewer may see, for feeds."""
    query = select(Event)
    if "campaign" in scope:
        query = query.where(Event.campaign_id == scope["campaign"].id)
    if "org" in scope:
        query = query.where(Event.organisation_id == scope["org"].id)
    return [
        e for e in db.session.scalars(query.order_by(Event.starts_at)) if can_view_event(viewer, e)
    ]


# --- RSVP and personal feeds ------------------------------------------------------------------


def rsvp(user: User, event: Event, response: RsvpResponse) -> Rsvp:
    """Answer going / maybe / not going; 'going' is refused when the event is full."""
    answer = db.session.get(Rsvp, (event.id, user.id))
    if (
        response == RsvpResponse.GOING
        and event.capacity is not None
        and (answer is None or answer.response != RsvpResponse.GOING)
        and rsvp_counts(event)[RsvpResponse.GOING] >= event.capacity
    ):
        raise CalendarError(_("This event is full."))
    if answer is None:
        answer = Rsvp(event_id=event.id, user_id=user.id, response=response)
        db.session.add(answer)
    answer.response = response
    db.session.commit()
    return answer


def rsvp_counts(event: Event) -> dict[RsvpResponse, int]:
    counts = dict.fromkeys(RsvpResponse, 0)
    for response in db.session.scalars(select(Rsvp.response).where(Rsvp.event_id == event.id)):
        counts[response] += 1
    return counts


def create_feed_token(user: User) -> str:
    """A new secret personal feed address; earlier ones stop working."""
    revoke_feed_tokens(user, commit=False)
    token = secrets.token_urlsafe(24)
    db.session.add(CalendarToken(user_id=user.id, token_hash=token_digest(token)))
    db.session.commit()
    return token


def revoke_feed_tokens(user: User, commit: bool = True) -> None:
    for found in db.session.scalars(
        select(CalendarToken).where(
            CalendarToken.user_id == user.id, CalendarToken.revoked_at.is_(None)
        )
    ):
        found.revoked_at = utcnow()
    if commit:
        db.session.commit()


def user_for_feed_token(token: str) -> User | None:
    found = db.session.scalar(
        select(CalendarToken).where(
            CalendarToken.token_hash == token_digest(token), CalendarToken.revoked_at.is_(None)
        )
    )
    if found is None or not found.user.is_active:
        return None
    return found.user
