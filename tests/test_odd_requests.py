"""Odd requests get a clear answer (400/404), never a crash: numbers too big for the
database, dates in the far future, control characters in `next=`, hidden and missing places
to open a room in."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from app.campaigns import services as campaigns
from app.models import OrgStatus, Visibility
from tests.conftest import sign_in
from tests.factories import make_org
from tests.test_rooms_sockets import make_room

HUGE = "99999999999999999999999"


@pytest.mark.parametrize(
    "path",
    [
        f"/rooms/{HUGE}",
        f"/events/{HUGE}",
        f"/events/{HUGE}/edit",
        f"/rooms/{HUGE}/messages/{HUGE}/edit",
        f"/campaign-invitations/{HUGE}/accept",
    ],
)
def test_numbers_too_big_for_the_database_are_not_found(client, world, path):
    """An id longer than any row's is a 404 page."""
    sign_in(client, world.coordinator)
    response = client.get(path) if "accept" not in path else client.post(path)
    assert response.status_code in (404, 405)


def test_a_huge_history_position_is_ignored(client, world):
    """?before= with an impossible number shows the room as usual."""
    room = make_room(world)
    sign_in(client, world.member)
    assert client.get(f"/rooms/{room.id}?before={HUGE}").status_code == 200


def test_a_date_in_the_far_future_is_not_found(app, client, world):
    """?at=9999-12-31 on a repeating event is a 404, not a crash."""
    with app.test_request_context():
        draft = campaigns.EventDraft(
            title="Vigil", timezone="UTC", starts_local=datetime(2026, 3, 3, 17),
            ends_local=datetime(2026, 3, 3, 18), rrule="FREQ=WEEKLY",
        )  # fmt: skip
        event = campaigns.create_event(world.coordinator, world.org, draft)
    for at in ("9999-12-31T00:00:00+00:00", "0001-01-01T00:00:00+00:00", "9999-12-31"):
        assert client.get(f"/events/{event.id}?at={at}").status_code == 404


@pytest.mark.parametrize("target", ["/%0d%0aSet-Cookie:%20x=1", "/ok%0a", "/%09tab"])
def test_control_characters_in_next_never_reach_a_header(client, target):
    """A next= with CR/LF or other control characters goes home instead."""
    response = client.get(f"/language/fr?next={target}")
    assert response.status_code == 302
    assert response.headers["Location"] in ("/", "http://localhost/")
    assert "Set-Cookie: x" not in str(response.headers)


def test_hidden_and_missing_places_for_a_room_look_the_same(client, world):
    """Asking to open a room for an organisation or campaign one may not see answers exactly
    as for one that does not exist."""
    pending = make_org("Hidden network", status=OrgStatus.PENDING)
    with client.application.test_request_context():
        private = campaigns.create_campaign(
            world.coordinator, world.org, "Private", date(2027, 3, 1), date(2027, 3, 2),
            visibility=Visibility.PARTICIPANTS,
        )  # fmt: skip
    sign_in(client, world.outsider)
    answers = {
        client.get(url).status_code
        for url in (
            f"/rooms/new?org={pending.slug}",
            "/rooms/new?org=no-such-organisation",
            f"/rooms/new?campaign={private.slug}",
            "/rooms/new?campaign=no-such-campaign",
        )
    }
    assert answers == {404}

