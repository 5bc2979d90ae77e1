"""Uploaded files on disk: streamed in with a size cap and a SHA-256, kept under random names."""

from __future__ import annotations

import hashlib
import os
import secrets
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from flask import current_app

CHUNK = 1024 * 1024


class TooBig(ValueError):
    """The file is larger than the library accepts."""


@dataclass(frozen=True)
class Received:
    """An upload written to a temporary file, with its digest and size."""

    path: Path
    sha256: str
    size: int


def upload_dir() -> Path:
    """Where stored files live (instance/uploads by default)."""
    path = Path(current_app.config["UPLOAD_DIR"])
    path.mkdir(parents=True, exist_ok=True)
    return path


def max_size() -> int:
    """The largest file the library accepts, in bytes (LIBRARY_MAX_UPLOAD, 25 MB by default)."""
    return int(current_app.config["LIBRARY_MAX_UPLOAD"])


def receive(stream: IO[bytes]) -> Received:
    """Copy an upload to a temporary file beside the store, hashing it; refuse it past the cap."""
    limit = max_size()
    digest = hashlib.sha256()
    size = 0
    with tempfile.NamedTemporaryFile(dir=upload_dir(), prefix=".part-", delete=False) as handle:
        try:
            while chunk := stream.read(CHUNK):
                size += len(chunk)
                if size > limit:
                    raise TooBig(limit)
                digest.update(chunk)
                handle.write(chunk)
        except BaseException:
            os.unlink(handle.name)
            raise
    return Received(Path(handle.name), digest.hexdigest(), size)


def keep(received: Received) -> str:
    """Move a received file into the store under a new random name; that name."""
    name = secrets.token_hex(20)
    target = path_of(name)
    target.parent.mkdir(parents=True, exist_ok=True)
    os.replace(received.path, target)
    return name


def discard(received: Received) -> None:
    """Remove a received file that is not kept (a duplicate, a refused type)."""
    received.path.unlink(missing_ok=True)


def path_of(storage_name: str) -> Path:
    """The path of a stored file: two-letter folders keep any one folder small."""
    if len(storage_name) != 40 or not all(c in "0123456789abcdef" for c in storage_name):
        raise ValueError("not a storage name")  # never a path from outside
    return upload_dir() / storage_name[:2] / storage_name
