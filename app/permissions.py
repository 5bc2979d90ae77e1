"""The one permission policy: every view, socket event and query asks these predicates.

Each ``can_*`` function answers one question for one person and one resource. Views call
``require(can_x(user, obj))`` (or ``require_or_404`` where existence must stay hidden); socket
handlers ask the same predicates (``connect`` asks ``can_use_account``). A later feature adds
its predicates here, beside these, never in its own views.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import abort
from flask_login import current_user

from app.extensions import db, login_manager
from app.models import (
    Campaign,
    CampaignParticipant,
    Event,
    Membership,
    Message,
    Organisation,
    OrgStatus,
    ParticipationStatus,
    Role,
    Room,
    RoomMute,
    RoomScope,
    User,
    Visibility,
)


def _signed_in(user: Any) -> bool:
    return bool(user is not None and user.is_authenticated and user.is_active)


def is_admin(user: Any) -> bool:
    """Platform administrator with an active account."""
    return _signed_in(user) and bool(user.is_admin)


def membership(user: Any, org: Organisation) -> Membership | None:
    """The user's membership of org, or None."""
    if not _signed_in(user) or org.id is None:
        return None
    return db.session.scalar(
        db.select(Membership).filter_by(user_id=user.id, organisation_id=org.id)
    )


def role_in(user: Any, org: Organisation) -> Role | None:
    """The user's role in org, or None when not a member."""
    found = membership(user, org)
    return found.role if found else None


def is_member(user: Any, org: Organisation) -> bool:
    return role_in(user, org) is not None


def is_coordinator(user: Any, org: Organisation) -> bool:
    return role_in(user, org) == Role.COORDINATOR


# --- accounts -------------------------------------------------------------------------------


def can_use_account(user: Any) -> bool:
    """Signed in with an account that is not suspended."""
    return _signed_in(user)


def can_administer(user: Any) -> bool:
    """Approve organisations, suspend accounts, read the audit log and the mail outbox."""
    return is_admin(user)


def can_suspend(actor: Any, target: User) -> bool:
    """Admins suspend other people's accounts, never their own."""
    return is_admin(actor) and actor.id != target.id


# --- organisations --------------------------------------------------------------------------


def can_view_org(user: Any, org: Organisation) -> bool:
    """Approved organisations are public; a pending one only to its requester and admins."""
    if org.status == OrgStatus.APPROVED:
        return True
    return is_admin(user) or (_signed_in(user) and org.requested_by_id == user.id)


def can_request_org(user: Any) -> bool:
    """Anyone signed in may ask for a new organisation to be listed."""
    return _signed_in(user)


def can_decide_org(user: Any, org: Organisation) -> bool:
    """Admins approve or reject organisations waiting in the queue."""
    return is_admin(user) and org.status == OrgStatus.PENDING


def can_edit_org(user: Any, org: Organisation) -> bool:
    """Coordinators edit their organisation's profile; admins may correct any."""
    return is_admin(user) or (org.is_approved and is_coordinator(user, org))


def can_view_members(user: Any, org: Organisation) -> bool:
    """Member lists are for the organisation's own members only: families may be at risk."""
    return org.is_approved and is_member(user, org)


def can_manage_members(user: Any, org: Organisation) -> bool:
    """Coordinators invite, approve requests, change roles and remove members."""
    return org.is_approved and is_coordinator(user, org)


def can_request_join(user: Any, org: Organisation) -> bool:
    """A signed-in person who is not yet a member may ask to join an approved organisation."""
    return _signed_in(user) and org.is_approved and not is_member(user, org)


def can_accept_invitation(user: Any, org: Organisation) -> bool:
    """An invitation link works for a signed-in person who is not yet a member."""
    return can_request_join(user, org)


def can_leave(user: Any, org: Organisation) -> bool:
    return is_member(user, org)


# --- rooms ------------------------------------------------------------------------------------


def is_movement_member(user: Any) -> bool:
    """A member of at least one approved organisation."""
    if not _signed_in(user):
        return False
    return (
        db.session.scalar(
            db.select(Membership.id)
            .join(Organisation)
            .where(Membership.user_id == user.id, Organisation.status == OrgStatus.APPROVED)
            .limit(1)
        )
        is not None
    )


def can_view_room(user: Any, room: Room) -> bool:
    """Movement rooms: every member of an approved organisation, and admins. Organisation
    rooms: that organisation's members. Campaign rooms: members of the organisations taking
    part (the lead and those that accepted)."""
    if not _signed_in(user):
        return False
    if room.scope == RoomScope.MOVEMENT:
        return is_admin(user) or is_movement_member(user)
    if room.scope == RoomScope.ORGANISATION and room.organisation is not None:
        return room.organisation.is_approved and is_member(user, room.organisation)
    if room.scope == RoomScope.CAMPAIGN and room.campaign is not None:
        return _member_of_any(user, participant_org_ids(room.campaign))
    return False


def is_muted(user: Any, room: Room) -> bool:
    return _signed_in(user) and db.session.get(RoomMute, (room.id, user.id)) is not None


def can_post(user: Any, room: Room) -> bool:
    """Write in a room one can see, unless it is archived or one is muted there."""
    return can_view_room(user, room) and not room.is_archived and not is_muted(user, room)


def can_create_room(
    user: Any, scope: RoomScope, org: Organisation | None = None, campaign: Campaign | None = None
) -> bool:
    """Admins open movement rooms; coordinators open rooms for their organisation, and the
    lead organisation's coordinators open a campaign's room."""
    if scope == RoomScope.MOVEMENT:
        return is_admin(user)
    if scope == RoomScope.ORGANISATION and org is not None:
        return org.is_approved and is_coordinator(user, org)
    if scope == RoomScope.CAMPAIGN and campaign is not None:
        return can_edit_campaign(user, campaign)
    return False


def can_moderate_room(user: Any, room: Room) -> bool:
    """Admins moderate movement rooms; an organisation's coordinators its rooms; the lead
    organisation's coordinators a campaign's room."""
    if room.scope == RoomScope.MOVEMENT:
        return is_admin(user)
    if room.scope == RoomScope.ORGANISATION and room.organisation is not None:
        return can_view_room(user, room) and is_coordinator(user, room.organisation)
    if room.scope == RoomScope.CAMPAIGN and room.campaign is not None:
        return can_view_room(user, room) and can_edit_campaign(user, room.campaign)
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
    view = can_view_room(user, room)
    return RoomRights(
        user_id=user.id if _signed_in(user) else None,
        view=view,
        post=view and can_post(user, room),
        moderate=view and can_moderate_room(user, room),
    )


def can_edit_message(user: Any, message: Message) -> bool:
    return room_rights(user, message.room).edit(message)


def can_delete_message(user: Any, message: Message) -> bool:
    return room_rights(user, message.room).delete(message)


def can_report_message(user: Any, message: Message) -> bool:
    return room_rights(user, message.room).report(message)


# --- campaigns and events ---------------------------------------------------------------------


def participant_org_ids(campaign: Campaign) -> set[int]:
    """Organisations taking part (the lead and those that accepted)."""
    accepted = {
        p.organisation_id for p in campaign.participants if p.status == ParticipationStatus.ACCEPTED
    }
    return accepted | {campaign.lead_organisation_id}


def _member_of_any(user: Any, org_ids: set[int]) -> bool:
    if not _signed_in(user) or not org_ids:
        return False
    return (
        db.session.scalar(
            db.select(Membership.id)
            .where(Membership.user_id == user.id, Membership.organisation_id.in_(org_ids))
            .limit(1)
        )
        is not None
    )


def _visible(user: Any, visibility: Visibility, member_org_ids: set[int]) -> bool:
    if visibility == Visibility.PUBLIC:
        return True
    if visibility == Visibility.MOVEMENT:
        return is_admin(user) or is_movement_member(user)
    return _member_of_any(user, member_org_ids)


def can_view_campaign(user: Any, campaign: Campaign) -> bool:
    """Public campaigns for all; movement ones for members; private ones for participants,
    and for the coordinators of an invited organisation, who must see it to answer."""
    if _visible(user, campaign.visibility, participant_org_ids(campaign)):
        return True
    return any(
        p.status == ParticipationStatus.INVITED and is_coordinator(user, p.organisation)
        for p in campaign.participants
    )


def can_create_campaign(user: Any, org: Organisation) -> bool:
    """Coordinators start campaigns led by their organisation."""
    return org.is_approved and is_coordinator(user, org)


def can_edit_campaign(user: Any, campaign: Campaign) -> bool:
    """The lead organisation's coordinators edit the campaign and invite organisations."""
    return is_coordinator(user, campaign.lead_organisation)


def can_answer_participation(user: Any, participant: CampaignParticipant) -> bool:
    """The invited organisation's coordinators accept or decline."""
    return is_coordinator(user, participant.organisation)


def can_view_event(user: Any, event: Event) -> bool:
    """A campaign's events follow the campaign; others follow their own visibility."""
    if event.campaign is not None:
        return can_view_campaign(user, event.campaign)
    return _visible(user, event.visibility, {event.organisation_id})


def can_create_event(user: Any, org: Organisation, campaign: Campaign | None = None) -> bool:
    """Coordinators add events for their organisation, in campaigns it takes part in."""
    if not (org.is_approved and is_coordinator(user, org)):
        return False
    return campaign is None or org.id in participant_org_ids(campaign)


def can_edit_event(user: Any, event: Event) -> bool:
    """The organising organisation's coordinators change or cancel the event."""
    return is_coordinator(user, event.organisation)


def can_rsvp(user: Any, event: Event) -> bool:
    return _signed_in(user) and can_view_event(user, event) and not event.is_cancelled


def can_see_rsvp_names(user: Any, event: Event) -> bool:
    """Counts are public; who answered is for members of the organisations involved."""
    orgs = {event.organisation_id}
    if event.campaign is not None:
        orgs |= participant_org_ids(event.campaign)
    return _member_of_any(user, orgs)


def can_import_events(user: Any, campaign: Campaign) -> bool:
    return can_edit_campaign(user, campaign)


# --- enforcement ----------------------------------------------------------------------------


def require(allowed: bool) -> None:
    """Stop the request unless allowed: sign-in page for visitors, 403 for the signed-in."""
    if allowed:
        return
    if not _signed_in(current_user):
        abort(login_manager.unauthorized())
    abort(403)


def require_or_404(allowed: bool) -> None:
    """Stop the request with 404, so that the resource's existence is not revealed."""
    if not allowed:
        abort(404)
