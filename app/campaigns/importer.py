"""Importing an .ics file into a campaign: all of it, or nothing.

Every VEVENT is first read into an EventDraft (times as wall time in an IANA zone) and checked;
only when the whole file reads cleanly are the events created, in one database transaction.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from functools import lru_cache
from typing import IO, Any
from zoneinfo import ZoneInfo, available_timezones

from dateutil.rrule import rrulestr
from flask_babel import gettext as _
from icalendar import Calendar, vRecur
from icalendar.timezone.windows_to_olson import WINDOWS_TO_OLSON
from sqlalchemy import select

from app import audit
from app.campaigns import queries, services
from app.campaigns.recurrence import FREQUENCIES, MAX_INTERVAL, parse_rule, supported_rule
from app.campaigns.services import EventDraft
from app.db import atomic, lock_row
from app.errors import ServiceError
from app.extensions import db
from app.models import Campaign, Event, User

MAX_BYTES = 1024 * 1024
MAX_EVENTS = 500
# Events a campaign may hold through imports: every page and feed of the campaign stays
# bounded by what is stored, and a campaign is a few years of a movement's actions.
MAX_CAMPAIGN_EVENTS = 5000
DEFAULT_LENGTH = timedelta(hours=1)  # an event given with a start only


class IcsImportError(ServiceError):
    """The file cannot be imported; the message says why, and nothing was imported."""

    def __init__(self, message: str) -> None:
        super().__init__("bad_file", message)


@dataclass
class Change:
    """One changed or cancelled occurrence (a VEVENT with RECURRENCE-ID)."""

    recurrence_id: datetime  # original start, UTC
    starts_local: datetime | None  # in the series' zone
    ends_local: datetime | None
    title: str
    cancelled: bool


@dataclass
class Series:
    """An event read from the file, ready to be created."""

    uid: str
    draft: EventDraft
    cancelled: bool = False
    changes: list[Change] = field(default_factory=list)


# --- time zones -------------------------------------------------------------------------------


@lru_cache(maxsize=1)
def _iana_zones() -> frozenset[str]:
    return frozenset(available_timezones())


def iana_zone(tzid: str, calendar: Calendar | None = None) -> str | None:
    """The IANA zone a TZID means, or None when it cannot be known.

    The zone is found as the TZID itself, a Windows name, a Mozilla-style path, or the
    X-LIC-LOCATION of the file's VTIMEZONE.
    """
    tzid = tzid.strip().strip('"')
    zones = _iana_zones()
    if tzid in zones:
        return tzid
    if tzid in WINDOWS_TO_OLSON and WINDOWS_TO_OLSON[tzid] in zones:
        return WINDOWS_TO_OLSON[tzid]
    parts = [p for p in tzid.split("/") if p]
    for n in (3, 2):
        candidate = "/".join(parts[-n:])
        if len(parts) >= n and candidate in zones:
            return candidate
    if calendar is not None:
        for vtimezone in calendar.walk("VTIMEZONE"):
            if str(vtimezone.get("TZID", "")) == tzid:
                location = str(vtimezone.get("X-LIC-LOCATION", "")).strip()
                if location in zones:
                    return location
    return None


class _Reader:
    """Reads one file; `fail` raises with the event's title in the message."""

    def __init__(self, calendar: Calendar, default_zone: str) -> None:
        self.calendar = calendar
        self.default_zone = default_zone if default_zone in _iana_zones() else "UTC"
        self.title = ""

    def fail(self, message: str) -> None:
        raise IcsImportError(
            _("Event “%(title)s”: %(problem)s", title=self.title or "?", problem=message)
        )

    def zone_of(self, prop: Any) -> str | None:
        """The IANA zone of a date-time property; None for floating times and dates."""
        value = prop.dt
        tzid = prop.params.get("TZID") if hasattr(prop, "params") else None
        if not isinstance(value, datetime):
            return None
        if tzid:
            zone = iana_zone(str(tzid), self.calendar)
            if zone is None:
                self.fail(_("the time zone “%(tzid)s” is unknown.", tzid=tzid))
            return zone
        if value.tzinfo is not None:
            if value.utcoffset() == timedelta(0) and value.tzname() in ("UTC", "Z", None):
                return "UTC"
            key = getattr(value.tzinfo, "key", None)
            if key in _iana_zones():
                return key
            return "UTC"  # a fixed offset: keep the instant
        return None

    def instant(self, prop: Any, zone: str, all_day_start: time | None = None) -> datetime:
        """A DATE or DATE-TIME property as an aware UTC instant (floating means `zone`)."""
        value = prop.dt
        if not isinstance(value, datetime):
            value = datetime.combine(value, all_day_start or time())
        own = self.zone_of(prop) if isinstance(prop.dt, datetime) else None
        return value.replace(tzinfo=ZoneInfo(own or zone)).astimezone(UTC)

    def wall(self, prop: Any, zone: str) -> datetime:
        """A DATE-TIME property as a naive wall time in `zone`."""
        return self.instant(prop, zone).astimezone(ZoneInfo(zone)).replace(tzinfo=None)


def _text(component: Any, name: str) -> str:
    value = component.get(name)
    if value is None:
        return ""
    if isinstance(value, list):
        value = value[0]
    return str(value).strip()


def _first(component: Any, name: str) -> Any:
    value = component.get(name)
    return value[0] if isinstance(value, list) else value


def _listed(component: Any, name: str) -> list[Any]:
    value = component.get(name)
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


# --- reading ----------------------------------------------------------------------------------


def _rrule(reader: _Reader, component: Any, zone: str, start: datetime, all_day: bool) -> str:
    prop = _first(component, "RRULE")
    if prop is None:
        return ""
    rule = vRecur(prop)
    until = rule.get("UNTIL")
    if until:
        value = until[0]
        if isinstance(value, datetime):
            local = value if value.tzinfo else value.replace(tzinfo=ZoneInfo(zone))
        else:
            # Dates end the series on that day (its start for all-day events).
            local = datetime.combine(value, time() if all_day else time(23, 59, 59))
            local = local.replace(tzinfo=ZoneInfo(zone))
        rule["UNTIL"] = [local.astimezone(UTC)]
    text = rule.to_ical().decode()
    if len(text) > 500:
        reader.fail(_("its repeat rule is too long."))
    try:
        rrulestr(text, dtstart=start.replace(tzinfo=ZoneInfo(zone)), cache=False)
    except (ValueError, TypeError):
        reader.fail(_("its repeat rule cannot be read."))
    # Only what the site offers: finer rules (hourly, every minute...) would give thousands
    # of dates a day, and pages show a stored one as its first date only.
    parts = parse_rule(text)
    if parts.get("FREQ", "").upper() not in FREQUENCIES:
        reader.fail(
            _(
                "it repeats more often than once a day (%(rule)s): only daily, weekly, monthly "
                "and yearly repeats can be imported.",
                rule="FREQ=" + parts.get("FREQ", ""),
            )
        )
    if not supported_rule(text):
        reader.fail(_("its repeat interval must be from 1 to %(max)d.", max=MAX_INTERVAL))
    return text


def _exdates(reader: _Reader, component: Any, zone: str, start: datetime) -> list[datetime]:
    found = []
    for listed in _listed(component, "EXDATE"):
        tzid = listed.params.get("TZID")
        own = iana_zone(str(tzid), reader.calendar) if tzid else None
        if tzid and own is None:
            reader.fail(_("the time zone “%(tzid)s” is unknown.", tzid=tzid))
        for item in listed.dts:
            value = item.dt
            if not isinstance(value, datetime):
                value = datetime.combine(value, start.time())
            if value.tzinfo is None:
                value = value.replace(tzinfo=ZoneInfo(own or zone))
            found.append(value.astimezone(ZoneInfo(zone)).replace(tzinfo=None))
    return found


def _geo(component: Any) -> tuple[float | None, float | None]:
    geo = component.get("GEO")
    if geo is None:
        return None, None
    try:
        lat, lon = float(geo.latitude), float(geo.longitude)
    except (AttributeError, TypeError, ValueError):
        return None, None
    if -90 <= lat <= 90 and -180 <= lon <= 180:
        return lat, lon
    return None, None


def _times(reader: _Reader, component: Any) -> tuple[str, datetime, datetime, bool]:
    """Zone, start and end (wall times in the zone) and whether the event lasts all day."""
    dtstart = component.get("DTSTART")
    if dtstart is None:
        reader.fail(_("it has no start (DTSTART)."))
    start_value = dtstart.dt
    all_day = not isinstance(start_value, datetime)
    zone = reader.zone_of(dtstart) or reader.default_zone
    start = datetime.combine(start_value, time()) if all_day else reader.wall(dtstart, zone)
    dtend, duration = component.get("DTEND"), component.get("DURATION")
    if dtend is not None:
        if all_day:
            end_value = dtend.dt
            end_day = end_value.date() if isinstance(end_value, datetime) else end_value
            end = datetime.combine(end_day, time())
        else:
            end = reader.wall(dtend, zone)
    elif duration is not None and isinstance(duration.dt, timedelta):
        end = start + duration.dt
    else:
        end = start + (timedelta(days=1) if all_day else DEFAULT_LENGTH)
    if end < start or (end == start and not all_day):
        reader.fail(_("it ends before it starts."))
    if all_day and end == start:
        end = start + timedelta(days=1)
    return zone, start, end, all_day


def _draft(reader: _Reader, component: Any) -> EventDraft:
    zone, start, end, all_day = _times(reader, component)
    url = _text(component, "URL")
    latitude, longitude = _geo(component)
    return EventDraft(
        title=reader.title[:150],
        timezone=zone,
        starts_local=start,
        ends_local=end,
        all_day=all_day,
        description=_text(component, "DESCRIPTION")[:20_000],
        rrule=_rrule(reader, component, zone, start, all_day),
        exdates_local=_exdates(reader, component, zone, start),
        location=_text(component, "LOCATION")[:300],
        latitude=latitude,
        longitude=longitude,
        online_url=url[:500] if url.lower().startswith(("https://", "http://")) else "",
    )


def _change(reader: _Reader, component: Any, series: Series) -> Change:
    zone = series.draft.timezone
    recurrence_prop = component["RECURRENCE-ID"]
    recurrence_id = reader.instant(
        recurrence_prop, zone, all_day_start=series.draft.starts_local.time()
    )
    starts_local = ends_local = None
    if component.get("DTSTART") is not None:
        _own_zone, _s, _e, all_day = _times(reader, component)
        if all_day:
            starts_local, ends_local = _s, _e
        else:
            starts_local = reader.wall(component["DTSTART"], zone)
            ends_local = (
                starts_local + (_e - _s)
                if component.get("DTEND") is None
                else (reader.wall(component["DTEND"], zone))
            )
    title = reader.title if reader.title != series.draft.title else ""
    return Change(
        recurrence_id=recurrence_id,
        starts_local=starts_local,
        ends_local=ends_local,
        title=title[:150],
        cancelled=_text(component, "STATUS").upper() == "CANCELLED",
    )


def read_ics(data: bytes, default_zone: str) -> list[Series]:
    """Every event of the file, checked; raises IcsImportError on the first problem."""
    if len(data) > MAX_BYTES:
        raise IcsImportError(_("The file is larger than 1 MB."))
    try:
        cal = Calendar.from_ical(data)
    except Exception as error:  # icalendar raises many kinds on garbage
        raise IcsImportError(_("This is not an iCalendar (.ics) file.")) from error
    if getattr(cal, "name", "") != "VCALENDAR":
        raise IcsImportError(_("This is not an iCalendar (.ics) file."))
    components = cal.walk("VEVENT")
    if not components:
        raise IcsImportError(_("The file holds no events."))
    if len(components) > MAX_EVENTS:
        raise IcsImportError(
            _("The file holds more than %(max)d events; import it in parts.", max=MAX_EVENTS)
        )
    reader = _Reader(cal, default_zone)
    try:
        return _read_all(reader, components)
    except IcsImportError:
        raise
    except (ValueError, TypeError, KeyError, AttributeError) as error:
        reader.fail(_("it cannot be read (%(detail)s).", detail=str(error)[:120]))
        raise  # not reached


def _read_all(reader: _Reader, components: list[Any]) -> list[Series]:
    series: dict[str, Series] = {}
    changed: list[tuple[str, Any]] = []
    loose: list[Series] = []
    for component in components:
        reader.title = _text(component, "SUMMARY") or _("Untitled event")
        uid = _text(component, "UID")
        if component.get("RECURRENCE-ID") is not None and uid:
            changed.append((uid, component))
            continue
        item = Series(
            uid=uid,
            draft=_draft(reader, component),
            cancelled=_text(component, "STATUS").upper() == "CANCELLED",
        )
        if uid and uid not in series:
            series[uid] = item
        else:
            loose.append(item)  # no UID, or the same UID twice: a new UID is given
    for uid, component in changed:
        reader.title = _text(component, "SUMMARY") or _("Untitled event")
        parent = series.get(uid)
        if parent is None or not parent.draft.rrule:
            # A changed occurrence without its series: import it as an event of its own.
            loose.append(Series(uid="", draft=_draft(reader, component)))
            continue
        parent.changes.append(_change(reader, component, parent))
    return [*series.values(), *loose]


# --- creating ---------------------------------------------------------------------------------


def _free_uid(uid: str, taken: set[str]) -> str | None:
    if not uid or len(uid) > 120 or uid in taken:
        return None
    if db.session.scalar(select(Event.id).where(Event.uid == uid)) is not None:
        return None
    return uid


def import_ics(actor: User, campaign: Campaign, source: IO[bytes] | bytes) -> list[Event]:
    """Create the file's events in the campaign, organised by its lead organisation."""
    data = source if isinstance(source, bytes) else source.read(MAX_BYTES + 1)
    found = read_ics(data, actor.timezone or "UTC")
    try:
        with atomic():  # all the file's events, or none
            lock_row(Campaign, campaign.id)  # two imports at once count each other
            held = queries.campaign_event_count(campaign)
            if held + len(found) > MAX_CAMPAIGN_EVENTS:
                raise IcsImportError(
                    _(
                        "This campaign already holds %(held)d events and can hold at most "
                        "%(max)d: this file would add %(count)d.",
                        held=held,
                        max=MAX_CAMPAIGN_EVENTS,
                        count=len(found),
                    )
                )
            created = _create(actor, campaign, found)
            audit.record(
                actor,
                "events.import",
                org=campaign.lead_organisation,
                campaign=campaign.slug,
                count=len(created),
            )
            return created
    except IcsImportError:
        raise
    except ServiceError as error:  # a service refused a change: nothing was kept
        raise IcsImportError(str(error)) from error


def _create(actor: User, campaign: Campaign, found: list[Series]) -> list[Event]:
    org = campaign.lead_organisation
    created: list[Event] = []
    taken: set[str] = set()
    for item in found:
        uid = _free_uid(item.uid, taken)
        event = services.create_event(
            actor, org, item.draft, campaign=campaign, uid=uid, record=False
        )
        taken.add(event.uid)
        for change in item.changes:
            services.change_occurrence(
                actor,
                event,
                change.recurrence_id,
                starts_local=change.starts_local,
                ends_local=change.ends_local,
                title=change.title,
                cancelled=change.cancelled,
            )
        if item.cancelled:
            services.cancel_event(actor, event)
        created.append(event)
    return created
