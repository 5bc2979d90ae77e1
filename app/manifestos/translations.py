"""Translations of a manifesto: each a shared document of its own, paragraph by paragraph.

Paragraphs (separated by blank lines) of the source and of the translation are paired by
position. A translator marks a paragraph done; the mark keeps the SHA-256 of the source
paragraph it translated, so when the source paragraph changes the paragraph shows as out of
date. The translation also records the source revision it was last brought in line with.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select

from app.collab import store
from app.db import atomic
from app.errors import ServiceError
from app.extensions import db
from app.manifestos import revisions, services
from app.models import Manifesto, ManifestoTranslation, TranslatedParagraph
from app.permissions import can_translate_manifesto, can_write_translation

MAX_PARAGRAPHS = 2_000
_BLANK_LINES = re.compile(r"\n[ \t]*\n")


@dataclass(frozen=True)
class Row:
    """One paragraph of the source beside its translation, and where the translation is."""

    number: int
    source: str
    translated: str
    status: str  # "done", "outdated" (the source changed after it was marked done), "todo"


def paragraphs(text: str) -> list[str]:
    """The paragraphs of a text (blank lines between them), at most MAX_PARAGRAPHS."""
    found = [p.strip() for p in _BLANK_LINES.split(text.replace("\r\n", "\n"))]
    return [p for p in found if p][:MAX_PARAGRAPHS]


def _hash(paragraph: str) -> str:
    return hashlib.sha256(paragraph.encode("utf-8")).hexdigest()


def of(manifesto: Manifesto) -> list[ManifestoTranslation]:
    """A manifesto's translations, by language."""
    return list(
        db.session.scalars(
            select(ManifestoTranslation)
            .where(ManifestoTranslation.manifesto_id == manifesto.id)
            .order_by(ManifestoTranslation.language)
        )
    )


def get(manifesto: Manifesto, language: str) -> ManifestoTranslation | None:
    """The translation of a manifesto into a language."""
    return db.session.scalar(
        select(ManifestoTranslation).where(
            ManifestoTranslation.manifesto_id == manifesto.id,
            ManifestoTranslation.language == language,
        )
    )


def start(user: Any, manifesto: Manifesto, language: str) -> ManifestoTranslation:
    """A new, empty translation into a language (not the source's, not one already there)."""
    if not can_translate_manifesto(user, manifesto):
        raise ServiceError("forbidden", _("You cannot translate this manifesto."))
    if language == manifesto.language or get(manifesto, language) is not None:
        raise ServiceError("exists", _("There is already a text in this language."))
    with atomic():
        translation = ManifestoTranslation(
            manifesto_id=manifesto.id, language=language, document_id=store.create().id
        )
        db.session.add(translation)
    return translation


def name(translation: ManifestoTranslation) -> str:
    """The translation's name in socket events and hosts."""
    return f"translation:{translation.id}"


def text(translation: ManifestoTranslation) -> tuple[str, int]:
    """The translation's current text and version."""
    return services.document_text(translation.document_id)


def save_text(
    user: Any, translation: ManifestoTranslation, new_text: str, base: int
) -> services.Conflict | None:
    """Save the plain form's text, unless it changed since it was read (then a Conflict)."""
    if not can_write_translation(user, translation):
        raise ServiceError("forbidden", _("You can read this text but not change it."))
    return services.replace_in_document(
        user, translation.document_id, name(translation), new_text, base
    )


def rows(translation: ManifestoTranslation) -> list[Row]:
    """The source's paragraphs beside the translation's, each with its state."""
    source = paragraphs(services.text(translation.manifesto)[0])
    translated = paragraphs(text(translation)[0])
    marks = {
        mark.number: mark.source_hash
        for mark in db.session.scalars(
            select(TranslatedParagraph).where(TranslatedParagraph.translation_id == translation.id)
        )
    }
    found = []
    for number, paragraph in enumerate(source):
        mark = marks.get(number)
        status = "todo" if mark is None else ("done" if mark == _hash(paragraph) else "outdated")
        other = translated[number] if number < len(translated) else ""
        found.append(Row(number, paragraph, other, status))
    return found


def mark_done(user: Any, translation: ManifestoTranslation, number: int) -> None:
    """Mark a paragraph translated, for the source paragraph as it is now.

    When every paragraph is done, the translation is in line with the current revision.
    """
    if not can_write_translation(user, translation):
        raise ServiceError("forbidden", _("You can read this text but not change it."))
    source = paragraphs(services.text(translation.manifesto)[0])
    if not 0 <= number < len(source):
        raise ServiceError("not_found", _("This paragraph does not exist any more."))
    with atomic():
        mark = db.session.get(TranslatedParagraph, (translation.id, number))
        if mark is None:
            mark = TranslatedParagraph(translation_id=translation.id, number=number)
            db.session.add(mark)
        mark.source_hash = _hash(source[number])
        mark.marked_by_id = user.id
    if all(row.status == "done" for row in rows(translation)):
        revision = revisions.current(translation.manifesto, user)
        with atomic():
            translation.synced_revision_id = revision.id


def outdated_count(translation: ManifestoTranslation) -> int:
    """Paragraphs whose source changed after they were marked done."""
    return sum(row.status == "outdated" for row in rows(translation))
