"""Campaign and event pages: thin views that validate, ask permissions.py and call services."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from app.campaigns import bp, services
from app.campaigns.calendar_views import by_day, when  # noqa: F401  (registers the pages)
from app.campaigns.forms import (
    CampaignForm,
    ConfirmForm,
    EventForm,
    InviteForm,
    OccurrenceForm,
    RsvpForm,
)
from app.campaigns.recurrence import occurrences
from app.extensions import db
from app.formtools import choices
from app.i18n import country_name, is_valid_timezone
from app.models import (
    Campaign,
    CampaignParticipant,
    CampaignStatus,
    Event,
    Membership,
    Organisation,
    OrgStatus,
    ParticipationStatus,
    Role,
    Room,
    RoomScope,
    Rsvp,
    RsvpResponse,
    Visibility,
)
from app.orgs.queries import get_org_or_404
from app.permissions import (
    can_answer_participation,
    can_create_campaign,
    can_create_event,
    can_create_room,
    can_edit_campaign,
    can_edit_event,
    can_rsvp,
    can_see_rsvp_names,
    can_view_campaign,
    can_view_event,
    can_view_room,
    require,
    require_or_404,
)

# --- lookups ----------------------------------------------------------------------------------


def get_campaign_or_404(slug: str) -> Campaign:
    campaign = db.session.scalar(select(Campaign).where(Campaign.slug == slug))
    require_or_404(campaign is not None and can_view_campaign(current_user, campaign))
    return campaign  # type: ignore[return-value]


def get_event_or_404(event_id: int) -> Event:
    event = db.session.get(Event, event_id)
    require_or_404(event is not None and can_view_event(current_user, event))
    return event  # type: ignore[return-value]


def coordinated_orgs() -> list[Organisation]:
    """Approved organisations the signed-in person coordinates."""
    if not current_user.is_authenticated:
        return []
    return list(
        db.session.scalars(
            select(Organisation)
            .join(Membership, Membership.organisation_id == Organisation.id)
            .where(
                Membership.user_id == current_user.id,
                Membership.role == Role.COORDINATOR,
                Organisation.status == OrgStatus.APPROVED,
            )
            .order_by(Organisation.name)
        )
    )


def pending_invitations(org: Organisation) -> list[CampaignParticipant]:
    """Campaign invitations waiting for this organisation's coordinators (only they see them)."""
    found = db.session.scalars(
        select(CampaignParticipant).where(
            CampaignParticipant.organisation_id == org.id,
            CampaignParticipant.status == ParticipationStatus.INVITED,
        )
    )
    return [p for p in found if can_answer_participation(current_user, p)]


def campaign_window(campaign: Campaign) -> tuple[datetime, datetime]:
    """The campaign's days, generously (a day either side covers every zone)."""
    start = datetime.combine(campaign.starts_on - timedelta(days=1), datetime.min.time(), UTC)
    end = datetime.combine(campaign.ends_on + timedelta(days=2), datetime.min.time(), UTC)
    return start, end


# --- campaigns --------------------------------------------------------------------------------


@bp.get("/campaigns/")
def campaign_list():
    """Campaigns the reader may see, newest first, with a status filter."""
    status = request.args.get("status", "")
    if status and status not in {s.value for s in CampaignStatus}:
        abort(400)
    query = select(Campaign).order_by(Campaign.starts_on.desc())
    if status:
        query = query.where(Campaign.status == CampaignStatus(status))
    campaigns = [c for c in db.session.scalars(query) if can_view_campaign(current_user, c)]
    return render_template(
        "campaigns/list.html",
        campaigns=campaigns,
        status=status,
        statuses=list(CampaignStatus),
        can_start=bool(coordinated_orgs()),
    )


@bp.route("/campaigns/new", methods=["GET", "POST"])
@login_required
def campaign_new():
    """Start a campaign led by one of my organisations (?org=<slug>)."""
    slug = request.args.get("org", "")
    if not slug:
        orgs = [o for o in coordinated_orgs() if can_create_campaign(current_user, o)]
        if len(orgs) != 1:
            require(bool(orgs))
            return render_template("campaigns/choose_org.html", orgs=orgs)
        slug = orgs[0].slug
    org = get_org_or_404(slug, current_user)
    require(can_create_campaign(current_user, org))
    form = CampaignForm()
    if request.method == "GET":
        form.starts_on.data = form.ends_on.data = date.today()
    if form.validate_on_submit():
        campaign = services.create_campaign(
            current_user,
            org,
            form.title.data,
            form.starts_on.data,
            form.ends_on.data,
            description=form.description.data or "",
            goal=form.goal.data or "",
            visibility=Visibility(form.visibility.data),
            status=CampaignStatus(form.status.data),
        )
        flash(_("The campaign is created."), "success")
        return redirect(url_for("campaigns.campaign", slug=campaign.slug))
    return render_template("campaigns/edit.html", form=form, campaign=None, org=org)


@bp.get("/campaigns/<slug>")
def campaign(slug: str):
    campaign = get_campaign_or_404(slug)
    found = services.events_in(*campaign_window(campaign), current_user, campaign=campaign)
    countries = {o.event.organisation.country for o in found}
    grouped = None
    if len(countries) > 1 and (campaign.ends_on - campaign.starts_on).days <= 2:
        # A day of action in several countries: each country's local events together.
        grouped = sorted(
            (
                (country_name(c), by_day([o for o in found if o.event.organisation.country == c]))
                for c in countries
            ),
            key=lambda pair: pair[0],
        )
    invite_form = None
    if can_edit_campaign(current_user, campaign):
        invite_form = _invite_form(campaign)
    return render_template(
        "campaigns/show.html",
        campaign=campaign,
        days=by_day(found),
        grouped=grouped,
        invite_form=invite_form,
        confirm=ConfirmForm(),
        new_event_orgs=[
            o for o in coordinated_orgs() if can_create_event(current_user, o, campaign)
        ],
        rooms=campaign_rooms(current_user, campaign),
        can_open_room=can_create_room(current_user, RoomScope.CAMPAIGN, campaign=campaign),
    )


def campaign_rooms(user, campaign: Campaign) -> list[Room]:
    """The campaign's discussion rooms this person may enter."""
    found = db.session.scalars(select(Room).where(Room.campaign_id == campaign.id))
    return [room for room in found if can_view_room(user, room)]


def _invite_form(campaign: Campaign) -> InviteForm:
    taken = {p.organisation_id for p in campaign.participants} | {campaign.lead_organisation_id}
    orgs = db.session.scalars(
        select(Organisation)
        .where(Organisation.status == OrgStatus.APPROVED)
        .order_by(Organisation.name)
    )
    form = InviteForm()
    form.organisation.choices = choices((o.slug, o.name) for o in orgs if o.id not in taken)
    return form


@bp.route("/campaigns/<slug>/edit", methods=["GET", "POST"])
@login_required
def campaign_edit(slug: str):
    campaign = get_campaign_or_404(slug)
    require(can_edit_campaign(current_user, campaign))
    form = CampaignForm()
    if request.method == "GET":
        form.fill_from(campaign)
    if form.validate_on_submit():
        try:
            services.update_campaign(current_user, campaign, **form.values())
        except services.CalendarError as error:
            flash(str(error), "error")
        else:
            flash(_("The campaign is saved."), "success")
            return redirect(url_for("campaigns.campaign", slug=campaign.slug))
    return render_template(
        "campaigns/edit.html", form=form, campaign=campaign, org=campaign.lead_organisation
    )


@bp.post("/campaigns/<slug>/invite")
@login_required
def campaign_invite(slug: str):
    campaign = get_campaign_or_404(slug)
    require(can_edit_campaign(current_user, campaign))
    form = _invite_form(campaign)
    if form.validate_on_submit():
        org = get_org_or_404(form.organisation.data, current_user)
        services.invite_organisation(current_user, campaign, org)
        flash(_("%(org)s is invited. Its coordinators will answer.", org=org.name), "success")
    else:
        flash(_("Choose an organisation from the list."), "error")
    return redirect(url_for("campaigns.campaign", slug=campaign.slug))


@bp.post("/campaign-invitations/<int:participant_id>/<answer>")
@login_required
def campaign_answer(participant_id: int, answer: str):
    """The invited organisation's coordinators take part, or not."""
    participant = db.session.get(CampaignParticipant, participant_id)
    require_or_404(
        participant is not None
        and answer in {"accept", "decline"}
        and can_answer_participation(current_user, participant)
    )
    if ConfirmForm().validate_on_submit():
        services.answer_participation(current_user, participant, answer == "accept")
        if answer == "accept":
            flash(_("Your organisation takes part in this campaign."), "success")
            return redirect(url_for("campaigns.campaign", slug=participant.campaign.slug))
        flash(_("You declined the invitation."), "info")
    return redirect(url_for("campaigns.org_calendar", slug=participant.organisation.slug))


# --- events -----------------------------------------------------------------------------------


def _event_form(orgs: list[Organisation]) -> EventForm:
    form = EventForm()
    form.organisation.choices = choices((o.slug, o.name) for o in orgs)
    if not form.organisation.data or len(orgs) == 1:
        form.organisation.data = orgs[0].slug  # the only choice needs no question
    if request.method == "GET":
        form.timezone.data = (
            current_user.timezone if is_valid_timezone(current_user.timezone) else "UTC"
        )
        form.interval.data = 1
    return form


@bp.route("/campaigns/<slug>/events/new", methods=["GET", "POST"])
@login_required
def campaign_event_new(slug: str):
    campaign = get_campaign_or_404(slug)
    orgs = [o for o in coordinated_orgs() if can_create_event(current_user, o, campaign)]
    require(bool(orgs))
    form = _event_form(orgs)
    if form.validate_on_submit():
        org = next(o for o in orgs if o.slug == form.organisation.data)
        return _create(form, org, campaign)
    return render_template("campaigns/event_form.html", form=form, event=None, campaign=campaign)


@bp.route("/organisations/<slug>/events/new", methods=["GET", "POST"])
@login_required
def org_event_new(slug: str):
    org = get_org_or_404(slug, current_user)
    require(can_create_event(current_user, org))
    form = _event_form([org])
    if form.validate_on_submit():
        return _create(form, org, None)
    return render_template("campaigns/event_form.html", form=form, event=None, org=org)


def _create(form: EventForm, org: Organisation, campaign: Campaign | None):
    try:
        event = services.create_event(
            current_user, org, form.draft(campaign is not None), campaign=campaign
        )
    except services.CalendarError as error:
        flash(str(error), "error")
        return render_template(
            "campaigns/event_form.html", form=form, event=None, campaign=campaign, org=org
        )
    flash(_("The event is saved."), "success")
    return redirect(url_for("campaigns.event", event_id=event.id))


def _requested_occurrence(event: Event, value: str):
    """The occurrence of a series that started at this ISO instant, or None."""
    try:
        at = datetime.fromisoformat(value.strip().replace(" ", "+"))  # a '+' typed in a URL
    except ValueError:
        return None
    if at.tzinfo is None:
        return None
    at = at.astimezone(UTC)
    found = occurrences(event, at - timedelta(days=400), at + timedelta(days=400))
    return next(
        (
            o
            for o in found
            if o.recurrence_id == at or (o.recurrence_id is None and o.starts_at == at)
        ),
        None,
    )


@bp.get("/events/<int:event_id>")
def event(event_id: int):
    event = get_event_or_404(event_id)
    now = datetime.now(UTC)
    upcoming = occurrences(event, now, now + timedelta(days=366))[:8] if event.rrule else []
    shown = None
    if request.args.get("at"):
        shown = _requested_occurrence(event, request.args["at"])
        if shown is None:
            abort(404)
    if shown is None:
        shown = (upcoming or occurrences(event, event.starts_at, event.ends_at + timedelta(1)))[0:1]
        shown = shown[0] if shown else None
    names = []
    if can_see_rsvp_names(current_user, event):
        names = list(
            db.session.scalars(
                select(Rsvp).where(Rsvp.event_id == event.id).order_by(Rsvp.created_at)
            )
        )
    counts = services.rsvp_counts(event)
    mine = (
        db.session.get(Rsvp, (event.id, current_user.id)) if current_user.is_authenticated else None
    )
    return render_template(
        "campaigns/event.html",
        event=event,
        shown=shown,
        upcoming=upcoming,
        counts=counts,
        names=names,
        mine=mine.response if mine else None,
        full=event.capacity is not None and counts[RsvpResponse.GOING] >= event.capacity,
        rsvp_form=RsvpForm(),
        confirm=ConfirmForm(),
        can_rsvp=can_rsvp(current_user, event),
        Response=RsvpResponse,
    )


@bp.post("/events/<int:event_id>/rsvp")
@login_required
def event_rsvp(event_id: int):
    event = get_event_or_404(event_id)
    require(can_rsvp(current_user, event))
    form = RsvpForm()
    if not form.validate_on_submit() or form.response.data not in {r.value for r in RsvpResponse}:
        abort(400)
    try:
        services.rsvp(current_user, event, RsvpResponse(form.response.data))
    except services.CalendarError as error:
        flash(str(error), "error")
    else:
        flash(_("Your answer is saved."), "success")
    return redirect(url_for("campaigns.event", event_id=event.id))


@bp.route("/events/<int:event_id>/edit", methods=["GET", "POST"])
@login_required
def event_edit(event_id: int):
    """Change the whole series."""
    event = get_event_or_404(event_id)
    require(can_edit_event(current_user, event))
    form = EventForm()
    form.organisation.choices = choices([(event.organisation.slug, event.organisation.name)])
    form.organisation.data = event.organisation.slug  # the organiser does not change
    if request.method == "GET":
        form.fill_from(event)
    if form.validate_on_submit():
        try:
            services.update_event(current_user, event, form.draft(event.campaign is not None))
        except services.CalendarError as error:
            flash(str(error), "error")
        else:
            flash(_("The event is saved."), "success")
            return redirect(url_for("campaigns.event", event_id=event.id))
    return render_template(
        "campaigns/event_form.html", form=form, event=event, campaign=event.campaign
    )


@bp.route("/events/<int:event_id>/occurrence", methods=["GET", "POST"])
@login_required
def event_occurrence(event_id: int):
    """Move, rename or cancel one date of a series."""
    event = get_event_or_404(event_id)
    require(can_edit_event(current_user, event))
    form = OccurrenceForm()
    value = form.recurrence_id.data if request.method == "POST" else request.args.get("at", "")
    occ = _requested_occurrence(event, value or "") if event.rrule else None
    if occ is None or occ.recurrence_id is None:
        abort(404 if request.method == "GET" else 400)
    if request.method == "GET":
        local = occ.starts_at.astimezone(occ.zone)
        form.recurrence_id.data = occ.recurrence_id.isoformat()
        form.title.data = occ.title if occ.title != event.title else ""
        form.day.data, form.start_time.data = local.date(), local.time()
        form.end_time.data = occ.ends_at.astimezone(occ.zone).time()
    cancelling = "cancel" in request.form
    if request.method == "POST" and (cancelling or form.validate_on_submit()):
        if cancelling and not ConfirmForm().validate_on_submit():
            abort(400)
        starts = ends = None
        if not cancelling:
            starts = datetime.combine(form.day.data, form.start_time.data)
            if form.end_time.data:
                ends = datetime.combine(form.day.data, form.end_time.data)
                ends += timedelta(days=1) if ends <= starts else timedelta(0)
        services.change_occurrence(
            current_user,
            event,
            occ.recurrence_id,
            starts_local=starts,
            ends_local=ends,
            title=form.title.data or "",
            cancelled=cancelling,
        )
        flash(_("This date is cancelled.") if cancelling else _("This date is changed."), "success")
        return redirect(url_for("campaigns.event", event_id=event.id))
    return render_template("campaigns/occurrence.html", form=form, event=event, occ=occ)


@bp.post("/events/<int:event_id>/cancel")
@login_required
def event_cancel(event_id: int):
    """Cancel the event (every date of a series)."""
    event = get_event_or_404(event_id)
    require(can_edit_event(current_user, event))
    if ConfirmForm().validate_on_submit() and not event.is_cancelled:
        services.cancel_event(current_user, event)
        flash(_("The event is cancelled."), "info")
    return redirect(url_for("campaigns.event", event_id=event.id))
