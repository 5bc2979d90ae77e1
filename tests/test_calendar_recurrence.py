"""Recurring events keep their wall time in their own zone across daylight-saving changes,
and the iCalendar export says the same instants to any calendar program."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import recurring_ical_events
from icalendar import Calendar

from app.campaigns import queries
from app.campaigns.ical import calendar
from app.campaigns.recurrence import occurrences, weekly_rule
from app.extensions import db
from app.models import Event, EventOverride


def _weekly(org, zone: str, local_start: datetime, byday: str, count: int = 6) -> Event:
    start = local_start.replace(tzinfo=ZoneInfo(zone)).astimezone(UTC)
    event = Event(
        uid=f"{uuid.uuid4()}@caravana",
        organisation_id=org.id,
        title="Reunión",
        timezone=zone,
        starts_at=start,
        ends_at=start + timedelta(hours=1),
        rrule=weekly_rule([byday], count=count),
    )
    db.session.add(event)
    db.session.commit()
    return event


def _window():
    return datetime(2026, 1, 1, tzinfo=UTC), datetime(2027, 1, 1, tzinfo=UTC)


@pytest.mark.parametrize(
    ("zone", "first", "byday"),
    [
        ("Europe/Rome", datetime(2026, 3, 17, 17, 0), "TU"),  # clocks go forward 29 March
        ("Europe/Rome", datetime(2026, 10, 13, 17, 0), "TU"),  # and back 25 October
        ("America/Tegucigalpa", datetime(2026, 3, 17, 18, 0), "TU"),  # no daylight saving
        ("America/Mexico_City", datetime(2026, 3, 31, 18, 0), "TU"),  # none since 2022
        ("Africa/Dakar", datetime(2026, 3, 19, 19, 0), "TH"),  # UTC all year
        ("Africa/Tunis", datetime(2026, 10, 15, 9, 30), "TH"),  # UTC+1 all year
    ],
)
def test_weekly_event_keeps_its_local_wall_time(db, world, zone, first, byday):
    """Every occurrence starts at the same local hour in the event's zone, DST or not."""
    event = _weekly(world.org, zone, first, byday)
    found = occurrences(event, *_window())
    assert len(found) == 6
    assert {o.local_start.time() for o in found} == {first.time()}
    assert all(o.local_start.weekday() == first.weekday() for o in found)


def test_palermo_meeting_seen_from_tegucigalpa_and_dakar(db, world):
    """Tuesday 17:00 in Palermo is 10:00 then 09:00 in Tegucigalpa, 16:00 then 15:00 in Dakar,
    before and after Europe's clock change."""
    event = _weekly(world.org, "Europe/Rome", datetime(2026, 3, 17, 17, 0), "TU", count=3)
    found = occurrences(event, *_window())
    tegucigalpa = [o.starts_at.astimezone(ZoneInfo("America/Tegucigalpa")).hour for o in found]
    dakar = [o.starts_at.astimezone(ZoneInfo("Africa/Dakar")).hour for o in found]
    assert [o.local_start.date() for o in found] == [
        date(2026, 3, 17),
        date(2026, 3, 24),
        date(2026, 3, 31),
    ]
    assert tegucigalpa == [10, 10, 9]
    assert dakar == [16, 16, 15]


def test_feed_parsed_back_gives_the_same_instants(db, world):
    """A calendar program reading the feed finds exactly the occurrences the site shows."""
    event = _weekly(world.org, "Europe/Rome", datetime(2026, 3, 17, 17, 0), "TU", count=5)
    third = occurrences(event, *_window())[2]
    event.exdates = [occurrences(event, *_window())[1].starts_at.isoformat()]
    db.session.add(
        EventOverride(
            event=event,
            recurrence_id=third.starts_at,
            starts_at=third.starts_at + timedelta(hours=1),
            ends_at=third.ends_at + timedelta(hours=1),
            title="Reunión (una hora más tarde)",
        )
    )
    db.session.commit()
    feed = calendar([event], "Caravana")
    assert b"\r\n" in feed and b"BEGIN:VTIMEZONE" in feed and b"TZID=Europe/Rome" in feed
    parsed = recurring_ical_events.of(Calendar.from_ical(feed)).between(*_window())
    from_feed = sorted(component["DTSTART"].dt.astimezone(UTC) for component in parsed)
    from_site = [o.starts_at for o in occurrences(event, *_window())]
    assert from_feed == from_site
    assert len(from_site) == 4  # five, one excluded; the moved one counted once


def test_a_time_the_clocks_skip_is_refused():
    """02:30 on the night Europe moves its clocks forward does not exist: it is refused."""
    from app.campaigns.services import to_utc
    from app.errors import ServiceError

    with pytest.raises(ServiceError):
        to_utc(datetime(2026, 3, 29, 2, 30), "Europe/Rome")
    assert to_utc(datetime(2026, 3, 29, 3, 30), "Europe/Rome") == datetime(
        2026, 3, 29, 1, 30, tzinfo=UTC
    )


def test_moved_occurrence_keeps_its_place_and_link(db, world):
    """A meeting moved by an hour still carries its online link in the calendar program."""
    event = _weekly(world.org, "Europe/Rome", datetime(2026, 3, 17, 17, 0), "TU", count=3)
    event.online_url = "https://meet.example.org/madres"
    second = occurrences(event, *_window())[1]
    db.session.add(
        EventOverride(
            event=event,
            recurrence_id=second.starts_at,
            starts_at=second.starts_at + timedelta(hours=1),
            ends_at=second.ends_at + timedelta(hours=1),
        )
    )
    db.session.commit()
    feed = Calendar.from_ical(calendar([event], "Caravana", lambda e: f"https://x/events/{e.id}"))
    moved = [c for c in feed.walk("VEVENT") if "RECURRENCE-ID" in c]
    assert len(moved) == 1
    assert "meet.example.org/madres" in str(moved[0]["LOCATION"])
    assert str(moved[0]["URL"]) == f"https://x/events/{event.id}"


def test_all_day_series_ends_with_a_date(db, world):
    """An all-day weekly event's end is written as a date, as calendar programs expect."""
    start = datetime(2026, 3, 2, tzinfo=ZoneInfo("Africa/Tunis")).astimezone(UTC)
    until = datetime(2026, 3, 30, 23, 59, tzinfo=ZoneInfo("Africa/Tunis"))
    event = Event(
        uid=f"{uuid.uuid4()}@caravana",
        organisation_id=world.org.id,
        title="Sit-in",
        timezone="Africa/Tunis",
        all_day=True,
        starts_at=start,
        ends_at=start + timedelta(days=1),
        rrule=weekly_rule(["MO"], until=until),
    )
    db.session.add(event)
    db.session.commit()
    feed = calendar([event], "Caravana")
    assert b"UNTIL=20260330;" in feed or b"UNTIL=20260330\r\n" in feed
    parsed = recurring_ical_events.of(Calendar.from_ical(feed)).between(*_window())
    assert len(parsed) == len(occurrences(event, *_window())) == 5


def test_my_calendar_holds_partners_events_in_campaigns_we_lead(db, world):
    """A member sees in 'my calendar' and personal feed what a partner adds to a campaign
    their own organisation leads."""
    from app.campaigns import services
    from app.models import Role
    from tests.factories import add_member, make_org, make_user

    campaign = services.create_campaign(
        world.coordinator, world.org, "Caravana", date(2026, 3, 1), date(2026, 4, 30)
    )
    partner, partner_boss = make_org("Partner"), make_user("Partner boss")
    add_member(partner, partner_boss, Role.COORDINATOR)
    invitation = services.invite_organisation(world.coordinator, campaign, partner)
    services.answer_participation(partner_boss, invitation, True)
    draft = services.EventDraft(
        title="Vigilia",
        timezone="America/Tegucigalpa",
        starts_local=datetime(2026, 3, 20, 18),
        ends_local=datetime(2026, 3, 20, 19),
    )
    event = services.create_event(partner_boss, partner, draft, campaign)
    mine = queries.events_in(*_window(), world.member, mine=world.member)
    assert [o.event.id for o in mine] == [event.id]
    assert queries.visible_events(world.member, mine=world.member) == [event]
    assert queries.visible_events(world.outsider, mine=world.outsider) == []
