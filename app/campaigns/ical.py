"""iCalendar (RFC 5545) export with the icalendar library.

Stable UIDs, SEQUENCE, DTSTAMP, TZID with VTIMEZONE, RRULE/EXDATE, changed occurrences
(RECURRENCE-ID), cancellations.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from zoneinfo import ZoneInfo

from icalendar import Calendar, vRecur
from icalendar import Event as VEvent

from app.markup import plain_text
from app.models import Event, EventOverride

PRODID = "-//Caravana//Campaign calendars//EN"


def _local(event: Event, instant: datetime) -> datetime:
    return instant.astimezone(ZoneInfo(event.timezone))


def _times(component: VEvent, event: Event, starts_at: datetime, ends_at: datetime) -> None:
    if event.all_day:
        start = _local(event, starts_at).date()
        end = _local(event, ends_at).date()
        component.add("dtstart", start)
        component.add("dtend", end if end > start else start)
    else:
        component.add("dtstart", _local(event, starts_at))
        component.add("dtend", _local(event, ends_at))


def _details(component: VEvent, event: Event, url: str | None) -> None:
    """Description, place, link and page: the same on the series and on changed dates."""
    description = plain_text(event.description)
    if event.online_url and event.location:
        description = f"{description}\n\n{event.online_url}".strip()
    if description:
        component.add("description", description)
    # The meeting link is where people go, so it is the place of an online event.
    place = ", ".join(p for p in (event.location, event.online_url) if p)
    if place:
        component.add("location", place)
    if event.latitude is not None and event.longitude is not None:
        component.add("geo", (event.latitude, event.longitude))
    if url:
        component.add("url", url)  # the event's page on Caravana


def _base(event: Event, url: str | None) -> VEvent:
    component = VEvent()
    component.add("uid", event.uid)
    component.add("dtstamp", event.updated_at)
    component.add("sequence", event.sequence)
    component.add("summary", event.title)
    _details(component, event, url)
    component.add("status", "CANCELLED" if event.is_cancelled else "CONFIRMED")
    return component


def _override(event: Event, override: EventOverride, url: str | None) -> VEvent:
    component = VEvent()
    component.add("uid", event.uid)
    component.add("dtstamp", override.updated_at)
    component.add("sequence", override.sequence)
    component.add("summary", override.title or event.title)
    _details(component, event, url)
    recurrence = _local(event, override.recurrence_id)
    component.add("recurrence-id", recurrence.date() if event.all_day else recurrence)
    _times(component, event, override.starts_at, override.ends_at)
    component.add("status", "CANCELLED" if override.cancelled else "CONFIRMED")
    return component


def event_components(event: Event, url: str | None = None) -> list[VEvent]:
    """The VEVENTs of one event: the series, then each changed occurrence."""
    series = _base(event, url)
    _times(series, event, event.starts_at, event.ends_at)
    if event.rrule:
        rule = vRecur.from_ical(event.rrule)
        if event.all_day and "UNTIL" in rule:
            # RFC 5545: UNTIL takes DTSTART's value type, a DATE for all-day events.
            rule["UNTIL"] = [_local(event, until).date() for until in rule["UNTIL"]]
        series.add("rrule", rule)
        for value in event.exdates or []:
            excluded = _local(event, datetime.fromisoformat(value))
            series.add("exdate", excluded.date() if event.all_day else excluded)
    return [series, *(_override(event, o, url) for o in event.overrides)]


def calendar(events: Iterable[Event], name: str, url_for_event=None) -> bytes:
    """A whole feed as bytes (CRLF line ends, lines folded at 75 octets by icalendar)."""
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", name)
    for event in events:
        url = url_for_event(event) if url_for_event else None
        for component in event_components(event, url):
            cal.add_component(component)
    cal.add_missing_timezones()  # VTIMEZONE for every TZID used
    return cal.to_ical()
