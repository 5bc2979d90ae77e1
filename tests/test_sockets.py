"""Socket.IO: who may connect, and live sockets cut when access ends."""

from __future__ import annotations

from app.extensions import db
from app.models import LiveSocket, Membership
from tests.conftest import channels_of, running_app, sign_in
from tests.conftest import socket_client as _socket
from tests.factories import make_user


def test_anonymous_socket_is_refused(app, client):
    """A visitor who is not signed in cannot open a live connection."""
    socket = _socket(app, client)
    assert not socket.is_connected()


def test_signed_in_member_connects(app, client, world):
    """A signed-in person gets a live connection, remembered for later revocation."""
    sign_in(client, world.member)
    socket = _socket(app, client)
    assert socket.is_connected()
    assert db.session.scalar(db.select(LiveSocket).filter_by(user_id=world.member.id))
    socket.disconnect()
    assert db.session.scalar(db.select(LiveSocket).filter_by(user_id=world.member.id)) is None


def test_suspended_user_socket_is_refused(app, client, world):
    """A suspended account cannot open a live connection even with an old session."""
    sign_in(client, world.member)
    world.member.suspended_at = db.func.now()
    db.session.commit()
    assert not _socket(app, client).is_connected()


def test_foreign_origin_is_refused(app, client, world):
    """A page on another site cannot open a socket with a member's cookies."""
    sign_in(client, world.member)
    foreign = _socket(app, client, headers={"Origin": "https://evil.example"})
    assert not foreign.is_connected()
    own = _socket(app, client, headers={"Origin": "http://localhost"})
    assert own.is_connected()


def test_allowed_origin_setting_admits_listed_origin(tmp_path):
    """An origin listed in SOCKETIO_ALLOWED_ORIGINS may connect; others still may not."""
    with running_app(tmp_path, SOCKETIO_ALLOWED_ORIGINS=["https://partner.example"]) as other:
        http = other.test_client()
        sign_in(http, make_user("Partner"))
        assert _socket(other, http, headers={"Origin": "https://partner.example"}).is_connected()
        assert not _socket(other, http, headers={"Origin": "https://evil.example"}).is_connected()


def test_sign_out_disconnects_live_sockets(app, client, world):
    """Signing out closes the live connections of that person at once."""
    sign_in(client, world.member)
    socket = _socket(app, client)
    assert socket.is_connected()
    client.post("/account/logout")
    assert not socket.is_connected()


def test_removal_from_organisation_leaves_its_channels(app, client, world):
    """A member removed by a coordinator leaves the organisation's channels at once; the
    connection stays for what they may still see, and others keep theirs."""
    member_client = app.test_client()
    sign_in(member_client, world.member)
    socket = _socket(app, member_client)
    assert f"org:{world.org.id}" in channels_of(socket)
    membership = db.session.scalar(db.select(Membership).filter_by(user_id=world.member.id))
    sign_in(client, world.coordinator)
    coordinator_socket = _socket(app, client)
    client.post(f"/organisations/{world.org.slug}/members/{membership.id}/remove")
    assert socket.is_connected()
    assert f"org:{world.org.id}" not in channels_of(socket)
    assert "member" not in channels_of(socket)
    assert f"org:{world.org.id}" in channels_of(coordinator_socket)


def test_suspension_disconnects(app, client, world):
    """An account suspended by an admin is cut off from live updates at once."""
    member_client = app.test_client()
    sign_in(member_client, world.member)
    socket = _socket(app, member_client)
    sign_in(client, world.admin)
    client.post(f"/admin/users/{world.member.id}/suspend")
    assert not socket.is_connected()
