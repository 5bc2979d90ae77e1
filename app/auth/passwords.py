"""Password rules: long enough, not common, hashed with a memory-hard KDF (scrypt)."""

from __future__ import annotations

from flask_babel import gettext as _
from werkzeug.security import check_password_hash, generate_password_hash
from zxcvbn import zxcvbn

MIN_LENGTH = 10
MAX_LENGTH = 200  # bounds the work a hash costs an attacker who sends huge passwords

# A valid hash to check against when no account matches, so timing reveals nothing.
_DUMMY_HASH = generate_password_hash("caravana-timing-equaliser")


def hash_password(password: str) -> str:
    """Hash a password for storage, with scrypt."""
    return generate_password_hash(password, method="scrypt")


def check_password(password_hash: str | None, password: str) -> bool:
    """True when password matches; spends the same time when there is no account."""
    if len(password) > MAX_LENGTH:
        return False
    if not password_hash:
        check_password_hash(_DUMMY_HASH, password)
        return False
    return check_password_hash(password_hash, password)


def password_problem(password: str, *personal: str) -> str | None:
    """Why this password is refused, in the reader's language, or None when it is fine."""
    if len(password) < MIN_LENGTH:
        return _("Use at least %(count)d characters.", count=MIN_LENGTH)
    if len(password) > MAX_LENGTH:
        return _("Use at most %(count)d characters.", count=MAX_LENGTH)
    # zxcvbn knows the common-password lists and keyboard or date patterns.
    result = zxcvbn(password, user_inputs=[p for p in personal if p])
    if result["score"] < 2:
        return _(
            "This password is too easy to guess. Try a short sentence you will remember, "
            "for example three or four words."
        )
    return None
