"""Account state changes, shared by the web views and the command line."""

from __future__ import annotations

from datetime import timedelta

from flask import current_app, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select, update

from app.auth.passwords import check_password, hash_password
from app.auth.sessions import end_all_sessions
from app.campaigns.services import revoke_feed_tokens
from app.db import atomic, claim
from app.errors import ServiceError
from app.extensions import db
from app.mail import send_mail
from app.models import PasswordResetToken, User, utcnow
from app.tokens import new_token, token_digest


def normalise_email(email: str) -> str:
    """E-mail addresses are compared without case or surrounding spaces."""
    return email.strip().lower()


def find_user_by_email(email: str) -> User | None:
    """The account with this address, if any."""
    return db.session.scalar(select(User).where(User.email == normalise_email(email)))


def register_user(
    email: str,
    password: str,
    display_name: str,
    locale: str | None = None,
    timezone: str = "UTC",
    *,
    is_admin: bool = False,
) -> User:
    """Create an account; raise ServiceError when the address is taken."""
    email = normalise_email(email)
    if find_user_by_email(email):
        raise ServiceError("email_taken", _("An account with this e-mail address already exists."))
    with atomic():
        user = User(
            email=email,
            password_hash=hash_password(password),
            display_name=display_name.strip(),
            locale=locale,
            timezone=timezone,
            is_admin=is_admin,
        )
        db.session.add(user)
    return user


CONFIRM_HOURS = 48


def register_on_site(
    email: str, password: str, display_name: str, locale: str | None, timezone: str
) -> None:
    """Start an account from the registration form, answering the same whatever exists.

    A new address gets an account waiting for confirmation and a link to finish it; an
    address whose account still waits gets its details replaced and a new link (older links
    stop working); an address with an account gets a note to its owner, nothing else. The
    page that follows is the same in all three cases, so it reveals nothing.
    """
    email = normalise_email(email)
    user = find_user_by_email(email)
    with atomic():
        if user is not None and not user.awaiting_confirmation:
            _mail_owner_about_attempt(user)
            return
        if user is None:
            user = User(email=email, awaiting_confirmation=True)
            db.session.add(user)
        user.password_hash = hash_password(password)
        user.display_name, user.locale, user.timezone = display_name.strip(), locale, timezone
        db.session.flush()
        db.session.execute(
            update(PasswordResetToken)
            .where(
                PasswordResetToken.user_id == user.id,
                PasswordResetToken.purpose == "confirm",
                PasswordResetToken.used_at.is_(None),
            )
            .values(used_at=utcnow())
        )
        _mail_link(user, "confirm", CONFIRM_HOURS)


def _mail_owner_about_attempt(user: User) -> None:
    login = url_for("auth.login", _external=True)
    reset = url_for("auth.reset_request", _external=True)
    with force_locale(user.locale or "en"):
        subject = _("Someone tried to create a Caravana account with your address")
        body = _(
            "Hello %(name)s,\n\nSomeone tried to create a new Caravana account with this "
            "e-mail address. You already have an account. You can sign in here:\n\n%(login)s"
            "\n\nIf you forgot your password, you can choose a new one here:\n\n%(reset)s"
            "\n\nIf it was not you, you can ignore this message.",
            name=user.display_name,
            login=login,
            reset=reset,
        )
    send_mail(user.email, subject, body)


def _mail_link(user: User, purpose: str, hours: int) -> None:
    """Store a single-use link for the account and mail it (its secret hidden in the outbox)."""
    token = new_token(32)
    with atomic():
        db.session.add(
            PasswordResetToken(
                user_id=user.id,
                token_hash=token_digest(token),
                purpose=purpose,
                expires_at=utcnow() + timedelta(hours=hours),
            )
        )
        with force_locale(user.locale or "en"):
            subject, body = _link_mail(user, purpose, hours, token)
        send_mail(user.email, subject, body, secrets=[token])


def _link_mail(user: User, purpose: str, hours: int, token: str) -> tuple[str, str]:
    if purpose == "confirm":
        link = url_for("auth.open_confirmation", token=token, _external=True)
        return _("Finish creating your Caravana account"), _(
            "Hello %(name)s,\n\nTo finish creating your Caravana account, open this link "
            "within %(hours)d hours and type the password you chose:\n\n%(link)s\n\n"
            "If you did not ask for an account, you can ignore this message.",
            name=user.display_name,
            hours=hours,
            link=link,
        )
    link = url_for("auth.reset_password", token=token, _external=True)
    return _("Choose a new password for Caravana"), _(
        "Hello %(name)s,\n\nSomeone asked to change the password of your Caravana "
        "account. If it was you, open this link within %(hours)d hours:\n\n%(link)s\n\n"
        "The link works once. If you did not ask for this, you can ignore this message: "
        "your password stays the same.",
        name=user.display_name,
        hours=hours,
        link=link,
    )


def valid_link(token: str, purpose: str) -> PasswordResetToken | None:
    """The unused, unexpired mailed link of this purpose matching the token, or None."""
    found = db.session.scalar(
        select(PasswordResetToken).where(
            PasswordResetToken.token_hash == token_digest(token),
            PasswordResetToken.purpose == purpose,
        )
    )
    if found is None or found.used_at is not None or found.expires_at <= utcnow():
        return None
    if not found.user.is_active:
        return None
    return found


def _use_link(found: PasswordResetToken) -> None:
    if not claim(
        update(PasswordResetToken)
        .where(PasswordResetToken.id == found.id, PasswordResetToken.used_at.is_(None))
        .values(used_at=utcnow())
    ):
        raise ServiceError("link_closed", _("This link has expired or has already been used."))


def confirm_account(token: str, password: str) -> User:
    """Finish an account from its mailed link, with the password chosen when registering."""
    found = valid_link(token, "confirm")
    if found is None:
        raise ServiceError("link_closed", _("This link has expired or has already been used."))
    if not check_password(found.user.password_hash, password):
        raise ServiceError(
            "wrong_password", _("This is not the password you chose when you registered.")
        )
    with atomic():
        _use_link(found)
        found.user.awaiting_confirmation = False
    return found.user


def authenticate(email: str, password: str) -> User | None:
    """The account for these credentials, or None (also for suspended accounts)."""
    user = find_user_by_email(email)
    if not check_password(user.password_hash if user else None, password):
        return None
    return user


def set_password(user: User, password: str, keep_session: int | None = None) -> None:
    """Change the password; every other session and the personal calendar address end.

    A copied cookie or feed link is worth nothing afterwards.
    """
    with atomic():
        user.password_hash = hash_password(password)
        end_all_sessions(user, keep=keep_session)
        revoke_feed_tokens(user)


def update_profile(
    user: User, display_name: str, locale: str, timezone: str, other_name: str = ""
) -> None:
    """Change one's name (and its form in another script), language and time zone."""
    with atomic():
        user.display_name = display_name.strip()
        user.other_name = (other_name or "").strip()
        user.locale = locale
        user.timezone = timezone


def request_password_reset(email: str) -> None:
    """Mail a single-use reset link if the account exists; say nothing either way."""
    user = find_user_by_email(email)
    if user is None or not user.is_active:
        return
    _mail_link(user, "reset", current_app.config["PASSWORD_RESET_HOURS"])


def valid_reset_token(token: str) -> PasswordResetToken | None:
    """The unused, unexpired reset link matching this token, or None."""
    return valid_link(token, "reset")


def reset_password(token: str, password: str) -> User:
    """Use a reset link once to set a new password; raise ServiceError if it is not valid."""
    found = valid_reset_token(token)
    if found is None:
        raise ServiceError("link_closed", _("This link has expired or has already been used."))
    with atomic():
        _use_link(found)
        found.user.awaiting_confirmation = False  # the link proved the address is theirs
        set_password(found.user, password)
    return found.user
