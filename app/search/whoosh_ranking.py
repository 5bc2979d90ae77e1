"""Ranking the matched documents by BM25F as Whoosh scores them, a block of postings at a time.

The page of a search is the top of the documents the exact query matched (and the reader may
open). Whoosh ranks them with its collector, walking each term's postings through a tree of
matchers one document at a time; that was most of a query's time once the unscored pass read
whole blocks (whoosh_postings.py). The ranking query (whoosh_query.ranking) is a tree of Ors
and Ands of terms: here each term's kept documents are scored from its postings and the field
lengths cached with the columns (whoosh_facets.py), then summed up the tree as Whoosh's union
and intersection matchers sum them. With a small limit Whoosh also skips blocks it judges
unable to reach the page, and its unions then drop part of a score, misplacing the best
entries; this scores every kept document in full. tests/test_search_postings.py compares the
pages with Whoosh's, every match scored.
"""

from __future__ import annotations

import heapq
from bisect import bisect_left
from collections.abc import Sequence

from whoosh import query as wq
from whoosh.codec.whoosh3 import LENGTHS_COLUMN, _lenfield
from whoosh.scoring import BM25F
from whoosh.util.numeric import byte_to_length

from app.search.whoosh_postings import (
    Decoded,
    read_weights,
    term_bytes,
    unfiltered,
    weights_among,
)

SPARSE = 8  # a term's blocks are skipped when it has 8 times more postings than kept documents
LENGTHS = ("title_text", "body_text", "tagtext", "org")  # the scored text fields
_WEIGHTING = BM25F()  # Whoosh's default, which Searcher.search uses
# a length byte -> the field length Whoosh's scorer is given (0: no length stored)
LENGTH_OF_BYTE = [None] + [byte_to_length(b) for b in range(1, 256)]


def ranked(
    searcher,
    query: wq.Query,
    kept: list[int],
    need: int,
    lengths: dict[str, list],
    decoded: Decoded | None = None,
) -> list[tuple[int, float]] | None:
    """The first ``need`` of the kept documents by score (ties: lower number first).

    None when the query has a node this does not score (Whoosh ranks it then). Postings the
    search's unscored pass read (``decoded``) are not read again.
    """
    if not _supported(searcher, query):
        return None
    keep = _by_segment(searcher, sorted(kept))
    scores = _scores(searcher, query, keep, lengths, decoded or Decoded())
    return heapq.nsmallest(need, scores.items(), key=lambda ds: (-ds[1], ds[0]))


# (reader, offset, its kept documents numbered in the segment, sorted and as a set)
Segments = list[tuple[object, int, list[int], set[int]]]


def _by_segment(searcher, kept: list[int]) -> Segments:
    """The segments holding kept documents, each with them numbered as in the segment."""
    segments: Segments = []
    for leaf, offset in searcher.subsearchers or [(searcher, 0)]:
        reader = leaf.reader()
        low, high = bisect_left(kept, offset), bisect_left(kept, offset + reader.doc_count_all())
        if low < high:
            wanted = [docnum - offset for docnum in kept[low:high]]
            segments.append((reader, offset, wanted, set(wanted)))
    return segments


def _supported(searcher, query: wq.Query) -> bool:
    """A tree of Ors and Ands of terms, in fields whose lengths are cached."""
    if type(query) is wq.Term:
        return query.fieldname not in searcher.schema or (
            query.fieldname in LENGTHS or not searcher.schema[query.fieldname].scorable
        )
    if isinstance(query, wq.Or):
        return not query.minmatch and not query.scale and _all_supported(searcher, query)
    if isinstance(query, wq.And):
        return _all_supported(searcher, query)
    return query is wq.NullQuery


def _all_supported(searcher, query: wq.Query) -> bool:
    return all(_supported(searcher, sub) for sub in query.subqueries)


def _scores(searcher, query: wq.Query, keep: Segments, lengths, decoded) -> dict[int, float]:
    """The kept documents matching a node, with their scores (as Whoosh's matchers add them)."""
    if type(query) is wq.Term:
        found = _term(searcher, query.fieldname, query.text, keep, lengths, decoded)
    elif query is wq.NullQuery or not query.subqueries:
        return {}
    elif isinstance(query, wq.Or):  # a union: the sum of the parts that match
        found = {}
        for sub in query.subqueries:
            for docnum, score in _scores(searcher, sub, keep, lengths, decoded).items():
                found[docnum] = found.get(docnum, 0.0) + score
    else:  # an intersection: the documents every part matches, the sum of their scores
        parts = []
        for sub in query.subqueries:
            part = _scores(searcher, sub, keep, lengths, decoded)
            if not part:
                return {}
            parts.append(part)
        common = set(parts[0]).intersection(*parts[1:])
        found = {docnum: sum(part[docnum] for part in parts) for docnum in common}
    if query.boost != 1.0:
        found = {docnum: score * query.boost for docnum, score in found.items()}
    return found


def field_lengths(reader, fieldname: str) -> list[float | None]:
    """Each document's length of a field in a segment, as Whoosh's scorer reads it.

    Read once per segment through the per-document reader's length column (a private
    member of Whoosh's segment reader, as of whoosh-reloaded 2.7.5).
    """
    count = reader.doc_count_all()
    perdoc = getattr(reader, "_perdoc", None)
    column = None if perdoc is None else perdoc._cached_reader(_lenfield(fieldname), LENGTHS_COLUMN)
    if column is None:
        return [None] * count
    return [LENGTH_OF_BYTE[column[docnum]] for docnum in range(count)]


def _term(
    searcher, fieldname: str, text, keep: Segments, lengths, decoded: Decoded
) -> dict[int, float]:
    """The kept documents containing a term, with its score in each (boost not applied).

    Only the blocks that may hold kept documents are read: a word in most entries costs
    little when a rarer one narrowed the matches.
    """
    schema = searcher.schema
    found: dict[int, float] = {}
    btext = term_bytes(schema, fieldname, text)
    frequency = 0 if btext is None else searcher.doc_frequency(fieldname, btext)
    if not frequency:
        return found
    # Few kept documents for a common term: read only the blocks that may hold them.
    sparse = sum(len(wanted) for _reader, _offset, wanted, _set in keep) * SPARSE < frequency
    scorable = schema[fieldname].scorable
    if scorable:  # as whoosh.scoring.BM25FScorer, with the top searcher's statistics
        idf = searcher.idf(fieldname, btext)
        avgfl = searcher.avg_field_length(fieldname) or 1
        sizes = lengths[f"length:{fieldname}"]
        b, k1 = _WEIGHTING.B, _WEIGHTING.K1
    for reader, offset, wanted, wanted_set in keep:
        if (fieldname, btext) not in reader:
            continue
        for docnum, weight in _weights(
            decoded, reader, fieldname, btext, wanted, wanted_set, sparse
        ):
            docnum += offset
            if scorable:  # whoosh.scoring.bm25, term for term (the same float, ties kept)
                fl = sizes[docnum]
                score = idf * ((weight * (k1 + 1)) / (weight + k1 * ((1 - b) + b * fl / avgfl)))
            else:  # whoosh.scoring.WeightScorer
                score = weight
            found[docnum] = score
    return found


def _weights(  # noqa: PLR0913 - a term in a segment, and which of its postings are wanted
    decoded: Decoded, reader, fieldname: str, btext: bytes, wanted, wanted_set, sparse: bool
):
    """(document, weight) for the wanted documents holding a term, read as cheaply as known."""
    read = decoded.get(reader, fieldname, btext)
    if read is not None:  # the unscored pass read them all
        if sparse:  # few of many: found by bisection
            return _picked(*read, wanted)
        return ((d, w) for d, w in zip(*read, strict=True) if d in wanted_set)
    some = decoded.among(reader, fieldname, btext, wanted_set)
    if some is not None:  # a phrase read them among candidates holding every wanted one
        return [(docnum, some[docnum]) for docnum in wanted if docnum in some]
    matcher = unfiltered(reader.postings(fieldname, btext))
    if sparse:  # few kept documents for a common term: only the blocks that may hold them
        return weights_among(matcher, wanted, wanted_set).items()
    ids, weights = read_weights(matcher)  # most blocks hold kept documents: read them all
    return ((d, w) for d, w in zip(ids, weights, strict=True) if d in wanted_set)


def _picked(
    ids: Sequence[int], weights: Sequence[float], wanted: list[int]
) -> list[tuple[int, float]]:
    """The (document, weight) postings of the wanted documents (both sorted), by bisection."""
    found = []
    at, end = 0, len(ids)
    for docnum in wanted:
        at = bisect_left(ids, docnum, at, end)
        if at == end:
            break
        if ids[at] == docnum:
            found.append((docnum, weights[at]))
    return found
