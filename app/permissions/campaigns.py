"""Campaigns and events: who sees them, edits them, answers invitations and RSVPs."""

from __future__ import annotations

from typing import Any

from app.models import (
    Campaign,
    CampaignParticipant,
    Event,
    Organisation,
    ParticipationStatus,
    Visibility,
)
from app.permissions.accounts import signed_in
from app.permissions.audience import SET, Audience, follow, grant
from app.permissions.orgs import is_coordinator

# Public campaigns for all; movement ones for members and admins; every campaign for the
# organisations taking part, and for the coordinators of an invited organisation, who must
# see it to answer.
CAMPAIGN = Audience(
    Campaign,
    grant("public", visibility=Visibility.PUBLIC),
    grant("member", "admin", visibility=Visibility.MOVEMENT),
    grant("campaign:{id}", "campaign:{id}:invited"),
)
# The lead organisation's coordinators edit the campaign, invite organisations, import.
CAMPAIGN_EDITORS = Audience(Campaign, grant("org:{lead_organisation_id}:coordinator"))
# The invited organisation's coordinators accept or decline.
PARTICIPATION_DECIDERS = Audience(CampaignParticipant, grant("org:{organisation_id}:coordinator"))

# A campaign's events follow the campaign; others follow their own visibility, where
# "participants" means the organising organisation's members.
EVENT = Audience(
    Event,
    follow("campaign", CAMPAIGN, campaign_id=SET),
    grant("public", campaign_id=None, visibility=Visibility.PUBLIC),
    grant("member", "admin", campaign_id=None, visibility=Visibility.MOVEMENT),
    grant("org:{organisation_id}", campaign_id=None, visibility=Visibility.PARTICIPANTS),
)
# The organising organisation's coordinators change or cancel the event.
EVENT_EDITORS = Audience(Event, grant("org:{organisation_id}:coordinator"))
# Counts are public; who answered is for members of the organisations involved.
RSVP_NAMES = Audience(Event, grant("org:{organisation_id}", "campaign:{campaign_id}"))


def participant_org_ids(campaign: Campaign) -> set[int]:
    """Organisations taking part (the lead and those that accepted)."""
    accepted = {
        p.organisation_id for p in campaign.participants if p.status == ParticipationStatus.ACCEPTED
    }
    return accepted | {campaign.lead_organisation_id}


def can_view_campaign(user: Any, campaign: Campaign) -> bool:
    """See the campaign's page, calendar and feed."""
    return CAMPAIGN.allows(user, campaign)


def can_create_campaign(user: Any, org: Organisation) -> bool:
    """Coordinators start campaigns led by their organisation."""
    return is_coordinator(user, org)


def can_edit_campaign(user: Any, campaign: Campaign) -> bool:
    """Edit the campaign, invite or remove organisations."""
    return CAMPAIGN_EDITORS.allows(user, campaign)


def can_remove_participant(user: Any, participant: CampaignParticipant) -> bool:
    """The lead's coordinators take an invited or taking-part organisation off a campaign."""
    return can_edit_campaign(user, participant.campaign)


def can_answer_participation(user: Any, participant: CampaignParticipant) -> bool:
    """Accept or decline an invitation (or withdraw later) for one's organisation."""
    return PARTICIPATION_DECIDERS.allows(user, participant)


def can_import_events(user: Any, campaign: Campaign) -> bool:
    """Import an .ics file of events into the campaign."""
    return can_edit_campaign(user, campaign)


def can_view_event(user: Any, event: Event) -> bool:
    """See the event's page and download it."""
    return EVENT.allows(user, event)


def can_create_event(user: Any, org: Organisation, campaign: Campaign | None = None) -> bool:
    """Coordinators add events for their organisation, in campaigns it takes part in."""
    if not is_coordinator(user, org):
        return False
    return campaign is None or org.id in participant_org_ids(campaign)


def can_edit_event(user: Any, event: Event) -> bool:
    """Change or cancel the event, or one of its dates."""
    return EVENT_EDITORS.allows(user, event)


def can_rsvp(user: Any, event: Event) -> bool:
    """Say whether one goes to an event one can see that is not cancelled."""
    return signed_in(user) and can_view_event(user, event) and not event.is_cancelled


def can_see_rsvp_names(user: Any, event: Event) -> bool:
    """See who answered an event, not only how many."""
    return RSVP_NAMES.allows(user, event)
