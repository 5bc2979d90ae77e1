"""A manifesto's text and each translation are shared documents: who follows, who writes."""

from __future__ import annotations

from sqlalchemy.orm import lazyload, load_only

from app.collab import hosts
from app.extensions import db
from app.models import Manifesto, ManifestoTranslation
from app.permissions import MANIFESTO, TRANSLATION, can_write_manifesto, can_write_translation

# A keystroke's event reads only what the audience and the host need: not the committee, not
# the rendered text (up to a few hundred KB). Anything else is loaded if asked for.
_FOLLOWED = [
    load_only(Manifesto.id, Manifesto.status, Manifesto.visibility, Manifesto.document_id),
    lazyload(Manifesto.committee),
]

HOST = hosts.register(
    hosts.Host(
        kind="manifesto",
        find=lambda ident: db.session.get(Manifesto, ident, options=_FOLLOWED),
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
