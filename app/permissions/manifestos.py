"""Manifestos: who reads a draft, who writes it, who manages it, who endorses it."""

from __future__ import annotations

from typing import Any

from app.models import DraftVisibility, Manifesto, ManifestoStatus, ManifestoTranslation
from app.permissions.accounts import signed_in
from app.permissions.audience import Audience, follow, grant
from app.permissions.orgs import is_coordinator

_DRAFTING = ManifestoStatus.DRAFTING
# Once out of drafting (open for endorsement, published, closed) everyone reads it. While
# drafting: its committee always, and the movement or everyone as the committee chose.
MANIFESTO = Audience(
    Manifesto,
    grant("public", status=ManifestoStatus.OPEN),
    grant("public", status=ManifestoStatus.PUBLISHED),
    grant("public", status=ManifestoStatus.CLOSED),
    grant("public", status=_DRAFTING, visibility=DraftVisibility.PUBLIC),
    grant("member", "admin", status=_DRAFTING, visibility=DraftVisibility.MOVEMENT),
    grant("manifesto:{id}", status=_DRAFTING),
)
# The committee's members write the text while it is being drafted; never afterwards.
MANIFESTO_WRITERS = Audience(Manifesto, grant("manifesto:{id}", status=_DRAFTING))
# The committee's coordinators change its details, committee and status.
MANIFESTO_MANAGERS = Audience(Manifesto, grant("manifesto:{id}:coordinator"))


def can_view_manifesto(user: Any, manifesto: Manifesto) -> bool:
    """Open a manifesto's page and read (or follow live) its text."""
    return MANIFESTO.allows(user, manifesto)


def can_write_manifesto(user: Any, manifesto: Manifesto) -> bool:
    """Change the text: members of the drafting committee, while drafting."""
    return MANIFESTO_WRITERS.allows(user, manifesto)


def can_manage_manifesto(user: Any, manifesto: Manifesto) -> bool:
    """Change the title, language, visibility, committee and status: its coordinators."""
    return MANIFESTO_MANAGERS.allows(user, manifesto)


def can_start_manifesto(user: Any, org: Any) -> bool:
    """Start a manifesto with an organisation as its first committee member: its coordinators."""
    return signed_in(user) and is_coordinator(user, org)


def can_endorse_manifesto(user: Any, manifesto: Manifesto, org: Any) -> bool:
    """Sign in an organisation's name: its coordinators, while the manifesto is open for it."""
    return (
        manifesto.status == ManifestoStatus.OPEN
        and signed_in(user)
        and is_coordinator(user, org)
        and can_view_manifesto(user, manifesto)
    )


# Translations: read by whoever reads the manifesto; written by the committee's members
# until the manifesto is closed (a translation may go on after the source is open to sign).
MANIFESTO_TRANSLATORS = Audience(
    Manifesto,
    grant("manifesto:{id}", status=_DRAFTING),
    grant("manifesto:{id}", status=ManifestoStatus.OPEN),
    grant("manifesto:{id}", status=ManifestoStatus.PUBLISHED),
)
TRANSLATION = Audience(ManifestoTranslation, follow("manifesto", MANIFESTO))
TRANSLATION_WRITERS = Audience(ManifestoTranslation, follow("manifesto", MANIFESTO_TRANSLATORS))


def can_translate_manifesto(user: Any, manifesto: Manifesto) -> bool:
    """Start a translation and mark its paragraphs: the committee, until it is closed."""
    return MANIFESTO_TRANSLATORS.allows(user, manifesto)


def can_write_translation(user: Any, translation: ManifestoTranslation) -> bool:
    """Change a translation's text (live or with the plain form)."""
    return TRANSLATION_WRITERS.allows(user, translation)


# Comments are the committee's working notes: its members read, write and resolve them.
MANIFESTO_COMMITTEE = Audience(Manifesto, grant("manifesto:{id}"))


def can_comment_manifesto(user: Any, manifesto: Manifesto) -> bool:
    """Read, write, answer and resolve comments on passages: the drafting committee."""
    return MANIFESTO_COMMITTEE.allows(user, manifesto)
