"""What only the Whoosh backend does: suggestions (that never leak a private word), bounded
prefix expansion, snippets cut from its stored text, its index directory, a warm searcher and
very big inputs. The behaviour both backends share is in tests/test_search_backends.py."""

from __future__ import annotations

import random
import time

import pytest

from app.search import analysis, whoosh_facets, whoosh_query
from app.search.base import Request
from app.search.query import parse
from app.search.snippets import SCAN, WIDTH, passage
from app.search.whoosh_backend import WhooshBackend
from tests.test_search_backends import CORPUS, OUTSIDER, PUBLIC, entry


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


# --- suggestions: never a word the reader may not see --------------------------------------


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


# --- bounded prefixes and snippets ---------------------------------------------------------


def test_prefix_expansion_is_bounded(tmp_path):
    index = WhooshBackend(str(tmp_path))
    words = [f"pala{i:04d}" for i in range(whoosh_query.PREFIX_SCAN + 100)]
    common = "pala0300x"  # among the scanned candidates, not the first 50: kept as most frequent
    index.write(
        [entry(i, f"t{i}", f"{words[i]} {common}") for i in range(len(words))]
        + [entry(5000 + i, "x", common) for i in range(3)]
    )
    reader = index._current().reader()
    expanded = whoosh_query.expand(reader, "body_text", "pala")
    assert len(expanded) == whoosh_query.PREFIX_TERMS
    assert common in expanded
    started = time.perf_counter()
    results = search(index, "pal*")
    assert time.perf_counter() - started < 5  # a safety net, not a benchmark
    assert results.total == len(words) + 3  # every entry has the common word


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


# --- the index directory -------------------------------------------------------------------


def test_a_new_backend_on_the_same_directory_sees_the_entries(tmp_path):
    WhooshBackend(str(tmp_path)).write([entry(1, "Persistente", "texto")])
    assert keys(search(WhooshBackend(str(tmp_path)), "persistente")) == ["document:1"]


def test_a_warmed_backend_reads_nothing_more_for_its_first_search(tmp_path, monkeypatch):
    """warm() reads the filter and facet columns the first search needs, then only new ones."""
    WhooshBackend(str(tmp_path)).write([entry(1, "Persistente", "texto")])
    restarted = WhooshBackend(str(tmp_path))
    read = []
    real = whoosh_facets._column
    monkeypatch.setattr(
        whoosh_facets, "_column", lambda r, name: read.append(name) or real(r, name)
    )
    restarted.warm()
    assert sorted(read) == sorted(whoosh_facets.READ)
    read.clear()
    assert keys(search(restarted, "persistente")) == ["document:1"]
    assert read == []
    restarted.write([entry(2, "Persistente otra vez", "texto")])
    restarted.warm()  # the new segment only: the first one's values are kept
    assert sorted(read) == sorted(whoosh_facets.READ)
    read.clear()
    assert sorted(keys(search(restarted, "persistente"))) == ["document:1", "document:2"]
    assert read == []


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


# --- bounded cost, a warm searcher ---------------------------------------------------------


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


# --- bounded prefixes on a large index, an index of an older layout ----------------------


def test_a_prefix_reads_a_bounded_number_of_postings(tmp_path, monkeypatch):
    """The most frequent words of a prefix first, until the postings budget is spent."""
    index = WhooshBackend(str(tmp_path))
    index.write(
        [entry(i, "x", "palacio") for i in range(10)]
        + [entry(100 + i, "x", "palabra") for i in range(3)]
    )
    assert search(index, "pala*").total == 13
    monkeypatch.setattr(whoosh_query, "PREFIX_POSTINGS", 11)
    assert search(index, "pala*").total == 10  # "palabra" would pass the budget
    monkeypatch.setattr(whoosh_query, "PREFIX_POSTINGS", 2)
    assert search(index, "pala*").total == 10  # at least the most frequent word


def test_an_index_of_an_older_layout_is_emptied_once(tmp_path):
    """Fields and forms changed: the old index is emptied (not misread) and said to be."""
    from whoosh import fields
    from whoosh import index as whoosh_index

    old = whoosh_index.create_in(str(tmp_path), fields.Schema(key=fields.ID(stored=True)))
    writer = old.writer()
    writer.add_document(key="document:1")
    writer.commit()
    backend = WhooshBackend(str(tmp_path))
    assert backend.take_replaced() is True
    assert backend.keys() == {}
    backend.write([entry(1, "Nuevo", "texto nuevo")])
    again = WhooshBackend(str(tmp_path))
    assert again.take_replaced() is False
    assert keys(search(again, "nuevo")) == ["document:1"]


def test_a_write_rewrites_a_bounded_number_of_entries_and_segments_stay_few(tmp_path, monkeypatch):
    """Segments are merged four of a size at a time, never into more than MAX_MERGED entries.
    Whoosh's default let them pile up, then rewrote every one in a single commit (a drain
    stalled for minutes at 100k entries)."""
    from app.search import whoosh_backend

    monkeypatch.setattr(whoosh_backend, "MAX_MERGED", 200)
    index = WhooshBackend(str(tmp_path))

    def segments():
        return {s.segment_id(): s.doc_count() for s in index._index()._segments()}

    for batch in range(60):
        before = segments()
        index.write([entry(batch * 20 + i, "Acta", "texto común") for i in range(20)])
        after = segments()
        assert sum(n for ident, n in before.items() if ident not in after) <= 200
        assert len(after) <= 3 * whoosh_backend.MERGE_FACTOR + 60 * 20 // 200
    assert search(index, "común").total == 60 * 20


def test_ranking_scores_a_phrase_as_its_words_and_skips_exclusions():
    """Ranking runs over what the exact query found: no positions, no exclusion re-checked."""
    from whoosh import query as wq

    exact = wq.AndNot(
        wq.And([wq.Phrase("body_text", ["verdad", "justici"]), wq.Term("title_text", "carta")]),
        wq.Term("body_text", "borrador"),
    )
    assert whoosh_query.ranking(exact) == wq.And(
        [
            wq.And([wq.Term("body_text", "verdad"), wq.Term("body_text", "justici")]),
            wq.Term("title_text", "carta"),
        ]
    )


def test_a_phrase_finds_only_the_phrase_however_it_is_ranked(tmp_path):
    index = WhooshBackend(str(tmp_path))
    index.write(
        [entry(1, "Uno", "exigimos verdad y justicia"), entry(2, "Dos", "justicia y verdad")]
    )
    assert keys(search(index, '"verdad y justicia"')) == ["document:1"]
    assert sorted(keys(search(index, "verdad justicia"))) == ["document:1", "document:2"]


def _walked_spans(language, text, wanted, limit, most):
    """The spans as found by walking every word (what analysis.spans must give, faster)."""
    found = []
    for match in analysis.WORDS.finditer(text, 0, limit):
        if found and match.end() > limit:
            break
        if analysis.form(language, match.group())[0] in wanted:
            if not found:
                limit = min(limit, match.start() + analysis.HORIZON)
            found.append(match.span())
            if len(found) >= most:
                break
    return found


def test_matched_word_spans_are_those_of_a_word_by_word_walk():
    rng = random.Random(11)
    vocabulary = {
        "es": [
            "campaña",
            "campañas",
            "madre",
            "madres",
            "búsqueda",
            "caravana",
            "de",
            "la",
            "precaravana",
            "madresita",
            "lade",
        ],  # some hold another word inside
        "fr": ["manifestation", "manifestations", "mères", "disparus", "le"],
        "ar": ["الأمهات", "أمهات", "المفقودين", "مفقود", "في"],
    }
    for _ in range(300):
        language = rng.choice(list(vocabulary))
        words = vocabulary[language]
        # Half the texts with combining marks (accents typed apart), half without.
        separators = rng.choice([[" ", ", ", ".\n", "-", "_"], [" ", "_", "\u0301 "]])
        text = "".join(
            rng.choice(words) + rng.choice(separators) for _ in range(rng.randint(1, 900))
        )
        wanted = {analysis.form(language, rng.choice(words))[0]}
        limit = rng.choice([len(text), rng.randint(1, len(text))])
        most = rng.choice([1, 3, 64])
        expected = _walked_spans(language, text, wanted, limit, most)
        assert analysis.spans(language, text, wanted, limit, most) == expected
