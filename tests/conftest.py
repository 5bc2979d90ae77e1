"""Fixtures: app -> db -> client, signed-in clients, and a small world of roles."""

from __future__ import annotations

import os
import re
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from flask import has_app_context
from flask.testing import FlaskClient
from flask_socketio.test_client import SocketIOTestClient

from app import create_app
from app.config import TestConfig
from app.extensions import db as _db
from app.models import Organisation, OrgStatus, Role, User
from tests import factories

ROOT = Path(__file__).resolve().parent.parent
XSS_CORPUS = ROOT.parent / "shared" / "data" / "xss" / "xss-payload-list.txt"


class FreshContextClient(FlaskClient):
    """A test client whose every request runs in its own app context, as in production.

    The test body keeps an app context open for the database; without this, Flask would
    reuse it for requests and Flask-Login's per-context user cache (g._login_user) would
    leak from one request, or one person, to the next.
    """

    def open(self, *args, **kwargs):
        with self.application.app_context():
            response = super().open(*args, **kwargs)
        if has_app_context():  # (requests sent from a test's own threads have none)
            _db.session.expire_all()  # the test's own session sees what the request committed
        return response


class FreshContextSocketClient(SocketIOTestClient):
    """A Socket.IO test client whose every event runs in its own app context."""

    def connect(self, *args, **kwargs):
        with self.app.app_context():
            result = super().connect(*args, **kwargs)
        _db.session.expire_all()
        return result

    def disconnect(self, *args, **kwargs):
        with self.app.app_context():
            result = super().disconnect(*args, **kwargs)
        _db.session.expire_all()
        return result

    def emit(self, *args, **kwargs):
        with self.app.app_context():
            result = super().emit(*args, **kwargs)
        if has_app_context():  # (events sent from a test's own threads have none)
            _db.session.expire_all()
        return result


def socket_client(app, http_client, **kwargs) -> FreshContextSocketClient:
    """A live connection made with the cookies of http_client (its signed-in person)."""
    from app.extensions import socketio

    return FreshContextSocketClient(app, socketio, flask_test_client=http_client, **kwargs)


def channels_of(sock: SocketIOTestClient) -> set[str]:
    """The Socket.IO channels (rooms) a test connection is in on the server now."""
    from app.extensions import socketio

    manager = socketio.server.manager
    sid = manager.sid_from_eio_sid(sock.eio_sid, "/")
    return set(manager.get_rooms(sid, "/")) - {sid} if sid else set()


@pytest.fixture(scope="session", autouse=True)
def compiled_catalogues():
    """Compile the .po catalogues when their .mo files are missing or older (as make does)."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    for po in (ROOT / "app" / "translations").glob("*/LC_MESSAGES/messages.po"):
        mo = po.with_suffix(".mo")
        if not mo.exists() or mo.stat().st_mtime < po.stat().st_mtime:
            with po.open("rb") as source, mo.open("wb") as target:
                write_mo(target, read_po(source))


@contextmanager
def running_app(tmp_path: Path, **overrides):
    """An application with its own empty database, inside an app context, torn down after."""
    app = create_app(
        TestConfig,
        SEARCH_INDEX_DIR=str(tmp_path / "index"),
        UPLOAD_DIR=str(tmp_path / "uploads"),
        MAIL_SPOOL_DIR=str(tmp_path / "mail"),
        **overrides,
    )
    app.test_client_class = FreshContextClient
    from app.collab import store

    store.forget()  # live copies of shared documents belong to the previous database
    with app.app_context():
        _db.create_all()
        yield app
        _db.session.remove()
        _db.drop_all()
        # Each app has its own connection pool: close it, or a database server runs out of
        # connection slots over a few hundred tests.
        for engine in _db.engines.values():
            engine.dispose()


@contextmanager
def app_on_a_file(tmp_path: Path):
    """An application whose threads each have their own connection, as on the real server.

    The in-memory database is one connection shared by every thread: one thread's rollback
    at the end of a request could undo another's half-written work.
    """
    url = os.environ.get("TEST_DATABASE_URL") or f"sqlite:///{tmp_path / 'site.sqlite3'}"
    with running_app(tmp_path, SQLALCHEMY_DATABASE_URI=url) as app:
        yield app


@pytest.fixture
def app(tmp_path):
    """A fresh application with an empty in-memory database."""
    with running_app(tmp_path) as app:
        yield app


@pytest.fixture
def db(app):
    return _db


@pytest.fixture
def client(app):
    return app.test_client()


def sign_in(client, user: User) -> None:
    """Open a server-side session for user and put its key in the client's cookie (as the
    sign-in form and Flask-Login would)."""
    from app.auth.sessions import open_session

    key = open_session(user)
    with client.session_transaction() as session:
        session["_user_id"] = key
        session["_fresh"] = True


def login_with_form(client, email: str, password: str = factories.PASSWORD, headers=None, **extra):
    """Sign in through the real form, the way a person does."""
    return client.post(
        "/account/login", data={"email": email, "password": password, **extra}, headers=headers
    )


def csrf_token_from(html: str) -> str:
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html) or re.search(
        r'name="csrf_token" value="([^"]+)"', html
    )
    assert match, "page has no CSRF token"
    return match.group(1)


@dataclass
class World:
    """One approved organisation with a coordinator and a member; an outsider; an admin;
    a pending organisation asked for by its own requester."""

    org: Organisation
    pending: Organisation
    coordinator: User
    member: User
    outsider: User
    admin: User
    requester: User

    def user(self, role: str) -> User | None:
        return None if role == "anonymous" else getattr(self, role)


@pytest.fixture
def world(db) -> World:
    coordinator = factories.make_user("Rosa Coordinator")
    member = factories.make_user("Ana Member")
    outsider = factories.make_user("Paula Outsider")
    admin = factories.make_user("Zoe Admin", is_admin=True)
    requester = factories.make_user("Nora Requester")
    org = factories.make_org("Comité de Familias", requested_by=coordinator)
    factories.add_member(org, coordinator, Role.COORDINATOR)
    factories.add_member(org, member, Role.MEMBER)
    pending = factories.make_org(
        "Pending Network", status=OrgStatus.PENDING, requested_by=requester, country="NI"
    )
    return World(
        org=org,
        pending=pending,
        coordinator=coordinator,
        member=member,
        outsider=outsider,
        admin=admin,
        requester=requester,
    )


@pytest.fixture
def xss_payloads() -> list[str]:
    if not XSS_CORPUS.exists():
        pytest.skip(f"XSS corpus not found at {XSS_CORPUS}")
    return [line for line in XSS_CORPUS.read_text(errors="replace").splitlines() if line]
