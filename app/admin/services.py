"""Administrator actions on accounts."""

from __future__ import annotations

from app import audit
from app.auth.sessions import end_all_sessions
from app.db import atomic
from app.models import User, utcnow


def suspend_user(actor: User, user: User) -> None:
    """Suspend an account: it cannot sign in, and its live connections close at once."""
    if user.suspended_at is not None:
        return
    with atomic():
        user.suspended_at = utcnow()
        audit.record(actor, "user.suspend", target=user)
        end_all_sessions(user)


def unsuspend_user(actor: User, user: User) -> None:
    """Let a suspended person sign in again."""
    if user.suspended_at is None:
        return
    with atomic():
        user.suspended_at = None
        audit.record(actor, "user.unsuspend", target=user)
