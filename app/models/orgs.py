"""Member organisations, their members, invitations and join requests."""

from __future__ import annotations

import unicodedata
from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from app.models.base import Base, TimestampMixin, enum_column
from app.models.users import User


class OrgStatus(StrEnum):
    """Where an organisation stands in the approval queue."""

    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"


class Role(StrEnum):
    """A person's role inside one organisation."""

    MEMBER = "member"
    COORDINATOR = "coordinator"


class RequestStatus(StrEnum):
    """Where a request to join stands."""

    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"


TATWEEL = "\u0640"  # Arabic stretching of a word: a matter of layout, not of spelling


def fold(text: str) -> str:
    """Text as search compares it: no case, no accents or Arabic vowel marks ("Comité" -> "comite").

    NFKD splits a letter from its marks (é -> e + ´, أ -> ا + hamza), then the marks go.
    """
    decomposed = unicodedata.normalize("NFKD", text.replace(TATWEEL, "")).casefold()
    return "".join(c for c in decomposed if not unicodedata.combining(c))


class Organisation(TimestampMixin, Base):
    """An association or family committee of the movement."""

    __tablename__ = "organisations"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    # fold(name), kept by the validator below, so any database matches without accents or case.
    name_folded: Mapped[str] = mapped_column(Text, default="")
    country: Mapped[str] = mapped_column(String(2), index=True)
    region: Mapped[str] = mapped_column(String(80), default="", index=True)
    description: Mapped[str] = mapped_column(Text, default="")
    description_html: Mapped[str] = mapped_column(Text, default="")  # rendered once, when written
    website: Mapped[str] = mapped_column(String(300), default="")
    contact_email: Mapped[str] = mapped_column(String(254), default="")
    status: Mapped[OrgStatus] = mapped_column(enum_column(OrgStatus), default=OrgStatus.PENDING)
    requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    decided_at: Mapped[datetime | None]

    requested_by: Mapped[User | None] = relationship()
    languages: Mapped[list[OrganisationLanguage]] = relationship(
        cascade="all, delete-orphan", order_by="OrganisationLanguage.code", lazy="selectin"
    )
    memberships: Mapped[list[Membership]] = relationship(
        back_populates="organisation", cascade="all, delete-orphan"
    )

    @validates("name")
    def _fold_name(self, _key: str, value: str) -> str:
        """Keep the searchable form of the name with every write of the name."""
        self.name_folded = fold(value or "")
        return value

    @property
    def language_codes(self) -> list[str]:
        """The organisation's working languages as ISO 639-1 codes."""
        return [lang.code for lang in self.languages]

    @property
    def is_approved(self) -> bool:
        """True once an administrator has approved the organisation."""
        return self.status == OrgStatus.APPROVED


class OrganisationLanguage(Base):
    """One working language of an organisation."""

    __tablename__ = "organisation_languages"

    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), primary_key=True
    )
    code: Mapped[str] = mapped_column(String(8), primary_key=True, index=True)


class Membership(TimestampMixin, Base):
    """A person's membership of one organisation, with their role there."""

    __tablename__ = "memberships"
    __table_args__ = (UniqueConstraint("user_id", "organisation_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), index=True
    )
    role: Mapped[Role] = mapped_column(enum_column(Role), default=Role.MEMBER)

    user: Mapped[User] = relationship(back_populates="memberships")
    organisation: Mapped[Organisation] = relationship(back_populates="memberships")


class Invitation(TimestampMixin, Base):
    """A single-use, expiring invitation link; only the token's hash is stored."""

    __tablename__ = "invitations"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), index=True
    )
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    note: Mapped[str] = mapped_column(String(120), default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
    used_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    revoked_at: Mapped[datetime | None]

    organisation: Mapped[Organisation] = relationship()
    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])
    used_by: Mapped[User | None] = relationship(foreign_keys=[used_by_id])


class JoinRequest(TimestampMixin, Base):
    """A person's request to join an organisation, decided by its coordinators."""

    __tablename__ = "join_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    message: Mapped[str] = mapped_column(String(1000), default="")
    status: Mapped[RequestStatus] = mapped_column(
        enum_column(RequestStatus), default=RequestStatus.PENDING
    )
    decided_at: Mapped[datetime | None]
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    organisation: Mapped[Organisation] = relationship()
    user: Mapped[User] = relationship(foreign_keys=[user_id])
