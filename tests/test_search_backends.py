"""One search suite for every backend: the behaviour the Whoosh (embedded) and the PostgreSQL
(scaled) backends share, driven through the Backend interface the application picks.

``make test`` runs it on SQLite, so on Whoosh; ``make test-postgres`` runs it again with
TEST_DATABASE_URL on PostgreSQL, so on the PostgreSQL backend (app/config.py TestConfig).
What only one backend does is tested in tests/test_search_whoosh.py and
tests/test_search_postgres.py.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from app.search import service
from app.search.base import (
    FACETS,
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
from app.search.query import parse

PUBLIC = frozenset({"public"})
OUTSIDER = frozenset({"public", "signed-in", "member", "org:8"})


def entry(id, title="", body="", language="es", tokens=PUBLIC, year=2024, **extra) -> Entry:
    """A public Spanish document unless told otherwise, dated from its id and year."""
    date = extra.pop("date", None) or datetime(year, 1 + id % 12, 1 + id % 28, tzinfo=UTC)
    return Entry(
        kind=extra.pop("kind", "document"),
        id=id,
        title=title,
        body=body,
        language=language,
        tokens=frozenset(tokens),
        date=date,
        **extra,
    )


PRIVATE = entry(
    7,
    "Acta interna",
    "Reunión sobre la ley y honduras; clave zanahoriazul.",
    tokens={"org:7"},
    year=2020,
    organisation_id=7,
    organisation="Privada",
    format="odt",
    kind="message",
)

CORPUS = [
    entry(
        1,
        "Campaña de búsqueda",
        "La búsqueda de las campañas en Honduras sigue.",
        year=2023,
        tags=("Derechos humanos",),
        organisation_id=3,
        organisation="Cofamipro",
        format="pdf",
    ),
    entry(
        2,
        "Manifestation à Paris",
        "Les familles organisent des manifestations.",
        "fr",
        year=2024,
        organisation_id=4,
        organisation="Collectif Paris",
        kind="event",
    ),
    entry(
        3, "Le famiglie", "La famiglia cerca notizie dei migranti.", "it", year=2022, format="docx"
    ),
    entry(
        4,
        "Searching the desert",
        "Volunteers searched the border for days.",
        "en",
        year=2025,
        kind="campaign",
        tags=("desert",),
    ),
    entry(5, "المفقودين", "العائلات تبحث عن المفقودين في الصحراء", "ar", year=2024),
    entry(
        6,
        "Ley de búsqueda",
        "Texto de la ley general en materia de desaparición.",
        year=2021,
        organisation_id=3,
        organisation="Cofamipro",
        format="pdf",
    ),
    PRIVATE,
    entry(
        8,
        "Notas",
        "Un texto sin idioma conocido: búsqueda y Honduras.",
        "",
        year=2019,
        format="txt",
    ),
]


@pytest.fixture
def backend(app):
    """This application's backend (Whoosh on SQLite, PostgreSQL's on PostgreSQL), empty."""
    found = service.backend()
    found.clear()
    return found


@pytest.fixture
def corpus(backend):
    """The backend holding CORPUS (one private entry among public ones, five languages)."""
    backend.write(CORPUS)
    return backend


def search(backend, query, tokens=PUBLIC, **options) -> Results:
    """Search with typed text (parsed as a person's query), a Node, or None (a listing)."""
    node = parse(query) if isinstance(query, str) else query
    return backend.search(Request(query=node, tokens=frozenset(tokens), **options))


def keys(results: Results) -> list[str]:
    return [hit.key for hit in results.hits]


def marked(snippet) -> list[str]:
    return [text for text, match in snippet if match]


def plain(snippet) -> str:
    return "".join(text for text, _ in snippet)


# --- what a reader may not see -------------------------------------------------------------


def test_outsider_sees_nothing_of_a_private_entry(backend):
    backend.write([PRIVATE])
    for query in ("zanahoriazul", "zanahoria*", None):
        results = search(backend, query, OUTSIDER)
        assert results.total == 0 and results.hits == [], query
        assert set(results.facets) == set(FACETS)
        assert all(values == [] for values in results.facets.values()), query
        assert results.suggestion is None
    # ... while a member of org:7 finds it, with its facets.
    inside = search(backend, "zanahoriazul", {"org:7"})
    assert keys(inside) == ["message:7"]
    assert inside.facets["organisation"] == [("7", 1)]
    assert search(backend, "zanahoriazul", ()).total == 0


def test_private_entry_counts_in_no_total_facet_or_snippet(corpus):
    everything = search(corpus, None, OUTSIDER)
    assert "message:7" not in keys(everything)
    assert everything.total == len(CORPUS) - 1
    assert ("message", 1) not in everything.facets["kind"]
    assert "7" not in dict(everything.facets["organisation"])
    assert "odt" not in dict(everything.facets["format"])
    assert "2020" not in dict(everything.facets["year"])
    # "honduras" is in the private entry too: it adds nothing to what the outsider gets.
    honduras = search(corpus, "honduras", OUTSIDER)
    assert sorted(keys(honduras)) == ["document:1", "document:8"]
    assert honduras.total == 2
    for hit in honduras.hits:
        assert "zanahoriazul" not in plain(hit.snippet)


def test_no_token_in_common_sees_nothing(corpus):
    for tokens in (frozenset(), {"org:99"}):
        results = search(corpus, None, tokens)
        assert results.total == 0 and results.hits == []
        assert all(values == [] for values in results.facets.values())
        assert search(corpus, "búsqueda", tokens).total == 0


# --- language analysis ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "key"),
    [
        ("campañas", "document:1"),  # Spanish plural finds the singular title
        ("manifestations", "event:2"),
        ("manifestation", "event:2"),
        ("famiglie", "document:3"),
        ("famiglia", "document:3"),
        ("searched", "campaign:4"),
        ("searching", "campaign:4"),
        ("search", "campaign:4"),
        ("مفقود", "document:5"),  # المفقودين: definite plural meets the bare singular
        ("عائلة", "document:5"),  # العائلات
        ("مَفْقُود", "document:5"),  # vowelled
        ("المفقودون", "document:5"),
    ],
)
def test_stemming_meets_other_forms(corpus, query, key):
    assert key in keys(search(corpus, query))


@pytest.mark.parametrize(
    ("language", "text", "query"),
    [
        ("es", "Una campaña en Melilla", "campañas"),
        ("fr", "La manifestation devant la préfecture", "manifestations"),
        ("it", "Ogni famiglia cerca notizie", "famiglie"),
        ("en", "We searched the coast", "searching"),
        # The article comes off: المفقود and مفقود meet.
        ("ar", "قائمة المفقود في البحر", "مفقود"),
        ("ar", "قائمة مفقود في البحر", "المفقودين"),
    ],
)
def test_words_are_stemmed_in_their_language(backend, language, text, query):
    backend.write([entry(1, "Nota", text, language=language), entry(2, "Otra", "nada")])
    assert keys(search(backend, Word(query))) == ["document:1"]


def test_a_word_matches_whatever_the_readers_language(backend):
    backend.write([entry(1, "Campaña", language="es"), entry(2, "Searching", language="en")])
    found = search(backend, AnyOf((Word("campañas"), Word("searched"))))
    assert sorted(keys(found)) == ["document:1", "document:2"]


def test_accents_and_case_are_folded(corpus):
    for query in ("busqueda", "BÚSQUEDA", "Busqueda", "busque\u0301da"):
        assert "document:1" in keys(search(corpus, query)), query
    # Unknown language: folded, not stemmed, still found.
    assert "document:8" in keys(search(corpus, "BUSQUEDA"))


def test_accents_case_and_arabic_marks_are_folded(backend):
    backend.write(
        [
            entry(1, "Búsqueda en el Comité", language="es"),
            entry(2, "مَفْقُود أحمد مصطفى", language="ar"),
            entry(3, "Sin texto", language=""),
        ]
    )
    assert keys(search(backend, Word("BUSQUEDA"))) == ["document:1"]
    assert keys(search(backend, Word("comite"))) == ["document:1"]
    assert keys(search(backend, Word("مفقود"))) == ["document:2"]
    assert keys(search(backend, Word("احمد"))) == ["document:2"]
    assert keys(search(backend, Word("مصطفي"))) == ["document:2"]


def test_stop_words_do_not_demand_a_match(corpus):
    assert keys(search(corpus, "the volunteers")) == ["campaign:4"]
    assert "document:1" in keys(search(corpus, "campañas de honduras"))


# --- query features --------------------------------------------------------------------------


def test_phrase_needs_adjacent_words(corpus):
    assert keys(search(corpus, '"ley general"')) == ["document:6"]
    assert keys(search(corpus, '"general ley"')) == []
    assert "document:6" in keys(search(corpus, '"Ley de búsqueda"'))


def test_phrase_needs_the_words_in_order(backend):
    backend.write(
        [entry(1, "Ley", "la ley de búsqueda"), entry(2, "Otra", "búsqueda de la ley vigente")]
    )
    assert keys(search(backend, Phrase(("ley", "de", "busqueda")))) == ["document:1"]
    assert len(keys(search(backend, AllOf((Word("ley"), Word("búsqueda")))))) == 2


def test_or_and_exclusion(corpus):
    assert sorted(keys(search(corpus, "famiglia OR desert"))) == ["campaign:4", "document:3"]
    with_ley = set(keys(search(corpus, "búsqueda")))
    assert {"document:1", "document:6"} <= with_ley
    assert set(keys(search(corpus, "búsqueda -honduras"))) == with_ley - {
        "document:1",
        "document:8",
    }


def test_or_and_exclusion_of_plain_words(backend):
    backend.write(
        [entry(1, "Mar", "naufragio en el mar"), entry(2, "Desierto", "el desierto del Sahara")]
    )
    both = search(backend, AnyOf((Word("mar"), Word("sahara"))))
    assert sorted(keys(both)) == ["document:1", "document:2"]
    assert keys(search(backend, AllOf((Word("el"), Not(Word("mar")))))) == ["document:2"]


def test_an_exclusion_also_leaves_out_the_first_entry_with_both_words(backend):
    # Whoosh's exclusion kept the first entry with both words when an entry with only the
    # excluded word came before it: here, the Honduras report in "campaña -honduras".
    backend.write(
        [
            entry(1, "Honduras", "informe de Honduras"),
            entry(2, "Campaña", "la campaña en Honduras"),
            entry(3, "Campaña", "la campaña en Chiapas"),
        ]
    )
    results = search(backend, "campaña -honduras", facets=True)
    assert keys(results) == ["document:3"]
    assert results.total == 1
    assert dict(results.facets["year"]) == {"2024": 1}


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("title:búsqueda", ["document:1", "document:6"]),  # not document:8 (body only)
        ('tag:"derechos humanos"', ["document:1"]),
        ("tag:desert", ["campaign:4"]),
        ("org:cofamipro", ["document:1", "document:6"]),
        ("lang:it", ["document:3"]),
        ("kind:event", ["event:2"]),
        ("format:pdf", ["document:1", "document:6"]),
        ("year:2022", ["document:3"]),
        ("lang:es búsqueda -title:ley", ["document:1"]),
    ],
)
def test_field_queries(corpus, query, expected):
    assert sorted(keys(search(corpus, query))) == expected


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
    assert keys(search(backend, Word("informe", field="title"))) == ["document:1"]
    assert keys(search(backend, Word("informes", field="title"))) == ["document:1"]
    assert keys(search(backend, Word("salud mental", field="tag"))) == ["document:1"]
    assert keys(search(backend, Word("pdf", field="format"))) == ["document:1"]
    assert keys(search(backend, Word("comite", field="org"))) == ["document:2"]
    assert keys(search(backend, Word("fr", field="lang"))) == ["campaign:3"]
    assert keys(search(backend, Word("campaign", field="kind"))) == ["campaign:3"]
    assert keys(search(backend, Word("2023", field="year"))) == ["campaign:3"]
    assert keys(search(backend, Word("nineteen", field="year"))) == []
    mixed = AllOf((Word("informe"), Not(Word("pdf", field="format"))))
    assert keys(search(backend, mixed)) == ["document:2"]


def test_prefix_finds_unstemmed_words(corpus):
    assert sorted(keys(search(corpus, "campañ*"))) == ["document:1"]
    assert "document:6" in keys(search(corpus, "desapar*"))
    assert keys(search(corpus, "title:manif*")) == ["event:2"]


def test_prefix(backend):
    backend.write([entry(1, "Desaparecidos", "personas desaparecidas"), entry(2, "Otra", "nada")])
    assert keys(search(backend, Prefix("desapar"))) == ["document:1"]
    assert keys(search(backend, Prefix("desap", field="title"))) == ["document:1"]
    assert keys(search(backend, Prefix("perso", field="title"))) == []


# --- filters, sorting, paging, facets ------------------------------------------------------


def test_filters_restrict(corpus):
    def found(**filters):
        return sorted(keys(search(corpus, None, filters=Filters(**filters), per_page=50)))

    assert found(kinds=frozenset({"event", "campaign"})) == ["campaign:4", "event:2"]
    assert found(organisation_ids=frozenset({3})) == ["document:1", "document:6"]
    assert found(languages=frozenset({"fr"})) == ["event:2"]
    assert found(formats=frozenset({"pdf"}), years=frozenset({2021})) == ["document:6"]
    assert found(tags=frozenset({"derechos humanos"})) == ["document:1"]
    assert found(tags=frozenset({"Derechos  Humanos"})) == ["document:1"]


def test_filters_apply_to_words_and_listings(backend):
    backend.write(
        [
            entry(1, "Mar", "mar", format="pdf", tags=("Rescate",), organisation_id=3),
            entry(2, "Mar", "mar", language="fr", date=datetime(2023, 1, 1, tzinfo=UTC)),
            entry(3, "Mar", "mar", kind="event", year=2025),
        ]
    )

    def found(query, **filters):
        return keys(search(backend, query, filters=Filters(**filters)))

    assert found(Word("mar"), formats=frozenset({"pdf"})) == ["document:1"]
    assert found(None, tags=frozenset({"rescate"})) == ["document:1"]
    assert found(None, organisation_ids=frozenset({3})) == ["document:1"]
    assert found(None, years=frozenset({2023})) == ["document:2"]
    assert found(None, languages=frozenset({"fr"})) == ["document:2"]
    assert found(None, kinds=frozenset({"event"})) == ["event:3"]


def test_sort_by_date_and_listing_without_words(corpus):
    dates = [hit.date for hit in search(corpus, None, per_page=50).hits]
    assert dates == sorted(dates, reverse=True) and len(dates) == len(CORPUS) - 1
    by_date = search(corpus, "búsqueda", sort="date")
    hit_dates = [hit.date for hit in by_date.hits]
    assert hit_dates == sorted(hit_dates, reverse=True)
    assert by_date.hits[0].date.tzinfo is not None


def test_paging(corpus):
    first = search(corpus, None, per_page=3)
    second = search(corpus, None, per_page=3, page=2)
    beyond = search(corpus, None, per_page=3, page=9)
    assert first.total == second.total == beyond.total == len(CORPUS) - 1
    assert len(first.hits) == 3 and len(second.hits) == 3
    assert not set(keys(first)) & set(keys(second))
    assert beyond.hits == [] and beyond.page == 9


def test_sort_by_date_relevance_and_paging(backend):
    backend.write(
        [
            entry(i, f"Nota {i}", "la frontera", date=datetime(2025, 1, i, tzinfo=UTC))
            for i in range(1, 6)
        ]
    )
    backend.write([entry(9, "Frontera", "otra cosa", date=datetime(2020, 1, 1, tzinfo=UTC))])
    newest = [f"document:{i}" for i in (5, 4, 3, 2, 1)]
    assert keys(search(backend, Word("frontera")))[0] == "document:9"  # the title weighs most
    assert keys(search(backend, Word("frontera"), sort="date")) == [*newest, "document:9"]
    assert keys(search(backend, None)) == [*newest, "document:9"]
    pages = [
        search(backend, Word("frontera"), sort="date", page=p, per_page=2) for p in (1, 2, 3, 4)
    ]
    assert [keys(p) for p in pages] == [newest[:2], newest[2:4], [newest[4], "document:9"], []]
    assert {p.total for p in pages} == {6}


def test_facet_counts_are_disjunctive(corpus):
    results = search(corpus, None)
    assert dict(results.facets["language"]) == {"es": 2, "fr": 1, "it": 1, "en": 1, "ar": 1}
    assert results.facets["format"][0] == ("pdf", 2)  # biggest first
    assert dict(results.facets["organisation"]) == {"3": 2, "4": 1}
    chosen = search(corpus, None, filters=Filters(languages=frozenset({"es"})))
    assert chosen.total == 2
    # Other languages keep their counts; the other facets count only Spanish entries.
    assert dict(chosen.facets["language"])["fr"] == 1
    assert dict(chosen.facets["format"]) == {"pdf": 2}
    assert search(corpus, None, facets=False).facets == {}


def test_facets_count_the_matches(backend):
    backend.write(
        [
            entry(1, "Mar", "mar", format="pdf", organisation_id=3, year=2025),
            entry(2, "Mar", "mar", format="pdf", organisation_id=3, language="fr", year=2025),
            entry(3, "Mar", "mar", kind="event", date=datetime(2023, 5, 1, tzinfo=UTC)),
            entry(4, "Tierra", "tierra", format="odt"),
        ]
    )
    results = search(backend, Word("mar"))
    assert results.total == 3
    assert results.facets == {
        "kind": [("document", 2), ("event", 1)],
        "organisation": [("3", 2)],
        "language": [("es", 2), ("fr", 1)],
        "format": [("pdf", 2)],
        "year": [("2025", 2), ("2023", 1)],
    }
    assert search(backend, Word("mar"), facets=False).facets == {}
    # Choosing values: each facet counts with every filter but its own; a tag filter and the
    # words apply to all.
    chosen = search(
        backend,
        Word("mar"),
        filters=Filters(languages=frozenset({"es"}), formats=frozenset({"pdf"})),
    )
    assert keys(chosen) == ["document:1"] and chosen.total == 1
    assert chosen.facets == {
        "kind": [("document", 1)],
        "organisation": [("3", 1)],
        "language": [("es", 1), ("fr", 1)],  # pdf only, any language
        "format": [("pdf", 1)],  # Spanish only, any format (event:3 has none)
        "year": [("2025", 1)],
    }


# --- hits: snippets, titles, ranking ------------------------------------------------------


def test_snippets_and_titles_mark_the_matched_words(corpus):
    (hit,) = search(corpus, "campañas honduras").hits
    assert marked(hit.snippet) == ["campañas", "Honduras"]
    assert marked(hit.title) == ["Campaña"]
    assert plain(hit.title) == "Campaña de búsqueda"
    assert all(isinstance(text, str) and "<" not in text for text, _ in hit.snippet)
    (excluded,) = search(corpus, "búsqueda -ley lang:es").hits
    assert "ley" not in [w.lower() for w in marked(excluded.snippet)]


def test_snippets_mark_matched_words_in_the_original_text(backend):
    body = "Antes. " * 40 + "La <b>campaña</b> de búsqueda continúa en Melilla. " + "Después. " * 40
    backend.write(
        [
            entry(1, "Campañas de ﬁn de año", body),
            entry(2, "مَفْقُودُونَ في البحر", "قائمة المَفْقُودِ", language="ar"),
        ]
    )
    hit = search(backend, Word("campana")).hits[0]
    assert marked(hit.title) == ["Campañas"]
    assert plain(hit.title) == "Campañas de ﬁn de año"
    assert marked(hit.snippet) == ["campaña"]
    assert "<b>campaña</b> de búsqueda" in plain(hit.snippet)
    assert marked(search(backend, Word("fin")).hits[0].title) == ["ﬁn"]
    arabic = search(backend, Word("مفقود")).hits[0]
    assert marked(arabic.snippet) == ["المَفْقُودِ"]  # the vowel marks stay inside the mark
    listed = search(backend, None).hits
    assert all(not marked(hit.title) and not marked(hit.snippet) for hit in listed)


def test_hit_carries_what_the_page_shows(corpus):
    (hit,) = search(corpus, "cofamipro -ley").hits
    assert (hit.kind, hit.id, hit.language, hit.format) == ("document", 1, "es", "pdf")
    assert hit.organisation_id == 3 and hit.date.year == 2023


def test_title_match_ranks_first(backend):
    backend.write(
        [
            entry(1, "Informe anual", "Un texto largo que menciona caravana una vez. " * 3),
            entry(2, "Caravana", "Un texto sobre otra cosa."),
            entry(3, "Otro informe", "caravana aquí también, sin título."),
        ]
    )
    assert keys(search(backend, "caravana"))[0] == "document:2"


# --- writing -------------------------------------------------------------------------------


def test_write_replaces_deletes_and_reports(app, backend):
    first = [entry(1, "Mar", "alfa mar"), entry(2, "Tierra", "beta tierra")]
    backend.write(first)
    assert backend.keys() == {e.key: fingerprint(e) for e in first}
    changed = entry(1, "Cielo", "gamma cielo")
    backend.write([changed], deleted=["document:2"])
    assert backend.keys() == {"document:1": fingerprint(changed)}
    assert search(backend, "alfa").total == 0 and search(backend, "gamma").total == 1
    assert keys(search(backend, Word("mar"))) == []
    assert keys(search(backend, Word("cielo"))) == ["document:1"]
    assert search(backend, "beta").total == 0
    name = app.config["SEARCH_BACKEND"]
    assert backend.health() == {"ok": True, "entries": 1, "backend": name}
    backend.clear()
    assert backend.keys() == {} and search(backend, None).total == 0


def test_rebuild_gives_the_same_results(backend):
    backend.write(CORPUS[:4])
    backend.write(CORPUS[4:])
    texts = ("búsqueda", "familles", None, "campañ*")
    before = {text: search(backend, text) for text in texts}
    backend.clear()
    backend.write(CORPUS)
    for text in texts:
        ours, theirs = search(backend, text), before[text]
        assert keys(ours) == keys(theirs) and ours.facets == theirs.facets
        assert [h.snippet for h in ours.hits] == [h.snippet for h in theirs.hits]


def test_words_after_text_that_looks_like_markup_are_found_and_marked(backend):
    """A document quoting HTML ("<script ...>") keeps every word after it searchable."""
    quoted = "<iframe onload=%22x%22><script>r.open('GET','http://e.org/x');</script></iframe>"
    backend.write([entry(1, "Informe", f"{quoted}\n\nhuella12 desaparecidos fin")])
    results = search(backend, "huella12 desaparecidos")
    assert keys(results) == ["document:1"]
    assert ("huella12", True) in results.hits[0].snippet
