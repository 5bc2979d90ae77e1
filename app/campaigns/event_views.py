"""Event pages, from adding an event to cancelling it.

Adding an event (to a campaign or an organisation), reading it, answering, editing the
series, changing one date, cancelling.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from app.campaigns import bp, queries, services
from app.campaigns.forms import EventForm, OccurrenceForm, RsvpForm
from app.campaigns.recurrence import repeats
from app.errors import ServiceError
from app.formtools import ConfirmForm, choices, confirm_page
from app.i18n import is_valid_timezone
from app.models import Campaign, Event, Organisation, RsvpResponse
from app.orgs.queries import get_org_or_404
from app.permissions import (
    can_create_event,
    can_edit_event,
    can_rsvp,
    can_see_rsvp_names,
    require,
)


def _event_form(orgs: list[Organisation], in_campaign: bool) -> EventForm:
    form = EventForm(in_campaign=in_campaign)
    form.organisation.choices = choices((o.slug, o.name) for o in orgs)
    if not form.organisation.data or len(orgs) == 1:
        form.organisation.data = orgs[0].slug  # the only choice needs no question
    if request.method == "GET":
        form.timezone.data = (
            current_user.timezone if is_valid_timezone(current_user.timezone) else "UTC"
        )
        form.interval.data = 1
    return form


def _show_error(form, error: ServiceError, zone: str, starts: datetime | None) -> None:
    """Put a refused change's message next to the field it is about (else at the top)."""
    if error.code == "no_such_time":
        if getattr(form, "all_day", None) is not None and form.all_day.data:
            field = form.day
        elif starts is not None and not services.time_exists(starts, zone):
            field = form.start_time
        else:
            field = form.end_time
    elif error.code == "ends_before_start":
        field = form.end_time
    else:
        flash(str(error), "error")
        return
    field.errors = [*field.errors, str(error)]


def _create(form: EventForm, org: Organisation, campaign: Campaign | None):
    draft = form.draft()
    try:
        event = services.create_event(current_user, org, draft, campaign=campaign)
    except ServiceError as error:
        _show_error(form, error, draft.timezone, draft.starts_local)
        return render_template(
            "campaigns/event_form.html", form=form, event=None, campaign=campaign, org=org
        )
    flash(_("The event is saved."), "success")
    return redirect(url_for("campaigns.event", event_id=event.id))


@bp.route("/campaigns/<slug>/events/new", methods=["GET", "POST"])
@login_required
def campaign_event_new(slug: str):
    """Add an event to a campaign, organised by one of my organisations taking part."""
    campaign = queries.get_campaign_or_404(slug, current_user)
    orgs = queries.new_event_orgs(current_user, campaign)
    require(bool(orgs))
    form = _event_form(orgs, in_campaign=True)
    if form.validate_on_submit():
        org = next(o for o in orgs if o.slug == form.organisation.data)
        return _create(form, org, campaign)
    return render_template("campaigns/event_form.html", form=form, event=None, campaign=campaign)


@bp.route("/organisations/<slug>/events/new", methods=["GET", "POST"])
@login_required
def organisation_event_new(slug: str):
    """Add an event of one organisation, outside any campaign."""
    org = get_org_or_404(slug, current_user)
    require(can_create_event(current_user, org))
    form = _event_form([org], in_campaign=False)
    if form.validate_on_submit():
        return _create(form, org, None)
    return render_template("campaigns/event_form.html", form=form, event=None, org=org)


@bp.get("/events/<int:event_id>")
def event(event_id: int):
    """An event (at one date with ?at=), who is coming, and the next dates of a series."""
    event = queries.get_event_or_404(event_id, current_user)
    upcoming = queries.upcoming(event)
    if request.args.get("at"):
        shown = queries.requested_occurrence(event, request.args["at"])
        if shown is None:
            abort(404)
    else:
        shown = upcoming[0] if upcoming else queries.first_occurrence(event)
    counts = queries.rsvp_counts(event)
    names = queries.rsvp_answers(event) if can_see_rsvp_names(current_user, event) else []
    return render_template(
        "campaigns/event.html",
        event=event,
        shown=shown,
        upcoming=upcoming,
        repeats=repeats(event),
        counts=counts,
        names=names,
        mine=queries.my_rsvp(current_user, event),
        full=event.capacity is not None and counts[RsvpResponse.GOING] >= event.capacity,
        rsvp_form=RsvpForm(),
        confirm=ConfirmForm(),
        can_rsvp=can_rsvp(current_user, event),
        can_edit=can_edit_event(current_user, event),
        Response=RsvpResponse,
    )


@bp.post("/events/<int:event_id>/rsvp")
@login_required
def event_rsvp(event_id: int):
    """Say whether I am going."""
    event = queries.get_event_or_404(event_id, current_user)
    require(can_rsvp(current_user, event))
    form = RsvpForm()
    if not form.validate_on_submit() or form.response.data not in {r.value for r in RsvpResponse}:
        abort(400)
    try:
        services.rsvp(current_user, event, RsvpResponse(form.response.data))
    except ServiceError as error:
        flash(str(error), "error")
    else:
        flash(_("Your answer is saved."), "success")
    return redirect(url_for("campaigns.event", event_id=event.id))


@bp.route("/events/<int:event_id>/edit", methods=["GET", "POST"])
@login_required
def event_edit(event_id: int):
    """Change the whole series."""
    event = queries.get_event_or_404(event_id, current_user)
    require(can_edit_event(current_user, event))
    form = EventForm(in_campaign=event.campaign is not None, stored_rule=event.rrule)
    form.organisation.choices = choices([(event.organisation.slug, event.organisation.name)])
    form.organisation.data = event.organisation.slug  # the organiser does not change
    if request.method == "GET":
        form.fill_from(event)
    if form.validate_on_submit():
        draft = form.draft()
        try:
            services.update_event(current_user, event, draft)
        except ServiceError as error:
            _show_error(form, error, draft.timezone, draft.starts_local)
        else:
            flash(_("The event is saved."), "success")
            return redirect(url_for("campaigns.event", event_id=event.id))
    return render_template(
        "campaigns/event_form.html", form=form, event=event, campaign=event.campaign
    )


def _occurrence_times(form: OccurrenceForm) -> tuple[datetime, datetime | None]:
    starts = datetime.combine(form.day.data, form.start_time.data)
    ends = None
    if form.end_time.data:
        ends = datetime.combine(form.day.data, form.end_time.data)
        ends += timedelta(days=1) if ends <= starts else timedelta(0)
    return starts, ends


@bp.route("/events/<int:event_id>/occurrence", methods=["GET", "POST"])
@login_required
def event_occurrence(event_id: int):
    """Move, rename or cancel one date of a series."""
    event = queries.get_event_or_404(event_id, current_user)
    require(can_edit_event(current_user, event))
    form = OccurrenceForm()
    value = form.recurrence_id.data if request.method == "POST" else request.args.get("at", "")
    occ = queries.requested_occurrence(event, value or "") if event.rrule else None
    if occ is None or occ.recurrence_id is None:
        abort(404 if request.method == "GET" else 400)
    if request.method == "GET":
        _fill_occurrence(form, event, occ)
    cancelling, leaving_out = "cancel" in request.form, "leave_out" in request.form
    if request.method == "POST" and (cancelling or leaving_out):
        if not ConfirmForm().validate_on_submit():
            abort(400)
        if leaving_out:
            services.exclude_occurrence(current_user, event, occ.recurrence_id)
            flash(_("This date is left out of the series."), "success")
        else:
            services.change_occurrence(
                current_user, event, occ.recurrence_id, title=form.title.data or "", cancelled=True
            )
            flash(_("This date is cancelled."), "success")
        return redirect(url_for("campaigns.event", event_id=event.id))
    if request.method == "POST" and form.validate_on_submit():
        starts, ends = _occurrence_times(form)
        try:
            services.change_occurrence(
                current_user,
                event,
                occ.recurrence_id,
                starts_local=starts,
                ends_local=ends,
                title=form.title.data or "",
            )
        except ServiceError as error:
            _show_error(form, error, event.timezone, starts)
        else:
            flash(_("This date is changed."), "success")
            return redirect(url_for("campaigns.event", event_id=event.id))
    return render_template("campaigns/occurrence.html", form=form, event=event, occ=occ)


def _fill_occurrence(form: OccurrenceForm, event: Event, occ) -> None:
    local = occ.starts_at.astimezone(occ.zone)
    form.recurrence_id.data = occ.recurrence_id.isoformat()
    form.title.data = occ.title if occ.title != event.title else ""
    form.day.data, form.start_time.data = local.date(), local.time()
    form.end_time.data = occ.ends_at.astimezone(occ.zone).time()


@bp.route("/events/<int:event_id>/cancel", methods=["GET", "POST"])
@login_required
def event_cancel(event_id: int):
    """Cancel the event (every date of a series), asked once more."""
    event = queries.get_event_or_404(event_id, current_user)
    require(can_edit_event(current_user, event))
    back = url_for("campaigns.event", event_id=event.id)
    if request.method == "GET":
        return confirm_page(
            _("Cancel “%(title)s”?", title=event.title),
            _(
                "Every date of it is shown as cancelled, on the pages and in the calendars of "
                "everyone who follows it. You can restore it afterwards from its page."
            ),
            _("Cancel the event"),
            back,
        )
    if ConfirmForm().validate_on_submit() and not event.is_cancelled:
        services.cancel_event(current_user, event)
        flash(_("The event is cancelled."), "info")
    return redirect(back)


@bp.post("/events/<int:event_id>/restore")
@login_required
def event_restore(event_id: int):
    """Take back the cancellation of an event."""
    event = queries.get_event_or_404(event_id, current_user)
    require(can_edit_event(current_user, event))
    if ConfirmForm().validate_on_submit() and event.is_cancelled:
        services.restore_event(current_user, event)
        flash(_("The event takes place again."), "success")
    return redirect(url_for("campaigns.event", event_id=event.id))
