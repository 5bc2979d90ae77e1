"""Slowing down password guessing without letting anyone lock the owner out.

Failed sign-ins are counted per account-and-address pair (a guesser is slowed down, minute by
minute), and per account and per address over longer windows — except from a place the
account already signed in from successfully (its network address, or this browser's device
cookie): a stranger's failures never block the owner at home or on their own phone.
"""

from __future__ import annotations

import hashlib
import hmac

from flask import Response, current_app, request
from flask_limiter.util import get_remote_address
from sqlalchemy import select

from app.auth.services import find_user_by_email, normalise_email
from app.db import atomic
from app.extensions import db
from app.models import KnownSignIn, User, utcnow
from app.tokens import new_token

DEVICE_COOKIE = "device"
DEVICE_DAYS = 400


def _email() -> str:
    return normalise_email(request.form.get("email", ""))[:254]


def pair_key() -> str:
    """Rate-limit key of one account tried from one network address."""
    return f"login-pair:{_email()}:{get_remote_address()}"


def account_key() -> str:
    """Rate-limit key of one account, wherever the attempts come from."""
    return f"login-account:{_email()}"


def failed(response: Response) -> bool:
    """Count an attempt only when it did not sign in."""
    return response.status_code != 302


def _digest(kind: str, value: str) -> str:
    # Keyed, so that a copy of the database does not reveal people's network addresses.
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, f"{kind}:{value}".encode(), hashlib.sha256).hexdigest()


def _places() -> list[str]:
    places = [_digest("address", get_remote_address() or "")]
    if device := request.cookies.get(DEVICE_COOKIE):
        places.append(_digest("device", device[:64]))
    return places


def from_known_place() -> bool:
    """Whether this attempt comes from where the account signed in successfully before."""
    user = find_user_by_email(_email())
    if user is None:
        return False
    return (
        db.session.scalar(
            select(KnownSignIn.id).where(
                KnownSignIn.user_id == user.id, KnownSignIn.digest.in_(_places())
            )
        )
        is not None
    )


def remember_place(user: User, response: Response) -> None:
    """After a successful sign-in: remember this address and browser for the account."""
    device = request.cookies.get(DEVICE_COOKIE) or new_token(16)
    now = utcnow()
    with atomic():
        for digest in {_digest("address", get_remote_address() or ""), _digest("device", device)}:
            found = db.session.scalar(
                select(KnownSignIn).where(
                    KnownSignIn.user_id == user.id, KnownSignIn.digest == digest
                )
            )
            if found is None:
                db.session.add(KnownSignIn(user_id=user.id, digest=digest, last_at=now))
            else:
                found.last_at = now
    response.set_cookie(
        DEVICE_COOKIE,
        device,
        max_age=DEVICE_DAYS * 24 * 3600,
        httponly=True,
        samesite="Lax",
        secure=current_app.config["SESSION_COOKIE_SECURE"],
    )
