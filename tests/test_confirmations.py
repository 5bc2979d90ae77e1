"""Nothing irreversible on one tap (issue 9, item 9).

Archiving a room, deleting a message, leaving an organisation, removing someone, suspending
an account and taking an organisation off a campaign each first show a page of their own that
asks once more (a plain form: it works without JavaScript) and changes nothing; only its
button does it. An archived room can be opened again, and "Archive" is no longer at the top
of the chat.
"""

from __future__ import annotations

import re

import pytest

from app.extensions import db
from app.models import Membership, Message, Room
from app.rooms import services as rooms
from tests import factories
from tests.test_rooms_sockets import browser, cid, make_room


def _asks(http, url: str, question: str) -> None:
    """GET url shows the question and one form that POSTs back to url, with a way back."""
    response = http.get(url)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert question in html
    [action] = re.findall(r'<form method="post" action="([^"]+)" class="actions">', html)
    assert action == url
    assert "No, go back" in html


def _links_to(http, page: str, url: str) -> None:
    """The page offers the action as a link to its question, not as a one-tap form."""
    html = http.get(page).get_data(as_text=True)
    assert f'href="{url}"' in html
    assert f'action="{url}"' not in html


def test_archiving_asks_first_and_can_be_undone(app, world):
    room = make_room(world)
    rosa = browser(app, world.coordinator)
    url = f"/rooms/{room.id}/archive"
    assert url not in rosa.get(f"/rooms/{room.id}").get_data(as_text=True)  # not atop the chat
    _links_to(rosa, f"/rooms/{room.id}/settings", url)
    _asks(rosa, url, f"Archive the room “{room.name}”?")
    assert not db.session.get(Room, room.id).is_archived  # asking changed nothing
    assert rosa.post(url).status_code == 302
    assert db.session.get(Room, room.id).is_archived
    settings = rosa.get(f"/rooms/{room.id}/settings").get_data(as_text=True)
    assert "Open the room again" in settings
    assert rosa.post(f"/rooms/{room.id}/unarchive", follow_redirects=True).status_code == 200
    assert not db.session.get(Room, room.id).is_archived
    ana = browser(app, world.member)
    sent = ana.post(
        f"/rooms/{room.id}/messages", data={"body": "Otra vez aquí", "client_id": cid()}
    )
    assert sent.status_code == 302 and db.session.query(Message).count() == 1


def test_only_moderators_may_ask_to_archive_or_open_again(app, world):
    room = make_room(world)
    ana = browser(app, world.member)
    assert ana.get(f"/rooms/{room.id}/archive").status_code == 403
    assert ana.post(f"/rooms/{room.id}/unarchive").status_code == 403
    assert browser(app, world.outsider).get(f"/rooms/{room.id}/archive").status_code == 404


def test_deleting_a_message_asks_first(app, world):
    room = make_room(world)
    message, _ = rooms.post_message(world.member, room, "Mensaje", cid())
    ana = browser(app, world.member)
    url = f"/rooms/{room.id}/messages/{message.id}/delete"
    _links_to(ana, f"/rooms/{room.id}", url)
    _asks(ana, url, "Delete this message?")
    assert not db.session.get(Message, message.id).is_deleted
    ana.post(url)
    assert db.session.get(Message, message.id).is_deleted
    assert browser(app, world.outsider).get(url).status_code == 404


def test_leaving_and_removing_ask_first(app, world):
    org = world.org
    ana = browser(app, world.member)
    _links_to(ana, f"/organisations/{org.slug}", f"/organisations/{org.slug}/leave")
    _asks(ana, f"/organisations/{org.slug}/leave", f"Leave {org.name}?")
    membership = db.session.query(Membership).filter_by(user_id=world.member.id).one()
    rosa = browser(app, world.coordinator)
    remove = f"/organisations/{org.slug}/members/{membership.id}/remove"
    _links_to(rosa, f"/organisations/{org.slug}/members", remove)
    _asks(rosa, remove, f"Remove {world.member.display_name} from {org.name}?")
    assert db.session.get(Membership, membership.id) is not None  # nobody left yet
    assert ana.get(remove).status_code == 403


def test_suspending_asks_first(app, world):
    zoe = browser(app, world.admin)
    url = f"/admin/users/{world.member.id}/suspend"
    _asks(zoe, url, f"Suspend the account of {world.member.display_name}?")
    assert world.member.suspended_at is None
    assert browser(app, world.coordinator).get(url).status_code == 403


@pytest.fixture
def partner(world):
    """A campaign of world.org with a second organisation taking part."""
    from datetime import date

    from app.campaigns import services as campaigns

    other_coordinator = factories.make_user("Fatou Diop")
    other = factories.make_org("Collectif de Thiaroye", requested_by=other_coordinator)
    factories.add_member(other, other_coordinator, factories.Role.COORDINATOR)
    campaign = campaigns.create_campaign(
        world.coordinator, world.org, "Caravana 2026", date(2026, 11, 1), date(2027, 1, 31)
    )
    participant = campaigns.invite_organisation(world.coordinator, campaign, other)
    campaigns.answer_participation(other_coordinator, participant, True)
    return campaign, participant, other_coordinator


def test_taking_an_organisation_off_a_campaign_asks_first(app, world, partner):
    campaign, participant, fatou = partner
    rosa = browser(app, world.coordinator)
    remove = f"/campaign-invitations/{participant.id}/remove"
    _links_to(rosa, f"/campaigns/{campaign.slug}", remove)
    _asks(rosa, remove, f"Remove {participant.organisation.name} from “{campaign.title}”?")
    stop = f"/campaign-invitations/{participant.id}/decline"
    _links_to(browser(app, fatou), f"/campaigns/{campaign.slug}", stop)
    _asks(browser(app, fatou), stop, "stops taking part in “Caravana 2026”?")
    assert participant.status.value == "accepted"


def test_cancelling_an_event_asks_first_and_can_be_restored(app, world):
    """The Cancel button leads to a question; a cancelled event can be restored, and the
    feed says CONFIRMED again (a new SEQUENCE, so calendar programs take it)."""
    from datetime import datetime

    from app.campaigns import services as campaigns
    from app.models import Event

    draft = campaigns.EventDraft(
        "Vigilia", "America/Tegucigalpa", datetime(2027, 3, 2, 18), datetime(2027, 3, 2, 20)
    )
    event = campaigns.create_event(world.coordinator, world.org, draft)
    rosa = browser(app, world.coordinator)
    url = f"/events/{event.id}/cancel"
    _links_to(rosa, f"/events/{event.id}", url)
    _asks(rosa, url, "Cancel “Vigilia”?")
    assert db.session.get(Event, event.id).cancelled_at is None
    rosa.post(url)
    cancelled = db.session.get(Event, event.id)
    assert cancelled.is_cancelled and "Restore the event" in rosa.get(f"/events/{event.id}").text
    sequence = cancelled.sequence
    assert browser(app, world.member).post(f"/events/{event.id}/restore").status_code == 403
    rosa.post(f"/events/{event.id}/restore")
    restored = db.session.get(Event, event.id)
    assert not restored.is_cancelled and restored.sequence == sequence + 1
    feed = rosa.get(f"/organisations/{world.org.slug}/calendar.ics").text
    assert "STATUS:CONFIRMED" in feed and "STATUS:CANCELLED" not in feed
