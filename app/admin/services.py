"""Administrator actions on accounts."""

from __future__ import annotations

from app import audit
from app.db import atomic
from app.models import User, utcnow
from app.realtime import disconnect_after_commit


def suspend_user(actor: User, user: User) -> None:
    """Suspend an account: it cannot sign in, and its live connections close at once."""
    if user.suspended_at is not None:
        return
    with atomic():
        user.suspended_at = utcnow()
        audit.record(actor, "user.suspend", target=user)
        disconnect_after_commit(user.id)


def unsuspend_user(actor: User, user: User) -> None:
    """Let a suspended person sign in again."""
    if user.suspended_at is None:
        return
    with atomic():
        user.suspended_at = None
        audit.record(actor, "user.unsuspend", target=user)
