"""Comments on a manifesto's passages: adding one, answering, resolving (plain forms)."""

from __future__ import annotations

import base64
import binascii

from flask import abort, redirect, url_for
from flask_login import current_user, login_required

from app.errors import ServiceError
from app.extensions import db, limiter
from app.formtools import ConfirmForm
from app.manifestos import bp, comments, queries, views
from app.manifestos.forms import CommentForm
from app.models import ManifestoComment
from app.permissions import can_comment_manifesto, require

COMMENT_LIMIT = "30 per minute"


def _anchor(value: str | None) -> bytes | None:
    if not value:
        return None
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        abort(400)


def _refused(manifesto, form: CommentForm):
    """The page again with the comment and why it was refused: nothing typed is lost."""
    if form.parent.data:  # an answer: back in its thread's form
        return views.page_response(manifesto, CommentForm(formdata=None), 400, reply=form)
    return views.page_response(manifesto, form, 400)


@bp.post("/<int:manifesto_id>/comments")
@login_required
@limiter.limit(COMMENT_LIMIT)
def add_comment(manifesto_id: int):
    """Comment on a passage, or answer a comment."""
    manifesto = queries.get_or_404(manifesto_id, current_user)
    require(can_comment_manifesto(current_user, manifesto))
    form = CommentForm()
    if not form.validate_on_submit():
        return _refused(manifesto, form)
    parent = None
    if form.parent.data:
        if not form.parent.data.isdigit():
            abort(400)
        parent = db.session.get(ManifestoComment, int(form.parent.data))
        if parent is None:
            abort(404)
    try:
        comment = comments.add(
            current_user, manifesto, form.body.data, form.quote.data or "",
            _anchor(form.anchor.data), parent,
        )  # fmt: skip
    except ServiceError as error:
        on_passage = error.code in ("bad_anchor", "no_passage") and parent is None
        (form.quote if on_passage else form.body).errors = [str(error)]
        return _refused(manifesto, form)
    thread = comment.parent_id or comment.id
    return redirect(url_for("manifestos.page", manifesto_id=manifesto.id,
                            _anchor=f"comment-{thread}"))  # fmt: skip


@bp.post("/<int:manifesto_id>/comments/<int:comment_id>/<any(resolve, reopen):action>")
@login_required
def resolve_comment(manifesto_id: int, comment_id: int, action: str):
    """Mark a thread resolved, or open it again."""
    manifesto = queries.get_or_404(manifesto_id, current_user)
    require(can_comment_manifesto(current_user, manifesto))
    comment = db.session.get(ManifestoComment, comment_id)
    if comment is None or comment.manifesto_id != manifesto.id or comment.parent_id:
        abort(404)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    comments.set_resolved(current_user, comment, action == "resolve")
    return redirect(url_for("manifestos.page", manifesto_id=manifesto.id,
                            _anchor=f"comment-{comment.id}"))  # fmt: skip
