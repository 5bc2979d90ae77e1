"""Scaled mode: two server processes share rooms through Redis (SOCKETIO_MESSAGE_QUEUE)."""

from __future__ import annotations

import sqlite3
import threading

import pytest
import requests

from tests.live import (
    connect,
    demo_environment,
    gunicorn,
    redis_server,
    restartable_redis,
    signed_in_cookie,
)

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


def _form_post(session, base: str, page: str, action: str, data: dict) -> requests.Response:
    html = session.get(base + page, timeout=10).text
    token = html.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
    return session.post(
        base + action, data={"csrf_token": token, **data}, allow_redirects=False, timeout=10
    )


def test_removal_on_one_process_closes_the_room_on_the_other(two_servers):
    """A member removed through process A leaves, on process B, the room she had open:
    she is told, and the next message written on A never reaches her."""
    first, second, database = two_servers
    guadalupe = requests.Session()
    guadalupe.headers["Cookie"] = signed_in_cookie(first, "guadalupe@caravana.example")
    opened = _form_post(
        guadalupe, first, "/rooms/new?org=madres-veracruz", "/rooms/new?org=madres-veracruz",
        {"name": "Búsqueda en Veracruz", "description": ""},
    )  # fmt: skip
    assert opened.status_code == 302
    room_id = int(opened.headers["Location"].rstrip("/").split("/")[-1])
    sofia = connect(second, signed_in_cookie(second, "sofia@caravana.example"))
    watcher = connect(second, guadalupe.headers["Cookie"])  # a control on the same process
    closed, closed_arrived = _listen(sofia, "room_closed")
    messages, _ = _listen(sofia, "message")
    _seen, seen_arrived = _listen(watcher, "message")
    try:
        assert sofia.call("join", {"room_id": room_id}, timeout=10)["ok"]
        assert watcher.call("join", {"room_id": room_id}, timeout=10)["ok"]
        with sqlite3.connect(database) as connection:
            membership_id = connection.execute(
                "SELECT m.id FROM memberships m JOIN users u ON u.id = m.user_id "
                "WHERE u.email = 'sofia@caravana.example'"
            ).fetchone()[0]
        removed = _form_post(
            guadalupe, first, "/organisations/madres-veracruz/members",
            f"/organisations/madres-veracruz/members/{membership_id}/remove", {},
        )  # fmt: skip
        assert removed.status_code == 302
        assert closed_arrived.wait(10), "the room stayed open on the other process"
        assert closed == [{"room_id": room_id}]
        posted = _form_post(
            guadalupe, first, f"/rooms/{room_id}", f"/rooms/{room_id}/messages",
            {"body": "Solo para el comité", "client_id": "scale-out-remove-01"},
        )  # fmt: skip
        assert posted.status_code == 302
        assert seen_arrived.wait(10)  # it went out on process B...
        sofia.call("leave", {"room_id": room_id}, timeout=10)  # (frames arrive in order)
        assert messages == []  # ...but not to her
        assert sofia.connected  # the rest of the site stays live
    finally:
        sofia.disconnect()
        watcher.disconnect()


def test_redis_down_sign_in_and_sends_work_and_the_gap_is_seen(tmp_path_factory):
    """With Redis down, people still sign in and send (acknowledged and stored); the health
    probe of the sender's process counts what it could not pass on. Once Redis is back, the
    next live message reaches the reader on the other process with its number showing the
    gap, and asking for what follows her last message fills it."""
    with restartable_redis() as redis:
        if redis is None:
            pytest.skip("redis-server is not installed (.ci/run installs it)")
        instance = tmp_path_factory.mktemp("instance")
        env = demo_environment(
            instance,
            SOCKETIO_MESSAGE_QUEUE=f"{redis.url}/0",
            RATELIMIT_STORAGE_URI=f"{redis.url}/1",
        )
        with gunicorn(env) as first, gunicorn(env) as second:
            room_id = _room_id(instance / "live.sqlite3", "Comité El Progreso")
            rosa = connect(first, signed_in_cookie(first, "rosa@caravana.example"))
            ana = connect(second, signed_in_cookie(second, "ana@caravana.example"))
            received, arrived = _listen(ana, "message")
            try:
                assert ana.call("join", {"room_id": room_id}, timeout=10)["ok"]
                assert rosa.call("join", {"room_id": room_id}, timeout=10)["ok"]
                redis.stop()
                assert signed_in_cookie(first, "guadalupe@caravana.example")  # no error page
                missed = rosa.call(
                    "send",
                    {"room_id": room_id, "client_id": "redis-down-0001", "body": "Sin Redis"},
                    timeout=10,
                )
                assert missed["ok"], missed
                health = requests.get(first + "/healthz", timeout=10)
                assert health.status_code == 200
                queue = health.json()["live"]["message_queue"]
                assert queue["state"] == "down" and queue["publish_failures"] >= 1
                assert received == []  # the other process could not be told
                redis.start()
                for n in range(30):  # the other process takes a few seconds to listen again
                    ack = rosa.call(
                        "send",
                        {"room_id": room_id, "client_id": f"redis-back-{n:04}", "body": f"{n}"},
                        timeout=10,
                    )
                    assert ack["ok"], ack
                    if arrived.wait(1):
                        break
                assert received, "nothing reached the other process after Redis came back"
                assert received[0]["seq"] > missed["message"]["seq"]  # a number was skipped
                gap = ana.call(
                    "sync", {"room_id": room_id, "after_seq": missed["message"]["seq"] - 1},
                    timeout=10,
                )  # fmt: skip
                assert gap["messages"][0]["body"] == "Sin Redis"  # as room.js asks by itself
            finally:
                rosa.disconnect()
                ana.disconnect()


class _Copy:
    """A pycrdt client of a shared document over a live connection (the browser's protocol)."""

    def __init__(self, base: str, email: str, name: str) -> None:
        import base64

        import pycrdt

        from app.collab import protocol

        self.b64, self.protocol, self.name = base64, protocol, name
        self.doc = pycrdt.Doc()
        self.lock = threading.Lock()
        self.client = connect(base, signed_in_cookie(base, email))
        self.client.on("collab", lambda data: self._handle(data["message"]))
        ack = self.client.call("collab_join", {"doc": name}, timeout=10)
        assert ack["ok"], ack
        for message in ack["messages"]:
            self._handle(message)
        self._send(protocol.sync_message(protocol.SYNC_STEP1, self.doc.get_state()))

    def _send(self, message: bytes) -> dict:
        data = {"doc": self.name, "message": self.b64.b64encode(message).decode()}
        ack = self.client.call("collab", data, timeout=10)
        for reply in ack.get("messages", []):
            self._handle(reply)
        return ack

    def _handle(self, encoded: str) -> None:
        message = self.protocol.read_message(self.b64.b64decode(encoded))
        if message.kind != self.protocol.MESSAGE_SYNC:
            return
        if message.step == self.protocol.SYNC_STEP1:
            with self.lock:
                diff = self.doc.get_update(message.payload)
            self._send(self.protocol.sync_message(self.protocol.SYNC_STEP2, diff))
        else:
            with self.lock:
                self.doc.apply_update(message.payload)

    def type(self, words: str) -> None:
        import pycrdt

        with self.lock:
            before = self.doc.get_state()
            text = self.doc.get("text", type=pycrdt.Text)
            text.insert(0, words)
            update = self.doc.get_update(before)
        ack = self._send(self.protocol.sync_message(self.protocol.SYNC_UPDATE, update))
        assert ack["ok"], ack

    @property
    def text(self) -> str:
        import pycrdt

        with self.lock:
            return str(self.doc.get("text", type=pycrdt.Text))


def test_two_processes_editing_one_manifesto_converge(two_servers):
    """Lucía types through process A while Tomás types through process B: both copies, and a
    newcomer on either process, end with the same text (each process catches up from the
    database's log before it answers; updates cross through Redis)."""
    import time

    first, second, database = two_servers
    with sqlite3.connect(database) as connection:
        connection.execute("UPDATE manifestos SET status = 'drafting'")
        manifesto_id = connection.execute("SELECT id FROM manifestos").fetchone()[0]
    name = f"manifesto:{manifesto_id}"
    lucia = _Copy(first, "lucia@caravana.example", name)
    tomas = _Copy(second, "tomas@caravana.example", name)
    try:
        for n in range(10):
            lucia.type(f"A{n} ")
            tomas.type(f"B{n} ")
        deadline = time.monotonic() + 10
        while lucia.text != tomas.text and time.monotonic() < deadline:
            time.sleep(0.05)
        assert lucia.text == tomas.text
        assert all(f"A{n} " in lucia.text and f"B{n} " in lucia.text for n in range(10))
        for base in (first, second):
            newcomer = _Copy(base, "giulia@caravana.example", name)
            assert newcomer.text == lucia.text
            newcomer.client.disconnect()
    finally:
        lucia.client.disconnect()
        tomas.client.disconnect()
