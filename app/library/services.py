"""Library changes: add a document, a new version, change details, delete and restore.

Each runs in one unit of work and writes the audit log. The file is stored before the
transaction and removed again if it fails; an identical file (same SHA-256) is stored and
read once, whichever documents use it. The search outbox follows by itself (search/outbox.py).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import IO, Any

from sqlalchemy import select

from app import audit
from app.db import atomic
from app.extensions import db
from app.library import sniff as sniffing
from app.library import storage
from app.markup import render_markdown
from app.models import (
    Campaign,
    Document,
    DocumentTag,
    DocumentVersion,
    DocumentVisibility,
    Organisation,
    StoredFile,
    User,
    utcnow,
)

MAX_TAGS = 12
TAG_LENGTH = 40


class UploadError(ValueError):
    """An upload the library cannot take; ``code`` names why (shown translated)."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code  # "too_big", "not_supported", "empty"


@dataclass(frozen=True)
class Details:
    """What a person fills in about a document."""

    title: str
    description: str
    language: str
    tags: list[str]
    visibility: DocumentVisibility
    campaign: Campaign | None = None


def clean_tags(raw: str | list[str]) -> list[str]:
    """Tags from "legal guide, Testimony": trimmed, lower case, no repeats, bounded."""
    # Arabic keyboards type "،" and Chinese/Japanese ones "、": both separate tags too.
    parts = re.split(r"[,،、]", raw) if isinstance(raw, str) else raw
    tags: list[str] = []
    for part in parts:
        tag = " ".join(part.split()).casefold()[:TAG_LENGTH]
        if tag and tag not in tags:
            tags.append(tag)
    return tags[:MAX_TAGS]


def store_upload(stream: IO[bytes], filename: str) -> tuple[StoredFile, bool]:
    """Store an upload's bytes once: the file row, and whether these bytes were already stored."""
    received = storage.receive(stream)
    try:
        if received.size == 0:
            raise UploadError("empty")
        existing = db.session.scalar(select(StoredFile).where(StoredFile.sha256 == received.sha256))
        if existing is not None:
            storage.discard(received)
            return existing, True
        kind = sniffing.sniff(received.path, filename)
        if kind is None:
            raise UploadError("not_supported")
    except BaseException:
        storage.discard(received)
        raise
    stored = StoredFile(
        sha256=received.sha256,
        size=received.size,
        kind=kind,
        storage_name=storage.keep(received),
    )
    db.session.add(stored)
    return stored, False


def _apply(document: Document, details: Details) -> None:
    document.title = details.title.strip()[:200]
    document.description = details.description
    document.description_html = str(render_markdown(details.description))
    document.language = details.language
    document.visibility = details.visibility
    document.campaign = details.campaign
    wanted = clean_tags(details.tags)
    document.tags = [t for t in document.tags if t.tag in wanted] + [
        DocumentTag(tag=tag) for tag in wanted if tag not in document.tag_names
    ]
    document.updated_at = utcnow()


def duplicates_of(stored: StoredFile, but: Document | None = None) -> list[Document]:
    """Documents already holding these exact bytes (the caller filters what the reader sees)."""
    query = select(Document).where(Document.file_id == stored.id, Document.deleted_at.is_(None))
    if but is not None:
        query = query.where(Document.id != but.id)
    return list(db.session.scalars(query))


def add_document(
    actor: User, org: Organisation, stream: IO[bytes], filename: str, details: Details
) -> tuple[Document, bool]:
    """A new document with its first version; and whether the same file was already stored."""
    with atomic():
        stored, seen = store_upload(stream, filename)
        document = Document(organisation=org, file=stored, created_by_id=actor.id)
        _apply(document, details)
        document.versions.append(
            DocumentVersion(number=1, file=stored, filename=_name(filename), uploaded_by=actor)
        )
        db.session.add(document)
        db.session.flush()
        audit.record(actor, "document.add", org=org, document=document.id, title=document.title)
    return document, seen


def add_version(
    actor: User, document: Document, stream: IO[bytes], filename: str, note: str = ""
) -> tuple[DocumentVersion, bool]:
    """A new version of a document's file; the older ones stay in its history."""
    with atomic():
        stored, seen = store_upload(stream, filename)
        document.version_count += 1
        version = DocumentVersion(
            number=document.version_count,
            file=stored,
            filename=_name(filename),
            note=note.strip()[:300],
            uploaded_by=actor,
        )
        document.versions.append(version)
        document.file = stored
        document.updated_at = utcnow()
        audit.record(
            actor,
            "document.version",
            org=document.organisation,
            document=document.id,
            version=version.number,
        )
    return version, seen


def update_document(actor: User, document: Document, details: Details) -> None:
    """Change a document's details (title, description, language, tags, who sees it)."""
    with atomic():
        _apply(document, details)
        audit.record(actor, "document.edit", org=document.organisation, document=document.id)


def delete_document(actor: User, document: Document) -> None:
    """Move a document to the bin: hidden from everyone but its coordinators, restorable."""
    with atomic():
        document.deleted_at = utcnow()
        document.deleted_by_id = actor.id
        audit.record(actor, "document.delete", org=document.organisation, document=document.id)


def restore_document(actor: User, document: Document) -> None:
    """Take a document out of the bin, as it was."""
    with atomic():
        document.deleted_at = None
        document.deleted_by_id = None
        audit.record(actor, "document.restore", org=document.organisation, document=document.id)


def _name(filename: str) -> str:
    """The uploaded name, for the download: no folders, bounded, never empty."""
    base = filename.replace("\\", "/").rsplit("/", 1)[-1].strip()
    base = "".join(c for c in base if c.isprintable())
    return base[-200:] or "document"


def describe(details: dict[str, Any]) -> Details:
    """Details from a validated form's data."""
    return Details(
        title=details["title"],
        description=details.get("description") or "",
        language=details["language"],
        tags=clean_tags(details.get("tags") or ""),
        visibility=DocumentVisibility(details["visibility"]),
        campaign=details.get("campaign"),
    )
