"""Manifesto pages: the list, starting one, reading it, editing its text, its settings."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from app.errors import ServiceError
from app.extensions import db, limiter
from app.formtools import ConfirmForm
from app.i18n import language_name
from app.manifestos import bp, comments, endorsements, queries, revisions, services
from app.manifestos.forms import (
    CommentForm,
    CommitteeForm,
    DetailsForm,
    StartForm,
    StatusForm,
    TextForm,
)
from app.models import DraftVisibility, ManifestoStatus, Organisation
from app.orgs.queries import my_orgs
from app.permissions import (
    can_comment_manifesto,
    can_endorse_manifesto,
    can_manage_manifesto,
    can_write_manifesto,
    require,
)

SAVE_LIMIT = "30 per minute"


def _details(form: DetailsForm) -> services.Details:
    return services.Details(
        title=form.title.data or "",
        language=form.language.data,
        visibility=DraftVisibility(form.visibility.data),
    )


@bp.get("/")
def index():
    """The manifestos this person may read."""
    return render_template(
        "manifestos/index.html",
        manifestos=queries.visible(current_user),
        can_start=bool(current_user.is_authenticated and queries.starting_orgs(current_user)),
    )


@bp.route("/new", methods=["GET", "POST"])
@login_required
def new():
    """Start a manifesto in the name of an organisation one coordinates."""
    orgs = queries.starting_orgs(current_user)
    require(bool(orgs))
    form = StartForm(organisations=[(str(o.id), o.name) for o in orgs])
    if request.method == "GET" and current_user.locale:
        form.language.data = current_user.locale
    if form.validate_on_submit():
        org = next(o for o in orgs if str(o.id) == form.organisation.data)
        manifesto = services.start(current_user, org, _details(form))
        flash(_("The manifesto is started. Write its text together."), "success")
        return redirect(url_for("manifestos.edit", manifesto_id=manifesto.id))
    return render_template("manifestos/new.html", form=form), 400 if form.errors else 200


@bp.get("/<int:manifesto_id>")
def page(manifesto_id: int):
    """A manifesto: its stage, committee and text (read; no script needed)."""
    manifesto = queries.get_or_404(manifesto_id, current_user)
    return page_response(manifesto, CommentForm())


def page_response(manifesto, comment_form, status: int = 200, reply=None):
    """A manifesto's page, with this comment form, or this answer, refused and kept."""
    html, version = services.rendered(manifesto)
    signing = [
        o for o in my_orgs(current_user) if can_endorse_manifesto(current_user, manifesto, o)
    ]
    can_comment = can_comment_manifesto(current_user, manifesto)
    return render_template(
        "manifestos/page.html",
        manifesto=manifesto,
        html=html,
        version=version,
        revision=revisions.latest(manifesto),
        current_hash=endorsements.current_hash(manifesto),
        signs=endorsements.signs,
        signing=signing,
        own=endorsements.of_orgs(manifesto, signing),
        signed_count=len(endorsements.active(manifesto)),
        confirm=ConfirmForm(),
        can_write=can_write_manifesto(current_user, manifesto),
        can_manage=can_manage_manifesto(current_user, manifesto),
        can_comment=can_comment,
        threads=comments.placed(manifesto) if can_comment else [],
        comment_form=comment_form,
        reply=reply,
    ), status


@bp.get("/<int:manifesto_id>/edit")
@login_required
def edit(manifesto_id: int):
    """The live editor (with a script), and the whole text in a plain form (without one)."""
    manifesto = queries.get_or_404(manifesto_id, current_user)
    require(can_write_manifesto(current_user, manifesto))
    text, version = services.text(manifesto)
    return editor_page(manifesto, TextForm(data={"text": text, "version": version}))


def editor_page(manifesto, form, status: int = 200, conflict=None, translation=None):
    """The editor (or the conflict page) of a manifesto's text or of one of its translations."""
    comment_form = None  # comments are on the manifesto's text, not on its translations
    if translation is None:
        ids = {"manifesto_id": manifesto.id}
        doc_name, title, language = f"manifesto:{manifesto.id}", manifesto.title, manifesto.language
        if can_comment_manifesto(current_user, manifesto):
            comment_form = CommentForm()
        save_url = url_for("manifestos.save_text", **ids)
        back_url = url_for("manifestos.page", **ids)
    else:
        ids = {"manifesto_id": manifesto.id, "language": translation.language}
        doc_name, language = f"translation:{translation.id}", translation.language
        title = _("%(title)s, in %(language)s", title=manifesto.title,
                  language=language_name(language))  # fmt: skip
        save_url = url_for("manifestos.save_translation", **ids)
        back_url = url_for("manifestos.translation", **ids)
    return render_template(
        "manifestos/conflict.html" if conflict else "manifestos/edit.html",
        manifesto=manifesto, form=form, conflict=conflict, doc_name=doc_name, title=title,
        language=language, save_url=save_url, back_url=back_url, comment_form=comment_form,
    ), status  # fmt: skip


@bp.post("/<int:manifesto_id>/text")
@login_required
@limiter.limit(SAVE_LIMIT)
def save_text(manifesto_id: int):
    """Save the plain form's text; a text changed meanwhile shows both, never overwrites."""
    manifesto = queries.get_or_404(manifesto_id, current_user)
    require(can_write_manifesto(current_user, manifesto))
    form = TextForm()
    if not form.validate_on_submit():
        return editor_page(manifesto, form, 400)
    try:
        conflict = services.save_text(current_user, manifesto, form.text.data or "",
                                      form.version.data)  # fmt: skip
    except ServiceError as error:
        form.text.errors = [str(error)]
        return editor_page(manifesto, form, 400)
    if conflict is not None:
        fresh = TextForm(
            formdata=None, data={"text": conflict.current, "version": conflict.version}
        )
        return render_template(
            "manifestos/conflict.html", manifesto=manifesto, conflict=conflict, form=fresh
        ), 409
    flash(_("The text is saved."), "success")
    return redirect(url_for("manifestos.page", manifesto_id=manifesto.id))


@bp.route("/<int:manifesto_id>/settings", methods=["GET", "POST"])
@login_required
def settings(manifesto_id: int):
    """Title, language, who reads the draft, the stage and the committee."""
    manifesto = queries.get_or_404(manifesto_id, current_user)
    require(can_manage_manifesto(current_user, manifesto))
    form = DetailsForm(obj=manifesto if request.method == "GET" else None)
    if form.validate_on_submit():
        services.change_details(manifesto, _details(form))
        flash(_("The details are saved."), "success")
        return redirect(url_for("manifestos.settings", manifesto_id=manifesto.id))
    return _settings_page(manifesto, form), 400 if form.errors else 200


def conflict_form(conflict: services.Conflict) -> TextForm:
    """The form of the conflict page: the current text and version (not what was posted)."""
    return TextForm(formdata=None, data={"text": conflict.current, "version": conflict.version})


def _settings_page(manifesto, form=None):
    others = queries.other_orgs(manifesto)
    return render_template(
        "manifestos/settings.html",
        manifesto=manifesto,
        form=form or DetailsForm(obj=manifesto),
        status_form=StatusForm(data={"status": manifesto.status.value}),
        committee_form=CommitteeForm(organisations=[(str(o.id), o.name) for o in others]),
        confirm=ConfirmForm(),
    )


@bp.post("/<int:manifesto_id>/status")
@login_required
def status(manifesto_id: int):
    """Move the manifesto to another stage."""
    manifesto = queries.get_or_404(manifesto_id, current_user)
    require(can_manage_manifesto(current_user, manifesto))
    form = StatusForm()
    if not form.validate_on_submit():
        abort(400)
    services.set_status(manifesto, ManifestoStatus(form.status.data))
    flash(_("The stage is changed."), "success")
    return redirect(url_for("manifestos.settings", manifesto_id=manifesto.id))


@bp.post("/<int:manifesto_id>/committee")
@login_required
def add_committee(manifesto_id: int):
    """Add an organisation to the drafting committee."""
    manifesto = queries.get_or_404(manifesto_id, current_user)
    require(can_manage_manifesto(current_user, manifesto))
    others = queries.other_orgs(manifesto)
    form = CommitteeForm(organisations=[(str(o.id), o.name) for o in others])
    if not form.validate_on_submit():
        abort(400)
    org = next(o for o in others if str(o.id) == form.organisation.data)
    services.add_to_committee(manifesto, org)
    flash(_("%(name)s is now drafting this manifesto.", name=org.name), "success")
    return redirect(url_for("manifestos.settings", manifesto_id=manifesto.id))


@bp.post("/<int:manifesto_id>/committee/<int:org_id>/remove")
@login_required
def remove_committee(manifesto_id: int, org_id: int):
    """Take an organisation off the committee (not the last one)."""
    manifesto = queries.get_or_404(manifesto_id, current_user)
    require(can_manage_manifesto(current_user, manifesto))
    if not ConfirmForm().validate_on_submit():
        abort(400)
    org = db.session.get(Organisation, org_id)
    if org is None or all(c.organisation_id != org_id for c in manifesto.committee):
        abort(404)
    try:
        services.remove_from_committee(manifesto, org)
    except ServiceError as error:
        flash(str(error), "error")
    else:
        flash(_("%(name)s no longer drafts this manifesto.", name=org.name), "success")
    return redirect(url_for("manifestos.settings", manifesto_id=manifesto.id))
