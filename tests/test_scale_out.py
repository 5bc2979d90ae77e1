"""Scaled mode: two server processes share rooms through Redis (SOCKETIO_MESSAGE_QUEUE)."""

from __future__ import annotations

import sqlite3
import threading

import pytest
import requests

from tests.live import connect, demo_environment, gunicorn, redis_server, signed_in_cookie

pytestmark = pytest.mark.live  # real servers on their own SQLite file


@pytest.fixture(scope="module")
def two_servers(tmp_path_factory):
    """Two gunicorn processes on one database, sharing Socket.IO and rate limits via Redis."""
    with redis_server() as redis_url:
        if redis_url is None:
            pytest.skip("redis-server is not installed (.ci/run installs it)")
        instance = tmp_path_factory.mktemp("instance")
        env = demo_environment(
            instance,
            SOCKETIO_MESSAGE_QUEUE=f"{redis_url}/0",
            RATELIMIT_STORAGE_URI=f"{redis_url}/1",
        )
        with gunicorn(env) as first, gunicorn(env) as second:
            yield first, second, instance / "live.sqlite3"


def _room_id(database, name: str) -> int:
    with sqlite3.connect(database) as connection:
        return connection.execute("SELECT id FROM rooms WHERE name = ?", (name,)).fetchone()[0]


def _listen(client, event: str) -> tuple[list, threading.Event]:
    received, arrived = [], threading.Event()

    def handler(data):
        received.append(data)
        arrived.set()

    client.on(event, handler)
    return received, arrived


def test_message_sent_on_one_process_reaches_the_other(two_servers):
    """A member on process A sees live what a member on process B writes."""
    first, second, database = two_servers
    room_id = _room_id(database, "Comité El Progreso")
    rosa = connect(first, signed_in_cookie(first, "rosa@caravana.example"))
    ana = connect(second, signed_in_cookie(second, "ana@caravana.example"))
    received, arrived = _listen(ana, "message")
    try:
        assert ana.call("join", {"room_id": room_id}, timeout=10)["ok"]
        assert rosa.call("join", {"room_id": room_id}, timeout=10)["ok"]
        ack = rosa.call(
            "send",
            {"room_id": room_id, "client_id": "scale-out-0001", "body": "¿Me leen desde el otro?"},
            timeout=10,
        )
        assert ack["ok"]
        assert arrived.wait(10)
        assert received[0]["seq"] == ack["message"]["seq"]
        assert received[0]["body"] == "¿Me leen desde el otro?"
    finally:
        rosa.disconnect()
        ana.disconnect()


def test_removal_on_one_process_cuts_the_socket_on_the_other(two_servers):
    """A member removed through process A loses the live connection held on process B."""
    first, second, database = two_servers
    sofia = connect(second, signed_in_cookie(second, "sofia@caravana.example"))
    cut = threading.Event()
    sofia.on("disconnect", lambda *args: cut.set())
    session = requests.Session()
    session.headers["Cookie"] = signed_in_cookie(first, "guadalupe@caravana.example")
    page = session.get(f"{first}/organisations/madres-veracruz/members", timeout=10).text
    with sqlite3.connect(database) as connection:
        membership_id = connection.execute(
            "SELECT m.id FROM memberships m JOIN users u ON u.id = m.user_id "
            "WHERE u.email = 'sofia@caravana.example'"
        ).fetchone()[0]
    token = page.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
    response = session.post(
        f"{first}/organisations/madres-veracruz/members/{membership_id}/remove",
        data={"csrf_token": token},
        allow_redirects=False,
        timeout=10,
    )
    assert response.status_code == 302
    assert cut.wait(10), "the socket on the other process stayed open"
