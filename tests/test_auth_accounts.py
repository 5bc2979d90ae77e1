"""Accounts as a person meets them: register, sign in and out, limits, reset, profile."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app.mail import spooled
from app.models import OutboxMail, PasswordResetToken, User, utcnow
from tests import factories
from tests.conftest import login_with_form, running_app, sign_in

GOOD_PASSWORD = "a sunny walk to the sea"
NEW_PASSWORD = "blue lanterns over the harbour"
WRONG_CREDENTIALS = "The e-mail address or the password is not right."
RESET_SENT = "If an account uses this address, we have sent it a link"
LINK_USED = "This link has expired or has already been used."
RESET_LINK = re.compile(r"https?://[^\s/]+/account/reset/([A-Za-z0-9_-]+)")


# ---------------------------------------------------------------- helpers


def register(client, **overrides):
    data = {
        "display_name": "Marta Flores",
        "email": "marta@example.org",
        "password": GOOD_PASSWORD,
        "confirm": GOOD_PASSWORD,
        "locale": "en",
        "timezone": "America/Tegucigalpa",
        **overrides,
    }
    return client.post("/account/register", data=data)


def is_signed_in(client) -> bool:
    return client.get("/account/profile").status_code == 200


def user_count(db) -> int:
    return db.session.scalar(select(func.count()).select_from(User))


def outbox(db) -> list[OutboxMail]:
    return list(db.session.scalars(select(OutboxMail).order_by(OutboxMail.id)))


def request_reset_link(client, db, user) -> str:
    """Ask for a reset link for user and return the token from the mail they receive."""
    client.post("/account/reset", data={"email": user.email})
    spool = client.application.config["MAIL_SPOOL_DIR"]
    mails = [m for m in spooled(spool) if m["To"] == user.email]
    assert mails, "no reset mail was sent"
    match = RESET_LINK.search(mails[-1].get_content())
    assert match, "the reset mail contains no link"
    return match.group(1)


def set_cookie_header(response, name: str) -> str:
    headers = [h for h in response.headers.getlist("Set-Cookie") if h.startswith(name + "=")]
    assert headers, f"no {name} cookie was set"
    return headers[-1]


# ---------------------------------------------------------------- registration


CONFIRM_LINK = re.compile(r"https?://[^\s/]+/account/confirm/([A-Za-z0-9_-]+)")
CHECK_MAIL = "Open the link in it to finish creating your account."


def mails_to(client, address: str):
    spool = client.application.config["MAIL_SPOOL_DIR"]
    return [m for m in spooled(spool) if m["To"] == address]


def confirm_from_mail(client, address: str, password: str = GOOD_PASSWORD):
    """Open the newest confirmation link mailed to address and finish with password."""
    [*_, mail] = mails_to(client, address)
    token = CONFIRM_LINK.search(mail.get_content()).group(1)
    opened = client.get(f"/account/confirm/{token}")
    assert opened.status_code == 302 and token not in opened.location
    return client.post(opened.location, data={"password": password})


def test_registering_mails_a_link_that_finishes_the_account(client, db):
    """Registering sends a link; opening it and typing the password signs you in. The address
    is kept in lower case."""
    response = register(client, email="Marta.Flores@Example.ORG")
    assert response.status_code == 302
    assert CHECK_MAIL in client.get(response.location).text
    assert not is_signed_in(client)
    user = db.session.scalar(select(User))
    assert user.email == "marta.flores@example.org" and user.awaiting_confirmation
    assert login_with_form(client, user.email, GOOD_PASSWORD).status_code == 401  # not yet
    finished = confirm_from_mail(client, "marta.flores@example.org")
    assert finished.status_code == 302
    assert is_signed_in(client)
    assert not user.awaiting_confirmation and user.timezone == "America/Tegucigalpa"


def test_registering_an_address_that_has_an_account_reveals_nothing(app, client, db):
    """The same answer as for a new address; the owner gets a note, nothing is created."""
    factories.make_user(email="marta@example.org")
    taken = register(client, email="MARTA@Example.org")
    fresh = register(app.test_client(), email="nobody-yet@example.org")
    assert taken.status_code == fresh.status_code == 302
    assert taken.location == fresh.location
    assert user_count(db) == 2  # the existing account and the new, waiting one
    [note] = mails_to(client, "marta@example.org")
    assert "already have an account" in note.get_content()
    assert "/account/confirm/" not in note.get_content()
    assert not is_signed_in(client)


def test_a_confirmation_link_needs_the_password_chosen_when_registering(app, client, db):
    """Someone who registered another person's address cannot finish (nor later use) that
    account: the owner registers again, and only the owner's own link and password work."""
    stranger = app.test_client()
    register(stranger, email="ana@example.org", password="the strangers secret phrase",
             confirm="the strangers secret phrase")  # fmt: skip
    register(client, email="ana@example.org")  # the owner, with her own password
    refused = confirm_from_mail(app.test_client(), "ana@example.org", "the strangers secret phrase")
    assert refused.status_code == 200
    assert "This is not the password you chose when you registered." in refused.text
    first_link = CONFIRM_LINK.search(mails_to(client, "ana@example.org")[0].get_content())
    assert client.get(f"/account/confirm/{first_link.group(1)}").status_code == 302
    assert "expired or has already been used" in client.get("/account/register").text
    assert confirm_from_mail(client, "ana@example.org").status_code == 302
    assert is_signed_in(client)
    later = login_with_form(app.test_client(), "ana@example.org", "the strangers secret phrase")
    assert later.status_code == 401


def test_register_refuses_a_short_password(client, db):
    """A password shorter than 10 characters is refused."""
    response = register(client, password="kq8#zW!p", confirm="kq8#zW!p")
    assert "Use at least 10 characters." in response.text
    assert user_count(db) == 0


@pytest.mark.parametrize("password", ["password123", "1234567890", "qwertyuiop"])
def test_register_refuses_common_passwords(client, db, password):
    """A common, easy-to-guess password is refused."""
    response = register(client, password=password, confirm=password)
    assert "This password is too easy to guess." in response.text
    assert user_count(db) == 0


def test_register_refuses_passwords_that_differ(client, db):
    """Typing two different passwords is refused."""
    response = register(client, confirm=GOOD_PASSWORD + "!")
    assert "The two passwords are not the same." in response.text
    assert user_count(db) == 0


def test_register_refuses_an_unknown_time_zone(client, db):
    """A time zone that is not on the list is refused."""
    response = register(client, timezone="Mars/Olympus_Mons")
    assert "Choose a time zone from the list." in response.text
    assert user_count(db) == 0


# ---------------------------------------------------------------- signing in


def test_sign_in_with_right_credentials_redirects_and_signs_in(client, db):
    """The right address and password take you in."""
    user = factories.make_user()
    response = login_with_form(client, user.email.upper())
    assert response.status_code == 302
    assert is_signed_in(client)


@pytest.mark.parametrize("known", [True, False], ids=["wrong-password", "unknown-address"])
def test_wrong_credentials_are_refused_with_one_message(client, db, known):
    """A wrong password and an unknown address get the same message, and no sign-in."""
    email = factories.make_user().email if known else "nobody@example.org"
    response = login_with_form(client, email, "not my password at all")
    assert response.status_code == 401
    assert WRONG_CREDENTIALS in response.text
    assert "suspended" not in response.text
    assert not is_signed_in(client)


def test_sign_in_returns_to_the_local_page_asked_for(client, db):
    """After signing in you land on the page you were trying to open."""
    user = factories.make_user()
    response = client.post(
        "/account/login?next=/account/profile",
        data={"email": user.email, "password": factories.PASSWORD},
    )
    assert response.status_code == 302
    assert response.location.endswith("/account/profile")


@pytest.mark.parametrize(
    "target",
    ["https://evil.example/", "//evil.example/x", "/\\evil.example", "https:/evil.example"],
)
def test_sign_in_never_redirects_to_another_site(client, db, target):
    """A 'next' link pointing to another site is ignored after signing in."""
    user = factories.make_user()
    response = client.post(
        "/account/login",
        query_string={"next": target},
        data={"email": user.email, "password": factories.PASSWORD},
    )
    assert response.status_code == 302
    assert "evil.example" not in response.location


# ---------------------------------------------------------------- cookies


def test_only_keep_me_signed_in_sets_a_remember_cookie(client, db):
    """Only 'Keep me signed in' leaves a long-lived sign-in cookie on the device."""
    user = factories.make_user()
    login_with_form(client, user.email)
    assert client.get_cookie("remember_token") is None
    client.post("/account/logout")
    header = set_cookie_header(login_with_form(client, user.email, remember="y"), "remember_token")
    assert "HttpOnly" in header
    assert "SameSite=Lax" in header


def test_session_cookie_is_http_only_and_same_site_lax(client, db):
    """The sign-in cookie cannot be read by scripts or sent by other sites' forms."""
    user = factories.make_user()
    header = set_cookie_header(login_with_form(client, user.email), "session")
    assert "HttpOnly" in header
    assert "SameSite=Lax" in header
    assert "Secure" not in header


@pytest.fixture
def https_app(tmp_path):
    """An application configured as it runs behind HTTPS."""
    with running_app(tmp_path, SESSION_COOKIE_SECURE=True, REMEMBER_COOKIE_SECURE=True) as app:
        yield app


def test_cookies_are_secure_when_served_over_https(https_app):
    """Over HTTPS the sign-in cookies are never sent over plain HTTP."""
    user = factories.make_user()
    client = https_app.test_client()
    response = client.post(
        "/account/login",
        base_url="https://localhost",
        data={"email": user.email, "password": factories.PASSWORD, "remember": "y"},
    )
    assert response.status_code == 302
    assert "Secure" in set_cookie_header(response, "session")
    assert "Secure" in set_cookie_header(response, "remember_token")


# ---------------------------------------------------------------- rate limits


def from_address(app, address: str):
    """A browser on another network (each test client otherwise shares 127.0.0.1)."""
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


def test_a_guesser_is_slowed_down_and_told_how_long_to_wait(client, db):
    """Five wrong passwords in a minute from one place: that place waits, and is told how long."""
    user = factories.make_user()
    for _ in range(5):
        assert login_with_form(client, user.email, "not my password at all").status_code == 401
    response = login_with_form(client, user.email)
    assert response.status_code == 429
    assert "Too many attempts" in response.text
    assert "Please wait 1 minute before you try again." in response.text
    assert 0 < int(response.headers["Retry-After"]) <= 60
    assert not is_signed_in(client)


def test_a_strangers_failures_never_lock_the_owner_out_at_home(app, db):
    """The probe's lock-out: someone elsewhere fails many times; the owner still signs in from
    the phone and the network they used before."""
    user = factories.make_user()
    phone = from_address(app, "198.51.100.7")
    assert login_with_form(phone, user.email).status_code == 302
    phone.post("/account/logout")
    for n in range(15):
        stranger = from_address(app, f"203.0.113.{n}")  # a new address each time
        login_with_form(stranger, user.email, f"wrong guess {n}")
    assert login_with_form(from_address(app, "203.0.113.99"), user.email).status_code == 429
    assert login_with_form(phone, user.email).status_code == 302  # known browser and address
    assert is_signed_in(phone)
    new_browser_at_home = from_address(app, "198.51.100.7")
    assert login_with_form(new_browser_at_home, user.email).status_code == 302  # known address


def test_account_limit_is_shared_between_capitalisations(client, db):
    """Changing the capitals of the address does not give more guesses."""
    user = factories.make_user()
    for n in range(5):
        email = user.email.upper() if n % 2 else user.email
        login_with_form(client, email, f"wrong guess {n}")
    assert login_with_form(client, user.email.title()).status_code == 429


def test_thirty_failures_from_one_address_block_the_next_attempt(client, db):
    """Guessing across many accounts from one address is stopped after 30 tries."""
    for n in range(30):
        response = login_with_form(client, f"guess{n}@example.org", "not my password at all")
        assert response.status_code == 401
    user = factories.make_user()
    response = login_with_form(client, user.email)
    assert response.status_code == 429
    assert "Too many attempts" in response.text


def test_too_many_attempts_page_is_in_the_reader_language(client, db):
    """The 'too many attempts' page speaks the browser's language."""
    user = factories.make_user()
    headers = {"Accept-Language": "es"}
    for _ in range(5):
        client.post(
            "/account/login",
            headers=headers,
            data={"email": user.email, "password": "not my password at all"},
        )
    response = client.post(
        "/account/login",
        headers=headers,
        data={"email": user.email, "password": factories.PASSWORD},
    )
    assert response.status_code == 429
    assert "Demasiados intentos" in response.text


def test_successful_sign_ins_do_not_count_against_the_account(client, db):
    """Signing in and out several times never locks you out."""
    user = factories.make_user()
    for _ in range(6):
        assert login_with_form(client, user.email).status_code == 302
        assert client.post("/account/logout").status_code == 302
    assert login_with_form(client, user.email).status_code == 302
    assert is_signed_in(client)


# ---------------------------------------------------------------- suspension


def test_suspended_user_cannot_sign_in(client, db):
    """A suspended person is told so and is not signed in."""
    user = factories.make_user()
    user.suspended_at = utcnow()
    db.session.commit()
    response = login_with_form(client, user.email)
    assert response.status_code == 401
    assert "This account is suspended." in response.text
    assert not is_signed_in(client)


def test_suspension_ends_a_session_already_open(client, db):
    """Someone signed in when suspended is signed out on their next page."""
    user = factories.make_user()
    sign_in(client, user)
    assert is_signed_in(client)
    user.suspended_at = utcnow()
    db.session.commit()
    response = client.get("/account/profile")
    assert response.status_code == 302
    assert "/account/login" in response.location


# ---------------------------------------------------------------- password reset


def test_reset_request_mails_a_link_in_the_user_language(client, db):
    """Asking for a new password sends one mail, in your language, with a link."""
    user = factories.make_user(locale="es")
    response = client.post("/account/reset", data={"email": user.email.upper()})
    assert response.status_code == 302
    mails = outbox(db)
    assert len(mails) == 1
    assert mails[0].recipient == user.email
    assert mails[0].subject == "Elija una contraseña nueva para Caravana"
    [sent] = spooled(client.application.config["MAIL_SPOOL_DIR"])
    assert RESET_LINK.search(sent.get_content())
    assert RESET_SENT in client.get(response.location).text


def test_admins_see_that_a_reset_mail_was_sent_but_never_its_link(client, db, app):
    """The outbox shows the mail with its link hidden: no admin can take over an account."""
    user = factories.make_user()
    token = request_reset_link(client, db, user)
    admin = app.test_client()
    sign_in(admin, factories.make_user(is_admin=True))
    page = admin.get("/admin/outbox").get_data(as_text=True)
    assert user.email in page and "/account/reset/" in page
    assert token not in page
    assert all(token not in mail.body for mail in outbox(db))


def test_reset_request_for_unknown_address_looks_the_same_and_sends_nothing(client, db):
    """Asking for an unknown address shows the same message and sends no mail."""
    response = client.post(
        "/account/reset", data={"email": "nobody@example.org"}, follow_redirects=True
    )
    assert RESET_SENT in response.text
    assert outbox(db) == []


def test_reset_link_sets_a_new_password(client, db):
    """The link lets you choose a new password; the old one stops working."""
    user = factories.make_user()
    token = request_reset_link(client, db, user)
    opened = client.get(f"/account/reset/{token}")
    assert opened.status_code == 302 and token not in opened.location  # the form's address
    assert client.get(opened.location).status_code == 200
    response = client.post(
        opened.location, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD}
    )
    assert response.status_code == 302
    assert "/account/login" in response.location
    assert login_with_form(client, user.email).status_code == 401
    assert login_with_form(client, user.email, NEW_PASSWORD).status_code == 302


def test_reset_link_works_only_once(client, db):
    """A password reset link works only once."""
    user = factories.make_user()
    token = request_reset_link(client, db, user)
    client.post(f"/account/reset/{token}", data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    again = "yet another fine sentence here"
    response = client.post(
        f"/account/reset/{token}", data={"password": again, "confirm": again}, follow_redirects=True
    )
    assert LINK_USED in response.text
    assert login_with_form(client, user.email, again).status_code == 401


def test_expired_reset_link_is_refused(client, db):
    """A reset link past its time limit no longer works."""
    user = factories.make_user()
    token = request_reset_link(client, db, user)
    for stored in db.session.scalars(select(PasswordResetToken)):
        stored.expires_at = utcnow() - timedelta(minutes=1)
    db.session.commit()
    response = client.post(
        f"/account/reset/{token}",
        data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD},
        follow_redirects=True,
    )
    assert LINK_USED in response.text
    assert login_with_form(client, user.email, NEW_PASSWORD).status_code == 401


def test_reset_link_is_not_stored_in_clear(client, db):
    """Someone reading the database cannot find a working reset link in it."""
    user = factories.make_user()
    token = request_reset_link(client, db, user)
    hashes = list(db.session.scalars(select(PasswordResetToken.token_hash)))
    assert len(hashes) == 1
    assert token not in hashes[0]


def test_reset_link_ends_other_sessions(client, db, app):
    """After a reset, a device someone else had signed in on is signed out."""
    user = factories.make_user()
    thief = app.test_client()
    sign_in(thief, user)
    token = request_reset_link(client, db, user)
    client.post(f"/account/reset/{token}", data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert not is_signed_in(thief)


# ---------------------------------------------------------------- changing password


def change_password(client, current, new=NEW_PASSWORD, confirm=None):
    return client.post(
        "/account/password",
        data={"pw-current": current, "pw-password": new, "pw-confirm": confirm or new},
    )


def test_change_password_with_wrong_current_password_is_refused(client, db):
    """Changing the password needs the current one."""
    user = factories.make_user()
    sign_in(client, user)
    response = change_password(client, "not my password at all")
    assert response.status_code == 400
    assert "This is not your current password." in response.text
    client.post("/account/logout")
    assert login_with_form(client, user.email).status_code == 302


def test_change_password_keeps_this_device_and_signs_out_the_others(client, db, app):
    """After changing the password you stay signed in here, other devices are signed out."""
    user = factories.make_user()
    other = app.test_client()
    sign_in(other, user)
    assert login_with_form(client, user.email).status_code == 302
    response = change_password(client, factories.PASSWORD)
    assert response.status_code == 302
    assert is_signed_in(client)
    assert not is_signed_in(other)
    client.post("/account/logout")
    assert login_with_form(client, user.email).status_code == 401
    assert login_with_form(client, user.email, NEW_PASSWORD).status_code == 302


def test_change_password_stops_a_remembered_device(client, db, app):
    """A phone that was kept signed in is signed out when the password changes."""
    user = factories.make_user()
    phone = app.test_client()
    login_with_form(phone, user.email, remember="y")
    phone.delete_cookie("session", domain="localhost")
    assert is_signed_in(phone)  # the remember cookie alone signs the phone back in
    phone.delete_cookie("session", domain="localhost")
    login_with_form(client, user.email)
    assert change_password(client, factories.PASSWORD).status_code == 302
    assert not is_signed_in(phone)


def test_change_password_refuses_a_weak_new_password(client, db):
    """The new password follows the same rules as at registration."""
    user = factories.make_user()
    sign_in(client, user)
    response = change_password(client, factories.PASSWORD, "password123")
    assert response.status_code == 400
    assert "This password is too easy to guess." in response.text


# ---------------------------------------------------------------- profile


def test_profile_changes_are_saved_and_the_language_applies(client, db):
    """Name, language and time zone are saved, and pages then come in that language."""
    user = factories.make_user()
    sign_in(client, user)
    response = client.post(
        "/account/profile",
        data={"display_name": "Aminata Diop", "locale": "fr", "timezone": "Africa/Dakar"},
    )
    assert response.status_code == 302
    page = client.get("/account/profile")
    assert '<html lang="fr"' in page.text
    db.session.refresh(user)
    assert (user.display_name, user.locale, user.timezone) == ("Aminata Diop", "fr", "Africa/Dakar")


def test_profile_refuses_an_unknown_time_zone(client, db):
    """A time zone that is not on the list is refused and the old one kept."""
    user = factories.make_user(timezone="America/Tegucigalpa")
    sign_in(client, user)
    response = client.post(
        "/account/profile",
        data={"display_name": user.display_name, "locale": "en", "timezone": "Not/AZone"},
    )
    assert response.status_code == 200
    assert "Choose a time zone from the list." in response.text
    db.session.refresh(user)
    assert user.timezone == "America/Tegucigalpa"


# ---------------------------------------------------------------- signing out


def test_sign_out_signs_you_out(client, db):
    """Signing out ends the session."""
    user = factories.make_user()
    login_with_form(client, user.email, remember="y")
    response = client.post("/account/logout")
    assert response.status_code == 302
    assert not is_signed_in(client)


def test_sign_out_by_plain_link_is_not_allowed(client, db):
    """A plain link (GET) cannot sign you out, so other sites cannot do it either."""
    user = factories.make_user()
    sign_in(client, user)
    assert client.get("/account/logout").status_code == 405
    assert is_signed_in(client)
