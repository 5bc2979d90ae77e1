"""All models, imported here so Alembic and the app see every table."""

from app.models.audit import AuditEntry
from app.models.base import AppState, Base, utcnow
from app.models.campaigns import (
    CalendarToken,
    Campaign,
    CampaignParticipant,
    CampaignStatus,
    Event,
    EventOverride,
    ParticipationStatus,
    Rsvp,
    RsvpResponse,
    Visibility,
)
from app.models.mail import OutboxMail
from app.models.orgs import (
    Invitation,
    JoinRequest,
    Membership,
    Organisation,
    OrganisationLanguage,
    OrgStatus,
    RequestStatus,
    Role,
)
from app.models.rooms import (
    Mention,
    Message,
    MessageReport,
    MessageRevision,
    ReadMarker,
    Room,
    RoomMute,
    RoomPresence,
    RoomScope,
)
from app.models.users import KnownSignIn, LiveSocket, PasswordResetToken, User, UserSession

__all__ = [
    "AppState",
    "KnownSignIn",
    "UserSession",
    "AuditEntry",
    "CalendarToken",
    "Campaign",
    "CampaignParticipant",
    "CampaignStatus",
    "Event",
    "EventOverride",
    "ParticipationStatus",
    "Rsvp",
    "RsvpResponse",
    "Visibility",
    "Base",
    "Invitation",
    "JoinRequest",
    "LiveSocket",
    "Mention",
    "Message",
    "MessageReport",
    "MessageRevision",
    "ReadMarker",
    "Room",
    "RoomMute",
    "RoomPresence",
    "RoomScope",
    "Membership",
    "Organisation",
    "OrganisationLanguage",
    "OrgStatus",
    "OutboxMail",
    "PasswordResetToken",
    "RequestStatus",
    "Role",
    "User",
    "utcnow",
]
