"""Changing manifestos: start one, its details and committee, its text from the plain form.

Shared by the pages and the socket events (the live editor writes through app/collab/).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pycrdt
from flask_babel import gettext as _
from sqlalchemy import Select, select

from app import realtime
from app.collab import services as collab
from app.collab import store
from app.collab.positions import utf8_len
from app.db import atomic
from app.errors import ServiceError
from app.extensions import db
from app.markup import render_markdown
from app.models import (
    CollabPresence,
    DraftVisibility,
    Manifesto,
    ManifestoCommittee,
    ManifestoStatus,
    Membership,
    Organisation,
    OrgStatus,
)

TITLE_CHARS = 200


@dataclass(frozen=True)
class Details:
    """What a manifesto's form sets: title, language, who reads the draft."""

    title: str
    language: str
    visibility: DraftVisibility


def start(user: Any, org: Organisation, details: Details) -> Manifesto:
    """A new manifesto drafted by org's committee (org is its first member), empty text."""
    with atomic():
        document = store.create()
        manifesto = Manifesto(
            title=details.title.strip()[:TITLE_CHARS],
            language=details.language,
            visibility=details.visibility,
            status=ManifestoStatus.DRAFTING,
            document_id=document.id,
            created_by_id=user.id,
        )
        manifesto.committee.append(ManifestoCommittee(organisation_id=org.id))
        db.session.add(manifesto)
    return manifesto


def change_details(manifesto: Manifesto, details: Details) -> None:
    """New title, language or draft visibility; who may read follows at once."""
    with atomic():
        manifesto.title = details.title.strip()[:TITLE_CHARS]
        manifesto.language = details.language
        manifesto.visibility = details.visibility
    _recheck_followers(manifesto)


def set_status(manifesto: Manifesto, status: ManifestoStatus) -> None:
    """Move to drafting, open for endorsement, published or closed."""
    with atomic():
        manifesto.status = status
    _recheck_followers(manifesto)


def add_to_committee(manifesto: Manifesto, org: Organisation) -> None:
    """An approved organisation joins the drafting committee (its members may then edit)."""
    if org.status != OrgStatus.APPROVED:
        raise ServiceError("not_approved", _("Only approved organisations can draft."))
    with atomic():
        if all(c.organisation_id != org.id for c in manifesto.committee):
            manifesto.committee.append(ManifestoCommittee(organisation_id=org.id))
        realtime.sync_after_commit(_members_of(org))


def remove_from_committee(manifesto: Manifesto, org: Organisation) -> None:
    """An organisation leaves the committee; the last one cannot (someone must manage it)."""
    if len(manifesto.committee) <= 1:
        raise ServiceError("last", _("A manifesto needs at least one organisation drafting it."))
    with atomic():
        manifesto.committee = [c for c in manifesto.committee if c.organisation_id != org.id]
        realtime.sync_after_commit(_members_of(org))


def _members_of(org: Organisation) -> Select:
    return select(Membership.user_id).where(Membership.organisation_id == org.id)


def _recheck_followers(manifesto: Manifesto) -> None:
    """Connections following the text, re-checked after a change of who may read it."""
    realtime.sync_access(
        select(CollabPresence.user_id)
        .where(CollabPresence.document_id == manifesto.document_id)
        .distinct()
    )


# --- the text ---------------------------------------------------------------------------------


def text(manifesto: Manifesto) -> tuple[str, int]:
    """The current text and its version (the number of the last stored change)."""
    return document_text(manifesto.document_id)


def rendered(manifesto: Manifesto) -> tuple[str, int]:
    """The text as safe HTML, rendered once per version and kept (see Manifesto.html)."""
    current, version = text(manifesto)
    if manifesto.html_version != version or manifesto.html is None:
        with atomic():
            manifesto.html = str(render_markdown(current, limit=store.MAX_CHARS))
            manifesto.html_version = version
    return manifesto.html or "", version


@dataclass(frozen=True)
class Conflict:
    """A save made on an older version: both texts, for the person to choose."""

    yours: str
    current: str
    version: int


def save_text(user: Any, manifesto: Manifesto, new_text: str, base_version: int) -> Conflict | None:
    """Save the plain form's text as one change, unless the text changed since it was read."""
    return replace_in_document(
        user, manifesto.document_id, f"manifesto:{manifesto.id}", new_text, base_version
    )


def replace_text(user: Any, manifesto: Manifesto, new_text: str) -> None:
    """Make the text this one, whatever it is now (restoring a revision)."""
    replace_in_document(user, manifesto.document_id, f"manifesto:{manifesto.id}", new_text, None)


def replace_in_document(
    user: Any, document_id: int, name: str, new_text: str, base: int | None
) -> Conflict | None:
    """Replace a shared document's text by new_text as one change (None base: whatever it is).

    The change is the smallest replacement (common start and end kept), made on a copy of
    the document by the server and stored like any editor's change; live editors following
    ``name`` receive it. With a base version that is no longer current: a Conflict, nothing
    changed.
    """
    new_text = new_text.replace("\r\n", "\n")
    if len(new_text) > store.MAX_CHARS:
        raise ServiceError("too_long", _("This text is as long as a text here may be."))
    copy = store.live(document_id)
    with copy.lock:
        store.catch_up(copy)
        current = str(copy.text)
        if base is not None and copy.seq != base:
            return Conflict(yours=new_text, current=current, version=copy.seq)
        update = _replacement(copy.doc.get_update(), current, new_text)
        if update is None:
            return None
        collab.apply(document_id, user.id, update, store.Relay(name))
    return None


def document_text(document_id: int) -> tuple[str, int]:
    """A shared document's current text and version."""
    copy = store.live(document_id)
    with copy.lock:
        store.catch_up(copy)
        return str(copy.text), copy.seq


def _replacement(state: bytes, old: str, new: str) -> bytes | None:
    """The v1 update replacing old by new in a document at this state (None: no change)."""
    if old == new:
        return None
    start = 0
    while start < min(len(old), len(new)) and old[start] == new[start]:
        start += 1
    end = 0
    while end < min(len(old), len(new)) - start and old[-1 - end] == new[-1 - end]:
        end += 1
    scratch = pycrdt.Doc()
    scratch.apply_update(state)
    before = scratch.get_state()
    shared = scratch.get(store.ROOT, type=pycrdt.Text)
    # pycrdt counts in UTF-8 bytes; cutting at character boundaries keeps every byte whole.
    at, removed = utf8_len(old[:start]), utf8_len(old[start : len(old) - end])
    with scratch.transaction():
        if removed:
            del shared[at : at + removed]
        if len(new) - end > start:
            shared.insert(at, new[start : len(new) - end])
    return scratch.get_update(before)
