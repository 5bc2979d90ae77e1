"""Translated error pages."""

from __future__ import annotations

import math
import time

from flask import Flask, make_response, render_template
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from app.extensions import db, limiter

MESSAGES = {
    400: (
        _l("Something in the request was not right"),
        _l("Please go back, check what you entered and try again."),
    ),
    403: (
        _l("You cannot see this page"),
        _l(
            "Your account does not have permission for this page. If you think it should, "
            "ask a coordinator of your organisation."
        ),
    ),
    404: (_l("Page not found"), _l("This page does not exist, or it is not visible to you.")),
    405: (
        _l("Something in the request was not right"),
        _l("Please go back, check what you entered and try again."),
    ),
    413: (
        _l("This is too large"),
        _l("What you sent is larger than we can accept. Please send something smaller."),
    ),
    429: (_l("Too many attempts"), _l("Please wait a few minutes before you try again.")),
    500: (
        _l("Something went wrong on our side"),
        _l("Nothing you did caused this. Please try again in a few minutes."),
    ),
}


def render_error(code: int):
    """The translated error page for a status code (the 500 page for unknown codes)."""
    title, explanation = MESSAGES.get(code, MESSAGES[500])
    return render_template(
        "errors/error.html", code=code, title=title, explanation=explanation
    ), code


def too_many_attempts():
    """The 429 page, saying how long to wait (from the limit that was reached)."""
    title, _explanation = MESSAGES[429]
    limit = limiter.current_limit
    seconds = max(1, math.ceil(limit.window[0] - time.time())) if limit is not None else 60
    minutes = math.ceil(seconds / 60)
    explanation = ngettext(
        "Please wait %(num)d minute before you try again.",
        "Please wait %(num)d minutes before you try again.",
        minutes,
    )
    response = make_response(
        render_template("errors/error.html", code=429, title=title, explanation=explanation), 429
    )
    response.headers["Retry-After"] = str(seconds)
    return response


def init_app(app: Flask) -> None:
    """Answer CSRF failures, HTTP errors and crashes with the translated error pages."""

    @app.errorhandler(CSRFError)
    def csrf_error(_error: CSRFError):
        title = _l("This form has expired")
        explanation = _l("Please go back, reload the page and send the form again.")
        return render_template(
            "errors/error.html", code=400, title=title, explanation=explanation
        ), 400

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        if error.code is None or error.code < 400 or error.code not in MESSAGES:
            return error
        if error.code == 429:
            return too_many_attempts()
        return render_error(error.code)

    @app.errorhandler(500)
    def server_error(_error: Exception):
        db.session.rollback()
        return render_error(500)
