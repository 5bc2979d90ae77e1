"""iCalendar feeds and downloads, and the personal feed address.

Feeds are usually fetched by calendar programs without cookies: the public and organisation
feeds hold what anyone may see (a campaign feed also serves a signed-in browser what that
person may see); private campaigns reach phones only through the personal feed, whose secret
address stands for its owner.
"""

from __future__ import annotations

from flask import Response, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from werkzeug.utils import secure_filename

from app.campaigns import bp, queries, services
from app.campaigns.ical import calendar
from app.formtools import ConfirmForm
from app.models import Event, Visibility
from app.orgs.queries import get_org_or_404
from app.permissions import require_or_404

FEED_MAX_AGE = 300  # seconds a calendar program may keep a feed before asking again


def _event_url(event: Event) -> str:
    """The event's page as a full address (what a calendar program links to)."""
    return url_for("campaigns.event", event_id=event.id, _external=True)


def _ics(
    events: list[Event], name: str, filename: str, personal: bool = False, download=False
) -> Response:
    response = Response(calendar(events, name, _event_url), mimetype="text/calendar")
    filename = secure_filename(filename) or "calendar.ics"
    kind = "attachment" if download else "inline"
    response.headers["Content-Disposition"] = f'{kind}; filename="{filename}"'
    scope = "private" if personal else "public"
    response.headers["Cache-Control"] = f"{scope}, max-age={FEED_MAX_AGE}"
    if personal:
        response.headers["X-Robots-Tag"] = "noindex"
    return response


# --- feeds ------------------------------------------------------------------------------------


@bp.get("/calendar/public.ics")
def public_feed():
    """Every event anyone may see, for the movement's public calendar."""
    return _ics(queries.public_events(), _("Caravana — public calendar"), "caravana.ics")


@bp.get("/campaigns/<slug>/calendar.ics")
def campaign_feed(slug: str):
    """A campaign's events the reader may see."""
    campaign = queries.get_campaign_or_404(slug, current_user)
    return _ics(
        queries.visible_events(current_user, campaign=campaign),
        campaign.title,
        f"{campaign.slug}.ics",
        personal=campaign.visibility != Visibility.PUBLIC,
    )


@bp.get("/organisations/<slug>/calendar.ics")
def organisation_feed(slug: str):
    """An organisation's events that anyone may see."""
    org = get_org_or_404(slug, current_user)
    require_or_404(queries.org_listed(org))
    return _ics(queries.public_events(org=org), org.name, f"{org.slug}.ics")


@bp.get("/calendar/feed/<token>.ics")
def personal_feed(token: str):
    """The personal feed: the secret address stands for its owner, without cookies."""
    owner = services.user_for_feed_token(token)
    require_or_404(owner is not None)
    return _ics(
        queries.visible_events(owner, mine=owner),
        _("Caravana — my calendar"),
        "caravana-my-calendar.ics",
        personal=True,
    )


@bp.get("/events/<path:uid>.ics")
def event_ics(uid: str):
    """One event (and its changed occurrences) to add to a calendar program."""
    event = queries.get_event_by_uid_or_404(uid, current_user)
    return _ics(
        [event],
        event.title,
        f"event-{event.id}.ics",
        personal=not queries.open_to_everyone(event),
        download=True,
    )


# --- personal feed address --------------------------------------------------------------------


def _feed_page(token: str | None = None):
    address = None
    if token:
        address = url_for("campaigns.personal_feed", token=token, _external=True)
    return render_template(
        "calendar/feed.html",
        form=ConfirmForm(),
        has_address=queries.has_feed_address(current_user),
        https_address=address,
        webcal_address=("webcal://" + address.split("://", 1)[1]) if address else None,
    )


@bp.get("/calendar/feed")
@login_required
def feed_settings():
    """My personal feed address: make one, or stop it."""
    return _feed_page()


@bp.post("/calendar/feed/new")
@login_required
def feed_create():
    """A new secret address, shown once (only its digest is kept); older ones stop working."""
    if not ConfirmForm().validate_on_submit():
        abort(400)
    token = services.create_feed_token(current_user)
    response = Response(_feed_page(token))
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/calendar/feed/stop")
@login_required
def feed_revoke():
    """Make my personal feed address stop working."""
    if not ConfirmForm().validate_on_submit():
        abort(400)
    services.revoke_feed_tokens(current_user)
    flash(_("Your calendar address no longer works. Calendars using it stop updating."), "info")
    return redirect(url_for("campaigns.feed_settings"))
