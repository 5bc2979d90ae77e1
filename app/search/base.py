"""What every search backend speaks: entries in; a parsed query and the reader's tokens; results.

Nothing here imports a search engine. ``whoosh_backend.py`` (embedded) and
``postgres_backend.py`` (scaled) implement ``Backend``; the registry turns models into
``Entry`` values; the query parser turns what a person typed into the ``Node`` tree below,
which each backend translates into its own engine's query.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

LANGUAGES = ("en", "es", "fr", "ar", "it")  # analysed with stemming; anything else: folded only
KINDS = ("document", "organisation", "campaign", "event", "message", "manifesto", "translation")
FACETS = ("kind", "organisation", "language", "format", "year")
SORTS = ("relevance", "date")


@dataclass(frozen=True)
class Entry:
    """One searchable thing as an index stores it (the registry builds these from models)."""

    kind: str  # one of KINDS
    id: int  # the model's primary key; the entry's key is "kind:id"
    title: str
    body: str  # plain text (extracted, or Markdown source); may be long (up to ~2 M chars)
    language: str  # one of LANGUAGES, or "" when unknown (then folded, not stemmed)
    tokens: frozenset[str]  # audience tokens (app/permissions): who may see it
    date: datetime  # timezone-aware UTC: newest first when sorted by date; facet "year"
    tags: tuple[str, ...] = ()
    organisation_id: int | None = None  # facet "organisation"
    organisation: str = ""  # the organisation's name, searchable with org:
    format: str = ""  # facet "format": pdf, docx, odt, md, txt for documents; "" otherwise

    @property
    def key(self) -> str:
        """The entry's unique key in an index: ``document:12``."""
        return f"{self.kind}:{self.id}"


# --- the parsed query -----------------------------------------------------------------------
# Fields a person may name in a query: title:, tag:, org:, lang:, format:, kind:, year:.
# Words with no field search title (boosted), body, tags and organisation.
QUERY_FIELDS = ("title", "tag", "org", "lang", "format", "kind", "year")


@dataclass(frozen=True)
class Word:
    """One word (analysed like the text: stemmed, folded)."""

    text: str
    field: str | None = None  # one of QUERY_FIELDS, or None for the text fields


@dataclass(frozen=True)
class Phrase:
    """Words next to each other, in this order ("ley de búsqueda")."""

    words: tuple[str, ...]
    field: str | None = None


@dataclass(frozen=True)
class Prefix:
    """A trailing wildcard (``desapareci*``): 3 letters or more, a bounded set of terms."""

    text: str
    field: str | None = None


@dataclass(frozen=True)
class AllOf:
    """Every part must match (words side by side)."""

    parts: tuple[Node, ...]


@dataclass(frozen=True)
class AnyOf:
    """At least one part must match (``a OR b``)."""

    parts: tuple[Node, ...]


@dataclass(frozen=True)
class Not:
    """Exclude what matches (``-word``); only meaningful inside an AllOf with a positive part."""

    part: Node


Node = Word | Phrase | Prefix | AllOf | AnyOf | Not


@dataclass(frozen=True)
class Filters:
    """Filters chosen on the results page (facet links, the type selector); empty: no filter."""

    kinds: frozenset[str] = frozenset()
    organisation_ids: frozenset[int] = frozenset()
    languages: frozenset[str] = frozenset()
    formats: frozenset[str] = frozenset()
    years: frozenset[int] = frozenset()
    tags: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Request:
    """One search: what was asked, by whom (tokens), which page."""

    query: Node | None  # None: no words, only filters (lists everything the reader may see)
    tokens: frozenset[str]  # the reader's audience tokens: nothing outside them is ever touched
    filters: Filters = field(default_factory=Filters)
    sort: str = "relevance"  # one of SORTS ("relevance" falls back to date without words)
    page: int = 1
    per_page: int = 20
    facets: bool = True


# A snippet is text cut into pieces, each marked whether it matched; templates wrap the matched
# pieces in <mark>, so no engine ever produces HTML.
Snippet = tuple[tuple[str, bool], ...]


@dataclass(frozen=True)
class Hit:
    """One result the reader may open."""

    kind: str
    id: int
    score: float
    title: Snippet  # the title with matched words marked
    snippet: Snippet  # the best passage of the body with matched words marked ("" if none)
    date: datetime
    language: str
    organisation_id: int | None
    format: str

    @property
    def key(self) -> str:
        """``document:12``."""
        return f"{self.kind}:{self.id}"


@dataclass(frozen=True)
class Results:
    """A page of hits, the total and facet counts: all among what the reader may see only."""

    hits: list[Hit]
    total: int
    page: int
    per_page: int
    # facet name (FACETS) -> [(value, count)], biggest first; values are strings
    # ("12" for an organisation id, "2025" for a year)
    facets: dict[str, list[tuple[str, int]]]
    suggestion: str | None = None  # a corrected query that has hits for this reader


class Backend(Protocol):
    """A search engine behind the one interface."""

    def write(self, entries: Iterable[Entry], deleted: Iterable[str] = ()) -> None:
        """Add or replace these entries and remove the entries with these keys, as one batch."""

    def search(self, request: Request) -> Results:
        """The hits of a query among the entries the request's tokens may see."""

    def keys(self) -> dict[str, str]:
        """Every key in the index with the fingerprint it was written with (for `search check`)."""

    def clear(self) -> None:
        """Remove every entry (before a rebuild)."""

    def health(self) -> dict[str, object]:
        """A small status for /healthz: {"ok": bool, "entries": int, ...}."""

    def warm(self) -> None:
        """Read now what the next search would have to read first (after a start or a write)."""


def fingerprint(entry: Entry) -> str:
    """A short digest of what was indexed, so `search check` sees stale entries."""
    import hashlib

    digest = hashlib.sha256()
    for part in (
        entry.title,
        entry.body,
        entry.language,
        " ".join(sorted(entry.tokens)),
        entry.date.isoformat(),
        "\x1f".join(entry.tags),
        str(entry.organisation_id),
        entry.organisation,
        entry.format,
    ):
        digest.update(part.encode("utf-8", "surrogatepass"))
        digest.update(b"\x00")
    return digest.hexdigest()[:16]
