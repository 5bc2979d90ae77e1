"""iCalendar (RFC 5545) export with the icalendar library.

Stable UIDs, SEQUENCE, DTSTAMP, TZID with VTIMEZONE, RRULE/EXDATE, changed occurrences
(RECURRENCE-ID), cancellations.

A feed is written from parts: each event's VEVENTs as bytes (an ``EventPart``), one
VTIMEZONE per zone the events use, built once per process (icalendar computes a zone's
transitions from 1970 to 2038 each time: most of a small feed's time), and the calendar's
own lines around them. The parts are what the feed caches keep (``FeedCache``).
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from zoneinfo import ZoneInfo

from icalendar import Calendar, Timezone, vRecur
from icalendar import Event as VEvent

from app.campaigns.recurrence import repeats
from app.markup import plain_text
from app.models import Event, EventOverride

PRODID = "-//Caravana//Campaign calendars//EN"


# zoneinfo keeps only the 8 latest zones alive; a feed cycles through dozens of them, and
# each miss reads and parses the zone's file again.
_zone = lru_cache(maxsize=1024)(ZoneInfo)


def _local(event: Event, instant: datetime) -> datetime:
    return instant.astimezone(_zone(event.timezone))


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
    description = plain_text(event.description_html)  # stored HTML: no Markdown per feed
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
    # A stored rule the site does not expand (more often than daily) is sent as its first
    # date, as pages show it: a calendar program must not expand it either.
    if repeats(event):
        rule = vRecur.from_ical(event.rrule)
        if event.all_day and "UNTIL" in rule:
            # RFC 5545: UNTIL takes DTSTART's value type, a DATE for all-day events.
            rule["UNTIL"] = [_local(event, until).date() for until in rule["UNTIL"]]
        series.add("rrule", rule)
        for value in event.exdates or []:
            excluded = _local(event, datetime.fromisoformat(value))
            series.add("exdate", excluded.date() if event.all_day else excluded)
    return [series, *(_override(event, o, url) for o in event.overrides)]


@dataclass(frozen=True)
class EventPart:
    """One event's VEVENTs as feed bytes, and the TZIDs they use (each needs a VTIMEZONE)."""

    ical: bytes
    tzids: frozenset[str]


def event_part(event: Event, url: str | None = None) -> EventPart:
    """The bytes of an event's VEVENTs as they appear in a feed."""
    components = event_components(event, url)
    tzids: set[str] = set()
    for component in components:
        # What icalendar's Calendar.get_used_tzids reads: the TZID of every property.
        for _name, value in component.property_items(sorted=False):
            if tzid := getattr(value, "params", {}).get("TZID"):
                tzids.add(str(tzid))
    # UTC needs no VTIMEZONE (RFC 5545 3.2.19: written with "Z").
    return EventPart(b"".join(c.to_ical() for c in components), frozenset(tzids - {"UTC"}))


@lru_cache(maxsize=1024)  # one per zone in use; there are about 600 zones
def vtimezone(tzid: str) -> bytes:
    """A zone's VTIMEZONE as bytes (empty for an unknown zone, as add_missing_timezones does)."""
    try:
        zone = Timezone.from_tzid(
            tzid, first_date=Timezone.DEFAULT_FIRST_DATE, last_date=Timezone.DEFAULT_LAST_DATE
        )
    except ValueError:
        return b""
    return zone.to_ical()


def assemble(name: str, parts: Iterable[EventPart]) -> bytes:
    """A whole feed from its events' parts: VTIMEZONEs (by TZID) first, then the events."""
    parts = list(parts)
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", name)
    head = cal.to_ical()  # BEGIN:VCALENDAR, its properties, END:VCALENDAR
    end = b"END:VCALENDAR\r\n"
    tzids = sorted(set().union(*(part.tzids for part in parts)))
    return b"".join(
        [head[: -len(end)], *(vtimezone(t) for t in tzids), *(p.ical for p in parts), end]
    )


def calendar(events: Iterable[Event], name: str, url_for_event=None) -> bytes:
    """A whole feed as bytes (CRLF line ends, lines folded at 75 octets by icalendar)."""
    return assemble(
        name, (event_part(e, url_for_event(e) if url_for_event else None) for e in events)
    )


# --- caches -----------------------------------------------------------------------------------


@dataclass
class CachedFeed:
    """A feed's bytes, a tag of them (for ETag), and compressed forms made on demand."""

    data: bytes
    tag: str
    encoded: dict[str, bytes] = field(default_factory=dict)

    @property
    def size(self) -> int:
        """Bytes held, in every form."""
        return len(self.data) + sum(len(v) for v in self.encoded.values())


class FeedCache:
    """Feeds' bytes by a key that changes whenever their content does, and events' parts.

    Keys are built by the caller from what a feed's bytes depend on (feed_views: the rows
    the reader may see, with their versions, the name and the site's address), so a stale or
    foreign entry is never found: it is simply not asked for again, and ages out. Both maps
    are bounded (least recently used first out); feeds by their total size.
    """

    def __init__(self, max_feed_bytes: int = 64 * 1024 * 1024, max_parts: int = 50_000) -> None:
        """Empty caches of at most max_feed_bytes of feeds and max_parts event parts."""
        self.max_feed_bytes, self.max_parts = max_feed_bytes, max_parts
        self.feeds: OrderedDict[Hashable, CachedFeed] = OrderedDict()
        self.parts: OrderedDict[Hashable, EventPart] = OrderedDict()
        self.feed_bytes = 0
        self.lock = threading.Lock()
        self.building: dict[Hashable, threading.Lock] = {}  # one builder per key at a time

    def feed(self, key: Hashable, build: Callable[[], bytes]) -> CachedFeed:
        """The feed at this key; build() makes it when it is not cached.

        Requests for a feed being built wait for it rather than build it again (after a
        change to thousands of events, building takes seconds).
        """
        with self.lock:
            if (found := self._hit(key)) is not None:
                return found
            builder = self.building.setdefault(key, threading.Lock())
        with builder:
            with self.lock:
                if (found := self._hit(key)) is not None:
                    return found
            try:
                data = build()
                made = CachedFeed(data, hashlib.blake2b(data, digest_size=16).hexdigest())
                with self.lock:
                    self._store(key, made)
            finally:
                with self.lock:
                    self.building.pop(key, None)
            return made

    def encoded(
        self, key: Hashable, feed: CachedFeed, encoding: str, encode: Callable[[bytes], bytes]
    ) -> bytes:
        """One compressed form of a cached feed, made once."""
        if (data := feed.encoded.get(encoding)) is not None:
            return data
        data = encode(feed.data)
        with self.lock:
            if encoding not in feed.encoded:  # another request may have made it meanwhile
                feed.encoded[encoding] = data
                if self.feeds.get(key) is feed:
                    self.feed_bytes += len(data)
                    self._trim()
            return feed.encoded[encoding]

    def event_parts(
        self, keys: Sequence[Hashable], build: Callable[[list[int]], dict[int, EventPart]]
    ) -> list[EventPart]:
        """The parts at these keys, in order; build(missing positions) makes the others."""
        with self.lock:
            found = [self.parts.get(k) for k in keys]
            for k, part in zip(keys, found, strict=True):
                if part is not None:
                    self.parts.move_to_end(k)
        missing = [i for i, part in enumerate(found) if part is None]
        if missing:
            made = build(missing)
            with self.lock:
                for i in missing:
                    found[i] = self.parts[keys[i]] = made[i]
                while len(self.parts) > self.max_parts:
                    self.parts.popitem(last=False)
        return found  # type: ignore[return-value] - every None was filled

    def clear(self) -> None:
        """Forget everything (tests, or memory pressure)."""
        with self.lock:
            self.feeds.clear()
            self.parts.clear()
            self.feed_bytes = 0

    def _hit(self, key: Hashable) -> CachedFeed | None:
        found = self.feeds.get(key)
        if found is not None:
            self.feeds.move_to_end(key)
        return found

    def _store(self, key: Hashable, feed: CachedFeed) -> None:
        if (old := self.feeds.pop(key, None)) is not None:
            self.feed_bytes -= old.size
        self.feeds[key] = feed
        self.feed_bytes += feed.size
        self._trim()

    def _trim(self) -> None:
        # The newest entry stays even when alone it is larger than the bound.
        while self.feed_bytes > self.max_feed_bytes and len(self.feeds) > 1:
            _key, dropped = self.feeds.popitem(last=False)
            self.feed_bytes -= dropped.size
