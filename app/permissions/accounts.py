"""Accounts: who is signed in, who administers the platform, who may suspend whom."""

from __future__ import annotations

from typing import Any

from app.models import User
from app.permissions.principals import principals


def signed_in(user: Any) -> bool:
    """Signed in with an account that is not suspended."""
    return "signed-in" in principals(user)


def is_admin(user: Any) -> bool:
    """Platform administrator with an active account."""
    return "admin" in principals(user)


def can_use_account(user: Any) -> bool:
    """Use the signed-in parts of the site and open live connections."""
    return signed_in(user)


def can_administer(user: Any) -> bool:
    """Approve organisations, suspend accounts, read the audit log and the mail outbox."""
    return is_admin(user)


def can_suspend(actor: Any, target: User) -> bool:
    """Admins suspend other people's accounts, never their own."""
    return is_admin(actor) and actor.id != target.id
