"""Sessions end server-side: a cookie copied before sign-out, a remember-me cookie, or an old
device after a password change opens nothing, not even a live connection; the profile lists
where one is signed in and can sign out a device or every device."""

from __future__ import annotations

from sqlalchemy import select

from app.models import CalendarToken, UserSession
from tests import factories
from tests.conftest import csrf_token_from, login_with_form, socket_client


def _copy_cookies(source, target, *names: str) -> None:
    """Put source's cookies into another client, as someone who copied them would."""
    for name in names:
        cookie = source.get_cookie(name)
        assert cookie is not None, f"no {name} cookie to copy"
        target.set_cookie(name, cookie.value, domain="localhost")


def _signed_in(client) -> bool:
    return client.get("/account/profile").status_code == 200


def test_a_session_cookie_copied_before_sign_out_opens_nothing_after(app, client, db):
    """The probe's finding: the copy of a signed-out session still opened the profile."""
    user = factories.make_user()
    assert login_with_form(client, user.email).status_code == 302
    thief = app.test_client()
    _copy_cookies(client, thief, "session")
    assert _signed_in(thief)
    assert client.post("/account/logout").status_code == 302
    assert not _signed_in(client)
    assert not _signed_in(thief)
    assert not socket_client(app, thief).is_connected()


def test_a_remember_cookie_copied_before_sign_out_opens_nothing_after(app, client, db):
    """The 30-day remember-me cookie dies with its session."""
    user = factories.make_user()
    login_with_form(client, user.email, remember="y")
    thief = app.test_client()
    _copy_cookies(client, thief, "remember_token")
    assert _signed_in(thief)  # the remember cookie alone signs in...
    thief.delete_cookie("session", domain="localhost")
    client.post("/account/logout")
    assert not _signed_in(thief)  # ...until its session is ended


def test_signing_out_one_device_keeps_the_others(app, client, db):
    """Sign-out ends this session only: the phone stays signed in."""
    user = factories.make_user()
    phone = app.test_client()
    login_with_form(phone, user.email)
    login_with_form(client, user.email)
    client.post("/account/logout")
    assert _signed_in(phone)


def test_profile_lists_my_sessions_and_signs_out_another_device(app, client, db):
    """The profile shows each device signed in and can sign one out, live sockets included."""
    user = factories.make_user()
    phone = app.test_client()
    login_with_form(phone, user.email, headers={"User-Agent": "Nokia phone browser"})
    phone_socket = socket_client(app, phone)
    assert phone_socket.is_connected()
    login_with_form(client, user.email)
    page = client.get("/account/profile").get_data(as_text=True)
    assert "This device" in page and "Nokia phone browser" in page
    phone_session = db.session.scalar(
        select(UserSession.id).where(UserSession.user_agent == "Nokia phone browser")
    )
    response = client.post(
        f"/account/sessions/{phone_session}/end", data={"csrf_token": csrf_token_from(page)}
    )
    assert response.status_code == 302
    assert not _signed_in(phone)
    assert not phone_socket.is_connected()
    assert _signed_in(client)


def test_sign_out_everywhere_ends_every_session(app, client, db):
    """One button signs the account out on every device, this one too."""
    user = factories.make_user()
    phone = app.test_client()
    login_with_form(phone, user.email, remember="y")
    login_with_form(client, user.email)
    assert client.post("/account/sessions/end-all").status_code == 302
    assert not _signed_in(client) and not _signed_in(phone)
    assert db.session.scalar(
        select(UserSession.id).where(UserSession.revoked_at.is_(None))
    ) is None


def test_someone_elses_session_cannot_be_ended(app, client, db):
    """A session number of another account is ignored."""
    owner, other = factories.make_user(), factories.make_user()
    phone = app.test_client()
    login_with_form(phone, owner.email)
    owner_session = db.session.scalar(select(UserSession.id).where(UserSession.user_id == owner.id))
    login_with_form(client, other.email)
    client.post(f"/account/sessions/{owner_session}/end")
    assert _signed_in(phone)


def test_a_password_change_stops_the_personal_calendar_address(app, client, db):
    """A feed address someone copied stops working once the password changes."""
    user = factories.make_user()
    login_with_form(client, user.email)
    page = client.post("/calendar/feed/new").get_data(as_text=True)
    token = page.split("/calendar/feed/")[1].split(".ics")[0]
    assert client.get(f"/calendar/feed/{token}.ics").status_code == 200
    response = client.post(
        "/account/password",
        data={"pw-current": factories.PASSWORD, "pw-password": "blue lanterns over the harbour",
              "pw-confirm": "blue lanterns over the harbour"},
    )  # fmt: skip
    assert response.status_code == 302
    assert client.get(f"/calendar/feed/{token}.ics").status_code == 404
    working = select(CalendarToken.id).where(CalendarToken.revoked_at.is_(None))
    assert db.session.scalar(working) is None


def test_cookies_of_the_old_scheme_sign_nobody_in(app, client, db):
    """A cookie holding an account number (not a session) is refused."""
    user = factories.make_user()
    with client.session_transaction() as session:
        session["_user_id"] = f"{user.id}:1"
    assert not _signed_in(client)
