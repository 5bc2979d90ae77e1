"""Administration pages: each asks permissions.can_administer first."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from wtforms import TextAreaField
from wtforms.validators import Length

from app import audit
from app.admin import bp, queries
from app.admin.services import suspend_user, unsuspend_user
from app.extensions import db
from app.formtools import ConfirmForm, confirm_page
from app.orgs import services as org_services
from app.permissions import can_administer, can_decide_org, can_suspend, require


class RejectForm(FlaskForm):
    """Decline an organisation's request, with an optional reason for the person who asked."""

    reason = TextAreaField(
        _l("Reason, sent to the person who asked (optional)"), validators=[Length(max=1000)]
    )


@bp.before_request
@login_required
def _admins_only():
    require(can_administer(current_user))


@bp.get("/")
def queue():
    """Organisations waiting for approval, oldest first."""
    return render_template(
        "admin/queue.html",
        pending=queries.waiting_orgs(),
        confirm=ConfirmForm(),
        reject_form=RejectForm(),
    )


@bp.post("/organisations/<int:org_id>/<any(approve, reject):decision>")
def decide_org(org_id: int, decision: str):
    """Approve an organisation's request to be listed, or decline it."""
    org = queries.get_org_or_404(org_id)
    require(can_decide_org(current_user, org))
    if decision == "approve" and ConfirmForm().validate_on_submit():
        org_services.approve_organisation(current_user, org)
        flash(_("%(org)s is approved and listed in the directory.", org=org.name), "success")
    elif decision == "reject":
        form = RejectForm()
        if form.validate_on_submit():
            org_services.reject_organisation(current_user, org, form.reason.data or "")
            flash(_("The request for %(org)s is declined.", org=org.name), "info")
    return redirect(url_for("admin.queue"))


@bp.get("/users")
def users():
    """Every account, searchable by name or e-mail, with buttons to suspend or restore it."""
    q = (request.args.get("q") or "").strip()[:100]
    page = db.paginate(queries.accounts(q), per_page=50, error_out=False)
    return render_template("admin/users.html", page=page, q=q, confirm=ConfirmForm())


@bp.route("/users/<int:user_id>/<any(suspend, unsuspend):action>", methods=["GET", "POST"])
def change_user(user_id: int, action: str):
    """Suspend an account (asked once more), or let a suspended one work again."""
    user = queries.get_user_or_404(user_id)
    require(can_suspend(current_user, user))
    if request.method == "GET":
        back = url_for("admin.users", q=request.args.get("q", ""))
        if action == "unsuspend":
            return redirect(back)  # nothing to fear: the button on the list does it
        return confirm_page(
            _("Suspend the account of %(name)s?", name=user.display_name),
            _(
                "They are signed out everywhere at once and cannot sign in until an "
                "administrator restores the account. Nothing they wrote is deleted."
            ),
            _("Suspend the account"),
            back,
        )
    if ConfirmForm().validate_on_submit():
        if action == "suspend":
            suspend_user(current_user, user)
            flash(_("The account of %(name)s is suspended.", name=user.display_name), "info")
        else:
            unsuspend_user(current_user, user)
            flash(_("The account of %(name)s works again.", name=user.display_name), "success")
    return redirect(url_for("admin.users", q=request.args.get("q", "")))


@bp.get("/audit")
def audit_log():
    """The audit log, newest first: who did what, to whom, in which organisation."""
    page = db.paginate(queries.audit_entries(), per_page=50, error_out=False)
    return render_template("admin/audit.html", page=page, label=audit.label)


@bp.get("/outbox")
def outbox():
    """The outbox: every mail the platform would have sent, newest first."""
    page = db.paginate(
        queries.outbox(),
        per_page=20,
        error_out=False,
    )
    return render_template("admin/outbox.html", page=page)
