"""Organisations in search: name, country, region and description, for the profile's audience."""

from __future__ import annotations

from babel import Locale
from flask import url_for
from flask_babel import lazy_gettext as _l

from app.config import LANGUAGES
from app.models import Organisation
from app.permissions import ORGANISATION, can_view_org
from app.search.base import Entry
from app.search.registry import Searchable, first_language, register


def country_names(code: str) -> str:
    """The country's name in every interface language, so "Sénégal" and "السنغال" both find it."""
    names = {Locale.parse(lang).territories.get(code.upper(), "") for lang in LANGUAGES}
    return " ".join(sorted(filter(None, names)))


def entry(org: Organisation) -> Entry:
    """An organisation as the index stores it."""
    body = "\n".join(filter(None, [country_names(org.country), org.region, org.description]))
    return Entry(
        kind="organisation",
        id=org.id,
        title=org.name,
        body=body,
        language=first_language(org.language_codes, f"{org.name} {org.description}"),
        tokens=ORGANISATION.tokens(org),
        date=org.created_at,
        organisation_id=org.id,
        organisation=org.name,
    )


register(
    Searchable(
        kind="organisation",
        model=Organisation,
        entry=entry,
        url=lambda org: url_for("orgs.show", slug=org.slug),
        label=lambda: str(_l("Organisations")),
        allows=can_view_org,
    )
)
