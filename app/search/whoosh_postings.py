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

from bisect import bisect_right

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


def postings_among(matcher, wanted: list[int]) -> dict[int, tuple[float, bytes]]:
    """The weight and value of a term's postings in the wanted documents (sorted numbers).

    Blocks holding none of them are skipped unread (each block's header gives its last
    document): a word in most entries costs little when few documents are still wanted.
    """
    found: dict[int, tuple[float, bytes]] = {}
    if not wanted:
        return found
    wanted_set = set(wanted)
    if not isinstance(matcher, W3LeafMatcher):
        while matcher.is_active():
            if matcher.id() in wanted_set:
                found[matcher.id()] = (matcher.weight(), matcher.value())
            matcher.next()
        return found
    at = 0  # the first wanted document not yet passed
    while matcher.is_active() and at < len(wanted):
        if matcher._maxid >= wanted[at]:
            matcher._read_ids()
            matcher._read_weights()
            matcher._read_values()
            postings = zip(matcher._weights, matcher._values, strict=True)
            block = dict(zip(matcher._ids, postings, strict=True))
            end = bisect_right(wanted, matcher._maxid, at)
            for docnum in wanted[at:end]:  # the wanted ones up to the block's last document
                posting = block.get(docnum)
                if posting is not None:
                    found[docnum] = posting
            at = end
        matcher._next_block()
    return found


def _phrase(reader, fieldname: str, words) -> set[int]:
    """The documents where the words follow one another (Whoosh's Phrase with slop 1).

    Whoosh walks the words' postings and position spans one by one. Here the rarest word's
    postings are read whole, the others' only in the blocks that can hold the documents
    still in the running, and positions are compared only where every word occurs.
    """
    field = reader.schema[fieldname] if fieldname in reader.schema else None  # noqa: SIM401 (no get())
    if field is None or not field.format.supports("positions"):
        return set()
    terms: list[tuple[int, int, bytes]] = []  # (documents with it, place in the phrase, term)
    for place, word in enumerate(words):
        try:
            btext = field.to_bytes(word)
        except ValueError:
            return set()
        if (fieldname, btext) not in reader:
            return set()
        terms.append((reader.doc_frequency(fieldname, btext), place, btext))
    terms.sort()  # the rarest first: the others are read only where it occurs
    encoded: dict[int, dict[int, bytes]] = {}  # place -> document -> encoded positions
    candidates: list[int] = []
    for _frequency, place, btext in terms:
        matcher = unfiltered(reader.postings(fieldname, btext))
        if place == terms[0][1]:
            ids, _weights, values = read_postings(matcher)
            encoded[place] = dict(zip(ids, values, strict=True))
        else:
            among = postings_among(matcher, candidates)
            encoded[place] = {docnum: value for docnum, (_w, value) in among.items()}
        candidates = sorted(encoded[place])
        if not candidates:
            return set()
    decode = field.format.decode_positions
    anchor = terms[0][1]
    return {docnum for docnum in candidates if _follow(decode, encoded, anchor, docnum)}


def _follow(decode, encoded: dict[int, dict[int, bytes]], anchor: int, docnum: int) -> bool:
    """Whether the phrase's words follow one another somewhere in a document.

    Tried from the positions of the rarest word (``anchor``, usually the fewest).
    """
    starts = [p - anchor for p in decode(encoded[anchor][docnum])]
    for place, documents in encoded.items():
        if place != anchor:
            at = set(decode(documents[docnum]))
            starts = [p for p in starts if p + place in at]
            if not starts:
                return False
    return True


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
