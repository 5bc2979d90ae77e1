"""Keep secret link tokens out of logs: reset, confirmation and invitation links, feeds.

Those links carry their secret in the path. The access log (gunicorn) and the application's
own error log write paths and Referer headers; both go through ``redact`` first, so the log
shows which route was asked for, never a working link.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from gunicorn.glogging import Logger

HIDDEN = "[hidden]"
# Routes whose last path segment is a secret (a URL-safe token, 20 characters or more).
SECRET_PATHS = re.compile(
    r"(/account/reset/|/account/confirm/|/invite/|/calendar/feed/)[A-Za-z0-9_-]{20,}(\.ics)?"
)


def redact(text: str) -> str:
    """The text with every secret link token replaced."""
    return SECRET_PATHS.sub(lambda m: m.group(1) + HIDDEN + (m.group(2) or ""), text)


class RedactingLogger(Logger):
    """Gunicorn's logger, with tokens removed from everything an access-log line may show."""

    def atoms(self, resp: Any, req: Any, environ: dict, request_time: Any) -> dict:
        """The usual access-log fields, redacted."""
        found = super().atoms(resp, req, environ, request_time)
        return {key: redact(v) if isinstance(v, str) else v for key, v in found.items()}


class RedactingFilter(logging.Filter):
    """A logging filter that redacts a record's message (Flask's "Exception on <path>")."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Rewrite the message in place; never drop the record."""
        message = record.getMessage()
        if SECRET_PATHS.search(message):
            record.msg, record.args = redact(message), None
        return True
