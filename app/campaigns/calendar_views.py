"""Calendar pages: a month grid and an agenda.

There is one for the movement, my calendar, a campaign and an organisation.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta

from babel import Locale
from babel.core import get_global
from flask import abort, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from app.campaigns import bp, queries
from app.campaigns.recurrence import Occurrence, Occurrences
from app.campaigns.timefmt import by_day, fmt, locale, reader_zone, weekday_name
from app.formtools import ConfirmForm
from app.orgs.queries import get_org_or_404

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
    """The first day of the following month."""
    return (month + timedelta(days=32)).replace(day=1)


def previous_month(month: date) -> date:
    """The first day of the month before."""
    return (month - timedelta(days=1)).replace(day=1)


def month_window(month: date) -> tuple[datetime, datetime]:
    """The month's first and next month's first midnight in the reader's zone, in UTC."""
    zone = reader_zone()
    start = datetime.combine(month, time(0), tzinfo=zone)
    end = datetime.combine(next_month(month), time(0), tzinfo=zone)
    return start.astimezone(UTC), end.astimezone(UTC)


def first_day_of_week(language: Locale) -> int:
    """The day a week starts on where the language is mainly read (0 is Monday).

    Babel answers "ar" with the world default (Monday); like ICU, take the language's likely
    country (ar -> Egypt: Saturday; es -> Spain, fr -> France: Monday; en -> USA: Sunday).
    """
    if language.territory:
        return language.first_week_day
    likely = get_global("likely_subtags").get(language.language)
    return Locale.parse(likely).first_week_day if likely else language.first_week_day


def month_grid(month: date, found: list[Occurrence]) -> dict:
    """Days of the month with their occurrences, and where the first day sits in the week."""
    days = dict(by_day(found))
    first_weekday = first_day_of_week(locale())  # 0 is Monday
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


def render_calendar(
    title: str,
    endpoint: str,
    fetch: Callable[[datetime, datetime], Occurrences],
    feed_url: str = "",
    **context,
):
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
        month_name=fmt("yMMMM", datetime.combine(month, time(12)), UTC),
        previous_url=url_for(
            endpoint, view=view, month=previous_month(month).strftime("%Y-%m"), **args
        ),
        next_url=url_for(endpoint, view=view, month=next_month(month).strftime("%Y-%m"), **args),
        agenda_url=url_for(endpoint, view="agenda", month=month.strftime("%Y-%m"), **args),
        month_url=url_for(endpoint, view="month", month=month.strftime("%Y-%m"), **args),
        days=by_day(found),
        grid=month_grid(month, found) if view == "month" else None,
        listed=len(found),
        more=not found.complete,
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
        lambda start, end: queries.events_in(start, end, current_user),
        feed_url=url_for("campaigns.public_feed"),
    )


@bp.get("/calendar/mine")
@login_required
def my_calendar():
    """My organisations' and campaigns' events, and the ones I answered."""
    return render_calendar(
        _("My calendar"),
        "campaigns.my_calendar",
        lambda start, end: queries.events_in(start, end, current_user, mine=current_user),
        feed_url=url_for("campaigns.feed_settings"),
        personal=True,
    )


@bp.get("/campaigns/<slug>/calendar")
def campaign_calendar(slug: str):
    """One campaign's events."""
    campaign = queries.get_campaign_or_404(slug, current_user)
    return render_calendar(
        campaign.title,
        "campaigns.campaign_calendar",
        lambda start, end: queries.events_in(start, end, current_user, campaign=campaign),
        feed_url=url_for("campaigns.campaign_feed", slug=campaign.slug),
        campaign=campaign,
    )


@bp.get("/organisations/<slug>/calendar")
def organisation_calendar(slug: str):
    """One organisation's events, and the campaign invitations its coordinators answer."""
    org = get_org_or_404(slug, current_user)
    return render_calendar(
        org.name,
        "campaigns.organisation_calendar",
        lambda start, end: queries.events_in(start, end, current_user, org=org),
        feed_url=url_for("campaigns.organisation_feed", slug=org.slug),
        org=org,
        invitations=queries.pending_invitations(current_user, org),
    )
