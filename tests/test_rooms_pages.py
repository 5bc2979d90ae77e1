"""Discussion rooms as pages: reading and posting without JavaScript, unread counts and the
"new messages" divider, mentions, moderation, archiving, room creation, and XSS."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import Membership, Mention, MessageReport, Role, Room, RoomScope
from app.rooms import services
from tests import factories
from tests.test_rooms_sockets import (  # noqa: F401 - stranger is a fixture used here
    add_messages,
    audit_actions,
    browser,
    cid,
    live,
    make_room,
    stored,
    stranger,
)
from tests.test_xss import inert_problems

NOBODY, MENTIONS = "Nobody has mentioned you yet.", "/rooms/mentions"


def page(http, url: str, status: int = 200) -> str:
    response = http.get(url)
    assert response.status_code == status, (url, response.status_code)
    return response.get_data(as_text=True)


def post(http, room: Room, body: str, client_id: str | None = None):
    """Post through the plain form, as a phone without JavaScript does."""
    return http.post(
        f"/rooms/{room.id}/messages", data={"body": body, "client_id": client_id or cid()}
    )


def shown_seqs(html: str) -> list[int]:
    return [int(n) for n in re.findall(r'<li class="message[^"]*" id="m-(\d+)"', html)]


def marks(html: str) -> list[str]:
    """The messages ("m-<seq>") and the "New messages" divider, in page order."""
    return re.findall(r'<li class="[^"]*" id="(new-divider|m-\d+)"', html)


def badge(http, room: Room) -> str:
    """The unread badge of a room on the person's rooms list ("" when nothing is new)."""
    html = page(http, "/rooms/")
    match = re.search(
        rf'data-room-id="{room.id}">.*?data-unread="\d+">([^<]*)</span>', html, re.DOTALL
    )
    assert match, "room not listed"
    return match.group(1).strip()


# --- without JavaScript -----------------------------------------------------------------------


def test_room_page_reads_and_posts_without_javascript(app, world):
    """The latest fifty messages are on the page, older ones behind a link, and the plain
    form posts a message that is shown after the redirect."""
    room = make_room(world)
    add_messages(room, world.coordinator, 60)
    ana = browser(app, world.member)
    html = page(ana, f"/rooms/{room.id}")
    assert shown_seqs(html) == list(range(11, 61))
    assert f'href="/rooms/{room.id}?before=11"' in html
    older = page(ana, f"/rooms/{room.id}?before=11")
    assert shown_seqs(older) == list(range(1, 11))
    assert "Back to the latest messages" in older and 'id="older-link"' not in older
    response = post(ana, room, "Hola a todas, **llegamos** mañana")
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/rooms/{room.id}#composer")
    html = page(ana, f"/rooms/{room.id}")
    assert "Hola a todas, <strong>llegamos</strong> mañana" in html
    assert shown_seqs(html)[-1] == 61


def test_form_sent_twice_is_stored_once(app, world):
    """Tapping Send twice (or resending the form) stores the message once."""
    room = make_room(world)
    ana = browser(app, world.member)
    client_id = re.search(
        r'name="client_id" type="hidden" value="(\w+)"', page(ana, f"/rooms/{room.id}")
    )
    assert client_id, "the form carries a client id"
    for _ in range(2):
        post(ana, room, "Bus leaves at dawn", client_id.group(1))
    assert [m.body for m in stored(room)] == ["Bus leaves at dawn"]
    assert page(ana, f"/rooms/{room.id}").count("Bus leaves at dawn") == 1


@pytest.mark.parametrize(
    ("body", "client_id", "flash"),
    [
        ("é" * (8 * 1024 + 1), "abcdef123456", "too long"),
        ("   ", "abcdef123456", "Please write a message first"),
        ("Hello", "", "not right"),
        ("Hello", "has spaces in it", "not right"),
    ],
    ids=["too-long", "blank", "no-client-id", "bad-client-id"],
)
def test_form_refuses_bad_messages_with_a_message(app, world, body, client_id, flash):
    """A refused form post says why, and stores nothing."""
    room = make_room(world)
    ana = browser(app, world.member)
    response = ana.post(f"/rooms/{room.id}/messages", data={"body": body, "client_id": client_id})
    assert response.status_code == 302
    assert flash in page(ana, f"/rooms/{room.id}")
    assert stored(room) == []


def test_form_thirty_first_message_in_a_minute_is_refused(app, world):
    """Posting more than thirty messages a minute through the form is refused with a notice."""
    room = make_room(world)
    ana = browser(app, world.member)
    for n in range(31):
        assert post(ana, room, f"Message {n}").status_code == 302
    assert "You are sending very fast" in page(ana, f"/rooms/{room.id}")
    assert len(stored(room)) == 30


# --- outsiders --------------------------------------------------------------------------------


def test_stranger_reads_nothing_of_an_organisation_room_by_any_page(app, world, stranger):  # noqa: F811
    """Room page, older pages, posting, reports, history, rooms list and mentions reveal
    nothing of another organisation's room."""
    room = make_room(world, "Secret search plans")
    ana = browser(app, world.member)
    post(ana, room, "The shelter address is 12 Calle Real, ask @**Paula Outsider**")
    message = stored(room)[0]
    http = browser(app, stranger)
    for url in (
        f"/rooms/{room.id}",
        f"/rooms/{room.id}?before=5",
        f"/rooms/{room.id}/messages/{message.id}/report",
        f"/rooms/{room.id}/messages/{message.id}/history",
        f"/rooms/{room.id}/messages/{message.id}/edit",
        f"/rooms/{room.id}/moderation",
    ):
        assert "Calle Real" not in page(http, url, 404)
    assert post(http, room, "Let me in").status_code == 404
    assert http.post(f"/rooms/{room.id}/messages/{message.id}/delete").status_code == 404
    assert len(stored(room)) == 1
    listing = page(http, "/rooms/")
    assert "Secret search plans" not in listing and f"/rooms/{room.id}" not in listing
    mentions = page(http, MENTIONS)
    assert "Calle Real" not in mentions and NOBODY in mentions


def test_removed_member_loses_the_room_and_its_mentions(app, world):
    """After removal from the organisation the room and the mentions in it are gone."""
    room = make_room(world, "Committee room")
    rosa = browser(app, world.coordinator)
    post(rosa, room, "Thank you @Ana for the photos")
    ana = browser(app, world.member)
    assert "photos" in page(ana, MENTIONS)
    membership = db.session.scalar(select(Membership.id).filter_by(user_id=world.member.id))
    rosa.post(f"/organisations/{world.org.slug}/members/{membership}/remove")
    assert "photos" not in page(ana, MENTIONS)
    assert "Committee room" not in page(ana, "/rooms/")
    page(ana, f"/rooms/{room.id}", 404)


# --- unread counts and the divider ------------------------------------------------------------


def test_unread_count_shows_others_messages_until_the_room_is_opened(app, world):
    """Three messages from someone else show as "3 new" until the room is opened."""
    room = make_room(world)
    rosa, ana = browser(app, world.coordinator), browser(app, world.member)
    for n in range(3):
        post(rosa, room, f"Update {n}")
    assert badge(ana, room) == "3 new"
    assert badge(rosa, room) == ""  # one's own messages are never new
    page(ana, f"/rooms/{room.id}")
    assert badge(ana, room) == ""


def test_own_and_deleted_messages_do_not_count_as_new(app, world):
    """Only others' messages that still exist count as new."""
    room = make_room(world)
    rosa, ana = browser(app, world.coordinator), browser(app, world.member)
    post(ana, room, "Mine")
    post(ana, room, "Mine too")
    for n in range(3):
        post(rosa, room, f"Hers {n}")
    deleted = stored(room)[-1]
    assert rosa.post(f"/rooms/{room.id}/messages/{deleted.id}/delete").status_code == 302
    assert badge(ana, room) == "2 new"


def test_read_event_clears_the_unread_count(app, world):
    """Reading up to the last message on the live connection clears the badge."""
    room = make_room(world)
    add_messages(room, world.coordinator, 4)
    sock = live(app, world.member)
    assert badge(sock.http, room) == "4 new"
    sock.emit("read", {"room_id": room.id, "seq": 2}, callback=True)
    assert badge(sock.http, room) == "2 new"
    sock.emit("read", {"room_id": room.id, "seq": 4}, callback=True)
    assert badge(sock.http, room) == ""


def test_new_messages_divider_stands_before_the_first_unread(app, world):
    """Returning to a room, the "New messages" line sits just above the first unread
    message from someone else; once read, it is gone."""
    room = make_room(world)
    rosa, ana = browser(app, world.coordinator), browser(app, world.member)
    post(rosa, room, "First")
    post(rosa, room, "Second")
    page(ana, f"/rooms/{room.id}")
    post(ana, room, "Mine, after reading")
    post(rosa, room, "Third, unread")
    post(rosa, room, "Fourth, unread")
    shown = marks(page(ana, f"/rooms/{room.id}"))
    assert shown == ["m-1", "m-2", "m-3", "new-divider", "m-4", "m-5"]
    assert 'id="new-divider"' not in page(ana, f"/rooms/{room.id}")


def test_more_unread_than_a_page_opens_at_the_first_unread(app, world):
    """With more new messages than a page holds, the room opens at the first unread one,
    under the divider, so nothing is marked read unseen."""
    room = make_room(world)
    add_messages(room, world.coordinator, 10)
    ana = browser(app, world.member)
    page(ana, f"/rooms/{room.id}")
    add_messages(room, world.coordinator, 70)
    html = page(ana, f"/rooms/{room.id}")
    assert "new-divider" in marks(html)
    assert marks(html)[marks(html).index("new-divider") + 1] == "m-11"


# --- mentions ---------------------------------------------------------------------------------


def test_full_name_and_unique_first_name_mention_people(app, world):
    """@**Full Name** and a first name nobody else in the room has both mention the person,
    until the message is deleted."""
    room = make_room(world)
    rosa, ana = browser(app, world.coordinator), browser(app, world.member)
    post(rosa, room, "Thank you @**Ana Member** for the list")
    post(ana, room, "@rosa can you call the consulate?")
    assert "for the list" in page(ana, MENTIONS)
    assert "call the consulate" in page(rosa, MENTIONS)
    rosa.post(f"/rooms/{room.id}/messages/{stored(room)[0].id}/delete")
    assert NOBODY in page(ana, MENTIONS)


def test_ambiguous_names_outsiders_and_oneself_are_not_mentioned(app, world):
    """A first name two people share, someone who cannot see the room, and the author
    themself are never mentioned."""
    room = make_room(world)
    factories.add_member(world.org, factories.make_user("Ana Other"))
    post(browser(app, world.coordinator), room, "@Ana please bring the banner")
    ana = browser(app, world.member)
    post(ana, room, "@**Paula Outsider** and @Paula, and @**Ana Member** myself")
    assert db.session.scalar(select(func.count()).select_from(Mention)) == 0
    assert NOBODY in page(ana, MENTIONS)
    assert NOBODY in page(browser(app, world.outsider), MENTIONS)


def test_mention_at_the_end_of_a_sentence_counts(app, world):
    """ "Thank you, @Ana." mentions Ana although a full stop follows her name."""
    room = make_room(world)
    post(browser(app, world.coordinator), room, "Thank you, @Ana.")
    assert "Thank you" in page(browser(app, world.member), MENTIONS)


def test_admin_is_mentioned_in_a_movement_room(app, world):
    """An admin, who reads and moderates movement rooms, is mentioned there by name."""
    room = make_room(name="Movement café")
    post(browser(app, world.member), room, "@**Zoe Admin** could you pin the manifesto?")
    assert "pin the manifesto" in page(browser(app, world.admin), MENTIONS)


# --- edits, deletions and moderation ----------------------------------------------------------


def test_earlier_versions_are_for_moderators_only(app, world):
    """An edited message shows as edited; its earlier text is for moderators, not members."""
    room = make_room(world)
    ana, rosa, other = (browser(app, u) for u in (world.member, world.coordinator, world.member))
    post(ana, room, "Meet at the old church")
    message = stored(room)[0]
    response = ana.post(
        f"/rooms/{room.id}/messages/{message.id}/edit", data={"body": "Meet at the new church"}
    )
    assert response.status_code == 302
    html = page(other, f"/rooms/{room.id}")
    assert "(edited)" in html and "new church" in html and "old church" not in html
    page(ana, f"/rooms/{room.id}/messages/{message.id}/history", 403)
    history = page(rosa, f"/rooms/{room.id}/messages/{message.id}/history")
    assert "old church" in history and "new church" in history


def test_report_lands_in_the_moderation_queue_and_is_resolved(app, world):
    """A member cannot delete another's message but reports it with a reason; the
    coordinator sees the report and closes it."""
    room = make_room(world)
    marta = factories.make_user("Marta Member")
    factories.add_member(world.org, marta, Role.MEMBER)
    rosa, ana = browser(app, world.coordinator), browser(app, world.member)
    post(browser(app, marta), room, "Name and village of a witness")
    message = stored(room)[0]
    assert ana.post(f"/rooms/{room.id}/messages/{message.id}/delete").status_code == 403
    report_url = f"/rooms/{room.id}/messages/{message.id}/report"
    assert "Name and village" in page(ana, report_url)
    response = ana.post(report_url, data={"reason": "It puts a family at risk"})
    assert response.status_code == 302
    page(ana, f"/rooms/{room.id}/moderation", 403)
    queue = page(rosa, f"/rooms/{room.id}/moderation")
    assert "It puts a family at risk" in queue and "Name and village" in queue
    report = db.session.scalar(select(MessageReport))
    resolve = rosa.post(f"/rooms/{room.id}/reports/{report.id}/resolve")
    assert resolve.status_code == 302
    assert "No report is waiting." in page(rosa, f"/rooms/{room.id}/moderation")
    assert "report.resolve" in audit_actions()


def test_admin_moderates_movement_rooms_but_not_organisation_rooms(app, world):
    """Admins see a movement room's reports and delete its messages, and cannot open an
    organisation room they are not a member of; coordinators do not moderate movement rooms."""
    movement, own = make_room(name="Movement café"), make_room(world)
    post(browser(app, world.member), movement, "Spam link")
    message = stored(movement)[0]
    rosa = browser(app, world.coordinator)
    rosa.post(f"/rooms/{movement.id}/messages/{message.id}/report", data={"reason": "Spam"})
    zoe = browser(app, world.admin)
    assert "Spam link" in page(zoe, f"/rooms/{movement.id}/moderation")
    assert zoe.post(f"/rooms/{movement.id}/messages/{message.id}/delete").status_code == 302
    assert "This message was deleted." in page(zoe, f"/rooms/{movement.id}")
    assert "message.delete" in audit_actions()
    page(rosa, f"/rooms/{movement.id}/moderation", 403)
    page(zoe, f"/rooms/{own.id}/moderation", 404)


def test_muted_member_reads_but_sees_no_form(app, world):
    """A muted member still reads the room, is told why they cannot write, and cannot post."""
    room = make_room(world)
    rosa, ana = browser(app, world.coordinator), browser(app, world.member)
    post(rosa, room, "Rules of the room")
    rosa.post(f"/rooms/{room.id}/people/{world.member.id}/mute")
    html = page(ana, f"/rooms/{room.id}")
    assert "Rules of the room" in html and "muted you" in html and 'id="composer"' not in html
    assert post(ana, room, "Let me speak").status_code == 403
    assert "Ana Member" in page(rosa, f"/rooms/{room.id}/moderation")


def test_a_moderator_cannot_mute_themselves(app, world):
    """Muting is for others: a moderator's own mute is refused and changes nothing."""
    room = make_room(world)
    rosa = browser(app, world.coordinator)
    assert rosa.post(f"/rooms/{room.id}/people/{world.coordinator.id}/mute").status_code == 403
    assert 'id="composer"' in page(rosa, f"/rooms/{room.id}")


def test_a_person_who_cannot_read_the_room_is_not_found_for_muting(app, world):
    """Moderation acts only on the room's readers; others are not revealed."""
    room = make_room(world)
    rosa = browser(app, world.coordinator)
    assert rosa.post(f"/rooms/{room.id}/people/{world.outsider.id}/mute").status_code == 404


# --- archiving and creating rooms -------------------------------------------------------------


def test_archived_room_is_read_only(app, world):
    """An archived room says so, keeps its messages, and has no form to write."""
    room = make_room(world)
    rosa, ana = browser(app, world.coordinator), browser(app, world.member)
    post(ana, room, "See you at the border")
    assert ana.post(f"/rooms/{room.id}/archive").status_code == 403
    assert rosa.post(f"/rooms/{room.id}/archive").status_code == 302
    html = page(ana, f"/rooms/{room.id}")
    assert "Archived: it can be read but not written in." in html
    assert "See you at the border" in html and 'id="composer"' not in html
    assert post(ana, room, "Too late").status_code == 403
    assert len(stored(room)) == 1
    assert "Archived" in page(ana, "/rooms/")


def test_coordinator_opens_a_room_for_the_organisation(app, world):
    """A coordinator opens an organisation room (audited); a member may not."""
    rosa, ana = browser(app, world.coordinator), browser(app, world.member)
    url = f"/rooms/new?org={world.org.slug}"
    page(ana, url, 403)
    assert ana.post(url, data={"name": "Sneaky"}).status_code == 403
    page(rosa, url)
    response = rosa.post(url, data={"name": "Caravan 2025", "description": "Logistics"})
    assert response.status_code == 302
    room = db.session.scalar(select(Room).filter_by(name="Caravan 2025"))
    assert room.scope == RoomScope.ORGANISATION and room.organisation_id == world.org.id
    assert response.headers["Location"].endswith(f"/rooms/{room.id}")
    assert "room.create" in audit_actions()
    assert "Caravan 2025" in page(ana, "/rooms/")
    assert db.session.scalar(select(Room).filter_by(name="Sneaky")) is None


def test_admin_opens_a_movement_room_and_a_coordinator_cannot(app, world):
    """Only admins open rooms for the whole movement."""
    rosa, zoe = browser(app, world.coordinator), browser(app, world.admin)
    page(rosa, "/rooms/new", 403)
    assert rosa.post("/rooms/new", data={"name": "Coordinator café"}).status_code == 403
    page(zoe, "/rooms/new")
    assert zoe.post("/rooms/new", data={"name": "Virtual café"}).status_code == 302
    room = db.session.scalar(select(Room).filter_by(name="Virtual café"))
    assert room.scope == RoomScope.MOVEMENT
    assert "Virtual café" in page(browser(app, world.member), "/rooms/")
    assert "Virtual café" not in page(browser(app, world.outsider), "/rooms/")
    assert db.session.scalar(select(Room).filter_by(name="Coordinator café")) is None


# --- XSS --------------------------------------------------------------------------------------


@pytest.mark.slow
def test_every_payload_as_a_message_is_inert(app, world, xss_payloads):
    """Every corpus payload sent as a message is inert in the live JSON and on the room
    page (fifty per page, every page of the history)."""
    room = make_room(world)
    add_messages(room, world.member, xss_payloads)
    failures = []
    for message in stored(room):
        failures += [
            f"json {message.seq}: {p}" for p in inert_problems(services.serialise(message)["html"])
        ]
    http, url = browser(app, world.coordinator), f"/rooms/{room.id}"
    pages = 0
    while url:
        html = page(http, url)
        failures += [f"{url}: {p}" for p in inert_problems(html)]
        pages += 1
        older = re.search(r'id="older-link" href="([^"]+)"', html)
        url = older.group(1).replace("&amp;", "&") if older else None
    assert pages == -(-len(xss_payloads) // 50)
    assert not failures, f"{len(failures)} problem(s):\n" + "\n".join(failures[:25])
