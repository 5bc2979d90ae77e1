"""Single-use things are used once, even by people acting at the same moment.

Each test sends real requests from several threads at once (each with its own client, session
and database connection) against an app on a database file (or PostgreSQL when
TEST_DATABASE_URL names one): an invitation admits one person, a reset link sets one password,
an event with one place takes one "going", a request to join is decided once.
"""

from __future__ import annotations

import threading
from datetime import datetime

import pytest
from sqlalchemy import func, select

from app.campaigns import services as campaigns
from app.extensions import db
from app.models import (
    AuditEntry,
    JoinRequest,
    Membership,
    PasswordResetToken,
    RequestStatus,
    Role,
    Rsvp,
    RsvpResponse,
    utcnow,
)
from app.orgs import services as orgs
from app.tokens import new_token, token_digest
from tests import factories
from tests.conftest import app_on_a_file, sign_in

PEOPLE = 4


@pytest.fixture
def shared_app(tmp_path):
    """An app whose requests really run side by side (not one shared in-memory connection)."""
    with app_on_a_file(tmp_path) as app:
        yield app


def at_once(requests: list) -> list:
    """Run each request function in its own thread, released together; their results."""
    start = threading.Barrier(len(requests))
    results: list = [None] * len(requests)

    def run(i: int, send) -> None:
        start.wait()
        results[i] = send()

    threads = [threading.Thread(target=run, args=(i, r)) for i, r in enumerate(requests)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


def _clients(app, users):
    found = []
    for user in users:
        client = app.test_client()
        sign_in(client, user)
        found.append(client)
    return found


def test_a_single_use_invitation_admits_one_person(shared_app):
    """Four people open the same invitation link at the same moment: one joins."""
    coordinator = factories.make_user("Rosa")
    org = factories.make_org("Comité")
    factories.add_member(org, coordinator, Role.COORDINATOR)
    with shared_app.test_request_context():
        _invitation, token = orgs.create_invitation(coordinator, org)
    people = [factories.make_user(f"Guest {i}") for i in range(PEOPLE)]
    clients = _clients(shared_app, people)
    at_once([lambda c=c: c.post(f"/invite/{token}") for c in clients])
    joined = db.session.scalar(
        select(func.count())
        .select_from(Membership)
        .where(Membership.user_id.in_([p.id for p in people]))
    )
    assert joined == 1


def test_a_reset_link_sets_one_password(shared_app):
    """The same reset link sent twice at once changes the password once."""
    user = factories.make_user("Ana")
    token = new_token(32)
    with shared_app.app_context():
        db.session.add(
            PasswordResetToken(
                user_id=user.id,
                token_hash=token_digest(token),
                expires_at=utcnow().replace(year=utcnow().year + 1),
            )
        )
        db.session.commit()
    passwords = [f"purple mountains at dawn number {i}" for i in range(2)]
    clients = [shared_app.test_client() for _ in passwords]
    results = at_once(
        [
            lambda c=c, p=p: (
                c.post(f"/account/reset/{token}", data={"password": p, "confirm": p}).status_code
            )
            for c, p in zip(clients, passwords, strict=True)
        ]
    )
    assert sorted(results) == [302, 302]  # both answered, neither crashed
    signed_in = [
        factories.PASSWORD
        for p in passwords
        if shared_app.test_client()
        .post("/account/login", data={"email": user.email, "password": p})
        .status_code
        == 302
    ]
    assert len(signed_in) == 1


def test_the_last_place_goes_to_one_person(shared_app):
    """An event with one place: four say "I am going" at once, one gets it."""
    coordinator = factories.make_user("Rosa")
    org = factories.make_org("Comité")
    factories.add_member(org, coordinator, Role.COORDINATOR)
    with shared_app.test_request_context():
        draft = campaigns.EventDraft(
            title="Vigil", timezone="UTC", starts_local=datetime(2027, 3, 1, 17),
            ends_local=datetime(2027, 3, 1, 18), capacity=1,
        )  # fmt: skip
        event = campaigns.create_event(coordinator, org, draft)
    people = [factories.make_user(f"Person {i}") for i in range(PEOPLE)]
    clients = _clients(shared_app, people)
    url = f"/events/{event.id}/rsvp"  # (threads must not touch the test's own objects)
    at_once([lambda c=c: c.post(url, data={"response": "going"}) for c in clients])
    going = db.session.scalar(
        select(func.count())
        .select_from(Rsvp)
        .where(Rsvp.event_id == event.id, Rsvp.response == RsvpResponse.GOING)
    )
    assert going == 1


def test_a_request_to_join_is_decided_once(shared_app):
    """Two coordinators answer the same request at the same moment: one decision counts."""
    org = factories.make_org("Comité")
    bosses = [factories.make_user(f"Coordinator {i}") for i in range(2)]
    for boss in bosses:
        factories.add_member(org, boss, Role.COORDINATOR)
    applicant = factories.make_user("Applicant")
    join = JoinRequest(organisation_id=org.id, user_id=applicant.id)
    db.session.add(join)
    db.session.commit()
    clients = _clients(shared_app, bosses)
    url = f"/organisations/{org.slug}/requests/{join.id}"
    at_once(
        [
            lambda: clients[0].post(url + "/approve"),
            lambda: clients[1].post(url + "/reject"),
        ]
    )
    db.session.expire_all()
    decided = db.session.get(JoinRequest, join.id)
    members = db.session.scalar(
        select(func.count()).select_from(Membership).where(Membership.user_id == applicant.id)
    )
    entries = db.session.scalar(
        select(func.count())
        .select_from(AuditEntry)
        .where(AuditEntry.action.in_(["join.approve", "join.reject"]))
    )
    assert decided.status != RequestStatus.PENDING
    assert members == (1 if decided.status == RequestStatus.APPROVED else 0)
    assert entries == 1
