"""Directory search ignores accents and case, the same way on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.models import Organisation
from app.models.orgs import fold
from app.orgs import services
from app.orgs.queries import directory_query
from tests import factories

NAMES = [
    "Comité de familias de El Progreso",
    "Association des meres de Nouadhibou",
    "Mères de Dakar",
    "جمعية أمهات المفقودين بصفاقس",
    "Madri di Palermo",
]


def found(db, q: str) -> set[str]:
    return {org.name for org in db.session.scalars(directory_query(q=q))}


@pytest.fixture
def directory(db):
    for name in NAMES:
        factories.make_org(name)


@pytest.mark.parametrize(
    "q, expected",
    [
        ("comite", {"Comité de familias de El Progreso"}),  # no accent in the query
        ("COMITÉ", {"Comité de familias de El Progreso"}),  # capitals with an accent
        ("Comité de familias", {"Comité de familias de El Progreso"}),
        ("Mères", {"Association des meres de Nouadhibou", "Mères de Dakar"}),  # accent in query
        ("MERES DE", {"Association des meres de Nouadhibou", "Mères de Dakar"}),
        ("أمهات", {"جمعية أمهات المفقودين بصفاقس"}),  # Arabic, exact substring
        ("امهات المفقودين", {"جمعية أمهات المفقودين بصفاقس"}),  # written without the hamza
        ("أُمَّهَات", {"جمعية أمهات المفقودين بصفاقس"}),  # written with vowel marks
        ("madri", {"Madri di Palermo"}),
        ("familles", set()),
    ],
)
def test_directory_search_ignores_accents_and_case(db, directory, q, expected):
    """Spanish, French and Arabic names are found however the query is accented or cased."""
    assert found(db, q) == expected


def test_directory_page_finds_comite_without_accent(app, directory):
    """The public page shows the match for a query typed on a phone without accents."""
    html = app.test_client().get("/organisations/", query_string={"q": "comite"}).text
    assert "Comité de familias de El Progreso" in html and "1 organisation found." in html


def test_wildcards_stay_literal_after_folding(db):
    """% and _ in a query (also their full-width forms) are matched as characters."""
    for name in ("100% Madres", "Madres_Unidas", "Comité Sencillo"):
        factories.make_org(name)
    assert found(db, "%") == {"100% Madres"}
    assert found(db, "％") == {"100% Madres"}
    assert found(db, "_") == {"Madres_Unidas"}


def test_renaming_keeps_the_folded_name(app, db, world):
    """An organisation renamed through its profile is found by its new name only."""
    org = world.org
    profile = services.OrgProfile(
        name="Élan des Mères",
        country=org.country,
        region=org.region,
        languages=["fr"],
        description=org.description,
        website="",
        contact_email="",
    )
    with app.test_request_context():
        services.edit_organisation(world.coordinator, org, profile)
    stored = db.session.scalar(select(Organisation.name_folded).where(Organisation.id == org.id))
    assert stored == "elan des meres"
    assert found(db, "ELAN") == {"Élan des Mères"}
    assert found(db, "Comité de Familias") == set()


def test_fold():
    """Case, accents, Arabic vowel marks and the stretching stroke go; letters stay."""
    assert fold("COMITÉ Ñandú") == "comite nandu"
    assert fold("مُـحَمَّد") == "محمد"
    assert fold("Straße") == "strasse"


def test_migration_folds_the_names_already_stored(tmp_path):
    """Upgrading a database that has organisations fills their folded names."""
    import os

    from flask_migrate import downgrade, upgrade
    from sqlalchemy import text

    from app import create_app
    from app.config import TestConfig
    from app.extensions import db

    url = os.environ.get("TEST_DATABASE_URL") or f"sqlite:///{tmp_path / 'm.sqlite'}"
    app = create_app(TestConfig, SQLALCHEMY_DATABASE_URI=url)
    with app.app_context():
        try:
            upgrade(revision="0007_event_last_end")
            with db.engine.begin() as connection:
                connection.execute(
                    text(
                        "INSERT INTO organisations (slug, name, country, region, description,"
                        " website, contact_email, status, created_at) VALUES ('c', :name, 'HN',"
                        " '', '', '', '', 'approved', CURRENT_TIMESTAMP)"
                    ),
                    {"name": "Comité de Familias"},
                )
            upgrade()
            with db.engine.connect() as connection:
                stored = connection.execute(text("SELECT name_folded FROM organisations")).scalar()
            assert stored == "comite de familias"
        finally:
            downgrade(revision="base")
            with db.engine.begin() as connection:
                connection.execute(text("DROP TABLE IF EXISTS alembic_version"))
            db.engine.dispose()
