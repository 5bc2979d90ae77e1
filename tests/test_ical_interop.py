"""Feeds read right by independent calendar programs, across daylight-saving changes.

The app's own feeds (through their URLs) are read by ical.js, the parser of Thunderbird, run
under Node (tests/js/ical_instants.mjs), and by Python's recurring-ical-events; every
occurrence over two years must start and end at the instants the site itself shows
(recurrence.expand). recurring-ical-events looks a known TZID up in its own zone database,
so it also reads each feed with its zones renamed: then only the feed's VTIMEZONEs say the
offsets, as they do for ical.js. Each VTIMEZONE is also read alone, by ical.js
(tests/js/ical_offsets.mjs) and by icalendar, around every change of its zone since 1970.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import recurring_ical_events
from icalendar import Calendar, Timezone
from icalendar.parser.property import unescape_backslash
from sqlalchemy import select

from app.campaigns import services
from app.campaigns.ical import vtimezone
from app.campaigns.recurrence import expand
from app.campaigns.services import EventDraft
from app.extensions import db as _db
from app.models import Event

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "tests" / "js" / "ical_instants.mjs"
WINDOW = (datetime(2026, 1, 1, tzinfo=UTC), datetime(2028, 1, 1, tzinfo=UTC))
# Occurrences compared: those starting well inside the window, where all three readers agree
# on what "overlapping the window" means (an all-day date has no instant of its own).
INNER = ("2026-01-02", "2027-12-30")
PUBLIC = "/calendar/public.ics"
ZONES_WITHOUT_DST = [
    "Africa/Dakar",
    "Africa/Nouakchott",
    "America/Mexico_City",
    "America/Tegucigalpa",
    "Africa/Tunis",
]

Key = tuple[str, str, str, str]  # uid, start, end (UTC instant, or date), status
# Occurrences in order, each as many times as a reader gives it (a duplicate is a difference).
Found = list[Key]


def _node_ready() -> bool:
    return shutil.which("node") is not None and (ROOT / "node_modules" / "ical.js").is_dir()


# Not a skip: without Node and ical.js this module fails, and `make test` installs them.
assert _node_ready(), "install Node and run `npm ci` (as `make test` does) for ical.js"


# --- what each reader finds ----------------------------------------------------------------


def _stamp(value: datetime | date) -> str:
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return value.isoformat()


def _inside(keys: list[Key]) -> Found:
    return sorted(key for key in keys if INNER[0] <= key[1][:10] <= INNER[1])


def by_ical_js(data: bytes) -> dict:
    """What ical.js reads: the calendar's name, summaries, and occurrences as keys."""
    done = subprocess.run(
        ["node", str(SCRIPT), *(_stamp(w) for w in WINDOW)],
        input=data,
        capture_output=True,
        check=False,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr.decode()
    found = json.loads(done.stdout)
    found["keys"] = _inside(
        [(o["uid"], o["start"], o["end"], o["status"] or "CONFIRMED") for o in found["occurrences"]]
    )
    return found


def _renamed_zones(data: bytes) -> bytes:
    """The feed with every TZID made unknown, so that a reader must use its VTIMEZONEs."""
    return re.sub(rb"TZID([=:])", rb"TZID\1Caravana-", data)


def by_recurring_ical_events(data: bytes) -> Found:
    """Occurrences as Python's recurring-ical-events expands them."""
    found = recurring_ical_events.of(Calendar.from_ical(data)).between(*WINDOW)
    return _inside(
        [
            (
                str(c["UID"]),
                _stamp(c["DTSTART"].dt),
                _stamp(c["DTEND"].dt),
                str(c.get("STATUS", "CONFIRMED")),
            )
            for c in found
        ]
    )


def by_the_site(uids: set[str]) -> Found:
    """Occurrences as the site's pages show them (recurrence.expand), in the feed's form."""
    keys: list[Key] = []
    for event in _db.session.scalars(select(Event).where(Event.uid.in_(uids))):
        for o in expand(event, *WINDOW):
            if event.all_day:
                start = o.local_start.date()
                end = max(o.ends_at.astimezone(o.zone).date(), start)
                times = (start.isoformat(), end.isoformat())
            else:
                times = (_stamp(o.starts_at), _stamp(o.ends_at))
            keys.append((event.uid, *times, "CANCELLED" if o.cancelled else "CONFIRMED"))
    return _inside(keys)


def assert_everyone_agrees(data: bytes) -> Found:
    """ical.js and recurring-ical-events (with and without zone lookup) read the site's
    occurrences, no more, no fewer."""
    uids = {str(c["UID"]) for c in Calendar.from_ical(data).walk("VEVENT")}
    site = by_the_site(uids)
    assert by_ical_js(data)["keys"] == site, "ical.js differs"
    assert by_recurring_ical_events(data) == site
    assert by_recurring_ical_events(_renamed_zones(data)) == site, "VTIMEZONE differs"
    return site


# --- the events -----------------------------------------------------------------------------


def _add(world, campaign, title, zone, start, hours=1.0, **extra) -> Event:
    draft = EventDraft(
        title=title,
        timezone=zone,
        starts_local=start,
        ends_local=start + timedelta(hours=hours),
        **extra,
    )
    return services.create_event(world.coordinator, world.org, draft, campaign=campaign)


def _utc(zone: str, wall: datetime) -> datetime:
    return wall.replace(tzinfo=ZoneInfo(zone)).astimezone(UTC)


def _edge_events(world, campaign) -> list[Event]:
    """Series and single events around the clock changes of 2026 and 2027, in eight zones."""
    rome, york = "Europe/Rome", "America/New_York"
    vigil = _add(
        world, campaign, "Veglia a Palermo", rome, datetime(2026, 3, 3, 18, 0),
        rrule="FREQ=WEEKLY;BYDAY=TU;COUNT=95", exdates_local=[datetime(2026, 3, 24, 18, 0)],
    )  # fmt: skip
    # One date moved across the change (to the Saturday before, winter time), one cancelled.
    services.change_occurrence(
        world.coordinator, vigil, _utc(rome, datetime(2026, 3, 31, 18, 0)),
        starts_local=datetime(2026, 3, 28, 19, 30), ends_local=datetime(2026, 3, 28, 21, 0),
        title="Veglia spostata",
    )  # fmt: skip
    services.change_occurrence(
        world.coordinator, vigil, _utc(rome, datetime(2026, 10, 27, 18, 0)), cancelled=True
    )
    meeting = _add(
        world, campaign, "New York meeting", york, datetime(2026, 2, 26, 9, 0),
        rrule="FREQ=WEEKLY;BYDAY=TH,SU;UNTIL=20271120T000000Z",
    )  # fmt: skip
    services.change_occurrence(
        world.coordinator, meeting, _utc(york, datetime(2026, 11, 1, 9, 0)),
        starts_local=datetime(2026, 11, 1, 1, 15), ends_local=datetime(2026, 11, 1, 1, 45),
    )  # fmt: skip  # 01:15 happens twice that night: the first one (RFC 5545 3.3.5)
    return [
        vigil,
        meeting,
        _add(world, campaign, "Riunione del 14 aprile", rome, datetime(2026, 4, 14, 17, 0)),
        _add(world, campaign, "Notte del cambio", rome, datetime(2026, 3, 29, 1, 30), hours=2),
        _add(world, campaign, "Early Sunday", york, datetime(2026, 3, 8, 3, 0)),
        _add(world, campaign, "Fall back", york, datetime(2027, 11, 7, 0, 30), hours=3),
        _add(
            world,
            campaign,
            "Second Sunday",
            york,
            datetime(2026, 3, 8, 10, 0),
            rrule="FREQ=MONTHLY;BYDAY=2SU;COUNT=22",
        ),
        _add(
            world,
            campaign,
            "Reunión mensual",
            "America/Mexico_City",
            datetime(2026, 1, 5, 18, 0),
            rrule="FREQ=MONTHLY;COUNT=23",
        ),
        _add(
            world,
            campaign,
            "Marcha",
            "America/Mexico_City",
            datetime(2026, 4, 5, 12, 0),
            rrule="FREQ=WEEKLY;INTERVAL=2;COUNT=40",
        ),
        _add(
            world,
            campaign,
            "وقفة",
            "Africa/Tunis",
            datetime(2026, 3, 26, 9, 30),
            rrule="FREQ=WEEKLY;BYDAY=TH;COUNT=80",
        ),
        _add(
            world,
            campaign,
            "Veillée",
            "Africa/Dakar",
            datetime(2026, 3, 19, 19, 0),
            rrule="FREQ=WEEKLY;BYDAY=TH;COUNT=80",
        ),
        _add(world, campaign, "Rencontre", "Africa/Nouakchott", datetime(2026, 10, 25, 2, 30)),
        _add(world, campaign, "Reunión", "America/Tegucigalpa", datetime(2026, 11, 1, 1, 30)),
        _add(
            world,
            campaign,
            "Sit-in",
            "Africa/Tunis",
            datetime(2026, 3, 2),
            hours=24,
            all_day=True,
            rrule="FREQ=WEEKLY;BYDAY=MO;COUNT=60",
        ),
        _add(world, campaign, "Giornata", rome, datetime(2026, 3, 29), hours=24, all_day=True),
        _add(
            world,
            campaign,
            "Sydney vigil",
            "Australia/Sydney",
            datetime(2026, 3, 31, 18, 0),
            rrule="FREQ=WEEKLY;COUNT=90",
        ),
    ]


@pytest.fixture
def edges(world):
    """A public campaign holding the DST-edge events."""
    campaign = services.create_campaign(
        world.coordinator, world.org, "Giornata d'azione, Sfax; Palermo",
        date(2026, 3, 1), date(2027, 11, 30),
    )  # fmt: skip
    return campaign, _edge_events(world, campaign)


def _get(client, url: str) -> bytes:
    response = client.get(url, headers={"Accept-Encoding": "identity"})
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    return response.data


# --- the tests ------------------------------------------------------------------------------


def test_public_and_campaign_feeds_read_the_same_everywhere(client, edges):
    """Every occurrence of the edge events is at the same instant for ical.js, for
    recurring-ical-events and on the site, in the public and the campaign feed."""
    campaign, events = edges
    for url in (PUBLIC, f"/campaigns/{campaign.slug}/calendar.ics"):
        found = assert_everyone_agrees(_get(client, url))
        assert {key[0] for key in found} == {event.uid for event in events}, url
        assert len(found) > 600, url
    palermo = sorted(k[1] for k in found if k[0] == events[0].uid and k[1] < "2026-04-08")
    # 18:00 in Palermo: 17:00 UTC in winter, 16:00 UTC from 29 March; the 24th excluded,
    # the 31st moved to Saturday the 28th, 19:30 winter time.
    assert palermo == [
        "2026-03-03T17:00:00Z", "2026-03-10T17:00:00Z", "2026-03-17T17:00:00Z",
        "2026-03-28T18:30:00Z", "2026-04-07T16:00:00Z",
    ]  # fmt: skip


@pytest.mark.parametrize("today", [None, date(2026, 3, 14), date(2027, 10, 19)])
def test_the_demo_reads_the_same_everywhere(client, db, monkeypatch, today):
    """The demo's own events (`flask seed-demo`), loaded today or just before a clock change
    (the demo places them around the day it is loaded), read the same in every reader."""
    from app.campaigns import demo as campaigns_demo
    from app.demo import seed

    if today is not None:
        monkeypatch.setattr(campaigns_demo, "date", type("Day", (date,), {"today": lambda: today}))
    seed()
    found = assert_everyone_agrees(_get(client, PUBLIC))
    assert len({key[0] for key in found}) >= 5


def test_zones_without_daylight_saving_keep_their_tzid(client, edges):
    """Dakar, Nouakchott, Mexico City, Tegucigalpa and Tunis events are written in their own
    zone, each with a VTIMEZONE of one STANDARD block."""
    data = _get(client, PUBLIC)
    cal = Calendar.from_ical(data)
    zones = {str(tz["TZID"]): tz for tz in cal.walk("VTIMEZONE")}
    for zone in ZONES_WITHOUT_DST:
        assert f"DTSTART;TZID={zone}:".encode() in data, zone
        assert [c.name for c in zones[zone].subcomponents] == ["STANDARD"], zone
    # Dakar and Nouakchott, always at UTC+0, are not written as UTC ("Z") either.
    for component in cal.walk("VEVENT"):
        if str(component["SUMMARY"]) in ("Veillée", "Rencontre"):
            assert "TZID" in component["DTSTART"].params, component["SUMMARY"]


def _walls(zone: ZoneInfo) -> list[datetime]:
    """Wall times either side of each change of the zone from 1970 to 2050, clear of any hour
    that happens twice, and noon on every day of the events' two years."""
    walls = []
    day, end = datetime(1970, 1, 2, tzinfo=UTC), datetime(2051, 1, 1, tzinfo=UTC)
    while day < end:
        later = day + timedelta(days=1)
        old, new = day.astimezone(zone).utcoffset(), later.astimezone(zone).utcoffset()
        if old != new:  # zoneinfo's change, to the second
            low, high = day, later
            while (seconds := (high - low) // timedelta(seconds=1)) > 1:
                middle = low + timedelta(seconds=seconds // 2)
                low, high = (
                    (middle, high) if middle.astimezone(zone).utcoffset() == old else (low, middle)
                )
            twice = max(old - new, timedelta(0))  # the wall times that happen twice, if any
            minute = timedelta(minutes=1)
            walls += [
                (high - twice - minute + old).replace(tzinfo=None),
                (high + twice + minute + new).replace(tzinfo=None),
            ]
        elif WINDOW[0] <= day < WINDOW[1]:
            walls.append((day + timedelta(hours=12)).astimezone(zone).replace(tzinfo=None))
        day = later
    return walls


@pytest.mark.parametrize(
    "zone",
    ["Europe/Rome", "America/New_York", "Australia/Sydney", "Africa/Casablanca", "Asia/Tehran",
     *ZONES_WITHOUT_DST],
)  # fmt: skip
def test_each_vtimezone_gives_the_instants_of_the_zone_database(zone):
    """Read by ical.js, and by icalendar without its name, a VTIMEZONE puts a wall time at
    zoneinfo's instant either side of every change from 1970 to 2050, and on the events' days."""
    data = vtimezone(zone)  # from 1970
    written = Timezone.from_ical(data)
    for observance in written.subcomponents:  # one change per RDATE line, as ical.js reads
        rdates = observance.get("RDATE", [])
        assert all(len(r.dts) == 1 for r in (rdates if isinstance(rdates, list) else [rdates]))
    walls = _walls(ZoneInfo(zone))
    expected = [(w, w.replace(tzinfo=ZoneInfo(zone)).astimezone(UTC)) for w in walls]
    assert len(expected) > 700
    ics = b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Test//EN\r\n" + data + b"END:VCALENDAR\r\n"
    question = {"ics": ics.decode(), "walls": [w.isoformat() for w in walls]}
    done = subprocess.run(
        ["node", str(ROOT / "tests" / "js" / "ical_offsets.mjs")],
        input=json.dumps(question).encode(),
        capture_output=True,
        check=True,
        timeout=120,
    )
    seconds = json.loads(done.stdout)[zone]
    by_ical_js = [datetime.fromtimestamp(s, UTC) for s in seconds]
    assert list(zip(walls, by_ical_js, strict=True)) == expected
    ours = written.to_tz(lookup_tzid=False)
    assert [(w, w.replace(tzinfo=ours).astimezone(UTC)) for w in walls] == expected


def test_names_and_text_are_escaped_and_read_back(client, world):
    """The calendar's name and every text property are escaped (RFC 5545 3.3.11): both
    readers get back exactly what was written, comma, semicolon, backslash and line break."""
    title = 'Vigil, Sfax; "Palermo" \\ Dakar\nsecond line'
    campaign = services.create_campaign(
        world.coordinator, world.org, title, date(2026, 3, 1), date(2026, 4, 30)
    )
    event = _add(
        world, campaign, title, "Africa/Dakar", datetime(2026, 4, 18, 17, 0),
        description="Rendez-vous au port, quai 3; apportez \\ photos.\nMerci",
        location="Porto, molo 3; Palermo",
    )  # fmt: skip
    data = _get(client, f"/campaigns/{campaign.slug}/calendar.ics")
    unfolded = data.replace(b"\r\n ", b"")
    assert b'X-WR-CALNAME:Vigil\\, Sfax\\; "Palermo" \\\\ Dakar\\nsecond line\r\n' in unfolded
    cal = Calendar.from_ical(data)
    # icalendar keeps an X- property's value as written; read as the TEXT it is (3.8.8.2):
    assert unescape_backslash(str(cal["X-WR-CALNAME"])) == title
    [component] = cal.walk("VEVENT")
    assert str(component["SUMMARY"]) == title
    assert str(component["DESCRIPTION"]).startswith("Rendez-vous au port, quai 3; apportez \\")
    assert str(component["LOCATION"]) == "Porto, molo 3; Palermo"
    read = by_ical_js(data)
    assert read["name"] == title and read["summaries"] == {event.uid: title}


def test_a_feed_without_events_is_a_calendar(client, world):
    """With nothing to show, a feed is still a calendar both readers open."""
    data = _get(client, PUBLIC)
    cal = Calendar.from_ical(data)
    assert str(cal["VERSION"]) == "2.0" and str(cal["PRODID"])
    assert cal.walk("VEVENT") == [] and cal.walk("VTIMEZONE") == []
    read = by_ical_js(data)
    assert read["occurrences"] == [] and read["name"] == "Caravana — public calendar"
