"""Reading manifestos: the ones a person may see, one by id, organisations to pick from."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from app.extensions import db
from app.models import Manifesto, Organisation, OrgStatus
from app.orgs.queries import my_orgs
from app.permissions import MANIFESTO, can_start_manifesto, can_view_manifesto, found_or_404


def visible(user: Any) -> list[Manifesto]:
    """The manifestos this person may read, the most recently changed first (at most 200)."""
    return list(
        db.session.scalars(
            select(Manifesto)
            .where(MANIFESTO.where(user))
            .order_by(Manifesto.updated_at.desc(), Manifesto.id.desc())
            .limit(200)
        )
    )


def get_or_404(manifesto_id: int, user: Any) -> Manifesto:
    """The manifesto, if this person may read it (else 404, whether it exists or not)."""
    return found_or_404(db.session.get(Manifesto, manifesto_id), can_view_manifesto, user)


def starting_orgs(user: Any) -> list[Organisation]:
    """The organisations in whose name this person may start a manifesto."""
    return [org for org in my_orgs(user) if can_start_manifesto(user, org)]


def other_orgs(manifesto: Manifesto) -> list[Organisation]:
    """Approved organisations not yet on the committee, by name (to add one)."""
    inside = {c.organisation_id for c in manifesto.committee}
    rows = db.session.scalars(
        select(Organisation)
        .where(Organisation.status == OrgStatus.APPROVED)
        .order_by(Organisation.name)
    )
    return [org for org in rows if org.id not in inside]
