"""The Whoosh schema, and the parsed query (base.Node) translated into Whoosh queries.

Nothing a person typed is parsed by Whoosh: every leaf becomes Term/Phrase objects built here
from analysed words, so Whoosh's own syntax (wildcards, ranges, fields) is out of reach.
"""

from __future__ import annotations

import functools
import heapq
import itertools
import pickle
from dataclasses import dataclass, field
from operator import sub

from whoosh import fields
from whoosh import query as wq
from whoosh.query.compound import DefaultOr, PreloadedOr
from whoosh.system import pack_uint

from app.search.analysis import fold, fold_words, form, stopwords, terms
from app.search.base import LANGUAGES, AllOf, AnyOf, Node, Not, Phrase, Prefix, Word

LAYOUT = "2"  # the index's fields and forms; a different layout is rebuilt (whoosh_backend.py)
TITLE_BOOST = 3.0
PREFIX_TERMS = 50  # a prefix expands to at most this many terms per field (the most frequent)
PREFIX_SCAN = 500  # ... chosen among at most this many candidates, so "abc*" stays cheap
PREFIX_POSTINGS = 20_000  # ... and together at most this many postings (see _prefix)
STORED_BODY = 200_000  # characters of body stored for snippets (the rest is indexed only)

_STOP = frozenset().union(*(stopwords(lang) for lang in LANGUAGES))
_EXACT = {"lang": "language", "kind": "kind", "format": "format", "year": "year"}
_ANY = ("",)  # folded only: organisation names and tags, whatever the entry's language
EVERY_LANGUAGE = (*LANGUAGES, "")  # a query word may be in any language, or an unknown one


class Forms(fields.TEXT):
    """A text field indexed from a list of forms already analysed (analysis.terms).

    Whoosh's own path wraps every word in a Token passed through a chain of generators; the
    forms here are counted and their positions encoded in one loop, several times faster.
    """

    def __init__(self) -> None:
        super().__init__(phrase=True)

    def index(self, value, **kwargs):
        """(term bytes, frequency, weight, encoded positions) per distinct form."""
        for term, (weight, encoded) in self.postings(value).items():
            yield term, int(weight), weight, encoded

    @staticmethod
    def postings(value: list[str]) -> dict[bytes, tuple[float, bytes]]:
        """Per distinct form: its weight (how often it occurs) and its encoded positions."""
        positions: dict[str, list[int]] = {}
        for position, term in enumerate(value):
            found = positions.get(term)
            if found is None:
                positions[term] = [position]
            else:
                found.append(position)
        return {
            term.encode("utf-8"): (float(len(found)), _positions(found))
            for term, found in positions.items()
        }


@functools.lru_cache(maxsize=4096)
def _single(position: int) -> bytes:
    return pack_uint(1) + pickle.dumps([position], 2)


def _positions(found: list[int]) -> bytes:
    """Positions as Whoosh's Positions format encodes them (count, pickled deltas)."""
    if len(found) == 1:  # most words of a text occur once: their encodings repeat
        return _single(found[0])
    return pack_uint(len(found)) + pickle.dumps([found[0], *map(sub, found[1:], found)], 2)


def schema() -> fields.Schema:
    """Title and body as folded stems (with positions); values as sortable columns for facets."""
    return fields.Schema(
        key=fields.ID(unique=True, stored=True, sortable=True),
        fingerprint=fields.ID(sortable=True),
        kind=fields.ID(stored=True, sortable=True),
        language=fields.ID(stored=True, sortable=True),
        format=fields.ID(stored=True, sortable=True),
        org_id=fields.ID(stored=True, sortable=True),
        year=fields.ID(sortable=True),
        date=fields.NUMERIC(bits=64, signed=True, stored=True, sortable=True),
        audience=fields.ID(sortable=True),  # the entry's tokens, sorted, joined by commas
        tags=fields.KEYWORD(commas=True, scorable=False),
        title=fields.STORED(),
        body=fields.STORED(),  # the first STORED_BODY characters
        org=Forms(),
        tagtext=Forms(),
        title_text=Forms(),
        body_text=Forms(),
    )


def indexed(language: str, title: str, body: str, organisation: str, tags: str) -> dict:
    """The analysed text fields of an entry (as Forms fields take them)."""
    return {
        "title_text": terms(language, title),
        "body_text": terms(language, body),
        "org": terms("", organisation),
        "tagtext": terms("", tags),
    }


# query field -> (index field, boost, languages a word is analysed in)
_TITLE = ("title_text", TITLE_BOOST, EVERY_LANGUAGE)
_BODY = ("body_text", 1.0, EVERY_LANGUAGE)
_ORG = ("org", 1.0, _ANY)
_TAGS = ("tagtext", 1.0, _ANY)
_FIELDS = {None: (_TITLE, _BODY, _TAGS, _ORG), "title": (_TITLE,), "org": (_ORG,)}
# Prefixes are matched against the indexed forms: folded stems start like their words.
_PREFIX_FIELDS = {
    None: [("title_text", TITLE_BOOST), ("body_text", 1.0), ("tagtext", 1.0), ("org", 1.0)],
    "title": [("title_text", TITLE_BOOST)],
    "org": [("org", 1.0)],
    "tag": [("tags", 1.0)],
}
HIGHLIGHTED = ("title_text", "body_text")  # fields whose matched words are marked


@dataclass
class Translation:
    """A Whoosh query, and the (field, term) pairs worth marking in snippets."""

    query: wq.Query | None  # None: no words (everything the reader may see)
    marks: set[tuple[str, str]] = field(default_factory=set)

    @property
    def scoring(self) -> wq.Query | None:
        """The query that ranks the documents the exact query found (see ranking)."""
        return None if self.query is None else ranking(self.query)


def translate(node: Node, reader) -> Translation:
    """The Whoosh query of a parsed query (reader: to expand prefixes to existing terms)."""
    marks: set[tuple[str, str]] = set()
    return Translation(_node(node, reader, marks).normalize(), marks)


def ranking(query: wq.Query) -> wq.Query:
    """A cheaper query that scores the same documents alike, for ranking a filtered set.

    Ranking runs only over documents the exact query already matched, so a phrase can be
    scored as its words (no positions read: at 100,000 entries phrase matching was most of
    a phrase query's time) and an exclusion need not be checked again.
    """
    if isinstance(query, wq.Phrase):
        return wq.And([wq.Term(query.fieldname, w, boost=query.boost) for w in query.words])
    if isinstance(query, wq.AndNot):
        return ranking(query.a)
    if isinstance(query, wq.compound.CompoundQuery):
        return type(query)([ranking(sub) for sub in query.subqueries], boost=query.boost)
    return query


def _node(node: Node, reader, marks: set[tuple[str, str]] | None) -> wq.Query:
    """One node; ``marks`` is None under a Not (excluded words are never marked)."""
    if isinstance(node, AllOf):
        return _all_of(node, reader, marks)
    if isinstance(node, AnyOf):
        return _or([_node(part, reader, marks) for part in node.parts])
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
    # "the", "de", "في" would demand a word most entries have: keep them only when the
    # query has nothing else ("de la" still finds something).
    content = [part for part in positive if not _is_stop_word(part)]
    positive = content or positive
    if not positive:
        return wq.NullQuery
    query = wq.And([_node(part, reader, marks) for part in positive])
    if excluded:
        query = wq.AndNot(query, _or([_node(part, reader, None) for part in excluded]))
    return query


def _is_stop_word(node: Node) -> bool:
    """An unfielded Word that is a stop word in one of the languages."""
    return isinstance(node, Word) and node.field is None and fold(node.text) in _STOP


def _words(words: tuple[str, ...], kind: str | None, marks) -> wq.Query:
    """A word or phrase in the fields its query field names, under each language's forms."""
    text = " ".join(words)
    if kind == "tag":
        return wq.Term("tags", fold_words(text))
    if kind in _EXACT:
        return wq.Term(_EXACT[kind], text.lower())
    clauses: list[wq.Query] = []
    for name, boost, languages in _FIELDS[kind]:
        variants = {tuple(terms(lang, text)) for lang in languages} - {()}
        for found in sorted(variants):
            if marks is not None and name in HIGHLIGHTED:
                marks.update((name, term) for term in found)
            if len(found) == 1:
                clauses.append(wq.Term(name, found[0], boost=boost))
            else:
                clauses.append(wq.Phrase(name, list(found), boost=boost))
    return _or(clauses) if clauses else wq.NullQuery


def _prefix(node: Prefix, reader, marks) -> wq.Query:
    """A bounded set of terms: the forms starting with the folded prefix, the most frequent.

    Bounded twice: at most PREFIX_TERMS terms per field, and the terms together at most
    PREFIX_POSTINGS postings (the most frequent first, at least one), so "gar*" costs about
    the same on a large index as on a small one. The prefix's own forms are added as terms:
    "campañas*" is indexed as "campan", which does not start with "campanas".
    """
    if node.field in _EXACT:
        names, text = [(_EXACT[node.field], 1.0)], node.text.lower()
    else:
        names, text = _PREFIX_FIELDS[node.field], fold(node.text)
    weighed: list[tuple[int, str, float, str]] = []
    clauses: list[wq.Query] = []
    for name, boost in names:
        weighed += [
            (reader.doc_frequency(name, t), name, boost, t) for t in expand(reader, name, text)
        ]
        if name in HIGHLIGHTED:
            for term in sorted({form(lang, node.text)[0] for lang in EVERY_LANGUAGE} - {""}):
                clauses.append(wq.Term(name, term, boost=boost))
                if marks is not None:
                    marks.add((name, term))
    postings = 0
    for frequency, name, boost, term in sorted(weighed, reverse=True):
        if postings and postings + frequency > PREFIX_POSTINGS:
            break
        postings += frequency
        clauses.append(wq.Term(name, term, boost=boost))
        if marks is not None and name in HIGHLIGHTED:
            marks.add((name, term))
    return _flat_or(clauses) if clauses else wq.NullQuery


def _or(clauses: list[wq.Query]) -> wq.Query:
    """An Or matched as a tree of unions, whatever the size of the segment.

    Whoosh's Or picks, per segment, an array matcher for segments under 5,000 entries: it
    clears a 2,048-slot array in Python and scores every posting of every clause before the
    first document, and ranking cannot skip blocks that cannot reach the page. The tree lets
    it skip them. A class, not Or's matcher_type attribute (see _flat_or).
    """
    return DefaultOr(clauses)


def _flat_or(clauses: list[wq.Query]) -> wq.Query:
    """An Or of many single terms, matched with one array pass instead of a tree of pairs.

    Whoosh's default combines a long Or pairwise and re-checks score bounds at every step;
    over a prefix's 50 terms in 4 fields that was most of a slow query's time (bench/search.py).
    A class, not Or's matcher_type attribute: normalize() rebuilds the query from its class.
    """
    return PreloadedOr(clauses)


def expand(reader, name: str, prefix: str) -> list[str]:
    """At most PREFIX_TERMS terms of a field starting with prefix (the most frequent)."""
    if not prefix:
        return []
    candidates = itertools.islice(reader.expand_prefix(name, prefix), PREFIX_SCAN)
    words = [term.decode("utf-8") if isinstance(term, bytes) else term for term in candidates]
    if len(words) <= PREFIX_TERMS:
        return words
    return heapq.nlargest(PREFIX_TERMS, words, key=lambda w: reader.doc_frequency(name, w))
