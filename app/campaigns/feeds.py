"""iCalendar feeds and downloads, personal feed addresses, .ics import."""

from app.campaigns import bp  # noqa: F401
