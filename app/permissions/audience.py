"""A resource's audience, stated once, and everything derived from that one statement.

An ``Audience`` lists which tokens (principals.py) may see a row of a model, from the row's
own columns::

    ROOM = Audience(
        Room,
        grant("member", "admin", scope=RoomScope.MOVEMENT),
        grant("org:{organisation_id}", scope=RoomScope.ORGANISATION),
        grant("campaign:{campaign_id}", scope=RoomScope.CAMPAIGN),
    )

From it come: ``tokens(room)`` (what a search index or a socket emit carries), ``allows(user,
room)`` (the per-object check: the room's tokens meet the person's), ``where(user)`` (the SQL
condition every list and count uses) and ``holders(room)`` (who may see it). ``follow`` hands
a row to its container's audience (a campaign's events follow the campaign).
"""

from __future__ import annotations

import string
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, false, or_, select, true

from app.permissions.principals import Principals, holders, kind_of, principals


class _Set:
    """Marker for a condition 'this column has a value' (``campaign_id=SET``)."""

    def __repr__(self) -> str:
        return "SET"


SET = _Set()


def _conditions(model: type, when: dict[str, Any]) -> list[ColumnElement[bool]]:
    found: list[ColumnElement[bool]] = [true()]  # so that no condition means "every row"
    for name, value in when.items():
        column = getattr(model, name)
        if value is None:
            found.append(column.is_(None))
        elif value is SET:
            found.append(column.is_not(None))
        else:
            found.append(column == value)
    return found


def _matches(obj: Any, when: dict[str, Any]) -> bool:
    for name, value in when.items():
        actual = getattr(obj, name)
        if value is None and actual is not None:
            return False
        if value is SET and actual is None:
            return False
        if value is not None and value is not SET and actual != value:
            return False
    return True


@dataclass(frozen=True)
class Grant:
    """These tokens see the row when its columns match ``when``."""

    templates: tuple[str, ...]
    when: dict[str, Any]

    def __post_init__(self) -> None:
        for template in self.templates:
            kind_of(_pattern(template))  # refuse unknown kinds at import time

    def tokens(self, obj: Any) -> set[str]:
        """The tokens that see this row, filled in from its columns (none unless it matches)."""
        if not _matches(obj, self.when):
            return set()
        found = set()
        for template in self.templates:
            fields = _fields(template)
            values = {name: getattr(obj, name) for name in fields}
            if all(value is not None for value in values.values()):
                found.add(template.format(**values))
        return found

    def condition(self, model: type, who: Principals) -> ColumnElement[bool] | None:
        """The SQL condition for the rows this grant lets the person see (None: no row)."""
        clauses = []
        for template in self.templates:
            fields = _fields(template)
            if not fields:
                if template in who:
                    clauses.append(and_(*_conditions(model, self.when)))
                continue
            keys = who.keys_of(_pattern(template))
            if keys:
                (name,) = fields
                clauses.append(and_(*_conditions(model, self.when), getattr(model, name).in_(keys)))
        return or_(*clauses) if clauses else None


@dataclass(frozen=True)
class Follow:
    """The row is seen by whoever sees the row it belongs to (through a relationship)."""

    relation: str
    audience: Audience
    when: dict[str, Any]

    def tokens(self, obj: Any) -> set[str]:
        """The tokens that see the row this one belongs to (none unless it matches)."""
        if not _matches(obj, self.when):
            return set()
        target = getattr(obj, self.relation)
        return self.audience.tokens(target) if target is not None else set()

    def condition(self, model: type, who: Principals) -> ColumnElement[bool] | None:
        """The SQL condition: the row matches and the person sees the row it belongs to."""
        (column,) = getattr(model, self.relation).property.local_columns
        inner = select(self.audience.model.id).where(self.audience.condition(who))
        return and_(*_conditions(model, self.when), getattr(model, column.key).in_(inner))


def grant(*templates: str, **when: Any) -> Grant:
    """Tokens (``"public"``, ``"org:{organisation_id}"``) that see rows matching ``when``."""
    return Grant(tuple(templates), when)


def follow(relation: str, audience: Audience, **when: Any) -> Follow:
    """Rows matching ``when`` are seen by the audience of ``getattr(row, relation)``."""
    return Follow(relation, audience, when)


class Audience:
    """Who may see the rows of one model, stated once."""

    def __init__(self, model: type, *rules: Grant | Follow) -> None:
        self.model = model
        self.rules = rules

    def tokens(self, obj: Any) -> frozenset[str]:
        """The tokens that may see this row (for indexes and socket channels)."""
        found: set[str] = set()
        for rule in self.rules:
            found |= rule.tokens(obj)
        return frozenset(found)

    def allows(self, user: Any, obj: Any) -> bool:
        """Whether this person may see this row: its tokens meet theirs."""
        return self.open_to(principals(user), obj)

    def open_to(self, who: Principals, obj: Any) -> bool:
        """Whether someone holding these tokens may see this row."""
        return obj is not None and not self.tokens(obj).isdisjoint(who.tokens)

    def condition(self, who: Principals) -> ColumnElement[bool]:
        """The SQL condition true for exactly the rows these principals may see."""
        clauses = [c for rule in self.rules if (c := rule.condition(self.model, who)) is not None]
        return or_(*clauses) if clauses else false()

    def where(self, user: Any) -> ColumnElement[bool]:
        """The SQL condition of the rows this person may see (for every list and count)."""
        return self.condition(principals(user))

    def holders(self, obj: Any) -> Select:
        """A query of the ids of the people who may see this row."""
        return holders(self.tokens(obj))

    def visible_ids(self, user: Any) -> Select:
        """A query of the ids of the rows this person may see."""
        return select(self.model.id).where(self.where(user))


def _fields(template: str) -> list[str]:
    return [name for _, name, _, _ in string.Formatter().parse(template) if name]


def _pattern(template: str) -> str:
    """``org:{organisation_id}:coordinator`` -> ``org:{}:coordinator``."""
    out = []
    for literal, name, _, _ in string.Formatter().parse(template):
        out.append(literal)
        if name:
            out.append("{}")
    return "".join(out)
