"""Rate limits hit from code (not per route), which degrade to memory when the store is down.

The counters live where Flask-Limiter keeps its own (Redis when scaled, so every process
shares them). When that store is unreachable the limit is counted in this process's memory
for a while, with a logged warning, instead of failing the action it guards (a message
posted, a room joined); then the store is tried again.
"""

from __future__ import annotations

import logging
import threading
import time

from limits import RateLimitItem
from limits.storage import MemoryStorage
from limits.strategies import FixedWindowRateLimiter

from app.extensions import limiter

log = logging.getLogger(__name__)
RETRY_STORE_AFTER = 30.0  # seconds counted in memory before the shared store is tried again


class _Fallback:
    """The in-memory counters used while the shared store is down (one set per store)."""

    def __init__(self, store: object) -> None:
        self.store = store  # the shared store these counters stand in for
        self.limiter = FixedWindowRateLimiter(MemoryStorage())
        self.until = 0.0  # monotonic time until which the store counts as down


_fallback: _Fallback | None = None
_lock = threading.Lock()


def _fallback_for(store: object) -> _Fallback:
    global _fallback  # one per process, replaced when the store changes (a new app)
    with _lock:
        if _fallback is None or _fallback.store is not store:
            _fallback = _Fallback(store)
        return _fallback


def hit(item: RateLimitItem, *identifiers: str) -> bool:
    """Count one action against a limit; False when the limit is already reached."""
    if not limiter.enabled:
        return True
    fallback = _fallback_for(limiter.storage)
    if time.monotonic() >= fallback.until:
        try:
            return limiter.limiter.hit(item, *identifiers)
        except Exception as error:  # noqa: BLE001 - whatever the store's client raises
            log.warning(
                "rate limit store unreachable (%s): counting in this process's memory", error
            )
            fallback.until = time.monotonic() + RETRY_STORE_AFTER
    return fallback.limiter.hit(item, *identifiers)
