"""Read-only queries for the organisation pages (permission rules come from permissions.py)."""

from __future__ import annotations

from typing import Any

from flask import abort
from sqlalchemy import Select, select
from sqlalchemy.orm import contains_eager, selectinload

from app.extensions import db
from app.models import (
    Invitation,
    JoinRequest,
    Membership,
    Organisation,
    OrganisationLanguage,
    OrgStatus,
    RequestStatus,
    User,
)
from app.permissions import can_view_org, require_or_404


def get_org_or_404(slug: str, user: Any) -> Organisation:
    """The organisation at this address, if this user may see it; 404 otherwise."""
    org = db.session.scalar(select(Organisation).where(Organisation.slug == slug))
    require_or_404(org is not None and can_view_org(user, org))
    return org  # type: ignore[return-value]


def get_membership_or_404(org: Organisation, membership_id: int) -> Membership:
    """A membership of this organisation; ids of other organisations' members are 404."""
    member = db.session.scalar(
        select(Membership).where(
            Membership.id == membership_id, Membership.organisation_id == org.id
        )
    )
    if member is None:
        abort(404)
    return member


def get_invitation_or_404(org: Organisation, invitation_id: int) -> Invitation:
    found = db.session.scalar(
        select(Invitation).where(
            Invitation.id == invitation_id, Invitation.organisation_id == org.id
        )
    )
    if found is None:
        abort(404)
    return found


def get_join_request_or_404(org: Organisation, request_id: int) -> JoinRequest:
    found = db.session.scalar(
        select(JoinRequest).where(
            JoinRequest.id == request_id, JoinRequest.organisation_id == org.id
        )
    )
    if found is None:
        abort(404)
    return found


def directory_query(q: str = "", country: str = "", region: str = "", language: str = "") -> Select:
    """Approved organisations matching the directory filters, by name."""
    query = select(Organisation).where(Organisation.status == OrgStatus.APPROVED)
    if q:
        escaped = q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        query = query.where(Organisation.name.ilike(f"%{escaped}%", escape="\\"))
    if country:
        query = query.where(Organisation.country == country)
    if region:
        query = query.where(Organisation.region == region)
    if language:
        query = query.where(
            Organisation.id.in_(
                select(OrganisationLanguage.organisation_id).where(
                    OrganisationLanguage.code == language
                )
            )
        )
    return query.order_by(Organisation.name)


def directory_facets(country: str = "") -> dict[str, list[str]]:
    """The countries, regions and languages that approved organisations actually have."""
    approved = Organisation.status == OrgStatus.APPROVED
    countries = list(db.session.scalars(select(Organisation.country).where(approved).distinct()))
    region_query = select(Organisation.region).where(approved, Organisation.region != "")
    if country:
        region_query = region_query.where(Organisation.country == country)
    regions = sorted(db.session.scalars(region_query.distinct()))
    languages = list(
        db.session.scalars(
            select(OrganisationLanguage.code).join(Organisation).where(approved).distinct()
        )
    )
    return {"countries": countries, "regions": regions, "languages": languages}


def members_of(org: Organisation) -> list[Membership]:
    """Members with their accounts, coordinators first, then by name."""
    return list(
        db.session.scalars(
            select(Membership)
            .join(User)
            .options(contains_eager(Membership.user))
            .where(Membership.organisation_id == org.id)
            .order_by(Membership.role, User.display_name)  # "coordinator" sorts first
        )
    )


def pending_requests(org: Organisation) -> list[JoinRequest]:
    return list(
        db.session.scalars(
            select(JoinRequest)
            .options(selectinload(JoinRequest.user))
            .where(
                JoinRequest.organisation_id == org.id, JoinRequest.status == RequestStatus.PENDING
            )
            .order_by(JoinRequest.created_at)
        )
    )


def invitations_of(org: Organisation) -> list[Invitation]:
    return list(
        db.session.scalars(
            select(Invitation)
            .options(selectinload(Invitation.used_by))
            .where(Invitation.organisation_id == org.id)
            .order_by(Invitation.created_at.desc())
            .limit(50)
        )
    )
