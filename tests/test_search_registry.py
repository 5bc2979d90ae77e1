"""How rows become search entries: the language their words are analysed in."""

from __future__ import annotations

from app.search import service
from app.search.registry import first_language
from tests import factories


def test_the_language_of_a_text_follows_its_script_and_the_working_languages():
    """Arabic script is Arabic; other text takes the first working language in Latin script."""
    assert first_language(["ar", "fr"], "Collectif des familles de harraga") == "fr"
    assert first_language(["fr", "ar"], "بيان عائلات المفقودين") == "ar"
    assert first_language(["es", "en"], "Madres de Veracruz") == "es"
    assert first_language(["ar"], "Harraga Oran") == ""  # no Latin-script language: folded
    assert first_language(["wo", "fr"], "") == "fr"
    assert first_language([], "") == ""


def test_a_french_name_of_an_organisation_working_in_arabic_first_is_stemmed_in_french(world):
    """Searching "famille" finds the "Collectif des familles" whose first language is Arabic."""
    from app.models import OrganisationLanguage

    org = factories.make_org("Collectif des familles de harraga")
    org.languages = [OrganisationLanguage(code="ar"), OrganisationLanguage(code="fr")]
    from app.extensions import db

    db.session.commit()
    found = service.search(world.outsider, "famille")
    assert f"organisation:{org.id}" in {hit.key for hit in found.results.hits}
