"""Who a person is to the policy: their audience tokens, and who holds a given token.

A token names a group of people: ``public`` (everyone), ``signed-in``, ``user:5``, ``admin``,
``member`` (of any approved organisation), ``org:7``, ``org:7:coordinator``, ``campaign:3``
(members of the organisations leading or taking part in it), ``campaign:3:invited``
(coordinators of the organisations invited to it), ``manifesto:4`` (members of the
organisations on its drafting committee) and ``manifesto:4:coordinator``. Each kind is
defined once, as a SQL relation (user id, key); from it come both a person's tokens
(``principals``) and the people holding a token (``holders``). Resources state their
audience in these tokens (audience.py).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from flask import g, has_app_context
from sqlalchemy import (
    ColumnElement,
    CompoundSelect,
    Select,
    bindparam,
    event,
    literal,
    select,
    union,
    union_all,
)
from sqlalchemy.orm import Session

from app.extensions import db
from app.models import (
    Campaign,
    CampaignParticipant,
    ManifestoCommittee,
    Membership,
    Organisation,
    OrgStatus,
    ParticipationStatus,
    Role,
    User,
)

PUBLIC = "public"


@dataclass(frozen=True)
class Source:
    """One SQL relation of (person, key) pairs for a kind of token."""

    query: Callable[[], Select]  # a select of exactly (user id, key)
    user: Any  # the user id column, to filter by person
    key: Any  # the key column (the 7 of org:7), to filter by token


@dataclass(frozen=True)
class Kind:
    """A kind of token: its pattern (``org:{}`` or ``admin``) and who holds it."""

    pattern: str
    sources: tuple[Source, ...]

    @property
    def keyed(self) -> bool:
        """True when the kind's tokens carry a key (``org:{}``), False for ``admin``."""
        return "{}" in self.pattern

    def token(self, key: Any) -> str:
        """The token of this kind for a key (the key is not used when the kind has none)."""
        return self.pattern.format(key) if self.keyed else self.pattern


def _active(query: Select) -> Select:
    """Suspended accounts hold no token (they cannot sign in, and are nobody's audience)."""
    return query.join(User, User.id == Membership.user_id).where(User.suspended_at.is_(None))


def _accounts(*extra: ColumnElement[bool]) -> Callable[[], Select]:
    def build() -> Select:
        return select(User.id, User.id).where(User.suspended_at.is_(None), *extra)

    return build


def _approved_members(*extra: ColumnElement[bool]) -> Callable[[], Select]:
    def build() -> Select:
        return _active(
            select(Membership.user_id, Membership.organisation_id)
            .join(Organisation, Organisation.id == Membership.organisation_id)
            .where(Organisation.status == OrgStatus.APPROVED, *extra)
        )

    return build


def _campaign_lead() -> Select:
    return _active(
        select(Membership.user_id, Campaign.id)
        .join(Organisation, Organisation.id == Membership.organisation_id)
        .join(Campaign, Campaign.lead_organisation_id == Membership.organisation_id)
        .where(Organisation.status == OrgStatus.APPROVED)
    )


def _campaign_participant(status: ParticipationStatus, *extra: ColumnElement[bool]):
    def build() -> Select:
        return _active(
            select(Membership.user_id, CampaignParticipant.campaign_id)
            .join(Organisation, Organisation.id == Membership.organisation_id)
            .join(
                CampaignParticipant,
                CampaignParticipant.organisation_id == Membership.organisation_id,
            )
            .where(
                Organisation.status == OrgStatus.APPROVED,
                CampaignParticipant.status == status,
                *extra,
            )
        )

    return build


_coordinator = Membership.role == Role.COORDINATOR


def _committee(*extra: ColumnElement[bool]) -> Callable[[], Select]:
    def build() -> Select:
        return _active(
            select(Membership.user_id, ManifestoCommittee.manifesto_id)
            .join(Organisation, Organisation.id == Membership.organisation_id)
            .join(
                ManifestoCommittee,
                ManifestoCommittee.organisation_id == Membership.organisation_id,
            )
            .where(Organisation.status == OrgStatus.APPROVED, *extra)
        )

    return build


# Every kind of token, defined once.
KINDS: tuple[Kind, ...] = (
    Kind("signed-in", (Source(_accounts(), User.id, User.id),)),
    Kind("user:{}", (Source(_accounts(), User.id, User.id),)),
    Kind("admin", (Source(_accounts(User.is_admin.is_(True)), User.id, User.id),)),
    Kind(
        "member",
        (Source(_approved_members(), Membership.user_id, Membership.organisation_id),),
    ),
    Kind(
        "org:{}",
        (Source(_approved_members(), Membership.user_id, Membership.organisation_id),),
    ),
    Kind(
        "org:{}:coordinator",
        (Source(_approved_members(_coordinator), Membership.user_id, Membership.organisation_id),),
    ),
    Kind(
        "campaign:{}",
        (
            Source(_campaign_lead, Membership.user_id, Campaign.id),
            Source(
                _campaign_participant(ParticipationStatus.ACCEPTED),
                Membership.user_id,
                CampaignParticipant.campaign_id,
            ),
        ),
    ),
    Kind(
        "manifesto:{}",
        (Source(_committee(), Membership.user_id, ManifestoCommittee.manifesto_id),),
    ),
    Kind(
        "manifesto:{}:coordinator",
        (Source(_committee(_coordinator), Membership.user_id, ManifestoCommittee.manifesto_id),),
    ),
    Kind(
        "campaign:{}:invited",
        (
            Source(
                _campaign_participant(ParticipationStatus.INVITED, _coordinator),
                Membership.user_id,
                CampaignParticipant.campaign_id,
            ),
        ),
    ),
)
_BY_PATTERN = {kind.pattern: kind for kind in KINDS}
_TOKEN = re.compile(r"^(?P<head>[a-z-]+)(?::(?P<key>\d+))?(?P<tail>(?::[a-z-]+)*)$")


def kind_of(pattern: str) -> Kind:
    """The kind with this pattern (``org:{}``); a typo in a policy fails at import."""
    if pattern == PUBLIC:
        return Kind(PUBLIC, ())
    try:
        return _BY_PATTERN[pattern]
    except KeyError:
        raise ValueError(f"no such kind of audience token: {pattern!r}") from None


def parse(token: str) -> tuple[str, int | None]:
    """A token's pattern and key: ``org:7:coordinator`` -> (``org:{}:coordinator``, 7)."""
    match = _TOKEN.match(token)
    if match is None:
        raise ValueError(f"not an audience token: {token!r}")
    if match["key"] is None:
        return match["head"] + match["tail"], None
    return f"{match['head']}:{{}}{match['tail']}", int(match["key"])


@dataclass(frozen=True)
class Principals:
    """The tokens one person holds, with their keys by pattern for SQL filters."""

    tokens: frozenset[str]
    keys: dict[str, frozenset[int]] = field(default_factory=dict, compare=False)

    @classmethod
    def of(cls, tokens: Iterable[str]) -> Principals:
        """The principals of these tokens, with their keys; everyone also holds ``public``."""
        tokens = frozenset(tokens) | {PUBLIC}
        keys: dict[str, set[int]] = {}
        for token in tokens:
            pattern, key = parse(token)
            if key is not None:
                keys.setdefault(pattern, set()).add(key)
        return cls(tokens, {p: frozenset(k) for p, k in keys.items()})

    def __contains__(self, token: object) -> bool:
        return token in self.tokens

    def keys_of(self, pattern: str) -> frozenset[int]:
        """The keys this person holds for a pattern: org ids for ``org:{}``."""
        return self.keys.get(pattern, frozenset())


ANONYMOUS = Principals.of(())


def _signed_in(user: Any) -> bool:
    return bool(user is not None and user.is_authenticated and user.is_active)


def principals(user: Any) -> Principals:
    """The tokens a person holds now (one query, remembered until the next commit)."""
    if not _signed_in(user):
        return ANONYMOUS
    cache = _cache()
    if cache is not None and user.id in cache:
        return cache[user.id]
    found = principals_of_ids([user.id]).get(user.id, ANONYMOUS)
    remember_principals(user.id, found)
    return found


@functools.cache
def _tokens_query() -> CompoundSelect:
    """Every (person, key, kind) of the people in the bound list ``ids``, as one statement.

    Built once per process: every socket event asks it, and building it and computing
    SQLAlchemy's cache key of its eight parts cost more than running it (a prepared
    statement's key is computed once).
    """
    ids = bindparam("ids", expanding=True)
    parts = []
    for index, kind in enumerate(KINDS):
        for source in kind.sources:
            parts.append(
                source.query()
                .with_only_columns(source.user, source.key, literal(index))
                .where(source.user.in_(ids))
            )
    return union_all(*parts)


def principals_of_ids(user_ids: Iterable[int]) -> dict[int, Principals]:
    """The tokens of several people at once (one query), by user id."""
    ids = list(dict.fromkeys(user_ids))
    if not ids:
        return {}
    found: dict[int, set[str]] = {user_id: set() for user_id in ids}
    for user_id, key, index in db.session.execute(_tokens_query(), {"ids": ids}):
        found[user_id].add(KINDS[index].token(key))
    return {user_id: Principals.of(tokens) for user_id, tokens in found.items() if tokens}


def holders(tokens: Iterable[str]) -> Select:
    """A query of the ids of the people holding any of these tokens."""
    parts = []
    for token in set(tokens):
        pattern, key = parse(token)
        if pattern == PUBLIC:
            parts.append(_accounts()().with_only_columns(User.id))
            continue
        for source in kind_of(pattern).sources:
            query = source.query().with_only_columns(source.user)
            parts.append(query.where(source.key == key) if key is not None else query)
    if not parts:
        return select(User.id).where(literal(False))
    return union(*parts) if len(parts) > 1 else parts[0]


# --- remembering a person's tokens for one request --------------------------------------------


def remembered(name: str) -> dict | None:
    """A dict kept for this request until the next commit or rollback; None outside an app.

    For answers derived from who holds what (tokens, reviewers), which a commit may change.
    """
    if not has_app_context():
        return None
    return g.setdefault("_remembered", {}).setdefault(name, {})


def _cache() -> dict[int, Principals] | None:
    return remembered("principals")


def remember_principals(user_id: int, found: Principals) -> None:
    """Use these tokens for this person until the next commit (read another way)."""
    cache = _cache()
    if cache is not None:
        cache[user_id] = found


def forget() -> None:
    """Drop what was remembered (after any commit or rollback: access may have changed)."""
    if has_app_context():
        g.pop("_remembered", None)


@event.listens_for(Session, "after_commit")
def _after_commit(_session: Session) -> None:
    forget()


@event.listens_for(Session, "after_soft_rollback")
def _after_rollback(_session: Session, _previous: Any) -> None:
    forget()
