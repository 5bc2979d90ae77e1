"""An uploaded file's text, read with bounded memory and time whatever the file holds.

Anyone with an account can upload, so every file is treated as hostile. Zip based formats
(DOCX, ODT) are checked here first from their central directory (how many entries, how big
unpacked, how tightly packed) and then inflated in small chunks to prove each entry is no
bigger than declared: a zip bomb is turned away before any parser sees it and before this
process holds more than a chunk of it. The parsing itself happens in a child process
(extract_child.py) that caps its own address space, CPU time and output, and the parent
waits for it with a wall clock timeout and reads back a bounded amount.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import tempfile
import zlib
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import BinaryIO

from app.library.extract_child import normalise
from app.library.sniff import ZipEntry, ZipError, inflate, zip_entries

REASONS = (
    "too_big_unpacked",
    "too_many_entries",
    "packed_too_tightly",
    "timeout",
    "memory",
    "damaged",
    "encrypted",
    "not_supported",
)
STATUSES = ("indexed", "empty", "scanned", "failed")
CHILD = Path(__file__).with_name("extract_child.py")
# Entries smaller than this are not judged by their ratio: a few kilobytes of padding in a
# styles part packs far tighter than 200:1 and can harm no one.
RATIO_FLOOR = 2**20
_STDERR_KEPT = 64 * 1024


@dataclass(frozen=True)
class Limits:
    """How much a single file may cost to read."""

    cpu_seconds: int = 30  # RLIMIT_CPU of the child
    wall_seconds: float = 60.0  # subprocess timeout
    memory_bytes: int = 768 * 2**20  # RLIMIT_AS of the child
    max_chars: int = 2_000_000  # text kept (longer text is cut, not an error)
    zip_total_bytes: int = 300 * 2**20  # sum of uncompressed sizes of all entries
    zip_ratio: int = 200  # max uncompressed/compressed for any entry (and overall)
    zip_entries: int = 5_000
    max_pages: int = 5_000  # PDF pages read

    @property
    def output_bytes(self) -> int:
        """The most the child may write: the text as UTF-8 in JSON, and some room."""
        return self.max_chars * 4 + 2**20


@dataclass(frozen=True)
class Outcome:
    """What reading a file gave: its text, or why there is none."""

    status: str  # one of STATUSES
    text: str = ""
    pages: int | None = None
    reason: str | None = None  # when failed: one of REASONS


def extract(path: Path, kind: str, limits: Limits = Limits()) -> Outcome:
    """The text of the file at `path`, of the kind sniff() found, read within `limits`."""
    if kind not in ("pdf", "docx", "odt", "md", "txt"):
        return Outcome("failed", reason="not_supported")
    if kind in ("docx", "odt") and (reason := check_zip(path, limits)):
        return Outcome("failed", reason=reason)
    return _run_child(path, kind, limits)


def check_zip(path: Path, limits: Limits) -> str | None:
    """Why the zip archive at `path` must not be opened (one of REASONS), or None if fine."""
    try:
        with open(path, "rb") as f:
            entries: list[ZipEntry] = []
            for entry in zip_entries(f):
                entries.append(entry)
                if len(entries) > limits.zip_entries:
                    return "too_many_entries"
            if reason := _declared_sizes(entries, limits):
                return reason
            for entry in entries:
                if reason := _check_entry(f, entry):
                    return reason
    except (ZipError, zlib.error):
        return "damaged"
    return None


def _declared_sizes(entries: list[ZipEntry], limits: Limits) -> str | None:
    """Why the sizes the central directory declares are unacceptable, or None."""
    unpacked = sum(entry.size for entry in entries)
    if unpacked > limits.zip_total_bytes:
        return "too_big_unpacked"
    packed = sum(entry.compressed for entry in entries)
    sizes = [(entry.size, entry.compressed) for entry in entries] + [(unpacked, packed)]
    if any(size > RATIO_FLOOR and size > limits.zip_ratio * max(1, c) for size, c in sizes):
        return "packed_too_tightly"
    return None


def _check_entry(f: BinaryIO, entry: ZipEntry) -> str | None:
    """Why one entry cannot be trusted (encrypted, odd method, not its declared size)."""
    if entry.flags & 0x1:
        return "encrypted"
    if entry.method not in (0, 8):
        return "not_supported"
    # Inflate at most one byte more than declared: a lying header is caught, not obeyed.
    produced = sum(len(piece) for piece in inflate(f, entry, entry.size))
    return None if produced == entry.size else "damaged"


def _run_child(path: Path, kind: str, limits: Limits) -> Outcome:
    """Run the parser child on the file and read its outcome, bounded in size."""
    arguments = json.dumps({**asdict(limits), "output_bytes": limits.output_bytes})
    command = [sys.executable, "-I", "-B", str(CHILD), kind, str(Path(path).resolve()), arguments]
    # Files rather than pipes: the child's RLIMIT_FSIZE caps what it can write into them,
    # where capture_output would hold whatever it printed in our memory.
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        try:
            finished = subprocess.run(  # noqa: S603 (our own script, no shell)
                command,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=err,
                timeout=limits.wall_seconds,
                env={"LC_ALL": "C.UTF-8", "PATH": "/usr/bin:/bin"},
                cwd=CHILD.parent,
                close_fds=True,
                check=False,
            )
        except subprocess.TimeoutExpired:  # run() has killed the child and waited for it
            return Outcome("failed", reason="timeout")
        # (RLIMIT_FSIZE already stops the child at output_bytes; this only double-checks)
        written = out.seek(0, 2)
        out.seek(0)
        result = out.read() if written <= limits.output_bytes else b"{}"
        err.seek(0)
        errors = err.read(_STDERR_KEPT)
    return _outcome(finished.returncode, result, errors, limits)


def _outcome(returncode: int, result: bytes, errors: bytes, limits: Limits) -> Outcome:
    """The child's outcome from its JSON, or from how it died."""
    if returncode in (-signal.SIGXCPU, -signal.SIGKILL):
        return Outcome("failed", reason="timeout")  # CPU limit: soft, then hard
    if returncode != 0 or len(result) > limits.output_bytes:
        memory = b"MemoryError" in errors or b"Cannot allocate memory" in errors
        return Outcome("failed", reason="memory" if memory else "damaged")
    try:
        data = json.loads(result)
        status, reason = data["status"], data.get("reason")
        text, pages = data.get("text", ""), data.get("pages")
    except (ValueError, KeyError, TypeError, AttributeError):
        return Outcome("failed", reason="damaged")
    if status not in STATUSES or (status == "failed" and reason not in REASONS):
        return Outcome("failed", reason="damaged")
    if status == "failed":
        return Outcome("failed", reason=reason)
    text = normalise(str(text)[: limits.max_chars]).rstrip()
    pages = pages if isinstance(pages, int) else None
    if status == "indexed" and not text:
        status = "empty"
    return Outcome(status, text=text if status == "indexed" else "", pages=pages)
