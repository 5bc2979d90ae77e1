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
from babel.dates import DateTimePattern, get_timezone_location, match_skeleton, parse_pattern
from babel.lists import format_list
from flask import has_request_context, request, url_for
from flask_babel import get_locale, ngettext
from flask_babel import gettext as _
from flask_login import current_user
from wtforms import SelectField

from app.campaigns.recurrence import WEEKDAYS, Occurrence, parse_rule, zone_named
from app.i18n import MOVEMENT_ZONES, all_timezones, select_timezone
from app.models.orgs import fold

_READER_ZONE = "caravana.reader_zone"  # where a request keeps its reader's zone


# Between parts of a line: the space after the dot does not break, so a line never ends on a
# dangling separator (it may start with one).
SEPARATOR = " \u00b7\u00a0"


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


def zone_label(zone: ZoneInfo | str, language: Locale | str | None = None) -> str:
    """A zone as a family member reads it, in their language: 'hora de Honduras'.

    The country's time, with the city where the country has several zones ('hora de México
    (Ciudad de México)'): what CLDR calls the zone's location. UTC has no country: its own
    name ('tiempo universal coordinado (UTC)').
    """
    return _zone_label(str(zone), str(language or locale()))


@lru_cache(maxsize=4096)
def _zone_label(name: str, language: str) -> str:
    if name in ("UTC", "Etc/UTC"):
        named = Locale.parse(language).time_zones.get("Etc/UTC", {}).get("long", {})
        return f"{named['standard']} (UTC)" if "standard" in named else "UTC"
    try:
        return get_timezone_location(name, locale=language)
    except LookupError:  # a zone newer than babel's data: its own name, readably
        return name.replace("_", " ")


def zone_choices() -> list[tuple[str, str]]:
    """(IANA name, label) pairs for a zone picker: the movement's zones, then all by label."""
    return list(_zone_choices(str(locale())))


@lru_cache(maxsize=16)
def _zone_choices(language: str) -> tuple[tuple[str, str], ...]:
    labels = {z: zone_label(z, language) for z in all_timezones()}
    # Two zones of a country CLDR counts as one-zone read alike: their cities tell them apart.
    seen: dict[str, int] = {}
    for label in labels.values():
        seen[label] = seen.get(label, 0) + 1
    for zone, label in labels.items():
        if seen[label] > 1:
            city = get_timezone_location(zone, locale=language, return_city=True)
            labels[zone] = f"{label} ({city})"
    first = [(z, labels[z]) for z in MOVEMENT_ZONES if z in labels]
    # By label as a reader looks it up, accents folded as in the country picker.
    rest = sorted(
        ((z, label) for z, label in labels.items() if z not in MOVEMENT_ZONES),
        key=lambda pair: (fold(pair[1]), pair[1]),
    )
    return tuple(first + rest)


class ZoneField(SelectField):
    """A time-zone picker: readable names, IANA names as values (what is stored).

    A zone stored before the picker dropped aliases (Asia/Calcutta) is listed too, so that
    saving a form unchanged keeps it rather than taking the first of the list.
    """

    def __init__(self, label=None, validators=None, **kwargs) -> None:
        super().__init__(label, validators, validate_choice=False, **kwargs)
        self.choices = zone_choices()

    def iter_choices(self):
        """The picker's zones, with the current one when the list does not hold it."""
        if self.data and self.data not in {value for value, _label in self.choices}:
            self.choices = [(self.data, zone_label(self.data)), *self.choices]
        return super().iter_choices()


def weekday_name(index: int, width: str = "wide") -> str:
    """Monday is 0, as in date.weekday()."""
    return locale().days["format"][width][index]


def month_name(month: int, width: str = "wide") -> str:
    """January is 1."""
    return locale().months["format"][width][month]


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
        return {"reader": text + SEPARATOR + _("all day"), "own": ""}
    reader = reader_zone()
    span = fmt("yMMMEd", occ.starts_at, reader) + ", " + fmt("Hm", occ.starts_at, reader)
    span += "–" + _end_text(occ, reader)
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


def _end_text(occ: Occurrence, zone: ZoneInfo) -> str:
    """The end time, saying when it falls on a later day than the start ('01:00 (next day)').

    An end at midnight closes its start's day: "18:00–00:00" needs no note.
    """
    first = occ.starts_at.astimezone(zone).date()
    last = (occ.ends_at.astimezone(zone) - timedelta(microseconds=1)).date()
    if last == first + timedelta(days=1):
        return _("%(time)s (next day)", time=fmt("Hm", occ.ends_at, zone))
    if last > first:
        return fmt("MMMEd", occ.ends_at, zone) + ", " + fmt("Hm", occ.ends_at, zone)
    return fmt("Hm", occ.ends_at, zone)


def campaign_status(status, ends_on: date | None = None) -> str:
    """A campaign's status in the reader's language; "Ended" once its last day has passed.

    With ``ends_on``, a campaign nobody closed does not say "Active" for ever.
    """
    value = str(status.value if hasattr(status, "value") else status)
    if ends_on is not None and value != "closed" and ends_on < datetime.now(reader_zone()).date():
        return _("Ended")
    return {"planned": _("Planned"), "active": _("Active"), "closed": _("Closed")}.get(value, value)


def short_time(occ: Occurrence) -> str:
    """The start in the reader's zone, for a month grid cell."""
    if occ.event.all_day:
        return _("all day")
    return fmt("Hm", occ.starts_at, reader_zone())


def until_date(value: str, zone: str, at: time | None = None) -> date:
    """The last date an UNTIL names, in the event's zone (a date, a UTC or floating time).

    ``at`` is the wall time the event's dates start at: an UNTIL earlier in its day than that
    (files write e.g. 00:59:59Z) ends the series the day before.
    """
    if len(value) == 8:
        return datetime.strptime(value, "%Y%m%d").date()
    instant = datetime.strptime(value[:15], "%Y%m%dT%H%M%S")
    if value.endswith("Z"):
        instant = instant.replace(tzinfo=UTC).astimezone(zone_named(zone)).replace(tzinfo=None)
    if at is not None and instant.time() < at:
        return instant.date() - timedelta(days=1)
    return instant.date()


def _joined(items: list[str]) -> str:
    """'Monday and Thursday', in the reader's language."""
    return format_list(items, locale=locale()) if items else ""


def _position(n: int) -> str:
    """'first', 'last'... : which of a weekday in the month (or year)."""
    words = {
        1: _("first"),
        2: _("second"),
        3: _("third"),
        4: _("fourth"),
        5: _("fifth"),
        -1: _("last"),
        -2: _("second to last"),
    }
    if n in words:
        return words[n]
    return _("number %(n)d", n=n) if n > 0 else _("number %(n)d from the end", n=-n)


def _day_of_month(n: int) -> str:
    """'the 15th', 'the last day': a day of the month (English suffixes are their own words)."""
    if n == -1:
        return _("the last day")
    if n < 0:
        return _("day %(n)d from the end", n=-n)
    if n % 10 == 1 and n != 11:
        return _("the %(n)dst", n=n)
    if n % 10 == 2 and n != 12:
        return _("the %(n)dnd", n=n)
    if n % 10 == 3 and n != 13:
        return _("the %(n)drd", n=n)
    return _("the %(n)dth", n=n)


def _weekdays(byday: str) -> tuple[list[str], bool]:
    """BYDAY in words ('last Friday', 'Monday') and whether they have positions."""
    words, ordinal = [], False
    for item in filter(None, byday.upper().split(",")):
        code, position = item[-2:], item[:-2]
        if code not in WEEKDAYS:
            continue
        name = weekday_name(WEEKDAYS.index(code))
        if position.lstrip("+-").isdigit():
            ordinal = True
            words.append(_("%(position)s %(day)s", position=_position(int(position)), day=name))
        else:
            words.append(name)
    return words, ordinal


def _numbers(value: str) -> list[int]:
    return [int(v) for v in value.split(",") if v.strip().lstrip("+-").isdigit()]


_EVERY = {
    "DAILY": (lambda n: _("every day"), lambda n: _("every %(n)d days", n=n)),
    "WEEKLY": (lambda n: _("every week"), lambda n: _("every %(n)d weeks", n=n)),
    "MONTHLY": (lambda n: _("every month"), lambda n: _("every %(n)d months", n=n)),
    "YEARLY": (lambda n: _("every year"), lambda n: _("every %(n)d years", n=n)),
}


def _phrase(freq: str, n: int, days: list[str], ordinal: bool, monthdays: list[str], on: str):
    """The main words of a rule, and which of its parts they say."""
    one = n == 1
    if freq == "WEEKLY" and days and not ordinal:
        if one:
            return _("every week on %(days)s", days=_joined(days)), {"days"}
        return _("every %(n)d weeks on %(days)s", n=n, days=_joined(days)), {"days"}
    if freq == "MONTHLY" and days and ordinal:
        if one:
            return _("%(days)s of every month", days=_joined(days)), {"days"}
        return _("%(days)s of every %(n)d months", n=n, days=_joined(days)), {"days"}
    if freq == "MONTHLY" and monthdays and not days:
        if one:
            return _("on %(days)s of every month", days=_joined(monthdays)), {"monthdays"}
        text = _("on %(days)s of every %(n)d months", n=n, days=_joined(monthdays))
        return text, {"monthdays"}
    if freq == "YEARLY" and on:
        if one:
            return _("every year on %(date)s", date=on), {"monthdays", "months"}
        return _("every %(n)d years on %(date)s", n=n, date=on), {"monthdays", "months"}
    return _EVERY[freq][0 if one else 1](n), set()


def _yearly_date(rule: dict[str, str], first: datetime | None) -> str:
    """'March 8' for a yearly rule on one day of one month ('' for any other)."""
    months, days = _numbers(rule.get("BYMONTH", "")), _numbers(rule.get("BYMONTHDAY", ""))
    # BYMONTHDAY without BYMONTH picks that day of every month: not one date a year.
    if "BYDAY" in rule or len(months) > 1 or len(days) > 1 or (days and not months):
        return ""
    if not (months and days) and first is None:
        return ""
    month = months[0] if months else first.month
    day = days[0] if days else first.day
    if not (1 <= month <= 12 and 1 <= day <= 31):
        return ""
    # A leap year holds every day a yearly rule can name (29 February too).
    try:
        return fmt("MMMMd", datetime(2024, month, day, 12, tzinfo=UTC), UTC)
    except ValueError:  # 30 February and the like: no date
        return ""


def _ending(rule: dict[str, str], zone: str, at: time | None = None) -> list[str]:
    """'10 times' or 'until Dec 31, 2026'."""
    if rule.get("COUNT", "").isdigit():
        count = int(rule["COUNT"])
        return [ngettext("%(num)d time", "%(num)d times", count)]
    if "UNTIL" in rule:
        try:
            last = datetime.combine(until_date(rule["UNTIL"], zone, at), time(12), UTC)
        except ValueError:
            return []
        return [_("until %(date)s", date=fmt("yMMMd", last, UTC))]
    return []


def describe_rule(rrule: str, zone: str, start: datetime | None = None) -> str:
    """An RRULE in plain words, e.g. 'Last Friday of every month · 10 times'.

    ``start`` gives the day a rule without BYDAY or BYMONTHDAY takes from its first date.
    """
    rule = parse_rule(rrule)
    freq, interval = rule.get("FREQ", "").upper(), rule.get("INTERVAL", "1")
    n = int(interval) if interval.isdigit() and int(interval) > 0 else 1
    if freq not in _EVERY:
        return _("Repeats")
    first = start.astimezone(zone_named(zone)) if start else None
    days, ordinal = _weekdays(rule.get("BYDAY", ""))
    monthdays = [_day_of_month(d) for d in _numbers(rule.get("BYMONTHDAY", "")) if d]
    months = [month_name(m) for m in _numbers(rule.get("BYMONTH", "")) if 1 <= m <= 12]
    if first and not (days or monthdays):  # the rule repeats its first date's day
        if freq == "WEEKLY":
            days = [weekday_name(first.weekday())]
        elif freq == "MONTHLY":
            monthdays = [_day_of_month(first.day)]
    on = _yearly_date(rule, first) if freq == "YEARLY" else ""
    text, shown = _phrase(freq, n, days, ordinal, monthdays, on)
    details = []
    if days and "days" not in shown:
        details.append(_("on %(days)s", days=_joined(days)))
    if monthdays and "monthdays" not in shown:
        details.append(_("on %(days)s", days=_joined(monthdays)))
    if months and "months" not in shown:
        details.append(_("in %(months)s", months=_joined(months)))
    if set(rule) - {"FREQ", "INTERVAL", "BYDAY", "BYMONTHDAY", "BYMONTH", "COUNT", "UNTIL"}:
        details.append(_("with further conditions from the imported file"))
    at = start.astimezone(zone_named(zone)).time() if start is not None else None
    text = SEPARATOR.join([text, *details, *_ending(rule, zone, at)])
    return text[:1].upper() + text[1:]


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
    "zone_label": zone_label,
    "reader_zone": reader_zone,
}
