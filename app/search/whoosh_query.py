"""The Whoosh schema, and the parsed query (base.Node) translated into Whoosh queries.

Nothing a person typed is parsed by Whoosh: every leaf becomes Term/Phrase objects built here
from analysed words, so Whoosh's own syntax (wildcards, ranges, fields) is out of reach.
"""

from __future__ import annotations

import heapq
import itertools
from dataclasses import dataclass, field

from whoosh import fields
from whoosh import query as wq

from app.search.analysis import fold, fold_words, folded_analyzer, language_analyzer, stopwords
from app.search.analysis import terms as analysed
from app.search.base import LANGUAGES, AllOf, AnyOf, Node, Not, Phrase, Prefix, Word

TITLE_BOOST = 3.0
PREFIX_TERMS = 50  # a prefix expands to at most this many terms per field (the most frequent)
PREFIX_SCAN = 500  # ... chosen among at most this many candidates, so "abc*" stays cheap
STORED_BODY = 200_000  # characters of body stored for snippets (the rest is indexed only)

_FOLDED = folded_analyzer()
_ANALYZERS = {lang: language_analyzer(lang) for lang in LANGUAGES}
_STOP = frozenset().union(*(stopwords(lang) for lang in LANGUAGES))
_EXACT = {"lang": "language", "kind": "kind", "format": "format", "year": "year"}
# Prefixes are matched against unstemmed terms: a stem ("desaparec") is no word's beginning.
_PREFIX_FIELDS = {
    None: [("title_any", TITLE_BOOST), ("body_any", 1.0), ("tagtext", 1.0), ("org", 1.0)],
    "title": [("title_any", TITLE_BOOST)],
    "org": [("org", 1.0)],
    "tag": [("tags", 1.0)],
}


def schema() -> fields.Schema:
    """Text per language (stemmed) and folded; values as sortable columns for facets."""
    spec: dict[str, fields.FieldType] = {
        "key": fields.ID(unique=True, stored=True, sortable=True),
        "fingerprint": fields.ID(sortable=True),
        "kind": fields.ID(stored=True, sortable=True),
        "language": fields.ID(stored=True, sortable=True),
        "format": fields.ID(stored=True, sortable=True),
        "org_id": fields.ID(stored=True, sortable=True),
        "year": fields.ID(sortable=True),
        "date": fields.NUMERIC(bits=64, signed=True, stored=True, sortable=True),
        "tokens": fields.KEYWORD(commas=True, scorable=False),
        "tags": fields.KEYWORD(commas=True, scorable=False),
        "title": fields.STORED(),
        "body": fields.STORED(),  # the first STORED_BODY characters
        "org": fields.TEXT(analyzer=_FOLDED),
        "tagtext": fields.TEXT(analyzer=_FOLDED),
        "title_any": fields.TEXT(analyzer=_FOLDED, chars=True),
        "body_any": fields.TEXT(analyzer=_FOLDED, chars=True),
    }
    for lang, analyzer in _ANALYZERS.items():
        spec[f"title_{lang}"] = fields.TEXT(analyzer=analyzer, chars=True)
        spec[f"body_{lang}"] = fields.TEXT(analyzer=analyzer, chars=True)
    return fields.Schema(**spec)


def text_fields(language: str) -> list[str]:
    """The title and body fields an entry of this language is indexed (and highlighted) in."""
    names = ["title_any", "body_any"]
    if language in LANGUAGES:
        names += [f"title_{language}", f"body_{language}"]
    return names


def _analyzer(name: str):
    """The analyser of a text field."""
    return _ANALYZERS.get(name.rsplit("_", 1)[-1], _FOLDED) if "_" in name else _FOLDED


def _fields_for(kind: str | None) -> list[tuple[str, float]]:
    """The text fields (with boosts) a word with this query field searches."""
    titles = [("title_any", TITLE_BOOST)] + [(f"title_{lang}", TITLE_BOOST) for lang in LANGUAGES]
    if kind == "title":
        return titles
    if kind == "org":
        return [("org", 1.0)]
    bodies = [("body_any", 1.0)] + [(f"body_{lang}", 1.0) for lang in LANGUAGES]
    return titles + bodies + [("tagtext", 1.0), ("org", 1.0)]


@dataclass
class Translation:
    """A Whoosh query, and the (field, term) pairs worth marking in snippets."""

    query: wq.Query | None  # None: no words (everything the reader may see)
    marks: set[tuple[str, str]] = field(default_factory=set)


def translate(node: Node, reader) -> Translation:
    """The Whoosh query of a parsed query (reader: to expand prefixes to existing terms)."""
    marks: set[tuple[str, str]] = set()
    return Translation(_node(node, reader, marks).normalize(), marks)


def _node(node: Node, reader, marks: set[tuple[str, str]] | None) -> wq.Query:
    """One node; ``marks`` is None under a Not (excluded words are never marked)."""
    if isinstance(node, AllOf):
        return _all_of(node, reader, marks)
    if isinstance(node, AnyOf):
        return wq.Or([_node(part, reader, marks) for part in node.parts])
    if isinstance(node, Not):
        return wq.NullQuery  # a lone exclusion matches nothing (it needs a positive sibling)
    if isinstance(node, Prefix):
        return _prefix(node, reader, marks)
    words = node.words if isinstance(node, Phrase) else (node.text,)
    return _words(words, node.field, marks)


def _all_of(node: AllOf, reader, marks) -> wq.Query:
    """Every positive part, none of the excluded ones; stop words only when alone."""
    positive = [part for part in node.parts if not isinstance(part, Not)]
    excluded = [part.part for part in node.parts if isinstance(part, Not)]
    # "the", "de", "في" would demand a word that stemmed fields drop: keep them only when
    # the query has nothing else ("de la" still finds something).
    content = [part for part in positive if not _is_stop_word(part)]
    positive = content or positive
    if not positive:
        return wq.NullQuery
    query = wq.And([_node(part, reader, marks) for part in positive])
    if excluded:
        query = wq.AndNot(query, wq.Or([_node(part, reader, None) for part in excluded]))
    return query


def _is_stop_word(node: Node) -> bool:
    """An unfielded Word that is a stop word in one of the languages."""
    return isinstance(node, Word) and node.field is None and fold(node.text) in _STOP


def _words(words: tuple[str, ...], kind: str | None, marks) -> wq.Query:
    """A word or phrase in the fields its query field names."""
    text = " ".join(words)
    if kind == "tag":
        return wq.Term("tags", fold_words(text))
    if kind in _EXACT:
        return wq.Term(_EXACT[kind], text.lower())
    clauses: list[wq.Query] = []
    for name, boost in _fields_for(kind):
        found = analysed(_analyzer(name), text)
        if not found:
            continue  # a stop word in this language
        if marks is not None and name.startswith(("title_", "body_")):
            marks.update((name, term) for term in found)
        if len(found) == 1:
            clauses.append(wq.Term(name, found[0], boost=boost))
        else:
            clauses.append(wq.Phrase(name, found, boost=boost))
    return wq.Or(clauses) if clauses else wq.NullQuery


def _prefix(node: Prefix, reader, marks) -> wq.Query:
    """A bounded set of terms: folded (unstemmed) fields only, the most frequent first."""
    if node.field in _EXACT:
        names, text = [(_EXACT[node.field], 1.0)], node.text.lower()
    else:
        names, text = _PREFIX_FIELDS[node.field], fold(node.text)
    clauses: list[wq.Query] = []
    for name, boost in names:
        for term in expand(reader, name, text):
            clauses.append(wq.Term(name, term, boost=boost))
            if marks is not None and name.endswith("_any"):
                marks.add((name, term))
    return _flat_or(clauses) if clauses else wq.NullQuery


def _flat_or(clauses: list[wq.Query]) -> wq.Query:
    """An Or of many single terms, matched with one array pass instead of a tree of pairs.

    Whoosh's default combines a long Or pairwise and re-checks score bounds at every step;
    over a prefix's 50 terms in 5 fields that was most of a slow query's time (bench/search.py).
    """
    query = wq.Or(clauses)
    query.matcher_type = wq.Or.ARRAY_MATCHER
    return query


def expand(reader, name: str, prefix: str) -> list[str]:
    """At most PREFIX_TERMS terms of a field starting with prefix (the most frequent)."""
    if not prefix:
        return []
    candidates = itertools.islice(reader.expand_prefix(name, prefix), PREFIX_SCAN)
    words = [term.decode("utf-8") if isinstance(term, bytes) else term for term in candidates]
    if len(words) <= PREFIX_TERMS:
        return words
    return heapq.nlargest(PREFIX_TERMS, words, key=lambda w: reader.doc_frequency(name, w))


def allowed(tokens: frozenset[str]) -> wq.Query:
    """Entries carrying at least one of the reader's audience tokens."""
    return _flat_or([wq.Term("tokens", token) for token in sorted(tokens)])
