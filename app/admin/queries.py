"""Read-only queries of the administration pages."""

from __future__ import annotations

from sqlalchemy import Select, or_, select
from sqlalchemy.orm import selectinload

from app.extensions import db
from app.models import AuditEntry, Organisation, OrgStatus, OutboxMail, User
from app.permissions import found_or_404


def get_org_or_404(org_id: int) -> Organisation:
    """An organisation by number (admins see every one)."""
    return found_or_404(db.session.get(Organisation, org_id))


def get_user_or_404(user_id: int) -> User:
    """An account by number."""
    return found_or_404(db.session.get(User, user_id))


def waiting_orgs() -> list[Organisation]:
    """Organisations waiting for approval, oldest first, with who asked."""
    return list(
        db.session.scalars(
            select(Organisation)
            .options(selectinload(Organisation.requested_by))
            .where(Organisation.status == OrgStatus.PENDING)
            .order_by(Organisation.created_at)
        )
    )


def accounts(q: str = "") -> Select:
    """Accounts by name, those whose address or name contains q."""
    query = select(User).order_by(User.display_name)
    if q:
        like = f"%{q.lower()}%"
        query = query.where(or_(User.email.like(like), User.display_name.ilike(like)))
    return query


def audit_entries() -> Select:
    """The audit log, newest first, with the people and organisations it names."""
    return (
        select(AuditEntry)
        .options(
            selectinload(AuditEntry.actor),
            selectinload(AuditEntry.target_user),
            selectinload(AuditEntry.organisation),
        )
        .order_by(AuditEntry.created_at.desc(), AuditEntry.id.desc())
    )


def outbox() -> Select:
    """Mail kept in the outbox, newest first."""
    return select(OutboxMail).order_by(OutboxMail.created_at.desc(), OutboxMail.id.desc())
