"""A manifesto's text is a shared document: who follows it live and who writes it."""

from __future__ import annotations

from app.collab import hosts
from app.extensions import db
from app.models import Manifesto
from app.permissions import MANIFESTO, can_write_manifesto

HOST = hosts.register(
    hosts.Host(
        kind="manifesto",
        find=lambda ident: db.session.get(Manifesto, ident),
        audience=MANIFESTO,
        can_write=can_write_manifesto,
        document_id=lambda manifesto: manifesto.document_id,
    )
)
