"""Small factories for test data: users, organisations, memberships."""

from __future__ import annotations

import itertools
from functools import lru_cache

from app.auth.passwords import hash_password
from app.extensions import db
from app.markup import render_markdown
from app.models import (
    Membership,
    Organisation,
    OrganisationLanguage,
    OrgStatus,
    Role,
    User,
)

PASSWORD = "a sunny walk to the sea"
_counter = itertools.count(1)


@lru_cache(maxsize=1)
def _password_hash() -> str:
    # One real scrypt hash for every test user: hashing per user would slow the suite.
    return hash_password(PASSWORD)


def make_user(
    name: str | None = None,
    *,
    email: str | None = None,
    is_admin: bool = False,
    locale: str | None = "en",
    timezone: str = "UTC",
) -> User:
    n = next(_counter)
    user = User(
        email=email or f"person{n}@example.org",
        display_name=name or f"Person {n}",
        password_hash=_password_hash(),
        is_admin=is_admin,
        locale=locale,
        timezone=timezone,
    )
    db.session.add(user)
    db.session.commit()
    return user


def make_org(
    name: str | None = None,
    *,
    status: OrgStatus = OrgStatus.APPROVED,
    country: str = "HN",
    region: str = "Yoro",
    languages: tuple[str, ...] = ("es",),
    description: str = "A family committee.",
    requested_by: User | None = None,
) -> Organisation:
    n = next(_counter)
    name = name or f"Committee {n}"
    org = Organisation(
        slug=f"org-{n}",
        name=name,
        country=country,
        region=region,
        description=description,
        description_html=str(render_markdown(description)),  # as the services store it
        status=status,
        requested_by=requested_by,
        languages=[OrganisationLanguage(code=code) for code in languages],
    )
    db.session.add(org)
    db.session.commit()
    return org


def add_member(org: Organisation, user: User, role: Role = Role.MEMBER) -> Membership:
    member = Membership(organisation=org, user=user, role=role)
    db.session.add(member)
    db.session.commit()
    return member
