"""Read-only queries of the organisation pages (lists filtered by the policy in SQL)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import contains_eager, selectinload

from app.extensions import db
from app.models import (
    Invitation,
    JoinRequest,
    Membership,
    Organisation,
    OrganisationLanguage,
    RequestStatus,
    User,
)
from app.models.orgs import fold
from app.permissions import (
    ANONYMOUS,
    ORG_COORDINATORS,
    ORG_MEMBERS,
    ORGANISATION,
    can_view_org,
    found_or_404,
)


def get_org_or_404(slug: str, user: Any) -> Organisation:
    """The organisation at this address, if this person may see it; 404 otherwise."""
    org = db.session.scalar(select(Organisation).where(Organisation.slug == slug))
    return found_or_404(org, can_view_org, user)


def get_membership_or_404(org: Organisation, membership_id: int) -> Membership:
    """A membership of this organisation; ids of other organisations' members are 404."""
    return found_or_404(
        db.session.scalar(
            select(Membership)
            .options(selectinload(Membership.user))
            .where(Membership.id == membership_id, Membership.organisation_id == org.id)
        )
    )


def get_invitation_or_404(org: Organisation, invitation_id: int) -> Invitation:
    """An invitation of this organisation."""
    return found_or_404(
        db.session.scalar(
            select(Invitation).where(
                Invitation.id == invitation_id, Invitation.organisation_id == org.id
            )
        )
    )


def get_join_request_or_404(org: Organisation, request_id: int) -> JoinRequest:
    """A request to join this organisation."""
    return found_or_404(
        db.session.scalar(
            select(JoinRequest).where(
                JoinRequest.id == request_id, JoinRequest.organisation_id == org.id
            )
        )
    )


def coordinated_orgs(user: Any) -> list[Organisation]:
    """The approved organisations this person coordinates, by name."""
    return list(
        db.session.scalars(
            select(Organisation).where(ORG_COORDINATORS.where(user)).order_by(Organisation.name)
        )
    )


def my_orgs(user: Any) -> list[Organisation]:
    """The approved organisations this person belongs to, by name."""
    return list(
        db.session.scalars(
            select(Organisation).where(ORG_MEMBERS.where(user)).order_by(Organisation.name)
        )
    )


def listed_count() -> int:
    """How many organisations anyone may see (the approved ones)."""
    return db.session.scalar(select(func.count()).where(ORGANISATION.condition(ANONYMOUS))) or 0


def directory_query(q: str = "", country: str = "", region: str = "", language: str = "") -> Select:
    """The organisations anyone may see (the approved ones) matching the filters, by name."""
    query = select(Organisation).where(ORGANISATION.condition(ANONYMOUS))
    if q:
        # Both sides folded (no case, no accents): plain LIKE then behaves alike everywhere.
        folded = fold(q)
        escaped = folded.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        query = query.where(Organisation.name_folded.like(f"%{escaped}%", escape="\\"))
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
    """The countries, regions and languages that listed organisations actually have."""
    approved = ORGANISATION.condition(ANONYMOUS)
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
    """Requests to join waiting for the coordinators, oldest first."""
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
    """The latest invitation links of an organisation."""
    return list(
        db.session.scalars(
            select(Invitation)
            .options(selectinload(Invitation.used_by))
            .where(Invitation.organisation_id == org.id)
            .order_by(Invitation.created_at.desc())
            .limit(50)
        )
    )
