"""Latin names inside Arabic pages stay in one piece (issue 9, item 10).

Every place a page shows text people typed (names of organisations, people, rooms, events,
places) isolates it — an element with ``dir`` or a ``<bdi>`` — so that "Comité 12 de Mayo"
in an Arabic sentence is not reordered by the bidirectional algorithm, and punctuation stays
at the right end. Checked on the DOM of the main pages in Arabic.
"""

from __future__ import annotations

from datetime import datetime
from html.parser import HTMLParser

import pytest

from app.campaigns import services as campaigns
from app.campaigns.services import EventDraft
from app.extensions import db
from app.rooms import services as rooms
from tests.conftest import sign_in
from tests.test_rooms_sockets import cid, make_room

MARK = "Zq9"  # in every name below, so its text nodes can be found


class _Finder(HTMLParser):
    """Text nodes holding MARK whose ancestors (below <body>) include no isolating element."""

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[tuple[str, bool]] = []
        self.loose: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag in {"br", "img", "input", "meta", "link", "hr", "source", "wbr"}:
            return
        names = dict(attrs)
        self.stack.append((tag, tag == "bdi" or "dir" in names and tag != "html"))

    def handle_endtag(self, tag):
        while self.stack:
            if self.stack.pop()[0] == tag:
                break

    def handle_data(self, data):
        tags = [t for t, _ in self.stack]
        if MARK not in data or "title" in tags or "script" in tags or "textarea" in tags:
            return
        if "option" in tags:
            return  # a select's options are isolated by the browser
        if not any(isolated for _, isolated in self.stack):
            self.loose.append(f"{'>'.join(tags[-4:])}: {data.strip()[:60]}")


def loose_text(html: str) -> list[str]:
    finder = _Finder()
    finder.feed(html)
    return finder.loose


@pytest.fixture
def named(world):
    """A world whose names are Latin, to be shown on Arabic pages."""
    world.org.name = f"Comité {MARK} 12 de Mayo"
    world.member.display_name = f"Ana {MARK} Castillo"
    world.coordinator.display_name = f"Rosa {MARK} Martínez"
    db.session.commit()
    room = make_room(world, name=f"Sala {MARK} 3")
    rooms.post_message(world.member, room, f"Hola @**Rosa {MARK} Martínez**", cid())
    campaign = campaigns.create_campaign(
        world.coordinator, world.org, f"Caravana {MARK} 2027",
        datetime(2026, 11, 20).date(), datetime(2027, 1, 31).date(),
    )  # fmt: skip
    draft = EventDraft(
        f"Vigilia {MARK}", "America/Tegucigalpa", datetime(2026, 12, 8, 18),
        datetime(2026, 12, 8, 20), location=f"Parque {MARK} Central",
    )  # fmt: skip
    event = campaigns.create_event(world.coordinator, world.org, draft, campaign=campaign)
    return room, campaign, event


def test_user_text_is_isolated_on_arabic_pages(client, world, named):
    room, campaign, event = named
    sign_in(client, world.coordinator)
    client.get("/language/ar")
    slug = world.org.slug
    pages = [
        "/", "/organisations/", f"/organisations/{slug}", f"/organisations/{slug}/members",
        "/rooms/", f"/rooms/{room.id}", "/rooms/mentions", "/campaigns/",
        f"/campaigns/{campaign.slug}", f"/events/{event.id}", "/calendar?month=2026-12",
        "/calendar?view=month&month=2026-12", "/calendar/mine?month=2026-12",
        f"/campaigns/{campaign.slug}/calendar?month=2026-12",
    ]  # fmt: skip
    loose = {}
    for url in pages:
        response = client.get(url)
        assert response.status_code == 200, url
        html = response.get_data(as_text=True)
        assert 'dir="rtl"' in html
        assert " · " not in html, url  # the space after a separator never breaks: no dangling dot
        if found := loose_text(html):
            loose[url] = found
    assert loose == {}, "\n".join(f"{u}: {x}" for u, xs in loose.items() for x in xs)


def _first_weekday(client) -> str:
    grid = client.get("/calendar?view=month&month=2026-12").get_data(as_text=True)
    head = grid[grid.index('class="month-head"') :]
    return head[head.index("<li>") + 4 : head.index("</li>")]


def test_the_arabic_month_grid_starts_on_saturday_and_ics_reads_as_ics(client, world, named):
    """The week starts where Arabic is mainly read (Saturday, like ICU), Spanish on Monday;
    ".ics" in an Arabic sentence is isolated left to right, so it never shows as "ics."."""
    _room, _campaign, event = named
    client.get("/language/ar")
    assert "سبت" in _first_weekday(client)
    assert "\u2066.ics\u2069" in client.get(f"/events/{event.id}").get_data(as_text=True)
    client.get("/language/es")
    assert _first_weekday(client).startswith("lun")
