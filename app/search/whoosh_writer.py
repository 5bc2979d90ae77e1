"""A Whoosh segment writer that writes postings term by term, with lengths known up front.

Whoosh's own writer puts every posting in a sorted pool (a tuple each), then writes them one
by one, asking a column on disk for each posting's field length; a merge reads the merged
segments the same way, a posting at a time. That path was ~60 % of indexing. Here the new
documents' postings are grouped by term as they are added, merged segments are read a block
at a time, the lengths are recorded as the per-document writer receives them, and each term's
postings go to the codec's block writer in slices. The files written are Whoosh's own
(whoosh3 codec), byte for byte what its writer produces but for two choices made for speed:
short posting lists are left uncompressed and blocks are pickled with a newer protocol
(tests/test_search_writer.py).

It fills the whoosh3 block writer's buffers through private members (`_ids`, `_weights`, ...,
as of whoosh-reloaded 2.7.5) and reads merged blocks with whoosh_postings.py; another codec
takes the public, per-posting path, and a Whoosh release that changed these members fails
that test.
"""

from __future__ import annotations

import heapq
import pickle
import zlib
from array import array
from collections.abc import Iterator, Sequence
from itertools import chain, groupby, repeat
from operator import itemgetter, sub

from whoosh import writing
from whoosh.codec.whoosh3 import WHOOSH3_HEADER_MAGIC, W3PostingsWriter
from whoosh.system import emptybytes
from whoosh.util.numeric import length_to_byte

from app.search.whoosh_postings import read_postings, unfiltered
from app.search.whoosh_query import Forms

# zlib costs ~40 us a call, mostly setting up its state; a list of fewer postings than this
# pickles to a few dozen bytes, which it barely shrinks (2,000 documents: 9 % less CPU,
# 2 % more disk). Each block records whether it is compressed; readers follow that flag.
SMALL = 8
COMPRESSION = 3  # the whoosh3 codec's default level, for everything larger
# Whoosh pickles a block's (ids, weights, values) with protocol 2, where each value (bytes)
# becomes a call to _codecs.encode on a latin-1 string; with protocol 5 it is a plain byte
# string: blocks of frequent words load ~4x faster and are ~20 % smaller once compressed.
# pickle.loads reads either, so Whoosh's reader and older segments are unaffected.
BLOCK_PROTOCOL = 5
Postings = tuple[Sequence[int], Sequence[float], Sequence[bytes]]


class TermPool:
    """The new documents' postings, grouped by field and term in the order they were added."""

    def __init__(self) -> None:
        self.fields: dict[str, dict[bytes, list[tuple[int, float, bytes]]]] = {}

    def add(self, item) -> None:
        """One posting (fieldname, term bytes, docnum, weight, value), as Whoosh passes it."""
        fieldname, text, docnum, weight, value = item
        if docnum == -1:  # a spelling word: our schema has no spelling fields
            raise NotImplementedError("spelling fields are not supported by this writer")
        terms = self.fields.get(fieldname)
        if terms is None:
            terms = self.fields[fieldname] = {}
        postings = terms.get(text)
        if postings is None:
            terms[text] = [(docnum, weight, value)]
        else:
            postings.append((docnum, weight, value))

    def add_forms(self, fieldname: str, docnum: int, postings) -> None:
        """A document's postings in a Forms field, as Forms.postings() gives them."""
        terms = self.fields.get(fieldname)
        if terms is None:
            terms = self.fields[fieldname] = {}
        for text, (weight, value) in postings.items():
            found = terms.get(text)
            if found is None:
                terms[text] = [(docnum, weight, value)]
            else:
                found.append((docnum, weight, value))

    def fieldnames(self) -> set[str]:
        """The fields with postings."""
        return set(self.fields)

    def terms(self, fieldname: str) -> list[bytes]:
        """The field's terms in order."""
        return sorted(self.fields.get(fieldname, ()))

    def postings(self, fieldname: str, text: bytes) -> Postings:
        """A term's document numbers, weights and values."""
        ids, weights, values = zip(*self.fields[fieldname][text], strict=True)
        return ids, weights, values

    def cleanup(self) -> None:
        """Forget every posting."""
        self.fields.clear()


class MergedSegment:
    """A segment being merged in: its terms, and its postings renumbered to the new segment."""

    def __init__(self, reader, startdoc: int, docmap: dict[int, int] | None) -> None:
        self.reader = reader
        self.startdoc = startdoc
        self.docmap = docmap  # old docnum -> new, when the segment has deletions

    def fieldnames(self) -> set[str]:
        """The segment's indexed fields."""
        return set(self.reader.indexed_field_names())

    def terms(self, fieldname: str) -> Iterator[bytes]:
        """The field's terms in order."""
        return iter(self.reader.lexicon(fieldname))

    def postings(self, fieldname: str, text: bytes) -> Postings:
        """A term's live postings, numbered as in the new segment."""
        ids, weights, values = read_postings(unfiltered(self.reader.postings(fieldname, text)))
        if self.docmap is None:
            start = self.startdoc
            return [start + docnum for docnum in ids], weights, values
        docmap = self.docmap
        kept = [i for i, docnum in enumerate(ids) if docnum in docmap]
        return (
            [docmap[ids[i]] for i in kept],
            [weights[i] for i in kept],
            [values[i] for i in kept],
        )

    def close(self) -> None:
        """Close the segment's reader."""
        self.reader.close()


class LengthRecorder:
    """Wraps the per-document writer to keep each document's field lengths in memory."""

    def __init__(self, inner) -> None:
        self._inner = inner
        self._docnum = 0
        self.lengths: dict[str, dict[int, int]] = {}

    def __getattr__(self, name):
        return getattr(self._inner, name)

    def start_doc(self, docnum: int) -> None:
        """Note which document the next fields belong to."""
        self._docnum = docnum
        self._inner.start_doc(docnum)

    def add_field(self, fieldname, fieldobj, value, length) -> None:
        """Keep the field's length, then write the field as Whoosh does."""
        if length:
            self.lengths.setdefault(fieldname, {})[self._docnum] = length
        self._inner.add_field(fieldname, fieldobj, value, length)


class TermWriter(writing.SegmentWriter):
    """A SegmentWriter whose postings take the fast path above; otherwise Whoosh's own."""

    def __init__(self, ix, **kwargs) -> None:
        super().__init__(ix, **kwargs)
        unsupported = [
            name for name, field in self.schema.items() if field.vector or field.separate_spelling()
        ]
        if unsupported:
            raise ValueError(f"fields this writer cannot write: {unsupported}")
        self.pool.cleanup()
        self.pool = TermPool()
        self.perdocwriter = LengthRecorder(self.perdocwriter)
        self._merging: list[MergedSegment] = []

    def add_document(self, **fields) -> None:
        """Add a document: Whoosh's steps for the features our schema uses, Forms in bulk.

        No boosts, term vectors, spelling or custom stored values (the schema has none;
        schema() is checked when the writer opens).
        """
        self._check_state()
        perdocwriter, schema, docnum = self.perdocwriter, self.schema, self.docnum
        perdocwriter.start_doc(docnum)
        try:
            for fieldname in sorted(fields):
                value = fields[fieldname]
                if value is None:
                    continue
                field = schema[fieldname]
                length = 0
                if isinstance(field, Forms):
                    self.pool.add_forms(fieldname, docnum, field.postings(value))
                    length = len(value)
                elif field.indexed:
                    for text, frequency, weight, encoded in field.index(value):
                        if field.scorable:
                            length += frequency
                        self.pool.add((fieldname, text, docnum, weight, encoded))
                perdocwriter.add_field(fieldname, field, value if field.stored else None, length)
                if field.column_type:
                    column_value = field.to_column_value(value)
                    perdocwriter.add_column_value(fieldname, field.column_type, column_value)
        except BaseException:
            perdocwriter.cancel_doc()
            raise
        perdocwriter.finish_doc()
        self._added = True
        self.docnum += 1

    def add_reader(self, reader) -> None:
        """Copy a segment's documents now and its postings when the segment is written.

        The reader stays open until then (the writer closes it), so the caller must not.
        """
        self._check_state()
        startdoc = self.docnum
        indexed = {name for name in reader.indexed_field_names() if name in self.schema}
        docmap = self.write_per_doc(set(self.schema.names()) | indexed, reader)
        self._merging.append(MergedSegment(reader, startdoc, docmap))
        self._added = True

    def _flush_segment(self) -> None:
        self.perdocwriter.close()
        self._write_terms([self.pool, *self._merging])
        self.fieldwriter.close()

    def _close_segment(self) -> None:
        """Close the files (Whoosh's), and the merged segments' readers (on commit or cancel)."""
        try:
            super()._close_segment()
        finally:
            for segment in self._merging:
                segment.close()
            self._merging = []

    def _write_terms(self, sources) -> None:
        """Every field's terms in order, each with its postings from every source in turn.

        Sources hold increasing document numbers (new documents first, then each merged
        segment), so concatenating a term's postings in source order keeps them sorted.
        """
        fieldwriter = self.fieldwriter
        lengths = self.perdocwriter.lengths
        names = set().union(*(source.fieldnames() for source in sources))
        for fieldname in sorted(name for name in names if name in self.schema):
            fieldwriter.start_field(fieldname, self.schema[fieldname])
            if type(fieldwriter._postwriter) is W3PostingsWriter:
                fieldwriter._postwriter = BlockWriter.like(fieldwriter._postwriter)
            field_lengths = lengths.get(fieldname, {})
            streams = [
                zip(source.terms(fieldname), repeat(number))
                for number, source in enumerate(sources)
            ]
            for text, group in groupby(heapq.merge(*streams), key=itemgetter(0)):
                ids: list[int] = []
                weights: list[float] = []
                values: list[bytes] = []
                for _text, number in group:
                    more = sources[number].postings(fieldname, text)
                    ids.extend(more[0])
                    weights.extend(more[1])
                    values.extend(more[2])
                if not ids:  # every posting was of a deleted entry: the term goes
                    continue
                fieldwriter.start_term(text)
                _add_postings(fieldwriter, ids, weights, values, field_lengths)
                fieldwriter.finish_term()
            fieldwriter.finish_field()


class BlockWriter(W3PostingsWriter):
    """The whoosh3 postings writer, its blocks pickled with BLOCK_PROTOCOL."""

    @classmethod
    def like(cls, writer: W3PostingsWriter) -> BlockWriter:
        """A writer with the same file and settings, before any term was started."""
        return cls(
            writer._postfile,
            blocklimit=writer._blocklimit,
            byteids=writer._byteids,
            compression=writer._compression,
            inlinelimit=writer._inlinelimit,
        )

    def _write_block(self, last: bool = False) -> None:
        """W3PostingsWriter._write_block (whoosh-reloaded 2.7.5) but for the pickle protocol."""
        postfile = self._postfile
        if not self._blockcount:
            postfile.write(WHOOSH3_HEADER_MAGIC)
        self._terminfo.add_block(self)
        ids = self._ids
        gaps = tuple(map(sub, ids, chain((0,), ids)))  # what _mini_ids() gives, in C
        data = pickle.dumps((gaps, self._mini_weights(), self._mini_values()), BLOCK_PROTOCOL)
        compression = self._compression
        if compression:
            data = zlib.compress(data, compression)
        # The block's header, which readers use to skip it, stays as Whoosh writes it.
        info = pickle.dumps(
            (
                len(ids),
                ids[-1],
                self._maxweight,
                compression,
                length_to_byte(self._minlength),
                length_to_byte(self._maxlength),
            ),
            2,
        )
        size = len(info) + len(data)
        postfile.write_int(-size if last else size)  # negative: the term's last block
        postfile.write(info)
        postfile.write(data)
        self._blockcount += 1
        self._new_block()


def _add_postings(fieldwriter, ids, weights, values, lengths: dict[int, int]) -> None:
    """One term's postings into the codec's block writer, a block at a time when it is ours."""
    writer = fieldwriter._postwriter
    if not isinstance(writer, BlockWriter):  # another codec: its public, per-posting path
        for docnum, weight, value in zip(ids, weights, values, strict=True):
            fieldwriter.add(docnum, weight, value or emptybytes, lengths.get(docnum, 0))
        return
    limit = writer._blocklimit
    for start in range(0, len(ids), limit):
        if start:
            writer._write_block()
        block = slice(start, start + limit)
        # What add_posting() accumulates for these postings, in one step each.
        writer._ids = array("I", ids[block])
        writer._weights = array("f", weights[block])
        writer._values = [value for value in values[block] if value]
        writer._maxweight = max(0, *weights[block])
        sizes = [size for size in map(lengths.get, ids[block]) if size]
        writer._minlength = min(sizes) if sizes else None
        writer._maxlength = max(sizes, default=0)
    writer._compression = 0 if len(ids) < SMALL else COMPRESSION  # read by _write_block
