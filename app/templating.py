"""What every template can use: language and direction, names, and the permission policy."""

from __future__ import annotations

from typing import Any

from flask import Flask, request
from flask_babel import format_date, format_datetime

from app import i18n, permissions
from app.models import utcnow


def _request_globals() -> dict[str, Any]:
    """Values that depend on the request (language, direction, current address)."""
    return {
        "html_lang": i18n.current_language(),
        "html_dir": i18n.text_direction(),
        "interface_languages": i18n.interface_language_choices(),
        "current_path": request.full_path.rstrip("?"),
    }


def init_app(app: Flask) -> None:
    # Globals (unlike context values) are visible inside imported macros too.
    app.jinja_env.globals.update(
        country_name=i18n.country_name,
        language_name=i18n.language_name,
        can=permissions,
        format_datetime=format_datetime,
        format_date=format_date,
        now=utcnow,
    )
    app.context_processor(_request_globals)
