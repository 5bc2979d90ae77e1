"""What every template can use, registered here and nowhere else.

Language and direction, names, dates and times, and the permission policy (``can.*``).
"""

from __future__ import annotations

from typing import Any

from flask import Flask, request
from flask_babel import format_date, format_datetime, format_decimal
from flask_babel import gettext as _
from markupsafe import Markup

from app import i18n, markup, permissions
from app.campaigns import timefmt
from app.models import utcnow


def isolate(text: Any) -> Markup:
    """Text people typed, isolated from the sentence around it (<bdi>, escaped).

    A Latin name in an Arabic sentence (or the reverse) keeps its order and its punctuation.
    """
    return Markup("<bdi>{}</bdi>").format(text)


def file_size(size: int) -> str:
    """A file's size in the reader's numbers: "820 KB", "2,4 MB"."""
    if size < 1024 * 1024:
        return _("%(size)s KB", size=format_decimal(max(1, round(size / 1024))))
    return _("%(size)s MB", size=format_decimal(round(size / (1024 * 1024), 1)))


def _request_globals() -> dict[str, Any]:
    """Values that depend on the request (language, direction, current address)."""
    return {
        "html_lang": i18n.current_language(),
        "html_dir": i18n.text_direction(),
        "interface_languages": i18n.interface_language_choices(),
        "current_path": request.full_path.rstrip("?"),
    }


def init_app(app: Flask) -> None:
    """Register the filters, globals and per-request values of every template."""
    # User text is rendered once, when written: pages show the stored HTML (|rendered) and
    # excerpts of it; |markdown renders live (bounded), for the rare page with no stored HTML.
    app.jinja_env.filters["rendered"] = markup.stored
    app.jinja_env.filters["bdi"] = isolate
    app.jinja_env.filters["excerpt"] = markup.plain_excerpt
    app.jinja_env.filters["markdown"] = markup.render_markdown
    # Globals (unlike context values) are visible inside imported macros too.
    app.jinja_env.globals.update(
        country_name=i18n.country_name,
        language_name=i18n.language_name,
        can=permissions,
        format_datetime=format_datetime,
        format_date=format_date,
        file_size=file_size,
        now=utcnow,
        **timefmt.TEMPLATE_GLOBALS,
    )
    app.context_processor(_request_globals)
