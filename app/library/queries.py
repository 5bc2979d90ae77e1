"""Read-only queries of the library pages, filtered in SQL by the document audience."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import selectinload

from app.extensions import db
from app.models import (
    Campaign,
    CampaignParticipant,
    Document,
    DocumentTag,
    DocumentVersion,
    Organisation,
    ParticipationStatus,
    StoredFile,
)
from app.permissions import CAMPAIGN, DOCUMENT, ORG_COORDINATORS, found_or_404


def get_document_or_404(document_id: int, user: Any) -> Document:
    """A document this person may see, else 404 (a private one is not even confirmed)."""
    document = db.session.scalar(
        select(Document)
        .where(Document.id == document_id, DOCUMENT.where(user))
        .options(selectinload(Document.organisation), selectinload(Document.file))
    )
    return found_or_404(document)


def get_version_or_404(document: Document, number: int) -> DocumentVersion:
    """One version of a document, else 404."""
    version = db.session.scalar(
        select(DocumentVersion).where(
            DocumentVersion.document_id == document.id, DocumentVersion.number == number
        )
    )
    return found_or_404(version)


def library_query(
    user: Any, organisation: str = "", language: str = "", format: str = "", tag: str = ""
) -> Select:
    """Documents this person may see, not in the bin, newest first, with the list's filters."""
    query = (
        select(Document)
        .where(DOCUMENT.where(user), Document.deleted_at.is_(None))
        .options(selectinload(Document.organisation), selectinload(Document.file))
        .order_by(Document.updated_at.desc(), Document.id.desc())
    )
    if organisation.isdigit():
        query = query.where(Document.organisation_id == int(organisation))
    if language:
        query = query.where(Document.language == language)
    if format:
        query = query.join(StoredFile, StoredFile.id == Document.file_id).where(
            StoredFile.kind == format
        )
    if tag:
        tagged = select(DocumentTag.document_id).where(DocumentTag.tag == tag.strip().casefold())
        query = query.where(Document.id.in_(tagged))
    return query


def bin_of(user: Any) -> list[Document]:
    """Documents in the bin of the organisations this person coordinates."""
    coordinated = select(Organisation.id).where(ORG_COORDINATORS.where(user))
    return list(
        db.session.scalars(
            select(Document)
            .where(Document.deleted_at.is_not(None), Document.organisation_id.in_(coordinated))
            .options(selectinload(Document.organisation), selectinload(Document.file))
            .order_by(Document.deleted_at.desc())
        )
    )


def owning_orgs(user: Any) -> list[Organisation]:
    """Organisations with documents this person may see, for the filter."""
    visible = select(Document.organisation_id).where(
        DOCUMENT.where(user), Document.deleted_at.is_(None)
    )
    return list(
        db.session.scalars(
            select(Organisation).where(Organisation.id.in_(visible)).order_by(Organisation.name)
        )
    )


def campaigns_for(user: Any, orgs: list[Organisation]) -> list[Campaign]:
    """Campaigns these organisations lead or take part in and this person sees."""
    ids = [org.id for org in orgs]
    if not ids:
        return []
    taking_part = select(CampaignParticipant.campaign_id).where(
        CampaignParticipant.organisation_id.in_(ids),
        CampaignParticipant.status == ParticipationStatus.ACCEPTED,
    )
    return list(
        db.session.scalars(
            select(Campaign)
            .where(
                CAMPAIGN.where(user),
                (Campaign.lead_organisation_id.in_(ids)) | Campaign.id.in_(taking_part),
            )
            .order_by(Campaign.title)
        )
    )
