"""Static files under addresses that change with their content, cached for a year.

A slow phone on a poor network should not ask again for the style sheet and scripts on every
page. Every ``url_for("static", ...)`` gets ``?v=<hash of the file's bytes>``; an answer to
exactly that address is marked ``immutable`` for a year, since a changed file gets a new
address. Without the current hash (an old page, a typed address) the usual short revalidation
applies, so nobody keeps a stale file.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from flask import Flask, Response, request

YEAR = 365 * 24 * 3600
VERSION_ARG = "v"


class Fingerprints:
    """The content hash of each static file, read once per process and file."""

    def __init__(self, folder: str) -> None:
        """Hashes of files under folder."""
        self.folder = Path(folder).resolve()
        self.known: dict[str, str | None] = {}

    def of(self, filename: str) -> str | None:
        """The first 12 hex digits of the file's SHA-256, or None when there is no such file."""
        if filename not in self.known:
            path = (self.folder / filename).resolve()
            inside = path.is_relative_to(self.folder) and path.is_file()
            self.known[filename] = (
                hashlib.sha256(path.read_bytes()).hexdigest()[:12] if inside else None
            )
        return self.known[filename]


def init_app(app: Flask) -> None:
    """Version static addresses by content and cache exact versions for a year."""
    prints = Fingerprints(app.static_folder or "static")

    @app.url_defaults
    def add_version(endpoint: str, values: dict) -> None:
        if endpoint != "static" or VERSION_ARG in values:
            return
        if (version := prints.of(values.get("filename", ""))) is not None:
            values[VERSION_ARG] = version

    @app.after_request
    def cache_versioned(response: Response) -> Response:
        if request.endpoint != "static" or response.status_code != 200:
            return response
        filename = (request.view_args or {}).get("filename", "")
        version = request.args.get(VERSION_ARG)
        if version is not None and version == prints.of(filename):
            response.cache_control.max_age = YEAR
            response.cache_control.public = True
            response.cache_control.immutable = True
            response.cache_control.no_cache = None
        return response
