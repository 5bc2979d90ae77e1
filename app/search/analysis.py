"""Whoosh analysers: one per language (stop words, stemming, folding) and a folded one.

A stemmed analyser stems BEFORE folding accents, because the Snowball stemmers for Spanish,
French and Italian recognise accented suffixes; the stem is folded afterwards, so "campañas",
"campaña" and "campana" meet. Arabic is normalised lightly (harakat, tatweel, alef forms),
stemmed with ISRI (whoosh.lang.isri), then folded (ة -> ه, hamza seats). The folded analyser
(no stemming, no stop words) serves unknown languages and exact matching.

These classes are pickled into the index's schema: renaming them needs a rebuilt index.
"""

from __future__ import annotations

import functools
import re
import threading
import unicodedata

from whoosh.analysis import Filter, RegexTokenizer, StopFilter
from whoosh.lang import stemmer_for_language
from whoosh.lang.isri import ISRIStemmer
from whoosh.lang.stopwords import stoplists

from app.search.base import LANGUAGES
from app.search.query import WORD_PATTERN

_TASHKEEL = re.compile("[\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06ed\u0640]")  # + tatweel
_ALEF = str.maketrans({"أ": "ا", "إ": "ا", "آ": "ا", "ٱ": "ا", "ى": "ي"})
_AFTER = str.maketrans({"ة": "ه", "ى": "ي"})
_ARABIC_LETTER = re.compile("[\u0620-\u064a]")
# ISRI's list has no short particles; these are the commonest (written with a bare alef).
_ARABIC_STOP = frozenset(
    ("في", "من", "على", "الي", "عن", "مع", "هذا", "هذه", "ذلك", "تلك", "التي", "الذي", "الذين")
    + ("ان", "او", "ما", "لا", "لم", "لن", "قد", "ثم", "كان", "كانت", "هو", "هي", "هم", "نحن")
    + ("انا", "كل", "بين", "عند", "حتى")
) | frozenset(w.translate(_ALEF) for w in ISRIStemmer().stop_words)


def arabic_light(text: str) -> str:
    """Arabic without harakat and tatweel, with one alef and ى as ي (before stemming)."""
    return _TASHKEEL.sub("", text).translate(_ALEF)


def fold(text: str) -> str:
    """Case- and accent-folded text (NFKD without combining marks; Arabic letters unified)."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    return unicodedata.normalize("NFC", _TASHKEEL.sub("", bare)).translate(_AFTER)


def fold_words(text: str) -> str:
    """The folded words of a text joined by one space (tags and other exact values)."""
    return " ".join(fold(w) for w in re.findall(WORD_PATTERN, text))


def stopwords(language: str) -> frozenset[str]:
    """The stop words of a language (empty for an unknown one)."""
    if language == "ar":
        return _ARABIC_STOP
    return frozenset(stoplists.get(language, ()))


_isri = threading.local()  # ISRIStemmer keeps its word in self: one per thread


def _arabic_stem(word: str) -> str:
    """ISRI root of an Arabic word; words in other scripts pass through."""
    if not _ARABIC_LETTER.search(word):
        return word
    stemmer = getattr(_isri, "stemmer", None)
    if stemmer is None:
        stemmer = _isri.stemmer = ISRIStemmer()
    return stemmer.stem(word) or word


@functools.lru_cache(maxsize=200_000)
def stem_fold(language: str, word: str) -> str:
    """The folded stem of a lowercased word (cached: texts repeat their words)."""
    if language == "ar":
        return fold(_arabic_stem(word))
    return fold(stemmer_for_language(language)(word))


@functools.lru_cache(maxsize=200_000)
def _prepared(language: str, word: str) -> str:
    text = unicodedata.normalize("NFC", word).lower()
    return arabic_light(text) if language == "ar" else text


# Indexing analyses every word of every text: the same few thousand words again and again.
_folded = functools.lru_cache(maxsize=200_000)(fold)


class _Prepare(Filter):
    """NFC and lowercase (and light Arabic normalisation) before stop words and stemming."""

    def __init__(self, language: str) -> None:
        self.language = language

    def __call__(self, tokens):
        for token in tokens:
            token.text = _prepared(self.language, token.text)
            yield token


class _StemFold(Filter):
    """Stem, then fold the stem."""

    is_morph = True

    def __init__(self, language: str) -> None:
        self.language = language

    def __call__(self, tokens):
        for token in tokens:
            if not token.stopped:
                token.text = stem_fold(self.language, token.text)
            yield token


class _Fold(Filter):
    """Fold case and accents, drop what folds to nothing."""

    def __call__(self, tokens):
        for token in tokens:
            token.text = _folded(token.text)
            if token.text:
                yield token


def _tokenizer() -> RegexTokenizer:
    """Words as the query parser cuts them (letters, digits and their combining marks)."""
    return RegexTokenizer(WORD_PATTERN)


def language_analyzer(language: str):
    """The stemming analyser of one of LANGUAGES."""
    if language not in LANGUAGES:
        raise ValueError(f"no stemming analyser for {language!r}")
    stop = StopFilter(stoplist=stopwords(language), minsize=1, renumber=True)
    return _tokenizer() | _Prepare(language) | stop | _StemFold(language) | _Fold()


def folded_analyzer():
    """No stemming, no stop words: case and accents folded (exact words, unknown languages)."""
    return _tokenizer() | _Fold()


def terms(analyzer, text: str) -> list[str]:
    """The indexed forms of a text under an analyser (query words go through this)."""
    return [token.text for token in analyzer(text)]
