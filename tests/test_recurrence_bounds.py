"""What is stored cannot make a page or a feed take unbounded time (issue 8, items 3 and 15).

An imported ``FREQ=SECONDLY`` rule without end made one anonymous page view take 119 s and
2 GB; a grown calendar loaded and expanded every series ever stored for every month shown.
Now only the frequencies the site offers are expanded (others show their first date and say
so), a long series is expanded from near the window instead of from its first date, each
page expands a bounded number of dates and says when it left some out, and series that ended
before a window are not loaded at all (``events.last_ends_at``).
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import recurring_ical_events
from dateutil.rrule import rrulestr
from flask_migrate import downgrade, upgrade
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from icalendar import Calendar
from sqlalchemy import select, update

from app import create_app
from app.campaigns import queries, services
from app.campaigns.recurrence import (
    MAX_DAYS_EXAMINED,
    WEEKDAYS,
    event_end,
    rule_starts,
    series_end,
)
from app.campaigns.services import EventDraft
from app.config import TestConfig
from app.extensions import db
from app.models import Event
from tests.conftest import sign_in

NOW = datetime.now(UTC)


def _stored(org, rrule: str, start: datetime, hours: int = 1, **fields) -> Event:
    """An event row as an old import or an older version of the site may have stored it."""
    event = Event(
        uid=f"{uuid.uuid4()}@caravana",
        organisation_id=org.id,
        title=fields.pop("title", "Vigilia"),
        timezone=fields.pop("timezone", "Europe/Rome"),
        starts_at=start,
        ends_at=start + timedelta(hours=hours),
        rrule=rrule,
        **fields,
    )
    db.session.add(event)
    db.session.commit()
    return event


def _draft(rrule: str, start: datetime, **fields) -> EventDraft:
    return EventDraft(
        title=fields.pop("title", "Reunión"),
        timezone=fields.pop("timezone", "America/Tegucigalpa"),
        starts_local=start,
        ends_local=start + timedelta(hours=2),
        rrule=rrule,
        **fields,
    )


# --- rules the site does not offer --------------------------------------------------------------


@pytest.mark.parametrize("rule", ["FREQ=SECONDLY", "FREQ=MINUTELY;INTERVAL=1", "FREQ=HOURLY"])
def test_a_stored_rule_finer_than_daily_shows_its_first_date_everywhere(client, world, rule):
    """Event page, calendar page and feed answer at once with the first date only, and say so."""
    start = datetime(2026, 11, 20, 17, tzinfo=UTC)
    event = _stored(world.org, rule, start)
    assert event_end(event) == event.ends_at  # one date: it ends with it

    page = client.get(f"/events/{event.id}").get_data(as_text=True)
    assert "only the first date is shown" in page
    assert "Next dates" not in page

    calendar = client.get("/calendar?month=2026-11").get_data(as_text=True)
    assert calendar.count(f"/events/{event.id}") == 1

    feed = client.get("/calendar/public.ics")
    assert feed.status_code == 200
    assert b"RRULE" not in feed.data  # a calendar program must not expand it either
    expanded = recurring_ical_events.of(Calendar.from_ical(feed.data)).between(
        start - timedelta(days=1), start + timedelta(days=30)
    )
    assert [c["DTSTART"].dt for c in expanded] == [start]


def test_a_rule_whose_days_never_come_stops_looking(db):
    """30 February, counted: dateutil would look at every day to the year 9999."""
    first = datetime(2026, 1, 30, 9, tzinfo=ZoneInfo("Europe/Rome"))
    rule = "FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30;COUNT=3"
    far = datetime(9000, 1, 1, tzinfo=UTC)
    assert rule_starts(rule, first, first, far) == ([], False)  # gave up, and says so
    # In a window it looks only as far as the window: nothing, and that is all there is.
    assert rule_starts(rule, first, first, first + timedelta(days=400)) == ([], True)
    assert series_end(rule, "Europe/Rome", first, first + timedelta(hours=1)) is None


def test_a_series_from_long_ago_is_expanded_from_near_the_window(db):
    """A daily rule begun in 1900 is read in 2026 without walking through 46,000 days."""
    first = datetime(1900, 1, 1, 8, tzinfo=ZoneInfo("Africa/Dakar"))
    after = datetime(2026, 3, 1, tzinfo=UTC)
    starts, complete = rule_starts("FREQ=DAILY", first, after, after + timedelta(days=6))
    assert complete
    assert [s.date() for s in starts] == [date(2026, 3, d) for d in range(1, 8)][:6]
    assert (after - first).days > MAX_DAYS_EXAMINED  # so walking from 1900 would have stopped


def test_a_page_of_one_event_shows_at_most_a_bounded_number_of_dates(db, world):
    """Every day for years: a window gives at most `limit` dates and says more exist."""
    event = _stored(world.org, "FREQ=DAILY", datetime(2020, 1, 1, 9, tzinfo=UTC))
    found = queries.events_in(
        datetime(2026, 1, 1, tzinfo=UTC), datetime(2027, 1, 1, tzinfo=UTC), None, limit=30
    )
    assert len(found) == 30 and not found.complete
    assert found[0].starts_at == datetime(2026, 1, 1, 9, tzinfo=UTC)
    assert {o.event.id for o in found} == {event.id}


# --- the same dates as plain dateutil, only faster ------------------------------------------------

ZONES = ["Europe/Rome", "America/New_York", "America/Santiago", "Africa/Dakar", "Asia/Beirut"]


@st.composite
def rules(draw):
    """A rule as the forms and imports may store it, its first start, and a window."""
    freq = draw(st.sampled_from(["DAILY", "WEEKLY", "MONTHLY", "YEARLY"]))
    parts = [f"FREQ={freq}"]
    if draw(st.booleans()):
        parts.append(f"INTERVAL={draw(st.integers(1, 5))}")
    if freq == "WEEKLY" and draw(st.booleans()):
        days = draw(st.sets(st.sampled_from(WEEKDAYS), min_size=1, max_size=4))
        parts.append("BYDAY=" + ",".join(sorted(days, key=WEEKDAYS.index)))
    if freq == "MONTHLY":
        shape = draw(st.sampled_from(["plain", "weekday", "monthday"]))
        if shape == "weekday":
            nth = draw(st.sampled_from([1, 2, 3, 4, -1]))
            parts.append(f"BYDAY={nth}{draw(st.sampled_from(WEEKDAYS))}")
        elif shape == "monthday":
            parts.append(f"BYMONTHDAY={draw(st.sampled_from([1, 15, 28, 30, 31, -1]))}")
    if freq == "YEARLY" and draw(st.booleans()):
        parts.append(f"BYMONTH={draw(st.integers(1, 12))}")
    zone = ZoneInfo(draw(st.sampled_from(ZONES)))
    day = draw(st.dates(date(2015, 1, 1), date(2030, 12, 31)))
    first = datetime.combine(day, time(draw(st.integers(0, 23)), draw(st.sampled_from([0, 30]))))
    first = first.replace(tzinfo=zone)
    end = draw(st.sampled_from(["none", "count", "until"]))
    if end == "count":
        parts.append(f"COUNT={draw(st.integers(1, 400))}")
    elif end == "until":
        until = (first + timedelta(days=draw(st.integers(0, 4000)))).astimezone(UTC)
        parts.append(f"UNTIL={until:%Y%m%dT%H%M%SZ}")
    after = first + timedelta(days=draw(st.integers(-30, 4000)))
    before = after + timedelta(days=draw(st.integers(0, 120)))
    return ";".join(parts), first, after, before


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rules())
def test_bounded_expansion_gives_exactly_what_dateutil_gives(case):
    """Starting near the window (whole periods later, COUNT reduced by the dates skipped)
    finds the very dates dateutil finds walking from the first one."""
    rule, first, after, before = case
    expected = rrulestr(rule, dtstart=first, cache=False).between(after, before, inc=True)
    found, complete = rule_starts(rule, first, after, before, limit=10_000)
    assert complete
    assert found == expected


# --- what a page loads ----------------------------------------------------------------------------


def test_a_page_of_many_dates_is_the_start_of_the_whole_list(db, world):
    """With single events and series mixed, the first `limit` dates are exactly the first
    `limit` of all of them (the singles are cut off in SQL, the series after expanding)."""
    base = datetime(2026, 5, 1, tzinfo=UTC)
    for n in range(12):
        _stored(world.org, "", base + timedelta(days=n, hours=n % 5), title=f"Una {n}")
    _stored(world.org, "FREQ=WEEKLY;BYDAY=MO,TH", base - timedelta(days=40), title="Serie")
    _stored(world.org, "FREQ=DAILY;INTERVAL=3", base + timedelta(days=2, hours=3), title="Otra")
    window = (base, base + timedelta(days=31))
    everything = queries.events_in(*window, None, limit=1000)
    assert everything.complete and len(everything) > 20

    def key(found):
        return [(o.starts_at, o.event.id) for o in found]

    for limit in (1, 3, 5, 8, 12, 13, 20):
        part = queries.events_in(*window, None, limit=limit)
        assert sorted(key(part)) == sorted(key(everything[:limit]))
        assert not part.complete


def test_a_calendar_with_more_dates_than_a_page_says_so(client, world):
    """A month of 501 single events: the page lists 500 and says the others are left out."""
    base = datetime(2026, 6, 1, 8, tzinfo=UTC)
    db.session.add_all(
        Event(
            uid=f"{uuid.uuid4()}@caravana",
            organisation_id=world.org.id,
            title=f"Marcha {n}",
            timezone="UTC",
            starts_at=base + timedelta(minutes=70 * n),
            ends_at=base + timedelta(minutes=70 * n + 60),
        )
        for n in range(queries.PAGE_DATES + 1)
    )
    db.session.commit()
    page = client.get("/calendar?month=2026-06").get_data(as_text=True)
    assert "only the first 500 are listed" in page
    assert "Marcha 499<" in page and "Marcha 500<" not in page


def test_a_series_that_ended_is_not_loaded_for_later_months(db, world):
    """last_ends_at is kept by the services; a later window does not read the event at all."""
    series = services.create_event(
        world.coordinator,
        world.org,
        _draft("FREQ=WEEKLY;BYDAY=TU;COUNT=3", datetime(2026, 3, 3, 18)),
    )
    # Tegucigalpa is UTC-6 all year: the third Tuesday, 17 March, ends at 20:00 local.
    assert series.last_ends_at == datetime(2026, 3, 18, 2, tzinfo=UTC)
    endless = services.create_event(
        world.coordinator, world.org, _draft("FREQ=MONTHLY", datetime(2026, 3, 3, 18))
    )
    assert endless.last_ends_at is None
    found = queries.events_in(
        datetime(2026, 4, 1, tzinfo=UTC), datetime(2026, 5, 1, tzinfo=UTC), None
    )
    assert {o.event.id for o in found} == {endless.id}

    # Moving the last date a week later ends the series a week later.
    services.change_occurrence(
        world.coordinator,
        series,
        datetime(2026, 3, 18, 0, tzinfo=UTC),
        starts_local=datetime(2026, 3, 24, 18),
        ends_local=datetime(2026, 3, 24, 20),
    )
    assert series.last_ends_at == datetime(2026, 3, 25, 2, tzinfo=UTC)
    found = queries.events_in(
        datetime(2026, 3, 23, tzinfo=UTC), datetime(2026, 3, 30, tzinfo=UTC), None
    )
    assert [o.starts_at for o in found] == [datetime(2026, 3, 25, 0, tzinfo=UTC)]


def test_the_migration_fills_last_ends_at_of_stored_events(tmp_path):
    """Databases from before 0007 get each event's last end computed by the upgrade."""
    app = create_app(TestConfig, SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'm.sqlite'}")
    with app.app_context():
        try:
            upgrade()
            from tests import factories

            org = factories.make_org()
            start = datetime(2026, 3, 3, 17, tzinfo=UTC)
            counted = _stored(org, "FREQ=DAILY;COUNT=4", start, timezone="UTC")
            endless = _stored(org, "FREQ=DAILY", start, timezone="UTC")
            single = _stored(org, "", start, timezone="UTC")
            downgrade(revision="0006_confirm_address")
            upgrade()
            db.session.expire_all()
            ends = {
                row.id: row.last_ends_at
                for row in db.session.execute(select(Event.id, Event.last_ends_at))
            }
            assert ends == {
                counted.id: datetime(2026, 3, 6, 18, tzinfo=UTC),
                endless.id: None,
                single.id: datetime(2026, 3, 3, 18, tzinfo=UTC),
            }
        finally:
            db.session.remove()
            db.engine.dispose()


# --- the campaign page --------------------------------------------------------------------------


def test_a_long_campaign_page_lists_its_next_dates_and_links_the_rest(client, world):
    """A daily vigil over months: the page lists the next 50 dates from today, and links the
    campaign calendar for earlier ones and for every date."""
    today = NOW.date()
    campaign = services.create_campaign(
        world.coordinator, world.org, "Vigilia diaria", today - timedelta(days=20),
        today + timedelta(days=200),
    )  # fmt: skip
    services.create_event(
        world.coordinator,
        world.org,
        _draft("FREQ=DAILY", datetime.combine(today - timedelta(days=20), time(19)),
               timezone="UTC", title="Vigilia"),
        campaign=campaign,
    )  # fmt: skip
    db.session.execute(update(Event).values(last_ends_at=None))  # an endless one, loaded
    db.session.commit()
    sign_in(client, world.member)
    page = client.get(f"/campaigns/{campaign.slug}").get_data(as_text=True)
    assert page.count("?at=") == 50
    assert "Only the next 50 dates are listed here." in page
    assert "Earlier dates of this campaign are in its calendar." in page
    assert f"month={today:%Y-%m}" in page
