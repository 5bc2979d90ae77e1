"""The real server: gunicorn (threads) serving pages and WebSockets as `make run` does."""

from __future__ import annotations

import pytest
import requests
import socketio

from tests.live import connect, demo_environment, gunicorn, raw_websocket, signed_in_cookie

pytestmark = pytest.mark.live  # real servers on their own SQLite file


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """A gunicorn server on a free port, with the demo loaded into a fresh database."""
    with gunicorn(demo_environment(tmp_path_factory.mktemp("instance"))) as base:
        yield base


def test_demo_is_served_in_every_language(server):
    """The demo answers in all five languages, Arabic right to left."""
    for code in ("en", "es", "fr", "ar", "it"):
        html = requests.get(f"{server}/organisations/", cookies={"lang": code}, timeout=10).text
        assert f'lang="{code}" dir="{"rtl" if code == "ar" else "ltr"}"' in html
        assert "Comité de Familiares de Migrantes de El Progreso" in html


def test_signed_in_member_opens_a_websocket(server):
    """A demo coordinator's browser opens a live WebSocket connection."""
    client = connect(server, signed_in_cookie(server, "rosa@caravana.example"))
    assert client.connected
    client.disconnect()


def test_websocket_refused_for_anonymous_and_foreign_origin(server):
    """No live connection without an account, nor from a page on another site."""
    with pytest.raises(socketio.exceptions.ConnectionError):
        connect(server, None)
    cookie = signed_in_cookie(server, "ana@caravana.example")
    handshake = f"{server}/socket.io/?EIO=4&transport=polling"
    own = requests.get(handshake, headers={"Cookie": cookie, "Origin": server}, timeout=10)
    assert own.status_code == 200
    foreign = requests.get(
        handshake, headers={"Cookie": cookie, "Origin": "https://evil.example"}, timeout=10
    )
    assert foreign.status_code == 403


@pytest.fixture(scope="module")
def demo_env(tmp_path_factory):
    """The environment of a fresh demo database, for tests that start their own server."""
    return demo_environment(tmp_path_factory.mktemp("instance"))


def test_anonymous_websockets_do_not_starve_the_pages(demo_env):
    """Twice as many anonymous WebSockets as the server has threads, held open by a visitor
    with the site's own origin, are all refused at once, and pages keep answering."""
    with gunicorn(demo_env, threads=20) as base:
        held = [raw_websocket(base) for _ in range(40)]
        try:
            assert [status for status, _ in held] == [401] * 40
            assert requests.get(base + "/healthz", timeout=5).status_code == 200
            assert requests.get(base + "/organisations/", timeout=5).status_code == 200
        finally:
            for _, connection in held:
                connection.close()


def test_sockets_are_capped_per_address_and_per_process(demo_env):
    """One network address holds at most SOCKETS_PER_ADDRESS live connections and one
    process at most SOCKETS_PER_PROCESS; past that they are refused and pages still answer."""
    env = {**demo_env, "SOCKETS_PER_ADDRESS": "3", "SOCKETS_PER_PROCESS": "5"}
    with gunicorn(env, threads=20) as base:
        rosa = signed_in_cookie(base, "rosa@caravana.example")
        ana = signed_in_cookie(base, "ana@caravana.example")
        held = []
        try:
            held += [raw_websocket(base, rosa, source="127.0.0.1") for _ in range(3)]
            held.append(raw_websocket(base, ana, source="127.0.0.1"))  # the address is full
            held += [raw_websocket(base, ana, source="127.0.0.2") for _ in range(2)]
            held.append(raw_websocket(base, ana, source="127.0.0.3"))  # the process is full
            assert [status for status, _ in held] == [101, 101, 101, 429, 101, 101, 503]
            assert requests.get(base + "/healthz", timeout=5).json()["live"]["in_flight"] == 5
        finally:
            for _, connection in held:
                connection.close()
