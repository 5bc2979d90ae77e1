"""A manifesto's text and each translation are shared documents: who follows, who writes."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.orm import lazyload, load_only

from app.collab import hosts
from app.extensions import db
from app.models import Manifesto, ManifestoTranslation
from app.permissions import MANIFESTO, TRANSLATION, can_write_manifesto, can_write_translation


def _finder(model: Any, *options: Any) -> Callable[[int], Any]:
    """Find a row by id with one statement built once (every keystroke's event asks)."""
    statement = select(model).options(*options).where(model.id == bindparam("ident"))
    return lambda ident: db.session.execute(statement, {"ident": ident}).scalar_one_or_none()


# A keystroke's event reads only what the audience and the host need: not the committee, not
# the rendered text (up to a few hundred KB). Anything else is loaded if asked for.
_find_manifesto = _finder(
    Manifesto,
    load_only(Manifesto.id, Manifesto.status, Manifesto.visibility, Manifesto.document_id),
    lazyload(Manifesto.committee),
)

HOST = hosts.register(
    hosts.Host(
        kind="manifesto",
        find=_find_manifesto,
        audience=MANIFESTO,
        can_write=can_write_manifesto,
        document_id=lambda manifesto: manifesto.document_id,
    )
)

TRANSLATION_HOST = hosts.register(
    hosts.Host(
        kind="translation",
        find=_finder(ManifestoTranslation),
        audience=TRANSLATION,
        can_write=can_write_translation,
        document_id=lambda translation: translation.document_id,
    )
)
