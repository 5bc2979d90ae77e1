"""Importing an .ics file into a campaign (all of it, or nothing)."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from app.campaigns import bp, importer, queries
from app.campaigns.forms import ImportForm
from app.permissions import can_import_events, require


@bp.route("/campaigns/<slug>/import", methods=["GET", "POST"])
@login_required
def import_events(slug: str):
    """Read a calendar file and create its events in the campaign, or say what is wrong."""
    campaign = queries.get_campaign_or_404(slug, current_user)
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
