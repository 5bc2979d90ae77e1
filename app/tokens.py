"""Secret link tokens: made here, stored only as digests."""

from __future__ import annotations

import hashlib
import secrets


def new_token(nbytes: int = 24) -> str:
    """A new unguessable token for a link (shown once, never stored)."""
    return secrets.token_urlsafe(nbytes)


def token_digest(token: str) -> str:
    """Only digests of link tokens are stored, so a database leak reveals no working link."""
    return hashlib.sha256(token.encode()).hexdigest()
