"""Accounts, their signed-in sessions, known sign-in places, reset tokens and live sockets."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from flask_login import UserMixin
from sqlalchemy import JSON, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import Base, TimestampMixin

if TYPE_CHECKING:
    from app.models.orgs import Membership


class User(UserMixin, TimestampMixin, Base):
    """A person with an account: a member, coordinator or platform administrator."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    display_name: Mapped[str] = mapped_column(String(80))
    # The same name in another script ("نورة" for "Noura"), optional: mentions match either.
    other_name: Mapped[str] = mapped_column(String(80), default="", server_default="")
    locale: Mapped[str | None] = mapped_column(String(8))
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    is_admin: Mapped[bool] = mapped_column(default=False)
    suspended_at: Mapped[datetime | None]
    # Registered on the site and the address not yet confirmed: cannot sign in until the link
    # mailed to it is opened (so registering never reveals whether an address has an account).
    awaiting_confirmation: Mapped[bool] = mapped_column(default=False)

    memberships: Mapped[list[Membership]] = relationship(
        back_populates="user", cascade="all, delete-orphan"
    )

    # The signed-in session this object was loaded for (set by the session loader), so that
    # Flask-Login stores the session's key, not the account's, in cookies: each session can
    # then be ended on its own, server-side.
    session_key = None  # str, the key of the session it was loaded for

    @property
    def is_active(self) -> bool:  # type: ignore[override]
        """Suspended accounts cannot sign in."""
        return self.suspended_at is None

    def get_id(self) -> str:
        """The key of the signed-in session (what Flask-Login keeps in the cookies)."""
        if self.session_key is None:
            raise RuntimeError("no session opened for this account (auth.sessions.open_session)")
        return self.session_key

    def __repr__(self) -> str:
        return f"<User {self.id}>"


class PasswordResetToken(TimestampMixin, Base):
    """A single-use, expiring link mailed to an account; only the token's hash is stored.

    ``purpose`` says what it does: ``reset`` (choose a new password) or ``confirm`` (finish
    creating the account).
    """

    __tablename__ = "password_reset_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    purpose: Mapped[str] = mapped_column(String(16), default="reset")
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]

    user: Mapped[User] = relationship()


class UserSession(Base):
    """One signed-in session (a browser or phone), ended server-side on sign-out."""

    __tablename__ = "user_sessions"
    SEEN_EVERY = timedelta(minutes=5)  # how often a session's "last seen" is written down

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime]
    last_seen_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]
    remember: Mapped[bool] = mapped_column(default=False)
    user_agent: Mapped[str] = mapped_column(String(200), default="")

    user: Mapped[User] = relationship()


class KnownSignIn(Base):
    """A place (network address or browser) from which an account signed in successfully.

    Failed attempts from elsewhere never lock the owner out from here.
    """

    __tablename__ = "known_sign_ins"
    __table_args__ = (UniqueConstraint("user_id", "digest"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    digest: Mapped[str] = mapped_column(String(64))  # sha256 of "address:..." or "device:..."
    last_at: Mapped[datetime]


class LiveSocket(Base):
    """An open Socket.IO connection, so a revoked user can be cut off from every process."""

    __tablename__ = "live_sockets"

    sid: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    connected_at: Mapped[datetime]
    session_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_sessions.id", ondelete="CASCADE"), index=True
    )
    # Refreshed by its process while the connection lives: rows of a crashed process expire.
    seen_at: Mapped[datetime | None]
    # The audience channels this connection was put in, so a change of access can take it
    # out of exactly those it lost, from any process.
    channels: Mapped[list[str]] = mapped_column(JSON, default=list)
