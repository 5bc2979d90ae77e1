"""The embedded search backend: a Whoosh index in a directory (one per installation).

Every search keeps only the entries whose audience (a column read once per index version)
shares a token with the reader's, before anything is counted, faceted, scored or marked, so
totals, facet counts, snippets and suggestions are all computed among entries the reader may
open.
"""

from __future__ import annotations

import dataclasses
import heapq
import math
import os
import secrets
import threading
from collections import defaultdict
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

from whoosh import index, writing
from whoosh import query as wq
from whoosh.codec.base import Segment

from app.search.analysis import fold, fold_words, form, spans
from app.search.base import (
    FACETS,
    AllOf,
    AnyOf,
    Entry,
    Hit,
    Node,
    Not,
    Request,
    Results,
    Word,
    fingerprint,
)
from app.search.query import unparse
from app.search.snippets import SCAN, marked, passage
from app.search.whoosh_facets import ColumnCache, narrow
from app.search.whoosh_postings import Decoded, matching
from app.search.whoosh_query import (
    _STOP,
    EVERY_LANGUAGE,
    LAYOUT,
    STORED_BODY,
    Translation,
    indexed,
    schema,
    translate,
)
from app.search.whoosh_ranking import ranked
from app.search.whoosh_writer import TermWriter

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MAX_PER_PAGE = 200
LAYOUT_FILE = "caravana-layout"
MERGE_FACTOR = 4  # segments of one size class merged together (see _tiered_merge)
MAX_MERGED = 20_000  # entries a merge may write at most (about 30 s of a drain)
SPANS = 64  # matched words looked for in a hit's title or body (enough for the best passage)
WRITE_TIMEOUT = 60.0  # seconds to wait for another process's writer
SUGGEST_WORDS = 8  # at most this many words of a query are corrected
_write_locks: dict[str, threading.Lock] = {}
_locks_lock = threading.Lock()


def _write_lock(path: str) -> threading.Lock:
    """One lock per index directory in this process (Whoosh allows one writer)."""
    with _locks_lock:
        return _write_locks.setdefault(path, threading.Lock())


def _micros(moment: datetime) -> int:
    """Microseconds since 1970 (a naive datetime is taken as UTC)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return (moment - EPOCH) // timedelta(microseconds=1)


def _document(entry: Entry) -> dict[str, object]:
    """The fields Whoosh stores and indexes for an entry."""
    for token in entry.tokens:  # a comma would split one token into two (and widen access)
        if not token or "," in token or token != token.strip():
            raise ValueError(f"audience token {token!r} of {entry.key} cannot be indexed")
    language = entry.language.lower()
    doc: dict[str, object] = {
        "key": entry.key,
        "fingerprint": fingerprint(entry),
        "kind": entry.kind.lower(),
        "date": _micros(entry.date),
        "year": str(entry.date.astimezone(UTC).year if entry.date.tzinfo else entry.date.year),
        "title": entry.title,
        "body": entry.body[:STORED_BODY],
    }
    optional = {
        "audience": ",".join(sorted(entry.tokens)),
        "tags": ",".join(filter(None, (fold_words(tag) for tag in entry.tags))),
        "org_id": "" if entry.organisation_id is None else str(entry.organisation_id),
        "language": language,
        "format": entry.format.lower(),
        **indexed(language, entry.title, entry.body, entry.organisation, " ".join(entry.tags)),
    }
    doc.update({name: value for name, value in optional.items() if value})
    return doc


def _tiered_merge(writer, segments):
    """Merge MERGE_FACTOR segments of a size class into one of at most MAX_MERGED entries.

    Whoosh's default policy lets segments pile up, then rewrites all of them in one commit:
    on a large index a drain stalled for minutes. A size class is a power of MERGE_FACTOR in
    live entries; an entry is rewritten about once per class (as in Lucene's tiered policy),
    and no commit rewrites more than MAX_MERGED entries however large the index grows (a
    large index keeps a few more segments).
    """
    from whoosh.reading import SegmentReader

    classes: dict[int, list] = defaultdict(list)
    for segment in segments:
        classes[int(math.log(max(segment.doc_count(), 1), MERGE_FACTOR))].append(segment)
    for _size, group in sorted(classes.items()):
        group = sorted(group, key=lambda segment: segment.doc_count())[:MERGE_FACTOR]
        if len(group) < MERGE_FACTOR or sum(s.doc_count() for s in group) > MAX_MERGED:
            continue
        for segment in group:  # the writer closes each reader once the segment is written
            writer.add_reader(SegmentReader(writer.storage, writer.schema, segment))
        merged = {id(segment) for segment in group}
        return [segment for segment in segments if id(segment) not in merged]
    return segments


def _segment_id(cls, size: int = 16) -> str:
    return secrets.token_hex(size // 2)


# Whoosh names segments with the `random` module, which anything may seed (hypothesis does,
# for every example): two segments of one index would then share a name, and the column
# cache (whoosh_facets.py), keyed by segment name, would read one for the other.
Segment._random_id = classmethod(_segment_id)


class WhooshBackend:
    """A Backend (app/search/base.py) over a Whoosh index directory."""

    def __init__(self, path: str) -> None:
        self.path = os.path.abspath(path)
        self._ix = None
        self._searcher = None
        self._lock = threading.Lock()  # opening the index, refreshing the searcher
        self._columns = ColumnCache()
        self._replaced = False

    # --- the index ---------------------------------------------------------------------------

    def _index(self):
        """The index, opened (or created) on first use; one of an older layout is emptied."""
        with self._lock:
            if self._ix is None:
                os.makedirs(self.path, exist_ok=True)
                with _write_lock(self.path):
                    if index.exists_in(self.path) and self._layout() == LAYOUT:
                        self._ix = index.open_dir(self.path)
                    else:
                        self._replaced = index.exists_in(self.path)
                        self._ix = self._create()
            return self._ix

    def _layout(self) -> str:
        """The layout the index directory was written in ("" before layouts were recorded)."""
        try:
            with open(os.path.join(self.path, LAYOUT_FILE), encoding="utf-8") as file:
                return file.read().strip()
        except FileNotFoundError:
            return ""

    def _create(self):
        """A new empty index in the directory (the files of an older one removed first)."""
        for name in os.listdir(self.path):
            if os.path.isfile(os.path.join(self.path, name)):
                os.remove(os.path.join(self.path, name))
        created = index.create_in(self.path, schema())
        with open(os.path.join(self.path, LAYOUT_FILE), "w", encoding="utf-8") as file:
            file.write(LAYOUT)
        return created

    def take_replaced(self) -> bool:
        """Whether opening found an index of an older layout and emptied it (asked once)."""
        try:
            self._index()
        except Exception:  # noqa: BLE001 - an index that cannot open is reported by health()
            return False
        replaced, self._replaced = self._replaced, False
        return replaced

    def _current(self):
        """A searcher on the latest committed version (cheap when nothing changed)."""
        ix = self._index()
        with self._lock:
            # Not Searcher.refresh(): it reuses the readers of unchanged segments with their
            # OLD deletions (an updated entry would be found twice, a removed one still
            # found) and closes what other threads may still be reading. A searcher replaced
            # here is closed when the last thread using it lets it go.
            stale = self._searcher is None
            stale = stale or ix.latest_generation() != self._searcher.reader().generation()
            if stale:
                self._searcher = ix.searcher()
            return self._searcher

    def write(self, entries: Iterable[Entry], deleted: Iterable[str] = ()) -> None:
        """Add or replace entries and remove keys, in one commit (a deleted key wins)."""
        gone = set(deleted)
        batch = {entry.key: entry for entry in entries if entry.key not in gone}
        documents = [_document(entry) for entry in batch.values()]  # refuse before locking
        ix = self._index()
        with _write_lock(self.path):
            writer = TermWriter(ix, timeout=WRITE_TIMEOUT)
            try:
                fresh = ix.doc_count_all() == 0
                for key in gone:
                    writer.delete_by_term("key", key)
                for doc in documents:
                    (writer.add_document if fresh else writer.update_document)(**doc)
            except BaseException:
                writer.cancel()
                raise
            writer.commit(mergetype=_tiered_merge)

    def clear(self) -> None:
        """Remove every entry."""
        ix = self._index()
        with _write_lock(self.path):
            ix.writer(timeout=WRITE_TIMEOUT).commit(mergetype=writing.CLEAR)

    def keys(self) -> dict[str, str]:
        """Every key with its fingerprint."""
        reader = self._current().reader()
        if reader.doc_count() == 0:
            return {}
        key_column = reader.column_reader("key")
        print_column = reader.column_reader("fingerprint")
        return {key_column[d]: print_column[d] for d in reader.all_doc_ids()}

    def health(self) -> dict[str, object]:
        """ok, the number of entries, the backend's name (and the error if it cannot open)."""
        try:
            entries = self._current().doc_count()
        except Exception as error:  # noqa: BLE001 - any failure is reported, not raised
            return {"ok": False, "entries": 0, "backend": "whoosh", "error": repr(error)}
        return {"ok": True, "entries": entries, "backend": "whoosh"}

    def warm(self) -> None:
        """Open the latest searcher and read its new segments' columns.

        The first search after a start reads every entry's filter and facet values (seconds
        on a large index; after a merge, those of the merged entries): the library worker
        calls this after each round so that no reader waits for it.
        """
        self._columns.values(self._current())

    # --- searching ---------------------------------------------------------------------------

    def search(self, request: Request) -> Results:
        """One page of hits among what the request's tokens may see, with facets."""
        page, per_page = max(1, request.page), max(1, min(request.per_page, MAX_PER_PAGE))
        if not request.tokens:  # nobody: nothing, not even an index read
            empty = {name: [] for name in FACETS} if request.facets else {}
            return Results([], 0, page, per_page, empty)
        searcher = self._current()
        if request.query is None:
            translation = Translation(None)
        else:
            translation = translate(request.query, searcher.reader())
        values = self._columns.values(searcher)
        tagged = self._tagged(searcher, request)
        decoded = Decoded()  # postings read for the matches, ranked without reading them again
        kept, facets = narrow(
            list(self._opened(searcher, translation.query, request.tokens, decoded)),
            request.filters,
            values,
            tagged,
            request.facets,
        )
        hits = self._page(searcher, request, translation, kept, values, page, per_page, decoded)
        suggestion = None
        if not kept and request.query is not None:
            suggestion = self._suggest(searcher, request, values, tagged)
        return Results(hits, len(kept), page, per_page, facets, suggestion)

    def _opened(
        self,
        searcher,
        query: wq.Query | None,
        tokens: frozenset[str],
        decoded: Decoded | None = None,
    ):
        """The document numbers matching a query (None: every entry) that the reader may open.

        One by one (lazily): a suggestion needs only the first.
        """
        audience = self._columns.values(searcher)["audience"]
        opens = self._columns.opened(searcher, tokens)
        reader = searcher.reader()
        docs = reader.all_doc_ids() if query is None else matching(searcher, query, decoded)
        return (docnum for docnum in docs if audience[docnum] in opens)

    @staticmethod
    def _tagged(searcher, request: Request) -> set[int] | None:
        """Documents with one of the chosen tags (None: no tag filter)."""
        tags = [fold_words(tag) for tag in sorted(request.filters.tags)]
        if not tags:
            return None
        return set(matching(searcher, wq.Or([wq.Term("tags", t) for t in tags])))

    def _page(  # noqa: PLR0913 - one search's state, passed down once
        self, searcher, request, translation, kept, values, page, per_page, decoded
    ) -> list[Hit]:
        """The hits of the requested page: only those are scored and highlighted."""
        start = (page - 1) * per_page
        if start >= len(kept):
            return []
        need = start + per_page
        if request.query is None or request.sort == "date":
            dates = values["date"]
            newest = heapq.nlargest(need, kept, key=lambda d: (dates[d], -d))
            chosen = [(docnum, 0.0) for docnum in newest[start:]]
        else:
            best = ranked(searcher, translation.scoring, kept, need, values, decoded)
            if best is None:  # a query the block ranking does not score
                results = searcher.search(translation.scoring, filter=set(kept), limit=need)
                best = [(hit.docnum, hit.score) for hit in results]
            chosen = best[start:need]
        return [self._hit(searcher, d, score, translation.marks) for d, score in chosen]

    @staticmethod
    def _hit(searcher, docnum: int, score: float, marks) -> Hit:
        """A hit with its title and best passage marked (found in its stored text)."""
        stored = searcher.stored_fields(docnum)
        kind, _, ident = stored["key"].partition(":")
        language = stored.get("language", "")
        title, body = stored.get("title", ""), stored.get("body", "")
        org = stored.get("org_id", "")
        return Hit(
            kind=kind,
            id=int(ident),
            score=float(score or 0.0),
            title=marked(title, _spans(language, title, "title_text", marks)),
            snippet=passage(body, _spans(language, body, "body_text", marks)),
            date=EPOCH + timedelta(microseconds=stored["date"]),
            language=language,
            organisation_id=int(org) if org else None,
            format=stored.get("format", ""),
        )

    # --- suggestion ----------------------------------------------------------------------------

    def _suggest(self, searcher, request: Request, values, tagged) -> str | None:
        """A corrected query, offered only if it has hits for this same reader and filters.

        The index holds stems: a close stem is looked up in an entry the reader may open,
        and the word as written there is offered ("busqeda" -> stem "busqued" -> "busqueda").
        """
        tokens = request.tokens
        replacements: dict[Word, Word] = {}
        for word in _words(request.query)[:SUGGEST_WORDS]:
            folded = fold(word.text)
            forms = {form(lang, word.text)[0] for lang in EVERY_LANGUAGE} - {""}
            if folded in _STOP or any(
                self._visible(searcher, f, tokens) is not None for f in forms
            ):
                continue
            for candidate in _candidates(searcher, forms):
                docnum = self._visible(searcher, candidate, tokens)  # never a word others only see
                written = None if docnum is None else _written(searcher, docnum, candidate)
                if written and written != folded:
                    replacements[word] = dataclasses.replace(word, text=written)
                    break
        if not replacements:
            return None
        corrected = _replaced(request.query, replacements)
        query = translate(corrected, searcher.reader()).query
        found, _ = narrow(
            list(self._opened(searcher, query, tokens)), request.filters, values, tagged, False
        )
        return unparse(corrected) if found else None

    def _visible(self, searcher, term: str, tokens: frozenset[str]) -> int | None:
        """An entry the reader may see with this form in its title or body (None: none)."""
        query = wq.Or([wq.Term("title_text", term), wq.Term("body_text", term)])
        return next(self._opened(searcher, query, tokens), None)  # the first is enough


def _spans(language: str, text: str, name: str, marks) -> list[tuple[int, int]]:
    """Where the words whose forms the query matched in a field are in its stored text."""
    wanted = {term for field, term in marks if field == name}
    if not wanted:
        return []
    return spans(language, text, wanted, SCAN, SPANS)


def _candidates(searcher, forms: set[str]) -> list[str]:
    """Close forms from the title and body fields (checked for visibility later)."""
    seen: list[str] = []
    for name in ("title_text", "body_text"):
        corrector = searcher.corrector(name)
        for term in sorted(forms):
            for found in corrector.suggest(term, limit=5, maxdist=2, prefix=1):
                if found not in forms and found not in seen:
                    seen.append(found)
    return seen


def _written(searcher, docnum: int, term: str) -> str | None:
    """A word of an entry's stored title or body with this form, folded (None: not stored)."""
    stored = searcher.stored_fields(docnum)
    language = stored.get("language", "")
    for name in ("title", "body"):
        text = stored.get(name, "")
        for start, end in spans(language, text, {term}, SCAN, 1):
            return fold(text[start:end])
    return None


def _words(node: Node | None) -> list[Word]:
    """The positive words a suggestion may correct (unfielded or title:)."""
    if isinstance(node, Word):
        return [node] if node.field in (None, "title") else []
    if isinstance(node, AllOf | AnyOf):
        return [word for part in node.parts for word in _words(part)]
    return []


def _replaced(node: Node, replacements: dict[Word, Word]) -> Node:
    """The node with some words replaced."""
    if isinstance(node, Word):
        return replacements.get(node, node)
    if isinstance(node, AllOf | AnyOf):
        return type(node)(tuple(_replaced(part, replacements) for part in node.parts))
    if isinstance(node, Not):
        return node
    return node
