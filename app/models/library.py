"""The shared library: documents, their versions, the stored files and their extracted text."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, deferred, mapped_column, relationship

from app.models.base import Base, TimestampMixin, enum_column, utcnow
from app.models.campaigns import Campaign
from app.models.orgs import Organisation
from app.models.users import User


class DocumentVisibility(StrEnum):
    """Who may find and open a document."""

    PUBLIC = "public"  # everyone, also without an account
    MOVEMENT = "movement"  # members of every approved organisation
    ORGANISATION = "organisation"  # members of the owning organisation only


class ExtractionStatus(StrEnum):
    """Where a file's text stands: waiting, being read, found, or why not."""

    QUEUED = "queued"
    WORKING = "working"
    INDEXED = "indexed"  # text found and searchable
    EMPTY = "empty"  # a valid file with no text
    SCANNED = "scanned"  # a PDF of page images: no text layer to read
    FAILED = "failed"  # see StoredFile.reason

    @property
    def done(self) -> bool:
        """True once the worker has finished with the file, whatever came of it."""
        return self not in (ExtractionStatus.QUEUED, ExtractionStatus.WORKING)


class StoredFile(TimestampMixin, Base):
    """One uploaded file's bytes, stored once however many versions share them (by SHA-256)."""

    __tablename__ = "library_files"

    id: Mapped[int] = mapped_column(primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64), unique=True)
    size: Mapped[int]
    kind: Mapped[str] = mapped_column(String(8))  # pdf, docx, odt, md, txt: decided by content
    # A random name under UPLOAD_DIR: never the uploader's file name, never guessable.
    storage_name: Mapped[str] = mapped_column(String(80), unique=True)
    status: Mapped[ExtractionStatus] = mapped_column(
        enum_column(ExtractionStatus), default=ExtractionStatus.QUEUED, index=True
    )
    reason: Mapped[str | None] = mapped_column(String(40))  # extract.REASONS when failed
    pages: Mapped[int | None]
    # Loaded only when asked for: lists never carry megabytes of text.
    text: Mapped[str] = deferred(mapped_column(Text, default=""))
    text_chars: Mapped[int] = mapped_column(default=0)
    claimed_at: Mapped[datetime | None]  # a worker took it (a crashed worker's claim expires)
    attempts: Mapped[int] = mapped_column(default=0)
    extracted_at: Mapped[datetime | None]


class Document(TimestampMixin, Base):
    """A testimony, report, legal guide or data set in the library, owned by an organisation."""

    __tablename__ = "documents"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    description_html: Mapped[str] = mapped_column(Text, default="")  # rendered once, when written
    language: Mapped[str] = mapped_column(String(8))
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), index=True
    )
    campaign_id: Mapped[int | None] = mapped_column(
        ForeignKey("campaigns.id", ondelete="SET NULL"), index=True
    )
    visibility: Mapped[DocumentVisibility] = mapped_column(
        enum_column(DocumentVisibility), default=DocumentVisibility.ORGANISATION
    )
    # The current version's file, kept here so lists need no join through the versions.
    file_id: Mapped[int] = mapped_column(ForeignKey("library_files.id"), index=True)
    version_count: Mapped[int] = mapped_column(default=1)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    deleted_at: Mapped[datetime | None]
    deleted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    organisation: Mapped[Organisation] = relationship()
    campaign: Mapped[Campaign | None] = relationship()
    file: Mapped[StoredFile] = relationship()
    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])
    tags: Mapped[list[DocumentTag]] = relationship(
        cascade="all, delete-orphan", order_by="DocumentTag.tag", lazy="selectin"
    )
    versions: Mapped[list[DocumentVersion]] = relationship(
        back_populates="document",
        cascade="all, delete-orphan",
        order_by="DocumentVersion.number.desc()",
    )

    @property
    def is_deleted(self) -> bool:
        """True while the document is in the bin (its coordinators may restore it)."""
        return self.deleted_at is not None

    @property
    def tag_names(self) -> list[str]:
        """The document's tags, sorted."""
        return [t.tag for t in self.tags]


class DocumentTag(Base):
    """One tag of a document ("legal guide", "testimony"), folded for matching."""

    __tablename__ = "document_tags"

    document_id: Mapped[int] = mapped_column(
        ForeignKey("documents.id", ondelete="CASCADE"), primary_key=True
    )
    tag: Mapped[str] = mapped_column(String(40), primary_key=True, index=True)


class DocumentVersion(Base):
    """One upload of a document's file; the history keeps every one."""

    __tablename__ = "document_versions"
    __table_args__ = (UniqueConstraint("document_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"))
    number: Mapped[int]
    file_id: Mapped[int] = mapped_column(ForeignKey("library_files.id"), index=True)
    filename: Mapped[str] = mapped_column(String(200))  # as uploaded, for the download name
    note: Mapped[str] = mapped_column(String(300), default="")  # "what changed"
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    uploaded_at: Mapped[datetime] = mapped_column(default=utcnow)

    document: Mapped[Document] = relationship(back_populates="versions")
    file: Mapped[StoredFile] = relationship()
    uploaded_by: Mapped[User | None] = relationship()
