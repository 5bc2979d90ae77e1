"""Organisations from request to approval, directory, invitations, join requests, roles,
member-list privacy, profile editing and account suspension — as people use them."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app.models import (
    AuditEntry,
    Invitation,
    JoinRequest,
    Membership,
    Organisation,
    OrgStatus,
    OutboxMail,
    RequestStatus,
    Role,
    User,
    utcnow,
)
from tests import factories
from tests.conftest import login_with_form, sign_in
from tests.test_auth_accounts import confirm_from_mail

PASSWORD = factories.PASSWORD


# --- helpers ---------------------------------------------------------------------------------


def client_for(app, user: User | None = None):
    """A browser of its own, signed in as user (anonymous when None)."""
    client = app.test_client()
    if user is not None:
        sign_in(client, user)
    return client


def text(response) -> str:
    return response.get_data(as_text=True)


def membership_of(db, user: User, org: Organisation) -> Membership | None:
    return db.session.scalar(select(Membership).filter_by(user_id=user.id, organisation_id=org.id))


def audit_actions(db, action: str) -> list[AuditEntry]:
    return list(db.session.scalars(select(AuditEntry).filter_by(action=action)))


def directory_page(app, **params) -> str:
    return text(app.test_client().get("/organisations/", query_string=params))


ORG_FORM = {
    "name": "Madres Unidas de Yoro",
    "country": "HN",
    "region": "Yoro",
    "languages": ["es", "en"],
    "description": "We search for our **children**.",
    "website": "https://madres.example.org",
    "contact_email": "contact@madres.example.org",
}


# --- 1. requesting an organisation ------------------------------------------------------------


def test_requested_organisation_waits_and_is_visible_only_to_requester_and_admins(app, db, world):
    """A requested organisation waits for approval: its requester and admins see it, nobody else."""
    requester = client_for(app, world.outsider)
    response = requester.post("/organisations/new", data=ORG_FORM)
    org = db.session.scalar(select(Organisation).filter_by(name="Madres Unidas de Yoro"))
    assert org is not None and org.status == OrgStatus.PENDING
    assert org.language_codes == ["en", "es"] and org.requested_by_id == world.outsider.id
    assert response.status_code == 302 and response.location.endswith(f"/organisations/{org.slug}")

    page = text(requester.get(f"/organisations/{org.slug}"))
    assert "waiting for approval by an administrator" in page
    assert "<strong>children</strong>" in page and "https://madres.example.org" in page
    assert client_for(app, world.admin).get(f"/organisations/{org.slug}").status_code == 200
    for stranger in (None, world.member, world.coordinator):
        assert client_for(app, stranger).get(f"/organisations/{org.slug}").status_code == 404
    assert "Madres Unidas de Yoro" not in directory_page(app)


@pytest.mark.parametrize(
    "change, error",
    [
        ({"name": ""}, "Please enter a name."),
        ({"languages": []}, "Choose at least one language."),
        ({"website": "javascript:alert(1)"}, "Enter a full address starting with https://"),
    ],
)
def test_invalid_organisation_request_shows_the_form_again(app, db, world, change, error):
    """A request with a missing name or language, or a non-web website, is refused with a reason."""
    before = db.session.scalar(select(func.count()).select_from(Organisation))
    response = client_for(app, world.outsider).post(
        "/organisations/new", data={**ORG_FORM, **change}
    )
    assert response.status_code == 200
    assert error in text(response) and "A new organisation" in text(response)
    assert db.session.scalar(select(func.count()).select_from(Organisation)) == before


# --- 2. the administrators' approval queue ----------------------------------------------------


def test_admin_approves_organisation_and_requester_becomes_coordinator(app, db, world):
    """An admin approves a waiting organisation: it is listed, and its requester coordinates it."""
    admin = client_for(app, world.admin)
    queue = text(admin.get("/admin/"))
    assert "Pending Network" in queue and "Nora Requester" in queue
    assert (
        client_for(app, world.outsider)
        .post(f"/admin/organisations/{world.pending.id}/approve")
        .status_code
        == 403
    )

    response = admin.post(f"/admin/organisations/{world.pending.id}/approve")
    assert response.status_code == 302
    assert world.pending.status == OrgStatus.APPROVED
    assert "Pending Network" in directory_page(app)
    assert "No organisation is waiting." in text(admin.get("/admin/"))

    members = client_for(app, world.requester).get(f"/organisations/{world.pending.slug}/members")
    assert members.status_code == 200 and "Nora Requester" in text(members)
    assert membership_of(db, world.requester, world.pending).role == Role.COORDINATOR
    mail = db.session.scalar(select(OutboxMail).filter_by(recipient=world.requester.email))
    assert mail is not None and "Pending Network" in mail.body
    [entry] = audit_actions(db, "org.approve")
    assert entry.organisation_id == world.pending.id and entry.actor_id == world.admin.id
    log = text(admin.get("/admin/audit"))
    assert "approved the organisation" in log and "Pending Network" in log
    # A decided organisation cannot be decided again.
    assert admin.post(f"/admin/organisations/{world.pending.id}/approve").status_code == 403


def test_admin_rejects_organisation_with_a_reason(app, db, world):
    """An admin declines a request with a reason: the requester is told why, it stays unlisted."""
    admin = client_for(app, world.admin)
    reason = "We could not reach you by phone."
    response = admin.post(
        f"/admin/organisations/{world.pending.id}/reject", data={"reason": reason}
    )
    assert response.status_code == 302
    assert world.pending.status == OrgStatus.REJECTED
    mail = db.session.scalar(select(OutboxMail).filter_by(recipient=world.requester.email))
    assert mail is not None and reason in mail.body
    [entry] = audit_actions(db, "org.reject")
    assert entry.details["reason"] == reason
    log = text(admin.get("/admin/audit"))
    assert "rejected the organisation" in log and reason in log
    assert "Pending Network" not in directory_page(app)
    page = text(client_for(app, world.requester).get(f"/organisations/{world.pending.slug}"))
    assert "This request was not approved." in page
    assert membership_of(db, world.requester, world.pending) is None


# --- 3. the directory -------------------------------------------------------------------------


@pytest.fixture
def directory_orgs(db):
    factories.make_org("Madres de Honduras", country="HN", region="Yoro", languages=("es",))
    factories.make_org(
        "Comité El Progreso", country="HN", region="El Progreso", languages=("es", "en")
    )
    factories.make_org("Mères de Dakar", country="SN", region="Dakar", languages=("fr", "wo"))
    factories.make_org("Madri di Palermo", country="IT", region="Sicilia", languages=("it",))
    factories.make_org("Madres Ocultas", status=OrgStatus.PENDING, country="HN")
    return ["Madres de Honduras", "Comité El Progreso", "Mères de Dakar", "Madri di Palermo"]


@pytest.mark.parametrize(
    "params, expected",
    [
        ({}, {"Madres de Honduras", "Comité El Progreso", "Mères de Dakar", "Madri di Palermo"}),
        ({"country": "HN"}, {"Madres de Honduras", "Comité El Progreso"}),
        ({"country": "HN", "region": "Yoro"}, {"Madres de Honduras"}),
        ({"region": "Dakar"}, {"Mères de Dakar"}),
        ({"language": "it"}, {"Madri di Palermo"}),
        ({"language": "en"}, {"Comité El Progreso"}),
        ({"q": "madr"}, {"Madres de Honduras", "Madri di Palermo"}),
        ({"q": "zzz"}, set()),
    ],
)
def test_directory_filters_narrow_the_list(app, directory_orgs, params, expected):
    """Each directory filter (country, region, language, name) shows only matching organisations."""
    page = directory_page(app, **params)
    shown = {name for name in directory_orgs if name in page}
    assert shown == expected
    assert "Madres Ocultas" not in page
    assert f"{len(expected)} organisation" in page
    if not expected:
        assert "No organisation matches these filters." in page


@pytest.mark.parametrize("q, expected", [("%", "100% Madres"), ("_", "Madres_Unidas")])
def test_directory_search_treats_wildcards_literally(app, db, q, expected):
    """Searching for "%" or "_" finds names containing that character, not every organisation."""
    for name in ("100% Madres", "Madres_Unidas", "Comité Sencillo"):
        factories.make_org(name)
    page = directory_page(app, q=q)
    assert expected in page and "1 organisation found." in page
    others = {"100% Madres", "Madres_Unidas", "Comité Sencillo"} - {expected}
    assert not any(name in page for name in others)


def test_directory_pages_by_twenty(app, db):
    """With 25 organisations, the first page shows 20 and the second page the other 5."""
    names = [f"Committee {n:02d}" for n in range(1, 26)]
    for name in names:
        factories.make_org(name)
    first = directory_page(app)
    assert "25 organisations found." in first and "Page 1 of 2" in first
    assert all(name in first for name in names[:20])
    assert not any(name in first for name in names[20:])
    second = directory_page(app, page=2)
    assert all(name in second for name in names[20:])
    assert not any(name in second for name in names[:20])
    filtered = directory_page(app, q="Committee")
    assert re.search(r'href="[^"]*page=2[^"]*"', filtered) and "q=Committee" in filtered


# --- 4. invitations ---------------------------------------------------------------------------


def create_invitation(app, world, note: str = "For Marta") -> str:
    """The coordinator creates an invitation link; return its token."""
    response = client_for(app, world.coordinator).post(
        f"/organisations/{world.org.slug}/invitations", data={"note": note}
    )
    assert response.status_code == 200
    match = re.search(r'value="http://localhost/invite/([A-Za-z0-9_-]+)"', text(response))
    assert match, "the new invitation link is not shown"
    return match.group(1)


def test_invitation_link_lets_a_new_person_join_once(app, db, world):
    """A coordinator's invitation link lets a new person create an account and join, once."""
    token = create_invitation(app, world)
    invitation = db.session.scalar(select(Invitation))
    assert invitation.token_hash != token and token not in invitation.token_hash
    assert invitation.note == "For Marta"
    [entry] = audit_actions(db, "invitation.create")
    assert entry.organisation_id == world.org.id and token not in str(entry.details)
    assert token not in text(
        client_for(app, world.coordinator).get(f"/organisations/{world.org.slug}/invitations")
    )  # shown once, never again

    visitor = app.test_client()
    opened = visitor.get(f"/invite/{token}")
    assert opened.status_code == 302 and token not in opened.location  # out of the address
    landing = visitor.get(opened.location)
    page = text(landing)
    assert landing.status_code == 200 and "You are invited to join" in page
    assert world.org.name in page and token not in page
    assert re.search(r'href="/account/register\?next=[^"]*invite', page)
    assert re.search(r'href="/account/login\?next=[^"]*invite', page)

    registered = visitor.post(
        "/account/register?next=/invite",
        data={
            "display_name": "Marta Nueva",
            "email": "marta@example.org",
            "password": PASSWORD,
            "confirm": PASSWORD,
            "locale": "es",
            "timezone": "America/Tegucigalpa",
        },
    )
    assert registered.status_code == 302
    finished = confirm_from_mail(visitor, "marta@example.org", PASSWORD)
    assert finished.status_code == 302 and finished.location.endswith("/invite")
    joined = visitor.post("/invite")
    assert joined.status_code == 302
    assert joined.location.endswith(f"/organisations/{world.org.slug}")

    marta = db.session.scalar(select(User).filter_by(email="marta@example.org"))
    assert membership_of(db, marta, world.org).role == Role.MEMBER
    members = text(
        client_for(app, world.coordinator).get(f"/organisations/{world.org.slug}/members")
    )
    assert "Marta Nueva" in members
    assert visitor.get(f"/organisations/{world.org.slug}/members").status_code == 200

    used = client_for(app, world.outsider).get(f"/invite/{token}")
    assert used.status_code == 404 and "This invitation no longer works" in text(used)
    assert client_for(app, world.outsider).post(f"/invite/{token}").status_code == 404
    assert membership_of(db, world.outsider, world.org) is None


@pytest.mark.parametrize("how", ["revoked", "expired"])
def test_revoked_or_expired_invitation_no_longer_works(app, db, world, how):
    """A revoked or expired link says that it no longer works and lets nobody join."""
    token = create_invitation(app, world)
    invitation = db.session.scalar(select(Invitation))
    coordinator = client_for(app, world.coordinator)
    if how == "revoked":
        assert (
            coordinator.post(
                f"/organisations/{world.org.slug}/invitations/{invitation.id}/revoke"
            ).status_code
            == 302
        )
        assert [e.organisation_id for e in audit_actions(db, "invitation.revoke")] == [world.org.id]
    else:
        invitation.expires_at = utcnow() - timedelta(minutes=1)
        db.session.commit()
    listing = text(coordinator.get(f"/organisations/{world.org.slug}/invitations"))
    assert how.capitalize() in listing and "Open until" not in listing
    outsider = client_for(app, world.outsider)
    closed = outsider.get(f"/invite/{token}")
    assert closed.status_code == 404 and "This invitation no longer works" in text(closed)
    assert outsider.post(f"/invite/{token}").status_code == 404
    assert app.test_client().get(f"/invite/{token}").status_code == 404
    assert membership_of(db, world.outsider, world.org) is None


# --- 5. join requests -------------------------------------------------------------------------


def waiting_request(db, world) -> JoinRequest:
    """A pending request to join from someone new."""
    join = JoinRequest(organisation=world.org, user=factories.make_user("Luz Waiting"))
    db.session.add(join)
    db.session.commit()
    return join


def ask_to_join(app, world, message: str = "My son left Yoro in 2019."):
    client = client_for(app, world.outsider)
    response = client.post(f"/organisations/{world.org.slug}/join", data={"message": message})
    assert response.status_code == 302
    return client


def test_coordinator_accepts_a_request_to_join(app, db, world):
    """A coordinator sees a request to join with its message and accepts it; the person is told."""
    outsider = ask_to_join(app, world)
    coordinator = client_for(app, world.coordinator)
    requests_page = text(coordinator.get(f"/organisations/{world.org.slug}/requests"))
    assert "Paula Outsider" in requests_page and "My son left Yoro in 2019." in requests_page
    join = db.session.scalar(select(JoinRequest))
    response = coordinator.post(f"/organisations/{world.org.slug}/requests/{join.id}/approve")
    assert response.status_code == 302
    assert membership_of(db, world.outsider, world.org).role == Role.MEMBER
    assert "No request is waiting." in text(
        coordinator.get(f"/organisations/{world.org.slug}/requests")
    )
    mail = db.session.scalar(select(OutboxMail).filter_by(recipient=world.outsider.email))
    assert mail is not None and world.org.name in mail.body
    assert outsider.get(f"/organisations/{world.org.slug}/members").status_code == 200
    assert audit_actions(db, "join.approve")


def test_coordinator_declines_a_request_to_join(app, db, world):
    """A declined request leaves the person outside, and they may ask again."""
    outsider = ask_to_join(app, world)
    join = db.session.scalar(select(JoinRequest))
    client_for(app, world.coordinator).post(
        f"/organisations/{world.org.slug}/requests/{join.id}/reject"
    )
    assert join.status == RequestStatus.REJECTED
    assert membership_of(db, world.outsider, world.org) is None
    assert outsider.get(f"/organisations/{world.org.slug}/members").status_code == 403
    assert "Ask to join" in text(outsider.get(f"/organisations/{world.org.slug}"))
    assert audit_actions(db, "join.reject")


def test_asking_twice_while_waiting_makes_one_request(app, db, world):
    """Asking to join again while a request waits does not create a second request."""
    outsider = ask_to_join(app, world)
    ask_to_join(app, world, "Asking again.")
    assert db.session.scalar(select(func.count()).select_from(JoinRequest)) == 1
    page = text(outsider.get(f"/organisations/{world.org.slug}"))
    assert "Your request to join is waiting for a coordinator." in page
    requests_page = text(
        client_for(app, world.coordinator).get(f"/organisations/{world.org.slug}/requests")
    )
    assert requests_page.count("Paula Outsider") == 1


# --- 6. roles and removal ---------------------------------------------------------------------


def test_coordinator_makes_a_member_coordinator(app, db, world):
    """A coordinator makes a member a coordinator, which is recorded in the audit log."""
    ana = membership_of(db, world.member, world.org)
    response = client_for(app, world.coordinator).post(
        f"/organisations/{world.org.slug}/members/{ana.id}/role",
        data={"role": "coordinator"},
        follow_redirects=True,
    )
    assert "The role of Ana Member is changed." in text(response)
    assert ana.role == Role.COORDINATOR
    assert (
        client_for(app, world.member).get(f"/organisations/{world.org.slug}/requests").status_code
        == 200
    )
    assert audit_actions(db, "member.role")


def test_only_coordinator_cannot_step_down_or_leave_until_naming_another(app, db, world):
    """The only coordinator is told to name another before stepping down or leaving."""
    coordinator = client_for(app, world.coordinator)
    own = membership_of(db, world.coordinator, world.org)
    demoted = coordinator.post(
        f"/organisations/{world.org.slug}/members/{own.id}/role",
        data={"role": "member"},
        follow_redirects=True,
    )
    assert "An organisation needs at least one coordinator." in text(demoted)
    assert own.role == Role.COORDINATOR

    left = coordinator.post(f"/organisations/{world.org.slug}/leave", follow_redirects=True)
    assert "You are the only coordinator." in text(left)
    assert membership_of(db, world.coordinator, world.org) is not None

    ana = membership_of(db, world.member, world.org)
    coordinator.post(
        f"/organisations/{world.org.slug}/members/{ana.id}/role", data={"role": "coordinator"}
    )
    left = coordinator.post(f"/organisations/{world.org.slug}/leave", follow_redirects=True)
    assert f"You have left {world.org.name}." in text(left)
    assert membership_of(db, world.coordinator, world.org) is None
    members = text(client_for(app, world.member).get(f"/organisations/{world.org.slug}/members"))
    assert "Rosa Coordinator" not in members


def test_coordinator_removes_a_member(app, db, world):
    """A removed member can no longer open the member list."""
    ana = membership_of(db, world.member, world.org)
    member = client_for(app, world.member)
    assert member.get(f"/organisations/{world.org.slug}/members").status_code == 200
    response = client_for(app, world.coordinator).post(
        f"/organisations/{world.org.slug}/members/{ana.id}/remove", follow_redirects=True
    )
    assert "Ana Member is no longer a member." in text(response)
    assert membership_of(db, world.member, world.org) is None
    assert member.get(f"/organisations/{world.org.slug}/members").status_code == 403
    assert audit_actions(db, "member.remove")


def test_coordinator_cannot_touch_another_organisations_members(app, db, world):
    """A coordinator of one organisation cannot change or remove members of another."""
    other = factories.make_org("Otra Asociación")
    factories.add_member(other, factories.make_user("Lucia Other"), Role.COORDINATOR)
    victim = factories.add_member(other, factories.make_user("Bea Other"), Role.MEMBER)
    coordinator = client_for(app, world.coordinator)
    for slug, status in ((world.org.slug, 404), (other.slug, 403)):
        base = f"/organisations/{slug}/members/{victim.id}"
        assert coordinator.post(f"{base}/role", data={"role": "coordinator"}).status_code == status
        assert coordinator.post(f"{base}/remove").status_code == status
    assert victim.role == Role.MEMBER
    assert db.session.get(Membership, victim.id) is not None


# --- 7. leaving -------------------------------------------------------------------------------


def test_member_leaves_the_organisation(app, db, world):
    """A member who leaves is no longer on the member list."""
    member = client_for(app, world.member)
    response = member.post(f"/organisations/{world.org.slug}/leave", follow_redirects=True)
    assert f"You have left {world.org.name}." in text(response)
    assert membership_of(db, world.member, world.org) is None
    members = text(
        client_for(app, world.coordinator).get(f"/organisations/{world.org.slug}/members")
    )
    assert "Ana Member" not in members and "Rosa Coordinator" in members
    assert member.get(f"/organisations/{world.org.slug}/members").status_code == 403


# --- 8. member-list privacy -------------------------------------------------------------------


def test_member_list_is_only_for_members(app, db, world):
    """Members see who belongs; outsiders, non-member admins and visitors do not."""
    members_url = f"/organisations/{world.org.slug}/members"
    page = text(client_for(app, world.member).get(members_url))
    assert "Ana Member" in page and "Rosa Coordinator" in page
    for user in (world.outsider, world.admin):
        response = client_for(app, user).get(members_url)
        assert response.status_code == 403
        assert "Ana Member" not in text(response) and "Rosa Coordinator" not in text(response)
    anonymous = app.test_client().get(members_url)
    assert anonymous.status_code == 302 and "/account/login" in anonymous.location
    for user in (None, world.outsider, world.admin):
        public = text(client_for(app, user).get(f"/organisations/{world.org.slug}"))
        assert world.org.name in public
        assert "Ana Member" not in public and "Rosa Coordinator" not in public
    assert "Ana Member" not in directory_page(app)


# --- 9. editing the profile -------------------------------------------------------------------


def test_coordinator_edits_the_profile(app, db, world):
    """A coordinator's new description appears on the public page, with Markdown formatting."""
    edit_url = f"/organisations/{world.org.slug}/edit"
    coordinator = client_for(app, world.coordinator)
    assert coordinator.get(edit_url).status_code == 200
    data = {
        **ORG_FORM,
        "name": world.org.name,
        "region": "Atlántida",
        "description": "We walk **together** every November.",
    }
    response = coordinator.post(edit_url, data=data)
    assert response.status_code == 302
    page = text(app.test_client().get(f"/organisations/{world.org.slug}"))
    assert "<strong>together</strong>" in page and "Atlántida" in page
    [entry] = audit_actions(db, "org.edit")
    assert entry.organisation_id == world.org.id and entry.actor_id == world.coordinator.id


@pytest.mark.parametrize("role", ["member", "outsider"])
def test_non_coordinators_cannot_manage_the_organisation(app, db, world, role):
    """A plain member or an outsider cannot invite, decide requests, change roles, edit, remove."""
    join = waiting_request(db, world)
    own, rosa = (membership_of(db, u, world.org) for u in (world.member, world.coordinator))
    client = client_for(app, world.user(role))
    base = f"/organisations/{world.org.slug}"
    for method, path, data in [
        ("get", "/invitations", None),
        ("post", "/invitations", {"note": "x"}),
        ("get", "/requests", None),
        ("post", f"/requests/{join.id}/approve", None),
        ("post", f"/members/{own.id}/role", {"role": "coordinator"}),
        ("post", f"/members/{rosa.id}/remove", None),
        ("get", "/edit", None),
        ("post", "/edit", {**ORG_FORM, "description": "Hacked"}),
    ]:
        assert getattr(client, method)(base + path, data=data).status_code == 403, path
    assert own.role == Role.MEMBER and membership_of(db, world.coordinator, world.org)
    assert join.status == RequestStatus.PENDING and world.org.description == "A family committee."
    assert db.session.scalar(select(func.count()).select_from(Invitation)) == 0
    assert not audit_actions(db, "org.edit")
    assert client.post(f"/admin/users/{world.coordinator.id}/suspend").status_code == 403


# --- 10. account suspension -------------------------------------------------------------------


def test_admin_suspends_and_restores_an_account(app, db, world):
    """A suspended person is signed out at once and cannot sign in until an admin restores them."""
    admin = client_for(app, world.admin)
    member = client_for(app, world.member)
    members_url = f"/organisations/{world.org.slug}/members"
    assert member.get(members_url).status_code == 200

    response = admin.post(f"/admin/users/{world.member.id}/suspend", follow_redirects=True)
    assert "The account of Ana Member is suspended." in text(response)
    assert world.member.suspended_at is not None
    signed_out = member.get(members_url)
    assert signed_out.status_code == 302 and "/account/login" in signed_out.location
    refused = login_with_form(app.test_client(), world.member.email)
    assert refused.status_code == 401 and "This account is suspended." in text(refused)
    [entry] = audit_actions(db, "user.suspend")
    assert entry.target_user_id == world.member.id
    assert "suspended the account" in text(admin.get("/admin/audit"))

    admin.post(f"/admin/users/{world.member.id}/unsuspend")
    assert world.member.suspended_at is None
    again = app.test_client()
    assert login_with_form(again, world.member.email).status_code == 302
    assert again.get(members_url).status_code == 200
    assert audit_actions(db, "user.unsuspend")


def test_admin_cannot_suspend_themselves(app, db, world):
    """An administrator cannot suspend their own account."""
    admin = client_for(app, world.admin)
    assert admin.post(f"/admin/users/{world.admin.id}/suspend").status_code == 403
    assert world.admin.suspended_at is None
    assert admin.get("/admin/").status_code == 200


def test_coordinator_cannot_remove_themselves(app, db, world):
    """Going oneself is done with Leave (which keeps a coordinator), never with Remove."""
    factories.add_member(world.org, factories.make_user("Second"), Role.COORDINATOR)
    rosa = client_for(app, world.coordinator)
    own = db.session.scalar(select(Membership.id).filter_by(user_id=world.coordinator.id))
    response = rosa.post(f"/organisations/{world.org.slug}/members/{own}/remove")
    assert response.status_code == 302
    assert "use the Leave button" in text(rosa.get(response.headers["Location"]))
    assert db.session.get(Membership, own) is not None
