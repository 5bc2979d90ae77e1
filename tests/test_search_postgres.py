"""The PostgreSQL search backend, through the Backend interface (runs on PostgreSQL only)."""

from __future__ import annotations

import os
import random
from datetime import UTC, datetime

import pytest

if not os.environ.get("TEST_DATABASE_URL", "").startswith("postgresql"):
    pytest.skip(
        "PostgreSQL backend: needs TEST_DATABASE_URL=postgresql+psycopg://...",
        allow_module_level=True,
    )

from app.search.base import (  # noqa: E402
    AllOf,
    AnyOf,
    Entry,
    Filters,
    Not,
    Phrase,
    Prefix,
    Request,
    Results,
    Word,
    fingerprint,
)
from app.search.postgres_backend import PostgresBackend  # noqa: E402

PUBLIC = frozenset({"public"})
OUTSIDER = frozenset({"public", "signed-in", "member", "org:8"})


@pytest.fixture
def backend(app):
    return PostgresBackend()


def entry(id: int, title: str, body: str = "", **fields) -> Entry:
    """A public Spanish document unless told otherwise."""
    fields.setdefault("kind", "document")
    fields.setdefault("language", "es")
    fields["tokens"] = frozenset(fields.get("tokens", PUBLIC))
    fields.setdefault("date", datetime(2025, 1, id % 28 + 1, tzinfo=UTC))
    return Entry(id=id, title=title, body=body, **fields)


def find(backend, query, tokens=PUBLIC, **options) -> Results:
    return backend.search(Request(query=query, tokens=frozenset(tokens), **options))


def keys(results: Results) -> list[str]:
    return [hit.key for hit in results.hits]


def marked(snippet) -> list[str]:
    return [text for text, match in snippet if match]


@pytest.mark.parametrize(
    ("language", "text", "query"),
    [
        ("es", "Una campaña en Melilla", "campañas"),
        ("fr", "La manifestation devant la préfecture", "manifestations"),
        ("it", "Ogni famiglia cerca notizie", "famiglie"),
        ("en", "We searched the coast", "searching"),
        # The 'arabic' snowball stemmer takes the article off: المفقود and مفقود meet.
        ("ar", "قائمة المفقود في البحر", "مفقود"),
        ("ar", "قائمة مفقود في البحر", "المفقودين"),
    ],
)
def test_words_are_stemmed_in_their_language(backend, language, text, query):
    backend.write([entry(1, "Nota", text, language=language), entry(2, "Otra", "nada")])
    assert keys(find(backend, Word(query))) == ["document:1"]


def test_a_word_matches_whatever_the_readers_language(backend):
    backend.write([entry(1, "Campaña", language="es"), entry(2, "Searching", language="en")])
    found = find(backend, AnyOf((Word("campañas"), Word("searched"))))
    assert sorted(keys(found)) == ["document:1", "document:2"]


def test_accents_case_and_arabic_marks_are_folded(backend):
    backend.write(
        [
            entry(1, "Búsqueda en el Comité", language="es"),
            entry(2, "مَفْقُود أحمد مصطفى", language="ar"),
            entry(3, "Sin texto", language=""),
        ]
    )
    assert keys(find(backend, Word("BUSQUEDA"))) == ["document:1"]
    assert keys(find(backend, Word("comite"))) == ["document:1"]
    assert keys(find(backend, Word("مفقود"))) == ["document:2"]
    assert keys(find(backend, Word("احمد"))) == ["document:2"]
    assert keys(find(backend, Word("مصطفي"))) == ["document:2"]


def test_phrase_needs_the_words_in_order(backend):
    backend.write(
        [entry(1, "Ley", "la ley de búsqueda"), entry(2, "Otra", "búsqueda de la ley vigente")]
    )
    assert keys(find(backend, Phrase(("ley", "de", "busqueda")))) == ["document:1"]
    assert len(keys(find(backend, AllOf((Word("ley"), Word("búsqueda")))))) == 2


def test_or_and_exclusion(backend):
    backend.write(
        [entry(1, "Mar", "naufragio en el mar"), entry(2, "Desierto", "el desierto del Sahara")]
    )
    both = find(backend, AnyOf((Word("mar"), Word("sahara"))))
    assert sorted(keys(both)) == ["document:1", "document:2"]
    assert keys(find(backend, AllOf((Word("el"), Not(Word("mar")))))) == ["document:2"]


def test_field_words(backend):
    backend.write(
        [
            entry(1, "Informe anual", "resumen", tags=("Salud Mental",), format="pdf"),
            entry(2, "Resumen", "informe", organisation="Comité de Familias", organisation_id=4),
            entry(
                3,
                "Otra",
                "texto",
                language="fr",
                kind="campaign",
                date=datetime(2023, 3, 1, tzinfo=UTC),
            ),
        ]
    )
    assert keys(find(backend, Word("informe", field="title"))) == ["document:1"]
    assert keys(find(backend, Word("informes", field="title"))) == ["document:1"]
    assert keys(find(backend, Word("salud mental", field="tag"))) == ["document:1"]
    assert keys(find(backend, Word("pdf", field="format"))) == ["document:1"]
    assert keys(find(backend, Word("comite", field="org"))) == ["document:2"]
    assert keys(find(backend, Word("fr", field="lang"))) == ["campaign:3"]
    assert keys(find(backend, Word("campaign", field="kind"))) == ["campaign:3"]
    assert keys(find(backend, Word("2023", field="year"))) == ["campaign:3"]
    assert keys(find(backend, Word("nineteen", field="year"))) == []
    mixed = AllOf((Word("informe"), Not(Word("pdf", field="format"))))
    assert keys(find(backend, mixed)) == ["document:2"]


def test_prefix(backend):
    backend.write([entry(1, "Desaparecidos", "personas desaparecidas"), entry(2, "Otra", "nada")])
    assert keys(find(backend, Prefix("desapar"))) == ["document:1"]
    assert keys(find(backend, Prefix("desap", field="title"))) == ["document:1"]
    assert keys(find(backend, Prefix("perso", field="title"))) == []


def test_query_syntax_typed_by_a_person_is_only_text(backend):
    backend.write([entry(1, "Mar", "mar")])
    for text in ("mar & !x", "mar:*", "'mar' | (x", "!!", "<->", "\\", "mar:A"):
        assert find(backend, Word(text)).total in (0, 1)
        assert find(backend, Prefix(text)).total in (0, 1)
        assert find(backend, Word(text, field="title")).total in (0, 1)
    assert keys(find(backend, Word("mar & !x"))) == []  # "x" is a word to find, not an operator


def test_filters(backend):
    backend.write(
        [
            entry(1, "Mar", "mar", format="pdf", tags=("Rescate",), organisation_id=3),
            entry(2, "Mar", "mar", language="fr", date=datetime(2023, 1, 1, tzinfo=UTC)),
            entry(3, "Mar", "mar", kind="event"),
        ]
    )
    assert keys(find(backend, Word("mar"), filters=Filters(formats=frozenset({"pdf"})))) == [
        "document:1"
    ]
    assert keys(find(backend, None, filters=Filters(tags=frozenset({"rescate"})))) == ["document:1"]
    assert keys(find(backend, None, filters=Filters(organisation_ids=frozenset({3})))) == [
        "document:1"
    ]
    assert keys(find(backend, None, filters=Filters(years=frozenset({2023})))) == ["document:2"]
    assert keys(find(backend, None, filters=Filters(languages=frozenset({"fr"})))) == ["document:2"]
    assert keys(find(backend, None, filters=Filters(kinds=frozenset({"event"})))) == ["event:3"]


def test_sort_by_date_relevance_and_paging(backend):
    backend.write(
        [
            entry(i, f"Nota {i}", "la frontera", date=datetime(2025, 1, i, tzinfo=UTC))
            for i in range(1, 6)
        ]
    )
    backend.write([entry(9, "Frontera", "otra cosa", date=datetime(2020, 1, 1, tzinfo=UTC))])
    newest = [f"document:{i}" for i in (5, 4, 3, 2, 1)]
    assert keys(find(backend, Word("frontera")))[0] == "document:9"  # the title weighs most
    assert keys(find(backend, Word("frontera"), sort="date")) == [*newest, "document:9"]
    assert keys(find(backend, None)) == [*newest, "document:9"]
    pages = [find(backend, Word("frontera"), sort="date", page=p, per_page=2) for p in (1, 2, 3, 4)]
    assert [keys(p) for p in pages] == [newest[:2], newest[2:4], [newest[4], "document:9"], []]
    assert {p.total for p in pages} == {6}


def test_facets_count_the_matches(backend):
    backend.write(
        [
            entry(1, "Mar", "mar", format="pdf", organisation_id=3),
            entry(2, "Mar", "mar", format="pdf", organisation_id=3, language="fr"),
            entry(3, "Mar", "mar", kind="event", date=datetime(2023, 5, 1, tzinfo=UTC)),
            entry(4, "Tierra", "tierra", format="odt"),
        ]
    )
    results = find(backend, Word("mar"))
    assert results.total == 3
    assert results.facets == {
        "kind": [("document", 2), ("event", 1)],
        "organisation": [("3", 2)],
        "language": [("es", 2), ("fr", 1)],
        "format": [("pdf", 2)],
        "year": [("2025", 2), ("2023", 1)],
    }
    assert find(backend, Word("mar"), facets=False).facets == {}


def test_snippets_mark_matched_words_in_the_original_text(backend):
    body = "Antes. " * 40 + "La <b>campaña</b> de búsqueda continúa en Melilla. " + "Después. " * 40
    backend.write(
        [
            entry(1, "Campañas de ﬁn de año", body),
            entry(2, "مَفْقُودُونَ في البحر", "قائمة المَفْقُودِ", language="ar"),
        ]
    )
    hit = find(backend, Word("campana")).hits[0]
    assert marked(hit.title) == ["Campañas"]
    assert "".join(text for text, _ in hit.title) == "Campañas de ﬁn de año"
    assert marked(hit.snippet) == ["campaña"]
    assert "<b>campaña</b> de búsqueda" in "".join(text for text, _ in hit.snippet)
    assert marked(find(backend, Word("fin")).hits[0].title) == ["ﬁn"]
    arabic = find(backend, Word("مفقود")).hits[0]
    assert marked(arabic.snippet) == ["المَفْقُودِ"]  # the vowel marks stay inside the mark
    plain = find(backend, None).hits
    assert all(not marked(hit.title) and not marked(hit.snippet) for hit in plain)


def test_outsider_sees_nothing_of_a_private_entry(backend):
    backend.write([entry(1, "Zarzaparrilla", "zarzaparrilla secreta", tokens={"org:7"})])
    for query in (Word("zarzaparrilla"), Prefix("zarza"), None):
        results = find(backend, query, tokens=OUTSIDER)
        assert results.total == 0
        assert results.hits == []
        assert all(not counts for counts in results.facets.values())
        assert results.suggestion is None
    assert keys(find(backend, Word("zarzaparrilla"), tokens={"org:7"})) == ["document:1"]
    assert find(backend, Word("zarzaparrilla"), tokens=()).total == 0


def test_write_replaces_deletes_and_reports(backend):
    first = entry(1, "Mar", "mar")
    backend.write([first, entry(2, "Tierra", "tierra")])
    changed = entry(1, "Cielo", "cielo")
    backend.write([changed], deleted=["document:2"])
    assert backend.keys() == {"document:1": fingerprint(changed)}
    assert keys(find(backend, Word("mar"))) == []
    assert keys(find(backend, Word("cielo"))) == ["document:1"]
    assert backend.health() == {"ok": True, "entries": 1, "backend": "postgres"}
    backend.clear()
    assert backend.keys() == {}


def test_a_huge_body_is_indexed_in_part(backend):
    rng = random.Random(7)
    words = " ".join("".join(rng.choices("abcdefghij", k=9)) for _ in range(220_000))
    backend.write([entry(1, "Enorme", "principio " + words + "\x00 fin")])
    assert keys(find(backend, Word("principio"))) == ["document:1"]
    assert keys(find(backend, Word("enorme", field="title"))) == ["document:1"]
