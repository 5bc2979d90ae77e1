"""Campaigns and events in search, each seen by its own audience (events follow their campaign)."""

from __future__ import annotations

from flask import url_for
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.models import Campaign, Event, Organisation
from app.permissions import CAMPAIGN, EVENT, can_view_campaign, can_view_event
from app.search.base import Entry
from app.search.registry import Follow, Searchable, first_language, register


def campaign_entry(campaign: Campaign) -> Entry:
    """A campaign as the index stores it."""
    lead = campaign.lead_organisation
    return Entry(
        kind="campaign",
        id=campaign.id,
        title=campaign.title,
        body="\n\n".join(filter(None, [campaign.goal, campaign.description])),
        language=first_language(lead.language_codes, f"{campaign.title} {campaign.description}"),
        tokens=CAMPAIGN.tokens(campaign),
        date=campaign.created_at,
        organisation_id=lead.id,
        organisation=lead.name,
    )


def event_entry(event: Event) -> Entry:
    """An event as the index stores it (dated by its first start)."""
    org = event.organisation
    return Entry(
        kind="event",
        id=event.id,
        title=event.title,
        body="\n\n".join(filter(None, [event.location, event.description])),
        language=first_language(org.language_codes, f"{event.title} {event.description}"),
        tokens=EVENT.tokens(event),
        date=event.starts_at,
        organisation_id=org.id,
        organisation=org.name,
    )


register(
    Searchable(
        kind="campaign",
        model=Campaign,
        entry=campaign_entry,
        url=lambda campaign: url_for("campaigns.campaign", slug=campaign.slug),
        label=lambda: str(_l("Campaigns")),
        options=(selectinload(Campaign.lead_organisation).selectinload(Organisation.languages),),
        allows=can_view_campaign,
    )
)
register(
    Searchable(
        kind="event",
        model=Event,
        entry=event_entry,
        url=lambda event: url_for("campaigns.event", event_id=event.id),
        label=lambda: str(_l("Events")),
        options=(
            selectinload(Event.organisation).selectinload(Organisation.languages),
            selectinload(Event.campaign),
        ),
        allows=can_view_event,
        # A campaign's events are seen by the campaign's audience: it moves them.
        follows=(
            Follow(
                Campaign,
                ("visibility",),
                lambda campaign: select(Event.id).where(Event.campaign_id == campaign.id),
            ),
        ),
    )
)
