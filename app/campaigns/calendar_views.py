"""Month grid and agenda pages, and how an occurrence's time is told to each reader."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from itertools import groupby
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_skeleton
from flask import abort, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required

from app.campaigns import bp, services
from app.campaigns.forms import ConfirmForm
from app.campaigns.recurrence import Occurrence
from app.i18n import select_timezone

# --- telling the time -------------------------------------------------------------------------


def reader_zone() -> ZoneInfo:
    """The reader's zone: their account's, else UTC."""
    return ZoneInfo(select_timezone())


def _locale() -> Locale:
    return get_locale() or Locale("en")


def _fmt(skeleton: str, instant: datetime, zone: ZoneInfo) -> str:
    return format_skeleton(skeleton, instant, tzinfo=zone, locale=_locale())


def zone_label(zone: ZoneInfo | str) -> str:
    return str(zone).replace("_", " ")


def weekday_name(index: int, width: str = "wide") -> str:
    """Monday is 0, as in date.weekday()."""
    return _locale().days["format"][width][index]


@bp.app_template_global()
def when(occ: Occurrence) -> dict[str, str]:
    """An occurrence's time for the reader, and in the event's own zone when that differs:
    {'reader': 'Tue 17 Mar, 10:00–11:00 (your time)', 'own': '17:00 Europe/Rome'}."""
    event = occ.event
    own = occ.zone
    if event.all_day:
        day = occ.local_start.date()
        last = (occ.ends_at.astimezone(own) - timedelta(seconds=1)).date()
        text = _fmt("yMMMEd", datetime.combine(day, time(12)), UTC)
        if last > day:
            text += " – " + _fmt("yMMMEd", datetime.combine(last, time(12)), UTC)
        return {"reader": text + " · " + _("all day"), "own": ""}
    reader = reader_zone()
    span = _fmt("yMMMEd", occ.starts_at, reader) + ", " + _fmt("Hm", occ.starts_at, reader)
    span += "–" + _fmt("Hm", occ.ends_at, reader)
    if current_user.is_authenticated:
        span += " " + _("(your time)")
    else:
        span += " " + zone_label(reader)
    other = ""
    if str(own) != str(reader):
        other = _fmt("Hm", occ.starts_at, own) + " " + zone_label(own)
        if occ.starts_at.astimezone(own).date() != occ.starts_at.astimezone(reader).date():
            other = _fmt("MMMEd", occ.starts_at, own) + ", " + other
    return {"reader": span, "own": other}


@bp.app_template_global()
def campaign_status(status) -> str:
    return {"planned": _("Planned"), "active": _("Active"), "closed": _("Closed")}.get(
        str(status.value if hasattr(status, "value") else status), str(status)
    )


@bp.app_template_global()
def short_time(occ: Occurrence) -> str:
    """The start in the reader's zone, for a month grid cell."""
    if occ.event.all_day:
        return _("all day")
    return _fmt("Hm", occ.starts_at, reader_zone())


@bp.app_template_global()
def describe_rule(rrule: str, zone: str) -> str:
    """'Every week on Tuesday, 10 times' for an RRULE, in plain words."""
    from app.campaigns.forms import WEEKDAYS, parse_rule

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
        text += " · " + _("until %(date)s", date=_fmt("yMMMd", until, ZoneInfo(zone)))
    return text


@bp.app_template_global()
def day_label(day: date) -> str:
    """'Tuesday 17 March 2026' in the reader's language."""
    return _fmt("yMMMMEEEEd", datetime.combine(day, time(12)), UTC)


@bp.app_template_global()
def occurrence_url(occ: Occurrence) -> str:
    if occ.recurrence_id is None:
        return url_for("campaigns.event", event_id=occ.event.id)
    return url_for("campaigns.event", event_id=occ.event.id, at=occ.recurrence_id.isoformat())


# --- months -----------------------------------------------------------------------------------


def requested_month() -> date:
    """?month=YYYY-MM, else this month in the reader's zone; bad values are a 400."""
    value = request.args.get("month", "")
    if not value:
        return datetime.now(reader_zone()).date().replace(day=1)
    try:
        month = datetime.strptime(value, "%Y-%m").date()
    except ValueError:
        abort(400)
    if not 1900 < month.year < 2200:
        abort(400)
    return month


def next_month(month: date) -> date:
    return (month + timedelta(days=32)).replace(day=1)


def previous_month(month: date) -> date:
    return (month - timedelta(days=1)).replace(day=1)


def month_window(month: date) -> tuple[datetime, datetime]:
    """The month's first and next month's first midnight in the reader's zone, in UTC."""
    zone = reader_zone()
    start = datetime.combine(month, time(0), tzinfo=zone)
    end = datetime.combine(next_month(month), time(0), tzinfo=zone)
    return start.astimezone(UTC), end.astimezone(UTC)


def reader_day(occ: Occurrence) -> date:
    if occ.event.all_day:
        return occ.local_start.date()
    return occ.starts_at.astimezone(reader_zone()).date()


def by_day(found: list[Occurrence]) -> list[tuple[date, list[Occurrence]]]:
    """Occurrences grouped by the reader's day, for the agenda."""
    ordered = sorted(found, key=lambda o: (reader_day(o), o.starts_at))
    return [(day, list(items)) for day, items in groupby(ordered, key=reader_day)]


def month_grid(month: date, found: list[Occurrence]) -> dict:
    """Days of the month with their occurrences, and where the first day sits in the week."""
    days = {day: items for day, items in by_day(found)}
    first_weekday = _locale().first_week_day  # 0 is Monday
    order = [(first_weekday + i) % 7 for i in range(7)]
    cells = []
    day = month
    while day.month == month.month:
        cells.append(
            {"day": day, "items": days.get(day, []), "column": order.index(day.weekday()) + 1}
        )
        day += timedelta(days=1)
    return {
        "cells": cells,
        "weekdays": [(weekday_name(i), weekday_name(i, "abbreviated")) for i in order],
    }


def render_calendar(title: str, endpoint: str, fetch, feed_url: str = "", **context):
    """A month grid or agenda page for one scope; fetch(start, end) gives the occurrences."""
    view = request.args.get("view", "agenda")
    if view not in {"agenda", "month"}:
        abort(400)
    month = requested_month()
    found = fetch(*month_window(month))
    args = dict(request.view_args or {})
    return render_template(
        "calendar/calendar.html",
        title=title,
        view=view,
        month=month,
        month_name=_fmt("yMMMM", datetime.combine(month, time(12)), UTC),
        previous_url=url_for(
            endpoint, view=view, month=previous_month(month).strftime("%Y-%m"), **args
        ),
        next_url=url_for(endpoint, view=view, month=next_month(month).strftime("%Y-%m"), **args),
        agenda_url=url_for(endpoint, view="agenda", month=month.strftime("%Y-%m"), **args),
        month_url=url_for(endpoint, view="month", month=month.strftime("%Y-%m"), **args),
        days=by_day(found),
        grid=month_grid(month, found) if view == "month" else None,
        feed_url=feed_url,
        confirm=ConfirmForm(),
        **context,
    )


# --- pages ------------------------------------------------------------------------------------


@bp.get("/calendar")
def movement_calendar():
    """Every event of the movement the reader may see."""
    return render_calendar(
        _("Calendar of the movement"),
        "campaigns.movement_calendar",
        lambda start, end: services.events_in(start, end, current_user),
        feed_url="/calendar/public.ics",
    )


@bp.get("/calendar/mine")
@login_required
def my_calendar():
    """My organisations' and campaigns' events, and the ones I answered."""
    return render_calendar(
        _("My calendar"),
        "campaigns.my_calendar",
        lambda start, end: services.events_in(start, end, current_user, user_scope=current_user),
        feed_url="/calendar/feed",
        personal=True,
    )


@bp.get("/campaigns/<slug>/calendar")
def campaign_calendar(slug: str):
    from app.campaigns.views import get_campaign_or_404

    campaign = get_campaign_or_404(slug)
    return render_calendar(
        campaign.title,
        "campaigns.campaign_calendar",
        lambda start, end: services.events_in(start, end, current_user, campaign=campaign),
        feed_url=f"/campaigns/{campaign.slug}/calendar.ics",
        campaign=campaign,
    )


@bp.get("/organisations/<slug>/calendar")
def org_calendar(slug: str):
    from app.campaigns.views import pending_invitations
    from app.orgs.queries import get_org_or_404

    org = get_org_or_404(slug, current_user)
    return render_calendar(
        org.name,
        "campaigns.org_calendar",
        lambda start, end: services.events_in(start, end, current_user, org=org),
        feed_url=f"/organisations/{org.slug}/calendar.ics",
        org=org,
        invitations=pending_invitations(org),
    )
