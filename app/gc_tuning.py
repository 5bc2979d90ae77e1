"""Short garbage-collector pauses on a long-running server: collect and freeze once warm.

Everything a process loads while it warms up (modules, SQLAlchemy's mappings and compiled
statements, Jinja's compiled templates, Babel's locale data, cached zones and feeds) lives as
long as the process. CPython's full collections walk every tracked object each time and stop
every thread meanwhile: on the grown demo that is about 180,000 objects and pauses of up to
150 ms, which set every page's p95 under a crowd (bench/pages.py). After its first requests
the process collects once and freezes what is left (``gc.freeze``), so later full passes walk
only what came after: pauses of a few milliseconds.
"""

from __future__ import annotations

import gc
import threading

from flask import Flask


class _Warmup:
    """Counts a process's requests and settles the collector after the configured ones."""

    def __init__(self, after: tuple[int, ...]) -> None:
        """Settle after each number of requests in `after`."""
        self.after = set(after)
        self.seen = 0
        self.lock = threading.Lock()

    def request_done(self, *_: object) -> None:
        """Count one request; settle the collector when a configured number is reached."""
        with self.lock:
            self.seen += 1
            due = self.seen in self.after
        if due:
            settle()


def settle() -> None:
    """Collect what is garbage now, then keep everything still alive out of later passes.

    Collected first: a cycle frozen while garbage would never be freed.
    """
    gc.collect()
    gc.freeze()


def init_app(app: Flask) -> None:
    """Settle the collector after the requests listed in GC_FREEZE_AFTER (none in tests)."""
    after = tuple(app.config["GC_FREEZE_AFTER"])
    if after:
        app.teardown_request(_Warmup(after).request_done)
