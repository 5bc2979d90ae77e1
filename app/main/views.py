"""Home page, language switcher, a visitor's time zone and the /healthz probe."""

from __future__ import annotations

import os

from flask import (
    current_app,
    jsonify,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user
from sqlalchemy import text

from app import realtime
from app.auth.forms import ReaderZoneForm
from app.config import LANGUAGES
from app.extensions import db
from app.i18n import LANGUAGE_COOKIE, TIMEZONE_COOKIE, select_timezone
from app.main import bp, queries
from app.orgs.queries import listed_count, my_orgs
from app.security import safe_next


@bp.get("/")
def index():
    """The home page: what Caravana is and the way in; signed in, what is next for me."""
    if not current_user.is_authenticated:
        return render_template("main/index.html", org_count=listed_count(), my_orgs=[])
    return render_template(
        "main/index.html",
        org_count=listed_count(),
        my_orgs=my_orgs(current_user),
        next_dates=queries.next_dates(current_user),
        unread_rooms=queries.unread_rooms(current_user),
        mentions=queries.recent_mentions(current_user),
    )


@bp.get("/language/<code>")
def set_language(code: str):
    """Show this browser the site in another language, and go back.

    A link can be followed by anyone (another site, a preloading phone), so it changes
    nothing stored: the choice lives in this browser's session and cookie; the account's
    own language is changed on the profile page, a form with CSRF protection.
    """
    response = make_response(redirect(safe_next(request.args.get("next"))))
    if code in LANGUAGES:
        session[LANGUAGE_COOKIE] = code
        response.set_cookie(
            LANGUAGE_COOKIE,
            code,
            max_age=60 * 60 * 24 * 365,
            samesite="Lax",
            httponly=True,
            secure=current_app.config["SESSION_COOKIE_SECURE"],
        )
    return response


@bp.route("/time-zone", methods=["GET", "POST"])
def time_zone():
    """Let a visitor choose the zone times are shown in, and go back (no JavaScript needed).

    The choice lives in this browser's session; an account keeps its zone in the profile.
    """
    if current_user.is_authenticated:
        return redirect(url_for("auth.profile"))
    back = safe_next(request.args.get("next"))
    form = ReaderZoneForm()
    if form.validate_on_submit():
        session[TIMEZONE_COOKIE] = form.timezone.data
        return redirect(back)
    if not form.is_submitted():
        form.timezone.data = select_timezone()
    return render_template("main/time_zone.html", form=form, back=back)


def _search_health(database_ok: bool) -> dict:
    """The index's state and how far it lags behind the database (changes not yet indexed)."""
    from app.search import outbox, service

    found: dict = {"status": "error"}
    try:
        index_dir = current_app.config["SEARCH_INDEX_DIR"]
        os.makedirs(index_dir, exist_ok=True)
        found.update(service.backend().health())
        if database_ok:
            found["outbox"] = outbox.lag()
        found["status"] = "ok" if found.get("ok") and os.access(index_dir, os.W_OK) else "error"
    except Exception:  # noqa: BLE001 - an index that cannot be opened is "error", not a 500
        db.session.rollback()
        found["status"] = "error"
    return found


@bp.get("/healthz")
def healthz():
    """Machine-readable health: database, search index directory, version.

    Also live sockets: how many this process holds, refusals by the socket gate, and live
    messages the message queue failed to carry (it being down leaves the status "ok": sends
    still work and readers catch up, so the process must stay in service).
    """
    status = {"version": current_app.config["VERSION"]}
    try:
        db.session.execute(text("SELECT 1"))
        status["database"] = "ok"
    except Exception:  # noqa: BLE001 - any failure means the database is not usable
        db.session.rollback()
        status["database"] = "error"
    status["search_index"] = _search_health(status["database"] == "ok")
    status["live"] = realtime.health()
    healthy = status["database"] == "ok" and status["search_index"]["status"] == "ok"
    status["status"] = "ok" if healthy else "error"
    return jsonify(status), 200 if healthy else 503
