"""Reading a term's postings a block at a time, and the unscored matching pass built on it.

Whoosh's matchers walk postings one at a time in Python (about 1 µs each): the segment
writer's merges (whoosh_writer.py) and a search's unscored pass (totals, facets and the
permission filter need every matching document, but no score) read whole blocks instead.

These functions use the whoosh3 block matcher's private members (`_read_ids()`, `_ids`,
`_next_block()`, ...) as of whoosh-reloaded 2.7.5; any other matcher takes the public,
posting-at-a-time path. tests/test_search_writer.py and tests/test_search_postings.py compare
both with Whoosh's own results.
"""

from __future__ import annotations

from whoosh import query as wq
from whoosh.codec.whoosh3 import W3LeafMatcher
from whoosh.matching.wrappers import FilterMatcher

Postings = tuple[list[int], list[float], list[bytes]]


def unfiltered(matcher):
    """The matcher under Whoosh's deletion filter (callers leave deleted documents out)."""
    return matcher.child if isinstance(matcher, FilterMatcher) else matcher


def read_postings(matcher) -> Postings:
    """Every posting of a term's matcher: document numbers, weights, values."""
    ids: list[int] = []
    weights: list[float] = []
    values: list[bytes] = []
    if isinstance(matcher, W3LeafMatcher):
        while matcher.is_active():  # a block at a time
            matcher._read_ids()
            matcher._read_weights()
            matcher._read_values()
            ids.extend(matcher._ids)
            weights.extend(matcher._weights)
            values.extend(matcher._values)
            matcher._next_block()
    else:  # postings stored inline in the term's entry
        while matcher.is_active():
            ids.append(matcher.id())
            weights.append(matcher.weight())
            values.append(matcher.value())
            matcher.next()
    return ids, weights, values


def read_weights(matcher) -> tuple[list[int], list[float]]:
    """The document numbers and weights (term frequencies) of a term's matcher."""
    ids: list[int] = []
    weights: list[float] = []
    if isinstance(matcher, W3LeafMatcher):
        while matcher.is_active():
            matcher._read_ids()
            matcher._read_weights()
            ids.extend(matcher._ids)
            weights.extend(matcher._weights)
            matcher._next_block()
    else:
        while matcher.is_active():
            ids.append(matcher.id())
            weights.append(matcher.weight())
            matcher.next()
    return ids, weights


def read_ids(matcher) -> list[int]:
    """The document numbers of a term's matcher."""
    if not isinstance(matcher, W3LeafMatcher):
        return list(matcher.all_ids())
    ids: list[int] = []
    while matcher.is_active():
        matcher._read_ids()
        ids.extend(matcher._ids)
        matcher._next_block()
    return ids


def matching(searcher, query: wq.Query) -> list[int]:
    """The numbers of the live documents matching a query, ascending (as docs_for_query).

    Ors are unions, Ands intersections and AndNots differences of sets built from whole
    posting blocks; a phrase or another query is matched by Whoosh within the documents
    that have all its words.
    """
    found: list[int] = []
    for leaf, offset in searcher.subsearchers or [(searcher, 0)]:
        reader = leaf.reader()
        docs = _docs(leaf, reader, query)
        if docs and reader.has_deletions():
            docs -= reader.deleted_docs_set
        found.extend([offset + docnum for docnum in sorted(docs)])
    return found


def _docs(leaf, reader, query: wq.Query) -> set[int]:
    """The segment's document numbers matching a query (deleted ones may be included)."""
    if isinstance(query, wq.Term):
        return _term(reader, query.fieldname, query.text)
    if isinstance(query, wq.Or) and not query.minmatch:
        return set().union(*(_docs(leaf, reader, sub) for sub in query.subqueries))
    if isinstance(query, wq.And):
        return _all(leaf, reader, query.subqueries)
    if isinstance(query, wq.AndNot):
        docs = _docs(leaf, reader, query.a)
        return docs - _docs(leaf, reader, query.b) if docs else docs
    if query is wq.NullQuery:
        return set()
    if isinstance(query, wq.Phrase) and query.slop == 1 and query.words:
        return _phrase(reader, query.fieldname, query.words)
    return set(query.docs(leaf))


def _phrase(reader, fieldname: str, words) -> set[int]:
    """The documents where the words follow one another (Whoosh's Phrase with slop 1).

    Whoosh walks the words' postings and position spans one by one; here the postings are
    read a block at a time and only the documents holding every word have positions decoded.
    """
    field = reader.schema[fieldname] if fieldname in reader.schema else None  # noqa: SIM401 (no get())
    if field is None or not field.format.supports("positions"):
        return set()
    encoded: list[dict[int, bytes]] = []
    for word in words:
        try:
            btext = field.to_bytes(word)
        except ValueError:
            return set()
        if (fieldname, btext) not in reader:
            return set()
        ids, _weights, values = read_postings(unfiltered(reader.postings(fieldname, btext)))
        encoded.append(dict(zip(ids, values, strict=True)))
    decode = field.format.decode_positions
    found = set()
    for docnum in set(encoded[0]).intersection(*encoded[1:]):
        first, *rest = (decode(positions[docnum]) for positions in encoded)
        later = [set(positions) for positions in rest]
        if any(all(p + i in after for i, after in enumerate(later, 1)) for p in first):
            found.add(docnum)
    return found


def _all(leaf, reader, subqueries) -> set[int]:
    """The documents matching every subquery (stops at the first empty one)."""
    docs: set[int] | None = None
    for sub in subqueries:
        these = _docs(leaf, reader, sub)
        docs = these if docs is None else docs & these
        if not docs:
            return set()
    return docs or set()


def _term(reader, fieldname: str, text) -> set[int]:
    """The documents with a term (its postings read a block at a time)."""
    if fieldname not in reader.schema:
        return set()
    try:
        btext = reader.schema[fieldname].to_bytes(text)
    except ValueError:
        return set()
    if (fieldname, btext) not in reader:
        return set()
    return set(read_ids(unfiltered(reader.postings(fieldname, btext))))
