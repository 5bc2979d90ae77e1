"""The unscored matching pass (app/search/whoosh_postings.py) finds exactly the documents
Whoosh's own matchers find, and the block ranking (app/search/whoosh_ranking.py) puts them in
the order and with the scores Whoosh's collector gives, for every kind of query the search
builds, on an index with several segments, replaced and deleted entries."""

from __future__ import annotations

import random

import pytest
from whoosh import query as wq

from app.search.query import parse
from app.search.whoosh_backend import WhooshBackend
from app.search.whoosh_postings import Decoded, matching
from app.search.whoosh_query import ranking, translate
from app.search.whoosh_ranking import ranked
from tests.test_search_writer import WORDS, batches

FORMS = WORDS[:40] + WORDS[-4:] + ["palabra299", "ausente"]


@pytest.fixture(scope="module")
def backend(tmp_path_factory):
    index = WhooshBackend(str(tmp_path_factory.mktemp("index")))
    for entries, deleted in batches(seed=11):
        index.write(entries, deleted)
    return index


@pytest.fixture(scope="module")
def searcher(backend):
    found = backend._current()
    assert len(found.subsearchers) > 1 and found.reader().has_deletions()
    return found


def texts(count: int, seed: int = 5):
    """Query texts of every kind: words, phrases, OR, exclusions, prefixes, fields, tags."""
    rng = random.Random(seed)
    for _ in range(count):
        a, b, c = rng.sample(FORMS, 3)
        yield rng.choice(
            [
                a,
                f"{a} {b}",
                f'"{a} {b}"',
                f'"{a} {b} {c}"',
                f"{a} OR {b}",
                f"{a} OR {b} OR {c}",
                f"{a} -{b}",
                f"{a} {b} -{c}",
                f"({a} OR {b}) -{c}",
                f"{a[:4]}*",
                f"title:{a}",
                f"title:{a} OR {b}",
                f"tag:{a}",
                f'"{a} {b}" OR {c}',
                f'"{a} {b}" OR {b}',  # a phrase's word alone too: read whole and in part
                "de la",
            ]
        )


def whooshs(searcher, query: wq.Query) -> list[int]:
    """Whoosh's matching documents, an exclusion taken as the difference of its two sides.

    Whoosh's AndNot matcher never checks its first document against the excluded side when
    that side starts earlier (AndNotMatcher._find_first): "campaña -honduras" kept the first
    entry with both words (tests/test_search_backends.py has the case).
    """
    if isinstance(query, wq.AndNot):
        return sorted(set(whooshs(searcher, query.a)) - set(whooshs(searcher, query.b)))
    if isinstance(query, wq.Or | wq.And) and any(
        isinstance(sub, wq.AndNot) for sub in query.subqueries
    ):
        sets = [set(whooshs(searcher, sub)) for sub in query.subqueries]
        combined = set.union(*sets) if isinstance(query, wq.Or) else set.intersection(*sets)
        return sorted(combined)
    return list(searcher.docs_for_query(query))


def test_same_documents_as_whooshs_matchers(searcher):
    compared = matched = phrases = 0
    for text in texts(400):
        query = translate(parse(text), searcher.reader()).query
        expected = whooshs(searcher, query)
        assert matching(searcher, query) == expected, text
        assert matching(searcher, query, Decoded()) == expected, text  # as a search reads it
        compared += 1
        matched += bool(expected)
        phrases += text.startswith('"') and bool(expected)
    assert matched > compared / 2  # most queries find something: the comparison means something
    assert phrases > 20


def test_other_queries_are_left_to_whoosh(searcher):
    ordered = wq.Ordered([wq.Term("body_text", "palabr"), wq.Term("body_text", "caravan")])
    assert matching(searcher, ordered) == list(searcher.docs_for_query(ordered))
    assert matching(searcher, wq.NullQuery) == []
    assert matching(searcher, wq.Term("nowhere", "x")) == []


def whooshs_top(searcher, query: wq.Query, kept: list[int], need: int) -> list[tuple[int, float]]:
    """Whoosh's best ``need`` documents, every match scored in full.

    Not ``search(limit=need)``: with a small limit Whoosh skips blocks that seem unable to
    reach the page, and its unions then lose a part's score ("palabra7 palabra13" put an
    entry scoring 25.96 second, at 23.82, and with limit=1 left it out).
    """
    if not kept:  # an empty filter is no filter to Whoosh
        return []
    hits = searcher.search(query, filter=set(kept), limit=None)
    return sorted(((hit.docnum, hit.score) for hit in hits), key=lambda ds: (-ds[1], ds[0]))[:need]


def test_same_ranking_as_whooshs_collector(backend, searcher):
    values = backend._columns.values(searcher)
    rng = random.Random(8)
    ranked_pages = few_of_many = 0
    for text in texts(400, seed=9):
        exact = translate(parse(text), searcher.reader()).query
        query = ranking(exact)
        decoded = Decoded()
        matched = matching(searcher, exact, decoded)  # as a search: the exact query, then rank
        kept = [d for d in matched if rng.random() < 0.8]  # as after the permission filter
        if rng.random() < 0.3:  # a filter left few: postings are picked, not all walked
            kept = kept[::20]
            few_of_many += len(kept) > 1
        need = rng.choice([1, 10, 20, 60])
        theirs = whooshs_top(searcher, query, kept, need)
        # read afresh, and from the postings the unscored pass read (as a search does)
        for ours in (ranked(searcher, query, kept, need, values),
                     ranked(searcher, query, kept, need, values, decoded)):  # fmt: skip
            assert ours is not None, text
            assert [d for d, _ in ours] == [d for d, _ in theirs], text
            assert [s for _, s in ours] == pytest.approx([s for _, s in theirs], rel=1e-12), text
        ranked_pages += len(theirs) > 1
    assert ranked_pages > 200
    assert few_of_many > 50


def test_a_search_keeps_at_most_so_many_decoded_postings(searcher, monkeypatch):
    reader = searcher.reader()
    if searcher.subsearchers:
        reader = searcher.subsearchers[0][0].reader()
    frequent = max(reader.lexicon("body_text"), key=lambda t: reader.doc_frequency("body_text", t))
    count = reader.doc_frequency("body_text", frequent)
    assert count > 20
    monkeypatch.setattr(Decoded, "KEPT", count - 1)
    decoded = Decoded()
    ids, weights = decoded.read(reader, "body_text", frequent)
    assert len(ids) == len(weights) == count  # read in full, but not kept: over the bound
    assert decoded.get(reader, "body_text", frequent) is None
    monkeypatch.setattr(Decoded, "KEPT", count)
    decoded.read(reader, "body_text", frequent)
    assert decoded.get(reader, "body_text", frequent) is not None


def test_weights_read_among_some_documents_serve_only_those(searcher):
    reader = searcher.reader()
    if searcher.subsearchers:
        reader = searcher.subsearchers[0][0].reader()
    decoded = Decoded()
    decoded.keep_among(reader, "body_text", b"palabra1", {3, 5, 8}, {3: 2.0, 8: 1.0})
    assert decoded.among(reader, "body_text", b"palabra1", {3, 5}) == {3: 2.0, 8: 1.0}
    assert decoded.among(reader, "body_text", b"palabra1", {3, 9}) is None  # 9 was not read
    assert decoded.among(reader, "body_text", b"palabra2", {3}) is None


def test_a_query_it_cannot_rank_is_left_to_whoosh(backend, searcher):
    values = backend._columns.values(searcher)
    ordered = wq.Ordered([wq.Term("body_text", "palabr"), wq.Term("body_text", "caravan")])
    assert ranked(searcher, ordered, [1, 2], 10, values) is None


def test_a_terms_postings_among_some_documents_read_only_their_blocks(searcher, monkeypatch):
    from whoosh.codec.whoosh3 import W3LeafMatcher

    from app.search.whoosh_postings import (
        postings_among,
        read_postings,
        unfiltered,
        weights_among,
    )

    reader = max(
        (leaf.reader() for leaf, _ in searcher.subsearchers), key=lambda r: r.doc_count_all()
    )
    common = max(reader.lexicon("body_text"), key=lambda t: reader.doc_frequency("body_text", t))
    ids, weights, values = read_postings(unfiltered(reader.postings("body_text", common)))
    assert len(ids) > 2 * 128  # three blocks or more
    everything = dict(zip(ids, zip(weights, values, strict=True), strict=True))
    rng = random.Random(4)
    for size in (0, 1, 5, 50, len(ids)):
        wanted = sorted(
            rng.sample(range(reader.doc_count_all()), min(size, reader.doc_count_all()))
        )
        expected = {d: wv for d, wv in everything.items() if d in set(wanted)}
        found = postings_among(
            unfiltered(reader.postings("body_text", common)), wanted, set(wanted)
        )
        assert found == expected
        found = weights_among(unfiltered(reader.postings("body_text", common)), wanted, set(wanted))
        assert found == {d: weight for d, (weight, _value) in expected.items()}
    blocks = []  # each block's last document, from the block headers
    matcher = unfiltered(reader.postings("body_text", common))
    while matcher.is_active():
        blocks.append(matcher._maxid)
        matcher._next_block()
    decoded = []
    real = W3LeafMatcher._read_data
    monkeypatch.setattr(W3LeafMatcher, "_read_data", lambda m: decoded.append(m._maxid) or real(m))
    postings_among(unfiltered(reader.postings("body_text", common)), [ids[-1]], {ids[-1]})
    # the last block, and the first if Whoosh's deletion filter looked into it
    assert set(decoded) <= {blocks[0], blocks[-1]} and blocks[-1] in decoded
    assert len(blocks) >= 3


def test_phrase_positions_read_in_c_agree_with_whooshs_decoding():
    """Phrases check positions decoded from Whoosh's Positions values without a Python step
    per position (_follows); the same answers as decoding them as Whoosh does (_follow), for
    values with and without the pickle's final "." (older Whoosh writers dropped it)."""
    from whoosh.formats import Positions

    from app.search.whoosh_postings import _follow, _follows

    rng, encode, checked = random.Random(3), Positions().encode, 0
    for _ in range(500):
        words = rng.randint(2, 4)
        encoded: dict[int, dict[int, bytes]] = {}
        for place in range(words):
            positions = sorted(rng.sample(range(40), rng.randint(1, 8)))
            value = encode(positions)
            encoded[place] = {7: value[:-1] if rng.random() < 0.5 else value}
        anchor = rng.randrange(words)
        expected = _follow(Positions().decode_positions, encoded, anchor, 7)
        assert _follows(encoded, anchor, 7) == expected
        checked += expected
    assert checked > 10  # some of the random phrases are there: both answers are compared
