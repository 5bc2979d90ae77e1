"""Filters and facet counts from column values over unscored document numbers.

Whoosh's ``groupedby`` scores every hit; here the matching documents are collected unscored
(``whoosh_postings.matching``), filtered and counted from per-segment column values cached in memory
(segments never change once written, so a new segment is the only thing read after a write).

Facets are disjunctive: each facet is counted with every filter except its own, so choosing
lang=es still shows how many entries the other languages have. A tag filter applies to all.
"""

from __future__ import annotations

import threading
from collections import Counter
from itertools import compress

from app.search.base import FACETS, Filters
from app.search.whoosh_ranking import LENGTHS, field_lengths

# facet name -> the column holding its value; "date" is read for sorting by date
COLUMNS = {
    "kind": "kind",
    "organisation": "org_id",
    "language": "language",
    "format": "format",
    "year": "year",
    "date": "date",
    "audience": "audience",  # who may open each entry (whoosh_backend.py filters by it)
}
# and each scored field's lengths, for ranking (whoosh_ranking.py)
READ = [*COLUMNS.values(), *(f"length:{name}" for name in LENGTHS)]


class ColumnCache:
    """Column values per segment, concatenated per searcher (indexed by global doc number)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._segments: dict[str, dict[str, list]] = {}
        self._searcher = None
        self._values: dict[str, list] = {}
        self._distinct: frozenset[str] | None = None  # the audience values of _values

    def values(self, searcher) -> dict[str, list]:
        """Column name -> value of every document of this searcher's index."""
        with self._lock:
            if searcher is not self._searcher:
                self._values = self._read(searcher)
                self._searcher = searcher
            return self._values

    def opened(self, searcher, tokens: frozenset[str]) -> frozenset[str]:
        """The audience values sharing a token with the reader's (a few hundred at most)."""
        with self._lock:
            if searcher is not self._searcher:
                self._values = self._read(searcher)
                self._searcher = searcher
            if self._distinct is None:
                self._distinct = frozenset(self._values["audience"])
            distinct = self._distinct
        return frozenset(v for v in distinct if v and not tokens.isdisjoint(v.split(",")))

    def _read(self, searcher) -> dict[str, list]:
        """Concatenate the cached per-segment columns, reading only new segments."""
        values: dict[str, list] = {name: [] for name in READ}
        segments: dict[str, dict[str, list]] = {}
        for reader, _offset in searcher.reader().leaf_readers():  # in doc-number order
            segment = reader.segment() if hasattr(reader, "segment") else None
            ident = segment.segment_id() if segment is not None else None
            columns = self._segments.get(ident) if ident else None
            if columns is None:
                columns = {name: _column(reader, name) for name in values}
            if ident:
                segments[ident] = columns
            for name, column in columns.items():
                values[name].extend(column)
        self._segments = segments  # merged-away segments are forgotten
        self._distinct = None
        return values


def _column(reader, name: str) -> list:
    """Every document's value of one column in a segment."""
    count = reader.doc_count_all()
    if name.startswith("length:"):
        return field_lengths(reader, name.removeprefix("length:"))
    if not reader.has_column(name):
        return [0 if name == "date" else ""] * count
    column = reader.column_reader(name)
    return [column[docnum] for docnum in range(count)]


def _selected(filters: Filters) -> dict[str, frozenset[str]]:
    """Each facet's chosen values as the strings the columns hold."""
    return {
        "kind": frozenset(v.lower() for v in filters.kinds),
        "organisation": frozenset(str(v) for v in filters.organisation_ids),
        "language": frozenset(v.lower() for v in filters.languages),
        "format": frozenset(v.lower() for v in filters.formats),
        "year": frozenset(str(v) for v in filters.years),
    }


def narrow(
    docs, filters: Filters, values: dict[str, list], tagged: set[int] | None, count: bool
) -> tuple[list[int], dict[str, list[tuple[str, int]]]]:
    """The documents passing every filter, and the disjunctive facet counts (if count).

    Written as maps and Counters over lists so the per-document work runs in C: a common
    word matches tens of thousands of entries, and each is counted in five facets.
    """
    docs = list(docs) if tagged is None else [d for d in docs if d in tagged]
    active = {
        name: [values[COLUMNS[name]][d] in chosen for d in docs]
        for name, chosen in _selected(filters).items()
        if chosen
    }
    kept = _passing(docs, active.values())
    if not count:
        return kept, {}
    facets: dict[str, list[tuple[str, int]]] = {}
    for name in FACETS:
        if name in active:  # counted with every filter but its own
            among = _passing(docs, [mask for other, mask in active.items() if other != name])
        else:
            among = kept
        counter = Counter(map(values[COLUMNS[name]].__getitem__, among))
        facets[name] = sorted(
            ((value, n) for value, n in counter.items() if value), key=lambda vn: (-vn[1], vn[0])
        )
    return kept, facets


def _passing(docs: list[int], masks) -> list[int]:
    """The documents whose every mask entry is true."""
    masks = list(masks)
    if not masks:
        return docs
    if len(masks) == 1:
        return list(compress(docs, masks[0]))
    return list(compress(docs, map(all, zip(*masks, strict=True))))
