"""Discussion rooms over Socket.IO: who may join, messages stored once and in order, gaps
filled after a reconnect, live edits and deletions, access cut at once, bounded payloads.

Every event answers with an acknowledgement {"ok": true, ...} or {"ok": false, "error": code}.
"""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import func, insert, select, update

from app.extensions import db
from app.models import (
    AuditEntry,
    Membership,
    Mention,
    Message,
    MessageReport,
    Role,
    Room,
    RoomScope,
    User,
)
from app.rooms import events
from tests import factories
from tests.conftest import sign_in, socket_client


@pytest.fixture(autouse=True)
def _fresh_typing_throttle(monkeypatch):
    """The typing throttle is kept per process: start each test with an empty one."""
    monkeypatch.setattr(events, "_last_typing", {})


# --- helpers (also used by test_rooms_pages) ----------------------------------------------------


def make_room(world=None, name: str = "Vigil planning") -> Room:
    """A room of world.org, or a movement room without world."""
    scope = RoomScope.ORGANISATION if world else RoomScope.MOVEMENT
    room = Room(name=name, scope=scope, organisation_id=world.org.id if world else None)
    db.session.add(room)
    db.session.commit()
    return room


def browser(app, user: User | None):
    """An HTTP client with user signed in (anonymous when None)."""
    http = app.test_client()
    if user is not None:
        sign_in(http, user)
    return http


def live(app, user: User | None):
    """A live connection of user, with its HTTP client as .http."""
    http = browser(app, user)
    sock = socket_client(app, http)
    sock.http = http
    return sock


def joined(app, user: User, room: Room):
    """A connection of user that follows room, with the join's pushes already read."""
    sock = live(app, user)
    ack = sock.emit("join", {"room_id": room.id}, callback=True)
    assert ack["ok"], ack
    heard(sock)
    return sock


def cid() -> str:
    return uuid.uuid4().hex


def send(sock, room: Room, body: str, client_id: str | None = None) -> dict:
    data = {"room_id": room.id, "body": body, "client_id": client_id or cid()}
    return sock.emit("send", data, callback=True)


def heard(sock, name: str | None = None) -> list[dict]:
    """The pushes a connection received since last asked (also after it was cut)."""
    got, sock.queue = sock.queue, []
    found = [p for p in got if name is None or p["name"] == name]
    return [p["args"][0] if isinstance(p["args"], list) else p["args"] for p in found]


def add_messages(room: Room, author: User, bodies: int | list[str]) -> None:
    """Store many messages at once, as many posts would ("Message <n>" when given a count)."""
    start = db.session.scalar(select(Room.last_seq).where(Room.id == room.id))
    if isinstance(bodies, int):
        bodies = [f"Message {start + n}" for n in range(1, bodies + 1)]
    rows = [
        {"room_id": room.id, "seq": start + n, "author_id": author.id, "body": body}
        for n, body in enumerate(bodies, start=1)
    ]
    for row in rows:
        row["client_id"] = f"bulk-{room.id}-{row['seq']}"
    db.session.execute(insert(Message), rows)
    db.session.execute(update(Room).where(Room.id == room.id).values(last_seq=start + len(rows)))
    db.session.commit()


def stored(room: Room) -> list[Message]:
    return list(db.session.scalars(select(Message).filter_by(room_id=room.id).order_by("seq")))


def seqs(messages: list[dict]) -> list[int]:
    return [m["seq"] for m in messages]


def audit_actions() -> list[str]:
    return list(db.session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)))


# --- who may connect and join -----------------------------------------------------------------


@pytest.fixture(params=["outsider", "other_org_member"])
def stranger(request, world) -> User:
    """Someone signed in who does not belong to world.org."""
    if request.param == "outsider":
        return world.outsider
    other = factories.make_org("Red de Madres")
    person = factories.make_user("Lucia Othermember")
    factories.add_member(other, person, Role.COORDINATOR)
    return person


def test_stranger_reads_nothing_of_an_organisation_room_by_any_event(app, world, stranger):
    """Someone outside the organisation gets "not found" for every event, and hears nothing."""
    room = make_room(world)
    member = joined(app, world.member, room)
    message = send(member, room, "Meeting at the shelter at 6")["message"]
    sock = live(app, stranger)
    attempts = {
        "join": {"room_id": room.id},
        "sync": {"room_id": room.id, "after_seq": 0},
        "history": {"room_id": room.id, "before_seq": 99},
        "send": {"room_id": room.id, "body": "hello", "client_id": cid()},
        "read": {"room_id": room.id, "seq": 1},
        "typing": {"room_id": room.id},
        "edit": {"message_id": message["id"], "body": "changed"},
        "delete": {"message_id": message["id"]},
        "report": {"message_id": message["id"], "reason": "x"},
    }
    for name, data in attempts.items():
        ack = sock.emit(name, data, callback=True)
        assert ack["ok"] is False and ack["error"] == "not_found", (name, ack)
        assert "shelter" not in str(ack)
    send(member, room, "Second message")
    assert heard(sock) == []
    assert [m.body for m in stored(room)] == ["Meeting at the shelter at 6", "Second message"]
    assert sock.is_connected()


def test_movement_room_is_open_to_members_and_admins_only(app, world):
    """Any member of an approved organisation and admins follow a movement room; a person
    without an organisation does not, and an anonymous visitor cannot even connect."""
    room = make_room()
    for user in (world.member, world.coordinator, world.admin):
        assert live(app, user).emit("join", {"room_id": room.id}, callback=True)["ok"]
    for user in (world.outsider, world.requester):
        ack = live(app, user).emit("join", {"room_id": room.id}, callback=True)
        assert ack["error"] == "not_found"
    assert not live(app, None).is_connected()


# --- stored once, numbered in order -----------------------------------------------------------


def test_message_sent_twice_after_a_lost_acknowledgement_is_stored_once(app, world):
    """A message resent with the same client id is stored and shown once; new messages get
    the room's next numbers."""
    room = make_room(world)
    sender, other = live(app, world.member), joined(app, world.coordinator, room)
    same = cid()
    first = send(sender, room, "We leave Tapachula on Monday", same)
    again = send(sender, room, "We leave Tapachula on Monday", same)
    assert (first["created"], again["created"]) == (True, False)
    assert again["message"]["id"] == first["message"]["id"] and again["message"]["seq"] == 1
    assert seqs(heard(other, "message")) == [1]
    later = [send(sender, room, f"Message {n}")["message"]["seq"] for n in range(2)]
    assert later == [2, 3]
    assert [m.seq for m in stored(room)] == [1, 2, 3]


# --- catching up after a reconnect ------------------------------------------------------------


def test_reconnecting_client_fills_the_gap_with_sync(app, world):
    """A phone that lost its connection gets exactly the messages it missed, in order."""
    room = make_room(world)
    phone = joined(app, world.member, room)
    writer = live(app, world.coordinator)
    send(writer, room, "Before the tunnel")
    last_held = heard(phone, "message")[-1]["seq"]
    phone.disconnect()
    for n in range(5):
        send(writer, room, f"While offline {n}")
    phone = live(app, world.member)
    ack = phone.emit("sync", {"room_id": room.id, "after_seq": last_held}, callback=True)
    assert ack["ok"] and ack["complete"] and ack["last_seq"] == 6
    assert seqs(ack["messages"]) == [2, 3, 4, 5, 6]
    assert [m["body"] for m in ack["messages"]] == [f"While offline {n}" for n in range(5)]


def test_join_after_a_sequence_returns_only_what_is_missing(app, world):
    """Re-joining with the last number held brings the missing messages, nothing doubled."""
    room = make_room(world)
    add_messages(room, world.coordinator, 7)
    sock = live(app, world.member)
    ack = sock.emit("join", {"room_id": room.id, "after_seq": 4}, callback=True)
    assert ack["ok"] and ack["last_seq"] == 7
    assert seqs(ack["messages"]) == [5, 6, 7]
    fresh = live(app, world.member).emit("join", {"room_id": room.id}, callback=True)
    assert seqs(fresh["messages"]) == list(range(1, 8))


def test_long_gap_is_filled_in_several_requests(app, world):
    """After a long absence the client is told the gap is not filled yet, and gets the rest."""
    room = make_room(world)
    add_messages(room, world.coordinator, 501)
    sock = live(app, world.member)
    first = sock.emit("sync", {"room_id": room.id, "after_seq": 0}, callback=True)
    assert seqs(first["messages"]) == list(range(1, 501)) and first["complete"] is False
    rest = sock.emit("sync", {"room_id": room.id, "after_seq": 500}, callback=True)
    assert seqs(rest["messages"]) == [501] and rest["complete"] is True


def test_history_pages_older_messages_fifty_at_a_time(app, world):
    """Scrolling up brings older messages, fifty at a time, down to the first."""
    room = make_room(world)
    add_messages(room, world.coordinator, 120)
    sock = live(app, world.member)
    latest = sock.emit("join", {"room_id": room.id}, callback=True)["messages"]
    assert seqs(latest) == list(range(71, 121))
    pages, before = [], latest[0]["seq"]
    while page := sock.emit("history", {"room_id": room.id, "before_seq": before}, callback=True)[
        "messages"
    ]:
        pages.append(seqs(page))
        before = page[0]["seq"]
    assert pages == [list(range(21, 71)), list(range(1, 21))]


# --- live delivery, edits and deletions -------------------------------------------------------


def test_message_reaches_the_other_member_live(app, world):
    """Two members in a room: what one sends, the other sees at once with the same number."""
    room = make_room(world)
    ana, rosa = joined(app, world.member, room), joined(app, world.coordinator, room)
    ack = send(ana, room, "**Vigil** at 7 in Tegucigalpa")
    pushed = heard(rosa, "message")
    assert len(pushed) == 1
    assert pushed[0]["seq"] == ack["message"]["seq"] == 1
    assert pushed[0]["author"] == "Ana Member"
    assert "<strong>Vigil</strong>" in pushed[0]["html"]


def test_edit_and_deletion_reach_the_others_live(app, world):
    """An author's edit reaches the others marked edited; their deletion, as an empty
    tombstone (not a moderation action, so not audited)."""
    room = make_room(world)
    ana, rosa = joined(app, world.member, room), joined(app, world.coordinator, room)
    message = send(ana, room, "Meeting at 6, call 555-0100")["message"]
    ack = ana.emit("edit", {"message_id": message["id"], "body": "Meeting at 7"}, callback=True)
    assert ack["ok"] and ack["message"]["edited"] is True
    (edited,) = heard(rosa, "message_updated")
    assert (edited["seq"], edited["body"], edited["edited"]) == (1, "Meeting at 7", True)
    assert ana.emit("delete", {"message_id": message["id"]}, callback=True)["ok"]
    (tombstone,) = heard(rosa, "message_updated")
    assert tombstone["deleted"] is True and tombstone["body"] == "" and tombstone["html"] == ""
    sync = rosa.emit("sync", {"room_id": room.id, "after_seq": 0}, callback=True)
    assert "555-0100" not in str(sync) and "Meeting" not in str(sync)
    assert "message.delete" not in audit_actions()


def test_coordinator_deletes_others_messages_and_a_member_cannot(app, world):
    """A plain member may not edit or delete another's message; a coordinator deletes it
    (audited) and the author sees the tombstone."""
    room = make_room(world)
    ana, rosa = joined(app, world.member, room), live(app, world.coordinator)
    own = send(ana, room, "Something hurtful")["message"]
    note = send(rosa, room, "Coordinator's note")["message"]
    for name, data in (("edit", {"body": "defaced"}), ("delete", {})):
        ack = ana.emit(name, {"message_id": note["id"], **data}, callback=True)
        assert ack["error"] == "forbidden"
    heard(ana)
    assert rosa.emit("delete", {"message_id": own["id"]}, callback=True)["ok"]
    assert heard(ana, "message_updated")[0]["deleted"] is True
    assert [m.body for m in stored(room)] == ["", "Coordinator's note"]
    assert "message.delete" in audit_actions()


def test_member_reports_a_message_for_the_coordinators(app, world):
    """A member's report over the socket lands in the room's moderation queue with the reason."""
    room = make_room(world)
    rosa, ana = live(app, world.coordinator), live(app, world.member)
    message = send(ana, room, "Buy cheap visas here")["message"]
    own = ana.emit("report", {"message_id": message["id"]}, callback=True)
    assert own["error"] == "forbidden"  # one does not report oneself
    ack = rosa.emit("report", {"message_id": message["id"], "reason": "Scam"}, callback=True)
    assert ack["ok"]
    page = rosa.http.get(f"/rooms/{room.id}/moderation").get_data(as_text=True)
    assert "Buy cheap visas here" in page and "Scam" in page
    assert db.session.scalar(select(func.count()).select_from(MessageReport)) == 1


# --- access lost while connected --------------------------------------------------------------


def test_member_removed_from_the_organisation_is_cut_off_at_once(app, world):
    """A removed member's open room says it is closed, later messages never reach them,
    and joining again is refused; the connection itself stays for the rest of the site."""
    room = make_room(world)
    ana, rosa = joined(app, world.member, room), joined(app, world.coordinator, room)
    membership = db.session.scalar(select(Membership.id).filter_by(user_id=world.member.id))
    response = rosa.http.post(f"/organisations/{world.org.slug}/members/{membership}/remove")
    assert response.status_code == 302
    assert ana.is_connected()
    assert heard(ana, "room_closed") == [{"room_id": room.id}]
    send(rosa, room, "Plans for the meeting with the prosecutor")
    assert heard(ana) == []
    again = live(app, world.member)
    assert again.emit("join", {"room_id": room.id}, callback=True)["error"] == "not_found"
    assert heard(rosa, "presence")[-1]["names"] == ["Rosa Coordinator"]


def test_muted_member_stops_receiving_and_cannot_send_until_unmuted(app, world):
    """Once muted, a member's connection no longer gets the room's messages and may not
    write; lifting the mute lets them follow and write again."""
    room = make_room(world)
    ana, rosa = joined(app, world.member, room), joined(app, world.coordinator, room)
    response = rosa.http.post(f"/rooms/{room.id}/people/{world.member.id}/mute")
    assert response.status_code == 302
    assert heard(ana, "muted") == [{"room_id": room.id}]
    send(rosa, room, "Only for those who may write")
    assert heard(ana, "message") == []
    assert send(ana, room, "Let me speak")["error"] == "forbidden"
    assert ana.emit("typing", {"room_id": room.id}, callback=True)["error"] == "forbidden"
    assert ana.emit("join", {"room_id": room.id}, callback=True)["error"] == "muted"
    assert [m.body for m in stored(room)] == ["Only for those who may write"]
    rosa.http.post(f"/rooms/{room.id}/people/{world.member.id}/unmute")
    assert ana.emit("join", {"room_id": room.id}, callback=True)["ok"]
    send(rosa, room, "Welcome back")
    assert [m["body"] for m in heard(ana, "message")] == ["Welcome back"]
    assert send(ana, room, "Thank you")["ok"]
    assert audit_actions()[-2:] == ["member.mute", "member.unmute"]


# --- bounded and malformed payloads -----------------------------------------------------------

LIMIT = 16 * 1024


@pytest.mark.parametrize(
    "body",
    [
        pytest.param("a" * (LIMIT + 1), id="ascii"),
        pytest.param("é" * (LIMIT // 2 + 1), id="two-byte"),
        pytest.param("👩🏽" * (LIMIT // 8 + 1), id="emoji"),
        pytest.param("x" * (1024 * 1024), id="one-megabyte"),
    ],
)
def test_message_over_16_kb_is_refused_and_nothing_stored(app, world, body):
    """A message over 16 KB (counted in UTF-8 bytes) is refused with a clear code; one of
    exactly 16 KB goes through."""
    room = make_room(world)
    sock = live(app, world.member)
    ack = send(sock, room, body)
    assert ack["ok"] is False and ack["error"] == "too_long" and ack["message"]
    assert stored(room) == [] and sock.is_connected()
    assert send(sock, room, "é" * (LIMIT // 2))["ok"]


R, M, CID = "{room}", "{message}", "abcdefgh12"
MALFORMED = [
    *[("send", data) for data in ("just a string", ["a", "list"], 42, None, {})],
    *[("send", {"room_id": r, "body": "hi", "client_id": CID}) for r in ("1", True, -1, 2**70)],
    *[
        ("send", {"room_id": R, "body": "hi", "client_id": c})
        for c in (None, "with spaces in it", "x" * 65, "short", 12345678901)
    ],
    *[("send", {"room_id": R, "body": b, "client_id": CID}) for b in (123, {"t": "hi"}, "  \n")],
    *[("sync", {"room_id": R, "after_seq": seq}) for seq in (-1, "3", False, None, 2**70)],
    *[("history", {"room_id": R, "before_seq": seq}) for seq in (-5, None, 1.5)],
    *[("read", {"room_id": R, "seq": seq}) for seq in (-1, True, "1")],
    ("join", {"room_id": R, "after_seq": -1}),
    ("join", {"room_id": None}),
    *[("edit", {"message_id": M, "body": b}) for b in (None, "y" * (LIMIT + 1))],
    ("edit", {"message_id": "1", "body": "x"}),
    ("delete", {"message_id": -3}),
    ("report", {"message_id": [1]}),
    ("typing", {"room_id": {"id": 1}}),
    ("leave", {"room_id": "1"}),
]


@pytest.mark.parametrize(("name", "payload"), MALFORMED, ids=[n for n, _ in MALFORMED])
def test_malformed_event_gets_an_error_and_the_connection_survives(app, world, name, payload):
    """A malformed event is answered with an error code; the connection stays usable."""
    room = make_room(world)
    sock = live(app, world.member)
    message = send(sock, room, "Original text")["message"]
    if isinstance(payload, dict):
        fill = {R: room.id, M: message["id"]}
        payload = {k: fill.get(v, v) if isinstance(v, str) else v for k, v in payload.items()}
    ack = sock.emit(name, payload, callback=True)
    assert ack["ok"] is False and isinstance(ack["error"], str) and ack["error"], ack
    assert sock.is_connected()
    assert [m.body for m in stored(room)] == ["Original text"]
    assert send(sock, room, "Still working")["ok"]


def test_event_with_extra_arguments_gets_an_error(app, world):
    """An event sent with more than one argument is answered with an error, not dropped."""
    room = make_room(world)
    sock = live(app, world.member)
    ack = sock.emit(
        "send", {"room_id": room.id, "body": "hi", "client_id": cid()}, "x", callback=True
    )
    assert ack["ok"] is False and ack["error"] == "bad_request"
    assert sock.is_connected() and stored(room) == []


def test_refused_join_does_not_follow_the_room(app, world):
    """A join answered with an error leaves the connection out of the room's live stream."""
    room = make_room(world)
    rosa, ana = live(app, world.coordinator), live(app, world.member)
    assert ana.emit("join", {"room_id": room.id, "after_seq": -1}, callback=True)["ok"] is False
    send(rosa, room, "Hello")
    assert heard(ana, "message") == []


# --- presence and typing ----------------------------------------------------------------------


def test_presence_shows_who_joined_and_drops_who_left(app, world):
    """Joining shows the person as here now; closing the connection or signing out removes
    them, and a signed-out person hears nothing more."""
    room = make_room(world)
    rosa = joined(app, world.coordinator, room)
    ana = live(app, world.member)
    ana.emit("join", {"room_id": room.id}, callback=True)
    assert heard(rosa, "presence")[-1]["names"] == ["Ana Member", "Rosa Coordinator"]
    ana.disconnect()
    assert heard(rosa, "presence")[-1]["names"] == ["Rosa Coordinator"]
    ana = joined(app, world.member, room)
    ana.http.post("/account/logout")
    assert not ana.is_connected()
    assert heard(rosa, "presence")[-1]["names"] == ["Rosa Coordinator"]
    heard(ana)
    send(rosa, room, "After Ana left")
    assert heard(ana) == []


def test_typing_notice_is_throttled_and_not_echoed(app, world):
    """Others see "is writing" once per few seconds; the writer never sees their own."""
    room = make_room(world)
    ana, rosa = joined(app, world.member, room), joined(app, world.coordinator, room)
    for _ in range(3):
        assert ana.emit("typing", {"room_id": room.id}, callback=True)["ok"]
    assert heard(rosa, "typing") == [{"room_id": room.id, "name": "Ana Member"}]
    assert heard(ana, "typing") == []
    events._last_typing[(world.member.id, room.id)] -= events.TYPING_INTERVAL  # 3 s later
    ana.emit("typing", {"room_id": room.id}, callback=True)
    assert len(heard(rosa, "typing")) == 1


# --- archive and rate limit -------------------------------------------------------------------


def test_archived_room_can_be_read_but_not_written(app, world):
    """After archiving, members still read the history but sending is refused."""
    room = make_room(world)
    ana, rosa = joined(app, world.member, room), live(app, world.coordinator)
    send(ana, room, "Last words before archiving")
    assert rosa.http.post(f"/rooms/{room.id}/archive").status_code == 302
    assert heard(ana, "room_archived") == [{"room_id": room.id}]
    assert send(ana, room, "Too late")["error"] == "forbidden"
    sync = ana.emit("sync", {"room_id": room.id, "after_seq": 0}, callback=True)
    assert [m["body"] for m in sync["messages"]] == ["Last words before archiving"]
    assert ana.emit("join", {"room_id": room.id}, callback=True)["can_post"] is False
    assert "room.archive" in audit_actions()


def test_thirty_first_message_in_a_minute_is_rate_limited(app, world):
    """Thirty messages a minute go through; the thirty-first is refused and not stored."""
    room = make_room(world)
    sock = live(app, world.member)
    assert all(send(sock, room, f"Message {n}")["ok"] for n in range(30))
    ack = send(sock, room, "One too many")
    assert ack["ok"] is False and ack["error"] == "rate_limited"
    assert len(stored(room)) == 30
    assert send(live(app, world.coordinator), room, "Someone else may still write")["ok"]


def test_resend_after_being_muted_gets_the_stored_message(app, world):
    """A message stored just before a mute, whose answer was lost, is confirmed on resend
    instead of being shown as failed."""
    room = make_room(world)
    ana = joined(app, world.member, room)
    client_id = cid()
    first = send(ana, room, "Antes del silencio", client_id)
    assert first["ok"]
    browser(app, world.coordinator).post(f"/rooms/{room.id}/people/{world.member.id}/mute")
    again = send(ana, room, "Antes del silencio", client_id)
    assert again["ok"] and again["message"]["seq"] == first["message"]["seq"]
    assert not again["created"]
    assert send(ana, room, "Después del silencio")["error"] == "forbidden"


def test_activity_names_the_author_so_own_messages_are_not_unread(app, world):
    """The rooms list is told who wrote, so one's own messages never raise the badge."""
    room = make_room(world)
    rosa = live(app, world.coordinator)
    heard(rosa)
    ana = joined(app, world.member, room)
    send(ana, room, "Hola")
    activity = heard(rosa, "activity")
    assert activity and activity[0]["author_id"] == world.member.id


def test_sending_renders_the_markdown_once(app, world, monkeypatch):
    """One send renders its text once for the room and the sender; an edit shows new text."""
    from app.rooms import services as room_services

    calls = []
    real = room_services.render_markdown
    monkeypatch.setattr(
        room_services, "render_markdown", lambda text: calls.append(text) or real(text)
    )
    room = make_room(world)
    ana = joined(app, world.member, room)
    ack = send(ana, room, "**una** vez")
    assert ack["message"]["html"] == "<p><strong>una</strong> vez</p>"
    assert calls == ["**una** vez"]
    edited = ana.emit("edit", {"message_id": ack["message"]["id"], "body": "*otra*"}, callback=True)
    assert edited["message"]["html"] == "<p><em>otra</em></p>"


# --- at saturation: one frame per follower, answers even when overloaded ---------------------


def test_followers_get_the_message_and_the_rooms_list_gets_the_badge(app, world):
    """A connection following the room gets each message once and no "activity" frame; the
    same person's rooms list (a connection not in the stream) still gets the badge; after
    leaving the room, the page gets badges again."""
    room = make_room(world)
    ana_room, ana_list = joined(app, world.member, room), live(app, world.member)
    rosa = joined(app, world.coordinator, room)
    heard(ana_list)
    ack = send(rosa, room, "Salimos a las seis")
    assert [m["seq"] for m in heard(ana_room, "message")] == [ack["message"]["seq"]]
    assert heard(ana_room, "activity") == []
    assert heard(ana_list, "activity") == [
        {"room_id": room.id, "seq": ack["message"]["seq"], "author_id": world.coordinator.id}
    ]
    assert heard(ana_list, "message") == []
    assert heard(rosa, "activity") == []  # the author follows the room too
    assert ana_room.emit("leave", {"room_id": room.id}, callback=True)["ok"]
    send(rosa, room, "Y volvemos a las diez")
    assert [a["seq"] for a in heard(ana_room, "activity")] == [2]
    assert heard(ana_room, "message") == []


def test_the_answer_is_what_the_room_was_told(app, world):
    """The sender's acknowledgement carries the very payload pushed to the room."""
    room = make_room(world)
    ana, rosa = joined(app, world.member, room), joined(app, world.coordinator, room)
    ack = send(ana, room, "Hola @Rosa, **gracias**")
    assert ack["created"] and heard(rosa, "message") == [ack["message"]]
    assert ack["message"]["author"] == "Ana Member"
    assert ack["message"]["html"] == "<p>Hola @Rosa, <strong>gracias</strong></p>"
    named = select(Mention.user_id).where(Mention.message_id == ack["message"]["id"])
    assert list(db.session.scalars(named)) == [world.coordinator.id]


def test_overloaded_server_answers_busy_at_once_and_the_resend_is_stored_once(app, world):
    """With every turn taken and no room to wait, an event is answered "busy" with a text
    (before it costs a query); the browser sends it again later, stored once."""
    from app.realtime import EventGate

    room = make_room(world)
    ana = joined(app, world.member, room)
    full = EventGate(at_once=1, queue=0, wait=0)
    app.extensions["caravana.event_gate"], kept = full, app.extensions["caravana.event_gate"]
    try:
        assert full.enter()  # another event holds the only turn
        same = cid()
        answer = send(ana, room, "¿Hay lugar?", same)
        assert answer["ok"] is False and answer["error"] == "busy" and answer["message"]
        assert ana.emit("join", {"room_id": room.id}, callback=True)["error"] == "busy"
        assert stored(room) == [] and full.stats() == {"events_waiting": 0, "events_busy": 2}
        full.leave()
        again = send(ana, room, "¿Hay lugar?", same)
        assert again["ok"] and again["created"] and again["message"]["seq"] == 1
        assert send(ana, room, "¿Hay lugar?", same)["created"] is False
    finally:
        app.extensions["caravana.event_gate"] = kept
    assert [m.seq for m in stored(room)] == [1]


def test_event_waits_in_the_queue_for_a_turn():
    """A full gate queues an event until a turn is free; beyond the queue, refusal."""
    import threading

    from app.realtime import EventGate

    gate = EventGate(at_once=1, queue=1, wait=30)
    assert gate.enter()
    waited = []
    waiter = threading.Thread(target=lambda: waited.append(gate.enter()))
    waiter.start()
    while gate.stats()["events_waiting"] == 0:
        waiter.join(0.01)
    assert gate.enter() is False  # the queue holds one: a third is refused at once
    gate.leave()
    waiter.join()
    assert waited == [True] and gate.stats() == {"events_waiting": 0, "events_busy": 1}


def test_writer_that_cannot_get_its_turn_is_told_busy_and_nothing_is_numbered(app, world):
    """When this process's writers are queued beyond the wait, the sender is told "busy";
    no number is taken, so the next message gets the next one (no gap)."""
    from app.rooms import services as room_services

    room = make_room(world)
    ana = joined(app, world.member, room)
    app.config["SOCKET_EVENT_WAIT"] = 0
    assert room_services._write_lock.acquire()  # another message is being written
    try:
        answer = send(ana, room, "Esperando turno")
    finally:
        room_services._write_lock.release()
    if db.engine.dialect.name != "sqlite":
        # PostgreSQL writers lock rows, not the database: they never queue in the process.
        assert answer["ok"] and answer["message"]["seq"] == 1
        return
    assert answer["error"] == "busy"
    assert send(ana, room, "Ahora sí")["message"]["seq"] == 1
    assert [m.seq for m in stored(room)] == [1]


def test_resend_at_the_rate_limit_gets_the_stored_message(app, world):
    """A resend (its answer was lost) is confirmed even when the sender is at the limit."""
    room = make_room(world)
    sock = live(app, world.member)
    ids = [cid() for _ in range(30)]
    assert all(send(sock, room, f"Message {n}", ids[n])["ok"] for n in range(30))
    again = send(sock, room, "Message 29", ids[29])
    assert again["ok"] and again["created"] is False and again["message"]["seq"] == 30
    assert send(sock, room, "One too many")["error"] == "rate_limited"
    assert len(stored(room)) == 30
