"""Importing an .ics file into a campaign: the same instants come back out, and a bad file
is refused with a clear reason and nothing half-imported."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime

import pytest
import recurring_ical_events
from icalendar import Calendar
from sqlalchemy import func, select

from app.campaigns import importer, services
from app.extensions import db as _db
from app.models import Event, EventOverride, Role
from tests import factories
from tests.conftest import sign_in

WINDOW = (datetime(2026, 1, 1, tzinfo=UTC), datetime(2027, 1, 1, tzinfo=UTC))

ROME = """BEGIN:VTIMEZONE\r
TZID:Europe/Rome\r
BEGIN:DAYLIGHT\r
TZOFFSETFROM:+0100\r
TZOFFSETTO:+0200\r
TZNAME:CEST\r
DTSTART:19700329T020000\r
RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU\r
END:DAYLIGHT\r
BEGIN:STANDARD\r
TZOFFSETFROM:+0200\r
TZOFFSETTO:+0100\r
TZNAME:CET\r
DTSTART:19701025T030000\r
RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU\r
END:STANDARD\r
END:VTIMEZONE\r
"""

GOOD = (
    "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Test//EN\r\n"
    + ROME
    + """BEGIN:VEVENT\r
UID:riunione-2026@rete.example\r
DTSTAMP:20260201T120000Z\r
SUMMARY:Riunione online\\, preparazione\r
DESCRIPTION:Interpreti per francese\\; arabo.\r
DTSTART;TZID=Europe/Rome:20260317T170000\r
DTEND;TZID=Europe/Rome:20260317T183000\r
RRULE:FREQ=WEEKLY;BYDAY=TU;UNTIL=20260414T170000\r
EXDATE;TZID=Europe/Rome:20260407T170000\r
URL:https://meet.example.org/rete\r
END:VEVENT\r
BEGIN:VEVENT\r
UID:riunione-2026@rete.example\r
DTSTAMP:20260201T120000Z\r
RECURRENCE-ID;TZID=Europe/Rome:20260331T170000\r
SUMMARY:Riunione spostata\r
DTSTART;TZID=Europe/Rome:20260331T180000\r
DTEND;TZID=Europe/Rome:20260331T193000\r
END:VEVENT\r
BEGIN:VEVENT\r
UID:veillee@thiaroye.example\r
DTSTAMP:20260201T120000Z\r
SUMMARY:Veillée\r
DTSTART:20260418T170000Z\r
DURATION:PT2H\r
LOCATION:Plage de Thiaroye\r
GEO:14.753;-17.3806\r
END:VEVENT\r
BEGIN:VEVENT\r
UID:honduras@progreso.example\r
DTSTAMP:20260201T120000Z\r
SUMMARY:Reunión del comité\r
DTSTART:20260320T180000\r
DTEND:20260320T200000\r
STATUS:CANCELLED\r
END:VEVENT\r
BEGIN:VEVENT\r
UID:dia@progreso.example\r
DTSTAMP:20260201T120000Z\r
SUMMARY:Día de acción\r
DTSTART;VALUE=DATE:20260418\r
DTEND;VALUE=DATE:20260419\r
END:VEVENT\r
END:VCALENDAR\r
"""
)

EXPECTED = [
    datetime(2026, 3, 17, 16, 0, tzinfo=UTC),  # 17:00 in Rome, winter time
    datetime(2026, 3, 20, 18, 0, tzinfo=UTC),  # floating: the importer's zone (UTC here)
    datetime(2026, 3, 24, 16, 0, tzinfo=UTC),
    datetime(2026, 3, 31, 16, 0, tzinfo=UTC),  # moved to 18:00, summer time
    datetime(2026, 4, 14, 15, 0, tzinfo=UTC),  # 7 April excluded
    datetime(2026, 4, 18, 17, 0, tzinfo=UTC),
]


@pytest.fixture
def campaign(world):
    return services.create_campaign(
        world.coordinator, world.org, "Giornata d'azione", date(2026, 3, 1), date(2026, 4, 30)
    )


def _count() -> int:
    return _db.session.scalar(select(func.count()).select_from(Event)) + _db.session.scalar(
        select(func.count()).select_from(EventOverride)
    )


def _upload(client, campaign, data: bytes | str, name="calendar.ics"):
    if isinstance(data, str):
        data = data.encode()
    return client.post(
        f"/campaigns/{campaign.slug}/import",
        data={"file": (io.BytesIO(data), name)},
        content_type="multipart/form-data",
    )


def _timed_starts(cal_bytes: bytes) -> list[datetime]:
    found = recurring_ical_events.of(Calendar.from_ical(cal_bytes)).between(*WINDOW)
    return sorted(
        c["DTSTART"].dt.astimezone(UTC) for c in found if isinstance(c["DTSTART"].dt, datetime)
    )


def test_good_file_imports_and_exports_the_same_instants(client, world, campaign):
    """A file with a VTIMEZONE, a weekly series with an excluded and a moved occurrence,
    a UTC, a floating, a cancelled and an all-day event comes back out at the same instants."""
    sign_in(client, world.coordinator)
    response = _upload(client, campaign, GOOD)
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/campaigns/{campaign.slug}")
    events = {e.uid: e for e in _db.session.scalars(select(Event))}
    assert len(events) == 4 and _count() == 5
    series = events["riunione-2026@rete.example"]
    assert series.timezone == "Europe/Rome"
    assert series.title == "Riunione online, preparazione"
    assert series.description == "Interpreti per francese; arabo."
    assert series.online_url == "https://meet.example.org/rete"
    assert "UNTIL=20260414T150000Z" in series.rrule  # floating UNTIL made UTC
    assert series.organisation_id == campaign.lead_organisation_id
    assert series.campaign_id == campaign.id
    vigil = events["veillee@thiaroye.example"]
    assert vigil.timezone == "UTC" and vigil.location == "Plage de Thiaroye"
    assert (vigil.latitude, vigil.longitude) == (14.753, -17.3806)
    assert events["honduras@progreso.example"].is_cancelled
    assert events["dia@progreso.example"].all_day

    original = recurring_ical_events.of(Calendar.from_ical(GOOD.encode())).between(*WINDOW)
    assert _timed_starts(GOOD.encode()) == EXPECTED
    exported = client.get(f"/campaigns/{campaign.slug}/calendar.ics").data
    assert _timed_starts(exported) == EXPECTED
    titles = sorted(str(c["SUMMARY"]) for c in original)
    again = recurring_ical_events.of(Calendar.from_ical(exported)).between(*WINDOW)
    assert sorted(str(c["SUMMARY"]) for c in again) == titles
    day = [c for c in again if not isinstance(c["DTSTART"].dt, datetime)]
    assert [c["DTSTART"].dt for c in day] == [date(2026, 4, 18)]


def test_floating_times_take_the_importers_zone(client, world, campaign):
    """Times without a zone are read in the importing coordinator's own zone."""
    world.coordinator.timezone = "America/Tegucigalpa"
    _db.session.commit()
    sign_in(client, world.coordinator)
    _upload(client, campaign, GOOD)
    event = _db.session.scalar(select(Event).where(Event.uid == "honduras@progreso.example"))
    assert event.timezone == "America/Tegucigalpa"
    assert event.starts_at == datetime(2026, 3, 21, 0, 0, tzinfo=UTC)


def test_uid_already_used_gets_a_new_one(client, world, campaign):
    """Importing the same file twice keeps the first UIDs and gives the copies new ones."""
    sign_in(client, world.coordinator)
    _upload(client, campaign, GOOD)
    _upload(client, campaign, GOOD)
    uids = list(_db.session.scalars(select(Event.uid)))
    assert len(uids) == 8 and len(set(uids)) == 8
    assert "riunione-2026@rete.example" in uids


def _wrap(*events: str, zone: str = "") -> str:
    return (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:x\r\n"
        + zone
        + "".join(events)
        + ("END:VCALENDAR\r\n")
    )


def _vevent(uid: str, *lines: str) -> str:
    return (
        "BEGIN:VEVENT\r\nUID:"
        + uid
        + "\r\nSUMMARY:Evento\r\n"
        + "".join(line + "\r\n" for line in lines)
        + "END:VEVENT\r\n"
    )


OK_EVENT = _vevent("ok@x", "DTSTART:20260418T170000Z", "DTEND:20260418T180000Z")

BAD_FILES = {
    "not ical": ("Hello, this is a letter.", "not an iCalendar"),
    "binary": (b"\x89PNG\r\n\x1a\n\x00\x00", "not an iCalendar"),
    "no events": (_wrap(), "holds no events"),
    "no start": (_wrap(OK_EVENT, _vevent("b@x", "DTEND:20260418T180000Z")), "no start"),
    "unknown zone": (
        _wrap(OK_EVENT, _vevent("c@x", "DTSTART;TZID=Mars/Olympus:20260418T170000")),
        "Mars/Olympus",
    ),
    "end before start": (
        _wrap(OK_EVENT, _vevent("d@x", "DTSTART:20260418T170000Z", "DTEND:20260418T160000Z")),
        "ends before it starts",
    ),
    "too many": (
        _wrap(*(_vevent(f"e{n}@x", "DTSTART:20260418T170000Z") for n in range(501))),
        "more than 500",
    ),
    "too large": (
        _wrap(OK_EVENT, _vevent("f@x", "DTSTART:20260418T170000Z", "X-PAD:" + "y" * 1024**2)),
        "larger than 1 MB",
    ),
    "bad rule": (
        _wrap(OK_EVENT, _vevent("g@x", "DTSTART:20260418T170000Z", "RRULE:FREQ=SOMETIMES")),
        "cannot be read",
    ),
    # Issue 8: an imported FREQ=SECONDLY rule without end made one page view take 119 s.
    "every second": (
        _wrap(OK_EVENT, _vevent("h@x", "DTSTART:20260418T170000Z", "RRULE:FREQ=SECONDLY")),
        "more often than once a day (FREQ=SECONDLY)",
    ),
    "every hour": (
        _wrap(OK_EVENT, _vevent("i@x", "DTSTART:20260418T170000Z", "RRULE:FREQ=HOURLY;COUNT=5")),
        "more often than once a day (FREQ=HOURLY)",
    ),
    "huge interval": (
        _wrap(
            OK_EVENT, _vevent("j@x", "DTSTART:20260418T170000Z", "RRULE:FREQ=DAILY;INTERVAL=5000")
        ),
        "repeat interval must be from 1 to 1000",
    ),
}


@pytest.mark.parametrize("kind", list(BAD_FILES))
def test_bad_file_is_refused_and_nothing_is_imported(client, world, campaign, kind):
    """Each kind of bad file gets its own clear message, and no event at all is created."""
    data, message = BAD_FILES[kind]
    sign_in(client, world.coordinator)
    before = _count()
    response = _upload(client, campaign, data)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert 'class="error"' in html
    if message:
        assert message in html
    assert _count() == before


def test_unknown_tzid_with_a_mappable_vtimezone_is_imported(client, world, campaign):
    """Outlook's Windows zone names and Thunderbird's X-LIC-LOCATION are mapped to IANA."""
    zone = ROME.replace("TZID:Europe/Rome", "TZID:Custom Rome\r\nX-LIC-LOCATION:Europe/Rome")
    data = _wrap(
        _vevent("w@x", "DTSTART;TZID=W. Europe Standard Time:20260331T170000"),
        _vevent("t@x", "DTSTART;TZID=Custom Rome:20260331T170000"),
        zone=zone,
    )
    sign_in(client, world.coordinator)
    assert _upload(client, campaign, data).status_code == 302
    events = list(_db.session.scalars(select(Event)))
    assert {e.timezone for e in events} == {"Europe/Berlin", "Europe/Rome"}  # same rules
    assert {e.starts_at for e in events} == {datetime(2026, 3, 31, 15, 0, tzinfo=UTC)}


def test_a_failure_while_creating_keeps_nothing(world, campaign, monkeypatch):
    """If creating the third event fails, the first two are not kept either."""
    real = services.create_event
    calls = []

    def failing(*args, **kwargs):
        calls.append(1)
        if len(calls) == 3:
            raise RuntimeError("database went away")
        return real(*args, **kwargs)

    monkeypatch.setattr(services, "create_event", failing)
    before = _count()
    with pytest.raises(RuntimeError):
        importer.import_ics(world.coordinator, campaign, GOOD.encode())
    assert _count() == before


@pytest.mark.parametrize("role", ["member", "outsider"])
def test_only_campaign_coordinators_may_import(client, world, campaign, role):
    """Members and outsiders get 403 on the import page and cannot import."""
    sign_in(client, world.user(role))
    assert client.get(f"/campaigns/{campaign.slug}/import").status_code == 403
    assert _upload(client, campaign, GOOD).status_code == 403
    assert _count() == 0


def test_visitor_is_sent_to_sign_in_and_coordinator_sees_the_form(client, world, campaign):
    """A visitor is asked to sign in; the lead's coordinator sees the upload form."""
    assert client.get(f"/campaigns/{campaign.slug}/import").status_code == 302
    other = factories.make_org("Other")
    boss = factories.make_user("Boss")
    factories.add_member(other, boss, Role.COORDINATOR)
    sign_in(client, boss)
    assert client.get(f"/campaigns/{campaign.slug}/import").status_code == 403
    sign_in(client, world.coordinator)
    page = client.get(f"/campaigns/{campaign.slug}/import").get_data(as_text=True)
    assert 'enctype="multipart/form-data"' in page and 'type="file"' in page


def test_a_campaign_holds_a_bounded_number_of_imported_events(client, world, campaign, monkeypatch):
    """Files of 500 events each cannot grow a campaign without end: past the campaign's
    bound the file is refused whole, with the numbers, and nothing of it is kept."""
    monkeypatch.setattr(importer, "MAX_CAMPAIGN_EVENTS", 3)
    two = _wrap(*(_vevent(f"k{n}@x", "DTSTART:20260418T170000Z") for n in range(2)))
    sign_in(client, world.coordinator)
    assert _upload(client, campaign, two).status_code == 302
    before = _count()
    response = _upload(client, campaign, two.replace("k", "m"))
    assert response.status_code == 422
    assert "already holds 2 events and can hold at most 3" in response.get_data(as_text=True)
    assert _count() == before
