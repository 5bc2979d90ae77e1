"""Rooms, issue 9 item 14: mention suggestions from the room's readers only, mentions marked
for the person named, reports that never reach the person reported, the formatting help
page, and no presence left by a join that arrives after its connection closed."""

from __future__ import annotations

import re

import flask_babel
from sqlalchemy import func, select

from app import realtime
from app.extensions import db
from app.models import LiveSocket, Message, MessageReport, Role, RoomPresence
from app.rooms import services
from tests import factories
from tests.test_rooms_pages import page, post
from tests.test_rooms_sockets import (  # noqa: F401 - stranger is a fixture used here
    browser,
    heard,
    joined,
    live,
    make_room,
    send,
    stored,
    stranger,
)


def people(sock, room, q: str) -> dict:
    return sock.emit("people", {"room_id": room.id, "q": q}, callback=True)


# --- a) suggestions -----------------------------------------------------------------------------


def test_suggestions_list_only_the_rooms_readers_accent_and_case_blind(app, world):
    """ "jose" finds "José Ramírez" (a reader), never the outsider with the same first name,
    nor the person asking; a word inside the name matches too."""
    jose = factories.make_user("José Ramírez")
    factories.add_member(world.org, jose)
    factories.make_user("Jose Outsider")  # not a member: must never be suggested
    room = make_room(world)
    ana = live(app, world.member)
    assert people(ana, room, "jose")["people"] == ["José Ramírez"]
    assert people(ana, room, "RAMIR")["people"] == ["José Ramírez"]
    assert people(ana, room, "ro")["people"] == ["Rosa Coordinator"]
    assert "Ana Member" not in people(ana, room, "")["people"]  # never oneself


def test_suggestions_are_bounded(app, world):
    """At most eight names, however many match, and a long query is cut, not refused."""
    for n in range(12):
        factories.add_member(world.org, factories.make_user(f"Alba Number{n:02d}"))
    room = make_room(world)
    ana = live(app, world.member)
    assert len(people(ana, room, "alba")["people"]) == services.PEOPLE_SHOWN == 8
    assert people(ana, room, "a" * 5000)["ok"]
    assert people(ana, room, "a" * 5000)["people"] == []
    assert len(people(ana, room, 42)["people"]) == 8  # not a string: as if nothing was typed


def test_suggestions_are_not_found_for_an_outsider(app, world, stranger):  # noqa: F811
    """Someone who cannot read the room learns nothing, not even that it exists."""
    room = make_room(world)
    answer = people(live(app, stranger), room, "a")
    assert answer["ok"] is False and answer["error"] == "not_found"
    assert "people" not in answer


def test_suggestions_are_rate_limited(app, world):
    """Each suggestion reads the room's readers: an account asks at most 60 a minute."""
    room = make_room(world)
    ana = live(app, world.member)
    answers = [people(ana, room, "r") for _ in range(61)]
    assert all(a["ok"] for a in answers[:60])
    assert answers[60]["error"] == "rate_limited"


# --- b) a mention of the reader stands out ------------------------------------------------------


def _mentions_me(html: str) -> list[int]:
    return [int(n) for n in re.findall(r'<li class="message mentions-me" id="m-(\d+)"', html)]


def test_mention_is_marked_for_the_person_named_only(app, world):
    """The page marks Ana's mention for Ana, not for Rosa; the stored HTML is the same for
    both (rendered once); the live message names Ana's id, which her page marks."""
    room = make_room(world)
    rosa_http, ana_http = browser(app, world.coordinator), browser(app, world.member)
    post(rosa_http, room, "Hola @**Ana Member**, ¿vienes?")
    post(rosa_http, room, "Sin mención")
    assert _mentions_me(page(ana_http, f"/rooms/{room.id}")) == [1]
    assert "Mentions you" in page(ana_http, f"/rooms/{room.id}")
    assert _mentions_me(page(rosa_http, f"/rooms/{room.id}")) == []
    message = stored(room)[0]
    assert "mention" not in message.body_html  # no per-reader mark in the stored HTML
    ana = joined(app, world.member, room)
    rosa = live(app, world.coordinator)
    sent = send(rosa, room, "@**Ana Member** mira esto")["message"]
    assert sent["mentioned"] == [world.member.id]
    assert heard(ana, "message")[-1]["mentioned"] == [world.member.id]
    answer = ana.emit("sync", {"room_id": room.id, "after_seq": 0}, callback=True)
    assert [m["mentioned"] for m in answer["messages"]] == [
        [world.member.id],
        [],
        [world.member.id],
    ]
    # Rosa's own answer does not say whom else a message names: only whether it names her.
    answer = rosa.emit("sync", {"room_id": room.id, "after_seq": 0}, callback=True)
    assert [m["mentioned"] for m in answer["messages"]] == [[], [], []]


# --- d) reports never reach the person reported -------------------------------------------------


def _reports() -> int:
    return db.session.scalar(select(func.count()).select_from(MessageReport))


def test_report_of_the_only_coordinator_goes_to_the_admins(app, world):
    """Rosa is the room's only moderator: a report of her message is neither shown nor
    pushed to her; the admins are told, see it in their queue, and close it."""
    room = make_room(world)
    rosa, ana = live(app, world.coordinator), live(app, world.member)
    zoe = live(app, world.admin)
    message = send(rosa, room, "Meet at the border post")["message"]
    heard(rosa), heard(zoe)
    assert ana.emit("report", {"message_id": message["id"], "reason": "Unsafe"}, callback=True)[
        "ok"
    ]
    assert _reports() == 1
    assert heard(rosa, "reported") == []
    assert heard(zoe, "reported") == [{"room_id": room.id}]
    assert "Unsafe" not in page(rosa.http, f"/rooms/{room.id}/moderation")
    assert "Unsafe" not in page(rosa.http, "/rooms/reports")
    assert 'id="waiting-reports"' not in page(rosa.http, "/rooms/")
    assert 'id="waiting-reports"' not in page(rosa.http, f"/rooms/{room.id}")
    queue = page(zoe.http, "/rooms/reports")
    assert "Unsafe" in queue and "Meet at the border post" in queue
    assert "1 report is waiting for you." in page(zoe.http, "/rooms/")
    report = db.session.scalar(select(MessageReport))
    resolve = f"/rooms/{room.id}/reports/{report.id}/resolve"
    assert rosa.http.post(resolve).status_code == 404  # the person reported cannot close it
    assert zoe.http.post(resolve).status_code == 302
    assert "No report is waiting." in page(zoe.http, "/rooms/reports")


def test_report_of_a_coordinator_goes_to_the_other_coordinator(app, world):
    """With a second coordinator, she gets the report of Rosa's message, and the admins
    (who do not moderate this organisation's room) do not."""
    marisol = factories.make_user("Marisol Coordinator")
    factories.add_member(world.org, marisol, Role.COORDINATOR)
    room = make_room(world)
    rosa, ana = live(app, world.coordinator), live(app, world.member)
    other, zoe = live(app, marisol), live(app, world.admin)
    message = send(rosa, room, "Bring the photos")["message"]
    heard(rosa), heard(other), heard(zoe)
    ana.emit("report", {"message_id": message["id"], "reason": "Privacy"}, callback=True)
    assert heard(rosa, "reported") == []
    assert heard(other, "reported") == [{"room_id": room.id}]
    assert heard(zoe, "reported") == []
    assert "Privacy" in page(other.http, f"/rooms/{room.id}/moderation")
    assert "Privacy" not in page(rosa.http, f"/rooms/{room.id}/moderation")
    assert "Privacy" not in page(zoe.http, "/rooms/reports")


def test_moderator_sees_how_many_reports_wait(app, world):
    """The room page and the rooms list show the coordinator the reports waiting for her;
    a member sees no such count."""
    room = make_room(world)
    marta = factories.make_user("Marta Member")
    factories.add_member(world.org, marta)
    rosa_http, ana_http = browser(app, world.coordinator), browser(app, world.member)
    for body in ("One", "Two"):
        post(browser(app, marta), room, body)
    for message in stored(room):
        ana_http.post(f"/rooms/{room.id}/messages/{message.id}/report", data={"reason": "x"})
    assert "2 reports are waiting for you." in page(rosa_http, f"/rooms/{room.id}")
    assert "2 reports are waiting for you." in page(rosa_http, "/rooms/")
    assert 'id="waiting-reports"' not in page(ana_http, "/rooms/")
    assert 'id="waiting-reports"' not in page(ana_http, f"/rooms/{room.id}")


# --- e) formatting help -------------------------------------------------------------------------


class _Marked:
    """Translations that wrap every string, to see which texts went through gettext."""

    def ugettext(self, text):
        return f"⟦{text}⟧"

    gettext = ugettext

    def ungettext(self, one, many, n):
        return f"⟦{one if n == 1 else many}⟧"

    ngettext = ungettext

    def upgettext(self, _context, text):
        return f"⟦{text}⟧"

    pgettext = upgettext

    def unpgettext(self, _context, one, many, n):
        return f"⟦{one if n == 1 else many}⟧"

    npgettext = unpgettext


def test_formatting_help_is_linked_and_every_word_is_translated(app, world, monkeypatch):
    """The composer links to the help page (no more bare "Markdown" hint); every text of
    the page goes through gettext (only the signs to type stand outside)."""
    room = make_room(world)
    ana = browser(app, world.member)
    html = page(ana, f"/rooms/{room.id}")
    assert 'href="/rooms/formatting"' in html and "Formatting help" in html
    assert "Markdown" not in html
    help_page = page(ana, "/rooms/formatting")
    for words in ("Bold", "Italic", "link", "list", "quote", "mention"):
        assert words in help_page
    monkeypatch.setattr(flask_babel.Domain, "get_translations", lambda self: _Marked())
    main = page(ana, "/rooms/formatting").split('<main id="main" tabindex="-1">')[1]
    main = main.split("</main>")[0]
    texts = [t.strip() for t in re.findall(r">([^<]+)<", main) if t.strip()]
    signs = {"**", "*", "[", "](https://example.org)", "-", "&gt;", "@**"}
    untranslated = [t for t in texts if "⟦" not in t and t not in signs]
    assert len(texts) > 10 and untranslated == []


def test_formatting_help_needs_an_account(client):
    response = client.get("/rooms/formatting")
    assert response.status_code == 302


# --- f) presence --------------------------------------------------------------------------------


def test_join_after_its_disconnect_leaves_no_presence(app, world):
    """A join handled after its connection was closed (the disconnect ran first, in another
    thread) adds no presence row and shows nobody; a normal join still does."""
    room = make_room(world)
    rosa = joined(app, world.coordinator, room)
    ana = live(app, world.member)
    sid = db.session.scalar(select(LiveSocket.sid).where(LiveSocket.user_id == world.member.id))
    realtime._state().sids.discard(sid)  # what on_disconnect does first of all
    ack = ana.emit("join", {"room_id": room.id}, callback=True)
    assert ack["ok"]  # it still reads the messages it asked for
    stays = select(func.count()).select_from(RoomPresence).where(RoomPresence.sid == sid)
    assert db.session.scalar(stays) == 0
    assert all("Ana Member" not in p["names"] for p in heard(rosa, "presence"))
    realtime._state().sids.add(sid)
    ana.emit("join", {"room_id": room.id}, callback=True)
    assert db.session.scalar(stays) == 1
    assert heard(rosa, "presence")[-1]["names"] == ["Ana Member", "Rosa Coordinator"]


def test_presence_row_written_during_the_disconnect_is_taken_back(app, world, monkeypatch):
    """The other order: the disconnect forgets the sid while the join writes its row; the
    join checks again afterwards and removes it."""
    from app.rooms import events

    room = make_room(world)
    ana = live(app, world.member)
    sid = db.session.scalar(select(LiveSocket.sid).where(LiveSocket.user_id == world.member.id))
    answers = iter([True, False])  # connected before writing, gone once written
    monkeypatch.setattr(events, "_connected", lambda _sid: next(answers))
    assert ana.emit("join", {"room_id": room.id}, callback=True)["ok"]
    stays = select(func.count()).select_from(RoomPresence).where(RoomPresence.sid == sid)
    assert db.session.scalar(stays) == 0


def test_an_admins_report_queue_costs_the_same_for_one_report_or_many(app, world):
    """Reports sent on to the admins are checked once per room and author, not per report:
    the admin's queue and rooms list run as many statements for six reports as for one."""
    from sqlalchemy import event

    room = make_room(world)
    rosa, zoe = live(app, world.coordinator), browser(app, world.admin)
    reporters = [factories.make_user(f"Reporter {n}") for n in range(6)]
    for person in reporters:
        factories.add_member(world.org, person, Role.MEMBER)
    db.session.commit()

    def statements(url: str) -> int:
        seen: list[str] = []
        listen = lambda *args: seen.append(args[2])  # noqa: E731 - the statement text
        event.listen(db.engine, "before_cursor_execute", listen)
        try:
            assert zoe.get(url).status_code == 200
        finally:
            event.remove(db.engine, "before_cursor_execute", listen)
        return len(seen)

    counts = []
    for n, person in enumerate(reporters):
        message = send(rosa, room, f"Odd message {n}")["message"]
        services.report_message(person, db.session.get(Message, message["id"]), "Unsafe")
        if n in (0, 5):
            counts.append((statements("/rooms/reports"), statements("/rooms/")))
    assert counts[0] == counts[1], counts
