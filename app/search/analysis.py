"""Text analysis for the Whoosh index: each word becomes one indexed form, its folded stem.

A text is cut into words once and each word is looked up in a per-language cache (texts repeat
the same few thousand words), so indexing analyses a text once, not once per field and
language. A word's form in a text of a known language is its Snowball stem (ISRI root for
Arabic), taken BEFORE folding accents because the Spanish, French and Italian stemmers
recognise accented suffixes, then folded, so "campañas", "campaña" and "campana" meet. In a
text of unknown language a word is only folded (case, accents, Arabic letter forms).

A query word cannot tell its language, so it is looked up under every language's form (at
most six distinct forms, usually two or three): one field, a handful of terms.
"""

from __future__ import annotations

import functools
import re
import threading
import unicodedata

import Stemmer
from whoosh.lang.isri import ISRIStemmer
from whoosh.lang.stopwords import stoplists

from app.search.base import LANGUAGES
from app.search.query import MARKS, WORD_PATTERN

WORDS = re.compile(WORD_PATTERN)
# WORDS spends ~40 ns a character trying its two alternatives; in a text without combining
# marks (nearly all: typed text is NFC, only vowelled Arabic carries harakat) this pattern
# cuts the same words about 3x faster.
_PLAIN_WORDS = re.compile(r"[^\W_]+")
_MARK = re.compile(f"[{MARKS}]")
HORIZON = 4_000  # characters scanned for more matched words after the first (see spans)
CACHE_WORDS = 100_000  # forms kept per language (a few MB); a full cache starts again
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


def word_pattern(text: str) -> re.Pattern[str]:
    """WORDS, or the faster pattern that cuts this text the same way."""
    return WORDS if _MARK.search(text) else _PLAIN_WORDS


def fold_words(text: str) -> str:
    """The folded words of a text joined by one space (tags and other exact values)."""
    return " ".join(fold(w) for w in WORDS.findall(text))


@functools.cache
def stopwords(language: str) -> frozenset[str]:
    """The stop words of a language (empty for an unknown one)."""
    if language == "ar":
        return _ARABIC_STOP
    return frozenset(stoplists.get(language, ()))


_local = threading.local()  # stemmers keep state (ISRI its word, PyStemmer its buffer)
SNOWBALL = {"en": "english", "es": "spanish", "fr": "french", "it": "italian"}


def _snowball_stem(language: str, word: str) -> str:
    """The Snowball stem of a word (PyStemmer: the Snowball project's own C stemmers)."""
    stemmers = getattr(_local, "snowball", None)
    if stemmers is None:
        stemmers = _local.snowball = {}
    stemmer = stemmers.get(language)
    if stemmer is None:
        stemmer = stemmers[language] = Stemmer.Stemmer(SNOWBALL[language])
    return stemmer.stemWord(word)


def _arabic_stem(word: str) -> str:
    """ISRI root of an Arabic word; words in other scripts pass through."""
    if not _ARABIC_LETTER.search(word):
        return word
    stemmer = getattr(_local, "isri", None)
    if stemmer is None:
        stemmer = _local.isri = ISRIStemmer()
    return stemmer.stem(word) or word


def _form(language: str, word: str) -> tuple[str, bool]:
    """A word's indexed form in a text of this language, and whether it is a stop word."""
    text = unicodedata.normalize("NFC", word).lower()
    if language not in LANGUAGES:
        return fold(text), False
    if language == "ar":
        text = arabic_light(text)
    if text in stopwords(language):
        return fold(text), True
    stem = _arabic_stem(text) if language == "ar" else _snowball_stem(language, text)
    return fold(stem), False


# language -> word as written -> (form, stop word). Plain dicts: a hit is one lookup, which
# is what indexing a long text spends its time on. Races only ever compute a form twice.
_forms: dict[str, dict[str, tuple[str, bool]]] = {}


def form(language: str, word: str) -> tuple[str, bool]:
    """The cached indexed form of a word (see _form); language "" or unknown: folded only."""
    language = language if language in LANGUAGES else ""
    cache = _forms.get(language)
    if cache is None:
        cache = _forms.setdefault(language, {})
    found = cache.get(word)
    if found is None:
        if len(cache) >= CACHE_WORDS:
            cache.clear()
        found = cache[word] = _form(language, word)
    return found


def terms(language: str, text: str) -> list[str]:
    """The indexed forms of a text's words in order (their positions, for phrases).

    Stop words are indexed too (not stemmed): a phrase matches as typed, and a query of stop
    words alone ("de la") still finds something. Queries leave them out otherwise.
    """
    language = language if language in LANGUAGES else ""
    cache = _forms.get(language) or _forms.setdefault(language, {})
    out: list[str] = []
    add = out.append
    for word in word_pattern(text).findall(text):
        found = cache.get(word) or form(language, word)
        if found[0]:
            add(found[0])
    return out


def spans(language: str, text: str, wanted: set[str], limit: int, most: int):
    """Character spans of the words of text[:limit] whose form is wanted (at most ``most``).

    The scan stops HORIZON characters after the first match: a snippet shows one passage.
    """
    language = language if language in LANGUAGES else ""
    cache = _forms.get(language) or _forms.setdefault(language, {})
    found: list[tuple[int, int]] = []
    for match in word_pattern(text).finditer(text, 0, limit):
        if found and match.end() > limit:
            break
        word = match.group()
        if (cache.get(word) or form(language, word))[0] in wanted:
            if not found:
                limit = min(limit, match.start() + HORIZON)
            found.append(match.span())
            if len(found) >= most:
                break
    return found
