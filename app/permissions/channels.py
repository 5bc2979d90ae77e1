"""Socket.IO channel names: every name a connection joins or an emit is sent to.

A connection joins one channel per audience token it holds (``org:7``, ``admin``, its own
``user:5``...), so an emit to a resource's audience tokens reaches exactly the people who may
see it. A room's live stream is a channel of its own, joined on request after the check.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from app.models import Room
from app.permissions.audience import Audience
from app.permissions.principals import PUBLIC, Principals, principals


def user(user_id: int) -> str:
    """Every connection of one person (the same name as the ``user:<id>`` token)."""
    return f"user:{user_id}"


def stream(room: Room | int) -> str:
    """The live messages of one discussion room, for the connections following it."""
    return f"live:room:{room if isinstance(room, int) else room.id}"


def of_principals(who: Principals) -> frozenset[str]:
    """The audience channels a connection with these tokens belongs in."""
    return frozenset(who.tokens - {PUBLIC})


def principals_of(held: Iterable[str]) -> Principals:
    """The tokens of a connection in these channels (of_principals undone: public added)."""
    return Principals.of(held)


def for_connection(person: Any) -> frozenset[str]:
    """The audience channels a new connection of this person joins."""
    return of_principals(principals(person))


def audience(resource: Audience, obj: Any) -> list[str]:
    """The channels reaching everyone who may see obj (an emit's ``to``)."""
    return sorted(resource.tokens(obj))
