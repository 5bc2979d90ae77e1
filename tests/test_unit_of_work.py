"""The unit of work: nested services commit once, side effects wait for the commit, and a
failure anywhere keeps nothing and announces nothing."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from app.db import InnerBlockFailed, atomic, on_commit
from app.errors import ServiceError
from app.extensions import db
from app.models import AuditEntry, Organisation
from app.orgs import services as orgs
from tests.factories import make_org


def _orgs() -> int:
    return db.session.scalar(select(func.count()).select_from(Organisation))


def test_only_the_outermost_block_commits(app):
    """Two services inside one block are saved together, after the block."""
    done = []
    with atomic():
        db.session.add(Organisation(slug="a", name="A", country="HN"))
        with atomic():
            db.session.add(Organisation(slug="b", name="B", country="HN"))
            on_commit(lambda: done.append(_orgs()))
        assert done == []  # the inner block did not commit
    assert done == [2]
    db.session.rollback()  # nothing left unsaved: both are really in the database
    assert _orgs() == 2


def test_an_error_keeps_nothing_and_announces_nothing(app):
    """A failure in the outer block drops the inner block's work and its side effects."""
    done = []
    with pytest.raises(ServiceError), atomic():
        with atomic():
            db.session.add(Organisation(slug="a", name="A", country="HN"))
            on_commit(lambda: done.append("told"))
        raise ServiceError("nope", "Nope")
    assert _orgs() == 0 and done == []


def test_a_swallowed_inner_error_still_rolls_everything_back(app):
    """An inner failure caught by the caller must not let half the work be saved."""
    with pytest.raises(InnerBlockFailed), atomic():
        db.session.add(Organisation(slug="a", name="A", country="HN"))
        try:
            with atomic():
                raise ServiceError("inner", "Inner failure")
        except ServiceError:
            pass
    assert _orgs() == 0


def test_a_service_cannot_commit_inside_a_unit_of_work(app):
    """A stray commit inside a block is refused, so composing services stays all-or-nothing."""
    with pytest.raises(RuntimeError, match="inside atomic"), atomic():
        db.session.add(Organisation(slug="a", name="A", country="HN"))
        db.session.commit()
    assert _orgs() == 0


def test_on_commit_needs_a_unit_of_work(app):
    """Side effects cannot be queued outside a block (they would never run, or run early)."""
    with pytest.raises(RuntimeError):
        on_commit(lambda: None)


def test_a_failing_side_effect_does_not_undo_the_change(app, caplog):
    """The change is stored even if announcing it fails; later side effects still run."""
    done = []
    with atomic():
        db.session.add(Organisation(slug="a", name="A", country="HN"))
        on_commit(lambda: 1 / 0)
        on_commit(lambda: done.append("second"))
    assert _orgs() == 1 and done == ["second"]
    assert "after-commit work failed" in caplog.text


def test_services_compose_into_one_transaction(app, world):
    """Two real services in one block: an audit entry and a profile change are saved
    together, or (when the second fails) not at all."""
    other = make_org("Otra")
    profile = orgs.OrgProfile("Nuevo nombre", "HN", "", ["es"], "", "", "")
    entries = db.session.scalar(select(func.count()).select_from(AuditEntry))
    with app.test_request_context(), pytest.raises(ServiceError), atomic():
        orgs.edit_organisation(world.coordinator, other, profile)
        orgs.leave(world.coordinator, world.org)  # the only coordinator may not leave
    db.session.expire_all()
    assert db.session.get(Organisation, other.id).name == "Otra"
    assert db.session.scalar(select(func.count()).select_from(AuditEntry)) == entries
