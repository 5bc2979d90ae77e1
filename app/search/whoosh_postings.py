"""Reading a term's postings a block at a time, and the unscored matching pass built on it.

Whoosh's matchers walk postings one at a time in Python (about 1 µs each): the segment
writer's merges (whoosh_writer.py), a search's unscored pass (totals, facets and the
permission filter need every matching document, but no score), phrases and the ranking
(whoosh_ranking.py) read whole blocks instead, skipping those that cannot hold a wanted
document.

These functions use the whoosh3 block matcher's private members (`_read_ids()`, `_ids`,
`_next_block()`, ...) as of whoosh-reloaded 2.7.5; any other matcher takes the public,
posting-at-a-time path. tests/test_search_writer.py and tests/test_search_postings.py compare
both with Whoosh's own results.
"""

from __future__ import annotations

from bisect import bisect_right
from itertools import accumulate, islice
from pickle import loads  # noqa: S403 - the index's own values, as Whoosh reads them

from whoosh import query as wq
from whoosh.codec.whoosh3 import W3LeafMatcher
from whoosh.formats import Positions
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


Weights = tuple[list[int], list[float]]


def read_weights(matcher) -> Weights:
    """The document numbers and weights (term frequencies) of a term's matcher."""
    if not isinstance(matcher, W3LeafMatcher):
        ids, weights, _values = read_postings(matcher)
        return ids, weights
    ids: list[int] = []
    weights: list[float] = []
    while matcher.is_active():
        matcher._read_ids()
        matcher._read_weights()
        ids.extend(matcher._ids)
        weights.extend(matcher._weights)
        matcher._next_block()
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


class Decoded:
    """The numbers and weights of the postings one search has read, per segment and term.

    The unscored pass and the ranking of a search read the same terms; decompressing and
    unpickling a frequent word's blocks is most of a search's time, so it is done once.
    Lives for one search (keys hold the segment reader's id), and keeps at most KEPT
    postings: beyond, the ranking reads them again. Python lists, not arrays: ~70 bytes a
    posting, but arrays made the passes over them 2.5x slower.
    """

    KEPT = 1_000_000  # ~70 MB; ten words found in every entry of a 100,000-entry library

    def __init__(self) -> None:
        self._found: dict[tuple[int, str, bytes], Weights] = {}
        self._some: dict[tuple[int, str, bytes], tuple[set[int], dict[int, float]]] = {}
        self._size = 0

    def get(self, reader, fieldname: str, btext: bytes) -> Weights | None:
        """A term's postings if this search kept them."""
        return self._found.get((id(reader), fieldname, btext))

    def read(self, reader, fieldname: str, btext: bytes) -> Weights:
        """A term's postings, read now unless they were kept."""
        found = self.get(reader, fieldname, btext)
        if found is None:
            found = read_weights(unfiltered(reader.postings(fieldname, btext)))
            self.keep(reader, fieldname, btext, *found)
        return found

    def keep(self, reader, fieldname: str, btext: bytes, ids, weights) -> None:
        """A term's postings read whole (here, or by a phrase for its rarest word)."""
        if self._size + len(ids) <= self.KEPT:
            self._found[(id(reader), fieldname, btext)] = (ids, weights)
            self._size += len(ids)

    def keep_among(
        self, reader, fieldname: str, btext: bytes, covered: set[int], weights: dict[int, float]
    ) -> None:
        """A term's weights read in some documents only (``covered``): a phrase's commoner words."""
        key = (id(reader), fieldname, btext)
        if key not in self._found and self._size + len(covered) <= self.KEPT:
            self._some[key] = (covered, weights)
            self._size += len(covered)

    def among(self, reader, fieldname: str, btext: bytes, wanted: set[int]) -> dict | None:
        """A term's weights (document -> weight) if kept for every wanted document."""
        some = self._some.get((id(reader), fieldname, btext))
        return some[1] if some is not None and wanted <= some[0] else None


def matching(searcher, query: wq.Query, decoded: Decoded | None = None) -> list[int]:
    """The numbers of the live documents matching a query, ascending (as docs_for_query).

    Ors are unions, Ands intersections and AndNots differences of sets built from whole
    posting blocks; a phrase or another query is matched by Whoosh within the documents
    that have all its words. Postings read are kept in ``decoded`` for the ranking.
    """
    found: list[int] = []
    for leaf, offset in searcher.subsearchers or [(searcher, 0)]:
        reader = leaf.reader()
        docs = _docs(leaf, reader, query, decoded)
        if docs and reader.has_deletions():
            docs -= reader.deleted_docs_set
        found.extend([offset + docnum for docnum in sorted(docs)])
    return found


def _docs(leaf, reader, query: wq.Query, decoded: Decoded | None) -> set[int]:
    """The segment's document numbers matching a query (deleted ones may be included)."""
    if isinstance(query, wq.Term):
        return _term(reader, query.fieldname, query.text, decoded)
    if isinstance(query, wq.Or) and not query.minmatch:
        return set().union(*(_docs(leaf, reader, sub, decoded) for sub in query.subqueries))
    if isinstance(query, wq.And):
        return _all(leaf, reader, query.subqueries, decoded)
    if isinstance(query, wq.AndNot):
        docs = _docs(leaf, reader, query.a, decoded)
        return docs - _docs(leaf, reader, query.b, decoded) if docs else docs
    if query is wq.NullQuery:
        return set()
    if isinstance(query, wq.Phrase) and query.slop == 1 and query.words:
        return _phrase(reader, query.fieldname, query.words, decoded)
    return set(query.docs(leaf))


def weights_among(matcher, wanted: list[int], wanted_set: set[int]) -> dict[int, float]:
    """The weights (term frequencies) of a term's postings in the wanted documents."""
    return _among(matcher, wanted, wanted_set, "weights")


def postings_among(matcher, wanted: list[int], wanted_set: set[int]) -> dict[int, tuple]:
    """The (weight, value) of a term's postings in the wanted documents."""
    return _among(matcher, wanted, wanted_set, "postings")


def _among(matcher, wanted: list[int], wanted_set: set[int], part: str) -> dict:
    """One part of a term's postings in the wanted documents (sorted numbers, and as a set).

    Blocks holding none of them are skipped unread (each block's header gives its last
    document): a word in most entries costs little when few documents are still wanted.
    Within a block, the shorter of its postings and the wanted documents is walked.
    """
    found: dict = {}
    if not wanted:
        return found
    if not isinstance(matcher, W3LeafMatcher):  # postings stored inline in the term's entry
        return _among_inline(matcher, wanted_set, part)
    at = 0  # the first wanted document not yet passed
    while matcher.is_active() and at < len(wanted):
        if matcher._maxid >= wanted[at]:
            matcher._read_ids()
            postings = zip(matcher._ids, _block_part(matcher, part), strict=True)
            end = bisect_right(wanted, matcher._maxid, at)  # wanted up to the block's last
            if end - at < len(matcher._ids):
                block = dict(postings)
                found.update((d, block[d]) for d in wanted[at:end] if d in block)
            else:
                found.update((d, posting) for d, posting in postings if d in wanted_set)
            at = end
        matcher._next_block()
    return found


def _block_part(matcher: W3LeafMatcher, part: str):
    """The current block's weights, or (weight, value) pairs ("postings")."""
    matcher._read_weights()
    if part == "weights":
        return matcher._weights
    matcher._read_values()
    return zip(matcher._weights, matcher._values, strict=True)


def _among_inline(matcher, wanted_set: set[int], part: str) -> dict:
    """One part of the wanted postings, walked one at a time (another kind of matcher)."""
    found = {}
    while matcher.is_active():
        if matcher.id() in wanted_set:
            weight = matcher.weight()
            found[matcher.id()] = weight if part == "weights" else (weight, matcher.value())
        matcher.next()
    return found


def _phrase(reader, fieldname: str, words, decoded: Decoded | None = None) -> set[int]:
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
        if place == terms[0][1]:
            encoded[place] = _positions_all(reader, fieldname, btext, decoded)
        else:
            encoded[place] = _positions_among(reader, fieldname, btext, candidates, decoded)
        candidates = sorted(encoded[place])
        if not candidates:
            return set()
    anchor = terms[0][1]
    if type(field.format) is Positions:  # the format our text fields use: decoded in C
        return {docnum for docnum in candidates if _follows(encoded, anchor, docnum)}
    decode = field.format.decode_positions
    return {docnum for docnum in candidates if _follow(decode, encoded, anchor, docnum)}


def _positions_all(reader, fieldname: str, btext: bytes, decoded) -> dict[int, bytes]:
    """A phrase's rarest word: every document's encoded positions (weights kept to rank)."""
    ids, weights, values = read_postings(unfiltered(reader.postings(fieldname, btext)))
    if decoded is not None:
        decoded.keep(reader, fieldname, btext, ids, weights)
    return dict(zip(ids, values, strict=True))


def _positions_among(reader, fieldname, btext, candidates: list[int], decoded) -> dict[int, bytes]:
    """Another word of a phrase: its encoded positions in the candidates.

    Its weights there are kept too: the phrase's matches, the only documents its ranking
    scores, are among the candidates.
    """
    covered = set(candidates)
    found = postings_among(unfiltered(reader.postings(fieldname, btext)), candidates, covered)
    if decoded is not None:
        weights = {docnum: weight for docnum, (weight, _value) in found.items()}
        decoded.keep_among(reader, fieldname, btext, covered, weights)
    return {docnum: value for docnum, (_weight, value) in found.items()}


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


def _follows(encoded: dict[int, dict[int, bytes]], anchor: int, docnum: int) -> bool:
    """_follow for values in Whoosh's Positions format, without a Python step per position.

    A value is the count (4 bytes) and the pickled gaps between positions (Positions.encode;
    older Whoosh writers dropped the pickle's final ".", which its reader puts back): running
    sums give the positions, and each word's, moved back by its place, must meet the
    anchor's in one set.
    """
    starts = set(accumulate(_gaps(encoded[anchor][docnum])))
    for place, documents in encoded.items():
        if place != anchor:
            shifted = islice(accumulate(_gaps(documents[docnum]), initial=anchor - place), 1, None)
            starts = starts.intersection(shifted)
            if not starts:
                return False
    return True


def _gaps(value: bytes) -> list[int]:
    """The gaps between a Positions value's positions (the first from 0)."""
    return loads(value[4:] if value.endswith(b".") else value[4:] + b".")  # noqa: S301


def _all(leaf, reader, subqueries, decoded: Decoded | None) -> set[int]:
    """The documents matching every subquery (stops at the first empty one)."""
    docs: set[int] | None = None
    for sub in subqueries:
        these = _docs(leaf, reader, sub, decoded)
        docs = these if docs is None else docs & these
        if not docs:
            return set()
    return docs or set()


def term_bytes(schema, fieldname: str, text) -> bytes | None:
    """A query term as its field stores it (None: no such field, or text it cannot hold)."""
    if fieldname not in schema:
        return None
    try:
        return schema[fieldname].to_bytes(text)
    except ValueError:
        return None


def _term(reader, fieldname: str, text, decoded: Decoded | None) -> set[int]:
    """The documents with a term (its postings read a block at a time)."""
    btext = term_bytes(reader.schema, fieldname, text)
    if btext is None or (fieldname, btext) not in reader:
        return set()
    if decoded is not None:
        return set(decoded.read(reader, fieldname, btext)[0])
    return set(read_ids(unfiltered(reader.postings(fieldname, btext))))
