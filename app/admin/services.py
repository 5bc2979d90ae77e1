"""Administrator actions on accounts."""

from __future__ import annotations

from app import audit
from app.extensions import db
from app.models import User, utcnow
from app.realtime import disconnect_user


def suspend_user(actor: User, user: User) -> None:
    """Suspend an account: it cannot sign in, and its live connections close at once."""
    if user.suspended_at is not None:
        return
    user.suspended_at = utcnow()
    audit.record(actor, "user.suspend", target=user)
    db.session.commit()
    disconnect_user(user.id)


def unsuspend_user(actor: User, user: User) -> None:
    if user.suspended_at is None:
        return
    user.suspended_at = None
    audit.record(actor, "user.unsuspend", target=user)
    db.session.commit()
