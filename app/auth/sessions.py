"""Signed-in sessions kept server-side, so that each can be ended at once.

A session is a row with a secret; the browser's cookies (Flask's session and the remember-me
cookie) hold only ``<row id>.<secret>``. Loading a request's user checks that row, so signing
out, changing the password or suspending an account works even against a copied cookie.
"""

from __future__ import annotations

import hmac

from flask import g, has_request_context, request
from sqlalchemy import select, update
from sqlalchemy.orm import joinedload

from app.db import atomic, on_commit
from app.extensions import db
from app.models import User, UserSession, utcnow
from app.realtime import disconnect_session, disconnect_user
from app.tokens import new_token, token_digest


def open_session(user: User, remember: bool = False) -> str:
    """Start a session for this account; return its key (also set on user for Flask-Login)."""
    token = new_token()
    now = utcnow()
    agent = request.headers.get("User-Agent", "")[:200] if has_request_context() else ""
    with atomic():
        row = UserSession(
            user_id=user.id,
            token_hash=token_digest(token),
            created_at=now,
            last_seen_at=now,
            remember=remember,
            user_agent=agent,
        )
        db.session.add(row)
        db.session.flush()
    user.session_key = f"{row.id}.{token}"
    return user.session_key


def _parse(key: str) -> tuple[int, str] | None:
    number, _, token = (key or "").partition(".")
    if not number.isdigit() or len(number) > 12 or not token:
        return None
    return int(number), token


def load_user(key: str) -> User | None:
    """The account of a live session key, or None (ended, unknown, or suspended account)."""
    parsed = _parse(key)
    if parsed is None:
        return None
    number, token = parsed
    # One round trip for both (every socket event loads its person again).
    row = db.session.scalar(
        select(UserSession).options(joinedload(UserSession.user)).where(UserSession.id == number)
    )
    if row is None or row.revoked_at is not None or not row.user.is_active:
        return None
    if not hmac.compare_digest(row.token_hash, token_digest(token)):
        return None
    if utcnow() - row.last_seen_at > UserSession.SEEN_EVERY:
        with atomic():
            row.last_seen_at = utcnow()
    user = row.user
    user.session_key = key
    if has_request_context():
        g.session_id = row.id
    return user


def current_session_id() -> int | None:
    """The session row of the current request, if someone is signed in."""
    return g.get("session_id") if has_request_context() else None


def active_sessions(user: User) -> list[UserSession]:
    """The account's sessions that still work, most recently seen first."""
    return list(
        db.session.scalars(
            select(UserSession)
            .where(UserSession.user_id == user.id, UserSession.revoked_at.is_(None))
            .order_by(UserSession.last_seen_at.desc())
        )
    )


def end_session(user: User, session_id: int) -> None:
    """End one session of this account (sign-out); its live connections close."""
    with atomic():
        db.session.execute(
            update(UserSession)
            .where(
                UserSession.id == session_id,
                UserSession.user_id == user.id,
                UserSession.revoked_at.is_(None),
            )
            .values(revoked_at=utcnow())
        )
        on_commit(lambda: disconnect_session(session_id))


def end_all_sessions(user: User, keep: int | None = None) -> None:
    """End every session of this account but `keep`; their live connections close."""
    with atomic():
        query = update(UserSession).where(
            UserSession.user_id == user.id, UserSession.revoked_at.is_(None)
        )
        if keep is not None:
            query = query.where(UserSession.id != keep)
        db.session.execute(query.values(revoked_at=utcnow()))
        on_commit(lambda: disconnect_user(user.id, keep_session=keep))
