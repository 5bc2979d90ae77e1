"""Live connections when things go wrong: sockets that cost threads, dead processes and links,
an unreachable Redis, a busy SQLite file, and events that cost everyone in a room.

Each test describes what a person (or the operator) notices; the fixes are in
app/socket_gate.py, app/realtime.py, app/rooms/events.py and app/ratelimit.py.
"""

from __future__ import annotations

import json
import socket
import sqlite3
from datetime import timedelta

import pytest
from sqlalchemy import select

from app import realtime
from app.extensions import db
from app.models import LiveSocket, Message, RoomPresence, utcnow
from app.rooms import events
from tests import factories
from tests.conftest import channels_of, login_with_form, running_app, sign_in, socket_client
from tests.test_rooms_sockets import browser, heard, joined, live, make_room, send

HANDSHAKE = "/socket.io/?EIO=4&transport=polling"


@pytest.fixture(autouse=True)
def _fresh_typing_throttle(monkeypatch):
    """The typing throttle is kept per process: start each test with an empty one."""
    monkeypatch.setattr(events, "_last_typing", {})


@pytest.fixture
def dead_port():
    """A loopback port where nothing answers (bound, never listening): a Redis that is down."""
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        yield holder.getsockname()[1]


def _engineio_sockets() -> int:
    from app.extensions import socketio

    return len(socketio.server.eio.sockets)


def _dead_sockets(room, people, seen_minutes_ago: float = 10) -> None:
    """Connections a killed process left behind: rows nobody will ever delete on close."""
    seen = utcnow() - timedelta(minutes=seen_minutes_ago)
    for n, person in enumerate(people):
        sid = f"dead-{room.id}-{n}"
        db.session.add(
            LiveSocket(sid=sid, user_id=person.id, connected_at=seen, seen_at=seen, channels=[])
        )
        db.session.add(RoomPresence(sid=sid, room_id=room.id, user_id=person.id))
    db.session.commit()


def _members(world, count: int) -> list:
    people = [factories.make_user(f"Absent Person {n}") for n in range(count)]
    for person in people:
        factories.add_member(world.org, person)
    return people


# --- 1. sockets are refused before they hold a thread -----------------------------------------


def test_anonymous_socket_is_refused_before_any_connection_is_set_up(app, client):
    """A visitor who is not signed in gets a plain refusal: no live connection is started
    (each would hold one of the server's threads for as long as the visitor keeps it)."""
    before = _engineio_sockets()
    answer = client.get(HANDSHAKE, headers={"Origin": "http://localhost"})
    assert answer.status_code == 401
    assert _engineio_sockets() == before


def test_socket_from_a_foreign_page_is_refused_before_any_connection(app, client, world):
    """A page on another site cannot start a live connection with a member's cookies."""
    sign_in(client, world.member)
    before = _engineio_sockets()
    assert client.get(HANDSHAKE, headers={"Origin": "https://evil.example"}).status_code == 403
    assert _engineio_sockets() == before


def test_signed_in_member_starts_a_live_connection(app, client, world):
    """A signed-in member's browser gets its live connection."""
    sign_in(client, world.member)
    answer = client.get(HANDSHAKE, headers={"Origin": "http://localhost"})
    assert answer.status_code == 200
    assert answer.get_data(as_text=True).startswith("0{")


def test_ended_session_cannot_start_a_live_connection(app, client, world):
    """After signing out, the old cookie no longer opens a live connection."""
    sign_in(client, world.member)
    with client.session_transaction() as session:
        kept = dict(session)
    client.post("/account/logout")
    with client.session_transaction() as session:
        session.update(kept)  # a copy of the cookie from before the sign-out
    assert client.get(HANDSHAKE).status_code == 401


def test_one_account_cannot_hold_more_than_its_share_of_sockets(app, client, world):
    """Past SOCKETS_PER_ACCOUNT open connections (in any process), one more is refused;
    connections of a process that died long ago do not count."""
    sign_in(client, world.member)
    now = utcnow()
    for n in range(app.config["SOCKETS_PER_ACCOUNT"]):
        db.session.add(
            LiveSocket(sid=f"open-{n}", user_id=world.member.id, connected_at=now, seen_at=now)
        )
    db.session.commit()
    assert client.get(HANDSHAKE).status_code == 429
    long_ago = now - timedelta(hours=1)
    db.session.execute(db.update(LiveSocket).values(seen_at=long_ago))
    db.session.commit()
    assert client.get(HANDSHAKE).status_code == 200


# --- 13. a dead link is noticed within about ten seconds --------------------------------------


def test_browser_is_told_to_notice_a_dead_link_within_ten_seconds(app, client, world):
    """The connection's heartbeat (ping every interval, answer within the timeout) lets the
    browser and the server notice a silently dead link within about 10 s, not 45 s."""
    sign_in(client, world.member)
    opened = json.loads(client.get(HANDSHAKE).get_data(as_text=True)[1:])
    assert opened["pingInterval"] + opened["pingTimeout"] <= 10_000


# --- 10. presence expires when a process dies -------------------------------------------------


def test_people_of_a_killed_process_are_not_shown_as_present(app, world):
    """A member alone in a room is shown alone, not with the eight people whose connections
    died with another server process (scaled mode: that process never cleans up)."""
    room = make_room(world)
    ana = live(app, world.member)
    _dead_sockets(room, _members(world, 8))
    assert ana.emit("join", {"room_id": room.id}, callback=True)["ok"]
    assert heard(ana, "presence")[-1]["names"] == ["Ana Member"]
    page = browser(app, world.member).get(f"/rooms/{room.id}").get_data(as_text=True)
    assert "Absent Person" not in page


def test_heartbeat_keeps_open_connections_and_sweeps_dead_ones(app, world):
    """Each process keeps marking its open connections as seen; rows of dead ones are
    deleted, and the room's readers are told who is really there."""
    room = make_room(world)
    rosa = joined(app, world.coordinator, room)
    _dead_sockets(room, _members(world, 3))
    # Rosa's own row was last marked 30 s ago: still within the TTL, it is refreshed.
    marked = utcnow() - timedelta(seconds=30)
    db.session.execute(db.update(LiveSocket).where(~LiveSocket.sid.like("dead-%"))
                       .values(seen_at=marked))  # fmt: skip
    db.session.commit()
    realtime.heartbeat()
    db.session.expire_all()
    rows = db.session.scalars(select(LiveSocket)).all()
    assert [row.user_id for row in rows] == [world.coordinator.id]
    assert rows[0].seen_at > marked
    assert db.session.scalars(select(RoomPresence.user_id)).all() == [world.coordinator.id]
    assert heard(rosa, "presence")[-1]["names"] == ["Rosa Coordinator"]


def test_heartbeats_leave_connections_that_are_in_line_alone(app, world, caplog):
    """Beat after beat, members who may read a room keep their channels and its messages."""
    from tests.conftest import channels_of

    room = make_room(world)
    ana, rosa = joined(app, world.member, room), joined(app, world.coordinator, room)
    before = channels_of(ana)
    for _ in range(3):
        realtime.heartbeat()
    assert channels_of(ana) == before
    send(rosa, room, "Seguimos aquí")
    assert [m["body"] for m in heard(ana, "message")] == ["Seguimos aquí"]
    assert ana.is_connected() and rosa.is_connected()
    assert "out of line" not in caplog.text


def test_single_process_server_clears_leftovers_at_start(app, world):
    """Restarted right after being killed, the embedded single-process server forgets the
    connections of its previous run at once (they were seen seconds ago, within the TTL)."""
    room = make_room(world)
    _dead_sockets(room, _members(world, 8), seen_minutes_ago=0.1)
    ana = live(app, world.member)  # the first connection of the restarted server
    assert ana.emit("join", {"room_id": room.id}, callback=True)["ok"]
    assert heard(ana, "presence")[-1]["names"] == ["Ana Member"]
    assert db.session.scalar(select(db.func.count()).select_from(LiveSocket)) == 1


# --- 9. publishing failures are counted ---------------------------------------------------------


def test_sends_work_and_failures_are_counted_when_the_message_queue_is_down(tmp_path, dead_port):
    """With Redis down, a member's message is still stored; the health probe counts the live
    messages the queue could not carry to the other processes, and stays in service."""
    with running_app(tmp_path, SOCKETIO_MESSAGE_QUEUE=f"redis://127.0.0.1:{dead_port}/0") as app:
        org = factories.make_org("Comité")
        ana = factories.make_user("Ana")
        factories.add_member(org, ana)
        from app.models import Room, RoomScope

        room = Room(name="Vigil", scope=RoomScope.ORGANISATION, organisation_id=org.id)
        db.session.add(room)
        db.session.commit()
        http = app.test_client()
        sign_in(http, ana)
        before = realtime.publishing.health()["publish_failures"]
        posted = http.post(f"/rooms/{room.id}/messages",
                           data={"body": "Sigo aquí", "client_id": "redis-down-01"})  # fmt: skip
        assert posted.status_code == 302
        assert db.session.scalar(select(Message.body)) == "Sigo aquí"
        health = http.get("/healthz")
        assert health.status_code == 200
        queue = health.get_json()["live"]["message_queue"]
        assert queue["state"] == "down"
        assert queue["publish_failures"] > before


def test_access_lost_while_the_queue_dropped_the_change_is_enforced(app, world, monkeypatch):
    """A member removed while the message queue could not carry the change to the process
    holding her connection stops receiving the room's messages within two heartbeats."""
    from app.extensions import socketio
    from app.models import Membership

    room = make_room(world)
    ana = joined(app, world.member, room)
    rosa = joined(app, world.coordinator, room)
    membership = db.session.scalar(select(Membership).filter_by(user_id=world.member.id))
    with monkeypatch.context() as dropped:  # stored, but never passed on to her process
        dropped.setattr(socketio.server, "leave_room", lambda *args, **kwargs: None)
        remove = f"/organisations/{world.org.slug}/members/{membership.id}/remove"
        assert rosa.http.post(remove).status_code == 302
    heard(ana)
    send(rosa, room, "Todavía le llega")
    assert [m["body"] for m in heard(ana, "message")] == ["Todavía le llega"]
    realtime.heartbeat()  # the first beat finds it out of line...
    realtime.heartbeat()  # ...the next one, still: corrected
    send(rosa, room, "Ya no le llega")
    assert heard(ana, "message") == []
    assert ana.is_connected()  # the rest of the site stays live


def test_connection_of_a_session_ended_elsewhere_is_closed(app, world, monkeypatch):
    """Signing out while the message queue could not tell the process holding the
    connection still closes it, within two heartbeats."""
    from app.extensions import socketio

    ana = live(app, world.member)
    with monkeypatch.context() as dropped:
        dropped.setattr(socketio.server, "disconnect", lambda *args, **kwargs: None)
        ana.http.post("/account/logout")
    assert ana.is_connected()
    realtime.heartbeat()
    realtime.heartbeat()
    assert not ana.is_connected()


def test_health_probe_shows_live_sockets(app, client, world):
    """The health probe says how many live connections this process holds."""
    sock = live(app, world.member)
    assert sock.is_connected()
    live_health = client.get("/healthz").get_json()["live"]
    assert live_health["sockets"] == 1
    assert live_health["message_queue"] == {"state": "none"}


# --- 11. an unreachable rate-limit store degrades to memory -----------------------------------


def test_sign_in_and_posting_work_when_the_rate_limit_store_is_down(tmp_path, dead_port):
    """With the shared rate-limit store (Redis) down, people still sign in and post, and
    the limits still hold, counted in the process's memory."""
    store = f"redis://127.0.0.1:{dead_port}/1"
    with running_app(tmp_path, RATELIMIT_STORAGE_URI=store) as app:
        org = factories.make_org("Comité")
        ana = factories.make_user("Ana", email="ana@example.org")
        factories.add_member(org, ana)
        from app.models import Room, RoomScope

        room = Room(name="Vigil", scope=RoomScope.ORGANISATION, organisation_id=org.id)
        db.session.add(room)
        db.session.commit()
        http = app.test_client()
        assert login_with_form(http, "ana@example.org").status_code == 302
        sock = socket_client(app, http)
        acks = [sock.emit("send", {"room_id": room.id, "client_id": f"store-down-{n:02}",
                                   "body": f"Message {n}"}, callback=True)  # fmt: skip
                for n in range(31)]  # fmt: skip
        assert all(ack["ok"] for ack in acks[:30])
        assert acks[30]["error"] == "rate_limited"


# --- 12. SQLite: a write waits for nobody who is only reading ---------------------------------


def test_message_is_stored_while_someone_reads_the_database(tmp_path, world):
    """A long read (a page being rendered, a backup) does not make a member's message fail
    with "database is locked": readers never block the writer."""
    path = tmp_path / "busy.sqlite3"
    with running_app(tmp_path, SQLALCHEMY_DATABASE_URI=f"sqlite:///{path}") as app:
        org = factories.make_org("Comité")
        ana = factories.make_user("Ana")
        factories.add_member(org, ana)
        from app.models import Room, RoomScope

        room = Room(name="Vigil", scope=RoomScope.ORGANISATION, organisation_id=org.id)
        db.session.add(room)
        db.session.commit()
        http = app.test_client()
        sign_in(http, ana)
        sock = socket_client(app, http)
        reader = sqlite3.connect(path, timeout=0)
        try:
            reader.execute("BEGIN")
            reader.execute("SELECT count(*) FROM messages").fetchone()  # holds its snapshot
            data = {"room_id": room.id, "client_id": "while-reading", "body": "Escrito"}
            ack = sock.emit("send", data, callback=True)
        finally:
            reader.rollback()
            reader.close()
        assert ack["ok"], ack


# --- 14. events that cost everyone in the room ------------------------------------------------


def test_leaving_a_room_one_cannot_see_tells_nobody(app, world):
    """A "leave" for a room one cannot see changes nothing and sends nothing to its readers."""
    room = make_room(world)
    ana = joined(app, world.member, room)
    paula = live(app, world.outsider)
    answer = paula.emit("leave", {"room_id": room.id}, callback=True)
    assert answer["ok"] is False and answer["error"] == "not_found"
    assert heard(ana) == []


def test_leaving_a_room_one_never_joined_tells_nobody(app, world):
    """A reader who leaves a room she never opened does not make the others hear anything."""
    room = make_room(world)
    ana = joined(app, world.member, room)
    rosa = live(app, world.coordinator)
    assert rosa.emit("leave", {"room_id": room.id}, callback=True)["ok"]
    assert heard(ana) == []


def test_edits_and_deletions_are_limited_per_account(app, world):
    """Someone editing in a loop is stopped after 20 changes a minute; the room's readers
    are not flooded."""
    room = make_room(world)
    ana = joined(app, world.member, room)
    rosa = joined(app, world.coordinator, room)
    message = send(ana, room, "Version 0")["message"]
    heard(rosa)
    answers = [
        ana.emit("edit", {"message_id": message["id"], "body": f"Version {n}"}, callback=True)
        for n in range(1, 26)
    ]
    assert all(answer["ok"] for answer in answers[:20])
    assert {answer.get("error") for answer in answers[20:]} == {"rate_limited"}
    assert len(heard(rosa, "message_updated")) == 20
    assert ana.emit("delete", {"message_id": message["id"]}, callback=True)["error"] == (
        "rate_limited"
    )


def test_joining_and_leaving_in_a_loop_is_limited_per_account(app, world):
    """Joining and leaving a room over and over is stopped after 60 a minute, so the room's
    readers stop receiving presence updates from it."""
    room = make_room(world)
    rosa = joined(app, world.coordinator, room)
    ana = live(app, world.member)
    answers = []
    for _ in range(35):
        answers.append(ana.emit("join", {"room_id": room.id}, callback=True))
        answers.append(ana.emit("leave", {"room_id": room.id}, callback=True))
    assert all(answer["ok"] for answer in answers[:60])
    assert {answer.get("error") for answer in answers[60:]} == {"rate_limited"}
    assert len(heard(rosa, "presence")) == 60


def test_typing_notices_are_limited_per_account_across_rooms(app, world):
    """Someone "typing" in many rooms at once reaches the others at most 20 times a minute."""
    rooms = [make_room(world, f"Room {n}") for n in range(25)]
    rosa = live(app, world.coordinator)
    for room in rooms:
        assert rosa.emit("join", {"room_id": room.id}, callback=True)["ok"]
    ana = live(app, world.member)
    heard(rosa)
    for room in rooms:
        ana.emit("typing", {"room_id": room.id}, callback=True)
    assert len(heard(rosa, "typing")) == 20


def test_an_event_of_a_session_ended_elsewhere_is_refused_at_once(app, world, monkeypatch):
    """Until the heartbeat closes it, the connection of a signed-out session can send
    nothing: each event checks that its session still works."""
    from app.extensions import socketio

    room = make_room(world)
    ana = joined(app, world.member, room)
    assert send(ana, room, "Antes")["ok"]
    with monkeypatch.context() as dropped:
        dropped.setattr(socketio.server, "disconnect", lambda *args, **kwargs: None)
        ana.http.post("/account/logout")
    assert ana.is_connected()
    assert send(ana, room, "Después")["error"] == "unauthorised"


def test_an_event_of_an_account_suspended_elsewhere_is_refused_at_once(app, world):
    """An account suspended by a process that could not reach this one's connections sends
    nothing more from them, before any heartbeat."""
    room = make_room(world)
    ana = joined(app, world.member, room)
    assert send(ana, room, "Antes")["ok"]
    world.member.suspended_at = utcnow()
    db.session.commit()
    assert send(ana, room, "Después")["error"] == "unauthorised"


def test_tokens_changed_behind_the_connections_back_are_corrected_by_the_next_beat(app, world):
    """Events are checked with the connection's channels, kept equal to the person's tokens
    after every change of access. A change whose process died before bringing the
    connections in line (here: a membership deleted by hand) is found by the next
    heartbeat: the room is left and its events refused."""
    from app.models import Membership

    room = make_room(world)
    ana = joined(app, world.member, room)
    org_channel = f"org:{world.org.id}"
    assert org_channel in channels_of(ana)
    db.session.delete(db.session.scalar(select(Membership).filter_by(user_id=world.member.id)))
    db.session.commit()
    realtime.heartbeat()
    assert org_channel not in channels_of(ana)
    assert send(ana, room, "Ya no soy de aquí")["ok"] is False
    assert ana.is_connected()  # the rest of the site stays live
