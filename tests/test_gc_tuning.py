"""A warm server process keeps what it loaded out of the collector's full passes.

Full collections walked every object loaded since start (about 180,000 on the grown demo) and
paused every thread for up to 150 ms, which set every page's p95 under a crowd. After its first
requests a process collects once and freezes the survivors; garbage is collected first, so
nothing that was already unreachable is kept forever.
"""

from __future__ import annotations

import gc
import weakref

import pytest

from tests.conftest import running_app


@pytest.fixture
def unfrozen():
    """No automatic collection meanwhile; the test process's collector given back after."""
    gc.unfreeze()
    gc.disable()
    yield
    gc.enable()
    gc.unfreeze()


def test_the_process_freezes_after_the_configured_requests_and_not_before(tmp_path, unfrozen):
    with running_app(tmp_path, GC_FREEZE_AFTER=(2,)) as app:
        client = app.test_client()
        client.get("/healthz")
        assert gc.get_freeze_count() == 0
        client.get("/healthz")
        assert gc.get_freeze_count() > 0  # the app, its modules, its caches: out of later passes


def test_garbage_is_collected_before_freezing(tmp_path, unfrozen):
    class Cycle:
        pass

    garbage = Cycle()
    garbage.me = garbage  # only the collector can free it
    gone = weakref.ref(garbage)
    del garbage
    with running_app(tmp_path, GC_FREEZE_AFTER=(1,)) as app:
        app.test_client().get("/healthz")
        assert gc.get_freeze_count() > 0
        assert gone() is None  # collected, not frozen for ever


def test_the_test_suite_never_freezes(app, client, unfrozen):
    for _ in range(3):
        client.get("/healthz")
    assert gc.get_freeze_count() == 0
