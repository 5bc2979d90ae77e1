"""iCalendar feeds: a phone subscribed to any feed shows the same instants as the site,
private campaigns stay private, and personal addresses can be stopped."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import recurring_ical_events
from icalendar import Calendar
from sqlalchemy import select

from app.admin.services import suspend_user
from app.campaigns import services
from app.campaigns.recurrence import weekly_rule
from app.campaigns.services import EventDraft
from app.extensions import db as _db
from app.models import CalendarToken, Event, Role, RsvpResponse, Visibility
from tests import factories
from tests.conftest import sign_in

WINDOW = (datetime(2026, 1, 1, tzinfo=UTC), datetime(2027, 1, 1, tzinfo=UTC))


def _draft(title="Vigilia", zone="Europe/Rome", start=datetime(2026, 4, 18, 18, 0), **extra):
    hours = extra.pop("hours", 1)
    return EventDraft(
        title=title,
        timezone=zone,
        starts_local=start,
        ends_local=start + timedelta(hours=hours),
        **extra,
    )


def _event(world, campaign=None, org=None, **draft):
    return services.create_event(
        world.coordinator, org or world.org, _draft(**draft), campaign=campaign
    )


def _campaign(world, visibility=Visibility.PUBLIC, lead=None):
    return services.create_campaign(
        world.coordinator,
        lead or world.org,
        "Giornata d'azione",
        date(2026, 3, 1),
        date(2026, 4, 30),
        visibility=visibility,
    )


def _feed(client, url, status=200):
    response = client.get(url)
    assert response.status_code == status, response.get_data(as_text=True)[:300]
    return response


def _parsed(response) -> Calendar:
    return Calendar.from_ical(response.data)


def _starts(response) -> list[datetime]:
    found = recurring_ical_events.of(_parsed(response)).between(*WINDOW)
    return sorted(c["DTSTART"].dt.astimezone(UTC) for c in found)


def _uids(response) -> set[str]:
    return {str(c["UID"]) for c in _parsed(response).walk("VEVENT")}


def test_public_feed_is_an_rfc5545_calendar(client, world):
    """The public feed is text/calendar with CRLF lines, DTSTAMP, a VTIMEZONE for each zone
    and a link from each event to its page."""
    teguz = _event(
        world, title="Reunión", zone="America/Tegucigalpa", start=datetime(2026, 3, 17, 18, 0)
    )
    _event(world, title="Veillée", zone="Africa/Dakar", start=datetime(2026, 4, 18, 17, 0))
    _event(world, title="وقفة", zone="Africa/Tunis", start=datetime(2026, 4, 18, 18, 0))
    response = _feed(client, "/calendar/public.ics")
    assert response.headers["Content-Type"] == "text/calendar; charset=utf-8"
    assert 'filename="caravana.ics"' in response.headers["Content-Disposition"]
    body = response.data
    assert body.startswith(b"BEGIN:VCALENDAR\r\n")
    assert b"\n" not in body.replace(b"\r\n", b"")
    cal = _parsed(response)
    zones = {str(tz["TZID"]) for tz in cal.walk("VTIMEZONE")}
    assert zones == {"America/Tegucigalpa", "Africa/Dakar", "Africa/Tunis"}
    for component in cal.walk("VEVENT"):
        assert component["DTSTAMP"].dt.tzinfo is not None
        # Every event names its own zone, even Dakar, always at UTC+0 (not written as "Z").
        assert component["DTSTART"].params["TZID"] in zones
    first = next(c for c in cal.walk("VEVENT") if str(c["UID"]) == teguz.uid)
    assert str(first["URL"]) == f"http://localhost/events/{teguz.id}"
    assert _starts(response) == [
        datetime(2026, 3, 18, 0, 0, tzinfo=UTC),  # 18:00 Tegucigalpa (UTC-6)
        datetime(2026, 4, 18, 17, 0, tzinfo=UTC),  # 17:00 Dakar (UTC)
        datetime(2026, 4, 18, 17, 0, tzinfo=UTC),  # 18:00 Tunis (UTC+1)
    ]


def test_palermo_weekly_meeting_across_the_clock_change_in_every_feed(client, world):
    """Tuesday 17:00 in Palermo is 16:00 UTC before 29 March 2026 and 15:00 UTC after, in the
    public, organisation, campaign, personal and one-event feeds alike."""
    campaign = _campaign(world)
    meeting = _event(
        world,
        campaign=campaign,
        title="Riunione online",
        start=datetime(2026, 3, 17, 17, 0),
        rrule=weekly_rule(["TU"], count=3),
        online_url="https://meet.example.org/caravana",
    )
    expected = [
        datetime(2026, 3, 17, 16, 0, tzinfo=UTC),
        datetime(2026, 3, 24, 16, 0, tzinfo=UTC),
        datetime(2026, 3, 31, 15, 0, tzinfo=UTC),
    ]
    token = services.create_feed_token(world.member)
    for url in (
        "/calendar/public.ics",
        f"/organisations/{world.org.slug}/calendar.ics",
        f"/campaigns/{campaign.slug}/calendar.ics",
        f"/calendar/feed/{token}.ics",
        f"/events/{meeting.uid}.ics",
    ):
        assert _starts(_feed(client, url)) == expected, url
    raw = _feed(client, "/calendar/public.ics").data
    assert b"RRULE:FREQ=WEEKLY;" in raw
    assert b"DTSTART;TZID=Europe/Rome:20260317T170000" in raw


def test_uid_is_stable_and_sequence_rises_after_an_edit(client, world):
    """After a change the event keeps its UID and carries a higher SEQUENCE."""
    event = _event(world)
    before = _parsed(_feed(client, "/calendar/public.ics")).walk("VEVENT")[0]
    services.update_event(world.coordinator, event, _draft(start=datetime(2026, 4, 18, 19, 0)))
    after = _parsed(_feed(client, "/calendar/public.ics")).walk("VEVENT")[0]
    assert str(after["UID"]) == str(before["UID"]) == event.uid
    assert int(after["SEQUENCE"]) > int(before["SEQUENCE"])
    assert after["DTSTART"].dt.astimezone(UTC) == datetime(2026, 4, 18, 17, 0, tzinfo=UTC)


def test_long_lines_are_folded_and_text_is_escaped(client, world):
    """A long title is folded at 75 octets; commas and semicolons are escaped and read back."""
    title = "Veillée à Thiaroye, Sfax; Palerme " + "é" * 110
    _event(
        world,
        title=title,
        description="Rendez-vous au port, quai 3; apportez les photos.",
        location="Porto, molo 3; Palermo",
    )
    response = _feed(client, "/calendar/public.ics")
    lines = response.data.split(b"\r\n")
    assert all(len(line) <= 75 for line in lines)
    assert any(line.startswith(b" ") for line in lines)  # continuation lines
    raw = response.data.replace(b"\r\n ", b"")
    assert b"Veill\xc3\xa9e \xc3\xa0 Thiaroye\\, Sfax\\; Palerme" in raw
    assert b"quai 3\\; apportez" in raw and b"port\\, quai" in raw
    component = _parsed(response).walk("VEVENT")[0]
    assert str(component["SUMMARY"]) == title
    assert str(component["DESCRIPTION"]) == "Rendez-vous au port, quai 3; apportez les photos."
    assert str(component["LOCATION"]) == "Porto, molo 3; Palermo"


def test_description_keeps_its_line_breaks(client, world):
    """A description over several lines reaches the calendar program with its line breaks."""
    _event(world, description="Primera línea\nSegunda línea, con coma")
    response = _feed(client, "/calendar/public.ics")
    assert b"Primera l\xc3\xadnea\\nSegunda" in response.data.replace(b"\r\n ", b"")


def test_online_event_url_points_to_its_page(client, world):
    """An online meeting's URL is its Caravana page; the meeting link is in LOCATION."""
    event = _event(world, online_url="https://meet.example.org/caravana")
    component = _parsed(_feed(client, "/calendar/public.ics")).walk("VEVENT")[0]
    assert str(component["URL"]) == f"http://localhost/events/{event.id}"
    assert "meet.example.org" in str(component["LOCATION"])


def test_cancelled_event_is_marked_cancelled(client, world):
    """A cancelled event stays in the feed with STATUS:CANCELLED so phones remove it."""
    event = _event(world)
    services.cancel_event(world.coordinator, event)
    component = _parsed(_feed(client, "/calendar/public.ics")).walk("VEVENT")[0]
    assert str(component["STATUS"]) == "CANCELLED"
    assert int(component["SEQUENCE"]) == 1


def test_changed_occurrence_is_exported_with_recurrence_id(client, world):
    """A moved occurrence appears as RECURRENCE-ID and a phone shows it at its new time;
    an excluded one is gone."""
    meeting = _event(world, start=datetime(2026, 3, 17, 17, 0), rrule=weekly_rule(["TU"], count=4))
    rome = ZoneInfo("Europe/Rome")
    services.change_occurrence(
        world.coordinator,
        meeting,
        datetime(2026, 3, 31, 17, 0, tzinfo=rome).astimezone(UTC),
        starts_local=datetime(2026, 3, 31, 18, 30),
        title="Riunione spostata",
    )
    services.update_event(
        world.coordinator,
        meeting,
        _draft(
            start=datetime(2026, 3, 17, 17, 0),
            rrule=meeting.rrule,
            exdates_local=[datetime(2026, 3, 24, 17, 0)],
        ),
    )
    response = _feed(client, "/calendar/public.ics")
    components = _parsed(response).walk("VEVENT")
    changed = [c for c in components if "RECURRENCE-ID" in c]
    assert len(changed) == 1
    assert changed[0]["RECURRENCE-ID"].dt.astimezone(UTC) == datetime(
        2026, 3, 31, 15, 0, tzinfo=UTC
    )
    assert b"EXDATE;TZID=Europe/Rome:20260324T170000" in response.data
    assert _starts(response) == [
        datetime(2026, 3, 17, 16, 0, tzinfo=UTC),
        datetime(2026, 3, 31, 16, 30, tzinfo=UTC),  # 18:30 in Rome, summer time
        datetime(2026, 4, 7, 15, 0, tzinfo=UTC),
    ]


def test_private_campaign_only_in_participants_personal_feeds(client, world):
    """A participants-only campaign is in no public, organisation or campaign feed, but is in
    the personal feed of a member of a participating organisation (not of an outsider)."""
    partner = factories.make_org("Familles de Thiaroye", country="SN")
    partner_member = factories.make_user("Fatou")
    factories.add_member(partner, partner_member, Role.MEMBER)
    campaign = _campaign(world, visibility=Visibility.PARTICIPANTS)
    invited = services.invite_organisation(world.coordinator, campaign, partner)
    services.answer_participation(world.coordinator, invited, accept=True)
    secret = _event(world, campaign=campaign, title="Réunion réservée")
    public = _event(world, title="Vigilia pubblica")

    assert _uids(_feed(client, "/calendar/public.ics")) == {public.uid}
    assert _uids(_feed(client, f"/organisations/{world.org.slug}/calendar.ics")) == {public.uid}
    assert _uids(_feed(client, f"/organisations/{partner.slug}/calendar.ics")) == set()
    _feed(client, f"/campaigns/{campaign.slug}/calendar.ics", status=404)
    _feed(client, f"/events/{secret.uid}.ics", status=404)

    mine = _feed(client, f"/calendar/feed/{services.create_feed_token(partner_member)}.ics")
    assert secret.uid in _uids(mine)
    assert mine.headers["Cache-Control"] == "private, max-age=300"
    outsider = _feed(client, f"/calendar/feed/{services.create_feed_token(world.outsider)}.ics")
    assert _uids(outsider) == set()

    sign_in(client, partner_member)
    assert _uids(_feed(client, f"/campaigns/{campaign.slug}/calendar.ics")) == {secret.uid}
    assert _uids(_feed(client, f"/events/{secret.uid}.ics")) == {secret.uid}


def test_personal_feed_holds_my_rsvps_and_my_organisations(client, world):
    """The personal feed has my organisations' events and events I go to, and nothing else."""
    other = factories.make_org("Rete Carovane", country="IT")
    factories.add_member(other, coordinator := factories.make_user("Giulia"), Role.COORDINATOR)
    going = services.create_event(coordinator, other, _draft(title="Carovana"))
    declined = services.create_event(coordinator, other, _draft(title="Altro"))
    unrelated = services.create_event(coordinator, other, _draft(title="Terzo"))
    services.rsvp(world.member, going, RsvpResponse.GOING)
    services.rsvp(world.member, declined, RsvpResponse.NOT_GOING)
    own = _event(world, title="Reunión del comité")
    uids = _uids(_feed(client, f"/calendar/feed/{services.create_feed_token(world.member)}.ics"))
    assert uids == {going.uid, own.uid}
    assert unrelated.uid not in uids


def test_revoked_and_replaced_addresses_stop_working(client, world):
    """A stopped address gives 404; a new one works and makes the previous one stop."""
    _event(world)
    first = services.create_feed_token(world.member)
    _feed(client, f"/calendar/feed/{first}.ics")
    services.revoke_feed_tokens(world.member)
    _feed(client, f"/calendar/feed/{first}.ics", status=404)
    second = services.create_feed_token(world.member)
    _feed(client, f"/calendar/feed/{second}.ics")
    third = services.create_feed_token(world.member)
    _feed(client, f"/calendar/feed/{second}.ics", status=404)
    _feed(client, f"/calendar/feed/{third}.ics")
    _feed(client, "/calendar/feed/not-a-token.ics", status=404)


def test_suspended_persons_address_stops_working(client, world):
    """When an account is suspended its calendar address answers 404."""
    token = services.create_feed_token(world.member)
    _feed(client, f"/calendar/feed/{token}.ics")
    suspend_user(world.admin, world.member)
    _feed(client, f"/calendar/feed/{token}.ics", status=404)


def test_feed_settings_page_shows_the_address_once(client, world):
    """The settings page makes a webcal:// address shown once, keeps only its digest,
    and can stop it."""
    _event(world)
    assert client.get("/calendar/feed").status_code == 302  # sign in first
    sign_in(client, world.member)
    page = client.get("/calendar/feed").get_data(as_text=True)
    assert "Make my secret address" in page and "webcal://" not in page
    made = client.post("/calendar/feed/new")
    assert made.status_code == 200 and made.headers["Cache-Control"] == "no-store"
    html = made.get_data(as_text=True)
    token = re.search(r"webcal://localhost/calendar/feed/([\w-]+)\.ics", html).group(1)
    assert f"https://localhost/calendar/feed/{token}.ics" in html or (
        f"http://localhost/calendar/feed/{token}.ics" in html
    )
    stored = _db.session.scalars(select(CalendarToken.token_hash)).all()
    assert token not in stored and len(stored) == 1
    _feed(client, f"/calendar/feed/{token}.ics")
    again = client.get("/calendar/feed").get_data(as_text=True)
    assert token not in again and "Stop my calendar address" in again
    assert client.post("/calendar/feed/stop").status_code == 302
    _feed(client, f"/calendar/feed/{token}.ics", status=404)


def test_profile_links_to_calendar_subscription(client, world):
    """The profile page leads to the calendar subscription settings."""
    sign_in(client, world.member)
    assert "/calendar/feed" in client.get("/account/profile").get_data(as_text=True)


def test_one_event_download(client, world):
    """One event downloads as an .ics attachment holding only that event."""
    event = _event(world, title="Veillée", zone="Africa/Tunis")
    _event(world, title="Other")
    response = _feed(client, f"/events/{event.uid}.ics")
    assert response.headers["Content-Disposition"].startswith("attachment;")
    assert _uids(response) == {event.uid}
    assert _starts(response) == [datetime(2026, 4, 18, 17, 0, tzinfo=UTC)]  # UTC+1
    _feed(client, "/events/unknown@caravana.ics", status=404)


def test_demo_weekly_meeting_in_the_public_feed(client, db, monkeypatch):
    """Loaded in mid-March 2026, the demo's Tuesday 17:00 Palermo meeting reads 16:00 UTC
    before 29 March and 15:00 UTC after, one date left out and one moved to 18:00, as the
    site shows it."""
    from app.campaigns import demo as campaigns_demo
    from app.campaigns.recurrence import occurrences
    from app.demo import seed

    class MidMarch(date):
        """The demo places its campaigns around today: a day before Europe's clock change."""

        @classmethod
        def today(cls):
            return date(2026, 3, 14)

    monkeypatch.setattr(campaigns_demo, "date", MidMarch)
    seed()
    cal = _parsed(_feed(client, "/calendar/public.ics"))
    meeting = next(
        str(c["UID"]) for c in cal.walk("VEVENT") if str(c["SUMMARY"]).startswith("Riunione")
    )
    found = recurring_ical_events.of(cal).between(*WINDOW)
    starts = sorted(c["DTSTART"].dt.astimezone(UTC) for c in found if str(c["UID"]) == meeting)
    [event] = [e for e in _db.session.scalars(select(Event)) if e.uid == meeting]
    assert starts == [o.starts_at for o in occurrences(event, *WINDOW)]
    rome = [s.astimezone(ZoneInfo("Europe/Rome")) for s in starts]
    assert {s.hour for s in starts if s.month == 3 and s.day < 29} == {16, 17}  # one moved
    assert {s.hour for s in starts if (s.month, s.day) > (3, 29)} == {15}
    assert sorted(s.hour for s in rome).count(18) == 1 and len(event.exdates) == 1
    assert all(s.weekday() == 1 for s in rome) and len(starts) >= 4
    zones = {str(c["DTSTART"].params.get("TZID", "UTC")) for c in cal.walk("VEVENT")}
    assert len(zones | {"Africa/Dakar"}) >= 6
    assert "Préparation de la rencontre" not in cal.to_ical().decode()
