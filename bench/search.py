"""Library search at 10k and 100k documents: the Whoosh backend against SQLite FTS5.

Run it from the repository root with the project's virtualenv (``make bench-search`` does this):

    .venv/bin/python bench/search.py                       # 10,000 then 100,000 documents
    .venv/bin/python bench/search.py --quick               # 2,000 documents, 50 queries
    .venv/bin/python bench/search.py --sizes 10000 --queries 400 --profile 5

It is not a test: it prints figures, and PASS/MISS against the targets of the search issue.

The corpus is generated, deterministic (document i is the same in every run and every size,
so the 10k corpus is the first tenth of the 100k one): five languages (es 35 %, en 20 %, fr,
it, ar 15 % each) with a vocabulary of a few thousand word forms per language (real stems
and stems made of the language's syllables, with real inflections: plurals, verb endings,
Arabic roots in their patterns, with and without the article) drawn with Zipf frequencies,
stop words included; bodies of 200-2,000 words (log-uniform), titles of 4-10 words, 1-4
tags, 40 organisations, dates over 2021-2025, formats pdf/docx/odt/md/txt. Audiences as the
library grants them (app/permissions/library.py): 40 % public, 30 % the movement ("member",
"admin"), 30 % one organisation only; every entry also carries "org:N" and
"org:N:coordinator" of its organisation.

For each size, both engines are fed the same batches of --batch entries (as the outbox drain
writes them; only the writes are timed, not the generation): the Whoosh backend
(app/search/whoosh_backend.py, through its public interface only) in a temporary directory,
and the baseline, SQLite FTS5 (Python's sqlite3, a file in the same directory, WAL): an FTS5
table of title/body/tags (tokenizer unicode61 remove_diacritics 2: folded, NOT stemmed, so
it finds fewer documents for most words than Whoosh, which stems), a table of the entries'
values (language, format, organisation, year, date) and one of their audience tokens.

Then the same fixed, seeded --queries queries on both: single words, two words, phrases, OR,
exclusions, a field (lang:es, format:pdf), a facet selection (Filters), trailing prefixes;
sorted by relevance, some by date; by an anonymous reader, a member of org:3 and an admin.
Whoosh: backend.search() with facets on (and its snippets). FTS5: the MATCH (words,
"phrases", OR, NOT, "pre"*) joined to the permission check (EXISTS on the tokens table),
the matched, permitted rows in a temporary table, the total and each facet counted with
GROUP BY (disjunctively: every filter but the facet's own), the top 20 by bm25 (or date)
and their snippet(). Per query: latency from the call to the answer; per engine: p50, p95,
max, the queries over 2 s, the warm-up after indexing (what the library worker reads in
the background after each round, `warm ms`) and the first query after it (shown apart, not
in the percentiles). Sizes ascending: the index of a larger size grows from the
smaller one's (as a library grows), and its docs/s is over all its entries.
"""

from __future__ import annotations

import argparse
import cProfile
import dataclasses
import io
import math
import os
import pstats
import random
import resource
import shutil
import sqlite3
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app.search.base import (  # noqa: E402
    FACETS,
    AnyOf,
    Entry,
    Filters,
    Not,
    Phrase,
    Prefix,
    Request,
    Word,
)
from app.search.query import parse  # noqa: E402
from app.search.whoosh_backend import WhooshBackend  # noqa: E402

TARGETS = {10_000: 50.0, 100_000: 200.0}  # p95 ms per corpus size
SLOW = 2.0  # seconds: no query may take longer
RATIO = 2.0  # Whoosh p95 at most this many times FTS5's
INDEX_RATE = 500.0  # docs/s at least
SEED = 20_260_101

# --- vocabulary ---------------------------------------------------------------------------------

STOP = {
    "es": "de la que el en y a los del se las por un para con no una su al lo como más pero sus "
    "le ya o este sí porque esta entre cuando muy sin sobre también me hasta hay donde",
    "fr": "de la le et les des en un une du que qui dans pour pas sur au par avec ce il est se "
    "plus ne sont mais ou son sa leurs nous vous elle comme tout aussi entre",
    "it": "di e il la che in un per non una del è con le si da dei della al sono come più ma "
    "anche nel alla gli lo sua suo loro tra questo questa delle",
    "en": "the of and to in a is that for it as with was on be by this are from at or an but "
    "not have has their they we which who its were all been",
    "ar": "في من على إلى عن مع هذا هذه التي الذي أن كان ما لا قد ثم كل بين عند حتى هو هي هم نحن",
}

# (stems, endings): every stem takes every ending of its class.
REAL = {
    "es": [
        ("derech migrant-e ciudadan pueblo-s barri camin muert desaparecid albergu trámit "
         "abogad polític vecin compañer niñ herman testig cuerp secuestr", "o os a as"),
        ("frontera caravana famili madre comunidad-es person autoridad-es vivienda asamblea "
         "denuncia marcha protesta escuela tierra mujer-es", "s"),
        ("organiz document deport acompañ protest march apoy reclam busc encontr trabaj "
         "ayud regres cruz deten liber particip comunic registr", "ar amos an ado ados ando "
         "ación aciones"),
        ("segur solidar dign comun human", "idad idades"),
        ("justic violenc memori emergenc resistenc", "ia ias"),
    ],
    "fr": [
        ("migrant étudiant habitant avocat voisin enfant témoin", "  s e es"),
        ("frontière caravane famille mère communauté personne autorité maison assemblée "
         "plainte marche manifestation école terre femme route", " s"),
        ("organis document expuls accompagn protest march appui réclam cherch trouv travaill "
         "aid retourn travers arrêt libér particip communiqu enregistr", "er ons ez ent é "
         "ée és ant ation ations"),
        ("sécur solidar dign human libert égal", "ité ités"),
        ("nation région internation", "al aux ale ales"),
    ],
    "it": [
        ("diritt migrant-e cittadin popol quartier cammin mort scompars rifugi avvocat "
         "politic vicin compagn bambin fratell testimon corp rapiment", "o i a e"),
        ("frontier carovan famigli madr comunit person autorit cas assemble denunc marc "
         "protest scuol terr donn", "a e"),
        ("organizz document deport accompagn protest marci appoggi reclam cerc trov lavor "
         "aiut ritorn attravers arrest liber partecip comunic registr", "are iamo ano ato "
         "ati ata ando azione azioni"),
        ("sicur solidar dign uman libert", "ezza ezze età"),
    ],
    "en": [
        ("right migrant citizen neighbour lawyer witness border caravan family mother "
         "community person authority house assembly complaint school land woman road shelter "
         "report camp court", " s"),
        ("organis document deport accompan protest march support claim search find work help "
         "return cross detain release participat communicat register defend", " s ed ing er "
         "ers ation ations"),
        ("secur solidar dign human liber equal commun", "ity ities"),
    ],
}
SYLLABLES = {
    "es": ("ca co ma mo pa pe ra re ta te lu ne so ba ga ve da fi li ño cha que gui ré ció",
           ["o os a as", "s", "ar amos an ado ados ando ación aciones", "idad idades", "e es"]),
    "fr": ("ca co ma mo pa pe ra re ta te lu ne so ba ga ve da fi li gou chau que oi é è",
           ["  s e es", " s", "er ons ez ent é ée és ant ation ations", "ité ités",
            "al aux ale ales"]),
    "it": ("ca co ma mo pa pe ra re ta te lu ne so ba ga ve da fi li gno chia que gli sce",
           ["o i a e", "a e", "are iamo ano ato ati ata ando azione azioni", "ezza ezze età"]),
    "en": ("ba co ma mo pa pe ra re ta te lu ne so bri gar ven dal fin lin ther sh ow ing",
           [" s", " s ed ing er ers ation ations", "ity ities", " s ly"]),
}
ARABIC_ROOTS = ("كتب عمل حرك هجر حدد حقق سلم نظم دفع جمع شرك طلب خرج دخل سفر عبر قتل حكم قرر نشر "
                "بحث علم وثق سجن حرر عدل امن نصر صبر رحل ولد بيت رسل سكن فقد شهد")
ARABIC_LETTERS = "بتثجحخدذرزسشصضطظعغفقكلمنهوي"
ARABIC_PATTERNS = ["1ا23", "م12و3", "ت12ي3", "123", "12ا3", "م123ة", "1ا23ون", "1ا23ين",
                   "12ا3ات", "ت1ا23", "م1ا23", "ا1ت2ا3", "م1ت23", "1ي23"]  # fmt: skip
TAGS = {
    "es": ["derechos humanos", "frontera", "deportación", "caravana", "desaparecidos", "asilo",
           "mujeres", "niñez migrante", "albergues", "vivienda", "trabajo", "salud"],
    "fr": ["droits humains", "frontière", "expulsion", "caravane", "disparus", "asile",
           "femmes", "enfants", "hébergement", "logement", "travail", "santé"],
    "it": ["diritti umani", "frontiera", "deportazione", "carovana", "scomparsi", "asilo",
           "donne", "minori", "accoglienza", "casa", "lavoro", "salute"],
    "en": ["human rights", "border", "deportation", "caravan", "disappeared", "asylum",
           "women", "children", "shelters", "housing", "work", "health"],
    "ar": ["حقوق الإنسان", "الحدود", "الترحيل", "القافلة", "المفقودون", "اللجوء", "النساء",
           "الأطفال", "الإيواء", "السكن", "العمل", "الصحة"],
}
ORG_WORDS = ["Colectivo", "Red", "Association", "Comitato", "Coalition", "Centro", "Maison",
             "Casa", "جمعية", "Movimiento"]  # fmt: skip
PLACES = ["Tegucigalpa", "Tapachula", "Dakar", "Palermo", "Oujda", "Lampedusa", "Calais",
          "Tijuana"]  # fmt: skip
ORGS = [f"{ORG_WORDS[n % len(ORG_WORDS)]} {PLACES[n % len(PLACES)]} {n}" for n in range(40)]
LANG_WEIGHTS = {"es": 35, "en": 20, "fr": 15, "it": 15, "ar": 15}
FORMATS = ["pdf", "docx", "odt", "md", "txt"]
FORMAT_WEIGHTS = [45, 25, 10, 12, 8]
START = datetime(2021, 1, 1, tzinfo=UTC)
SPAN = 5 * 365 * 86400


@dataclass
class Vocabulary:
    """The word forms of a language with Zipf weights (cumulative, for random.choices)."""

    words: list[str]
    cumulative: list[float]
    content: list[str]  # the forms that are not stop words, most frequent first
    content_cumulative: list[float]
    tags: list[str]


def _latin_forms(lang: str, rng: random.Random, target: int) -> list[str]:
    forms: list[str] = []
    for stems, endings in REAL[lang]:
        for stem in stems.split():
            stem, _, extra = stem.partition("-")  # "migrant-e": migrante/migrantes too
            ends = endings.split(" ") + ([f"{extra}", f"{extra}s"] if extra else [])
            forms += [stem + end for end in ends]
    syllables, classes = SYLLABLES[lang]
    pieces = syllables.split()
    while len(forms) < target:
        stem = "".join(rng.choice(pieces) for _ in range(rng.choice((2, 2, 3))))
        forms += [stem + end for end in rng.choice(classes).split(" ")]
    return forms


def _arabic_forms(rng: random.Random, target: int) -> list[str]:
    roots = ARABIC_ROOTS.split()
    while len(roots) * len(ARABIC_PATTERNS) < target:
        roots.append("".join(rng.choice(ARABIC_LETTERS) for _ in range(3)))
    forms = []
    for root in roots:
        for pattern in ARABIC_PATTERNS:
            word = pattern.replace("1", root[0]).replace("2", root[1]).replace("3", root[2])
            forms += [word, "ال" + word] if rng.random() < 0.5 else [word]
    return forms


def vocabulary(lang: str, target: int = 3000) -> Vocabulary:
    """A deterministic vocabulary of about `target` forms, Zipf-weighted, stop words on top."""
    rng = random.Random(f"{SEED}-{lang}")
    forms = _arabic_forms(rng, target) if lang == "ar" else _latin_forms(lang, rng, target)
    content = list(dict.fromkeys(f for f in forms if f and f not in STOP[lang].split()))
    rng.shuffle(content)
    words = STOP[lang].split() + content
    weights = [1.0 / (rank + 2.7) ** 1.07 for rank in range(len(words))]
    cumulative = list(_accumulate(weights))
    stop_count = len(STOP[lang].split())
    return Vocabulary(words, cumulative, content, list(_accumulate(weights[stop_count:])),
                      TAGS[lang])  # fmt: skip


def _accumulate(values):
    total = 0.0
    for value in values:
        total += value
        yield total


VOCABULARIES = {lang: vocabulary(lang) for lang in LANG_WEIGHTS}


def _text(rng: random.Random, vocab: Vocabulary, count: int) -> str:
    """`count` words in sentences of 6-24 words, capitalised, with full stops."""
    words = rng.choices(vocab.words, cum_weights=vocab.cumulative, k=count)
    out, at = [], 0
    while at < count:
        n = rng.randint(6, 24)
        sentence = words[at : at + n]
        sentence[0] = sentence[0].capitalize()
        out.append(" ".join(sentence) + ".")
        at += n
    return " ".join(out)


def entry(i: int) -> Entry:
    """Document i of every corpus (the same in every run)."""
    rng = random.Random(SEED * 1_000_003 + i)
    lang = rng.choices(list(LANG_WEIGHTS), weights=list(LANG_WEIGHTS.values()))[0]
    vocab = VOCABULARIES[lang]
    org = rng.randrange(len(ORGS))
    length = int(math.exp(rng.uniform(math.log(200), math.log(2000))))
    title_words = rng.choices(vocab.content, cum_weights=vocab.content_cumulative,
                              k=rng.randint(4, 10))  # fmt: skip
    audience = rng.random()
    org_tokens = {f"org:{org}", f"org:{org}:coordinator"}
    if audience < 0.4:
        tokens = {"public"} | org_tokens
    elif audience < 0.7:
        tokens = {"member", "admin"} | org_tokens
    else:
        tokens = org_tokens
    return Entry(
        kind="document",
        id=i + 1,
        title=" ".join(title_words).capitalize(),
        body=_text(rng, vocab, length),
        language=lang,
        tokens=frozenset(tokens),
        date=START + timedelta(seconds=rng.randrange(SPAN)),
        tags=tuple(rng.sample(vocab.tags, rng.randint(1, 4))),
        organisation_id=org + 1,
        organisation=ORGS[org],
        format=rng.choices(FORMATS, weights=FORMAT_WEIGHTS)[0],
    )


# --- queries ------------------------------------------------------------------------------------

READERS = {
    "anonymous": frozenset({"public"}),
    "member": frozenset({"public", "signed-in", "user:42", "member", "org:3"}),
    "admin": frozenset({"public", "signed-in", "user:1", "admin"}),
}
READER_WEIGHTS = [40, 40, 20]
KINDS = {  # share of the mix
    "word": 22, "two words": 18, "phrase": 10, "or": 10, "exclusion": 10, "field": 10,
    "facet": 12, "prefix": 8,
}  # fmt: skip


@dataclass
class Query:
    """One search of the mix: what was typed, the facet selection, the sort, the reader."""

    kind: str
    text: str
    filters: Filters
    sort: str
    reader: str


def _pick(rng: random.Random, vocab: Vocabulary, top: int = 1500) -> str:
    """A content word: Zipf-weighted among the `top` most frequent (common and rarer ones)."""
    limit = min(top, len(vocab.content))
    return rng.choices(vocab.content[:limit], cum_weights=vocab.content_cumulative[:limit])[0]


def _early_words(rng: random.Random, lang: str) -> list[str]:
    """The words of an early document in that language (one found at every size)."""
    while True:
        doc = entry(rng.randrange(2000))
        if doc.language == lang:
            return doc.body.replace(".", "").lower().split()


def _bigram(rng: random.Random, lang: str) -> str:
    """Two adjacent content words of an early document in that language (found in every size)."""
    stop = set(STOP[lang].split())
    while True:
        words = _early_words(rng, lang)
        pairs = [(a, b) for a, b in zip(words, words[1:], strict=False)
                 if a not in stop and b not in stop]  # fmt: skip
        if pairs:
            return " ".join(rng.choice(pairs))


def _text_of(kind: str, rng: random.Random, lang: str) -> tuple[str, Filters]:
    vocab = VOCABULARIES[lang]
    if kind == "word":
        return _pick(rng, vocab), Filters()
    if kind == "two words":
        return f"{_pick(rng, vocab)} {_pick(rng, vocab)}", Filters()
    if kind == "phrase":
        return f'"{_bigram(rng, lang)}"', Filters()
    if kind == "or":
        return f"{_pick(rng, vocab)} OR {_pick(rng, vocab)}", Filters()
    if kind == "exclusion":
        return f"{_pick(rng, vocab, 300)} -{_pick(rng, vocab, 300)}", Filters()
    if kind == "field":
        field = rng.choice([f"lang:{lang}", "format:pdf"])
        return f"{_pick(rng, vocab)} {field}", Filters()
    if kind == "facet":
        filters = rng.choice([
            Filters(languages=frozenset({lang})), Filters(formats=frozenset({"pdf", "docx"})),
            Filters(years=frozenset({rng.randint(2021, 2025)})),
            Filters(organisation_ids=frozenset({rng.randint(1, 40)})),
        ])  # fmt: skip
        return _pick(rng, vocab), filters
    word = _pick(rng, vocab, 600)  # prefix: the first 3-5 letters of a word
    return word[: max(3, min(len(word) - 1, rng.randint(3, 5)))] + "*", Filters()


def _stop_phrase(rng: random.Random, lang: str, common: bool) -> str:
    """Two stop words as they stand in an early document, and the word after them when it is
    one of the language's 100 most frequent (else only the two)."""
    stop, frequent = set(STOP[lang].split()), set(VOCABULARIES[lang].content[:100])
    while True:
        words = _early_words(rng, lang)
        runs = [words[i : i + 3] for i in range(len(words) - 2)
                if words[i] in stop and words[i + 1] in stop]  # fmt: skip
        if common:
            runs = [run for run in runs if run[2] in frequent]
        if runs:
            return " ".join(rng.choice(runs)[: 3 if common else 2])


def worst_known() -> list[Query]:
    """The queries known to cost the most, run apart from the mix (so that it stays
    comparable with earlier runs) and held to "no query over 2 s" too.

    Phrases of stop words (each in most entries), alone and before a frequent word, for a
    member, per language: "de la frontera" took 2.1-2.7 s at 100k entries before phrases
    read only the blocks that can hold their candidates.
    """
    rng = random.Random(SEED + 2)
    return [
        Query("stop-word phrase", f'"{_stop_phrase(rng, lang, common)}"', Filters(),
              "relevance", "member")
        for lang in LANG_WEIGHTS for common in (False, True)
    ]  # fmt: skip


def queries(count: int) -> list[Query]:
    """The fixed, seeded mix."""
    rng = random.Random(SEED + 1)
    out = []
    for _ in range(count):
        kind = rng.choices(list(KINDS), weights=list(KINDS.values()))[0]
        lang = rng.choices(list(LANG_WEIGHTS), weights=list(LANG_WEIGHTS.values()))[0]
        text, filters = _text_of(kind, rng, lang)
        sort = "date" if rng.random() < 0.15 else "relevance"
        reader = rng.choices(list(READERS), weights=READER_WEIGHTS)[0]
        out.append(Query(kind, text, filters, sort, reader))
    return out


# --- the engines --------------------------------------------------------------------------------


class Whoosh:
    """The backend under test, through its public interface."""

    name = "whoosh"

    def __init__(self, path: Path) -> None:
        self.backend = WhooshBackend(str(path / "whoosh"))

    def write(self, batch: list[Entry]) -> None:
        self.backend.write(batch)

    def warm(self) -> None:
        self.backend.warm()

    def search(self, query: Query) -> tuple[int, int]:
        request = Request(parse(query.text), READERS[query.reader], query.filters, query.sort)
        results = self.backend.search(request)
        return results.total, len(results.hits)

    def close(self) -> None:
        pass


FACET_COLUMNS = {"kind": "kind", "organisation": "org_id", "language": "lang",
                 "format": "format", "year": "year"}  # fmt: skip
MATCHED = ("SELECT d.id, bm25(docs_fts, 3.0, 1.0, 1.0), d.kind, d.lang, d.format, d.org_id, "
           "d.year, d.date FROM docs_fts f JOIN docs d ON d.id = f.rowid WHERE docs_fts MATCH ?")
SNIPPETS = ("SELECT rowid, highlight(docs_fts, 0, '\x02', '\x03'), snippet(docs_fts, 1, "
            "'\x02', '\x03', '…', 40) FROM docs_fts WHERE docs_fts MATCH ? ")
FIELD_COLUMNS = {"lang": "lang", "format": "format", "kind": "kind", "year": "year"}


class Fts5:
    """The baseline: SQLite FTS5, queries translated by hand, facets with GROUP BY."""

    name = "fts5"

    def __init__(self, path: Path) -> None:
        self.db = sqlite3.connect(path / "fts5.sqlite3", isolation_level=None)
        self.db.executescript("""
            PRAGMA journal_mode = WAL;
            PRAGMA synchronous = NORMAL;
            CREATE TABLE IF NOT EXISTS docs (id INTEGER PRIMARY KEY, kind TEXT, lang TEXT,
                format TEXT, org_id TEXT, year TEXT, date INTEGER);
            CREATE TABLE IF NOT EXISTS doc_tokens (doc_id INTEGER, token TEXT,
                PRIMARY KEY (doc_id, token)) WITHOUT ROWID;
            CREATE VIRTUAL TABLE IF NOT EXISTS docs_fts USING fts5(title, body, tags,
                tokenize = 'unicode61 remove_diacritics 2');
            CREATE TEMP TABLE m (id INTEGER PRIMARY KEY, rank REAL, kind TEXT, lang TEXT,
                format TEXT, org_id TEXT, year TEXT, date INTEGER);
        """)

    def warm(self) -> None:
        """Nothing to read ahead: SQLite reads its pages as queries need them."""

    def write(self, batch: list[Entry]) -> None:
        db = self.db
        db.execute("BEGIN")
        for e in batch:  # replace, as the outbox does
            db.execute("DELETE FROM docs_fts WHERE rowid = ?", (e.id,))
            db.execute("DELETE FROM doc_tokens WHERE doc_id = ?", (e.id,))
        db.executemany("INSERT OR REPLACE INTO docs VALUES (?, ?, ?, ?, ?, ?, ?)", [
            (e.id, e.kind, e.language, e.format, str(e.organisation_id), str(e.date.year),
             int(e.date.timestamp())) for e in batch])  # fmt: skip
        db.executemany("INSERT INTO doc_tokens VALUES (?, ?)",
                       [(e.id, t) for e in batch for t in e.tokens])  # fmt: skip
        db.executemany("INSERT INTO docs_fts (rowid, title, body, tags) VALUES (?, ?, ?, ?)",
                       [(e.id, e.title, e.body, " | ".join(e.tags)) for e in batch])  # fmt: skip
        db.execute("COMMIT")

    def search(self, query: Query) -> tuple[int, int]:
        match, conditions, params = fts_query(parse(query.text))
        tokens = sorted(READERS[query.reader])
        marks = ", ".join("?" * len(tokens))
        allowed = f"EXISTS (SELECT 1 FROM doc_tokens t WHERE t.doc_id = d.id AND t.token IN ({marks}))"  # noqa: S608, E501
        extra = "".join(f" AND {c}" for c in conditions)
        select = MATCHED + f" AND {allowed}{extra}"  # noqa: S608
        db = self.db
        db.execute("DELETE FROM m")
        db.execute("INSERT INTO m " + select, [match, *tokens, *params])
        chosen = _chosen(query.filters)
        where, args = _where(chosen)
        total = db.execute(f"SELECT count(*) FROM m WHERE {where}", args).fetchone()[0]  # noqa: S608
        for name in FACETS:  # disjunctive: every filter but the facet's own
            column = FACET_COLUMNS[name]
            where_f, args_f = _where({c: v for c, v in chosen.items() if c != column})
            db.execute(f"SELECT {column}, count(*) FROM m WHERE {where_f} GROUP BY {column} "  # noqa: S608
                       "ORDER BY 2 DESC", args_f).fetchall()  # fmt: skip
        order = "date DESC" if query.sort == "date" else "rank"
        top = [row[0] for row in db.execute(
            f"SELECT id FROM m WHERE {where} ORDER BY {order} LIMIT 20", args)]  # noqa: S608
        if top:
            ids = ", ".join("?" * len(top))
            shown = (SNIPPETS + f"AND rowid IN ({ids})")  # noqa: S608
            db.execute(shown, [match, *top]).fetchall()
        return total, len(top)

    def close(self) -> None:
        self.db.close()


def _chosen(filters: Filters) -> dict[str, set[str]]:
    chosen = {"lang": filters.languages, "format": filters.formats, "year": filters.years,
              "org_id": filters.organisation_ids, "kind": filters.kinds}  # fmt: skip
    return {column: {str(v) for v in values} for column, values in chosen.items() if values}


def _where(chosen: dict[str, set[str]]) -> tuple[str, list[str]]:
    parts, args = ["1"], []
    for column, values in chosen.items():
        parts.append(f"{column} IN ({', '.join('?' * len(values))})")
        args += sorted(values)
    return " AND ".join(parts), args


def fts_query(node) -> tuple[str, list[str], list[str]]:
    """The FTS5 MATCH expression of a parsed query, and SQL conditions for lang:, format:..."""
    conditions: list[str] = []
    params: list[str] = []
    match = _fts(node, conditions, params)
    return match, conditions, params


def _quoted(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


def _fts(node, conditions: list[str], params: list[str]) -> str | None:
    if isinstance(node, Word | Phrase | Prefix):
        if node.field in FIELD_COLUMNS:
            conditions.append(f"d.{FIELD_COLUMNS[node.field]} = ?")
            params.append(node.text.lower())
            return None
        text = " ".join(node.words) if isinstance(node, Phrase) else node.text
        column = {"title": "title : ", "tag": "tags : "}.get(node.field or "", "")
        return column + _quoted(text) + (" *" if isinstance(node, Prefix) else "")
    if isinstance(node, AnyOf):
        return "(" + " OR ".join(filter(None, (_fts(p, conditions, params)
                                                for p in node.parts))) + ")"  # fmt: skip
    positive = [_fts(p, conditions, params) for p in node.parts if not isinstance(p, Not)]
    expression = "(" + " AND ".join(filter(None, positive)) + ")"
    for part in node.parts:
        if isinstance(part, Not):
            expression += f" NOT {_fts(part.part, conditions, params)}"
    return expression


# --- measuring ----------------------------------------------------------------------------------


def percentile(values: list[float], share: float) -> float:
    """The nearest-rank percentile of a list (0 for none)."""
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, math.ceil(share * len(ordered)) - 1)]


def peak_rss() -> float:
    """Peak resident memory of this process, MB (with the index files Whoosh maps in)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def memory_now() -> str:
    """Resident memory now, anonymous and file-mapped (Linux), for the final line."""
    try:
        status = Path("/proc/self/status").read_text().splitlines()
    except OSError:
        return ""
    fields = {line.split(":")[0]: line.split()[1] for line in status if line.startswith("Rss")}
    return (f"; now {int(fields.get('RssAnon', 0)) / 1024:.0f} MB anonymous, "
            f"{int(fields.get('RssFile', 0)) / 1024:.0f} MB file-mapped (index files)")


@dataclass
class Spent:
    """What writing has cost an engine so far."""

    wall: float = 0.0
    cpu: float = 0.0  # this process's CPU seconds (less disturbed by other work on the machine)
    slowest: float = 0.0  # the longest single batch, s (a commit that merged segments)


@dataclass
class Figures:
    """One engine at one size."""

    engine: str
    size: int
    spent: Spent
    warm_ms: float
    first_ms: float
    times: list[float]  # ms, per query of the mix
    cpu: list[float]  # CPU ms, per query
    totals: list[int]
    worst: list[float] = dataclasses.field(default_factory=list)  # ms, per worst-known query

    @property
    def rate(self) -> float:
        return self.size / self.spent.wall if self.spent.wall else 0.0

    @property
    def cpu_rate(self) -> float:
        return self.size / self.spent.cpu if self.spent.cpu else 0.0

    def p(self, share: float) -> float:
        return percentile(self.times, share)


def feed(engines, start: int, stop: int, batch: int, spent: dict[str, Spent]) -> None:
    """Entries start..stop-1 written to every engine in batches; the cost added to spent."""
    began, reported = time.monotonic(), time.monotonic()
    for first in range(start, stop, batch):
        entries = [entry(i) for i in range(first, min(stop, first + batch))]
        for engine in engines:
            cost, wall, cpu = spent[engine.name], time.perf_counter(), time.process_time()
            engine.write(entries)
            wall = time.perf_counter() - wall
            cost.wall, cost.cpu = cost.wall + wall, cost.cpu + time.process_time() - cpu
            cost.slowest = max(cost.slowest, wall)
        if time.monotonic() - reported > 30:
            reported = time.monotonic()
            done = first + len(entries)
            rates = ", ".join(f"{e.name} {done / spent[e.name].wall:.0f} docs/s, slowest batch "
                              f"{spent[e.name].slowest:.1f} s" for e in engines)  # fmt: skip
            print(f"    {done:,} entries written ({rates}; {reported - began:.0f} s; load "
                  f"{os.getloadavg()[0]:.1f})", flush=True)  # fmt: skip


def measure(engine, mix: list[Query]) -> tuple[float, float, list[float], list[float], list[int]]:
    """The warm-up's ms, the first query's, then each query of the mix: ms, CPU ms, totals."""
    t = time.perf_counter()
    engine.warm()
    warm = 1000 * (time.perf_counter() - t)
    t = time.perf_counter()
    engine.search(mix[0])
    first = 1000 * (time.perf_counter() - t)
    times, cpu, totals = [], [], []
    for query in mix:
        t, c = time.perf_counter(), time.process_time()
        total, _shown = engine.search(query)
        times.append(1000 * (time.perf_counter() - t))
        cpu.append(1000 * (time.process_time() - c))
        totals.append(total)
    return warm, first, times, cpu, totals


def timed(engine, query: Query) -> float:
    """One query's ms."""
    t = time.perf_counter()
    engine.search(query)
    return 1000 * (time.perf_counter() - t)


def show_worst(rows: list[Figures], hardest: list[Query]) -> None:
    """Each worst-known query's ms on both engines."""
    w, s = rows
    print("\n  worst known queries, apart from the mix (ms, whoosh | fts5):")
    for query, wt, st in zip(hardest, w.worst, s.worst, strict=True):
        print(f"    {wt:7.1f} | {st:7.1f}  {query.kind} {query.text!r}")


def show(rows: list[Figures], mix: list[Query]) -> None:
    """The table of one size, and per kind of query."""
    print(f"\n  {'size':>8} {'engine':7} {'docs/s':>7} {'docs/cpu-s':>10} {'slowest batch':>13} "
          f"{'warm ms':>8} {'first ms':>9} {'p50 ms':>7} {'p95 ms':>7} {'max ms':>7} {'>2s':>4} "
          f"{'cpu p50':>7} {'cpu p95':>7}")  # fmt: skip
    for f in rows:
        slow = sum(t > SLOW * 1000 for t in f.times)
        print(f"  {f.size:8,} {f.engine:7} {f.rate:7.0f} {f.cpu_rate:10.0f} "
              f"{f.spent.slowest:11.1f} s {f.warm_ms:8.0f} {f.first_ms:9.0f} {f.p(0.5):7.1f} "
              f"{f.p(0.95):7.1f} {max(f.times):7.1f} {slow:4d} {percentile(f.cpu, 0.5):7.1f} "
              f"{percentile(f.cpu, 0.95):7.1f}")  # fmt: skip
    w, s = rows
    print(f"  ratios whoosh/fts5: p95 x{w.p(0.95) / max(s.p(0.95), 1e-9):.2f}, "
          f"p50 x{w.p(0.5) / max(s.p(0.5), 1e-9):.2f}, indexing docs/s "
          f"x{w.rate / max(s.rate, 1e-9):.3f}; load average {os.getloadavg()[0]:.1f}\n"
          "  mean hits per query: whoosh "
          f"{sum(w.totals) / len(w.totals):.0f}, fts5 {sum(s.totals) / len(s.totals):.0f} "
          "(fts5 does not stem)")  # fmt: skip
    print("\n  per kind of query (n; p50 / p95 ms, whoosh | fts5):")
    groups = {}
    for i, q in enumerate(mix):
        for label in (q.kind, f"sort {q.sort}", f"reader {q.reader}"):
            groups.setdefault(label, []).append(i)
    for label, indexes in groups.items():
        wt, st = [w.times[i] for i in indexes], [s.times[i] for i in indexes]
        print(f"    {label:18} {len(indexes):4d}  {percentile(wt, 0.5):7.1f} / "
              f"{percentile(wt, 0.95):7.1f} | {percentile(st, 0.5):7.1f} / "
              f"{percentile(st, 0.95):7.1f}")  # fmt: skip


def verdict(rows: list[Figures]) -> list[tuple[str, bool]]:
    """PASS/MISS per target."""
    checks = []
    for w, s in zip(rows[::2], rows[1::2], strict=True):
        target = TARGETS.get(w.size, 50.0 if w.size <= 10_000 else 200.0)
        label = f"{w.size:,}" + ("" if w.size in TARGETS else " (not a target size)")
        checks += [
            (f"{label}: whoosh p95 {w.p(0.95):.1f} ms <= {target:.0f} ms", w.p(0.95) <= target),
            (f"{label}: no whoosh query over {SLOW:g} s (max {max(w.times):.0f} ms; first "
             f"after indexing {w.first_ms:.0f} ms, after the worker's warm-up of "
             f"{w.warm_ms:.0f} ms; worst known {max(w.worst, default=0):.0f} ms)",
             max(w.times + w.worst + [w.first_ms]) <= SLOW * 1000),
            (f"{label}: whoosh p95 within x{RATIO:g} of fts5's ({w.p(0.95):.1f} vs "
             f"{s.p(0.95):.1f} ms: x{w.p(0.95) / max(s.p(0.95), 1e-9):.2f})",
             w.p(0.95) <= RATIO * s.p(0.95)),
            (f"{label}: whoosh indexing {w.rate:.0f} docs/s >= {INDEX_RATE:.0f} ({w.cpu_rate:.0f} "
             "per CPU-second)", w.rate >= INDEX_RATE),
        ]  # fmt: skip
    print("\nTargets (search issue):")
    for text, ok in checks:
        print(f"  {'PASS' if ok else 'MISS'}  {text}")
    return checks


def profile(engine: Whoosh, mix: list[Query], times: list[float], count: int) -> None:
    """cProfile of the slowest Whoosh queries, run again: where their time goes."""
    slowest = sorted(range(len(mix)), key=lambda i: -times[i])[:count]
    print(f"\n  profile of the {len(slowest)} slowest whoosh queries (run again):")
    for i in slowest:
        q = mix[i]
        print(f"    {times[i]:7.1f} ms  {q.kind:10} {q.reader:9} sort {q.sort:9} "
              f"{q.text!r} {_filters_text(q.filters)}")  # fmt: skip
    profiler = cProfile.Profile()
    profiler.enable()
    for i in slowest:
        engine.search(mix[i])
    profiler.disable()
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out).sort_stats("cumulative")
    stats.print_stats(r"app/search|whoosh/(searching|query|matching|reading|collectors)", 30)
    lines = [line for line in out.getvalue().splitlines() if line.strip()]
    start = next((n for n, line in enumerate(lines) if "ncalls" in line), 0)
    for line in lines[start:]:
        print("    " + line.replace(str(ROOT) + "/", "").replace(sys.prefix + "/", ""))


def _filters_text(filters: Filters) -> str:
    chosen = _chosen(filters)
    return " ".join(f"{k}={','.join(sorted(v))}" for k, v in chosen.items())


def run(args, sizes: list[int], where: Path) -> list[Figures]:
    """Index ascending sizes (growing the same indexes), query both engines at each size."""
    mix, hardest = queries(args.queries), worst_known()
    whoosh, fts5 = Whoosh(where), Fts5(where)
    rows: list[Figures] = []
    spent = {"whoosh": Spent(), "fts5": Spent()}
    done = 0
    try:
        for size in sizes:
            print(f"\n{size:,} documents: indexing {size - done:,} more in batches of "
                  f"{args.batch}...", flush=True)  # fmt: skip
            feed((whoosh, fts5), done, size, args.batch, spent)
            done = size
            print(f"    written; peak RSS {peak_rss():.0f} MB; running {len(mix)} queries on "
                  "each engine...", flush=True)  # fmt: skip
            pair = []
            for engine in (whoosh, fts5):
                warm, first, times, cpu, totals = measure(engine, mix)
                worst = [timed(engine, query) for query in hardest]
                cost = dataclasses.replace(spent[engine.name])
                pair.append(
                    Figures(engine.name, size, cost, warm, first, times, cpu, totals, worst)
                )
            rows += pair
            show(pair, mix)
            show_worst(pair, hardest)
            if args.profile:
                profile(whoosh, mix, pair[0].times, args.profile)
            print(f"  peak RSS {peak_rss():.0f} MB; index on disk: whoosh "
                  f"{_size(where / 'whoosh'):.0f} MB, fts5 {_size(where, 'fts5'):.0f} MB",
                  flush=True)  # fmt: skip
    finally:
        fts5.close()
        whoosh.close()
    return rows


def _size(path: Path, prefix: str = "") -> float:
    files = path.rglob("*") if not prefix else path.glob(prefix + "*")
    return sum(f.stat().st_size for f in files if f.is_file()) / 1e6


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="10000,100000", help="corpus sizes, ascending")
    parser.add_argument("--queries", type=int, default=200, help="queries in the mix")
    parser.add_argument("--batch", type=int, default=500, help="entries per write")
    parser.add_argument("--quick", action="store_true", help="2,000 documents and 50 queries")
    parser.add_argument("--keep", help="build the indexes in this directory and keep them")
    parser.add_argument("--profile", type=int, default=0,
                        help="cProfile the N slowest whoosh queries of each size")
    args = parser.parse_args()
    sizes = sorted({int(s) for s in args.sizes.split(",") if s.strip()})
    if args.quick:
        sizes, args.queries = [2000], 50
    print(f"library search: sizes {', '.join(f'{s:,}' for s in sizes)}, {args.queries} "
          f"queries, batches of {args.batch}; {os.cpu_count()} cores, load average "
          f"{os.getloadavg()[0]:.1f}; sqlite {sqlite3.sqlite_version}", flush=True)  # fmt: skip
    sample = {lang: len(v.words) for lang, v in VOCABULARIES.items()}
    print(f"  vocabulary (word forms): {sample}", flush=True)
    if args.keep:
        where = Path(args.keep)
        if where.exists() and any(where.iterdir()):
            print(f"--keep {where}: the directory is not empty", file=sys.stderr)
            return 2
        where.mkdir(parents=True, exist_ok=True)
        rows = run(args, sizes, where)
    else:
        tmp = Path(tempfile.mkdtemp(prefix="caravana-bench-search-"))
        try:
            rows = run(args, sizes, tmp)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    verdict(rows)
    print(f"\npeak RSS of the process: {peak_rss():.0f} MB (both engines, the generator; counts "
          f"the index files Whoosh maps into memory){memory_now()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
