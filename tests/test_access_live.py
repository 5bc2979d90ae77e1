"""Losing access acts at once, on open connections too: whoever loses a room, a campaign or a
role leaves its channels and live streams the moment the change is saved, and nothing more
reaches them. Each case goes through the page a person uses, with a live socket open."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from app.campaigns import services as campaigns
from app.extensions import db
from app.models import CampaignParticipant, Membership, Role, RoomScope
from app.rooms import services as rooms
from tests.conftest import channels_of
from tests.factories import add_member, make_org, make_user
from tests.test_rooms_sockets import browser, heard, joined, live, make_room, send


@pytest.fixture
def campaign_room(world):
    """A participants-only campaign led by world.org, with a partner organisation that took
    part (its coordinator Amina, its member Fatou) and the campaign's room."""
    campaign = campaigns.create_campaign(
        world.coordinator, world.org, "Caravana 2027", date(2027, 3, 1), date(2027, 4, 30),
        visibility=campaigns.Visibility.PARTICIPANTS,
    )  # fmt: skip
    partner = make_org("Mères de Thiaroye", country="SN")
    amina, fatou = make_user("Amina Coordinator"), make_user("Fatou Member")
    add_member(partner, amina, Role.COORDINATOR)
    add_member(partner, fatou)
    participant = campaigns.invite_organisation(world.coordinator, campaign, partner)
    campaigns.answer_participation(amina, participant, True)
    room = rooms.create_room(world.coordinator, RoomScope.CAMPAIGN, "Logística", "", None, campaign)
    return campaign, partner, participant, room, amina, fatou


def test_decline_after_taking_part_stops_the_campaign_room_at_once(app, world, campaign_room):
    """The reported leak: after her organisation declines, a confidential message in the
    campaign room no longer reaches the partner's member who had it open."""
    campaign, _partner, participant, room, amina, fatou = campaign_room
    fatou_sock, rosa = joined(app, fatou, room), joined(app, world.coordinator, room)
    assert f"campaign:{campaign.id}" in channels_of(fatou_sock)
    response = browser(app, amina).post(f"/campaign-invitations/{participant.id}/decline")
    assert response.status_code == 302
    assert heard(fatou_sock, "room_closed") == [{"room_id": room.id}]
    assert f"campaign:{campaign.id}" not in channels_of(fatou_sock)
    assert send(rosa, room, "Ruta confidencial: salimos por Tenosique")["ok"]
    assert heard(fatou_sock) == []
    assert fatou_sock.emit("join", {"room_id": room.id}, callback=True)["error"] == "not_found"
    assert browser(app, fatou).get(f"/rooms/{room.id}").status_code == 404


def test_removing_an_organisation_from_a_campaign_stops_its_members_at_once(
    app, world, campaign_room
):
    """The lead's coordinator takes the partner off the campaign: its members' open room
    closes and the unread badges of the campaign's rooms stop too."""
    campaign, _partner, participant, room, _amina, fatou = campaign_room
    fatou_sock, rosa = joined(app, fatou, room), joined(app, world.coordinator, room)
    participant_id = participant.id
    response = rosa.http.post(f"/campaign-invitations/{participant_id}/remove")
    assert response.status_code == 302
    assert db.session.get(CampaignParticipant, participant_id) is None
    assert heard(fatou_sock, "room_closed") == [{"room_id": room.id}]
    send(rosa, room, "Only for those still taking part")
    assert heard(fatou_sock) == []  # neither the message nor its 'activity' badge


def test_leaving_an_organisation_closes_its_rooms_on_open_pages(app, world):
    """A member who leaves stops receiving the organisation room she had open."""
    room = make_room(world)
    ana, rosa = joined(app, world.member, room), joined(app, world.coordinator, room)
    response = ana.http.post(f"/organisations/{world.org.slug}/leave")
    assert response.status_code == 302
    assert heard(ana, "room_closed") == [{"room_id": room.id}]
    assert f"org:{world.org.id}" not in channels_of(ana)
    send(rosa, room, "After she left")
    assert heard(ana) == []


def test_archiving_a_room_ends_its_live_stream(app, world):
    """Followers are told the room is archived, then nothing more of it reaches them, and
    opening it again reads the history without following it."""
    room = make_room(world)
    ana, rosa = joined(app, world.member, room), joined(app, world.coordinator, room)
    message = send(ana, room, "A last word")["message"]
    heard(rosa)
    response = rosa.http.post(f"/rooms/{room.id}/archive")
    assert response.status_code == 302
    assert heard(ana, "room_archived") == [{"room_id": room.id}]
    assert all(not c.startswith("live:room:") for c in channels_of(ana))
    assert rosa.emit("delete", {"message_id": message["id"]}, callback=True)["ok"]
    assert heard(ana) == []
    again = ana.emit("join", {"room_id": room.id}, callback=True)
    assert again["ok"] and not again["can_post"] and again["messages"]
    assert all(not c.startswith("live:room:") for c in channels_of(ana))


def test_moving_a_room_to_another_organisation_cuts_the_former_audience(app, world):
    """A coordinator of two organisations moves a room from one to the other: the first
    one's members lose it at once; the second one's members gain it."""
    room = make_room(world)
    other = make_org("Red de Madres")
    add_member(other, world.coordinator, Role.COORDINATOR)
    newcomer = make_user("Nadia Newcomer")
    add_member(other, newcomer)
    ana, rosa = joined(app, world.member, room), joined(app, world.coordinator, room)
    nadia = live(app, newcomer)
    page = rosa.http.get(f"/rooms/{room.id}/settings")
    assert page.status_code == 200 and "Red de Madres" in page.get_data(as_text=True)
    response = rosa.http.post(
        f"/rooms/{room.id}/settings",
        data={"name": room.name, "description": "", "audience": f"org:{other.id}"},
    )
    assert response.status_code == 302
    assert heard(ana, "room_closed") == [{"room_id": room.id}]
    send(rosa, room, "Now for the other network")
    assert heard(ana) == []
    assert [p["room_id"] for p in heard(nadia, "activity")] == [room.id]


def test_a_coordinator_made_member_stops_hearing_moderation_news(app, world):
    """Reports reach the moderators online; a coordinator lowered to member leaves the
    coordinators' channel at once and hears no more of them."""
    second = make_user("Second Coordinator")
    add_member(world.org, second, Role.COORDINATOR)
    room = make_room(world)
    rosa = joined(app, world.coordinator, room)
    ana = joined(app, world.member, room)
    message = send(second_sock := joined(app, second, room), room, "Something odd")["message"]
    heard(rosa)
    assert ana.emit("report", {"message_id": message["id"]}, callback=True)["ok"]
    assert heard(rosa, "reported") == [{"room_id": room.id}]
    membership = db.session.scalar(select(Membership.id).filter_by(user_id=world.coordinator.id))
    response = second_sock.http.post(
        f"/organisations/{world.org.slug}/members/{membership}/role", data={"role": "member"}
    )
    assert response.status_code == 302
    assert f"org:{world.org.id}:coordinator" not in channels_of(rosa)
    assert f"org:{world.org.id}" in channels_of(rosa)  # still a member
    # Written by a third member: a report never goes to the person reported.
    third = make_user("Third Member")
    add_member(world.org, third, Role.MEMBER)
    other = send(joined(app, third, room), room, "Another odd one")["message"]
    heard(rosa), heard(second_sock)
    assert ana.emit("report", {"message_id": other["id"]}, callback=True)["ok"]
    assert heard(rosa, "reported") == []
    assert heard(second_sock, "reported") == [{"room_id": room.id}]


def test_suspension_closes_every_connection(app, world):
    """A suspended account's connections close at once, and it cannot connect again."""
    room = make_room(world)
    ana = joined(app, world.member, room)
    response = browser(app, world.admin).post(f"/admin/users/{world.member.id}/suspend")
    assert response.status_code == 302
    assert not ana.is_connected()
    again = live(app, world.member)
    assert not again.is_connected()


def test_joining_adds_the_new_channels_to_open_pages(app, world):
    """The other way round: a person approved into an organisation gets its unread badges
    live on the page they already have open."""
    outsider_sock = live(app, world.outsider)
    room = make_room(world)
    rosa = joined(app, world.coordinator, room)
    add = browser(app, world.outsider).post(
        f"/organisations/{world.org.slug}/join", data={"message": "hello"}
    )
    assert add.status_code == 302
    request_id = db.session.execute(select(db.text("id")).select_from(db.text("join_requests")))
    (request_id,) = request_id.one()
    assert rosa.http.post(f"/organisations/{world.org.slug}/requests/{request_id}/approve")
    assert f"org:{world.org.id}" in channels_of(outsider_sock)
    send(rosa, room, "Welcome, Paula")
    assert [p["room_id"] for p in heard(outsider_sock, "activity")] == [room.id]
