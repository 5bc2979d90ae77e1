"""The role x route matrix, generated from one table.

Each row names a route and what each of the five roles gets: a status code, or "login"
(sent to the sign-in page). The table is grouped like the policy (app/permissions/): pages
of accounts and organisations (orgs.py, accounts.py), rooms (rooms.py), campaigns and
events (campaigns.py), the library and manifestos. The World fixture provides: an approved
organisation with a coordinator and a member, an outsider, a platform admin, and a pending
organisation.
"""

from __future__ import annotations

import io
from datetime import date, datetime

import pytest

from app.campaigns import services as campaigns
from app.extensions import db
from app.library import services as library
from app.manifestos import services as manifestos
from app.models import (
    Campaign,
    DocumentVisibility,
    DraftVisibility,
    Event,
    Invitation,
    JoinRequest,
    ManifestoStatus,
    Membership,
    Organisation,
    Role,
    Room,
    RoomScope,
    User,
    Visibility,
    utcnow,
)
from tests.conftest import World, sign_in
from tests.factories import add_member, make_org, make_user

ROLES = ("anonymous", "outsider", "member", "coordinator", "admin")
LOGIN = "login"


def _member_id(w: World) -> int:
    return db.session.scalar(db.select(Membership.id).filter_by(user_id=w.member.id))


def _invitation_id(w: World) -> int:
    invitation = Invitation(
        organisation_id=w.org.id,
        token_hash="x" * 64,
        expires_at=utcnow().replace(year=utcnow().year + 1),
    )
    db.session.add(invitation)
    db.session.commit()
    return invitation.id


def _room_id(w: World, scope: RoomScope) -> int:
    org_id = w.org.id if scope == RoomScope.ORGANISATION else None
    room = Room(name=f"{scope.value} room", scope=scope, organisation_id=org_id)
    db.session.add(room)
    db.session.commit()
    return room.id


def _campaign(w: World, visibility: Visibility) -> Campaign:
    """A campaign led by the World's organisation, with one event at 17:00 Rome."""
    campaign = campaigns.create_campaign(
        w.coordinator, w.org, f"{visibility.value} campaign", date(2026, 3, 1),
        date(2026, 4, 30), visibility=visibility,
    )  # fmt: skip
    draft = campaigns.EventDraft(
        title="Vigil", timezone="Europe/Rome", starts_local=datetime(2026, 3, 17, 17),
        ends_local=datetime(2026, 3, 17, 18),
    )  # fmt: skip
    campaigns.create_event(w.coordinator, w.org, draft, campaign)
    return campaign


def _event_id(campaign: Campaign) -> int:
    return db.session.scalar(db.select(Event.id).where(Event.campaign_id == campaign.id))


def _join_request_id(w: World) -> int:
    join = JoinRequest(organisation_id=w.org.id, user_id=make_user("Applicant").id)
    db.session.add(join)
    db.session.commit()
    return join.id


def _partner(w: World) -> Organisation:
    """Another approved organisation, with a coordinator of its own."""
    partner = make_org("Partner network")
    add_member(partner, make_user("Partner coordinator"), Role.COORDINATOR)
    return partner


def _invited_participant_id(w: World) -> int:
    """The World's organisation invited to a partner's campaign (its coordinator answers)."""
    partner = _partner(w)
    boss = db.session.scalar(
        db.select(User).join(Membership).where(Membership.organisation_id == partner.id)
    )
    campaign = campaigns.create_campaign(
        boss, partner, "Partner campaign", date(2026, 3, 1), date(2026, 4, 30),
        visibility=Visibility.PARTICIPANTS,
    )  # fmt: skip
    return campaigns.invite_organisation(boss, campaign, w.org).id


def _taking_part_id(w: World) -> int:
    """A partner taking part in the World's organisation's campaign (its lead removes it)."""
    campaign = _campaign(w, Visibility.PUBLIC)
    return campaigns.invite_organisation(w.coordinator, campaign, _partner(w)).id


def _campaign_room_id(w: World) -> int:
    campaign = _campaign(w, Visibility.PARTICIPANTS)
    room = Room(name="campaign room", scope=RoomScope.CAMPAIGN, campaign_id=campaign.id)
    db.session.add(room)
    db.session.commit()
    return room.id


def _manifesto_id(
    w: World, visibility: DraftVisibility, status: ManifestoStatus = ManifestoStatus.DRAFTING
) -> int:
    """A manifesto drafted by the World's organisation."""
    details = manifestos.Details(title="Manifiesto", language="es", visibility=visibility)
    manifesto = manifestos.start(w.coordinator, w.org, details)
    if status != ManifestoStatus.DRAFTING:
        manifestos.set_status(manifesto, status)
    return manifesto.id


def _document_id(w: World, visibility: DocumentVisibility, binned: bool = False) -> int:
    """A text document of the World's organisation, added by its member."""
    details = library.Details(
        title=f"{visibility.value} document", description="", language="es", tags=[],
        visibility=visibility,
    )  # fmt: skip
    document, _ = library.add_document(
        w.member, w.org, io.BytesIO(f"{visibility.value} {binned}".encode()), "d.txt", details
    )
    if binned:
        library.delete_document(w.coordinator, document)
    return document.id


# (method, path template, form data, {role: expected}) -- the whole policy, one row a route.
MATRIX = [
    # --- accounts and organisations (permissions/accounts.py, permissions/orgs.py) ---
    ("GET", "/", {}, dict.fromkeys(ROLES, 200)),
    ("GET", "/healthz", {}, dict.fromkeys(ROLES, 200)),
    ("GET", "/organisations/", {}, dict.fromkeys(ROLES, 200)),
    ("GET", "/organisations/{org}", {}, dict.fromkeys(ROLES, 200)),
    (
        "GET",
        "/organisations/{pending}",
        {},
        {"anonymous": 404, "outsider": 404, "member": 404, "coordinator": 404, "admin": 200},
    ),
    (
        "GET",
        "/organisations/new",
        {},
        {"anonymous": LOGIN, "outsider": 200, "member": 200, "coordinator": 200, "admin": 200},
    ),
    (
        "GET",
        "/organisations/{org}/edit",
        {},
        {"anonymous": LOGIN, "outsider": 403, "member": 403, "coordinator": 200, "admin": 200},
    ),
    (
        "GET",
        "/organisations/{org}/members",
        {},
        {"anonymous": LOGIN, "outsider": 403, "member": 200, "coordinator": 200, "admin": 403},
    ),
    (
        "POST",
        "/organisations/{org}/members/{member_id}/role",
        {"role": "coordinator"},
        {"anonymous": LOGIN, "outsider": 403, "member": 403, "coordinator": 302, "admin": 403},
    ),
    (
        "POST",
        "/organisations/{org}/members/{member_id}/remove",
        {},
        {"anonymous": LOGIN, "outsider": 403, "member": 403, "coordinator": 302, "admin": 403},
    ),
    (
        "GET",
        "/organisations/{org}/requests",
        {},
        {"anonymous": LOGIN, "outsider": 403, "member": 403, "coordinator": 200, "admin": 403},
    ),
    (
        "POST",
        "/organisations/{org}/requests/{request_id}/approve",
        {},
        {"anonymous": LOGIN, "outsider": 403, "member": 403, "coordinator": 302, "admin": 403},
    ),
    (
        "POST",
        "/organisations/{org}/requests/{request_id}/reject",
        {},
        {"anonymous": LOGIN, "outsider": 403, "member": 403, "coordinator": 302, "admin": 403},
    ),
    (
        "GET",
        "/organisations/{org}/invitations",
        {},
        {"anonymous": LOGIN, "outsider": 403, "member": 403, "coordinator": 200, "admin": 403},
    ),
    (
        "POST",
        "/organisations/{org}/invitations",
        {"note": "for Ana"},
        {"anonymous": LOGIN, "outsider": 403, "member": 403, "coordinator": 200, "admin": 403},
    ),
    (
        "POST",
        "/organisations/{org}/invitations/{invitation_id}/revoke",
        {},
        {"anonymous": LOGIN, "outsider": 403, "member": 403, "coordinator": 302, "admin": 403},
    ),
    (
        "POST",
        "/organisations/{org}/join",
        {"message": "hello"},
        {"anonymous": LOGIN, "outsider": 302, "member": 403, "coordinator": 403, "admin": 302},
    ),
    (
        "POST",
        "/organisations/{org}/leave",
        {},
        {"anonymous": LOGIN, "outsider": 403, "member": 302, "coordinator": 302, "admin": 403},
    ),
    (
        "GET",
        "/account/profile",
        {},
        {"anonymous": LOGIN, "outsider": 200, "member": 200, "coordinator": 200, "admin": 200},
    ),
    (
        "GET",
        "/admin/",
        {},
        {"anonymous": LOGIN, "outsider": 403, "member": 403, "coordinator": 403, "admin": 200},
    ),
    (
        "GET",
        "/admin/users",
        {},
        {"anonymous": LOGIN, "outsider": 403, "member": 403, "coordinator": 403, "admin": 200},
    ),
    (
        "GET",
        "/admin/audit",
        {},
        {"anonymous": LOGIN, "outsider": 403, "member": 403, "coordinator": 403, "admin": 200},
    ),
    (
        "GET",
        "/admin/outbox",
        {},
        {"anonymous": LOGIN, "outsider": 403, "member": 403, "coordinator": 403, "admin": 200},
    ),
    (
        "POST",
        "/admin/organisations/{pending_id}/approve",
        {},
        {"anonymous": LOGIN, "outsider": 403, "member": 403, "coordinator": 403, "admin": 302},
    ),
    (
        "POST",
        "/admin/organisations/{pending_id}/reject",
        {"reason": "no"},
        {"anonymous": LOGIN, "outsider": 403, "member": 403, "coordinator": 403, "admin": 302},
    ),
    (
        "POST",
        "/admin/users/{member_user_id}/suspend",
        {},
        {"anonymous": LOGIN, "outsider": 403, "member": 403, "coordinator": 403, "admin": 302},
    ),
    # --- discussion rooms (permissions/rooms.py): an organisation room is hidden (404) from
    # everyone outside the organisation, admins included; a movement room is for members and
    # admins; a campaign room for the organisations taking part.
    (
        "GET",
        "/rooms/",
        {},
        {"anonymous": LOGIN, "outsider": 200, "member": 200, "coordinator": 200, "admin": 200},
    ),
    (
        "GET",
        "/rooms/{org_room}",
        {},
        {"anonymous": LOGIN, "outsider": 404, "member": 200, "coordinator": 200, "admin": 404},
    ),
    (
        "POST",
        "/rooms/{org_room}/messages",
        {"body": "Hello", "client_id": "matrix-client-1"},
        {"anonymous": LOGIN, "outsider": 404, "member": 302, "coordinator": 302, "admin": 404},
    ),
    (
        "GET",
        "/rooms/{org_room}/moderation",
        {},
        {"anonymous": LOGIN, "outsider": 404, "member": 403, "coordinator": 200, "admin": 404},
    ),
    (
        "POST",
        "/rooms/{org_room}/archive",
        {},
        {"anonymous": LOGIN, "outsider": 404, "member": 403, "coordinator": 302, "admin": 404},
    ),
    (
        "GET",
        "/rooms/new?org={org}",
        {},
        {"anonymous": LOGIN, "outsider": 403, "member": 403, "coordinator": 200, "admin": 403},
    ),
    (
        "GET",
        "/rooms/new",
        {},
        {"anonymous": LOGIN, "outsider": 403, "member": 403, "coordinator": 403, "admin": 200},
    ),
    (
        "GET",
        "/rooms/mentions",
        {},
        {"anonymous": LOGIN, "outsider": 200, "member": 200, "coordinator": 200, "admin": 200},
    ),
    (
        "GET",
        "/rooms/{movement_room}",
        {},
        {"anonymous": LOGIN, "outsider": 404, "member": 200, "coordinator": 200, "admin": 200},
    ),
    (
        "POST",
        "/rooms/{movement_room}/messages",
        {"body": "Hello", "client_id": "matrix-client-1"},
        {"anonymous": LOGIN, "outsider": 404, "member": 302, "coordinator": 302, "admin": 302},
    ),
    (
        "GET",
        "/rooms/{movement_room}/moderation",
        {},
        {"anonymous": LOGIN, "outsider": 404, "member": 403, "coordinator": 403, "admin": 200},
    ),
    (
        "GET",
        "/rooms/{org_room}/settings",
        {},
        {"anonymous": LOGIN, "outsider": 404, "member": 403, "coordinator": 200, "admin": 404},
    ),
    (
        "POST",
        "/rooms/{org_room}/settings",
        {"name": "Renamed", "description": "", "audience": "org:{org_id}"},
        {"anonymous": LOGIN, "outsider": 404, "member": 403, "coordinator": 302, "admin": 404},
    ),
    (
        "GET",
        "/rooms/{movement_room}/settings",
        {},
        {"anonymous": LOGIN, "outsider": 404, "member": 403, "coordinator": 403, "admin": 200},
    ),
    (
        "GET",
        "/rooms/{campaign_room}",
        {},
        {"anonymous": LOGIN, "outsider": 404, "member": 200, "coordinator": 200, "admin": 404},
    ),
    (
        "GET",
        "/rooms/{campaign_room}/moderation",
        {},
        {"anonymous": LOGIN, "outsider": 404, "member": 403, "coordinator": 200, "admin": 404},
    ),
    (
        "GET",
        "/rooms/new?campaign={public_campaign}",
        {},
        {"anonymous": LOGIN, "outsider": 403, "member": 403, "coordinator": 200, "admin": 403},
    ),
    # --- campaigns and events (permissions/campaigns.py) ---
    ("GET", "/campaigns/", {}, dict.fromkeys(ROLES, 200)),
    ("GET", "/campaigns/{public_campaign}", {}, dict.fromkeys(ROLES, 200)),
    (
        "GET",
        "/campaigns/{private_campaign}",
        {},
        {"anonymous": 404, "outsider": 404, "member": 200, "coordinator": 200, "admin": 404},
    ),
    (
        "GET",
        "/campaigns/{private_campaign}/calendar",
        {},
        {"anonymous": 404, "outsider": 404, "member": 200, "coordinator": 200, "admin": 404},
    ),
    (
        "GET",
        "/events/{private_event}",
        {},
        {"anonymous": 404, "outsider": 404, "member": 200, "coordinator": 200, "admin": 404},
    ),
    ("GET", "/events/{public_event}", {}, dict.fromkeys(ROLES, 200)),
    (
        "GET",
        "/campaigns/new?org={org}",
        {},
        {"anonymous": LOGIN, "outsider": 403, "member": 403, "coordinator": 200, "admin": 403},
    ),
    (
        "GET",
        "/campaigns/{public_campaign}/edit",
        {},
        {"anonymous": LOGIN, "outsider": 403, "member": 403, "coordinator": 200, "admin": 403},
    ),
    (
        "GET",
        "/campaigns/{public_campaign}/events/new",
        {},
        {"anonymous": LOGIN, "outsider": 403, "member": 403, "coordinator": 200, "admin": 403},
    ),
    (
        "GET",
        "/organisations/{org}/events/new",
        {},
        {"anonymous": LOGIN, "outsider": 403, "member": 403, "coordinator": 200, "admin": 403},
    ),
    (
        "GET",
        "/events/{public_event}/edit",
        {},
        {"anonymous": LOGIN, "outsider": 403, "member": 403, "coordinator": 200, "admin": 403},
    ),
    (
        "POST",
        "/events/{public_event}/rsvp",
        {"response": "going"},
        {"anonymous": LOGIN, "outsider": 302, "member": 302, "coordinator": 302, "admin": 302},
    ),
    (
        "GET",
        "/events/{public_event}/cancel",
        {},
        {"anonymous": LOGIN, "outsider": 403, "member": 403, "coordinator": 200, "admin": 403},
    ),
    (
        "POST",
        "/events/{public_event}/cancel",
        {},
        {"anonymous": LOGIN, "outsider": 403, "member": 403, "coordinator": 302, "admin": 403},
    ),
    (
        "POST",
        "/events/{public_event}/restore",
        {},
        {"anonymous": LOGIN, "outsider": 403, "member": 403, "coordinator": 302, "admin": 403},
    ),
    ("GET", "/calendar", {}, dict.fromkeys(ROLES, 200)),
    ("GET", "/calendar?view=month&month=2026-03", {}, dict.fromkeys(ROLES, 200)),
    (
        "GET",
        "/calendar/mine",
        {},
        {"anonymous": LOGIN, "outsider": 200, "member": 200, "coordinator": 200, "admin": 200},
    ),
    ("GET", "/organisations/{org}/calendar", {}, dict.fromkeys(ROLES, 200)),
    ("GET", "/calendar/public.ics", {}, dict.fromkeys(ROLES, 200)),
    ("GET", "/organisations/{org}/calendar.ics", {}, dict.fromkeys(ROLES, 200)),
    (
        "GET",
        "/campaigns/{private_campaign}/calendar.ics",
        {},
        {"anonymous": 404, "outsider": 404, "member": 200, "coordinator": 200, "admin": 404},
    ),
    (
        "GET",
        "/calendar/feed",
        {},
        {"anonymous": LOGIN, "outsider": 200, "member": 200, "coordinator": 200, "admin": 200},
    ),
    (
        "POST",
        "/campaign-invitations/{invited_participant}/accept",
        {},
        {"anonymous": LOGIN, "outsider": 404, "member": 404, "coordinator": 302, "admin": 404},
    ),
    (
        "POST",
        "/campaign-invitations/{invited_participant}/decline",
        {},
        {"anonymous": LOGIN, "outsider": 404, "member": 404, "coordinator": 302, "admin": 404},
    ),
    (
        "POST",
        "/campaign-invitations/{taking_part}/remove",
        {},
        {"anonymous": LOGIN, "outsider": 404, "member": 404, "coordinator": 302, "admin": 404},
    ),
    (
        "GET",
        "/campaigns/{public_campaign}/import",
        {},
        {"anonymous": LOGIN, "outsider": 403, "member": 403, "coordinator": 200, "admin": 403},
    ),
    # --- the library and search (permissions/library.py) ---
    ("GET", "/library/", {}, dict.fromkeys(ROLES, 200)),
    ("GET", "/library/{public_doc}", {}, dict.fromkeys(ROLES, 200)),
    (
        "GET",
        "/library/{movement_doc}",
        {},
        {"anonymous": 404, "outsider": 404, "member": 200, "coordinator": 200, "admin": 200},
    ),
    (
        "GET",
        "/library/{org_doc}",
        {},
        {"anonymous": 404, "outsider": 404, "member": 200, "coordinator": 200, "admin": 404},
    ),
    (
        "GET",
        "/library/{org_doc}/download",
        {},
        {"anonymous": 404, "outsider": 404, "member": 200, "coordinator": 200, "admin": 404},
    ),
    (
        "GET",
        "/library/{org_doc}/versions/1/download",
        {},
        {"anonymous": 404, "outsider": 404, "member": 200, "coordinator": 200, "admin": 404},
    ),
    (
        "GET",
        "/library/{binned_doc}",
        {},
        {"anonymous": 404, "outsider": 404, "member": 404, "coordinator": 200, "admin": 404},
    ),
    (
        "GET",
        "/library/new",
        {},
        {"anonymous": LOGIN, "outsider": 403, "member": 200, "coordinator": 200, "admin": 403},
    ),
    (
        "GET",
        "/library/{org_doc}/edit",
        {},
        {"anonymous": LOGIN, "outsider": 404, "member": 200, "coordinator": 200, "admin": 404},
    ),
    (
        "GET",
        "/library/{movement_doc}/versions/new",
        {},
        {"anonymous": LOGIN, "outsider": 404, "member": 200, "coordinator": 200, "admin": 403},
    ),
    (
        "GET",
        "/library/{public_doc}/delete",
        {},
        {"anonymous": LOGIN, "outsider": 403, "member": 403, "coordinator": 200, "admin": 403},
    ),
    (
        "POST",
        "/library/{binned_doc}/restore",
        {},
        {"anonymous": LOGIN, "outsider": 404, "member": 404, "coordinator": 302, "admin": 404},
    ),
    (
        "GET",
        "/library/bin",
        {},
        {"anonymous": LOGIN, "outsider": 200, "member": 200, "coordinator": 200, "admin": 200},
    ),
    # --- manifestos (manifestos.py): drafted by world.org's committee --------------------
    ("GET", "/manifestos/", {}, dict.fromkeys(ROLES, 200)),
    (
        "GET",
        "/manifestos/new",
        {},
        {"anonymous": LOGIN, "outsider": 403, "member": 403, "coordinator": 200, "admin": 403},
    ),
    (
        "GET",
        "/manifestos/{committee_manifesto}",
        {},
        {"anonymous": 404, "outsider": 404, "member": 200, "coordinator": 200, "admin": 404},
    ),
    (
        "GET",
        "/manifestos/{movement_manifesto}",
        {},
        {"anonymous": 404, "outsider": 404, "member": 200, "coordinator": 200, "admin": 200},
    ),
    ("GET", "/manifestos/{public_manifesto}", {}, dict.fromkeys(ROLES, 200)),
    ("GET", "/manifestos/{open_manifesto}", {}, dict.fromkeys(ROLES, 200)),
    (
        "GET",
        "/manifestos/{committee_manifesto}/edit",
        {},
        {"anonymous": LOGIN, "outsider": 404, "member": 200, "coordinator": 200, "admin": 404},
    ),
    (
        "GET",
        "/manifestos/{open_manifesto}/edit",
        {},
        {"anonymous": LOGIN, "outsider": 403, "member": 403, "coordinator": 403, "admin": 403},
    ),
    (
        "POST",
        "/manifestos/{public_manifesto}/text",
        {"text": "Cambio", "version": "0"},
        {"anonymous": LOGIN, "outsider": 403, "member": 302, "coordinator": 302, "admin": 403},
    ),
    (
        "GET",
        "/manifestos/{public_manifesto}/settings",
        {},
        {"anonymous": LOGIN, "outsider": 403, "member": 403, "coordinator": 200, "admin": 403},
    ),
    (
        "POST",
        "/manifestos/{committee_manifesto}/status",
        {"status": "open"},
        {"anonymous": LOGIN, "outsider": 404, "member": 403, "coordinator": 302, "admin": 404},
    ),
    ("GET", "/search?q=document", {}, dict.fromkeys(ROLES, 200)),
    (
        "GET",
        "/search/open/document/{org_doc}",
        {},
        {"anonymous": 404, "outsider": 404, "member": 302, "coordinator": 302, "admin": 404},
    ),
    (
        "GET",
        "/search/open/document/{binned_doc}",
        {},
        dict.fromkeys(ROLES, 404),
    ),
]

CASES = [
    pytest.param(method, path, data, role, expected[role], id=f"{method} {path} as {role}")
    for method, path, data, expected in MATRIX
    for role in ROLES
]


# Placeholders that need rows of their own: made only when a path names them, in this order.
_MADE_ON_DEMAND = {
    "member_id": _member_id,
    "invitation_id": _invitation_id,
    "request_id": _join_request_id,
    "org_room": lambda w: _room_id(w, RoomScope.ORGANISATION),
    "movement_room": lambda w: _room_id(w, RoomScope.MOVEMENT),
    "campaign_room": _campaign_room_id,
    "invited_participant": _invited_participant_id,
    "taking_part": _taking_part_id,
    "public_doc": lambda w: _document_id(w, DocumentVisibility.PUBLIC),
    "movement_doc": lambda w: _document_id(w, DocumentVisibility.MOVEMENT),
    "org_doc": lambda w: _document_id(w, DocumentVisibility.ORGANISATION),
    "binned_doc": lambda w: _document_id(w, DocumentVisibility.PUBLIC, binned=True),
    "committee_manifesto": lambda w: _manifesto_id(w, DraftVisibility.COMMITTEE),
    "movement_manifesto": lambda w: _manifesto_id(w, DraftVisibility.MOVEMENT),
    "public_manifesto": lambda w: _manifesto_id(w, DraftVisibility.PUBLIC),
    "open_manifesto": lambda w: _manifesto_id(w, DraftVisibility.COMMITTEE, ManifestoStatus.OPEN),
}


def _fill(path: str, w: World) -> str:
    values = {
        "org": w.org.slug,
        "org_id": w.org.id,
        "pending": w.pending.slug,
        "pending_id": w.pending.id,
        "member_user_id": w.member.id,
    }
    for key, make in _MADE_ON_DEMAND.items():
        if f"{{{key}}}" in path:
            values[key] = make(w)
    for key, visibility in (("private", Visibility.PARTICIPANTS), ("public", Visibility.PUBLIC)):
        if f"{{{key}_campaign}}" in path or f"{{{key}_event}}" in path:
            campaign = _campaign(w, visibility)
            values[f"{key}_campaign"] = campaign.slug
            values[f"{key}_event"] = _event_id(campaign)
    return path.format(**values)


@pytest.mark.parametrize(("method", "path", "data", "role", "expected"), CASES)
def test_route_obeys_policy(client, world, method, path, data, role, expected):
    """Each role gets exactly what the policy table says on every route."""
    url = _fill(path, world)
    data = {key: _fill(value, world) for key, value in data.items()}
    user = world.user(role)
    if user is not None:
        sign_in(client, user)
    response = client.open(url, method=method, data=data)
    if expected == LOGIN:
        assert response.status_code == 302
        assert "/account/login" in response.headers["Location"]
    else:
        assert response.status_code == expected, response.get_data(as_text=True)[:300]


def test_requester_sees_own_pending_organisation(client, world):
    """The person who asked for an organisation can follow it while it waits."""
    sign_in(client, world.requester)
    response = client.get(f"/organisations/{world.pending.slug}")
    assert response.status_code == 200
    assert "waiting for approval" in response.get_data(as_text=True)
