"""Manifestos: a text of demands drafted together live, then endorsed by organisations.

The text itself is a shared document (app/collab/, CollabDocument); a manifesto points to
it. Its drafting committee is a set of organisations whose members may edit while drafting.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON, ForeignKey, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, deferred, mapped_column, relationship

from app.models.base import Base, UTCDateTime, enum_column, utcnow
from app.models.orgs import Organisation
from app.models.users import User


class ManifestoStatus(StrEnum):
    """Where a manifesto is in its life: drafted, open for endorsement, published, closed."""

    DRAFTING = "drafting"
    OPEN = "open"
    PUBLISHED = "published"
    CLOSED = "closed"


class DraftVisibility(StrEnum):
    """Who may read a manifesto while it is being drafted (afterwards: everyone)."""

    PUBLIC = "public"
    MOVEMENT = "movement"
    COMMITTEE = "committee"


class Manifesto(Base):
    """A manifesto: its title, language, status and the shared document of its text."""

    __tablename__ = "manifestos"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    language: Mapped[str] = mapped_column(String(8))
    status: Mapped[ManifestoStatus] = mapped_column(
        enum_column(ManifestoStatus), default=ManifestoStatus.DRAFTING, index=True
    )
    visibility: Mapped[DraftVisibility] = mapped_column(
        enum_column(DraftVisibility), default=DraftVisibility.COMMITTEE
    )
    document_id: Mapped[int] = mapped_column(ForeignKey("collab_documents.id"))
    # The text rendered once per version (the version is the shared document's last_seq).
    html: Mapped[str | None] = mapped_column(Text, default=None)
    html_version: Mapped[int] = mapped_column(Integer, default=-1)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    committee: Mapped[list[ManifestoCommittee]] = relationship(
        back_populates="manifesto", cascade="all, delete-orphan", lazy="selectin"
    )

    @property
    def committee_orgs(self) -> list[Organisation]:
        """The drafting committee's organisations, by name."""
        return sorted((c.organisation for c in self.committee), key=lambda o: o.name.casefold())


class ManifestoCommittee(Base):
    """An organisation on a manifesto's drafting committee."""

    __tablename__ = "manifesto_committee"

    manifesto_id: Mapped[int] = mapped_column(
        ForeignKey("manifestos.id", ondelete="CASCADE"), primary_key=True
    )
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), primary_key=True, index=True
    )

    manifesto: Mapped[Manifesto] = relationship(back_populates="committee")
    organisation: Mapped[Organisation] = relationship(lazy="joined")


class RevisionKind(StrEnum):
    """How a revision came about."""

    AUTOMATIC = "automatic"  # a checkpoint taken during activity
    NAMED = "named"  # someone named this state ("after the Dakar meeting")
    RESTORED = "restored"  # an older revision brought back as a new change


class ManifestoRevision(Base):
    """The whole text at one moment, numbered 1, 2, 3... per manifesto, with its authors."""

    __tablename__ = "manifesto_revisions"
    __table_args__ = (UniqueConstraint("manifesto_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    manifesto_id: Mapped[int] = mapped_column(
        ForeignKey("manifestos.id", ondelete="CASCADE"), index=True
    )
    number: Mapped[int] = mapped_column(Integer)
    seq: Mapped[int] = mapped_column(Integer)  # the shared document's version it was taken at
    kind: Mapped[RevisionKind] = mapped_column(enum_column(RevisionKind))
    name: Mapped[str] = mapped_column(String(120), default="")
    text: Mapped[str] = deferred(mapped_column(Text, default="", nullable=False))
    html: Mapped[str] = deferred(mapped_column(Text, default="", nullable=False))  # rendered once
    content_hash: Mapped[str] = mapped_column(String(64))  # SHA-256 of the text (UTF-8)
    # Who changed the text since the revision before (user ids, in order of first change).
    author_ids: Mapped[list[int]] = mapped_column(JSON, default=list)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Endorsement(Base):
    """An organisation signing a manifesto, bound to the exact revision it signed."""

    __tablename__ = "manifesto_endorsements"
    __table_args__ = (UniqueConstraint("manifesto_id", "organisation_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    manifesto_id: Mapped[int] = mapped_column(
        ForeignKey("manifestos.id", ondelete="CASCADE"), index=True
    )
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), index=True
    )
    revision_id: Mapped[int] = mapped_column(ForeignKey("manifesto_revisions.id"))
    content_hash: Mapped[str] = mapped_column(String(64))  # what was signed, kept with it
    signer_name: Mapped[str] = mapped_column(String(120))
    statement: Mapped[str] = mapped_column(Text, default="")
    signed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    signed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)

    organisation: Mapped[Organisation] = relationship(lazy="joined")
    revision: Mapped[ManifestoRevision] = relationship(lazy="joined")


class ManifestoTranslation(Base):
    """A translation: a shared document of its own, linked to its manifesto (the source)."""

    __tablename__ = "manifesto_translations"
    __table_args__ = (UniqueConstraint("manifesto_id", "language"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    manifesto_id: Mapped[int] = mapped_column(
        ForeignKey("manifestos.id", ondelete="CASCADE"), index=True
    )
    language: Mapped[str] = mapped_column(String(8))
    document_id: Mapped[int] = mapped_column(ForeignKey("collab_documents.id"))
    # The source revision the translators last brought the translation in line with.
    synced_revision_id: Mapped[int | None] = mapped_column(
        ForeignKey("manifesto_revisions.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    manifesto: Mapped[Manifesto] = relationship(lazy="joined")
    synced_revision: Mapped[ManifestoRevision | None] = relationship(lazy="joined")


class TranslatedParagraph(Base):
    """A paragraph a translator marked done, with the source paragraph it translates.

    The source paragraph's SHA-256 is kept: once the source paragraph changes, the mark no
    longer matches and the paragraph shows as out of date.
    """

    __tablename__ = "manifesto_translated_paragraphs"

    translation_id: Mapped[int] = mapped_column(
        ForeignKey("manifesto_translations.id", ondelete="CASCADE"), primary_key=True
    )
    number: Mapped[int] = mapped_column(Integer, primary_key=True)  # 0, 1, 2... in the source
    source_hash: Mapped[str] = mapped_column(String(64))
    marked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    marked_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ManifestoComment(Base):
    """A comment on a passage of a manifesto (anchored so it follows edits), or a reply."""

    __tablename__ = "manifesto_comments"

    id: Mapped[int] = mapped_column(primary_key=True)
    manifesto_id: Mapped[int] = mapped_column(
        ForeignKey("manifestos.id", ondelete="CASCADE"), index=True
    )
    parent_id: Mapped[int | None] = mapped_column(
        ForeignKey("manifesto_comments.id", ondelete="CASCADE"), index=True
    )
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    body: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str] = mapped_column(Text, default="")  # rendered once, when written
    # A Yjs relative position (v1 encoding) of the passage's start: it follows every edit.
    anchor: Mapped[bytes | None] = mapped_column(LargeBinary, default=None)
    quote: Mapped[str] = mapped_column(String(300), default="")  # the passage, as it was
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    manifesto: Mapped[Manifesto] = relationship(lazy="joined")
    author: Mapped[User | None] = relationship(foreign_keys=[author_id], lazy="joined")
