"""Helpers to run real servers (gunicorn, redis-server) on loopback for end-to-end tests."""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import requests
import socketio

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
DEMO_PASSWORD = "caravana-demo-2026"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def demo_environment(instance: Path, **extra: str) -> dict[str, str]:
    """Environment for a server on a fresh database in instance/, with the demo loaded."""
    env = {
        **os.environ,
        "CARAVANA_INSTANCE_DIR": str(instance),
        "FLASK_APP": "wsgi",
        "DATABASE_URL": f"sqlite:///{instance / 'live.sqlite3'}",
        **extra,
    }
    for command in (["db", "upgrade"], ["seed-demo"]):
        subprocess.run(
            [str(BIN / "flask"), *command], cwd=ROOT, env=env, check=True, capture_output=True
        )
    return env


@contextmanager
def gunicorn(env: dict[str, str], threads: int = 50):
    """A gunicorn server (gthread, one worker, as make run) on a free port; yields its URL."""
    port = free_port()
    process = subprocess.Popen(
        [str(BIN / "gunicorn"), "--worker-class", "gthread", "-w", "1", "--threads",
         str(threads), "-b", f"127.0.0.1:{port}", "wsgi:app"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_for(lambda: requests.get(base + "/healthz", timeout=1))
        yield base
    finally:
        process.terminate()
        process.wait(timeout=10)


@contextmanager
def redis_server():
    """A throw-away redis-server on a free port; yields its URL (None when not installed)."""
    binary = shutil.which("redis-server")
    if binary is None:
        yield None
        return
    port = free_port()
    process = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        _wait_for(lambda: socket.create_connection(("127.0.0.1", port), timeout=1).close())
        yield f"redis://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=10)


def _wait_for(probe, attempts: int = 150) -> None:
    for _ in range(attempts):
        try:
            probe()
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("server did not start")


def signed_in_cookie(base: str, email: str) -> str:
    """Sign in through the real form; return the Cookie header of that session."""
    session = requests.Session()
    html = session.get(base + "/account/login", timeout=10).text
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)
    response = session.post(
        base + "/account/login",
        timeout=10,
        allow_redirects=False,
        data={"email": email, "password": DEMO_PASSWORD, "csrf_token": token},
    )
    assert response.status_code == 302, response.status_code
    return "; ".join(f"{name}={value}" for name, value in session.cookies.items())


def connect(base: str, cookie: str | None) -> socketio.Client:
    """A WebSocket client with that session (raises ConnectionError when refused)."""
    client = socketio.Client(reconnection=False)
    headers = {"Cookie": cookie} if cookie else {}
    client.connect(base, headers=headers, transports=["websocket"], wait_timeout=5)
    return client
