"""The safe query parser: each syntax feature, each refusal, and no other outcome for any input."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.search.base import AllOf, AnyOf, Not, Phrase, Prefix, Word
from app.search.query import MAX_CHARS, MAX_TERMS, QueryError, parse, unparse


def refused(text: str) -> str:
    with pytest.raises(QueryError) as caught:
        parse(text)
    return caught.value.code


def test_words_are_kept_as_typed():
    assert parse("Campañas") == Word("Campañas")
    assert parse("madres  buscadoras") == AllOf((Word("madres"), Word("buscadoras")))
    assert parse("المفقودين") == Word("المفقودين")
    # Vowelled Arabic and decomposed accents (NFD) stay one word each.
    assert parse("مَفْقُود") == Word("مَفْقُود")
    assert parse("busque\u0301da") == Word("busque\u0301da")


def test_empty_and_punctuation_only_queries_are_none():
    for text in ("", "   ", "\n\t", "()", "- ~ ^ \\ :", '""', "OR", "¿¡!"):
        assert parse(text) is None, text


def test_phrases():
    assert parse('"ley de búsqueda"') == Phrase(("ley", "de", "búsqueda"))
    assert parse('"campaña"') == Word("campaña")
    assert parse('"sin cerrar') == Phrase(("sin", "cerrar"))  # an unclosed quote ends the text
    # Words joined by punctuation are a phrase too.
    assert parse("covid-19") == Phrase(("covid", "19"))


def test_or_binds_neighbours_and_dangling_or_is_dropped():
    assert parse("madre OR padre") == AnyOf((Word("madre"), Word("padre")))
    assert parse("a OR b c") == AllOf((AnyOf((Word("a"), Word("b"))), Word("c")))
    assert parse('"ley general" OR decreto') == AnyOf((Phrase(("ley", "general")), Word("decreto")))
    assert parse("OR madre OR") == Word("madre")
    assert parse("madre or padre") == AllOf((Word("madre"), Word("or"), Word("padre")))


def test_exclusions():
    assert parse("búsqueda -honduras") == AllOf((Word("búsqueda"), Not(Word("honduras"))))
    assert parse('ley -"ley general"') == AllOf((Word("ley"), Not(Phrase(("ley", "general")))))
    # An OR after an exclusion joins nothing; a hyphen inside a word is no exclusion.
    assert parse("a -b OR c") == AllOf((Word("a"), Word("c"), Not(Word("b"))))
    assert parse("- a") == Word("a")


def test_fields():
    assert parse("title:campaña") == Word("campaña", "title")
    assert parse('tag:"derechos humanos"') == Phrase(("derechos", "humanos"), "tag")
    assert parse("org: Cofamipro") == Word("Cofamipro", "org")  # the field takes the next word
    assert parse("LANG:es") == Word("es", "lang")
    assert parse("format:pdf kind:document year:2024") == AllOf(
        (Word("pdf", "format"), Word("document", "kind"), Word("2024", "year"))
    )
    assert parse("-tag:archivo ley") == AllOf((Word("ley"), Not(Word("archivo", "tag"))))


def test_unknown_fields_are_plain_words():
    assert parse("foo:bar") == AllOf((Word("foo"), Word("bar")))
    assert parse("http://example.org") == AllOf((Word("http"), Phrase(("example", "org"))))


def test_trailing_wildcard_is_a_prefix():
    assert parse("desapareci*") == Prefix("desapareci")
    assert parse("title:camp*") == Prefix("camp", "title")
    assert parse("(desapa*)") == Prefix("desapa")
    assert parse('"desapa* literal"') == Phrase(("desapa", "literal"))  # quotes: literal


def test_short_prefix_is_refused():
    assert refused("ab*") == "short_prefix"
    assert refused("familia a*") == "short_prefix"


def test_leading_and_inner_wildcards_are_refused():
    for text in ("*ción", "a*b", "?", "ca?a", "?ción", "*", "**", "abc**", "covid-19*"):
        assert refused(text) == "wildcard", text


def test_question_mark_ending_a_word_is_punctuation():
    assert parse("¿dónde está?") == AllOf((Word("dónde"), Word("está")))
    assert parse("¿qué pasó??") == AllOf((Word("qué"), Word("pasó")))


def test_engine_syntax_is_literal_text():
    assert parse("(madre AND padre) NOT policía") == AllOf(
        (Word("madre"), Word("AND"), Word("padre"), Word("NOT"), Word("policía"))
    )
    assert parse("madre~2 padre^3 [a TO z] {x}") == AllOf(
        (
            Phrase(("madre", "2")),
            Phrase(("padre", "3")),
            Word("a"),
            Word("TO"),
            Word("z"),
            Word("x"),
        )
    )


def test_bounds():
    assert refused("a" * (MAX_CHARS + 1)) == "too_long"
    assert parse(" ".join(f"w{i}" for i in range(MAX_TERMS))) is not None
    assert refused(" ".join(f"w{i}" for i in range(MAX_TERMS + 1))) == "too_long"
    # Each word of a phrase counts.
    assert refused('"' + " ".join(f"w{i}" for i in range(MAX_TERMS + 1)) + '"') == "too_long"


def test_only_exclusions_are_refused():
    assert refused("-honduras") == "only_excluded"
    assert refused('-a -"b c"') == "only_excluded"


def test_error_is_a_value_error_with_a_code():
    with pytest.raises(ValueError) as caught:
        parse("*x")
    assert caught.value.code == "wildcard"


@pytest.mark.parametrize(
    "text",
    [
        "campañas",
        '"ley de búsqueda" honduras -policía',
        "madre OR padre OR hermano title:campaña",
        'tag:"derechos humanos" desapareci*',
        "OR",
    ],
)
def test_unparse_round_trips(text):
    node = parse(text)
    assert parse(unparse(node)) == node


def _leaves(node):
    if isinstance(node, AllOf | AnyOf):
        for part in node.parts:
            yield from _leaves(part)
    elif isinstance(node, Not):
        yield from _leaves(node.part)
    else:
        yield node


def _well_formed(node, top=True):
    if isinstance(node, AllOf):
        assert top and len(node.parts) > 1
        assert any(not isinstance(part, Not) for part in node.parts)
        for part in node.parts:
            _well_formed(part.part if isinstance(part, Not) else part, top=False)
    elif isinstance(node, AnyOf):
        assert len(node.parts) > 1
        assert not any(isinstance(part, Not | AllOf | AnyOf) for part in node.parts)
    else:
        assert not isinstance(node, Not)


@settings(max_examples=400, deadline=None)
@given(st.text(max_size=300))
def test_any_text_parses_or_is_refused(text):
    try:
        node = parse(text)
    except QueryError as error:
        assert error.code in {"too_long", "short_prefix", "wildcard", "only_excluded"}
        return
    if node is None:
        return
    _well_formed(node)
    for leaf in _leaves(node):
        words = leaf.words if isinstance(leaf, Phrase) else (leaf.text,)
        assert words and all(words)
        # Nothing but word characters reaches an engine.
        assert all(not set(w) & set('*?"():^~\\[]{}- \t\n') for w in words)


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.sampled_from(list('ab "-*?:OR()tg\\')), max_size=60))
def test_syntax_heavy_text_parses_or_is_refused(text):
    try:
        node = parse(text)
    except QueryError:
        return
    if node is not None:
        _well_formed(node)
        assert parse(unparse(node)) == node
