"""Recording administrator and coordinator actions in the audit log."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l

from app.extensions import db
from app.models import AuditEntry, Organisation, User

# How each action reads in the log, in the reader's language.
ACTION_LABELS = {
    "org.approve": _l("approved the organisation"),
    "org.reject": _l("rejected the organisation"),
    "org.edit": _l("edited the organisation's profile"),
    "user.suspend": _l("suspended the account"),
    "user.unsuspend": _l("restored the account"),
    "invitation.create": _l("created an invitation link"),
    "invitation.revoke": _l("revoked an invitation link"),
    "join.approve": _l("approved a request to join"),
    "join.reject": _l("declined a request to join"),
    "member.role": _l("changed a member's role"),
    "member.remove": _l("removed a member"),
    "room.create": _l("opened a discussion room"),
    "room.archive": _l("archived a discussion room"),
    "room.unarchive": _l("opened an archived discussion room again"),
    "message.delete": _l("deleted a message as moderator"),
    "member.mute": _l("muted a person in a room"),
    "member.unmute": _l("let a muted person write again"),
    "report.resolve": _l("closed a report about a message"),
    "room.edit": _l("changed a discussion room's name or audience"),
    "campaign.create": _l("started a campaign"),
    "campaign.edit": _l("edited a campaign"),
    "campaign.invite": _l("invited an organisation to a campaign"),
    "campaign.accept": _l("accepted to take part in a campaign"),
    "campaign.decline": _l("declined to take part in a campaign"),
    "campaign.remove": _l("took an organisation off a campaign"),
    "event.create": _l("added an event"),
    "event.edit": _l("changed an event"),
    "event.cancel": _l("cancelled an event"),
    "event.restore": _l("restored a cancelled event"),
    "event.occurrence": _l("changed or cancelled one date of an event"),
    "events.import": _l("imported events from a calendar file"),
    "document.add": _l("added a document to the library"),
    "document.version": _l("uploaded a new version of a document"),
    "document.edit": _l("changed a document's details"),
    "document.delete": _l("moved a document to the bin"),
    "document.restore": _l("restored a document from the bin"),
}


def record(
    actor: User | None,
    action: str,
    *,
    org: Organisation | None = None,
    target: User | None = None,
    **details: Any,
) -> AuditEntry:
    """Add an audit entry to the session; the caller's commit writes it with the change."""
    if action not in ACTION_LABELS:
        raise ValueError(f"unknown audit action {action!r}")
    entry = AuditEntry(
        actor_id=actor.id if actor else None,
        action=action,
        organisation_id=org.id if org else None,
        target_user_id=target.id if target else None,
        details={k: str(v) for k, v in details.items()},
    )
    db.session.add(entry)
    return entry


def label(action: str) -> str:
    """What an audit action did, in the reader's language (the code itself when unknown)."""
    return str(ACTION_LABELS.get(action, action))
