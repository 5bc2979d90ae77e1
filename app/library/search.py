"""Documents in search: details and extracted text, seen by the document's audience."""

from __future__ import annotations

from flask import url_for
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import selectinload, undefer

from app.models import Document, Organisation, StoredFile
from app.permissions import DOCUMENT, can_view_document
from app.search.base import Entry
from app.search.registry import Follow, Searchable, register


def entry(document: Document) -> Entry | None:
    """A document as the index stores it; one in the bin is not in the index."""
    if document.is_deleted:
        return None
    text = document.file.text if document.file.status == "indexed" else ""
    return Entry(
        kind="document",
        id=document.id,
        title=document.title,
        body="\n\n".join(filter(None, [document.description, text])),
        language=document.language,
        tokens=DOCUMENT.tokens(document),
        date=document.updated_at,
        tags=tuple(document.tag_names),
        organisation_id=document.organisation_id,
        organisation=document.organisation.name,
        format=document.file.kind,
    )


register(
    Searchable(
        kind="document",
        model=Document,
        entry=entry,
        url=lambda document: url_for("library.document", document_id=document.id),
        label=lambda: str(_l("Documents")),
        options=(
            selectinload(Document.file).options(undefer(StoredFile.text)),
            selectinload(Document.organisation),
        ),
        # Search shows what the bin hides from everyone (coordinators open it from the bin).
        allows=lambda user, document: can_view_document(user, document) and not document.is_deleted,
        follows=(
            # A file's text arrives after the upload, when the worker has read it.
            Follow(
                StoredFile,
                ("status", "text"),
                lambda stored: select(Document.id).where(Document.file_id == stored.id),
            ),
            # A renamed organisation's documents carry the new name (org: finds them by it).
            Follow(
                Organisation,
                ("name",),
                lambda org: select(Document.id).where(Document.organisation_id == org.id),
            ),
        ),
    )
)
