"""Organisations: who sees a profile, its members, and who manages them."""

from __future__ import annotations

from typing import Any

from app.models import Membership, Organisation, OrgStatus
from app.permissions.accounts import is_admin, signed_in
from app.permissions.audience import Audience, grant
from app.permissions.principals import principals

# Approved organisations are public; a pending or rejected one is seen by its requester and
# the administrators who decide.
ORGANISATION = Audience(
    Organisation,
    grant("public", status=OrgStatus.APPROVED),
    grant("admin", "user:{requested_by_id}"),
)
# Member lists are for the organisation's own members only: families may be at risk.
ORG_MEMBERS = Audience(Organisation, grant("org:{id}"))
ORG_COORDINATORS = Audience(Organisation, grant("org:{id}:coordinator"))
# Coordinators edit their organisation's profile; admins may correct any.
ORG_EDITORS = Audience(Organisation, grant("admin", "org:{id}:coordinator"))


def can_view_org(user: Any, org: Organisation) -> bool:
    """See an organisation's profile page."""
    return ORGANISATION.allows(user, org)


def is_member(user: Any, org: Organisation) -> bool:
    """A member (in any role) of this approved organisation."""
    return ORG_MEMBERS.allows(user, org)


def is_coordinator(user: Any, org: Organisation) -> bool:
    """A coordinator of this approved organisation."""
    return ORG_COORDINATORS.allows(user, org)


def is_movement_member(user: Any) -> bool:
    """A member of at least one approved organisation."""
    return "member" in principals(user)


def can_request_org(user: Any) -> bool:
    """Anyone signed in may ask for a new organisation to be listed."""
    return signed_in(user)


def can_decide_org(user: Any, org: Organisation) -> bool:
    """Admins approve or reject organisations waiting in the queue."""
    return is_admin(user) and org.status == OrgStatus.PENDING


def can_edit_org(user: Any, org: Organisation) -> bool:
    """Change the organisation's public profile."""
    return ORG_EDITORS.allows(user, org)


def can_view_members(user: Any, org: Organisation) -> bool:
    """Read the member list."""
    return ORG_MEMBERS.allows(user, org)


def can_manage_members(user: Any, org: Organisation) -> bool:
    """Coordinators invite, approve requests, change roles and remove members."""
    return ORG_COORDINATORS.allows(user, org)


def can_remove_member(user: Any, member: Membership) -> bool:
    """Coordinators remove others; to go oneself, one leaves (which keeps a coordinator)."""
    return can_manage_members(user, member.organisation) and member.user_id != user.id


def can_request_join(user: Any, org: Organisation) -> bool:
    """A signed-in person who is not yet a member may ask to join an approved organisation."""
    return signed_in(user) and org.status == OrgStatus.APPROVED and not is_member(user, org)


def can_accept_invitation(user: Any, org: Organisation) -> bool:
    """An invitation link works for a signed-in person who is not yet a member."""
    return can_request_join(user, org)


def can_leave(user: Any, org: Organisation) -> bool:
    """Members may leave (the service keeps at least one coordinator)."""
    return is_member(user, org)
