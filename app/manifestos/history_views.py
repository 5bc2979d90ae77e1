"""Manifesto history and signatures: revisions, differences, restoring, endorsing."""

from __future__ import annotations

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from app.errors import ServiceError
from app.formtools import ConfirmForm
from app.manifestos import bp, endorsements, exports, queries, revisions
from app.manifestos.diff import changed, word_diff
from app.manifestos.forms import CompareForm, EndorseForm, NameForm
from app.models import Organisation, RevisionKind
from app.orgs.queries import my_orgs
from app.permissions import can_endorse_manifesto, can_write_manifesto, require


@bp.get("/<int:manifesto_id>/history")
def history(manifesto_id: int):
    """Every revision with its authors; compare two; name the current text."""
    manifesto = queries.get_or_404(manifesto_id, current_user)
    listed = revisions.all_of(manifesto)
    numbers = [r.number for r in listed]
    compare = CompareForm(numbers=numbers)
    if len(numbers) >= 2:
        compare.a.data, compare.b.data = str(numbers[1]), str(numbers[0])
    return render_template(
        "manifestos/history.html",
        manifesto=manifesto,
        revisions=listed,
        names=revisions.author_names(listed),
        compare=compare,
        name_form=NameForm(),
        can_write=can_write_manifesto(current_user, manifesto),
    )


@bp.post("/<int:manifesto_id>/revisions")
@login_required
def name_revision(manifesto_id: int):
    """Keep the current text as a named revision."""
    manifesto = queries.get_or_404(manifesto_id, current_user)
    require(can_write_manifesto(current_user, manifesto))
    form = NameForm()
    if not form.validate_on_submit():
        abort(400)
    revision = revisions.checkpoint(manifesto, RevisionKind.NAMED, form.name.data, current_user)
    flash(_("Version %(number)d is named.", number=revision.number), "success")
    return redirect(url_for("manifestos.history", manifesto_id=manifesto.id))


def _revision_or_404(manifesto, number: int):
    revision = revisions.get(manifesto, number)
    if revision is None:
        abort(404)
    return revision


@bp.get("/<int:manifesto_id>/revisions/<int:number>")
def revision(manifesto_id: int, number: int):
    """The text of one revision."""
    manifesto = queries.get_or_404(manifesto_id, current_user)
    shown = _revision_or_404(manifesto, number)
    return render_template(
        "manifestos/revision.html",
        manifesto=manifesto,
        revision=shown,
        names=revisions.author_names([shown]),
        confirm=ConfirmForm(),
        can_write=can_write_manifesto(current_user, manifesto),
    )


@bp.post("/<int:manifesto_id>/revisions/<int:number>/restore")
@login_required
def restore(manifesto_id: int, number: int):
    """Bring an old revision back as a new change (nothing is destroyed)."""
    manifesto = queries.get_or_404(manifesto_id, current_user)
    require(can_write_manifesto(current_user, manifesto))
    if not ConfirmForm().validate_on_submit():
        abort(400)
    restored = revisions.restore(current_user, manifesto, _revision_or_404(manifesto, number))
    flash(_("Version %(old)d is back, as version %(new)d.", old=number, new=restored.number),
          "success")  # fmt: skip
    return redirect(url_for("manifestos.page", manifesto_id=manifesto.id))


@bp.get("/<int:manifesto_id>/diff")
def diff(manifesto_id: int):
    """What changed, word by word, between two revisions."""
    manifesto = queries.get_or_404(manifesto_id, current_user)
    try:
        a, b = int(request.args.get("a", "")), int(request.args.get("b", ""))
    except ValueError:
        abort(404)
    old, new = _revision_or_404(manifesto, a), _revision_or_404(manifesto, b)
    pieces = word_diff(old.text, new.text)
    return render_template(
        "manifestos/diff.html", manifesto=manifesto, old=old, new=new, pieces=pieces,
        changed=changed(pieces),
    )  # fmt: skip


# --- signatures -------------------------------------------------------------------------------


def _signing_orgs(manifesto) -> list[Organisation]:
    return [o for o in my_orgs(current_user) if can_endorse_manifesto(current_user, manifesto, o)]


@bp.route("/<int:manifesto_id>/endorse", methods=["GET", "POST"])
@login_required
def endorse(manifesto_id: int):
    """Sign the manifesto in the name of an organisation one coordinates."""
    manifesto = queries.get_or_404(manifesto_id, current_user)
    orgs = _signing_orgs(manifesto)
    require(bool(orgs))
    form = EndorseForm(organisations=[(str(o.id), o.name) for o in orgs])
    if request.method == "GET":
        form.signer_name.data = current_user.display_name
    if form.validate_on_submit():
        org = next(o for o in orgs if str(o.id) == form.organisation.data)
        signature = endorsements.Signature(form.signer_name.data, form.statement.data or "")
        endorsement = endorsements.endorse(current_user, manifesto, org, signature)
        flash(_("%(org)s signed version %(number)d of the text.", org=org.name,
                number=endorsement.revision.number), "success")  # fmt: skip
        return redirect(url_for("manifestos.signatories", manifesto_id=manifesto.id))
    return render_template(
        "manifestos/endorse.html", manifesto=manifesto, form=form,
        revision=revisions.latest(manifesto),
    ), 400 if form.errors else 200  # fmt: skip


def _own_org_or_404(manifesto, org_id: int) -> Organisation:
    org = next((o for o in _signing_orgs(manifesto) if o.id == org_id), None)
    if org is None:
        abort(404)
    return org


@bp.post("/<int:manifesto_id>/endorsements/<int:org_id>/confirm")
@login_required
def confirm_endorsement(manifesto_id: int, org_id: int):
    """Confirm the organisation's signature for the text as it is now."""
    manifesto = queries.get_or_404(manifesto_id, current_user)
    org = _own_org_or_404(manifesto, org_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        endorsement = endorsements.confirm(current_user, manifesto, org)
    except ServiceError as error:
        flash(str(error), "error")
    else:
        flash(_("%(org)s now signs version %(number)d.", org=org.name,
                number=endorsement.revision.number), "success")  # fmt: skip
    return redirect(url_for("manifestos.page", manifesto_id=manifesto.id))


@bp.post("/<int:manifesto_id>/endorsements/<int:org_id>/withdraw")
@login_required
def withdraw_endorsement(manifesto_id: int, org_id: int):
    """Take the organisation's signature back."""
    manifesto = queries.get_or_404(manifesto_id, current_user)
    org = _own_org_or_404(manifesto, org_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    endorsements.withdraw(current_user, manifesto, org)
    flash(_("%(org)s no longer signs this manifesto.", org=org.name), "success")
    return redirect(url_for("manifestos.page", manifesto_id=manifesto.id))


@bp.get("/<int:manifesto_id>/signatories")
def signatories(manifesto_id: int):
    """The organisations that signed, with their countries and counts; one country's only."""
    manifesto = queries.get_or_404(manifesto_id, current_user)
    country = (request.args.get("country") or "").upper()[:2]
    listed = endorsements.active(manifesto, country)
    return render_template(
        "manifestos/signatories.html", manifesto=manifesto, endorsements=listed,
        countries=endorsements.by_country(manifesto), country=country,
        current_hash=endorsements.current_hash(manifesto), signs=endorsements.signs,
    )  # fmt: skip


# --- files ------------------------------------------------------------------------------------

_FORMATS = {
    "md": ("text/markdown; charset=utf-8", exports.markdown),
    "html": ("text/html; charset=utf-8", exports.html),
    "docx": (
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        exports.docx,
    ),
}


@bp.get("/<int:manifesto_id>/download.<fmt>")
def download(manifesto_id: int, fmt: str):
    """The manifesto as a Markdown, HTML or Word file, stating its revision and signers."""
    manifesto = queries.get_or_404(manifesto_id, current_user)
    if fmt not in _FORMATS:
        abort(404)
    mimetype, make = _FORMATS[fmt]
    export = exports.prepare(manifesto)
    body = make(export)
    response = Response(
        body if isinstance(body, bytes) else body.encode("utf-8"), mimetype=mimetype
    )
    name = f"manifesto-{manifesto.id}-v{export.revision.number}.{fmt}"
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


@bp.get("/<int:manifesto_id>/print")
def print_page(manifesto_id: int):
    """A light page for printing or saving as PDF from the browser (its print menu)."""
    manifesto = queries.get_or_404(manifesto_id, current_user)
    return render_template("manifestos/print.html", export=exports.prepare(manifesto))
