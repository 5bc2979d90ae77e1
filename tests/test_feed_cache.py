"""Cached feeds: a calendar program always gets what the feed holds now, and only its own.

Feeds are cached until their events change (app/campaigns/feed_views.py); each test reads a
feed once so that it is cached, changes something through the services, and reads again.
"""

from __future__ import annotations

import gzip
import re
from datetime import UTC, date, datetime, timedelta

import brotli
import pytest
import recurring_ical_events
from icalendar import Calendar
from sqlalchemy import select

from app.campaigns import queries, services
from app.campaigns.ical import PRODID, FeedCache, calendar, event_components, vtimezone
from app.campaigns.importer import import_ics
from app.campaigns.services import EventDraft
from app.db import atomic
from app.extensions import db as _db
from app.models import Campaign, CampaignStatus, Event, Role, RsvpResponse, Visibility
from tests import factories
from tests.conftest import sign_in

PUBLIC = "/calendar/public.ics"
WINDOW = (datetime(2026, 1, 1, tzinfo=UTC), datetime(2027, 1, 1, tzinfo=UTC))
ZONES = ["Europe/Rome", "America/Tegucigalpa", "Africa/Tunis", "Australia/Sydney", "UTC"]


def _draft(title="Vigilia", zone="Europe/Rome", start=datetime(2026, 4, 18, 18, 0), **extra):
    return EventDraft(
        title=title,
        timezone=zone,
        starts_local=start,
        ends_local=start + timedelta(hours=1),
        **extra,
    )


def _event(world, campaign=None, **draft) -> Event:
    return services.create_event(world.coordinator, world.org, _draft(**draft), campaign=campaign)


def _campaign(world, visibility=Visibility.PUBLIC, title="Giornata d'azione") -> Campaign:
    return services.create_campaign(
        world.coordinator, world.org, title, date(2026, 3, 1), date(2026, 4, 30),
        visibility=visibility,
    )  # fmt: skip


def _edit_campaign(world, campaign: Campaign, visibility: Visibility) -> None:
    services.update_campaign(
        world.coordinator, campaign, campaign.title, campaign.starts_on, campaign.ends_on,
        campaign.description, campaign.goal, visibility, CampaignStatus.PLANNED,
    )  # fmt: skip


def _get(client, url, status=200, **headers):
    response = client.get(url, headers=headers)
    assert response.status_code == status, response.get_data(as_text=True)[:300]
    return response


def _vevents(data: bytes) -> dict[str, list]:
    """The VEVENTs of a feed by UID (a series first, then its changed dates)."""
    found: dict[str, list] = {}
    for component in Calendar.from_ical(data).walk("VEVENT"):
        found.setdefault(str(component["UID"]), []).append(component)
    return found


def _summaries(data: bytes) -> dict[str, str]:
    return {uid: str(parts[0]["SUMMARY"]) for uid, parts in _vevents(data).items()}


def _cache(app) -> FeedCache:
    return app.extensions["caravana.feeds"]


def test_second_read_comes_from_the_cache_with_the_same_bytes(app, client, world):
    """Reading a feed twice builds it once; the bytes, ETag and headers are the same."""
    _event(world)
    first = _get(client, PUBLIC)
    assert len(_cache(app).feeds) == 1
    second = _get(client, PUBLIC)
    assert second.data == first.data and second.headers["ETag"] == first.headers["ETag"]
    assert len(_cache(app).feeds) == 1
    assert second.headers["Cache-Control"] == "public, max-age=300"
    assert second.headers["Content-Type"] == "text/calendar; charset=utf-8"


def test_the_feed_changes_as_soon_as_an_event_changes_is_added_cancelled_or_removed(
    client, world
):
    """Every change through the services shows on the very next read of a cached feed."""
    event = _event(world, title="Vigilia")
    assert _summaries(_get(client, PUBLIC).data) == {event.uid: "Vigilia"}

    services.update_event(world.coordinator, event, _draft(title="Vigilia spostata"))
    assert _summaries(_get(client, PUBLIC).data) == {event.uid: "Vigilia spostata"}

    added = _event(world, title="Veillée", zone="Africa/Dakar")
    assert set(_summaries(_get(client, PUBLIC).data)) == {event.uid, added.uid}

    services.cancel_event(world.coordinator, added)
    cancelled = _vevents(_get(client, PUBLIC).data)[added.uid][0]
    assert str(cancelled["STATUS"]) == "CANCELLED"

    with atomic():  # no service deletes an event yet; a campaign's deletion cascades so
        _db.session.delete(_db.session.get(Event, added.id))
    assert set(_summaries(_get(client, PUBLIC).data)) == {event.uid}


def test_a_changed_date_of_a_series_shows_at_once(client, world):
    """Moving one date of a series, then renaming that same date, both reach the feed."""
    meeting = _event(world, start=datetime(2026, 3, 17, 17, 0), rrule="FREQ=WEEKLY;COUNT=4")
    _get(client, PUBLIC)
    second = datetime(2026, 3, 24, 16, 0, tzinfo=UTC)  # 17:00 in Rome (winter time)
    services.change_occurrence(world.coordinator, meeting, second, title="Spostata")
    changed = [c for c in _vevents(_get(client, PUBLIC).data)[meeting.uid] if "RECURRENCE-ID" in c]
    assert [str(c["SUMMARY"]) for c in changed] == ["Spostata"]
    # The same date again: the override's sequence stays, its updated_at moves on.
    services.change_occurrence(world.coordinator, meeting, second, title="Spostata di nuovo")
    changed = [c for c in _vevents(_get(client, PUBLIC).data)[meeting.uid] if "RECURRENCE-ID" in c]
    assert [str(c["SUMMARY"]) for c in changed] == ["Spostata di nuovo"]


def test_a_campaign_made_private_leaves_the_cached_public_feeds_at_once(client, world):
    """A campaign's events leave the public, organisation and campaign feeds as soon as it is
    made visible to participants only, and come back when it is public again."""
    campaign = _campaign(world)
    secret = _event(world, campaign=campaign, title="Réunion")
    public = _event(world, title="Vigilia pubblica")
    org_feed = f"/organisations/{world.org.slug}/calendar.ics"
    campaign_feed = f"/campaigns/{campaign.slug}/calendar.ics"
    assert set(_summaries(_get(client, PUBLIC).data)) == {secret.uid, public.uid}
    assert set(_summaries(_get(client, org_feed).data)) == {secret.uid, public.uid}
    cached = _get(client, campaign_feed)
    assert set(_summaries(cached.data)) == {secret.uid}

    _edit_campaign(world, campaign, Visibility.PARTICIPANTS)
    assert set(_summaries(_get(client, PUBLIC).data)) == {public.uid}
    assert set(_summaries(_get(client, org_feed).data)) == {public.uid}
    _get(client, campaign_feed, status=404)
    # Not even as "not modified" to someone holding the old copy's tag.
    _get(client, campaign_feed, status=404, **{"If-None-Match": cached.headers["ETag"]})

    _edit_campaign(world, campaign, Visibility.PUBLIC)
    assert set(_summaries(_get(client, PUBLIC).data)) == {secret.uid, public.uid}


def test_readers_with_different_rights_never_get_each_others_bytes(app, world):
    """A participants-only campaign's feed read by a participant is cached; an outsider, a
    visitor and the public feed still get only what they may see, before and after."""
    partner = factories.make_org("Familles de Thiaroye", country="SN")
    factories.add_member(partner, fatou := factories.make_user("Fatou"), Role.MEMBER)
    campaign = _campaign(world, Visibility.PARTICIPANTS)
    invited = services.invite_organisation(world.coordinator, campaign, partner)
    services.answer_participation(world.coordinator, invited, accept=True)
    secret = _event(world, campaign=campaign, title="Réunion réservée")
    public = _event(world, title="Vigilia pubblica")
    url = f"/campaigns/{campaign.slug}/calendar.ics"

    participant, outsider, visitor = app.test_client(), app.test_client(), app.test_client()
    sign_in(participant, fatou)
    sign_in(outsider, world.outsider)
    for _round in range(2):  # the second round reads from the cache
        mine = _get(participant, url)
        assert set(_summaries(mine.data)) == {secret.uid}
        assert mine.headers["Cache-Control"] == "private, max-age=300"
        _get(outsider, url, status=404)
        _get(visitor, url, status=404)
        _get(outsider, url, status=404, **{"If-None-Match": mine.headers["ETag"]})
        assert set(_summaries(_get(visitor, PUBLIC).data)) == {public.uid}


def test_personal_feeds_are_each_their_owners(client, world):
    """Two people's personal feeds, read in turn and again from the cache, each hold exactly
    their own events; an answer to an event adds it to one feed only."""
    other = factories.make_org("Rete Carovane", country="IT")
    factories.add_member(other, giulia := factories.make_user("Giulia"), Role.COORDINATOR)
    theirs = services.create_event(giulia, other, _draft(title="Carovana"))
    ours = _event(world, title="Reunión del comité", visibility=Visibility.PARTICIPANTS)
    member = f"/calendar/feed/{services.create_feed_token(world.member)}.ics"
    coordinator = f"/calendar/feed/{services.create_feed_token(giulia)}.ics"
    for _round in range(2):
        assert set(_summaries(_get(client, member).data)) == {ours.uid}
        assert set(_summaries(_get(client, coordinator).data)) == {theirs.uid}
    services.rsvp(world.member, theirs, RsvpResponse.GOING)
    assert set(_summaries(_get(client, member).data)) == {ours.uid, theirs.uid}
    assert set(_summaries(_get(client, coordinator).data)) == {theirs.uid}
    assert _get(client, member).headers["Cache-Control"] == "private, max-age=300"


def test_leaving_a_campaign_takes_its_events_out_of_a_cached_personal_feed(client, world):
    """When a participating organisation declines, its members' personal feeds lose the
    campaign's private events on the next read."""
    partner = factories.make_org("Familles de Thiaroye", country="SN")
    factories.add_member(partner, fatou := factories.make_user("Fatou"), Role.COORDINATOR)
    campaign = _campaign(world, Visibility.PARTICIPANTS)
    invited = services.invite_organisation(world.coordinator, campaign, partner)
    services.answer_participation(fatou, invited, accept=True)
    secret = _event(world, campaign=campaign, title="Réunion réservée")
    feed = f"/calendar/feed/{services.create_feed_token(fatou)}.ics"
    assert set(_summaries(_get(client, feed).data)) == {secret.uid}
    services.answer_participation(fatou, invited, accept=False)
    assert _summaries(_get(client, feed).data) == {}


def test_name_language_and_address_are_part_of_what_is_cached(app, world):
    """The same events under another language's name, or another address, are another feed."""
    event = _event(world)
    english = _get(app.test_client(), PUBLIC, **{"Accept-Language": "en"})
    spanish = _get(app.test_client(), PUBLIC, **{"Accept-Language": "es"})
    assert str(Calendar.from_ical(english.data)["X-WR-CALNAME"]) == "Caravana — public calendar"
    assert str(Calendar.from_ical(spanish.data)["X-WR-CALNAME"]) == "Caravana — calendario público"
    secure = app.test_client().get(PUBLIC, base_url="https://localhost")
    [component] = _vevents(secure.data)[event.uid]
    assert str(component["URL"]) == f"https://localhost/events/{event.id}"
    [component] = _vevents(english.data)[event.uid]
    assert str(component["URL"]) == f"http://localhost/events/{event.id}"


def test_conditional_and_compressed_reads(client, world):
    """A calendar program holding the current copy gets 304; compressed copies unpack to the
    same bytes; after a change the old tag gets the new feed."""
    event = _event(world, zone="America/Tegucigalpa")
    plain = _get(client, PUBLIC, **{"Accept-Encoding": "identity"})
    assert "Content-Encoding" not in plain.headers
    tag = plain.headers["ETag"]
    again = client.get(PUBLIC, headers={"If-None-Match": tag, "Accept-Encoding": "identity"})
    assert again.status_code == 304 and again.data == b""
    zipped = _get(client, PUBLIC, **{"Accept-Encoding": "gzip, deflate"})
    assert zipped.headers["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in zipped.headers["Vary"]
    assert gzip.decompress(zipped.data) == plain.data
    squeezed = _get(client, PUBLIC, **{"Accept-Encoding": "gzip, deflate, br"})
    assert squeezed.headers["Content-Encoding"] == "br"
    assert brotli.decompress(squeezed.data) == plain.data
    assert len({plain.headers["ETag"], zipped.headers["ETag"], squeezed.headers["ETag"]}) == 3

    services.update_event(world.coordinator, event, _draft(title="Reunión", zone="Europe/Rome"))
    changed = client.get(PUBLIC, headers={"If-None-Match": tag, "Accept-Encoding": "identity"})
    assert changed.status_code == 200 and changed.headers["ETag"] != tag
    assert _summaries(changed.data) == {event.uid: "Reunión"}


def _uncached(events: list[Event], name: str) -> Calendar:
    """The feed as it was built before caching: one Calendar, icalendar adds the VTIMEZONEs."""
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", name)
    for event in events:
        for component in event_components(event, f"http://localhost/events/{event.id}"):
            cal.add_component(component)
    cal.add_missing_timezones()
    return cal


def _own_zones_only(data: bytes) -> Calendar:
    """The feed with its TZIDs made unknown, so that a reader must use its VTIMEZONEs."""
    return Calendar.from_ical(re.sub(rb"TZID([=:])", rb"TZID\1Caravana-", data))


def test_vtimezones_are_built_once_and_events_are_what_icalendar_writes_uncached(client, world):
    """Built once per zone and cached, the VTIMEZONEs (from the year before the first event)
    are those vtimezone() writes, one per zone icalendar finds in use; the VEVENTs are exactly
    those icalendar writes for the whole calendar at once; and a phone reading only the
    VTIMEZONEs finds the same instants with ours as with icalendar's own."""
    for n, zone in enumerate(ZONES * 2):
        _event(
            world, title=f"Vigil {n}", zone=zone, start=datetime(2026, 3, 20 + n % 8, 17, 0),
            rrule="FREQ=WEEKLY;COUNT=3" if n % 3 == 0 else "", all_day=n == 4,
        )  # fmt: skip
    _get(client, PUBLIC)
    raw = _get(client, PUBLIC).data  # the second read, from the cache
    cached = Calendar.from_ical(raw)
    expected = _uncached(queries.public_events(), "Caravana — public calendar")

    def zones(cal: Calendar) -> dict[str, bytes]:
        return {str(tz["TZID"]): tz.to_ical() for tz in cal.walk("VTIMEZONE")}

    assert set(zones(cached)) == set(zones(expected)) == set(ZONES) - {"UTC"}  # UTC has "Z"
    assert zones(cached) == {tzid: vtimezone(tzid, 2025) for tzid in zones(expected)}
    assert vtimezone("Europe/Rome", 2025) is vtimezone("Europe/Rome", 2025)  # built once
    assert raw.count(vtimezone("Europe/Rome", 2025)) == 1
    assert [c.to_ical() for c in cached.walk("VEVENT")] == [
        c.to_ical() for c in expected.walk("VEVENT")
    ]
    assert str(cached["X-WR-CALNAME"]) == "Caravana — public calendar"

    def instants(cal: Calendar) -> list[datetime]:
        found = recurring_ical_events.of(cal).between(*WINDOW)
        timed = [c["DTSTART"].dt for c in found if "TZID" in c["DTSTART"].params]
        return sorted(start.astimezone(UTC) for start in timed)

    ours, theirs = _own_zones_only(raw), _own_zones_only(expected.to_ical())
    assert instants(ours) == instants(theirs) == instants(cached)
    assert len(instants(ours)) > 10


def _ics(number: int, count: int) -> bytes:
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//Test//EN"]
    for i in range(count):
        zone = ZONES[i % 4]
        start = datetime(2026, 3, 1, 8) + timedelta(days=i % 60, hours=i % 9)
        lines += [
            "BEGIN:VEVENT", f"UID:import-{number}-{i}@test", "DTSTAMP:20260101T000000Z",
            f"DTSTART;TZID={zone}:{start:%Y%m%dT%H%M%S}",
            f"DTEND;TZID={zone}:{start + timedelta(hours=2):%Y%m%dT%H%M%S}",
            f"SUMMARY:Imported {number}-{i}", "END:VEVENT",
        ]  # fmt: skip
    return ("\r\n".join([*lines, "END:VCALENDAR"]) + "\r\n").encode()


def test_many_imported_events_all_reach_the_cached_feed_and_a_change_reaches_it_too(
    app, client, world
):
    """Hundreds of imported events are all in the public feed, byte for byte what the feed
    writer gives uncached; changing one of them changes only that event in the next read."""
    campaign = _campaign(world)
    with app.test_request_context():
        import_ics(world.coordinator, campaign, _ics(1, 300))
        import_ics(world.coordinator, campaign, _ics(2, 200))
    first = _get(client, PUBLIC)
    with app.test_request_context():
        uncached = calendar(
            queries.public_events(),
            "Caravana — public calendar",
            lambda e: f"http://localhost/events/{e.id}",
        )
    assert first.data == uncached
    assert len(_vevents(first.data)) == 500

    event = _db.session.scalar(select(Event).where(Event.uid == "import-2-7@test"))
    services.update_event(
        world.coordinator, event, _draft(title="Imported, then changed", zone="Africa/Tunis")
    )
    second = _vevents(_get(client, PUBLIC).data)
    before = _vevents(first.data)
    assert str(second[event.uid][0]["SUMMARY"]) == "Imported, then changed"
    assert {uid for uid in before if before[uid][0].to_ical() != second[uid][0].to_ical()} == {
        event.uid
    }


def test_the_cache_stays_within_its_bounds(app, client, world):
    """Feeds are dropped least recently used first once over the size bound."""
    _event(world)
    _get(client, PUBLIC)
    cache = _cache(app)
    cache.max_feed_bytes = 1  # every new feed pushes out the older ones
    for language in ("en", "es", "fr"):
        _get(client, PUBLIC, **{"Accept-Language": language})
    assert len(cache.feeds) == 1


@pytest.mark.parametrize("rule", ["FREQ=SECONDLY", "FREQ=MINUTELY;INTERVAL=1"])
def test_a_stored_rule_finer_than_daily_is_sent_as_its_first_date(client, world, rule):
    """A feed never expands a rule, and does not hand a calendar program one the site does not
    offer either: the event is its first date, as on the pages."""
    event = _event(world, rrule=rule)
    data = _get(client, PUBLIC).data
    [series] = _vevents(data)[event.uid]
    assert "RRULE" not in series
    assert series["DTSTART"].dt == event.starts_at
