"""Flask extensions, created unbound and attached in create_app()."""

import sqlite3
from typing import Any

from flask_babel import Babel
from flask_compress import Compress
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager, current_user
from flask_migrate import Migrate
from flask_socketio import SocketIO
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from sqlalchemy import event
from sqlalchemy.engine import Engine

from app.models.base import Base

# Models subclass app.models.base.Base directly; Flask-SQLAlchemy shares its metadata.
db = SQLAlchemy(metadata=Base.metadata)
migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
babel = Babel()
socketio = SocketIO()
# Slow, metered phones: pages, CSS and scripts travel compressed.
compress = Compress()


def user_or_address() -> str:
    """Rate-limit key: the account when signed in, else the network address.

    Many people share one address behind a mobile carrier or a community centre.
    """
    if current_user and current_user.is_authenticated:
        return f"user:{current_user.id}"
    return get_remote_address()


limiter = Limiter(key_func=user_or_address)

SQLITE_BUSY_TIMEOUT_MS = 10_000


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(connection: Any, _record: Any) -> None:
    """On SQLite: the write-ahead log and a busy timeout.

    With the write-ahead log readers never block the writer nor the writer them, so only
    writes queue, each for the length of one short transaction; a writer waits up to the
    busy timeout for its turn instead of failing with "database is locked". Commits stay
    fully synced (a message acknowledged is on disk).
    """
    if not isinstance(connection, sqlite3.Connection):
        return
    cursor = connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.close()
