"""The real server: gunicorn (threads) serving pages and WebSockets as `make run` does."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
import socketio

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """A gunicorn server on a free port, with the demo loaded into a fresh database."""
    instance = tmp_path_factory.mktemp("instance")
    env = {
        **os.environ,
        "CARAVANA_INSTANCE_DIR": str(instance),
        "FLASK_APP": "wsgi",
        "DATABASE_URL": f"sqlite:///{instance / 'live.sqlite3'}",
    }
    for command in (["db", "upgrade"], ["seed-demo"]):
        subprocess.run(
            [str(BIN / "flask"), *command], cwd=ROOT, env=env, check=True, capture_output=True
        )
    port = _free_port()
    process = subprocess.Popen(
        [
            str(BIN / "gunicorn"),
            "--worker-class",
            "gthread",
            "-w",
            "1",
            "--threads",
            "50",
            "-b",
            f"127.0.0.1:{port}",
            "wsgi:app",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            requests.get(base + "/healthz", timeout=1)
            break
        except requests.ConnectionError:
            time.sleep(0.1)
    yield base
    process.terminate()
    process.wait(timeout=10)


def _signed_in_cookie(base: str, email: str) -> str:
    session = requests.Session()
    html = session.get(base + "/account/login", timeout=10).text
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)
    response = session.post(
        base + "/account/login",
        timeout=10,
        allow_redirects=False,
        data={"email": email, "password": "caravana-demo-2026", "csrf_token": token},
    )
    assert response.status_code == 302
    return "; ".join(f"{name}={value}" for name, value in session.cookies.items())


def _connects(base: str, headers: dict) -> bool:
    client = socketio.Client(reconnection=False)
    try:
        client.connect(base, headers=headers, transports=["websocket"], wait_timeout=5)
    except socketio.exceptions.ConnectionError:
        return False
    connected = client.connected
    client.disconnect()
    return connected


def test_demo_is_served_in_every_language(server):
    """The demo answers in all five languages, Arabic right to left."""
    for code in ("en", "es", "fr", "ar", "it"):
        html = requests.get(f"{server}/organisations/", cookies={"lang": code}, timeout=10).text
        assert f'lang="{code}" dir="{"rtl" if code == "ar" else "ltr"}"' in html
        assert "Comité de Familiares de Migrantes de El Progreso" in html


def test_signed_in_member_opens_a_websocket(server):
    """A demo coordinator's browser opens a live WebSocket connection."""
    assert _connects(server, {"Cookie": _signed_in_cookie(server, "rosa@caravana.example")})


def test_websocket_refused_for_anonymous_and_foreign_origin(server):
    """No live connection without an account, nor from a page on another site."""
    assert not _connects(server, {})
    cookie = _signed_in_cookie(server, "ana@caravana.example")
    handshake = f"{server}/socket.io/?EIO=4&transport=polling"
    own = requests.get(handshake, headers={"Cookie": cookie, "Origin": server}, timeout=10)
    assert own.status_code == 200
    foreign = requests.get(
        handshake, headers={"Cookie": cookie, "Origin": "https://evil.example"}, timeout=10
    )
    assert foreign.status_code == 400
