"""The background worker: reads uploaded files in child processes and keeps the index current.

In the embedded mode one thread per web process does this, started by the first request;
scaled, ``flask library work`` runs it on its own. Files are claimed with one conditional
UPDATE, so several workers never read the same file; a claim older than CLAIM_EXPIRES (a
worker that died) is taken again, at most MAX_ATTEMPTS times.
"""

from __future__ import annotations

import logging
import threading
import time
from datetime import timedelta

from flask import Flask, current_app
from sqlalchemy import or_, select, update

from app.db import claim
from app.extensions import db
from app.library import storage
from app.library.extract import Limits, extract
from app.models import ExtractionStatus, StoredFile, utcnow
from app.search import outbox
from app.search.service import backend

log = logging.getLogger(__name__)

CLAIM_EXPIRES = timedelta(minutes=15)
MAX_ATTEMPTS = 3
IDLE_SECONDS = 5.0
ROUND_GAP = 2.0
_WAKE = threading.Event()


def wake() -> None:
    """Tell this process's worker there is something to do (a new upload, a queued change)."""
    _WAKE.set()


def limits() -> Limits:
    """The child process limits, from the configuration."""
    config = current_app.config
    return Limits(
        cpu_seconds=config.get("EXTRACT_CPU_SECONDS", 30),
        wall_seconds=config.get("EXTRACT_WALL_SECONDS", 60.0),
        memory_bytes=config.get("EXTRACT_MEMORY_BYTES", 768 * 2**20),
    )


def _claimable():
    stale = utcnow() - CLAIM_EXPIRES
    return or_(
        StoredFile.status == ExtractionStatus.QUEUED,
        (StoredFile.status == ExtractionStatus.WORKING) & (StoredFile.claimed_at < stale),
    )


def claim_next() -> StoredFile | None:
    """Take the oldest waiting file for this worker, or None."""
    for file_id in db.session.scalars(
        select(StoredFile.id).where(_claimable()).order_by(StoredFile.id).limit(5)
    ).all():
        taken = claim(
            update(StoredFile)
            .where(StoredFile.id == file_id, _claimable())
            .values(
                status=ExtractionStatus.WORKING,
                claimed_at=utcnow(),
                attempts=StoredFile.attempts + 1,
            )
        )
        db.session.commit()
        if taken:
            return db.session.get(StoredFile, file_id)
    return None


def read_file(stored: StoredFile) -> None:
    """Extract one claimed file's text in a child process and store the outcome."""
    if stored.attempts > MAX_ATTEMPTS:
        outcome_status, text, pages, reason = ExtractionStatus.FAILED, "", None, "timeout"
    else:
        outcome = extract(storage.path_of(stored.storage_name), stored.kind, limits())
        outcome_status = ExtractionStatus(outcome.status)
        text, pages, reason = outcome.text, outcome.pages, outcome.reason
    stored.status = outcome_status
    stored.text = text
    stored.text_chars = len(text)
    stored.pages = pages
    stored.reason = reason
    stored.extracted_at = utcnow()
    db.session.commit()  # the documents using this file are queued for the index (outbox)


def run_pending(limit: int | None = None) -> int:
    """Read waiting files, then bring the index up to date; the number of files read."""
    done = 0
    while limit is None or done < limit:
        stored = claim_next()
        if stored is None:
            break
        try:
            read_file(stored)
        except Exception:
            db.session.rollback()
            log.exception("reading stored file %s failed", stored.id)
        done += 1
    outbox.drain_quietly()
    return done


def round_of_work(app: Flask) -> None:
    """Read waiting files, update the index, then read what the next search would read first."""
    with app.app_context():
        run_pending()
        backend().warm()  # so no reader waits after a start or a merge


def _loop(app: Flask) -> None:
    while True:
        try:
            round_of_work(app)
        except Exception:
            log.exception("library worker round failed")
        # Rounds at most every ROUND_GAP: a busy room's messages arriving meanwhile are
        # written to the index together, in one commit, instead of competing with the
        # sends for the database and the interpreter one by one (searches drain what
        # waits first anyway, so nothing found is stale).
        time.sleep(ROUND_GAP)
        _WAKE.wait(IDLE_SECONDS)
        _WAKE.clear()


def start(app: Flask) -> None:
    """Start this process's worker thread once (embedded mode)."""
    state = app.extensions.setdefault("caravana.library_worker", {})
    with _START_LOCK:
        if state.get("thread") is None:
            thread = threading.Thread(target=_loop, args=(app,), name="library-worker", daemon=True)
            state["thread"] = thread
            thread.start()


_START_LOCK = threading.Lock()


def init_app(app: Flask) -> None:
    """Start the worker with the first request, and wake it after every commit that queued work."""
    if not app.config["LIBRARY_WORKER"]:
        return
    if wake not in outbox.WAKERS:
        outbox.WAKERS.append(wake)

    @app.before_request
    def _start_worker() -> None:
        start(app)
