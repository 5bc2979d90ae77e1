"""Campaign calendars: campaigns, events across time zones, RSVP and iCalendar feeds."""

from flask import Blueprint

bp = Blueprint("campaigns", __name__)

from app.campaigns import feeds, views  # noqa: E402,F401
