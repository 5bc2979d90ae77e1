"""Campaign pages: the list, a campaign, starting and editing one, and who takes part."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from app.campaigns import bp, queries, services
from app.campaigns.forms import CampaignForm, InviteForm
from app.campaigns.timefmt import by_day, reader_zone
from app.errors import ServiceError
from app.formtools import ConfirmForm, choices, confirm_page
from app.i18n import country_name
from app.models import Campaign, CampaignStatus, RoomScope, Visibility
from app.orgs.queries import coordinated_orgs, get_org_or_404
from app.permissions import (
    can_answer_participation,
    can_create_campaign,
    can_create_room,
    can_edit_campaign,
    can_remove_participant,
    require,
    require_or_404,
)
from app.rooms.queries import rooms_of_campaign


@bp.get("/campaigns/")
def campaign_list():
    """Campaigns the reader may see, newest first, with a status filter."""
    status = request.args.get("status", "")
    if status and status not in {s.value for s in CampaignStatus}:
        abort(400)
    return render_template(
        "campaigns/list.html",
        campaigns=queries.visible_campaigns(
            current_user, CampaignStatus(status) if status else None
        ),
        status=status,
        statuses=list(CampaignStatus),
        can_start=bool(coordinated_orgs(current_user)),
    )


@bp.route("/campaigns/new", methods=["GET", "POST"])
@login_required
def campaign_new():
    """Start a campaign led by one of my organisations (?org=<slug>)."""
    slug = request.args.get("org", "")
    if not slug:
        orgs = [o for o in coordinated_orgs(current_user) if can_create_campaign(current_user, o)]
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


def _by_country(found) -> list | None:
    """A day of action in several countries: each country's local events together."""
    countries = {o.event.organisation.country for o in found}
    if len(countries) <= 1:
        return None
    return sorted(
        (
            (country_name(c), by_day([o for o in found if o.event.organisation.country == c]))
            for c in countries
        ),
        key=lambda pair: pair[0],
    )


# The campaign page lists this many dates at most; the campaign's calendar has all of them.
CAMPAIGN_PAGE_DATES = 50


def _listed_from(campaign: Campaign) -> datetime:
    """Where the campaign page's dates start: today, or the campaign's start.

    A short campaign (a day of action) and one that is over are listed from their start.
    """
    start, end = queries.campaign_window(campaign)
    today = datetime.combine(datetime.now(reader_zone()).date(), time(0), reader_zone())
    if (campaign.ends_on - campaign.starts_on).days <= 2 or today >= end:
        return start
    return max(start, today.astimezone(UTC))


@bp.get("/campaigns/<slug>")
def campaign(slug: str):
    """A campaign: its goal, who takes part, its next dates and its rooms."""
    campaign = queries.get_campaign_or_404(slug, current_user)
    start, end = queries.campaign_window(campaign)
    since = _listed_from(campaign)
    found = queries.events_in(
        since, end, current_user, limit=CAMPAIGN_PAGE_DATES, campaign=campaign
    )
    short = (campaign.ends_on - campaign.starts_on).days <= 2
    return render_template(
        "campaigns/show.html",
        campaign=campaign,
        days=by_day(found),
        grouped=_by_country(found) if short else None,
        listed=len(found),
        more=not found.complete,
        earlier=since > start,
        calendar_month=since.astimezone(reader_zone()).strftime("%Y-%m"),
        first_month=campaign.starts_on.strftime("%Y-%m"),
        invite_form=_invite_form(campaign) if can_edit_campaign(current_user, campaign) else None,
        confirm=ConfirmForm(),
        new_event_orgs=queries.new_event_orgs(current_user, campaign),
        rooms=rooms_of_campaign(current_user, campaign),
        can_open_room=can_create_room(current_user, RoomScope.CAMPAIGN, campaign=campaign),
    )


def _invite_form(campaign: Campaign) -> InviteForm:
    form = InviteForm()
    form.organisation.choices = choices((o.slug, o.name) for o in queries.invitable_orgs(campaign))
    return form


@bp.route("/campaigns/<slug>/edit", methods=["GET", "POST"])
@login_required
def campaign_edit(slug: str):
    """Change the campaign's profile, dates, status and visibility."""
    campaign = queries.get_campaign_or_404(slug, current_user)
    require(can_edit_campaign(current_user, campaign))
    form = CampaignForm()
    if request.method == "GET":
        form.fill_from(campaign)
    if form.validate_on_submit():
        try:
            services.update_campaign(current_user, campaign, **form.values())
        except ServiceError as error:
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
    """Invite an organisation to take part."""
    campaign = queries.get_campaign_or_404(slug, current_user)
    require(can_edit_campaign(current_user, campaign))
    form = _invite_form(campaign)
    if form.validate_on_submit():
        org = get_org_or_404(form.organisation.data, current_user)
        services.invite_organisation(current_user, campaign, org)
        flash(_("%(org)s is invited. Its coordinators will answer.", org=org.name), "success")
    else:
        flash(_("Choose an organisation from the list."), "error")
    return redirect(url_for("campaigns.campaign", slug=campaign.slug))


@bp.route(
    "/campaign-invitations/<int:participant_id>/<any(accept, decline):answer>",
    methods=["GET", "POST"],
)
@login_required
def campaign_answer(participant_id: int, answer: str):
    """The invited organisation's coordinators take part, or not (or no longer: asked again)."""
    participant = queries.get_participant_or_404(participant_id)
    require_or_404(can_answer_participation(current_user, participant))
    if request.method == "GET":
        back = url_for("campaigns.campaign", slug=participant.campaign.slug)
        if answer == "accept":
            return redirect(back)
        return confirm_page(
            _("%(org)s stops taking part in “%(campaign)s”?", org=participant.organisation.name,
              campaign=participant.campaign.title),
            _(
                "Its members will no longer see the campaign's rooms and the events for its "
                "participants. The lead organisation can invite it again."
            ),
            _("Stop taking part"),
            back,
        )  # fmt: skip
    if ConfirmForm().validate_on_submit():
        services.answer_participation(current_user, participant, answer == "accept")
        if answer == "accept":
            flash(_("Your organisation takes part in this campaign."), "success")
            return redirect(url_for("campaigns.campaign", slug=participant.campaign.slug))
        flash(_("You declined the invitation."), "info")
    return redirect(url_for("campaigns.organisation_calendar", slug=participant.organisation.slug))


@bp.route("/campaign-invitations/<int:participant_id>/remove", methods=["GET", "POST"])
@login_required
def campaign_remove_participant(participant_id: int):
    """The lead's coordinators take an organisation off the campaign (asked once more)."""
    participant = queries.get_participant_or_404(participant_id)
    require_or_404(can_remove_participant(current_user, participant))
    slug, name = participant.campaign.slug, participant.organisation.name
    if request.method == "GET":
        return confirm_page(
            _("Remove %(org)s from “%(campaign)s”?", org=name, campaign=participant.campaign.title),
            _(
                "Its members will no longer see the campaign's rooms and the events for its "
                "participants, from this moment. It can be invited again."
            ),
            _("Remove"),
            url_for("campaigns.campaign", slug=slug),
        )
    if ConfirmForm().validate_on_submit():
        services.remove_participant(current_user, participant)
        flash(_("%(org)s no longer takes part in this campaign.", org=name), "info")
    return redirect(url_for("campaigns.campaign", slug=slug))
