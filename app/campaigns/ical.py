"""iCalendar (RFC 5545) export with the icalendar library.

Stable UIDs, SEQUENCE, DTSTAMP, TZID with VTIMEZONE, RRULE/EXDATE, changed occurrences
(RECURRENCE-ID), cancellations.

A feed is written from parts: each event's VEVENTs as bytes (an ``EventPart``), one
VTIMEZONE per zone the events use, built once per process and first year (finding a zone's
changes is most of a small feed's time), and the calendar's own lines around them. The parts
are what the feed caches keep (``FeedCache``). Every date-time names its event's own zone,
even one always at UTC+0 such as Dakar; text is escaped (RFC 5545 3.3.11) by icalendar.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from icalendar import Calendar, Timezone, TimezoneDaylight, TimezoneStandard, vRecur, vText
from icalendar import Event as VEvent

from app.campaigns.recurrence import aware_until, repeats, zone_named
from app.markup import plain_text
from app.models import Event, EventOverride

PRODID = "-//Caravana//Campaign calendars//EN"


# zoneinfo keeps only the 8 latest zones alive; a feed cycles through dozens of them, and
# each miss reads and parses the zone's file again.
_zone = lru_cache(maxsize=1024)(ZoneInfo)


def _local(event: Event, instant: datetime) -> datetime:
    return instant.astimezone(_zone(event.timezone))


def _twice(wall: datetime) -> bool:
    """Whether an aware wall time happens twice (the hour clocks go back)."""
    return wall.replace(fold=0).utcoffset() != wall.replace(fold=1).utcoffset()


def _add_time(
    component: VEvent, name: str, event: Event, instant: datetime, exact: bool = False
) -> None:
    """A date-time property as wall time in the event's own zone, with that zone's TZID.

    icalendar would name the zone from its tzinfo, and write a zone always at UTC+0 (Dakar,
    Nouakchott) as UTC: the stored name is kept instead, as the organisers chose it. With
    ``exact`` (a date no rule repeats), a wall time that happens twice is written in UTC:
    RFC 5545 (3.3.5) means the first one, ical.js and libical read the second.
    """
    local = _local(event, instant)
    if event.timezone == "UTC" or (exact and _twice(local)):
        component.add(name, instant.astimezone(UTC))  # written with "Z" (RFC 5545 3.3.5)
        return
    component.add(name, local.replace(tzinfo=None), parameters={"TZID": event.timezone})


def _times(
    component: VEvent, event: Event, starts_at: datetime, ends_at: datetime, exact: bool
) -> None:
    if event.all_day:
        start = _local(event, starts_at).date()
        end = _local(event, ends_at).date()
        component.add("dtstart", start)
        component.add("dtend", end if end > start else start)
    else:
        _add_time(component, "dtstart", event, starts_at, exact)
        _add_time(component, "dtend", event, ends_at, exact)


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
    if event.all_day:
        component.add("recurrence-id", _local(event, override.recurrence_id).date())
    else:
        _add_time(component, "recurrence-id", event, override.recurrence_id)
    _times(component, event, override.starts_at, override.ends_at, exact=True)
    component.add("status", "CANCELLED" if override.cancelled else "CONFIRMED")
    return component


def event_components(event: Event, url: str | None = None) -> list[VEvent]:
    """The VEVENTs of one event: the series, then each changed occurrence."""
    series = _base(event, url)
    # A rule's dates are wall times, so its first date is one too, even when it happens twice.
    _times(series, event, event.starts_at, event.ends_at, exact=not repeats(event))
    # A stored rule the site does not expand (more often than daily) is sent as its first
    # date, as pages show it: a calendar program must not expand it either.
    if repeats(event):
        # RFC 5545: UNTIL takes DTSTART's value type: a DATE for all-day events, a UTC time
        # for the others (a bare date stored from a file is the end of that day, there).
        rule = vRecur.from_ical(aware_until(event.rrule, zone_named(event.timezone)))
        if event.all_day and "UNTIL" in rule:
            rule["UNTIL"] = [_local(event, until).date() for until in rule["UNTIL"]]
        series.add("rrule", rule)
        for value in event.exdates or []:
            excluded = datetime.fromisoformat(value)
            if event.all_day:
                series.add("exdate", _local(event, excluded).date())
            else:
                _add_time(series, "exdate", event, excluded)
    return [series, *(_override(event, o, url) for o in event.overrides)]


@dataclass(frozen=True)
class EventPart:
    """One event's VEVENTs as bytes, their TZIDs, and the first year their zones must cover.

    Each TZID needs a VTIMEZONE; ``since`` is the year it must start.
    """

    ical: bytes
    tzids: frozenset[str]
    since: int = 1970


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
    # A year's margin before its first date (a moved date may come before the series), within
    # what zoneinfo knows of (an imported date may say any year).
    first = min([event.starts_at, *(o.starts_at for o in event.overrides)])
    since = min(max(first.year - 1, FIRST_YEAR), LAST_YEAR)
    return EventPart(b"".join(c.to_ical() for c in components), frozenset(tzids - {"UTC"}), since)


# --- time zones -------------------------------------------------------------------------------
#
# A VTIMEZONE holds one STANDARD or DAYLIGHT block per observance, and each change in its own
# RDATE line: ical.js (Thunderbird) reads only the first value of a multi-value RDATE. Every
# onset is the wall time just before the change, in TZOFFSETFROM (RFC 5545 3.6.5): 02:00, not
# 03:00, when Rome springs forward. (No RRULE: a feed's only RRULEs are its events' series.)

FIRST_YEAR, LAST_YEAR = 1900, 2050  # changes are listed within these (about 50 bytes a year)


@dataclass(frozen=True)
class _Observance:
    """A zone's state after a change: what a STANDARD or DAYLIGHT block says."""

    offset_from: timedelta
    offset_to: timedelta
    name: str
    daylight: bool


def _state(zone: ZoneInfo, instant: datetime) -> tuple[timedelta, bool, str]:
    local = instant.astimezone(zone)
    return local.utcoffset(), bool(local.dst()), local.tzname() or ""


def _changes(zone: ZoneInfo, start: datetime, end: datetime) -> list[datetime]:
    """The UTC instant of each change of the zone's offset or name between start and end.

    zoneinfo does not list its transitions: weeks are compared, and a week holding a change is
    halved down to the second. (No zone's state has changed and changed back within a week
    since 1900: comparing days finds the very same changes, seven times more slowly.)
    """
    found = []
    week, before = start, _state(zone, start)
    while week < end:
        after = week + timedelta(days=7)
        if (state := _state(zone, after)) != before:
            low, high = week, after
            while (seconds := (high - low) // timedelta(seconds=1)) > 1:
                middle = low + timedelta(seconds=seconds // 2)  # whole seconds, as written
                low, high = (middle, high) if _state(zone, middle) == before else (low, middle)
            found.append(high)
        week, before = after, state
    return found


def _observances(zone: ZoneInfo, since: int) -> dict[_Observance, list[datetime]]:
    """The zone's observances from 1 January of `since`, each with its onsets (wall times)."""
    first = datetime(since, 1, 1, tzinfo=zone)
    offset, daylight, name = _state(zone, first)
    # The state the zone is in when the calendar starts: an onset with no change.
    found = {_Observance(offset, offset, name, daylight): [first.replace(tzinfo=None)]}
    end = datetime(max(LAST_YEAR, since + 10) + 1, 1, 1, tzinfo=UTC)
    for instant in _changes(zone, first.astimezone(UTC), end):
        to, daylight, name = _state(zone, instant)
        onset = (instant + offset).replace(tzinfo=None)  # the wall time before the change
        found.setdefault(_Observance(offset, to, name, daylight), []).append(onset)
        offset = to
    return found


@lru_cache(maxsize=4096)  # one per zone in use and first year; there are about 600 zones
def vtimezone(tzid: str, since: int = 1970) -> bytes:
    """A zone's VTIMEZONE from 1 January of `since` on, as bytes (empty for an unknown zone).

    A zone without changes from then on (Dakar, or Mexico City since 2022) is one STANDARD
    block.
    """
    try:
        zone = _zone(tzid)
    except (ValueError, KeyError):  # ZoneInfoNotFoundError is a KeyError
        return b""
    component = Timezone()
    component.add("tzid", tzid)
    observances = _observances(zone, since)
    for observance, onsets in observances.items():
        daylight = observance.daylight and len(observances) > 1
        block = TimezoneDaylight() if daylight else TimezoneStandard()
        block.add("dtstart", onsets[0])
        # With RDATEs, ical.js and libical take the onsets from them alone, and skip DTSTART
        # (as vzic, which writes their zones, the first onset is listed again).
        for onset in onsets if len(onsets) > 1 else ():
            block.add("rdate", onset)  # one line each
        block.add("tzoffsetfrom", observance.offset_from)
        block.add("tzoffsetto", observance.offset_to)
        block.add("tzname", observance.name)
        component.add_component(block)
    return component.to_ical()


def assemble(name: str, parts: Iterable[EventPart]) -> bytes:
    """A whole feed from its events' parts: VTIMEZONEs (by TZID) first, then the events.

    Each zone's VTIMEZONE starts the year before the earliest event using it.
    """
    parts = list(parts)
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", vText(name))  # an X- property is TEXT (RFC 5545 3.8.8.2): escaped
    head = cal.to_ical()  # BEGIN:VCALENDAR, its properties, END:VCALENDAR
    end = b"END:VCALENDAR\r\n"
    since: dict[str, int] = {}
    for part in parts:
        for tzid in part.tzids:
            since[tzid] = min(since.get(tzid, part.since), part.since)
    zones = (vtimezone(tzid, since[tzid]) for tzid in sorted(since))
    return b"".join([head[: -len(end)], *zones, *(p.ical for p in parts), end])


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
