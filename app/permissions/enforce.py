"""Stopping a request that the policy refuses."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from flask import abort
from flask_login import current_user

from app.extensions import login_manager
from app.permissions.accounts import signed_in

T = TypeVar("T")


def require(allowed: bool) -> None:
    """Stop the request unless allowed: sign-in page for visitors, 403 for the signed-in."""
    if allowed:
        return
    if not signed_in(current_user):
        abort(login_manager.unauthorized())
    abort(403)


def require_or_404(allowed: bool) -> None:
    """Stop the request with 404, so that the resource's existence is not revealed."""
    if not allowed:
        abort(404)


def found_or_404(
    obj: T | None, check: Callable[[Any, T], bool] | None = None, user: Any = None
) -> T:
    """The object, when it exists and ``check(user, obj)`` allows it; else 404.

    The 404 hides whether it exists. Every feature's ``get_..._or_404`` is written with it.
    """
    if obj is None or (check is not None and not check(user, obj)):
        abort(404)
    return obj
