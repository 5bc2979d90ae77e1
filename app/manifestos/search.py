"""Manifestos and their translations in search, seen by the manifesto's audience.

The text changes through the shared document (not through the ORM), so each stored change
queues the owner's key once (while a key already waits, nothing more is written).
"""

from __future__ import annotations

import functools

from flask import url_for
from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, bindparam, exists, select

from app.collab import hosts, store
from app.extensions import db
from app.manifestos import services
from app.models import (
    Manifesto,
    ManifestoCommittee,
    ManifestoTranslation,
    Organisation,
    SearchOutbox,
)
from app.permissions import MANIFESTO, TRANSLATION, can_view_manifesto
from app.search import outbox
from app.search.base import Entry
from app.search.registry import Follow, Searchable, register


def _committee(manifesto: Manifesto) -> tuple[int | None, str]:
    orgs = manifesto.committee_orgs
    return (orgs[0].id if orgs else None), ", ".join(org.name for org in orgs)


def manifesto_entry(manifesto: Manifesto) -> Entry:
    """A manifesto as the index stores it: title and current text."""
    org_id, names = _committee(manifesto)
    return Entry(
        kind="manifesto",
        id=manifesto.id,
        title=manifesto.title,
        body=services.text(manifesto)[0],
        language=manifesto.language,
        tokens=MANIFESTO.tokens(manifesto),
        date=manifesto.updated_at,
        organisation_id=org_id,
        organisation=names,
    )


def translation_entry(translation: ManifestoTranslation) -> Entry:
    """A translation as the index stores it, under its manifesto's title."""
    manifesto = translation.manifesto
    org_id, names = _committee(manifesto)
    return Entry(
        kind="translation",
        id=translation.id,
        title=manifesto.title,
        body=services.document_text(translation.document_id)[0],
        language=translation.language,
        tokens=TRANSLATION.tokens(translation),
        date=manifesto.updated_at,
        organisation_id=org_id,
        organisation=names,
    )


def _manifesto_ids_of_org(org: Organisation):
    return select(ManifestoCommittee.manifesto_id).where(
        ManifestoCommittee.organisation_id == org.id
    )


register(
    Searchable(
        kind="manifesto",
        model=Manifesto,
        entry=manifesto_entry,
        url=lambda manifesto: url_for("manifestos.page", manifesto_id=manifesto.id),
        label=lambda: str(_l("Manifestos")),
        ignore=("html", "html_version"),
        allows=can_view_manifesto,
        follows=(Follow(Organisation, ("name",), _manifesto_ids_of_org),),
    )
)
register(
    Searchable(
        kind="translation",
        model=ManifestoTranslation,
        entry=translation_entry,
        url=lambda t: url_for(
            "manifestos.translation", manifesto_id=t.manifesto_id, language=t.language
        ),  # fmt: skip
        label=lambda: str(_l("Translations")),
        ignore=("synced_revision_id",),
        allows=lambda user, t: can_view_manifesto(user, t.manifesto),
        follows=(
            # Who reads a translation, and its title, follow the manifesto.
            Follow(
                Manifesto,
                ("status", "visibility", "title", "committee"),
                lambda m: select(ManifestoTranslation.id).where(
                    ManifestoTranslation.manifesto_id == m.id
                ),
            ),
        ),
    )
)


_keys: dict[int, str | None] = {}  # shared document id -> its owner's search key


def _key(document_id: int) -> str | None:
    """The search key of a shared document's owner (it never changes: remembered)."""
    if document_id not in _keys:
        owner = db.session.scalar(select(Manifesto.id).where(Manifesto.document_id == document_id))
        if owner is not None:
            _keys[document_id] = f"manifesto:{owner}"
        else:
            found = db.session.scalar(
                select(ManifestoTranslation.id).where(
                    ManifestoTranslation.document_id == document_id
                )
            )
            _keys[document_id] = None if found is None else f"translation:{found}"
    return _keys[document_id]


def _queue_text_change(document_id: int, _seq: int, _compacting: bool) -> None:
    """A shared document changed: queue its owner for the index, once while it waits."""
    key = _key(document_id)
    if key is None or db.session.scalar(_queued(), {"key": key}):
        return
    outbox.queue([key])
    db.session.commit()


@functools.cache
def _queued() -> Select:
    """Whether a key waits in the outbox (built once: every change to a text asks)."""
    return select(exists().where(SearchOutbox.key == bindparam("key")))


hosts.AFTER_STORE.append(_queue_text_change)
store.FORGET_HOOKS.append(_keys.clear)
