"""The shared library: who finds, opens, uploads, changes and deletes documents."""

from __future__ import annotations

from typing import Any

from app.models import Campaign, Document, DocumentVisibility, Organisation
from app.permissions.audience import Audience, grant
from app.permissions.campaigns import can_view_campaign, participant_org_ids
from app.permissions.orgs import is_member

# Public documents for all, movement documents for members and admins, and every document
# of an organisation for its own members. A deleted document is seen only by the owning
# organisation's coordinators, who may restore it. The index carries these same tokens.
DOCUMENT = Audience(
    Document,
    grant("public", visibility=DocumentVisibility.PUBLIC, deleted_at=None),
    grant("member", "admin", visibility=DocumentVisibility.MOVEMENT, deleted_at=None),
    grant("org:{organisation_id}", deleted_at=None),
    grant("org:{organisation_id}:coordinator"),
)
# The owning organisation's coordinators change, delete and restore its documents.
DOCUMENT_EDITORS = Audience(Document, grant("org:{organisation_id}:coordinator"))


def can_view_document(user: Any, document: Document) -> bool:
    """Open a document's page, read its text and download its files."""
    return DOCUMENT.allows(user, document)


def can_upload_document(user: Any, org: Organisation) -> bool:
    """Members of an approved organisation add documents in its name."""
    return is_member(user, org)


def can_edit_document(user: Any, document: Document) -> bool:
    """Change the details or upload a new version: coordinators, and the member who added it."""
    if document.is_deleted or not is_member(user, document.organisation):
        return False
    return DOCUMENT_EDITORS.allows(user, document) or document.created_by_id == user.id


def can_delete_document(user: Any, document: Document) -> bool:
    """The owning organisation's coordinators move a document to the bin and back."""
    return DOCUMENT_EDITORS.allows(user, document)


def can_file_under_campaign(user: Any, org: Organisation, campaign: Campaign) -> bool:
    """A document may name a campaign its organisation takes part in and the uploader sees."""
    return org.id in participant_org_ids(campaign) and can_view_campaign(user, campaign)
