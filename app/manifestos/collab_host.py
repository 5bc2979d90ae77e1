"""A manifesto's text and each translation are shared documents: who follows, who writes."""

from __future__ import annotations

from sqlalchemy.orm import lazyload

from app.collab import hosts
from app.extensions import db
from app.models import Manifesto, ManifestoTranslation
from app.permissions import MANIFESTO, TRANSLATION, can_write_manifesto, can_write_translation

HOST = hosts.register(
    hosts.Host(
        kind="manifesto",
        # Only the columns the audience reads: not the committee (an event per keystroke).
        find=lambda ident: db.session.get(
            Manifesto, ident, options=[lazyload(Manifesto.committee)]
        ),
        audience=MANIFESTO,
        can_write=can_write_manifesto,
        document_id=lambda manifesto: manifesto.document_id,
    )
)

TRANSLATION_HOST = hosts.register(
    hosts.Host(
        kind="translation",
        find=lambda ident: db.session.get(ManifestoTranslation, ident),
        audience=TRANSLATION,
        can_write=can_write_translation,
        document_id=lambda translation: translation.document_id,
    )
)
