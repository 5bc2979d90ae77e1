"""Library pages: the list, adding a document, its page, versions, downloads, the bin."""

from __future__ import annotations

from flask import (
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required
from werkzeug.exceptions import RequestEntityTooLarge

from app.extensions import db, limiter
from app.formtools import ConfirmForm, confirm_page
from app.library import bp, queries, services, storage
from app.library.forms import DetailsForm, FilterForm, UploadForm, VersionForm
from app.library.services import UploadError
from app.library.sniff import EXTENSIONS, MIME_TYPES
from app.models import Campaign, Document, Organisation, StoredFile
from app.orgs.queries import my_orgs
from app.permissions import (
    can_delete_document,
    can_edit_document,
    can_file_under_campaign,
    can_upload_document,
    can_view_document,
    require,
)

PREVIEW_CHARS = 20_000  # of the text shown on the document's page; the file has the rest
UPLOAD_LIMIT = "20 per hour"


def upload_errors() -> dict[str, str]:
    """Why an upload was refused, in words."""
    size = storage.max_size() // (1024 * 1024)
    return {
        "too_big": _("The file is larger than %(size)d MB.", size=size),
        "not_supported": _(
            "This kind of file cannot be added. Send a PDF, Word (.docx), "
            "OpenDocument (.odt), Markdown or plain text file."
        ),
        "empty": _("The file is empty."),
    }


def _read_form(form) -> bool:
    """Validate a form with a file; a body past the limit is a form error, not a crash."""
    try:
        return form.validate_on_submit()
    except RequestEntityTooLarge:
        form.file.errors = [upload_errors()["too_big"]]
        return False


@bp.get("/")
def index():
    """The documents this person may read, newest first, with filters."""
    orgs = queries.owning_orgs(current_user)
    form = FilterForm(request.args, organisations=[(str(o.id), o.name) for o in orgs])
    form.validate()
    filters = {
        name: (form[name].data or "").strip()
        for name in ("organisation", "language", "format", "tag")
    }
    page = db.paginate(queries.library_query(current_user, **filters), per_page=20, error_out=False)
    return render_template(
        "library/index.html",
        form=form,
        page=page,
        filters=filters,
        can_add=bool(current_user.is_authenticated and my_orgs(current_user)),
    )


def _campaign_choices(orgs: list[Organisation]) -> list[tuple[str, str]]:
    return [(str(c.id), c.title) for c in queries.campaigns_for(current_user, orgs)]


def _chosen_campaign(form, org: Organisation) -> Campaign | None | bool:
    """The campaign chosen on the form, None for none, False for one not allowed."""
    if not form.campaign.data:
        return None
    campaign = db.session.get(Campaign, int(form.campaign.data))
    if campaign is None or not can_file_under_campaign(current_user, org, campaign):
        return False
    return campaign


@bp.route("/new", methods=["GET", "POST"])
@login_required
@limiter.limit(UPLOAD_LIMIT, methods=["POST"])
def new():
    """Add a document: a plain form that works without JavaScript (a script shows progress)."""
    orgs = [org for org in my_orgs(current_user) if can_upload_document(current_user, org)]
    if not orgs:
        abort(403)
    form = UploadForm(
        organisations=[(str(o.id), o.name) for o in orgs], campaigns=_campaign_choices(orgs)
    )
    if request.method == "GET" and current_user.locale:
        form.language.data = current_user.locale
    if _read_form(form):
        org = next((o for o in orgs if str(o.id) == form.organisation.data), None)
        campaign = _chosen_campaign(form, org) if org else None
        if org is None:
            form.organisation.errors = [_("Choose one of your organisations.")]
        elif campaign is False:
            form.campaign.errors = [_("Your organisation does not take part in this campaign.")]
        else:
            form.campaign.data = campaign
            upload = form.file.data
            try:
                document, seen = services.add_document(
                    current_user,
                    org,
                    upload.stream,
                    upload.filename or "",
                    services.describe(form.data),
                )
            except (UploadError, storage.TooBig) as error:
                code = error.code if isinstance(error, UploadError) else "too_big"
                form.file.errors = [upload_errors()[code]]
            else:
                _say_added(document, seen)
                return redirect(url_for("library.document", document_id=document.id))
    return render_template("library/new.html", form=form), 400 if form.errors else 200


def _say_added(document: Document, seen: bool) -> None:
    flash(
        _("The document is added. Its text is being read; it can be searched in a moment."),
        "success",
    )
    if seen:
        twins = [
            d
            for d in services.duplicates_of(document.file, but=document)
            if can_view_document(current_user, d)
        ]
        if twins:
            flash(
                _("The same file is already in the library: “%(title)s”.", title=twins[0].title),
                "info",
            )


@bp.get("/<int:document_id>")
def document(document_id: int):
    """A document: details, status of its text, a preview, versions and actions."""
    doc = queries.get_document_or_404(document_id, current_user)
    text = db.session.scalar(db.select(StoredFile.text).where(StoredFile.id == doc.file_id)) or ""
    return render_template(
        "library/document.html",
        doc=doc,
        preview=text[:PREVIEW_CHARS],
        cut=len(text) > PREVIEW_CHARS,
        confirm=ConfirmForm(),
    )


def _send(stored: StoredFile, filename: str):
    """A stored file as a download: its real type, never shown inline, never sniffed."""
    name = filename.rsplit(".", 1)[0] if "." in filename else filename
    response = send_file(
        storage.path_of(stored.storage_name),
        mimetype=MIME_TYPES[stored.kind],
        as_attachment=True,
        download_name=f"{name or 'document'}{EXTENSIONS[stored.kind]}",
        conditional=True,
        etag=stored.sha256,
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.get("/<int:document_id>/download")
def download(document_id: int):
    """The current version's file."""
    doc = queries.get_document_or_404(document_id, current_user)
    return _send(doc.file, doc.versions[0].filename)


@bp.get("/<int:document_id>/versions/<int:number>/download")
def download_version(document_id: int, number: int):
    """An earlier version's file."""
    doc = queries.get_document_or_404(document_id, current_user)
    version = queries.get_version_or_404(doc, number)
    return _send(version.file, version.filename)


@bp.route("/<int:document_id>/edit", methods=["GET", "POST"])
@login_required
def edit(document_id: int):
    """Change a document's details."""
    doc = queries.get_document_or_404(document_id, current_user)
    require(can_edit_document(current_user, doc))
    form = DetailsForm(
        obj=doc if request.method == "GET" else None,
        campaigns=_campaign_choices([doc.organisation]),
    )
    if request.method == "GET":
        form.tags.data = ", ".join(doc.tag_names)
        form.campaign.data = str(doc.campaign_id or "")
        form.visibility.data = doc.visibility.value
    if form.validate_on_submit():
        campaign = _chosen_campaign(form, doc.organisation)
        if campaign is False:
            form.campaign.errors = [_("Your organisation does not take part in this campaign.")]
        else:
            form.campaign.data = campaign
            services.update_document(current_user, doc, services.describe(form.data))
            flash(_("The changes are saved."), "success")
            return redirect(url_for("library.document", document_id=doc.id))
    return render_template("library/edit.html", form=form, doc=doc), 400 if form.errors else 200


@bp.route("/<int:document_id>/versions/new", methods=["GET", "POST"])
@login_required
@limiter.limit(UPLOAD_LIMIT, methods=["POST"])
def new_version(document_id: int):
    """Upload a new version; the earlier ones stay in the history."""
    doc = queries.get_document_or_404(document_id, current_user)
    require(can_edit_document(current_user, doc))
    form = VersionForm()
    if _read_form(form):
        upload = form.file.data
        try:
            services.add_version(
                current_user, doc, upload.stream, upload.filename or "", form.note.data or ""
            )
        except (UploadError, storage.TooBig) as error:
            code = error.code if isinstance(error, UploadError) else "too_big"
            form.file.errors = [upload_errors()[code]]
        else:
            flash(_("The new version is added. Its text is being read."), "success")
            return redirect(url_for("library.document", document_id=doc.id))
    return render_template("library/version.html", form=form, doc=doc), (
        400 if form.errors else 200
    )


@bp.route("/<int:document_id>/delete", methods=["GET", "POST"])
@login_required
def delete(document_id: int):
    """Move a document to the bin, asked once more."""
    doc = queries.get_document_or_404(document_id, current_user)
    require(can_delete_document(current_user, doc))
    back = url_for("library.document", document_id=doc.id)
    if request.method == "GET":
        return confirm_page(
            _("Move “%(title)s” to the bin?", title=doc.title),
            _(
                "Nobody can find or open it any more, except your organisation's coordinators, "
                "who can restore it from the bin."
            ),
            _("Move to the bin"),
            back,
        )
    if ConfirmForm().validate_on_submit() and not doc.is_deleted:
        services.delete_document(current_user, doc)
        flash(_("The document is in the bin."), "info")
        return redirect(url_for("library.bin"))
    return redirect(back)


@bp.post("/<int:document_id>/restore")
@login_required
def restore(document_id: int):
    """Take a document out of the bin."""
    doc = queries.get_document_or_404(document_id, current_user)
    require(can_delete_document(current_user, doc))
    if ConfirmForm().validate_on_submit() and doc.is_deleted:
        services.restore_document(current_user, doc)
        flash(_("The document is back in the library."), "success")
    return redirect(url_for("library.document", document_id=doc.id))


@bp.get("/bin")
@login_required
def bin():
    """Documents in the bin of the organisations this person coordinates."""
    return render_template(
        "library/bin.html", documents=queries.bin_of(current_user), confirm=ConfirmForm()
    )


@bp.app_context_processor
def _library_limits() -> dict:
    return {"library_max_mb": current_app.config["LIBRARY_MAX_UPLOAD"] // (1024 * 1024)}
