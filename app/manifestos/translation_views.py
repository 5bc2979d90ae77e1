"""Translation pages: the list, starting one, source and translation side by side, editing."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from app.config import LANGUAGES
from app.errors import ServiceError
from app.extensions import limiter
from app.formtools import ConfirmForm
from app.manifestos import bp, queries, translations
from app.manifestos.forms import TextForm, TranslationForm
from app.manifestos.views import SAVE_LIMIT, conflict_form, editor_page
from app.permissions import can_translate_manifesto, can_write_translation, require


def _translation_or_404(manifesto, language: str):
    found = translations.get(manifesto, language)
    if found is None:
        abort(404)
    return found


def _free_languages(manifesto) -> list[str]:
    taken = {t.language for t in translations.of(manifesto)} | {manifesto.language}
    return [code for code in LANGUAGES if code not in taken]


@bp.get("/<int:manifesto_id>/translations")
def translations_list(manifesto_id: int):
    """A manifesto's translations, how far each is, and starting a new one."""
    manifesto = queries.get_or_404(manifesto_id, current_user)
    listed = translations.of(manifesto)
    return render_template(
        "manifestos/translations.html",
        manifesto=manifesto,
        translations=[(t, translations.outdated_count(t)) for t in listed],
        form=TranslationForm(languages=_free_languages(manifesto)),
        can_translate=can_translate_manifesto(current_user, manifesto),
    )


@bp.post("/<int:manifesto_id>/translations")
@login_required
def start_translation(manifesto_id: int):
    """Start a translation into a language."""
    manifesto = queries.get_or_404(manifesto_id, current_user)
    require(can_translate_manifesto(current_user, manifesto))
    form = TranslationForm(languages=_free_languages(manifesto))
    if not form.validate_on_submit():
        abort(400)
    try:
        translation = translations.start(current_user, manifesto, form.language.data)
    except ServiceError as error:
        flash(str(error), "error")
        return redirect(url_for("manifestos.translations_list", manifesto_id=manifesto.id))
    return redirect(url_for("manifestos.edit_translation", manifesto_id=manifesto.id,
                            language=translation.language))  # fmt: skip


@bp.get("/<int:manifesto_id>/translations/<language>")
def translation(manifesto_id: int, language: str):
    """The source and the translation, paragraph beside paragraph, with each one's state."""
    manifesto = queries.get_or_404(manifesto_id, current_user)
    found = _translation_or_404(manifesto, language)
    return render_template(
        "manifestos/translation.html",
        manifesto=manifesto,
        translation=found,
        rows=translations.rows(found),
        confirm=ConfirmForm(),
        can_write=can_write_translation(current_user, found),
    )


@bp.post("/<int:manifesto_id>/translations/<language>/paragraphs/<int:number>/done")
@login_required
def mark_done(manifesto_id: int, language: str, number: int):
    """Mark one paragraph translated (for the source paragraph as it is now)."""
    manifesto = queries.get_or_404(manifesto_id, current_user)
    found = _translation_or_404(manifesto, language)
    require(can_write_translation(current_user, found))
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        translations.mark_done(current_user, found, number)
    except ServiceError as error:
        flash(str(error), "error")
    return redirect(url_for("manifestos.translation", manifesto_id=manifesto.id,
                            language=language, _anchor=f"p{number}"))  # fmt: skip


@bp.get("/<int:manifesto_id>/translations/<language>/edit")
@login_required
def edit_translation(manifesto_id: int, language: str):
    """The live editor of a translation, and its plain form."""
    manifesto = queries.get_or_404(manifesto_id, current_user)
    found = _translation_or_404(manifesto, language)
    require(can_write_translation(current_user, found))
    text, version = translations.text(found)
    form = TextForm(data={"text": text, "version": version})
    return editor_page(manifesto, form, translation=found)


@bp.post("/<int:manifesto_id>/translations/<language>/text")
@login_required
@limiter.limit(SAVE_LIMIT)
def save_translation(manifesto_id: int, language: str):
    """Save a translation's plain form; a text changed meanwhile shows both."""
    manifesto = queries.get_or_404(manifesto_id, current_user)
    found = _translation_or_404(manifesto, language)
    require(can_write_translation(current_user, found))
    form = TextForm()
    if not form.validate_on_submit():
        return editor_page(manifesto, form, 400, translation=found)
    try:
        conflict = translations.save_text(current_user, found, form.text.data or "",
                                          form.version.data)  # fmt: skip
    except ServiceError as error:
        form.text.errors = [str(error)]
        return editor_page(manifesto, form, 400, translation=found)
    if conflict is not None:
        return editor_page(manifesto, conflict_form(conflict), 409, conflict, translation=found)
    flash(_("The text is saved."), "success")
    return redirect(url_for("manifestos.translation", manifesto_id=manifesto.id,
                            language=language))  # fmt: skip
