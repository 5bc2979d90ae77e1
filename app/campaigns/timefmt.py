"""Telling a campaign's times to each reader, in their zone and language.

The event's own zone stands beside them when it differs. These are the template globals of
the calendar pages.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from itertools import groupby
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import DateTimePattern, match_skeleton, parse_pattern
from flask import has_request_context, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user

from app.campaigns.recurrence import WEEKDAYS, Occurrence, parse_rule, zone_named
from app.i18n import select_timezone

_READER_ZONE = "caravana.reader_zone"  # where a request keeps its reader's zone


def reader_zone() -> ZoneInfo:
    """The reader's zone: their account's, else UTC (worked out once per request)."""
    if not has_request_context():
        return zone_named(select_timezone())
    found = request.environ.get(_READER_ZONE)
    if found is None:
        found = request.environ[_READER_ZONE] = zone_named(select_timezone())
    return found


def locale() -> Locale:
    """The reader's locale (English when none is chosen)."""
    return get_locale() or Locale("en")


@lru_cache(maxsize=512)
def _pattern(skeleton: str, language: Locale) -> DateTimePattern:
    """The locale's pattern for a CLDR skeleton, as babel's format_skeleton matches it."""
    skeletons = language.datetime_skeletons
    if skeleton not in skeletons:
        skeleton = match_skeleton(skeleton, skeletons) or skeleton
    return parse_pattern(skeletons[skeleton])


def fmt(skeleton: str, instant: datetime, zone: ZoneInfo) -> str:
    """An instant in a zone, written with a CLDR skeleton in the reader's language.

    What babel's format_skeleton writes; the pattern is matched once per skeleton and locale
    (matching costs more than writing).
    """
    language = locale()
    return _pattern(skeleton, language).apply(instant.astimezone(zone), language)


def zone_label(zone: ZoneInfo | str) -> str:
    """A zone's name as people read it (no underscores)."""
    return str(zone).replace("_", " ")


def weekday_name(index: int, width: str = "wide") -> str:
    """Monday is 0, as in date.weekday()."""
    return locale().days["format"][width][index]


def when(occ: Occurrence) -> dict[str, str]:
    """An occurrence's time for the reader, and in the event's own zone when that differs.

    For example {'reader': 'Tue 17 Mar, 10:00–11:00 (your time)', 'own': '17:00 Europe/Rome'}.
    """
    event = occ.event
    own = occ.zone
    if event.all_day:
        day = occ.local_start.date()
        last = (occ.ends_at.astimezone(own) - timedelta(seconds=1)).date()
        text = fmt("yMMMEd", datetime.combine(day, time(12)), UTC)
        if last > day:
            text += " – " + fmt("yMMMEd", datetime.combine(last, time(12)), UTC)
        return {"reader": text + " · " + _("all day"), "own": ""}
    reader = reader_zone()
    span = fmt("yMMMEd", occ.starts_at, reader) + ", " + fmt("Hm", occ.starts_at, reader)
    span += "–" + fmt("Hm", occ.ends_at, reader)
    if current_user.is_authenticated:
        span += " " + _("(your time)")
    else:
        span += " " + zone_label(reader)
    other = ""
    if str(own) != str(reader):
        other = fmt("Hm", occ.starts_at, own) + " " + zone_label(own)
        if occ.starts_at.astimezone(own).date() != occ.starts_at.astimezone(reader).date():
            other = fmt("MMMEd", occ.starts_at, own) + ", " + other
    return {"reader": span, "own": other}


def campaign_status(status) -> str:
    """A campaign's status in the reader's language."""
    return {"planned": _("Planned"), "active": _("Active"), "closed": _("Closed")}.get(
        str(status.value if hasattr(status, "value") else status), str(status)
    )


def short_time(occ: Occurrence) -> str:
    """The start in the reader's zone, for a month grid cell."""
    if occ.event.all_day:
        return _("all day")
    return fmt("Hm", occ.starts_at, reader_zone())


def describe_rule(rrule: str, zone: str) -> str:
    """'Every week on Tuesday, 10 times' for an RRULE, in plain words."""
    rule = parse_rule(rrule)
    n = int(rule.get("INTERVAL", "1") or 1)
    words = {
        "DAILY": (_("Every day"), _("Every %(n)d days", n=n)),
        "WEEKLY": (_("Every week"), _("Every %(n)d weeks", n=n)),
        "MONTHLY": (_("Every month"), _("Every %(n)d months", n=n)),
        "YEARLY": (_("Every year"), _("Every %(n)d years", n=n)),
    }.get(rule.get("FREQ", ""))
    if words is None:
        return _("Repeats")
    text = words[0] if n == 1 else words[1]
    days = [WEEKDAYS.index(d[-2:]) for d in rule.get("BYDAY", "").split(",") if d[-2:] in WEEKDAYS]
    if days:
        text += " · " + ", ".join(weekday_name(i) for i in days)
    if "COUNT" in rule:
        text += " · " + _("%(n)s times", n=rule["COUNT"])
    elif "UNTIL" in rule:
        until = datetime.strptime(rule["UNTIL"][:8], "%Y%m%d").replace(tzinfo=UTC)
        text += " · " + _("until %(date)s", date=fmt("yMMMd", until, zone_named(zone)))
    return text


def day_label(day: date) -> str:
    """'Tuesday 17 March 2026' in the reader's language."""
    return fmt("yMMMMEEEEd", datetime.combine(day, time(12)), UTC)


def occurrence_url(occ: Occurrence) -> str:
    """The event page, at this date for one date of a series."""
    if occ.recurrence_id is None:
        return url_for("campaigns.event", event_id=occ.event.id)
    return url_for("campaigns.event", event_id=occ.event.id, at=occ.recurrence_id.isoformat())


def reader_day(occ: Occurrence) -> date:
    """The reader's day an occurrence falls on (an all-day event keeps its own date)."""
    if occ.event.all_day:
        return occ.local_start.date()
    return occ.starts_at.astimezone(reader_zone()).date()


def by_day(found: list[Occurrence]) -> list[tuple[date, list[Occurrence]]]:
    """Occurrences grouped by the reader's day, for the agenda."""
    ordered = sorted(found, key=lambda o: (reader_day(o), o.starts_at))
    return [(day, list(items)) for day, items in groupby(ordered, key=reader_day)]


# What the calendar templates may call (registered by app/templating.py).
TEMPLATE_GLOBALS = {
    "when": when,
    "campaign_status": campaign_status,
    "short_time": short_time,
    "describe_rule": describe_rule,
    "day_label": day_label,
    "occurrence_url": occurrence_url,
}
