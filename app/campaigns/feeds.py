"""iCalendar feeds and downloads, personal feed addresses, .ics import.

Feeds are usually fetched by calendar programs without cookies: the public, campaign and
organisation feeds hold what an anonymous person may see (a campaign feed also serves a
signed-in browser what that person may see); private campaigns reach phones only through
the personal feed, whose secret address stands for its owner.
"""

from __future__ import annotations

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import AnonymousUserMixin, current_user, login_required
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from sqlalchemy import select
from werkzeug.utils import secure_filename

from app.campaigns import bp, importer, services
from app.campaigns.ical import calendar
from app.extensions import db
from app.models import (
    CalendarToken,
    Campaign,
    Event,
    Organisation,
    User,
    Visibility,
)
from app.orgs.forms import ConfirmForm
from app.permissions import (
    can_import_events,
    can_view_campaign,
    can_view_event,
    can_view_org,
    require,
    require_or_404,
)

FEED_MAX_AGE = 300  # seconds a calendar program may keep a feed before asking again


class ImportForm(FlaskForm):
    file = FileField(
        _l("Calendar file (.ics)"),
        description=_l("Exported from another calendar program, at most 1 MB."),
        validators=[FileRequired(_l("Please choose a file."))],
    )


# --- helpers ----------------------------------------------------------------------------------


def _anonymous() -> AnonymousUserMixin:
    return AnonymousUserMixin()


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


def _has_feed_address(user: User) -> bool:
    return (
        db.session.scalar(
            select(CalendarToken.id).where(
                CalendarToken.user_id == user.id, CalendarToken.revoked_at.is_(None)
            )
        )
        is not None
    )


def _campaign_or_404(slug: str) -> Campaign:
    campaign = db.session.scalar(select(Campaign).where(Campaign.slug == slug))
    require_or_404(campaign is not None and can_view_campaign(current_user, campaign))
    return campaign  # type: ignore[return-value]


# --- feeds ------------------------------------------------------------------------------------


@bp.get("/calendar/public.ics")
def public_feed():
    """Every event anyone may see, for the movement's public calendar."""
    events = services.visible_events(_anonymous())
    return _ics(events, _("Caravana — public calendar"), "caravana.ics")


@bp.get("/campaigns/<slug>/calendar.ics")
def campaign_feed(slug: str):
    campaign = _campaign_or_404(slug)
    events = services.visible_events(current_user, campaign=campaign)
    return _ics(
        events,
        campaign.title,
        f"{campaign.slug}.ics",
        personal=campaign.visibility != Visibility.PUBLIC,
    )


@bp.get("/organisations/<slug>/calendar.ics")
def org_feed(slug: str):
    org = db.session.scalar(select(Organisation).where(Organisation.slug == slug))
    require_or_404(org is not None and org.is_approved and can_view_org(current_user, org))
    events = services.visible_events(_anonymous(), org=org)
    return _ics(events, org.name, f"{org.slug}.ics")  # type: ignore[union-attr]


@bp.get("/calendar/feed/<token>.ics")
def personal_feed(token: str):
    """The personal feed: the secret address stands for its owner, without cookies."""
    owner = services.user_for_feed_token(token)
    require_or_404(owner is not None)
    return _ics(
        services.personal_events(owner),  # type: ignore[arg-type]
        _("Caravana — my calendar"),
        "caravana-my-calendar.ics",
        personal=True,
    )


@bp.get("/events/<path:uid>.ics")
def event_ics(uid: str):
    """One event (and its changed occurrences) to add to a calendar program."""
    event = db.session.scalar(select(Event).where(Event.uid == uid))
    require_or_404(event is not None and can_view_event(current_user, event))
    return _ics(
        [event],  # type: ignore[list-item]
        event.title,  # type: ignore[union-attr]
        f"event-{event.id}.ics",  # type: ignore[union-attr]
        personal=not can_view_event(_anonymous(), event),
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
        has_address=_has_feed_address(current_user),
        https_address=address,
        webcal_address=("webcal://" + address.split("://", 1)[1]) if address else None,
    )


@bp.get("/calendar/feed")
@login_required
def feed_settings():
    return _feed_page()


@bp.post("/calendar/feed/new")
@login_required
def feed_create():
    """A new secret address, shown once (only its digest is kept); older ones stop working."""
    form = ConfirmForm()
    if not form.validate_on_submit():
        abort(400)
    token = services.create_feed_token(current_user)
    response = Response(_feed_page(token))
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/calendar/feed/stop")
@login_required
def feed_revoke():
    form = ConfirmForm()
    if not form.validate_on_submit():
        abort(400)
    services.revoke_feed_tokens(current_user)
    flash(_("Your calendar address no longer works. Calendars using it stop updating."), "info")
    return redirect(url_for("campaigns.feed_settings"))


# --- import -----------------------------------------------------------------------------------


@bp.route("/campaigns/<slug>/import", methods=["GET", "POST"])
@login_required
def import_events(slug: str):
    campaign = _campaign_or_404(slug)
    require(can_import_events(current_user, campaign))
    form = ImportForm()
    status = 200
    if form.validate_on_submit():
        try:
            created = importer.import_ics(current_user, campaign, form.file.data.stream)
        except importer.IcsImportError as error:
            form.file.errors.append(str(error))
            status = 422
        else:
            flash(
                _(
                    "%(count)d events imported into %(campaign)s.",
                    count=len(created),
                    campaign=campaign.title,
                ),
                "success",
            )
            return redirect(url_for("campaigns.campaign", slug=campaign.slug))
    elif request.method == "POST":
        status = 422
    return render_template("campaigns/import.html", form=form, campaign=campaign), status
