"""The real server: gunicorn (threads) serving pages and WebSockets as `make run` does."""

from __future__ import annotations

import pytest
import requests
import socketio

from tests.live import connect, demo_environment, gunicorn, signed_in_cookie

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
    assert foreign.status_code == 400
