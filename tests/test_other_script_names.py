"""A name in two scripts reaches the same person (issue 9, item 14).

Families write each other's names in the script they read: a member who sets "نورة أحمد" as
her name in another script is mentioned by "@**نورة أحمد**" or "@نورة" as by "@Noura", and the
composer suggests her to someone typing "@نو".
"""

from __future__ import annotations

import re

from sqlalchemy import select

from app.extensions import db
from app.models import Mention, Role
from app.rooms import services as rooms
from tests import factories
from tests.conftest import sign_in
from tests.test_rooms_sockets import cid, make_room


def _noura(world):
    noura = factories.make_user("Noura Ahmed")
    factories.add_member(world.org, noura, Role.MEMBER)
    return noura


def test_the_profile_keeps_a_name_in_another_script(client, world):
    noura = _noura(world)
    sign_in(client, noura)
    page = client.get("/account/profile").get_data(as_text=True)
    assert "Your name in another script (optional)" in page
    client.post(
        "/account/profile",
        data={"display_name": "Noura Ahmed", "other_name": " نورة أحمد ", "locale": "ar",
              "timezone": "Africa/Nouakchott"},
    )  # fmt: skip
    assert noura.other_name == "نورة أحمد"
    page = client.get("/account/profile").get_data(as_text=True)
    assert re.search(r'id="other_name"[^>]*value="نورة أحمد"', page)


def test_mentions_match_either_script(world):
    noura = _noura(world)
    noura.other_name = "نورة أحمد"
    db.session.commit()
    room = make_room(world)
    for body in ("شكرًا @**نورة أحمد**", "@نورة سنلتقي غدًا", "Gracias @Noura"):
        message, _ = rooms.post_message(world.member, room, body, cid())
        mentioned = db.session.scalars(
            select(Mention.user_id).where(Mention.message_id == message.id)
        ).all()
        assert mentioned == [noura.id], body


def test_suggestions_find_a_person_by_either_name(world):
    noura = _noura(world)
    noura.other_name = "نورة أحمد"
    db.session.commit()
    room = make_room(world)
    assert rooms.suggest_people(world.member, room, "نو") == ["Noura Ahmed"]
    assert rooms.suggest_people(world.member, room, "nou") == ["Noura Ahmed"]
    assert rooms.suggest_people(world.outsider, room, "xyz") == []
