"""The Yjs wire formats the server reads: y-protocols messages and v1 document updates.

Nothing here trusts its input. pycrdt applies whatever bytes it is given: a Yjs *v2* update
is taken silently as an empty change, garbage may be half-applied. So every update is walked
here first, field by field, in the v1 layout of Yjs (lib0 encoding: ``updates.js``,
``UpdateDecoderV1``), within hard limits, and accepted only if the walk consumes exactly all
of its bytes. (A document's length is measured after a change is applied, services.py.)

Message framing (y-protocols ``sync.js`` and ``awareness.js``): a varuint message type (0 sync,
1 awareness, 3 query awareness), then for sync a varuint step (0 step 1 with a state vector,
1 step 2 with an update, 2 update) and a var-length byte string.
"""

from __future__ import annotations

from dataclasses import dataclass

MESSAGE_SYNC = 0
MESSAGE_AWARENESS = 1
MESSAGE_QUERY_AWARENESS = 3
SYNC_STEP1 = 0
SYNC_STEP2 = 1
SYNC_UPDATE = 2

MAX_STRUCTS = 100_000  # structs in one update (a paste of a long text is one struct per run)
MAX_CLIENTS = 10_000  # client ids in one update or delete set
MAX_ANY_DEPTH = 16  # nesting of JSON-like values (embeds, formatting attributes)
# Content kinds of an Item (Yjs ``contentRefs``): 0 GC and 10 Skip are not Items.
_GC, _DELETED, _JSON, _BINARY, _STRING, _EMBED, _FORMAT, _TYPE, _ANY, _DOC, _SKIP = range(11)
_XML_ELEMENT, _XML_HOOK = 3, 5  # type references that carry a name


class ProtocolError(ValueError):
    """Bytes that are not a well-formed message or v1 update (refused, never applied)."""


@dataclass(frozen=True)
class Message:
    """One y-protocols message: its type, its sync step (sync only) and its payload."""

    kind: int
    step: int | None
    payload: bytes


@dataclass(frozen=True)
class UpdateInfo:
    """What a valid v1 update holds: how many structs and deleted ranges."""

    structs: int
    deletions: int


class _Reader:
    """A cursor over bytes with lib0's primitive decoders; every read is bounds-checked."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.at = 0

    def done(self) -> bool:
        return self.at == len(self.data)

    def byte(self) -> int:
        if self.at >= len(self.data):
            raise ProtocolError("unexpected end")
        value = self.data[self.at]
        self.at += 1
        return value

    def varuint(self) -> int:
        """lib0 readVarUint: 7 bits per byte, low first, at most 53 bits."""
        value, shift = 0, 0
        while True:
            byte = self.byte()
            value |= (byte & 0x7F) << shift
            if byte < 0x80:
                return value
            shift += 7
            if shift > 53:
                raise ProtocolError("number too long")

    def varint(self) -> int:
        """lib0 readVarInt: sign in bit 6 of the first byte, then 7 bits per byte."""
        byte = self.byte()
        value, negative, shift = byte & 0x3F, bool(byte & 0x40), 6
        while byte & 0x80:
            byte = self.byte()
            value |= (byte & 0x7F) << shift
            shift += 7
            if shift > 60:
                raise ProtocolError("number too long")
        return -value if negative else value

    def raw(self, size: int) -> bytes:
        if size > len(self.data) - self.at:
            raise ProtocolError("length beyond the end")
        chunk = self.data[self.at : self.at + size]
        self.at += size
        return chunk

    def bytes(self) -> bytes:
        return self.raw(self.varuint())

    def string(self) -> str:
        try:
            return self.bytes().decode("utf-8")
        except UnicodeDecodeError as error:
            raise ProtocolError("not UTF-8") from error

    def count(self, limit: int) -> int:
        """A count read from the data, refused above limit or above the bytes left."""
        value = self.varuint()
        if value > limit or value > len(self.data) - self.at + 1:
            raise ProtocolError("count too large")
        return value


def read_message(data: bytes) -> Message:
    """One y-protocols message (sync step 1 or 2, update, awareness or query awareness)."""
    reader = _Reader(data)
    kind = reader.varuint()
    if kind == MESSAGE_SYNC:
        step = reader.varuint()
        if step not in (SYNC_STEP1, SYNC_STEP2, SYNC_UPDATE):
            raise ProtocolError("unknown sync step")
        payload = reader.bytes()
    elif kind == MESSAGE_AWARENESS:
        step, payload = None, reader.bytes()
    elif kind == MESSAGE_QUERY_AWARENESS:
        step, payload = None, b""
    else:
        raise ProtocolError("unknown message type")
    if not reader.done():
        raise ProtocolError("bytes after the message")
    return Message(kind, step, payload)


def _varuint(value: int) -> bytes:
    out = bytearray()
    while value > 0x7F:
        out.append(0x80 | (value & 0x7F))
        value >>= 7
    out.append(value)
    return bytes(out)


def sync_message(step: int, payload: bytes) -> bytes:
    """A sync message (step 1 with a state vector, step 2 or update with an update)."""
    return _varuint(MESSAGE_SYNC) + _varuint(step) + _varuint(len(payload)) + payload


def awareness_message(payload: bytes) -> bytes:
    """An awareness message around an encoded awareness update."""
    return _varuint(MESSAGE_AWARENESS) + _varuint(len(payload)) + payload


def query_awareness_message() -> bytes:
    """Asks every client to announce its awareness state again (sent when someone joins)."""
    return _varuint(MESSAGE_QUERY_AWARENESS)


def awareness_clients(payload: bytes) -> dict[int, int]:
    """The client ids and clocks an awareness update announces.

    The layout (y-protocols awareness.js): a count, then per client its id, its clock and its
    state as a JSON string.
    """
    reader = _Reader(payload)
    found: dict[int, int] = {}
    for _ in range(reader.count(MAX_CLIENTS)):
        client, clock = reader.varuint(), reader.varuint()
        reader.string()
        found[client] = clock
    if not reader.done():
        raise ProtocolError("bytes after the awareness update")
    return found


def awareness_gone(clients: dict[int, int]) -> bytes:
    """An awareness message saying these clients are gone (state null, clock one higher)."""
    body = _varuint(len(clients))
    for client, clock in clients.items():
        body += _varuint(client) + _varuint(clock + 1) + _varuint(4) + b"null"
    return awareness_message(body)


def check_state_vector(data: bytes) -> None:
    """A v1 state vector: a count, then (client, clock) pairs, nothing after."""
    reader = _Reader(data)
    for _ in range(reader.count(MAX_CLIENTS)):
        reader.varuint()
        reader.varuint()
    if not reader.done():
        raise ProtocolError("bytes after the state vector")


def check_update(data: bytes) -> UpdateInfo:
    """Walk a v1 update to its last byte; raise ProtocolError unless it is exactly that."""
    structs, deleted = _walk_update(data)
    return UpdateInfo(structs, len(deleted))


def deleted_ranges(data: bytes) -> list[tuple[int, int, int]]:
    """The (client, clock, length) ranges a v1 update deletes."""
    return _walk_update(data)[1]


def deletion_update(client: int, clock: int, length: int = 1) -> bytes:
    """A v1 update that only deletes `length` items of one client from `clock` on."""
    ranges = _varuint(1) + _varuint(clock) + _varuint(length)
    return _varuint(0) + _varuint(1) + _varuint(client) + ranges


def relative_position(client: int, clock: int) -> bytes:
    """A Yjs relative position on the item (client, clock), as Y.encodeRelativePosition has it.

    The layout: 0 (an item), its id, then assoc 0 (stay with the item on the right).
    """
    return _varuint(0) + _varuint(client) + _varuint(clock) + _varuint(0)


def position_item(data: bytes) -> tuple[int, int] | None:
    """The item (client, clock) a Yjs relative position names; None for the end of a type."""
    reader = _Reader(data)
    kind = reader.varuint()
    if kind == 0:
        item = reader.varuint(), reader.varuint()
    elif kind == 1:
        reader.string()  # a root type by name: its end
        item = None
    else:
        raise ProtocolError("not a position in a root text")
    if not reader.done():
        reader.varint()  # assoc (older encoders leave it out)
    if not reader.done():
        raise ProtocolError("bytes after the position")
    return item


def _walk_update(data: bytes) -> tuple[int, list[tuple[int, int, int]]]:
    """How many structs a v1 update holds and the ranges it deletes (bounds-checked)."""
    reader = _Reader(data)
    structs = 0
    for _ in range(reader.count(MAX_CLIENTS)):
        count = reader.count(MAX_STRUCTS)
        structs += count
        if structs > MAX_STRUCTS:
            raise ProtocolError("too many structs")
        reader.varuint()  # client
        reader.varuint()  # clock of the first struct
        for _ in range(count):
            _struct(reader)
    deleted: list[tuple[int, int, int]] = []
    for _ in range(reader.count(MAX_CLIENTS)):
        client = reader.varuint()
        ranges = reader.count(MAX_STRUCTS)
        if len(deleted) + ranges > MAX_STRUCTS:
            raise ProtocolError("too many deleted ranges")
        for _ in range(ranges):
            deleted.append((client, reader.varuint(), reader.varuint()))  # clock, length
    if not reader.done():
        raise ProtocolError("bytes after the update")
    return structs, deleted


def _struct(reader: _Reader) -> None:
    """One struct (GC, Skip or Item)."""
    info = reader.byte()
    ref = info & 0x1F
    if ref in (_GC, _SKIP):
        reader.varuint()  # length
        return
    has_origin, has_right = bool(info & 0x80), bool(info & 0x40)
    if has_origin:
        reader.varuint()
        reader.varuint()
    if has_right:
        reader.varuint()
        reader.varuint()
    if not has_origin and not has_right:  # the parent is written out
        if reader.varuint() == 1:
            reader.string()  # a root type's name
        else:
            reader.varuint()  # the parent item's id
            reader.varuint()
        if info & 0x20:
            reader.string()  # the key in a parent map
    _content(reader, ref)


def _repeat(reader: _Reader, read) -> None:
    """A count, then that many values read by read(reader)."""
    for _ in range(reader.count(MAX_STRUCTS)):
        read(reader)


def _type_ref(reader: _Reader) -> None:
    if reader.varuint() in (_XML_ELEMENT, _XML_HOOK):
        reader.string()  # the element's or hook's name


_CONTENT = {  # Yjs readContent*: how to step over each kind of content
    _DELETED: _Reader.varuint,
    _JSON: lambda reader: _repeat(reader, _Reader.string),
    _BINARY: _Reader.bytes,
    _STRING: _Reader.string,
    _EMBED: _Reader.string,
    _FORMAT: lambda reader: (reader.string(), reader.string()),
    _TYPE: _type_ref,
    _ANY: lambda reader: _repeat(reader, lambda r: _any(r, 0)),
    _DOC: lambda reader: (reader.string(), _any(reader, 0)),
}


def _content(reader: _Reader, ref: int) -> None:
    """An Item's content."""
    read = _CONTENT.get(ref)
    if read is None:
        raise ProtocolError("unknown content")
    read(reader)


_FIXED = {127: 0, 126: 0, 121: 0, 120: 0, 124: 4, 123: 8, 122: 8}  # no value, float, bigint


def _any(reader: _Reader, depth: int) -> None:
    """lib0 readAny, bounded in depth."""
    if depth > MAX_ANY_DEPTH:
        raise ProtocolError("value nested too deep")
    tag = reader.byte()
    if tag in _FIXED:
        reader.raw(_FIXED[tag])
    elif tag == 125:
        reader.varint()
    elif tag == 119:
        reader.string()
    elif tag == 118:  # an object: key, value pairs
        _repeat(reader, lambda r: (r.string(), _any(r, depth + 1)))
    elif tag == 117:  # an array
        _repeat(reader, lambda r: _any(r, depth + 1))
    elif tag == 116:
        reader.bytes()
    else:
        raise ProtocolError("unknown value type")
