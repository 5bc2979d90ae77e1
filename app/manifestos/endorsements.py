"""Endorsements: an organisation signs the exact text of one revision, and may withdraw.

An endorsement keeps the revision it signed and that text's SHA-256. When the text changes
afterwards, the endorsement still says which revision it signed, and the organisation's
coordinators are asked to confirm again (binding it to the new revision) or to withdraw.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select

from app.db import atomic
from app.errors import ServiceError
from app.extensions import db
from app.manifestos import revisions, services
from app.models import Endorsement, Manifesto, Organisation, utcnow
from app.permissions import can_endorse_manifesto

SIGNER_CHARS = 120
STATEMENT_CHARS = 2_000


@dataclass(frozen=True)
class Signature:
    """What the endorsement form sets."""

    signer_name: str
    statement: str


def current_hash(manifesto: Manifesto) -> str:
    """The SHA-256 of the text as it is now (what a signature given now binds to)."""
    return revisions.content_hash(services.text(manifesto)[0])


def signs(endorsement: Endorsement, text_hash: str) -> bool:
    """Whether a signature was given for the text with this fingerprint (not an older one)."""
    return endorsement.content_hash == text_hash


def _refuse() -> ServiceError:
    return ServiceError("forbidden", _("You cannot sign this manifesto for this organisation."))


def endorse(
    user: Any, manifesto: Manifesto, org: Organisation, signature: Signature
) -> Endorsement:
    """Sign the current text in org's name (again, if it had signed or withdrawn before)."""
    if not can_endorse_manifesto(user, manifesto, org):
        raise _refuse()
    revision = revisions.current(manifesto, user)
    with atomic():
        endorsement = _of(manifesto, org) or Endorsement(
            manifesto_id=manifesto.id, organisation_id=org.id
        )
        endorsement.revision_id = revision.id
        endorsement.content_hash = revision.content_hash
        endorsement.signer_name = signature.signer_name.strip()[:SIGNER_CHARS]
        endorsement.statement = signature.statement.strip()[:STATEMENT_CHARS]
        endorsement.signed_by_id = user.id
        endorsement.signed_at = utcnow()
        endorsement.withdrawn_at = None
        db.session.add(endorsement)
    return endorsement


def confirm(user: Any, manifesto: Manifesto, org: Organisation) -> Endorsement:
    """Confirm an endorsement for the text as it is now (after it changed)."""
    endorsement = _of(manifesto, org)
    if endorsement is None or endorsement.withdrawn_at is not None:
        raise _refuse()
    return endorse(user, manifesto, org, Signature(endorsement.signer_name, endorsement.statement))


def withdraw(user: Any, manifesto: Manifesto, org: Organisation) -> None:
    """Take the organisation's signature back (kept, marked withdrawn)."""
    if not can_endorse_manifesto(user, manifesto, org):
        raise _refuse()
    endorsement = _of(manifesto, org)
    if endorsement is None or endorsement.withdrawn_at is not None:
        return
    with atomic():
        endorsement.withdrawn_at = utcnow()


def _of(manifesto: Manifesto, org: Organisation) -> Endorsement | None:
    return db.session.scalar(
        select(Endorsement).where(
            Endorsement.manifesto_id == manifesto.id, Endorsement.organisation_id == org.id
        )
    )


def active(manifesto: Manifesto, country: str = "") -> list[Endorsement]:
    """The signatures standing (not withdrawn), by organisation name; of one country if given."""
    query = (
        select(Endorsement)
        .join(Organisation, Organisation.id == Endorsement.organisation_id)
        .where(Endorsement.manifesto_id == manifesto.id, Endorsement.withdrawn_at.is_(None))
        .order_by(Organisation.name)
    )
    if country:
        query = query.where(Organisation.country == country)
    return list(db.session.scalars(query))


def by_country(manifesto: Manifesto) -> list[tuple[str, int]]:
    """How many organisations signed, per country, the most first."""
    counts = Counter(e.organisation.country for e in active(manifesto))
    return sorted(counts.items(), key=lambda pair: (-pair[1], pair[0]))


def of_orgs(manifesto: Manifesto, orgs: list[Organisation]) -> dict[int, Endorsement]:
    """The endorsements (standing or withdrawn) of these organisations, by organisation id."""
    ids = [org.id for org in orgs]
    if not ids:
        return {}
    rows = db.session.scalars(
        select(Endorsement).where(
            Endorsement.manifesto_id == manifesto.id, Endorsement.organisation_id.in_(ids)
        )
    )
    return {e.organisation_id: e for e in rows}
