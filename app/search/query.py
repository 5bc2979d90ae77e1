"""The safe query parser: what a person typed, as the engine-independent ``Node`` tree.

Only a small syntax is recognised (words, "phrases", OR, -exclusion, field:value, a trailing
``word*``); everything else is literal text cut into words, so no engine's own query syntax
ever reaches an engine. Words are kept as typed: the backends analyse (fold, stem) them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from app.search.base import QUERY_FIELDS, AllOf, AnyOf, Node, Not, Phrase, Prefix, Word

MAX_CHARS = 2000
MAX_TERMS = 32
MIN_PREFIX = 3

# A word: letters and digits with their combining marks (accents typed as separate code points,
# Arabic harakat), so "búsqueda" in NFD or a vowelled Arabic word stays one word. The analysers
# (app/search/analysis.py) cut text with this same pattern.
MARKS = "\u0300-\u036f\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06dc\u06df-\u06e8\u06ea-\u06ed"
WORD_PATTERN = rf"(?:[^\W_]|[{MARKS}])+"
_WORD = re.compile(WORD_PATTERN)
_WILD = "*?"
_FIELD = re.compile(r"([A-Za-z]+):")


class QueryError(ValueError):
    """A query refused before it reaches an engine; ``code`` names the reason for a message."""

    def __init__(self, code: str, message: str = "") -> None:
        super().__init__(message or code)
        self.code = code


@dataclass
class _Item:
    """One lexical item: a bare term, a quoted phrase or the OR operator."""

    text: str
    quoted: bool = False
    negated: bool = False
    field: str | None = None
    is_or: bool = False


def parse(text: str) -> Node | None:
    """The query tree for what a person typed; None when there is nothing to search for."""
    if len(text) > MAX_CHARS:
        raise QueryError("too_long", f"at most {MAX_CHARS} characters")
    groups, excluded = _collect(text)
    if _count(groups, excluded) > MAX_TERMS:
        raise QueryError("too_long", f"at most {MAX_TERMS} words")
    parts: list[Node] = [g[0] if len(g) == 1 else AnyOf(tuple(g)) for g in groups]
    if not parts:
        if excluded:
            raise QueryError("only_excluded", "a query needs a word that is not excluded")
        return None
    if len(parts) == 1 and not excluded:
        return parts[0]
    return AllOf(tuple(parts) + tuple(excluded))


def _collect(text: str) -> tuple[list[list[Node]], list[Node]]:
    """The positive parts (a group of several is an OR) and the excluded ones."""
    groups: list[list[Node]] = []
    excluded: list[Node] = []
    after_positive = False  # the last part was a positive one (an OR may join the next to it)
    joining = False  # an OR stands between that positive part and the next
    for item in _lex(text):
        if item.is_or:  # a dangling OR (first, last, after an exclusion) is dropped
            joining = after_positive
            continue
        node = _node(item)
        if node is None:
            continue
        if item.negated:
            excluded.append(Not(node))
        elif joining:
            groups[-1].append(node)
        else:
            groups.append([node])
        after_positive, joining = not item.negated, False
    return groups, excluded


def _lex(text: str):
    """Items in order: phrases, bare terms (field and exclusion attached) and OR."""
    i, n = 0, len(text)
    field: str | None = None
    negated = False
    while i < n:
        char = text[i]
        if char.isspace():
            i += 1
            continue
        followed = i + 1 < n and not text[i + 1].isspace()
        if char == "-" and field is None and not negated and followed:
            negated = True
            i += 1
            continue
        match = _FIELD.match(text, i)
        if match and field is None and match.group(1).lower() in QUERY_FIELDS:
            field = match.group(1).lower()
            i = match.end()
            continue
        if char == '"':
            end = text.find('"', i + 1)
            end = n if end < 0 else end
            yield _Item(text[i + 1 : end], quoted=True, negated=negated, field=field)
            i = end + 1
        else:
            end = i
            while end < n and not text[end].isspace() and text[end] != '"':
                end += 1
            raw = text[i:end]
            i = end
            if raw == "OR" and field is None and not negated:
                yield _Item(raw, is_or=True)
                continue
            # An unknown "foo:bar" is two plain words; a known field met mid-term is literal.
            pieces = raw.split(":") if field is None else [raw]
            for piece in pieces:
                yield _Item(piece, negated=negated, field=field)
        field, negated = None, False


def _node(item: _Item) -> Node | None:
    """The node of one phrase or bare term (None when it holds no word)."""
    if item.quoted:  # inside quotes everything but words is punctuation, wildcards included
        return _words_node(_WORD.findall(item.text), item.field)
    term = _strip(item.text)
    if not any(c in _WILD for c in term):
        return _words_node(_WORD.findall(term), item.field)
    if term.endswith("*") and not any(c in _WILD for c in term[:-1]):
        words = _WORD.findall(term[:-1])
        if len(words) == 1 and words[0] == term[:-1]:
            if len(words[0]) < MIN_PREFIX:
                raise QueryError("short_prefix", f"at least {MIN_PREFIX} letters before *")
            return Prefix(words[0], item.field)
    raise QueryError("wildcard", "only a trailing * is allowed")


def _strip(term: str) -> str:
    """The term without surrounding punctuation; a ``?`` ending a word is a question mark."""
    start, end = 0, len(term)
    while start < end and not _is_wordish(term[start]):
        start += 1
    while end > start and not _is_wordish(term[end - 1]):
        end -= 1
    # "está?" or "dónde??": question marks closing a word are punctuation, not wildcards.
    marks = end
    while marks > start and term[marks - 1] == "?":
        marks -= 1
    if start < marks < end and _WORD.match(term[marks - 1]):
        end = marks
    return term[start:end]


def _is_wordish(char: str) -> bool:
    """A word character or a wildcard (what a term keeps at its edges)."""
    return char in _WILD or _WORD.match(char) is not None


def _words_node(words: list[str], field: str | None) -> Node | None:
    """One Word, or a Phrase for words joined by punctuation or quoted."""
    if not words:
        return None
    if len(words) == 1:
        return Word(words[0], field)
    return Phrase(tuple(words), field)


def _count(groups: list[list[Node]], excluded: list[Node]) -> int:
    """How many words the query holds (each word of a phrase counts)."""
    return sum(_words_in(node) for group in groups for node in group) + sum(
        _words_in(node) for node in excluded
    )


def _words_in(node: Node) -> int:
    """Words in a node."""
    if isinstance(node, Phrase):
        return len(node.words)
    if isinstance(node, AllOf | AnyOf):
        return sum(_words_in(part) for part in node.parts)
    if isinstance(node, Not):
        return _words_in(node.part)
    return 1


def unparse(node: Node | None) -> str:
    """Query text that parses back to this node (for a suggestion a person can click)."""
    if node is None:
        return ""
    if isinstance(node, AllOf):
        return " ".join(unparse(part) for part in node.parts)
    if isinstance(node, AnyOf):
        return " OR ".join(unparse(part) for part in node.parts)
    if isinstance(node, Not):
        return "-" + unparse(node.part)
    prefix = f"{node.field}:" if node.field else ""
    if isinstance(node, Phrase):
        return prefix + '"' + " ".join(node.words) + '"'
    if isinstance(node, Prefix):
        return prefix + node.text + "*"
    return prefix + (f'"{node.text}"' if node.text == "OR" else node.text)
