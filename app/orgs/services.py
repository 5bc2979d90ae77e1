"""Organisation state changes: requests, approval, membership, invitations, join requests."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from flask import current_app, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString
from sqlalchemy import func, select, update

from app import audit
from app.db import atomic, claim
from app.errors import ServiceError
from app.extensions import db
from app.mail import send_mail
from app.markup import render_markdown
from app.models import (
    Invitation,
    JoinRequest,
    Membership,
    Organisation,
    OrganisationLanguage,
    OrgStatus,
    RequestStatus,
    Role,
    User,
    utcnow,
)
from app.realtime import sync_after_commit
from app.text import unique_slug, web_url
from app.tokens import new_token, token_digest


@dataclass
class OrgProfile:
    """The editable public profile of an organisation."""

    name: str
    country: str
    region: str
    languages: list[str]
    description: str
    website: str
    contact_email: str


def _apply_profile(org: Organisation, profile: OrgProfile) -> None:
    org.name = profile.name.strip()
    org.country = profile.country
    org.region = profile.region.strip()
    org.description = profile.description
    org.description_html = str(render_markdown(profile.description))  # rendered once, here
    org.website = web_url(profile.website, 300)
    org.contact_email = profile.contact_email.strip()
    org.languages = [OrganisationLanguage(code=code) for code in dict.fromkeys(profile.languages)]


def request_organisation(actor: User, profile: OrgProfile) -> Organisation:
    """Ask for a new organisation to be listed; it waits for an administrator."""
    with atomic():
        org = Organisation(
            slug=unique_slug(Organisation.slug, profile.name, "organisation"),
            requested_by_id=actor.id,
            status=OrgStatus.PENDING,
        )
        _apply_profile(org, profile)
        db.session.add(org)
    return org


def edit_organisation(actor: User, org: Organisation, profile: OrgProfile) -> None:
    """Change an organisation's public profile."""
    with atomic():
        _apply_profile(org, profile)
        audit.record(actor, "org.edit", org=org)


def _notify(user: User | None, subject: LazyString, body: LazyString) -> None:
    """Mail a user in their own language (lazy strings are translated here)."""
    if user is None:
        return
    with force_locale(user.locale or "en"):
        send_mail(user.email, str(subject), str(body))


def approve_organisation(actor: User, org: Organisation) -> None:
    """List the organisation publicly and make its requester the first coordinator."""
    with atomic():
        org.status = OrgStatus.APPROVED
        org.decided_at = utcnow()
        if org.requested_by_id and not db.session.scalar(
            select(Membership).filter_by(user_id=org.requested_by_id, organisation_id=org.id)
        ):
            db.session.add(
                Membership(
                    user_id=org.requested_by_id, organisation_id=org.id, role=Role.COORDINATOR
                )
            )
            sync_after_commit([org.requested_by_id])
        audit.record(actor, "org.approve", org=org)
        _notify(
            org.requested_by,
            _l("Your organisation is now on Caravana"),
            _l(
                "Hello,\n\n%(org)s has been approved and is now listed on Caravana. You are its "
                "coordinator: you can invite members from the organisation's page.\n\n%(link)s",
                org=org.name,
                link=url_for("orgs.show", slug=org.slug, _external=True),
            ),
        )


def reject_organisation(actor: User, org: Organisation, reason: str) -> None:
    """Decline a request for a new organisation; the requester is told why."""
    with atomic():
        org.status = OrgStatus.REJECTED
        org.decided_at = utcnow()
        audit.record(actor, "org.reject", org=org, reason=reason)
        _notify(
            org.requested_by,
            _l("Your request for a new organisation"),
            _l(
                "Hello,\n\nThe administrators could not approve %(org)s for now.\n\n%(reason)s",
                org=org.name,
                reason=reason,
            ),
        )


# --- membership -------------------------------------------------------------------------------


def _coordinator_count(org: Organisation) -> int:
    return (
        db.session.scalar(
            select(func.count())
            .select_from(Membership)
            .where(Membership.organisation_id == org.id, Membership.role == Role.COORDINATOR)
        )
        or 0
    )


def _keep_a_coordinator(member: Membership, message: str) -> None:
    if member.role == Role.COORDINATOR and _coordinator_count(member.organisation) <= 1:
        raise ServiceError("last_coordinator", message)


def _add_member(org: Organisation, user: User, role: Role = Role.MEMBER) -> Membership:
    existing = db.session.scalar(
        select(Membership).filter_by(user_id=user.id, organisation_id=org.id)
    )
    if existing:
        return existing
    member = Membership(user_id=user.id, organisation_id=org.id, role=role)
    db.session.add(member)
    sync_after_commit([user.id])  # their open pages join the organisation's channels
    return member


def change_role(actor: User, member: Membership, role: Role) -> None:
    """Make a member a coordinator or back; an organisation keeps at least one coordinator."""
    if member.role == role:
        return
    _keep_a_coordinator(
        member,
        _("An organisation needs at least one coordinator. Make someone else coordinator first."),
    )
    with atomic():
        member.role = role
        audit.record(
            actor, "member.role", org=member.organisation, target=member.user, role=role.value
        )
        sync_after_commit([member.user_id])


def remove_member(actor: User, member: Membership) -> None:
    """Remove someone from an organisation; their open pages lose its channels at once."""
    _keep_a_coordinator(
        member,
        _("An organisation needs at least one coordinator. Make someone else coordinator first."),
    )
    with atomic():
        org, user = member.organisation, member.user
        db.session.delete(member)
        audit.record(actor, "member.remove", org=org, target=user)
        sync_after_commit([user.id])


def leave(user: User, org: Organisation) -> None:
    """Leave an organisation; one's open pages lose its channels at once."""
    member = db.session.scalar(
        select(Membership).filter_by(user_id=user.id, organisation_id=org.id)
    )
    if member is None:
        return
    _keep_a_coordinator(
        member, _("You are the only coordinator. Make someone else coordinator before you leave.")
    )
    with atomic():
        db.session.delete(member)
        sync_after_commit([user.id])


# --- invitations ------------------------------------------------------------------------------


def create_invitation(actor: User, org: Organisation, note: str = "") -> tuple[Invitation, str]:
    """Create a single-use invitation; return it and the token (shown once, never stored)."""
    token = new_token()
    days = current_app.config["INVITATION_DAYS"]
    with atomic():
        invitation = Invitation(
            organisation_id=org.id,
            token_hash=token_digest(token),
            note=note.strip()[:120],
            created_by_id=actor.id,
            expires_at=utcnow() + timedelta(days=days),
        )
        db.session.add(invitation)
        db.session.flush()
        audit.record(actor, "invitation.create", org=org, invitation=invitation.id)
    return invitation, token


def revoke_invitation(actor: User, invitation: Invitation) -> None:
    """Make an invitation link stop working."""
    if invitation.revoked_at or invitation.used_at:
        return
    with atomic():
        invitation.revoked_at = utcnow()
        audit.record(
            actor, "invitation.revoke", org=invitation.organisation, invitation=invitation.id
        )


def invitation_is_open(invitation: Invitation) -> bool:
    """Whether an invitation can still be used."""
    return (
        invitation.used_at is None
        and invitation.revoked_at is None
        and invitation.expires_at > utcnow()
    )


def find_open_invitation(token: str) -> Invitation | None:
    """The invitation behind a link, if it can still be used."""
    found = db.session.scalar(
        select(Invitation).where(Invitation.token_hash == token_digest(token))
    )
    if found is None or not invitation_is_open(found) or not found.organisation.is_approved:
        return None
    return found


def accept_invitation(user: User, token: str) -> Organisation:
    """Join through an invitation link; the link then stops working."""
    invitation = find_open_invitation(token)
    if invitation is None:
        raise _invitation_closed()
    with atomic():
        now = utcnow()
        if not claim(
            update(Invitation)
            .where(
                Invitation.id == invitation.id,
                Invitation.used_at.is_(None),
                Invitation.revoked_at.is_(None),
                Invitation.expires_at > now,
            )
            .values(used_at=now, used_by_id=user.id)
        ):
            raise _invitation_closed()  # someone else used it a moment ago
        _add_member(invitation.organisation, user)
        _close_pending_requests(invitation.organisation, user)
    return invitation.organisation


def _invitation_closed() -> ServiceError:
    return ServiceError(
        "invitation_closed",
        _(
            "This invitation has expired, was withdrawn or has already been "
            "used. Ask the coordinator for a new link."
        ),
    )


# --- join requests ----------------------------------------------------------------------------


def pending_request(user: User, org: Organisation) -> JoinRequest | None:
    """This person's request to join, while it waits."""
    return db.session.scalar(
        select(JoinRequest).filter_by(
            user_id=user.id, organisation_id=org.id, status=RequestStatus.PENDING
        )
    )


def request_to_join(user: User, org: Organisation, message: str) -> JoinRequest:
    """Ask the coordinators to let this user join; one pending request at a time."""
    if existing := pending_request(user, org):
        return existing
    with atomic():
        join = JoinRequest(organisation_id=org.id, user_id=user.id, message=message.strip()[:1000])
        db.session.add(join)
    return join


def _close_pending_requests(org: Organisation, user: User) -> None:
    if join := pending_request(user, org):
        join.status = RequestStatus.APPROVED
        join.decided_at = utcnow()


def decide_join_request(actor: User, join: JoinRequest, approve: bool) -> None:
    """Approve (the person becomes a member) or decline a pending request."""
    if join.status != RequestStatus.PENDING:
        return
    with atomic():
        if not claim(
            update(JoinRequest)
            .where(JoinRequest.id == join.id, JoinRequest.status == RequestStatus.PENDING)
            .values(
                status=RequestStatus.APPROVED if approve else RequestStatus.REJECTED,
                decided_at=utcnow(),
                decided_by_id=actor.id,
            )
        ):
            return  # another coordinator decided it a moment ago
        db.session.refresh(join)
        if approve:
            _add_member(join.organisation, join.user)
        audit.record(
            actor,
            "join.approve" if approve else "join.reject",
            org=join.organisation,
            target=join.user,
        )
        if approve:
            _notify(
                join.user,
                _l("You are now a member"),
                _l(
                    "Hello,\n\nYou are now a member of %(org)s on Caravana.\n\n%(link)s",
                    org=join.organisation.name,
                    link=url_for("orgs.show", slug=join.organisation.slug, _external=True),
                ),
            )
