"""iCalendar feeds and downloads, and the personal feed address.

Feeds are usually fetched by calendar programs without cookies: the public and organisation
feeds hold what anyone may see (a campaign feed also serves a signed-in browser what that
person may see); private campaigns reach phones only through the personal feed, whose secret
address stands for its owner. Feeds are cached until their events change (below), sent
compressed and with an ETag, so a calendar program asking again gets 304 Not Modified.
"""

from __future__ import annotations

import gzip
from typing import Any

from flask import Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from werkzeug.utils import secure_filename

from app.campaigns import bp, queries, services
from app.campaigns.ical import EventPart, FeedCache, assemble, calendar, event_part
from app.formtools import ConfirmForm
from app.models import Event, Visibility
from app.orgs.queries import get_org_or_404
from app.permissions import require_or_404

try:  # Flask-Compress brings it; without it feeds travel gzipped or plain
    import brotli
except ImportError:  # pragma: no cover
    brotli = None

FEED_MAX_AGE = 300  # seconds a calendar program may keep a feed before asking again


def _event_url(event: Event) -> str:
    """The event's page as a full address (what a calendar program links to)."""
    return url_for("campaigns.event", event_id=event.id, _external=True)


def _headers(response: Response, filename: str, personal: bool, download: bool) -> Response:
    filename = secure_filename(filename) or "calendar.ics"
    kind = "attachment" if download else "inline"
    response.headers["Content-Disposition"] = f'{kind}; filename="{filename}"'
    scope = "private" if personal else "public"
    response.headers["Cache-Control"] = f"{scope}, max-age={FEED_MAX_AGE}"
    if personal:
        response.headers["X-Robots-Tag"] = "noindex"
    return response


def _ics(
    events: list[Event], name: str, filename: str, personal: bool = False, download=False
) -> Response:
    response = Response(calendar(events, name, _event_url), mimetype="text/calendar")
    return _headers(response, filename, personal, download)


# --- cached feeds -----------------------------------------------------------------------------
#
# Feeds are asked for over and over by calendar programs, and a movement's public feed holds
# thousands of events. A request reads only the versions of the events the reader may see
# (queries.feed_versions); the feed's bytes are cached under them, with the feed's name and
# the site's address, until one of them changes. Building anew after a change rebuilds only
# the VEVENTs of the events that changed. The key is made of the reader's own rows, so two
# readers share bytes only when they would build the very same feed.


def _cache() -> FeedCache:
    """This application's feed cache (one per app: tests get a fresh one with their database)."""
    cache = current_app.extensions.get("caravana.feeds")
    if cache is None:
        cache = current_app.extensions.setdefault("caravana.feeds", FeedCache())
    return cache


def _compress(encoding: str):
    """How to make one encoding of a feed, at the levels Flask-Compress uses for pages."""
    config = current_app.config
    if encoding == "br":
        return lambda data: brotli.compress(data, quality=config.get("COMPRESS_BR_LEVEL", 4))
    return lambda data: gzip.compress(data, compresslevel=config.get("COMPRESS_LEVEL", 6), mtime=0)


def _build(versions: tuple, name: str, base: str) -> bytes:
    """The feed's bytes: its events' cached VEVENTs, the missing ones built."""
    keys = [(*version, base) for version in versions]

    def missing(positions: list[int]) -> dict[int, EventPart]:
        found = queries.events_by_id([versions[i][0] for i in positions])
        events = {i: found[versions[i][0]] for i in positions}
        return {i: event_part(event, _event_url(event)) for i, event in events.items()}

    return assemble(name, _cache().event_parts(keys, missing))


def _feed(
    name: str, filename: str, viewer: Any = None, personal: bool = False, **scope: Any
) -> Response:
    """A feed of the events viewer may see in this scope, from the cache while unchanged."""
    base = url_for("main.index", _external=True)  # the events' links depend on it
    versions = queries.feed_versions(viewer, **scope)
    key = (name, base, versions)
    cache = _cache()
    feed = cache.feed(key, lambda: _build(versions, name, base))
    encoding = request.accept_encodings.best_match(["br", "gzip"] if brotli else ["gzip"])
    data = feed.data
    if encoding and len(data) >= current_app.config.get("COMPRESS_MIN_SIZE", 500):
        data = cache.encoded(key, feed, encoding, _compress(encoding))
    else:
        encoding = None
    response = Response(data, mimetype="text/calendar")
    if encoding:
        # Flask-Compress leaves a response that is already encoded as it is.
        response.headers["Content-Encoding"] = encoding
    response.vary.add("Accept-Encoding")
    response.set_etag(f"{feed.tag}-{encoding or 'identity'}")
    _headers(response, filename, personal, download=False)
    return response.make_conditional(request)


# --- feeds ------------------------------------------------------------------------------------


@bp.get("/calendar/public.ics")
def public_feed():
    """Every event anyone may see, for the movement's public calendar."""
    return _feed(_("Caravana — public calendar"), "caravana.ics")


@bp.get("/campaigns/<slug>/calendar.ics")
def campaign_feed(slug: str):
    """A campaign's events the reader may see."""
    campaign = queries.get_campaign_or_404(slug, current_user)
    return _feed(
        campaign.title,
        f"{campaign.slug}.ics",
        viewer=current_user,
        personal=campaign.visibility != Visibility.PUBLIC,
        campaign=campaign,
    )


@bp.get("/organisations/<slug>/calendar.ics")
def organisation_feed(slug: str):
    """An organisation's events that anyone may see."""
    org = get_org_or_404(slug, current_user)
    require_or_404(queries.org_listed(org))
    return _feed(org.name, f"{org.slug}.ics", org=org)


@bp.get("/calendar/feed/<token>.ics")
def personal_feed(token: str):
    """The personal feed: the secret address stands for its owner, without cookies."""
    owner = services.user_for_feed_token(token)
    require_or_404(owner is not None)
    return _feed(
        _("Caravana — my calendar"),
        "caravana-my-calendar.ics",
        viewer=owner,
        personal=True,
        mine=owner,
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
