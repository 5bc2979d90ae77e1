"""A property test of the one policy: in random worlds, every list and count shows exactly
what the per-object check allows, both agree with the product's rules written out plainly
here, and a live connection is put in exactly the channels of the rooms its person may read.

Worlds have people (one may be an admin, one suspended), organisations (approved, pending,
rejected), memberships in both roles, campaigns of every visibility with participants in
every status, rooms of every scope and events of every visibility.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from app.campaigns import queries as campaign_queries
from app.extensions import db
from app.models import (
    Campaign,
    CampaignParticipant,
    Event,
    Membership,
    Message,
    Organisation,
    OrgStatus,
    ParticipationStatus,
    Role,
    Room,
    RoomScope,
    User,
    Visibility,
)
from app.permissions import (
    CAMPAIGN,
    EVENT,
    MESSAGE,
    ORGANISATION,
    ROOM,
    can_view_campaign,
    can_view_event,
    can_view_org,
    can_view_room,
)
from app.rooms import queries as room_queries
from tests.conftest import channels_of, sign_in, socket_client

STATUSES = list(OrgStatus)
ROLES = [None, Role.MEMBER, Role.COORDINATOR]
PARTICIPATION = [None, *ParticipationStatus]


@dataclass
class Spec:
    """A world as plain data, drawn by hypothesis."""

    users: list[tuple[bool, bool]]  # (is_admin, suspended)
    orgs: list[tuple[OrgStatus, int]]  # (status, requester index)
    roles: list[list[Role | None]]  # roles[user][org]
    campaigns: list[tuple[int, Visibility, list[ParticipationStatus | None]]]
    rooms: list[tuple[RoomScope, int, bool]]  # (scope, org or campaign index, archived)
    events: list[tuple[int | None, int, Visibility]]  # (campaign index, org index, visibility)
    made: dict = field(default_factory=dict)


@st.composite
def specs(draw) -> Spec:
    n_users = draw(st.integers(2, 6))
    n_orgs = draw(st.integers(1, 4))
    users = [(draw(st.booleans()), draw(st.integers(0, 5)) == 0) for _ in range(n_users)]
    orgs = [(draw(st.sampled_from(STATUSES)), draw(st.integers(0, n_users - 1))) for _ in range(n_orgs)]  # noqa: E501
    roles = [[draw(st.sampled_from(ROLES)) for _ in range(n_orgs)] for _ in range(n_users)]
    campaigns = [
        (
            draw(st.integers(0, n_orgs - 1)),
            draw(st.sampled_from(list(Visibility))),
            [draw(st.sampled_from(PARTICIPATION)) for _ in range(n_orgs)],
        )
        for _ in range(draw(st.integers(0, 3)))
    ]
    scopes = [RoomScope.MOVEMENT, RoomScope.ORGANISATION] + (
        [RoomScope.CAMPAIGN] if campaigns else []
    )
    rooms = []
    for _ in range(draw(st.integers(0, 5))):
        scope = draw(st.sampled_from(scopes))
        bound = len(campaigns) if scope == RoomScope.CAMPAIGN else n_orgs
        rooms.append((scope, draw(st.integers(0, bound - 1)), draw(st.booleans())))
    events = []
    for _ in range(draw(st.integers(0, 5))):
        in_campaign = bool(campaigns) and draw(st.booleans())
        events.append(
            (
                draw(st.integers(0, len(campaigns) - 1)) if in_campaign else None,
                draw(st.integers(0, n_orgs - 1)),
                draw(st.sampled_from(list(Visibility))),
            )
        )
    return Spec(users, orgs, roles, campaigns, rooms, events)


def _empty_database() -> None:
    db.session.rollback()
    for table in reversed(db.metadata.sorted_tables):
        db.session.execute(table.delete())
    db.session.commit()


def build(spec: Spec) -> dict:
    """The world in the database, and its rows by kind."""
    _empty_database()
    now = datetime(2027, 3, 1, tzinfo=UTC)
    users = [
        User(email=f"p{i}@example.org", display_name=f"P{i}", password_hash="x",
             is_admin=admin, suspended_at=now if suspended else None)
        for i, (admin, suspended) in enumerate(spec.users)
    ]  # fmt: skip
    db.session.add_all(users)
    db.session.flush()
    orgs = [
        Organisation(slug=f"o{i}", name=f"O{i}", country="HN", status=status,
                     requested_by_id=users[requester].id)
        for i, (status, requester) in enumerate(spec.orgs)
    ]  # fmt: skip
    db.session.add_all(orgs)
    db.session.flush()
    for u, row in enumerate(spec.roles):
        for o, role in enumerate(row):
            if role is not None:
                db.session.add(
                    Membership(user_id=users[u].id, organisation_id=orgs[o].id, role=role)
                )
    campaigns = []
    for i, (lead, visibility, statuses) in enumerate(spec.campaigns):
        campaign = Campaign(
            slug=f"c{i}", title=f"C{i}", starts_on=date(2027, 3, 1), ends_on=date(2027, 3, 9),
            visibility=visibility, lead_organisation_id=orgs[lead].id,
        )  # fmt: skip
        db.session.add(campaign)
        db.session.flush()
        for o, status in enumerate(statuses):
            if status is not None and o != lead:
                db.session.add(
                    CampaignParticipant(
                        campaign_id=campaign.id, organisation_id=orgs[o].id, status=status
                    )
                )
        campaigns.append(campaign)
    rooms = []
    for i, (scope, index, archived) in enumerate(spec.rooms):
        room = Room(
            name=f"R{i}", scope=scope, archived_at=now if archived else None,
            organisation_id=orgs[index].id if scope == RoomScope.ORGANISATION else None,
            campaign_id=campaigns[index].id if scope == RoomScope.CAMPAIGN else None,
        )  # fmt: skip
        db.session.add(room)
        db.session.flush()
        db.session.add(Message(room_id=room.id, seq=1, client_id=f"m{i}xxxxxx", body="hi"))
        rooms.append(room)
    events = []
    for i, (campaign, org, visibility) in enumerate(spec.events):
        event = Event(
            uid=f"e{i}", title=f"E{i}", timezone="UTC",
            starts_at=now, ends_at=now + timedelta(hours=1),
            organisation_id=orgs[org].id, visibility=visibility,
            campaign_id=campaigns[campaign].id if campaign is not None else None,
        )  # fmt: skip
        db.session.add(event)
        events.append(event)
    db.session.commit()
    return {"users": users, "orgs": orgs, "campaigns": campaigns, "rooms": rooms, "events": events}


# --- the product's rules, written out plainly (the oracle) -------------------------------------


class Oracle:
    """Who may see what, in the words of PRODUCT.md and the issues, knowing nothing of tokens."""

    def __init__(self, spec: Spec, world: dict, u: int | None) -> None:
        self.spec, self.world = spec, world
        active = u is not None and not spec.users[u][1]
        self.u = u if active else None
        self.admin = active and spec.users[u][0]
        # Memberships count only in approved organisations.
        self.roles = {
            o: role
            for o, role in enumerate(spec.roles[u] if active else [])
            if role is not None and spec.orgs[o][0] == OrgStatus.APPROVED
        }
        self.movement = self.admin or bool(self.roles)

    def taking_part(self, c: int) -> set[int]:
        lead, _visibility, statuses = self.spec.campaigns[c]
        accepted = {o for o, s in enumerate(statuses) if s == ParticipationStatus.ACCEPTED}
        return (accepted - {lead}) | {lead}

    def org(self, o: int) -> bool:
        status, requester = self.spec.orgs[o]
        return status == OrgStatus.APPROVED or self.admin or (self.u == requester)

    def campaign(self, c: int) -> bool:
        lead, visibility, statuses = self.spec.campaigns[c]
        if visibility == Visibility.PUBLIC:
            return True
        if visibility == Visibility.MOVEMENT and self.movement:
            return True
        if self.taking_part(c) & set(self.roles):
            return True
        invited = {
            o for o, s in enumerate(statuses) if s == ParticipationStatus.INVITED and o != lead
        }
        return any(self.roles.get(o) == Role.COORDINATOR for o in invited)

    def room(self, r: int) -> bool:
        scope, index, _archived = self.spec.rooms[r]
        if self.u is None:
            return False
        if scope == RoomScope.MOVEMENT:
            return self.movement
        if scope == RoomScope.ORGANISATION:
            return index in self.roles
        return bool(self.taking_part(index) & set(self.roles))

    def event(self, e: int) -> bool:
        campaign, org, visibility = self.spec.events[e]
        if campaign is not None:
            return self.campaign(campaign)
        if visibility == Visibility.PUBLIC:
            return True
        if visibility == Visibility.MOVEMENT:
            return self.movement
        return org in self.roles


def _ids(query) -> set[int]:
    return set(db.session.scalars(query))


def _count(audience, user) -> int:
    return db.session.scalar(
        select(func.count()).select_from(audience.model).where(audience.where(user))
    )


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(spec=specs())
def test_lists_counts_checks_and_rules_agree(app, spec):
    """For every person: each list and count = what the per-object check allows = the rule."""
    world = build(spec)
    people: list[int | None] = [None, *range(len(spec.users))]
    for u in people:
        user = None if u is None else world["users"][u]
        viewer = user if user is not None else _Anonymous()
        rule = Oracle(spec, world, u)
        for kind, audience, check, listed, allowed in (
            ("orgs", ORGANISATION, can_view_org, None, rule.org),
            ("campaigns", CAMPAIGN, can_view_campaign, _campaign_list, rule.campaign),
            ("rooms", ROOM, can_view_room, _room_list, rule.room),
            ("events", EVENT, can_view_event, _event_list, rule.event),
        ):
            rows = world[kind]
            expected = {row.id for i, row in enumerate(rows) if allowed(i)}
            by_check = {row.id for row in rows if check(viewer, row)}
            by_sql = _ids(select(audience.model.id).where(audience.where(viewer)))
            assert by_check == expected, (kind, u)
            assert by_sql == expected, (kind, u)
            assert _count(audience, viewer) == len(expected), (kind, u)
            if listed is not None:
                assert listed(viewer) == expected, (kind, u)
        readable = {room.id for i, room in enumerate(world["rooms"]) if rule.room(i)}
        messages = _ids(select(Message.room_id).where(MESSAGE.where(viewer)))
        assert messages == readable, ("messages", u)


class _Anonymous:
    """What Flask-Login gives for a visitor."""

    is_authenticated = False
    is_active = False
    id = None


def _campaign_list(viewer) -> set[int]:
    return {c.id for c in campaign_queries.visible_campaigns(viewer)}


def _room_list(viewer) -> set[int]:
    if not viewer.is_authenticated:
        return set()
    return {r.id for r in room_queries.visible_rooms(viewer)}


def _event_list(viewer) -> set[int]:
    return {e.id for e in campaign_queries.visible_events(viewer)}


@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(spec=specs())
def test_live_connections_join_exactly_the_channels_of_readable_rooms(app, spec):
    """A connection's channels reach a room's audience exactly when its person may read it."""
    world = build(spec)
    for u, user in enumerate(world["users"]):
        http = app.test_client()
        sign_in(http, user)
        sock = socket_client(app, http)
        if spec.users[u][1]:
            assert not sock.is_connected()  # suspended: refused
            continue
        joined = channels_of(sock)
        rule = Oracle(spec, world, u)
        for i, room in enumerate(world["rooms"]):
            reached = bool(joined & set(ROOM.tokens(room)))
            assert reached == rule.room(i), (u, i, joined)
        sock.disconnect()
