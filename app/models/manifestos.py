"""Manifestos: a text of demands drafted together live, then endorsed by organisations.

The text itself is a shared document (app/collab/, CollabDocument); a manifesto points to
it. Its drafting committee is a set of organisations whose members may edit while drafting.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import Base, UTCDateTime, enum_column, utcnow
from app.models.orgs import Organisation


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
