"""Organisation pages: thin views that validate, ask permissions.py and call the services."""

from __future__ import annotations

from flask import current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from app.errors import ServiceError
from app.extensions import db, limiter
from app.formtools import ConfirmForm, choices, confirm_page
from app.i18n import ORG_LANGUAGES, country_name, language_name
from app.models import Role
from app.orgs import bp, queries, services
from app.orgs.forms import (
    DirectoryFilterForm,
    InvitationForm,
    JoinRequestForm,
    OrganisationForm,
    RoleForm,
)
from app.permissions import (
    can_accept_invitation,
    can_edit_org,
    can_leave,
    can_manage_members,
    can_remove_member,
    can_request_join,
    can_request_org,
    can_view_members,
    require,
)


@bp.get("/organisations/")
def directory():
    """The public directory of approved organisations, with filters."""
    form = DirectoryFilterForm(request.args)
    form.validate()
    filters = {
        name: (form[name].data or "").strip() for name in ("q", "country", "region", "language")
    }
    facets = queries.directory_facets(filters["country"])
    form.country.choices = choices(
        [("", _("All countries"))]
        + sorted(((c, country_name(c)) for c in facets["countries"]), key=lambda p: p[1])
    )
    form.region.choices = choices([("", _("All regions"))] + [(r, r) for r in facets["regions"]])
    languages = [code for code in ORG_LANGUAGES if code in facets["languages"]]
    form.language.choices = choices(
        [("", _("All languages"))] + [(code, language_name(code)) for code in languages]
    )
    page = db.paginate(
        queries.directory_query(**filters),
        per_page=current_app.config["ORGS_PER_PAGE"],
        error_out=False,
    )
    return render_template("orgs/directory.html", form=form, page=page, filters=filters)


@bp.route("/organisations/new", methods=["GET", "POST"])
@login_required
@limiter.limit("10 per hour", methods=["POST"])
def new():
    """Ask for a new organisation to be listed."""
    require(can_request_org(current_user))
    form = OrganisationForm()
    if request.method == "GET":
        form.languages.data = [str(current_user.locale or "es")]
    if form.validate_on_submit():
        org = services.request_organisation(current_user, form.profile())
        flash(
            _(
                "Thank you. Your request is waiting for an administrator. "
                "We will write to you when it is approved."
            ),
            "success",
        )
        return redirect(url_for("orgs.show", slug=org.slug))
    return render_template("orgs/edit.html", form=form, org=None)


@bp.get("/organisations/<slug>")
def show(slug: str):
    """An organisation's page, and this person's request to join while it waits."""
    org = queries.get_org_or_404(slug, current_user)
    pending = None
    if current_user.is_authenticated:
        pending = services.pending_request(current_user, org)
    return render_template(
        "orgs/show.html",
        org=org,
        pending=pending,
        join_form=JoinRequestForm(),
        confirm=ConfirmForm(),
    )


@bp.route("/organisations/<slug>/edit", methods=["GET", "POST"])
@login_required
def edit(slug: str):
    """Change an organisation's public profile."""
    org = queries.get_org_or_404(slug, current_user)
    require(can_edit_org(current_user, org))
    form = OrganisationForm()
    if request.method == "GET":
        form.fill_from(org)
    if form.validate_on_submit():
        services.edit_organisation(current_user, org, form.profile())
        flash(_("The profile is saved."), "success")
        return redirect(url_for("orgs.show", slug=org.slug))
    return render_template("orgs/edit.html", form=form, org=org)


@bp.post("/organisations/<slug>/join")
@login_required
@limiter.limit("20 per hour")
def join(slug: str):
    """Ask to join an organisation, with an optional note for its coordinators."""
    org = queries.get_org_or_404(slug, current_user)
    require(can_request_join(current_user, org))
    form = JoinRequestForm()
    if form.validate_on_submit():
        services.request_to_join(current_user, org, form.message.data or "")
        flash(
            _("Your request is sent. A coordinator of %(org)s will answer it.", org=org.name),
            "success",
        )
    else:
        flash(_("Your message is too long. Please shorten it."), "error")
    return redirect(url_for("orgs.show", slug=org.slug))


@bp.route("/organisations/<slug>/leave", methods=["GET", "POST"])
@login_required
def leave(slug: str):
    """Leave an organisation (asked once more); its only coordinator must first name another."""
    org = queries.get_org_or_404(slug, current_user)
    require(can_leave(current_user, org))
    if request.method == "GET":
        return confirm_page(
            _("Leave %(org)s?", org=org.name),
            _(
                "You will no longer see its rooms and the events for its members. To come back "
                "you would ask to join again, and a coordinator would have to accept."
            ),
            _("Leave the organisation"),
            url_for("orgs.show", slug=org.slug),
        )
    if ConfirmForm().validate_on_submit():
        try:
            services.leave(current_user, org)
        except ServiceError as error:
            flash(str(error), "error")
        else:
            flash(_("You have left %(org)s.", org=org.name), "info")
    return redirect(url_for("orgs.show", slug=org.slug))


@bp.get("/organisations/<slug>/members")
@login_required
def members(slug: str):
    """The member list: only for the organisation's own members."""
    org = queries.get_org_or_404(slug, current_user)
    require(can_view_members(current_user, org))
    return render_template(
        "orgs/members.html",
        org=org,
        members=queries.members_of(org),
        role_form=RoleForm(),
        confirm=ConfirmForm(),
        Role=Role,
    )


@bp.post("/organisations/<slug>/members/<int:membership_id>/role")
@login_required
def change_role(slug: str, membership_id: int):
    """Make a member a coordinator or back; an organisation keeps at least one coordinator."""
    org = queries.get_org_or_404(slug, current_user)
    require(can_manage_members(current_user, org))
    member = queries.get_membership_or_404(org, membership_id)
    form = RoleForm()
    if form.validate_on_submit():
        try:
            services.change_role(current_user, member, Role(form.role.data))
        except ServiceError as error:
            flash(str(error), "error")
        else:
            flash(_("The role of %(name)s is changed.", name=member.user.display_name), "success")
    return redirect(url_for("orgs.members", slug=org.slug))


@bp.route("/organisations/<slug>/members/<int:membership_id>/remove", methods=["GET", "POST"])
@login_required
def remove_member(slug: str, membership_id: int):
    """Remove someone (asked once more); to leave it oneself, there is the Leave button."""
    org = queries.get_org_or_404(slug, current_user)
    require(can_manage_members(current_user, org))
    member = queries.get_membership_or_404(org, membership_id)
    if request.method == "GET" and can_remove_member(current_user, member):
        return confirm_page(
            _("Remove %(name)s from %(org)s?", name=member.user.display_name, org=org.name),
            _(
                "They will no longer see the organisation's rooms and the events for its "
                "members, from this moment. They can ask to join again."
            ),
            _("Remove"),
            url_for("orgs.members", slug=org.slug),
        )
    if not can_remove_member(current_user, member):
        flash(_("To leave the organisation yourself, use the Leave button."), "error")
    elif ConfirmForm().validate_on_submit():
        name = member.user.display_name
        try:
            services.remove_member(current_user, member)
        except ServiceError as error:
            flash(str(error), "error")
        else:
            flash(_("%(name)s is no longer a member.", name=name), "info")
    return redirect(url_for("orgs.members", slug=org.slug))


@bp.get("/organisations/<slug>/requests")
@login_required
def join_requests(slug: str):
    """The requests to join an organisation that wait for its coordinators."""
    org = queries.get_org_or_404(slug, current_user)
    require(can_manage_members(current_user, org))
    return render_template(
        "orgs/requests.html", org=org, requests=queries.pending_requests(org), confirm=ConfirmForm()
    )


@bp.post("/organisations/<slug>/requests/<int:request_id>/<any(approve, reject):decision>")
@login_required
def decide_request(slug: str, request_id: int, decision: str):
    """Accept or decline a request to join an organisation."""
    org = queries.get_org_or_404(slug, current_user)
    require(can_manage_members(current_user, org))
    join_request = queries.get_join_request_or_404(org, request_id)
    if ConfirmForm().validate_on_submit():
        services.decide_join_request(current_user, join_request, decision == "approve")
        if decision == "approve":
            flash(_("%(name)s is now a member.", name=join_request.user.display_name), "success")
        else:
            flash(_("The request is declined."), "info")
    return redirect(url_for("orgs.join_requests", slug=org.slug))


@bp.route("/organisations/<slug>/invitations", methods=["GET", "POST"])
@login_required
@limiter.limit("60 per hour", methods=["POST"])
def invitations(slug: str):
    """Coordinators create single-use invitation links and see or revoke earlier ones."""
    org = queries.get_org_or_404(slug, current_user)
    require(can_manage_members(current_user, org))
    form = InvitationForm()
    new_link = new_invitation = None
    if form.validate_on_submit():
        new_invitation, token = services.create_invitation(current_user, org, form.note.data or "")
        new_link = url_for("orgs.open_invitation", token=token, _external=True)
        form = InvitationForm(formdata=None)
    return render_template(
        "orgs/invitations.html",
        org=org,
        form=form,
        new_link=new_link,
        new_invitation=new_invitation,
        invitations=queries.invitations_of(org),
        confirm=ConfirmForm(),
        is_open=services.invitation_is_open,
    )


@bp.post("/organisations/<slug>/invitations/<int:invitation_id>/revoke")
@login_required
def revoke_invitation(slug: str, invitation_id: int):
    """Stop an invitation link from working."""
    org = queries.get_org_or_404(slug, current_user)
    require(can_manage_members(current_user, org))
    invitation = queries.get_invitation_or_404(org, invitation_id)
    if ConfirmForm().validate_on_submit():
        services.revoke_invitation(current_user, invitation)
        flash(_("The link no longer works."), "info")
    return redirect(url_for("orgs.invitations", slug=org.slug))


INVITATION_KEY = "invitation"  # where an opened invitation's token waits in the session


@bp.get("/invite/<token>")
def open_invitation(token: str):
    """The link an invitation carries: keep its token in the session, then show the page.

    The page's address has no token, so it stays out of history, logs and Referer headers.
    """
    if services.find_open_invitation(token) is None:
        return render_template("orgs/invitation_closed.html"), 404
    session[INVITATION_KEY] = token
    return redirect(url_for("orgs.accept_invitation"))


@bp.post("/invite/<token>")
def accept_invitation_link(token: str):
    """Accept with the token in the address (a form sent from the link itself)."""
    return _invitation_page(token)


@bp.route("/invite", methods=["GET", "POST"])
def accept_invitation():
    """The invitation page: sign in or register, then join."""
    return _invitation_page(session.get(INVITATION_KEY, ""))


def _invitation_page(token: str):
    invitation = services.find_open_invitation(token) if token else None
    if invitation is None:
        return render_template("orgs/invitation_closed.html"), 404
    org = invitation.organisation
    if not current_user.is_authenticated:
        return render_template("orgs/invitation.html", org=org, confirm=ConfirmForm())
    if not can_accept_invitation(current_user, org):
        flash(_("You are already a member of %(org)s.", org=org.name), "info")
        return redirect(url_for("orgs.show", slug=org.slug))
    form = ConfirmForm()
    if form.validate_on_submit():
        try:
            services.accept_invitation(current_user, token)
        except ServiceError as error:
            flash(str(error), "error")
            return redirect(url_for("main.index"))
        session.pop(INVITATION_KEY, None)
        flash(_("Welcome to %(org)s.", org=org.name), "success")
        return redirect(url_for("orgs.show", slug=org.slug))
    return render_template("orgs/invitation.html", org=org, confirm=form)
