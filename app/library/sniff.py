"""What kind of document an upload is, decided by its content; and a bounded zip reader.

The name a person gives a file says nothing reliable about it (an .exe renamed .pdf, a .docx
renamed .odt), so the kind comes from the bytes; the name only chooses between Markdown and
plain text, which no content can tell apart. Zip archives are read with a small reader of
our own rather than ``zipfile``: it walks the central directory one entry at a time without
building the whole list, so a directory of half a million tiny entries costs nothing here, and
it inflates an entry in bounded chunks, so a header that lies about its size cannot make us
hold more than we asked for.
"""

from __future__ import annotations

import codecs
import re
import struct
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO, NamedTuple

MIME_TYPES = {
    "pdf": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "odt": "application/vnd.oasis.opendocument.text",
    "md": "text/markdown; charset=utf-8",
    "txt": "text/plain; charset=utf-8",
}
EXTENSIONS = {"pdf": ".pdf", "docx": ".docx", "odt": ".odt", "md": ".md", "txt": ".txt"}

_ODT_MIMETYPE = MIME_TYPES["odt"].encode()
_PDF_HEADER = re.compile(rb"%PDF-\d")
_TEXT_HEAD = 64 * 1024
_CHUNK = 64 * 1024

_EOCD = struct.Struct("<4s4H2LH")  # end of central directory record
_EOCD64_LOCATOR = struct.Struct("<4sLQL")
_EOCD64 = struct.Struct("<4sQ2H2L4Q")
_CENTRAL = struct.Struct("<4s4B4HL2L5H2L")  # one central directory header
_LOCAL = struct.Struct("<4s2B4HL2L2H")  # one local file header
_MAX_TAIL = _EOCD.size + 0xFFFF  # the record plus the longest possible archive comment


class ZipError(ValueError):
    """A zip archive whose structure cannot be read."""


class ZipEntry(NamedTuple):
    """One member of a zip archive as its central directory declares it."""

    name: str
    flags: int
    method: int  # 0 stored, 8 deflated
    compressed: int
    size: int
    offset: int  # of its local header, from the start of the file


def sniff(path: Path, filename: str) -> str | None:
    """The kind of document at `path` ("pdf", "docx", "odt", "md", "txt"), or None."""
    with open(path, "rb") as f:
        head = f.read(1024)
        if (found := _PDF_HEADER.search(head)) and (found.start() == 0 or _ends_pdf(f)):
            return "pdf"
        if head.startswith(b"PK\x03\x04"):
            try:
                return _office_kind(f)
            except (ZipError, zlib.error):
                return None
        if not _is_utf8_text(f):
            return None
    return "md" if filename.lower().endswith((".md", ".markdown")) else "txt"


def _ends_pdf(f: BinaryIO) -> bool:
    """Whether the file ends like a PDF (so "%PDF-" after leading bytes is not just prose)."""
    f.seek(0, 2)
    f.seek(max(0, f.tell() - 1024))
    return b"%%EOF" in f.read()


def _office_kind(f: BinaryIO) -> str | None:
    """The kind ("docx" or "odt") of the document a zip archive holds, else None."""
    names: set[str] = set()
    mimetype: ZipEntry | None = None
    mimetype_first = False
    for index, entry in enumerate(zip_entries(f)):
        names.add(entry.name)
        if entry.name == "mimetype" and mimetype is None:
            mimetype, mimetype_first = entry, index == 0
        if {"[Content_Types].xml", "word/document.xml"} <= names:
            return "docx"
    if mimetype is None or not (mimetype_first or "content.xml" in names):
        return None  # ODF puts mimetype first; else it must at least have its content
    said = b"".join(inflate(f, mimetype, len(_ODT_MIMETYPE) + 1))
    return "odt" if said.strip() == _ODT_MIMETYPE else None


def _is_utf8_text(f: BinaryIO) -> bool:
    """Whether the whole file is UTF-8 (a BOM allowed) with no NUL in its first 64 KB."""
    f.seek(0)
    decoder = codecs.getincrementaldecoder("utf-8")()
    first = True
    try:
        while chunk := f.read(_TEXT_HEAD if first else _CHUNK):
            if first and b"\0" in chunk:
                return False
            first = False
            decoder.decode(chunk)
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


def zip_entries(f: BinaryIO) -> Iterator[ZipEntry]:
    """The entries of the zip archive `f`, one by one, from its central directory."""
    start, size, shift = _central_directory(f)
    f.seek(start)
    consumed = 0
    while consumed < size:
        fixed = _read_exactly(f, _CENTRAL.size)
        header = _CENTRAL.unpack(fixed)
        if header[0] != b"PK\x01\x02":
            raise ZipError("bad central directory header")
        flags, method, compressed, length = header[5], header[6], header[10], header[11]
        name_len, extra_len, comment_len, offset = header[12], header[13], header[14], header[18]
        variable = _read_exactly(f, name_len + extra_len + comment_len)
        consumed += _CENTRAL.size + len(variable)
        raw_name = variable[:name_len]
        name = raw_name.decode("utf-8" if flags & 0x800 else "cp437", "replace")
        if 0xFFFFFFFF in (compressed, length, offset):
            extra = variable[name_len : name_len + extra_len]
            length, compressed, offset = _zip64_sizes(extra, length, compressed, offset)
        yield ZipEntry(name, flags, method, compressed, length, offset + shift)


def _central_directory(f: BinaryIO) -> tuple[int, int, int]:
    """Where the central directory starts, its length and the offsets' shift, from the end."""
    f.seek(0, 2)
    file_size = f.tell()
    tail_start = max(0, file_size - _MAX_TAIL)
    f.seek(tail_start)
    tail = f.read()
    at = tail.rfind(b"PK\x05\x06")
    if at < 0 or len(tail) - at < _EOCD.size:
        raise ZipError("no end of central directory")
    end = tail_start + at
    _, _, _, _, count, size, offset, _ = _EOCD.unpack(tail[at : at + _EOCD.size])
    if count == 0xFFFF or 0xFFFFFFFF in (size, offset):
        locator_at = end - _EOCD64_LOCATOR.size
        f.seek(max(0, locator_at))
        locator = f.read(_EOCD64_LOCATOR.size)
        if locator_at >= _EOCD64.size and locator.startswith(b"PK\x06\x07"):
            end = locator_at - _EOCD64.size
            f.seek(end)
            record = _EOCD64.unpack(_read_exactly(f, _EOCD64.size))
            if record[0] != b"PK\x06\x06":
                raise ZipError("bad zip64 end record")
            size, offset = record[8], record[9]
    if size > end:
        raise ZipError("central directory larger than the file")
    # Data prepended to the archive shifts every offset by the same amount, as zipfile allows.
    return end - size, size, end - size - offset


def _zip64_sizes(extra: bytes, length: int, compressed: int, offset: int) -> tuple[int, int, int]:
    """The real sizes and offset from a zip64 extra field, for those marked 0xFFFFFFFF."""
    at = 0
    while at + 4 <= len(extra):
        tag, data_len = struct.unpack_from("<2H", extra, at)
        if tag == 1:
            values = list(struct.unpack_from(f"<{data_len // 8}Q", extra, at + 4))
            if length == 0xFFFFFFFF and values:
                length = values.pop(0)
            if compressed == 0xFFFFFFFF and values:
                compressed = values.pop(0)
            if offset == 0xFFFFFFFF and values:
                offset = values.pop(0)
            return length, compressed, offset
        at += 4 + data_len
    raise ZipError("zip64 sizes missing")


def inflate(f: BinaryIO, entry: ZipEntry, limit: int) -> Iterator[bytes]:
    """An entry's content in chunks, stopping soon after more than `limit` bytes came out."""
    f.seek(entry.offset)
    local = _LOCAL.unpack(_read_exactly(f, _LOCAL.size))
    if local[0] != b"PK\x03\x04":
        raise ZipError("bad local header")
    f.seek(entry.offset + _LOCAL.size + local[10] + local[11])
    if entry.method not in (0, 8):
        raise ZipError(f"compression method {entry.method}")
    inflater = zlib.decompressobj(-15) if entry.method == 8 else None
    left, produced = entry.compressed, 0
    while left > 0 and produced <= limit:
        data = _read_exactly(f, min(left, _CHUNK))
        left -= len(data)
        while data and produced <= limit:
            if inflater is None:
                piece, data = data, b""
            else:
                # max_length bounds each step: a tiny input cannot hand us a huge output
                piece = inflater.decompress(data, _CHUNK)
                data = inflater.unconsumed_tail
            produced += len(piece)
            yield piece
    if inflater is not None and produced <= limit:
        yield inflater.flush()  # what zlib still holds is at most one match, never much


def _read_exactly(f: BinaryIO, n: int) -> bytes:
    """`n` bytes from `f`, or ZipError if the file ends first."""
    data = f.read(n)
    if len(data) != n:
        raise ZipError("truncated archive")
    return data
