"""Campaign and event pages, month and agenda views."""

from app.campaigns import bp  # noqa: F401
