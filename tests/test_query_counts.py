"""Each main page costs a fixed number of SQL statements, however much the movement grows.

A small world (one of everything) and the same world grown through the app's own services
(more organisations, members, campaigns with partners, events and answers, rooms, messages and
mentions, audit entries and mail) must give every page the same statement count: lists are
filtered in SQL and load what they show with them, never a query per row.
"""

from __future__ import annotations

from datetime import date, datetime
from itertools import count

import pytest
from sqlalchemy import event

from app.campaigns import services as campaigns
from app.extensions import db
from app.models import Role, RoomScope, RsvpResponse, Visibility
from app.orgs import services as orgs
from app.rooms import services as rooms
from tests.conftest import sign_in
from tests.factories import add_member, make_org, make_user

_n = count(1)
MONTH = "2026-03"


def _event(actor, org, campaign=None, day: int = 10, **extra):
    draft = campaigns.EventDraft(
        title=f"Vigil {next(_n)}", timezone="America/Tegucigalpa",
        starts_local=datetime(2026, 3, day, 17), ends_local=datetime(2026, 3, day, 18), **extra,
    )  # fmt: skip
    return campaigns.create_event(actor, org, draft, campaign)


def grow(app, world, size: int) -> None:
    """Add `size` of everything a page lists, through the services people use."""
    with app.test_request_context():
        for i in range(size):
            partner = make_org(f"Partner {next(_n)}")
            boss, member = make_user(f"Boss {next(_n)}"), make_user(f"Member {next(_n)}")
            add_member(partner, boss, Role.COORDINATOR)
            add_member(partner, member)
            add_member(partner, world.member)
            campaign = campaigns.create_campaign(
                world.coordinator, world.org, f"Campaign {next(_n)}", date(2026, 3, 1),
                date(2026, 3, 30), visibility=list(Visibility)[i % 3],
            )  # fmt: skip
            participant = campaigns.invite_organisation(world.coordinator, campaign, partner)
            campaigns.answer_participation(boss, participant, True)
            invited = campaigns.create_campaign(
                boss, partner, f"Invitation {next(_n)}", date(2026, 3, 1), date(2026, 3, 30)
            )
            campaigns.invite_organisation(boss, invited, world.org)
            for owner, org, in_campaign in (
                (world.coordinator, world.org, campaign),
                (boss, partner, campaign),
                (boss, partner, None),
            ):
                ev = _event(owner, org, in_campaign, day=10 + i % 15, rrule="FREQ=WEEKLY;COUNT=3")
                campaigns.rsvp(member, ev, RsvpResponse.GOING)
                campaigns.rsvp(world.member, ev, RsvpResponse.MAYBE)
            _event(boss, partner, None, visibility=Visibility.PARTICIPANTS)
            for scope, org, camp in (
                (RoomScope.ORGANISATION, partner, None),
                (RoomScope.CAMPAIGN, None, campaign),
                (RoomScope.MOVEMENT, None, None),
            ):
                room = rooms.create_room(
                    boss if org else world.coordinator, scope, f"Room {next(_n)}", "", org, camp
                )
                for author in (boss, member, world.member):
                    rooms.post_message(author, room, "Hola @Ana", f"grow-{next(_n):08d}")
            orgs.request_to_join(make_user(f"Applicant {next(_n)}"), world.org, "hello")
            orgs.create_invitation(world.coordinator, world.org, "for someone")
        main_room = _main_room(world)
        for _ in range(size * 3):
            message, _new = rooms.post_message(
                world.member, main_room, "¿@Rosa?", f"grow-{next(_n):08d}"
            )
            rooms.report_message(world.coordinator, message, "Please look")


def _main_room(world):
    from app.models import Room

    found = db.session.scalar(db.select(Room).where(Room.name == "Main room"))
    if found is None:
        found = rooms.create_room(world.coordinator, RoomScope.ORGANISATION, "Main room", "",
                                  world.org)  # fmt: skip
    return found


def seed(app, world):
    """The small world: one campaign, an event, the main room with a message."""
    with app.test_request_context():
        campaign = campaigns.create_campaign(
            world.coordinator, world.org, "Main campaign", date(2026, 3, 1), date(2026, 3, 30)
        )
        ev = _event(world.coordinator, world.org, campaign)
        campaigns.rsvp(world.member, ev, RsvpResponse.GOING)
        rooms.post_message(world.coordinator, _main_room(world), "Hola @Ana", "seed-00000001")
        token = campaigns.create_feed_token(world.member)
    return campaign, ev, token


PAGES = [
    ("member", "/"),
    ("anonymous", "/organisations/"),
    ("member", "/organisations/{org}"),
    ("member", "/organisations/{org}/members"),
    ("coordinator", "/organisations/{org}/requests"),
    ("coordinator", "/organisations/{org}/invitations"),
    ("member", "/campaigns/"),
    ("coordinator", "/campaigns/{campaign}"),
    ("member", "/events/{event}"),
    ("member", "/calendar?view=month&month=" + MONTH),
    ("member", "/calendar?view=agenda&month=" + MONTH),
    ("member", "/calendar/mine?month=" + MONTH),
    ("member", "/campaigns/{campaign}/calendar?month=" + MONTH),
    ("coordinator", "/organisations/{org}/calendar?month=" + MONTH),
    ("anonymous", "/calendar/public.ics"),
    ("member", "/campaigns/{campaign}/calendar.ics"),
    ("anonymous", "/organisations/{org}/calendar.ics"),
    ("anonymous", "/calendar/feed/{token}.ics"),
    ("member", "/events/{uid}.ics"),
    ("member", "/rooms/"),
    ("member", "/rooms/{room}"),
    ("member", "/rooms/mentions"),
    ("coordinator", "/rooms/{room}/moderation"),
    ("admin", "/admin/"),
    ("admin", "/admin/users"),
    ("admin", "/admin/audit"),
    ("admin", "/admin/outbox"),
]


def _statements(app, client, url: str) -> int:
    seen = []
    engine = db.engine

    def counter(*_args):
        seen.append(1)

    event.listen(engine, "before_cursor_execute", counter)
    try:
        response = client.get(url)
    finally:
        event.remove(engine, "before_cursor_execute", counter)
    assert response.status_code == 200, (url, response.status_code)
    return len(seen)


def _measure(app, world, values) -> dict[str, int]:
    found = {}
    for role, template in PAGES:
        client = app.test_client()
        if role != "anonymous":
            sign_in(client, world.user(role))
        client.get("/")  # warm the session (the language cookie, the account)
        found[f"{role} {template}"] = _statements(app, client, template.format(**values))
    return found


@pytest.fixture
def measured(app, world):
    campaign, ev, token = seed(app, world)
    values = {
        "org": world.org.slug, "campaign": campaign.slug, "event": ev.id, "uid": ev.uid,
        "token": token, "room": _main_room(world).id,
    }  # fmt: skip
    grow(app, world, 1)  # one of everything, so that each page lists some of each kind
    small = _measure(app, world, values)
    grow(app, world, 4)
    grown = _measure(app, world, values)
    return small, grown


def test_every_main_page_costs_the_same_statements_small_or_grown(measured):
    """Growing the movement adds rows to pages, never queries."""
    small, grown = measured
    changed = {page: (small[page], grown[page]) for page in small if small[page] != grown[page]}
    assert changed == {}, changed


def test_pages_stay_within_a_small_budget(measured):
    """No page needs more than a handful of statements, even in a small world."""
    small, _grown = measured
    heavy = {page: n for page, n in small.items() if n > 20}
    assert heavy == {}, heavy


def test_a_message_sent_over_the_socket_costs_six_statements(app, world):
    """Sending asks the connection's person, session and tokens (one query: the tokens are
    the connection's channels), the room and the mute, then writes three statements: its
    number, the row and its note in the search outbox (the index follows after the commit).
    Nothing is looked up twice, nothing reloaded after the commit; a busy answer costs none."""
    from app.realtime import EventGate
    from tests.test_rooms_sockets import cid, joined, make_room

    room = make_room(world)
    ana = joined(app, world.member, room)
    room_id = room.id
    seen: list[str] = []

    def counter(_conn, _cursor, statement, *_args):
        seen.append(" ".join(statement.split()[:4]))

    def send(body: str) -> dict:
        seen.clear()
        event.listen(db.engine, "before_cursor_execute", counter)
        try:
            return ana.emit(
                "send", {"room_id": room_id, "body": body, "client_id": cid()}, callback=True
            )
        finally:
            event.remove(db.engine, "before_cursor_execute", counter)

    send("warm")  # the first event of a connection also reads its cookie session
    assert send("Hola")["ok"] and len(seen) == 6, seen
    assert seen[0].startswith("SELECT users.id"), seen  # no separate tokens query
    assert seen[-1].startswith("INSERT INTO search_outbox"), seen
    full = EventGate(at_once=0, queue=0, wait=0)
    app.extensions["caravana.event_gate"], kept = full, app.extensions["caravana.event_gate"]
    try:
        assert send("Hola otra vez")["error"] == "busy" and seen == []
    finally:
        app.extensions["caravana.event_gate"] = kept
