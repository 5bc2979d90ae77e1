"""Campaign rooms: for the members of the organisations taking part in a campaign."""

from __future__ import annotations

from datetime import date

from app.campaigns import services as campaigns
from app.models import Role, RoomScope
from app.rooms import queries as room_queries
from app.rooms import services as rooms
from tests.conftest import sign_in, socket_client
from tests.factories import add_member, make_org, make_user


def _campaign_with_partner(world):
    """A campaign led by world.org, with a partner that accepted and one that declined."""
    campaign = campaigns.create_campaign(
        world.coordinator, world.org, "Caravana 2026", date(2026, 3, 1), date(2026, 4, 30)
    )
    partner, refuser = make_org("Partner committee"), make_org("Busy committee")
    partner_member, refuser_member = make_user("Lucía Partner"), make_user("Marta Busy")
    add_member(partner, partner_member, Role.MEMBER)
    add_member(refuser, refuser_member, Role.COORDINATOR)
    for org, accept in ((partner, True), (refuser, False)):
        invitation = campaigns.invite_organisation(world.coordinator, campaign, org)
        campaigns.answer_participation(world.coordinator, invitation, accept)
    return campaign, partner_member, refuser_member


def test_campaign_room_is_for_participating_organisations(app, client, world):
    """Members of the lead and of accepting organisations read the room; others cannot."""
    campaign, partner_member, refuser_member = _campaign_with_partner(world)
    room = rooms.create_room(world.coordinator, RoomScope.CAMPAIGN, "Logística", "", None, campaign)
    expected = {
        world.member: 200, partner_member: 200, refuser_member: 404, world.outsider: 404,
        world.admin: 404,
    }  # fmt: skip
    for person, status in expected.items():
        http = app.test_client()
        sign_in(http, person)
        assert http.get(f"/rooms/{room.id}").status_code == status, person.display_name
        listed = "Logística" in http.get("/rooms/").get_data(as_text=True)
        assert listed == (status == 200)


def test_campaign_room_messages_reach_partners_live(app, world):
    """A partner organisation's member gets the campaign room's messages live."""
    campaign, partner_member, _ = _campaign_with_partner(world)
    room = rooms.create_room(world.coordinator, RoomScope.CAMPAIGN, "Logística", "", None, campaign)
    partner_http = app.test_client()
    sign_in(partner_http, partner_member)
    partner = socket_client(app, partner_http)
    assert partner.emit("join", {"room_id": room.id}, callback=True)["ok"]
    partner.get_received()
    rosa_http = app.test_client()
    sign_in(rosa_http, world.coordinator)
    rosa = socket_client(app, rosa_http)
    ack = rosa.emit(
        "send", {"room_id": room.id, "client_id": "campaign-0001", "body": "@Lucía ¿llegan?"},
        callback=True,
    )  # fmt: skip
    assert ack["ok"]
    # The test client hands a "message" event's payload over unwrapped.
    pushed = [p["args"] for p in partner.get_received() if p["name"] == "message"]
    assert pushed and pushed[0]["seq"] == 1
    assert room_queries.mentions_of(partner_member)[0].body == "@Lucía ¿llegan?"


def test_only_the_lead_coordinators_open_and_moderate_a_campaign_room(app, client, world):
    """The lead organisation's coordinators open the campaign's room; partners cannot."""
    campaign, partner_member, _ = _campaign_with_partner(world)
    sign_in(client, world.coordinator)
    response = client.post(f"/rooms/new?campaign={campaign.slug}", data={"name": "Prensa"})
    assert response.status_code == 302
    room_path = response.headers["Location"]
    assert client.get(room_path + "/moderation").status_code == 200
    partner_http = app.test_client()
    sign_in(partner_http, partner_member)
    assert partner_http.get(f"/rooms/new?campaign={campaign.slug}").status_code == 403
    assert partner_http.get(room_path + "/moderation").status_code == 403


def test_campaign_page_leads_to_its_rooms(app, client, world):
    """The campaign page lists its rooms for participants and offers the lead to open one."""
    campaign, partner_member, _ = _campaign_with_partner(world)
    rooms.create_room(world.coordinator, RoomScope.CAMPAIGN, "Logística", "", None, campaign)
    sign_in(client, world.coordinator)
    page = client.get(f"/campaigns/{campaign.slug}").get_data(as_text=True)
    assert "Logística" in page and f"/rooms/new?campaign={campaign.slug}" in page
    outsider = app.test_client()
    sign_in(outsider, world.outsider)
    assert "Logística" not in outsider.get(f"/campaigns/{campaign.slug}").get_data(as_text=True)
