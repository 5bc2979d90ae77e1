"""The Whoosh backend, driven with Entry values: language analysis, query features, filters,
facets, snippets, suggestions, writing, bounds and, first of all, what a reader may not see."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import pytest

from app.search import whoosh_query
from app.search.base import FACETS, Entry, Filters, Request, fingerprint
from app.search.query import parse
from app.search.snippets import SCAN, WIDTH, passage
from app.search.whoosh_backend import WhooshBackend

PUBLIC = frozenset({"public"})
OUTSIDER = frozenset({"public", "signed-in", "member", "org:8"})


def entry(id, title="", body="", language="es", tokens=PUBLIC, year=2024, **extra):
    return Entry(
        kind=extra.pop("kind", "document"),
        id=id,
        title=title,
        body=body,
        language=language,
        tokens=frozenset(tokens),
        date=datetime(year, 1 + id % 12, 1 + id % 28, tzinfo=UTC),
        **extra,
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
    entry(
        7,
        "Acta interna",
        "Reunión sobre la ley y honduras; clave zanahoriazul.",
        tokens={"org:7"},
        year=2020,
        organisation_id=7,
        organisation="Privada",
        format="odt",
        kind="message",
    ),
    entry(
        8,
        "Notas",
        "Un texto sin idioma conocido: búsqueda y Honduras.",
        "",
        year=2019,
        format="txt",
    ),
]


@pytest.fixture(scope="module")
def backend(tmp_path_factory):
    index = WhooshBackend(str(tmp_path_factory.mktemp("index")))
    index.write(CORPUS)
    return index


def search(backend, text, tokens=PUBLIC, **kwargs):
    query = parse(text) if isinstance(text, str) else text
    return backend.search(Request(query=query, tokens=frozenset(tokens), **kwargs))


def keys(results):
    return [hit.key for hit in results.hits]


def marked_words(snippet):
    return [text for text, matched in snippet if matched]


# --- what a reader may not see -------------------------------------------------------------


def test_outsider_sees_nothing_of_a_private_entry(backend):
    results = search(backend, "zanahoriazul", OUTSIDER)
    assert results.total == 0 and results.hits == []
    assert set(results.facets) == set(FACETS)
    assert all(values == [] for values in results.facets.values())
    assert results.suggestion is None
    # ... while a member of org:7 finds it, with its facets.
    inside = search(backend, "zanahoriazul", {"org:7"})
    assert keys(inside) == ["message:7"]
    assert inside.facets["organisation"] == [("7", 1)]


def test_private_entry_counts_in_no_total_facet_or_snippet(backend):
    everything = search(backend, None, OUTSIDER)
    assert "message:7" not in keys(everything)
    assert everything.total == len(CORPUS) - 1
    assert ("message", 1) not in everything.facets["kind"]
    assert "7" not in dict(everything.facets["organisation"])
    assert "odt" not in dict(everything.facets["format"])
    assert "2020" not in dict(everything.facets["year"])
    # "honduras" is in the private entry too: it adds nothing to what the outsider gets.
    honduras = search(backend, "honduras", OUTSIDER)
    assert sorted(keys(honduras)) == ["document:1", "document:8"]
    assert honduras.total == 2
    for hit in honduras.hits:
        assert "zanahoriazul" not in "".join(text for text, _ in hit.snippet)


def test_no_token_in_common_sees_nothing(backend):
    for tokens in (frozenset(), {"org:99"}):
        results = search(backend, None, tokens)
        assert results.total == 0 and results.hits == []
        assert all(values == [] for values in results.facets.values())
        assert search(backend, "búsqueda", tokens).total == 0


def test_suggestion_never_leaks_a_private_word(backend):
    # The only close word is in the private entry: no suggestion for the outsider...
    assert search(backend, "zanahoriazol", OUTSIDER).suggestion is None
    # ... the member is offered it, and the suggestion has hits for them.
    member = search(backend, "zanahoriazol", {"org:7"})
    assert member.suggestion == "zanahoriazul"
    assert search(backend, member.suggestion, {"org:7"}).total == 1


def test_suggestion_corrects_a_typo_among_visible_entries(backend):
    results = search(backend, "busqeda honduras")
    assert results.total == 0
    assert results.suggestion == "busqueda honduras"
    assert search(backend, results.suggestion).total > 0
    assert search(backend, "búsqueda").suggestion is None  # hits: nothing to correct


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
def test_stemming_meets_other_forms(backend, query, key):
    assert key in keys(search(backend, query))


def test_accents_and_case_are_folded(backend):
    for query in ("busqueda", "BÚSQUEDA", "Busqueda", "busque\u0301da"):
        assert "document:1" in keys(search(backend, query)), query
    # Unknown language: folded, not stemmed, still found.
    assert "document:8" in keys(search(backend, "BUSQUEDA"))


def test_stop_words_do_not_demand_a_match(backend):
    assert keys(search(backend, "the volunteers")) == ["campaign:4"]
    assert "document:1" in keys(search(backend, "campañas de honduras"))


# --- query features --------------------------------------------------------------------------


def test_phrase_needs_adjacent_words(backend):
    assert keys(search(backend, '"ley general"')) == ["document:6"]
    assert keys(search(backend, '"general ley"')) == []
    assert "document:6" in keys(search(backend, '"Ley de búsqueda"'))


def test_or_and_exclusion(backend):
    assert sorted(keys(search(backend, "famiglia OR desert"))) == ["campaign:4", "document:3"]
    with_ley = set(keys(search(backend, "búsqueda")))
    assert {"document:1", "document:6"} <= with_ley
    assert set(keys(search(backend, "búsqueda -honduras"))) == with_ley - {
        "document:1",
        "document:8",
    }


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
def test_field_queries(backend, query, expected):
    assert sorted(keys(search(backend, query))) == expected


def test_prefix_finds_unstemmed_words(backend):
    assert sorted(keys(search(backend, "campañ*"))) == ["document:1"]
    assert "document:6" in keys(search(backend, "desapar*"))
    assert keys(search(backend, "title:manif*")) == ["event:2"]


def test_prefix_expansion_is_bounded(tmp_path):
    index = WhooshBackend(str(tmp_path))
    words = [f"pala{i:04d}" for i in range(whoosh_query.PREFIX_SCAN + 100)]
    common = "pala0300x"  # among the scanned candidates, not the first 50: kept as most frequent
    index.write(
        [entry(i, f"t{i}", f"{words[i]} {common}") for i in range(len(words))]
        + [entry(5000 + i, "x", common) for i in range(3)]
    )
    reader = index._current().reader()
    expanded = whoosh_query.expand(reader, "body_any", "pala")
    assert len(expanded) == whoosh_query.PREFIX_TERMS
    assert common in expanded
    started = time.perf_counter()
    results = search(index, "pal*")
    assert time.perf_counter() - started < 5  # a safety net, not a benchmark
    assert results.total == len(words) + 3  # every entry has the common word


# --- filters, sorting, paging, facets ------------------------------------------------------


def test_filters_restrict(backend):
    def found(**filters):
        return sorted(keys(search(backend, None, filters=Filters(**filters), per_page=50)))

    assert found(kinds=frozenset({"event", "campaign"})) == ["campaign:4", "event:2"]
    assert found(organisation_ids=frozenset({3})) == ["document:1", "document:6"]
    assert found(languages=frozenset({"fr"})) == ["event:2"]
    assert found(formats=frozenset({"pdf"}), years=frozenset({2021})) == ["document:6"]
    assert found(tags=frozenset({"derechos humanos"})) == ["document:1"]
    assert found(tags=frozenset({"Derechos  Humanos"})) == ["document:1"]


def test_sort_by_date_and_listing_without_words(backend):
    dates = [hit.date for hit in search(backend, None, per_page=50).hits]
    assert dates == sorted(dates, reverse=True) and len(dates) == len(CORPUS) - 1
    by_date = search(backend, "búsqueda", sort="date")
    hit_dates = [hit.date for hit in by_date.hits]
    assert hit_dates == sorted(hit_dates, reverse=True)
    assert by_date.hits[0].date.tzinfo is not None


def test_paging(backend):
    first = search(backend, None, per_page=3)
    second = search(backend, None, per_page=3, page=2)
    beyond = search(backend, None, per_page=3, page=9)
    assert first.total == second.total == beyond.total == len(CORPUS) - 1
    assert len(first.hits) == 3 and len(second.hits) == 3
    assert not set(keys(first)) & set(keys(second))
    assert beyond.hits == [] and beyond.page == 9


def test_facet_counts_are_disjunctive(backend):
    results = search(backend, None)
    assert dict(results.facets["language"]) == {"es": 2, "fr": 1, "it": 1, "en": 1, "ar": 1}
    assert results.facets["format"][0] == ("pdf", 2)  # biggest first
    assert dict(results.facets["organisation"]) == {"3": 2, "4": 1}
    chosen = search(backend, None, filters=Filters(languages=frozenset({"es"})))
    assert chosen.total == 2
    # Other languages keep their counts; the other facets count only Spanish entries.
    assert dict(chosen.facets["language"])["fr"] == 1
    assert dict(chosen.facets["format"]) == {"pdf": 2}
    assert search(backend, None, facets=False).facets == {}


# --- hits: snippets, titles, ranking ------------------------------------------------------


def test_snippets_and_titles_mark_the_matched_words(backend):
    (hit,) = search(backend, "campañas honduras").hits
    assert marked_words(hit.snippet) == ["campañas", "Honduras"]
    assert marked_words(hit.title) == ["Campaña"]
    assert "".join(text for text, _ in hit.title) == "Campaña de búsqueda"
    assert all(isinstance(text, str) and "<" not in text for text, _ in hit.snippet)
    (excluded,) = search(backend, "búsqueda -ley lang:es").hits
    assert "ley" not in [w.lower() for w in marked_words(excluded.snippet)]


def test_hit_carries_what_the_page_shows(backend):
    (hit,) = search(backend, "cofamipro -ley").hits
    assert (hit.kind, hit.id, hit.language, hit.format) == ("document", 1, "es", "pdf")
    assert hit.organisation_id == 3 and hit.date.year == 2023


def test_title_match_ranks_first(tmp_path):
    index = WhooshBackend(str(tmp_path))
    index.write(
        [
            entry(1, "Informe anual", "Un texto largo que menciona caravana una vez. " * 3),
            entry(2, "Caravana", "Un texto sobre otra cosa."),
            entry(3, "Otro informe", "caravana aquí también, sin título."),
        ]
    )
    assert keys(search(index, "caravana"))[0] == "document:2"


def test_snippet_is_a_bounded_passage():
    body = "relleno " * 200 + "la búsqueda de las campañas en Honduras " + "fin " * 200
    start = body.index("campañas")
    snippet = passage(body, [(start, start + len("campañas"))])
    text = "".join(piece for piece, _ in snippet)
    assert len(text) <= WIDTH + 20 and text.startswith("…") and text.endswith("…")
    assert marked_words(snippet) == ["campañas"]
    # No match within the scanned part: the opening, unmarked.
    opening = passage(body, [(SCAN + 5, SCAN + 9)])
    assert not marked_words(opening) and opening[0][0].startswith("relleno")
    assert passage("", []) == ()


# --- writing -------------------------------------------------------------------------------


def test_keys_update_and_delete(tmp_path):
    index = WhooshBackend(str(tmp_path))
    first = [entry(1, "Uno", "alfa"), entry(2, "Dos", "beta")]
    index.write(first)
    assert index.keys() == {e.key: fingerprint(e) for e in first}
    changed = entry(1, "Uno", "gamma")
    index.write([changed], deleted=["document:2"])
    assert index.keys() == {"document:1": fingerprint(changed)}
    assert search(index, "alfa").total == 0 and search(index, "gamma").total == 1
    assert search(index, "beta").total == 0
    assert index.health() == {"ok": True, "entries": 1, "backend": "whoosh"}
    index.clear()
    assert index.keys() == {} and search(index, None).total == 0


def test_rebuild_gives_the_same_results(backend, tmp_path):
    index = WhooshBackend(str(tmp_path))
    index.write(CORPUS[:4])
    index.write(CORPUS[4:])
    index.clear()
    index.write(CORPUS)
    for text in ("búsqueda", "familles", None, "campañ*"):
        ours, theirs = search(index, text), search(backend, text)
        assert keys(ours) == keys(theirs) and ours.facets == theirs.facets
        assert [h.snippet for h in ours.hits] == [h.snippet for h in theirs.hits]


def test_a_new_backend_on_the_same_directory_sees_the_entries(tmp_path):
    WhooshBackend(str(tmp_path)).write([entry(1, "Persistente", "texto")])
    assert keys(search(WhooshBackend(str(tmp_path)), "persistente")) == ["document:1"]


def test_a_token_that_would_split_is_refused(tmp_path):
    index = WhooshBackend(str(tmp_path))
    with pytest.raises(ValueError):
        index.write([entry(1, "x", "y", tokens={"org:7,public"})])
    assert index.keys() == {}


def test_health_reports_an_unopenable_index(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    health = WhooshBackend(str(blocker)).health()
    assert health["ok"] is False and health["backend"] == "whoosh" and "error" in health


# --- bounded cost --------------------------------------------------------------------------


def test_big_inputs_work(tmp_path):
    index = WhooshBackend(str(tmp_path))
    started = time.perf_counter()
    index.write(
        [entry(i, f"Entrada {i}", f"texto {i} sobre familias y campañas") for i in range(1000)]
    )
    huge = ("las familias buscan " * 110_000)[:2_000_000] + " finalísima"
    index.write([entry(5000, "Enorme", huge)])
    assert search(index, "familias").total == 1001
    assert search(index, "finalisima").total == 1  # beyond the stored part, still indexed
    (big,) = search(index, "finalisima").hits
    assert len("".join(text for text, _ in big.snippet)) <= WIDTH + 20
    words = " ".join(f"palabra{i}" for i in range(31)) + " familias"
    assert search(index, words).total == 0
    assert len(index.keys()) == 1001
    assert time.perf_counter() - started < 120  # a safety net, not a benchmark


def test_an_entry_made_private_disappears_for_a_warm_searcher(tmp_path):
    # Whoosh's Searcher.refresh() would keep the old (public) version of an updated entry.
    index = WhooshBackend(str(tmp_path))
    index.write([entry(1, "Acta", "cambiante"), entry(2, "Otra", "texto")])
    assert search(index, "cambiante", OUTSIDER).total == 1
    index.write([entry(1, "Acta", "cambiante", tokens={"org:7"})])
    results = search(index, "cambiante", OUTSIDER)
    assert results.total == 0 and results.hits == []
    assert all(values == [] for values in results.facets.values())
    assert search(index, None, OUTSIDER).total == 1
    assert search(index, "cambiante", {"org:7"}).total == 1
