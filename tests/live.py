"""Helpers to run real servers (gunicorn, redis-server) on loopback for end-to-end tests."""

from __future__ import annotations

import base64
import os
import re
import shutil
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

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
    # Its log goes to the instance folder, to read when a test fails.
    instance = env.get("CARAVANA_INSTANCE_DIR")
    log = Path(instance) / f"gunicorn-{port}.log" if instance else Path(os.devnull)
    with log.open("w") as out:
        process = subprocess.Popen(
            [str(BIN / "gunicorn"), "--worker-class", "gthread", "-w", "1", "--threads",
             str(threads), "-b", f"127.0.0.1:{port}", "wsgi:app"],
            cwd=ROOT, env=env, stdout=out, stderr=out,
        )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_for(lambda: requests.get(base + "/healthz", timeout=1))
        yield base
    finally:
        process.terminate()
        process.wait(timeout=10)


class RedisServer:
    """A throw-away redis-server on a fixed free port, which a test may stop and start again."""

    def __init__(self, binary: str) -> None:
        self.binary, self.port, self.process = binary, free_port(), None
        self.url = f"redis://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        _wait_for(lambda: socket.create_connection(("127.0.0.1", self.port), timeout=1).close())

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)


@contextmanager
def restartable_redis():
    """A RedisServer already started (None when redis-server is not installed)."""
    binary = shutil.which("redis-server")
    if binary is None:
        yield None
        return
    server = RedisServer(binary)
    server.start()
    try:
        yield server
    finally:
        server.stop()


@contextmanager
def redis_server():
    """A throw-away redis-server on a free port; yields its URL (None when not installed)."""
    with restartable_redis() as server:
        yield server.url if server else None


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


def raw_websocket(
    base: str, cookie: str | None = None, source: str = "127.0.0.1", timeout: float = 5
) -> tuple[int | None, socket.socket]:
    """Ask for a Socket.IO WebSocket as a browser does, from a loopback source address.

    Return the HTTP status of the answer (101 when upgraded; None when none came within
    timeout) and the TCP connection, left open for the caller to hold or close.
    """
    url = urlsplit(base)
    connection = socket.create_connection(
        (url.hostname, url.port), timeout=timeout, source_address=(source, 0)
    )
    key = base64.b64encode(os.urandom(16)).decode()
    lines = [
        "GET /socket.io/?EIO=4&transport=websocket HTTP/1.1",
        f"Host: {url.netloc}",
        "Upgrade: websocket",
        "Connection: Upgrade",
        f"Sec-WebSocket-Key: {key}",
        "Sec-WebSocket-Version: 13",
        f"Origin: {base}",
        *([f"Cookie: {cookie}"] if cookie else []),
    ]
    connection.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
    try:
        status_line = connection.recv(4096).split(b"\r\n", 1)[0].decode()
    except (TimeoutError, OSError):
        return None, connection
    return (int(status_line.split()[1]) if status_line else None), connection
