"""Expanding events into occurrences in their own wall time (dateutil's RFC 5545 rrule).

A weekly Tuesday 17:00 meeting in Europe/Rome stays at 17:00 in Rome across daylight-saving
changes, so its UTC instant moves: the rule is expanded on aware local datetimes, whose
offsets zoneinfo works out date by date.

Expanding is bounded whatever is stored. Only the frequencies the site offers (DAILY to
YEARLY, INTERVAL up to MAX_INTERVAL) are expanded; any other stored rule shows its first date
only. A long-running rule is expanded from whole periods before the window rather than from
its first date (``_start_near``), dateutil may look at only as many days as the window needs
(``_DayMeter``: a rule whose parts never match, such as BYMONTH=2;BYMONTHDAY=30, would
otherwise be iterated to the year 9999), and at most MAX_OCCURRENCES dates come out. When a
bound leaves dates out, the result says so (``Occurrences.complete``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from functools import lru_cache
from zoneinfo import ZoneInfo

from dateutil.rrule import rrule, rrulestr

from app.models import Event

MAX_OCCURRENCES = 1000  # a window never expands into more than this, per event
MAX_DAYS_EXAMINED = 20_000  # days dateutil may look at for one event (about 25 ms)
MAX_DAYS_PER_PAGE = 200_000  # and for all the events of one page together
MAX_INTERVAL = 1000  # a rule stepping further than this is not expanded (forms offer 99)
MAX_COUNT_FOLLOWED = 10_000  # a counted rule with more dates is treated as endless
WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
FREQUENCIES = ("DAILY", "WEEKLY", "MONTHLY", "YEARLY")
# Parts after which dateutil takes no day from DTSTART (see _spelled_out).
_DAY_PARTS = ("BYWEEKNO", "BYYEARDAY", "BYMONTHDAY", "BYDAY", "BYWEEKDAY", "BYEASTER")


@lru_cache(maxsize=1024)  # one per zone in use; there are about 600 zones
def zone_named(name: str) -> ZoneInfo:
    """The IANA zone of this name, built once per process.

    zoneinfo keeps only the 8 most recent zones alive; pages cycle through dozens of them,
    and each miss reads and parses the zone's file again.
    """
    return ZoneInfo(name)


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
        return zone_named(self.event.timezone)

    @property
    def local_start(self) -> datetime:
        """The start in the event's own zone (what the organisers wrote)."""
        return self.starts_at.astimezone(self.zone)


class Occurrences(list[Occurrence]):
    """Occurrences in start order; ``complete`` is False when a bound left some out."""

    complete: bool = True


def local(event: Event, instant: datetime) -> datetime:
    """An instant as wall time in the event's own zone."""
    return instant.astimezone(zone_named(event.timezone))


def parse_rule(rrule: str) -> dict[str, str]:
    """FREQ=WEEKLY;BYDAY=TU -> {'FREQ': 'WEEKLY', 'BYDAY': 'TU'}."""
    pairs = (part.split("=", 1) for part in (rrule or "").split(";") if "=" in part)
    return {key.strip().upper(): value.strip() for key, value in pairs}


def supported_rule(rrule: str) -> bool:
    """Whether the site expands a rule: a frequency it offers, a step it can bound."""
    parts = parse_rule(rrule)
    interval = parts.get("INTERVAL", "1")
    return (
        parts.get("FREQ", "").upper() in FREQUENCIES
        and interval.isdigit()
        and 1 <= int(interval) <= MAX_INTERVAL
    )


def repeats(event: Event) -> bool:
    """Whether the event is a series the site expands (any other rule shows one date)."""
    return bool(event.rrule) and supported_rule(event.rrule)


def aware_until(rule_text: str, zone: tzinfo) -> str:
    """The rule with a date-only UNTIL read as the end of that day in the event's zone, in UTC.

    Calendar files write UNTIL as a bare date for all-day events, and rows stored before the
    forms wrote it in UTC have one too; dateutil refuses a bare UNTIL with an aware DTSTART.
    """
    parts = parse_rule(rule_text)
    until = parts.get("UNTIL", "")
    if not (len(until) == 8 and until.isdigit()):
        return rule_text
    day = datetime.strptime(until, "%Y%m%d").date()
    end = datetime.combine(day, time(23, 59, 59), zone).astimezone(UTC)
    parts["UNTIL"] = end.strftime("%Y%m%dT%H%M%SZ")
    return ";".join(f"{key}={value}" for key, value in parts.items())


def rule_for(event: Event) -> rrule:
    """The event's rule, anchored at its first start in its own zone."""
    first = local(event, event.starts_at)
    return rrulestr(aware_until(event.rrule, first.tzinfo), dtstart=first, cache=False)


# --- bounded expansion ------------------------------------------------------------------------


@dataclass
class Allowance:
    """Days dateutil may still look at for one page, shared by the events it expands."""

    days: int = MAX_DAYS_PER_PAGE


class _Exhausted(Exception):
    """dateutil has looked at as many days as it was allowed."""


class _DayMeter(tuple):
    """Stands in for a rule's BYMONTH values and counts the days dateutil looks at.

    dateutil's rrule tests ``bymonth`` first (its truth value) for every day of every period
    it looks at, whether or not any day then matches; so this counts days, and stops the
    iteration by raising _Exhausted once ``budget`` runs out. Empty, it is false, exactly
    like the None it replaces; otherwise it holds the same months.
    """

    budget: int

    def __len__(self) -> int:
        self.budget -= 1
        if self.budget < 0:
            raise _Exhausted
        return tuple.__len__(self)


def _metered(rule: rrule, budget: int) -> tuple[rrule, _DayMeter]:
    """The rule, set to stop after dateutil has looked at `budget` days, and its meter."""
    meter = _DayMeter(rule._bymonth or ())  # noqa: SLF001 - see _DayMeter
    meter.budget = budget
    rule._bymonth = meter  # noqa: SLF001
    return rule, meter


def _period_start(parts: dict[str, str], first: date, periods: int) -> date:
    """The first day of the rule's period `periods` INTERVALs after the first one.

    A period is a day, a week from WKST, a month or a year, as dateutil steps.
    """
    freq, interval = parts["FREQ"].upper(), int(parts.get("INTERVAL", "1"))
    if freq == "DAILY":
        return first + timedelta(days=periods * interval)
    if freq == "WEEKLY":
        wkst = WEEKDAYS.index(parts.get("WKST", "MO").upper())
        return first - timedelta(days=(first.weekday() - wkst) % 7, weeks=-periods * interval)
    if freq == "MONTHLY":
        month = first.year * 12 + first.month - 1 + periods * interval
        return date(month // 12, month % 12 + 1, 1)
    return date(first.year + periods * interval, 1, 1)


def _periods_before(parts: dict[str, str], first: date, goal: date) -> int:
    """How many whole INTERVALs of periods lie between the first period and goal's."""
    freq, interval = parts["FREQ"].upper(), int(parts.get("INTERVAL", "1"))
    if freq == "MONTHLY":
        return ((goal.year - first.year) * 12 + goal.month - first.month) // interval
    if freq == "YEARLY":
        return (goal.year - first.year) // interval
    days = 7 * interval if freq == "WEEKLY" else interval
    return (goal - _period_start(parts, first, 0)).days // days


def _dates_per_period(parts: dict[str, str], first: datetime) -> int | None:
    """How many dates each period of a simple rule gives; None when periods differ.

    Simple: no BYxxx but a WEEKLY rule's plain week days, and a day of the month that
    every month (or year) has.
    """
    freq = parts["FREQ"].upper()
    if set(parts) - {"FREQ", "INTERVAL", "COUNT", "UNTIL", "WKST", "BYDAY"}:
        return None
    if "BYDAY" in parts:
        days = {day.strip().upper() for day in parts["BYDAY"].split(",")}
        return len(days) if freq == "WEEKLY" and days <= set(WEEKDAYS) else None
    every_period = (
        first.day <= 28
        or freq in ("DAILY", "WEEKLY")
        or (freq == "YEARLY" and (first.month, first.day) != (2, 29))
    )
    return 1 if every_period else None


def _start_near(
    parts: dict[str, str], first: datetime, target: datetime
) -> tuple[datetime, int | None] | None:
    """A later DTSTART from which the rule gives the same dates from target on, or None.

    It is the first midnight of a period of the rule a whole number of INTERVALs after the
    first one and at least one period before target; with it, for a counted rule, how many
    of its dates are left from there. None when there is nothing to skip, or when the dates
    skipped cannot be counted without going through them.
    """
    periods = _periods_before(parts, first.date(), target.date()) - 1
    if periods < 1:
        return None
    origin = datetime.combine(_period_start(parts, first.date(), periods), time(0), first.tzinfo)
    if "COUNT" not in parts:
        return origin, None
    per_period = _dates_per_period(parts, first)
    if per_period is None or not parts["COUNT"].isdigit():
        return None
    # The first period may start after some of its days; every later one gives per_period.
    second = datetime.combine(_period_start(parts, first.date(), 1), time(0), first.tzinfo)
    in_first = 0
    for start in rrulestr(";".join(f"{k}={v}" for k, v in parts.items()), dtstart=first):
        if start >= second:
            break
        in_first += 1
    return origin, int(parts["COUNT"]) - in_first - (periods - 1) * per_period


def _spelled_out(parts: dict[str, str], first: datetime, count: int | None = None) -> str:
    """The rule with what dateutil would take from its first DTSTART written out.

    Without BYxxx parts dateutil repeats DTSTART's day of the week, month or year, and its
    time of day: a moved DTSTART must not change them. ``count`` replaces COUNT.
    """
    freq = parts["FREQ"].upper()
    spelled = dict(parts)
    if count is not None:
        spelled["COUNT"] = str(count)
    if not any(part in parts for part in _DAY_PARTS):
        if freq == "YEARLY":
            spelled.setdefault("BYMONTH", str(first.month))
            spelled["BYMONTHDAY"] = str(first.day)
        elif freq == "MONTHLY":
            spelled["BYMONTHDAY"] = str(first.day)
        elif freq == "WEEKLY":
            spelled["BYDAY"] = WEEKDAYS[first.weekday()]
    spelled.setdefault("BYHOUR", str(first.hour))
    spelled.setdefault("BYMINUTE", str(first.minute))
    spelled.setdefault("BYSECOND", str(first.second))
    return ";".join(f"{key}={value}" for key, value in spelled.items())


def rule_starts(
    rule_text: str,
    first: datetime,
    after: datetime,
    before: datetime,
    limit: int = MAX_OCCURRENCES,
    allowance: Allowance | None = None,
) -> tuple[list[datetime], bool]:
    """Starts of a rule from first (aware, its own zone) in [after, before], as between().

    Returns the starts (aware, in first's zone) and whether they are all of them: False when
    more than `limit` fall in the window, or when looking at every day up to `before` would
    take more than MAX_DAYS_EXAMINED days (or what is left of the page's allowance). Raises
    ValueError for a rule dateutil cannot read.
    """
    rule_text = aware_until(rule_text, first.tzinfo)
    parts = parse_rule(rule_text)
    moved = _start_near(parts, first, after.astimezone(first.tzinfo))
    if moved is None:
        origin, rule = first, rrulestr(rule_text, dtstart=first, cache=False)
    else:
        origin, count = moved
        if count is not None and count <= 0:
            return [], True  # a counted series over before the window
        rule = rrulestr(_spelled_out(parts, first, count), dtstart=origin, cache=False)
    # Enough to look at every day up to `before` and the whole period it falls in (a year at
    # most), with room for dateutil's one extra look per period it rebuilds.
    days = max(0, (before.astimezone(first.tzinfo).date() - origin.date()).days)
    needed = days + days // 28 + 2 * 366 + 31
    cap = MAX_DAYS_EXAMINED if allowance is None else min(MAX_DAYS_EXAMINED, allowance.days)
    budget = max(0, min(needed, cap))
    rule, meter = _metered(rule, budget)
    found: list[datetime] = []
    complete = True
    try:
        for start in rule:
            if start > before:
                break
            if found or start >= after:
                if len(found) == limit:
                    complete = False
                    break
                found.append(start)
    except _Exhausted:
        # Out of days: every day up to `before` was looked at, unless a cap cut it short.
        complete = budget == needed
    if allowance is not None:
        allowance.days -= budget - max(meter.budget, 0)
    return found, complete


def _excluded(event: Event) -> set[datetime]:
    return {datetime.fromisoformat(value).astimezone(UTC) for value in event.exdates or []}


def expand(
    event: Event,
    window_start: datetime,
    window_end: datetime,
    limit: int = MAX_OCCURRENCES,
    allowance: Allowance | None = None,
) -> Occurrences:
    """Occurrences overlapping [window_start, window_end), changed ones as changed.

    At most `limit` dates of the rule are taken, within the page's `allowance` of days to look
    at; ``complete`` says whether that was all of them.
    """
    duration = event.ends_at - event.starts_at
    series, complete = repeats(event), True
    if series:
        try:
            # Look back by the duration so an occurrence already under way is included.
            found, complete = rule_starts(
                event.rrule,
                local(event, event.starts_at),
                window_start - duration,
                window_end,
                limit,
                allowance,
            )
        except (ValueError, TypeError, OverflowError):
            series = False  # a stored rule dateutil cannot read: its first date only
    starts = [start.astimezone(UTC) for start in found] if series else [event.starts_at]
    excluded = _excluded(event)
    overrides = {o.recurrence_id: o for o in event.overrides} if series else {}
    result = Occurrences()
    for start in starts:
        if start in excluded:
            continue
        override = overrides.get(start)
        if override is not None:
            item = Occurrence(
                event,
                override.starts_at,
                override.ends_at,
                start,
                override.title or event.title,
                override.cancelled,
            )
        else:
            item = Occurrence(
                event,
                start,
                start + duration,
                start if series else None,
                event.title,
                event.is_cancelled,
            )
        if item.ends_at > window_start and item.starts_at < window_end:
            result.append(item)
    # Moved occurrences may come from outside the rule's window.
    expanded = set(starts)
    for override in overrides.values():
        if override.recurrence_id not in expanded and (
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
    result.sort(key=lambda o: o.starts_at)
    result.complete = complete
    return result


def occurrences(event: Event, window_start: datetime, window_end: datetime) -> list[Occurrence]:
    """Occurrences overlapping [window_start, window_end), changed ones as changed."""
    return expand(event, window_start, window_end)


# --- when a series ends -----------------------------------------------------------------------


def _last_start(rule_text: str, first: datetime) -> datetime | None:
    """The start of a rule's last date (aware, first's zone); None if endless or not known.

    A counted rule is followed to its end, within the bound; a rule with UNTIL is looked at
    over its last two years, and when none falls there UNTIL itself stands for the last start
    (every start is before it: the series' end is then known to within a period).
    """
    rule_text = aware_until(rule_text, first.tzinfo)
    parts = parse_rule(rule_text)
    if "COUNT" in parts:
        count = int(parts["COUNT"]) if parts["COUNT"].isdigit() else 0
        if count > MAX_COUNT_FOLLOWED:
            return None
        far = datetime(9000, 1, 1, tzinfo=UTC)
        starts, complete = rule_starts(rule_text, first, first, far, limit=max(count, 1))
        if not complete:
            return None  # more days than the bound lets us look at
        return starts[-1] if starts else first
    if "UNTIL" not in parts:
        return None
    until = rrulestr(rule_text, dtstart=first, cache=False)._until  # noqa: SLF001 - as read
    if until is None:
        return None
    until = until.astimezone(first.tzinfo) if until.tzinfo else until.replace(tzinfo=first.tzinfo)
    starts, complete = rule_starts(rule_text, first, until - timedelta(days=2 * 366), until)
    return starts[-1] if starts and complete else max(first, until)


def series_end(
    rrule_text: str,
    timezone: str,
    starts_at: datetime,
    ends_at: datetime,
    changed_ends: list[datetime] | tuple[datetime, ...] = (),
) -> datetime | None:
    """UTC end of an event's last date, changed dates included; None while it never ends.

    The value of ``events.last_ends_at``: calendars leave out series that ended before their
    window. Never earlier than any date's end (an excluded last date still counts), so a
    window after it holds none of the event's dates. A rule the site does not expand is its
    first date; a rule dateutil cannot read, or one too long to follow, is None (endless).
    """
    if not rrule_text or not supported_rule(rrule_text):
        return ends_at
    try:
        first = starts_at.astimezone(zone_named(timezone))
    except (KeyError, ValueError):  # not a zone: nothing is known
        return None
    try:
        last = _last_start(rrule_text, first)
    except (ValueError, TypeError, OverflowError):
        return ends_at  # pages show a rule dateutil cannot read as its first date
    if last is None:
        return None
    return max([ends_at, last.astimezone(UTC) + (ends_at - starts_at), *changed_ends])


def event_end(event: Event) -> datetime | None:
    """series_end() of a stored event and its changed dates."""
    return series_end(
        event.rrule,
        event.timezone,
        event.starts_at,
        event.ends_at,
        [o.ends_at for o in event.overrides],
    )


# --- rules for the forms ----------------------------------------------------------------------


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
