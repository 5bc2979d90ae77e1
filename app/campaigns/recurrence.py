"""Expanding events into occurrences in their own wall time (dateutil's RFC 5545 rrule).

A weekly Tuesday 17:00 meeting in Europe/Rome stays at 17:00 in Rome across daylight-saving
changes, so its UTC instant moves: the rule is expanded on aware local datetimes, whose
offsets zoneinfo works out date by date.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from dateutil.rrule import rrulestr

from app.models import Event

MAX_OCCURRENCES = 1000  # a window never expands into more than this
WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
FREQUENCIES = ("DAILY", "WEEKLY", "MONTHLY", "YEARLY")


@dataclass(frozen=True)
class Occurrence:
    """One time an event takes place."""

    event: Event
    starts_at: datetime  # UTC
    ends_at: datetime  # UTC
    recurrence_id: datetime | None  # original start (UTC) for a recurring event's occurrence
    title: str
    cancelled: bool

    @property
    def zone(self) -> ZoneInfo:
        """The event's own time zone."""
        return ZoneInfo(self.event.timezone)

    @property
    def local_start(self) -> datetime:
        """The start in the event's own zone (what the organisers wrote)."""
        return self.starts_at.astimezone(self.zone)


def local(event: Event, instant: datetime) -> datetime:
    """An instant as wall time in the event's own zone."""
    return instant.astimezone(ZoneInfo(event.timezone))


def rule_for(event: Event):
    """The event's rule, anchored at its first start in its own zone."""
    return rrulestr(event.rrule, dtstart=local(event, event.starts_at), cache=False)


def _excluded(event: Event) -> set[datetime]:
    return {datetime.fromisoformat(value).astimezone(UTC) for value in event.exdates or []}


def occurrences(event: Event, window_start: datetime, window_end: datetime) -> list[Occurrence]:
    """Occurrences overlapping [window_start, window_end), changed ones as changed."""
    duration = event.ends_at - event.starts_at
    if not event.rrule:
        starts = [event.starts_at]
    else:
        # Look back by the duration so an occurrence already under way is included.
        found = rule_for(event).between(window_start - duration, window_end, inc=True)
        starts = [start.astimezone(UTC) for start in found[:MAX_OCCURRENCES]]
    excluded = _excluded(event)
    overrides = {o.recurrence_id: o for o in event.overrides}
    result = []
    for start in starts:
        if start in excluded:
            continue
        recurrence_id = start if event.rrule else None
        override = overrides.get(start) if event.rrule else None
        if override is not None:
            item = Occurrence(
                event,
                override.starts_at,
                override.ends_at,
                recurrence_id,
                override.title or event.title,
                override.cancelled,
            )
        else:
            item = Occurrence(
                event, start, start + duration, recurrence_id, event.title, event.is_cancelled
            )
        if item.ends_at > window_start and item.starts_at < window_end:
            result.append(item)
    # Moved occurrences may come from outside the rule's window.
    for override in overrides.values():
        if override.recurrence_id not in set(starts) and (
            override.ends_at > window_start and override.starts_at < window_end
        ):
            result.append(
                Occurrence(
                    event,
                    override.starts_at,
                    override.ends_at,
                    override.recurrence_id,
                    override.title or event.title,
                    override.cancelled,
                )
            )
    return sorted(result, key=lambda o: o.starts_at)


def weekly_rule(
    byday: list[str], interval: int = 1, count: int | None = None, until: datetime | None = None
) -> str:
    """An RRULE value for a weekly series (UNTIL given in UTC, as RFC 5545 requires)."""
    parts = ["FREQ=WEEKLY", f"INTERVAL={interval}"]
    if byday:
        parts.append("BYDAY=" + ",".join(byday))
    if count:
        parts.append(f"COUNT={count}")
    elif until:
        parts.append("UNTIL=" + until.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ"))
    return ";".join(parts)


def span(days: int = 0, hours: int = 0) -> timedelta:
    """A duration of so many days and hours."""
    return timedelta(days=days, hours=hours)


def parse_rule(rrule: str) -> dict[str, str]:
    """FREQ=WEEKLY;BYDAY=TU -> {'FREQ': 'WEEKLY', 'BYDAY': 'TU'}."""
    pairs = (part.split("=", 1) for part in (rrule or "").split(";") if "=" in part)
    return {key.upper(): value for key, value in pairs}
