"""Configuration read from environment variables, with embedded defaults under instance/."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
INSTANCE = Path(os.environ.get("CARAVANA_INSTANCE_DIR", ROOT / "instance"))

LANGUAGES = ("en", "es", "fr", "ar", "it")
RTL_LANGUAGES = frozenset({"ar"})


def _bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _list(name: str) -> list[str]:
    return [part.strip() for part in os.environ.get(name, "").split(",") if part.strip()]


def _engine_options(url: str) -> dict:
    """Connection pool settings for a database address.

    A local SQLite file has no connection to lose: no ping before each use. The pool holds
    the socket events running at once (SOCKET_EVENTS_AT_ONCE) plus pages, connections and
    the heartbeat; a thread that finds none free waits DATABASE_POOL_TIMEOUT seconds. An
    in-memory SQLite database keeps Flask-SQLAlchemy's single shared connection.
    """
    if url in ("sqlite://", "sqlite:///:memory:"):
        return {}
    return {
        "pool_pre_ping": not url.startswith("sqlite"),
        "pool_size": int(os.environ.get("DATABASE_POOL_SIZE", 20)),
        "max_overflow": int(os.environ.get("DATABASE_POOL_OVERFLOW", 20)),
        "pool_timeout": float(os.environ.get("DATABASE_POOL_TIMEOUT", 10)),
    }


def _secret_key() -> str:
    """Return SECRET_KEY, or a key kept in instance/ so sessions survive restarts."""
    if key := os.environ.get("SECRET_KEY"):
        return key
    path = INSTANCE / "secret_key"
    if not path.exists():
        INSTANCE.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(48))
        path.chmod(0o600)
    return path.read_text().strip()


class Config:
    """Settings for one running instance; every value can come from the environment."""

    VERSION = "0.1.0"
    SECRET_KEY = _secret_key()
    SQLALCHEMY_DATABASE_URI = os.environ.get(
        "DATABASE_URL", f"sqlite:///{INSTANCE / 'caravana.sqlite3'}"
    )
    SQLALCHEMY_ENGINE_OPTIONS = _engine_options(SQLALCHEMY_DATABASE_URI)
    SEARCH_INDEX_DIR = os.environ.get("SEARCH_INDEX_DIR", str(INSTANCE / "search-index"))
    # "whoosh" (embedded, one host) or "postgres" (scaled: PostgreSQL full-text search).
    SEARCH_BACKEND = os.environ.get("SEARCH_BACKEND", "whoosh")
    # Library uploads: the largest file accepted, and whether this process runs the worker
    # that reads uploaded files (run `flask library work` instead when scaled).
    LIBRARY_MAX_UPLOAD = int(os.environ.get("LIBRARY_MAX_UPLOAD", 25 * 1024 * 1024))
    # The largest request body: a library file and its form. Checked before any view runs
    # (the CSRF check reads the form), so a bigger upload gets the "too large" page.
    MAX_CONTENT_LENGTH = int(os.environ.get("MAX_CONTENT_LENGTH", LIBRARY_MAX_UPLOAD + 2**20))
    LIBRARY_WORKER = os.environ.get("LIBRARY_WORKER", "1") == "1"
    UPLOAD_DIR = os.environ.get("UPLOAD_DIR", str(INSTANCE / "uploads"))

    # Socket.IO: in-process by default; a Redis URL lets several workers share rooms.
    SOCKETIO_MESSAGE_QUEUE = os.environ.get("SOCKETIO_MESSAGE_QUEUE") or None
    # Origins allowed to open a socket besides our own (same origin only by default).
    SOCKETIO_ALLOWED_ORIGINS = _list("SOCKETIO_ALLOWED_ORIGINS")
    # A silently dead link (a phone out of coverage) is noticed within interval + timeout
    # seconds, by the server and by the browser, instead of 45 s.
    SOCKETIO_PING_INTERVAL = float(os.environ.get("SOCKETIO_PING_INTERVAL", 5))
    SOCKETIO_PING_TIMEOUT = float(os.environ.get("SOCKETIO_PING_TIMEOUT", 5))
    # Each open socket holds one server thread: caps per process (keep it below gunicorn's
    # --threads, so pages always find a free thread), per account and per network address.
    SOCKETS_PER_PROCESS = int(os.environ.get("SOCKETS_PER_PROCESS", 1100))
    SOCKETS_PER_ACCOUNT = int(os.environ.get("SOCKETS_PER_ACCOUNT", 8))
    SOCKETS_PER_ADDRESS = int(os.environ.get("SOCKETS_PER_ADDRESS", 250))
    # Each process marks its open sockets as seen this often; presence ignores, and cleans
    # up, sockets not seen for LIVE_SOCKET_TTL seconds (their process died).
    LIVE_SOCKET_HEARTBEAT = float(os.environ.get("LIVE_SOCKET_HEARTBEAT", 15))
    LIVE_SOCKET_TTL = float(os.environ.get("LIVE_SOCKET_TTL", 45))
    # Socket events handled at once per process; up to SOCKET_EVENTS_QUEUED more wait for a
    # turn, each at most SOCKET_EVENT_WAIT seconds (below the browser's 10 s); beyond that
    # the event is answered "busy" and the browser sends it again later (realtime.EventGate).
    # Requests after which a process collects and freezes what it has loaded (app/gc_tuning.py):
    # after the first and once caches and templates have filled.
    GC_FREEZE_AFTER = (1, 200)
    SOCKET_EVENTS_AT_ONCE = int(os.environ.get("SOCKET_EVENTS_AT_ONCE", 8))
    SOCKET_EVENTS_QUEUED = int(os.environ.get("SOCKET_EVENTS_QUEUED", 200))
    SOCKET_EVENT_WAIT = float(os.environ.get("SOCKET_EVENT_WAIT", 5))

    # Rate limits: in memory by default, Redis when several workers must share counters.
    RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI", "memory://")
    RATELIMIT_ENABLED = _bool("RATELIMIT_ENABLED", True)
    RATELIMIT_HEADERS_ENABLED = True
    # Redis down: count in this process's memory (with a logged warning) rather than fail.
    RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = True
    RATELIMIT_SWALLOW_ERRORS = True
    RATELIMIT_STORAGE_OPTIONS = {"socket_connect_timeout": 1, "socket_timeout": 1}
    # Failed sign-ins only. One account from one address is slowed down minute by minute;
    # the per-account and per-address limits never apply where the account signed in before.
    LOGIN_LIMIT_PER_PAIR = os.environ.get("LOGIN_LIMIT_PER_PAIR", "5 per minute;20 per hour")
    LOGIN_LIMIT_PER_ACCOUNT = os.environ.get("LOGIN_LIMIT_PER_ACCOUNT", "10 per 15 minutes")
    LOGIN_LIMIT_PER_ADDRESS = os.environ.get("LOGIN_LIMIT_PER_ADDRESS", "30 per 15 minutes")

    # Cookies: HttpOnly and SameSite=Lax always; Secure when served over HTTPS.
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = _bool("SESSION_COOKIE_SECURE", False)
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_SECURE = SESSION_COOKIE_SECURE
    REMEMBER_COOKIE_DURATION = 60 * 60 * 24 * 30
    PREFERRED_URL_SCHEME = "https" if SESSION_COOKIE_SECURE else "http"

    COMPRESS_ALGORITHM = ["br", "gzip", "deflate"]
    # Static files are streamed, and Flask-Compress streams only these (browsers on plain
    # HTTP, as on a closed network, offer gzip and deflate, so deflate it is).
    COMPRESS_ALGORITHM_STREAMING = ["br", "deflate"]
    COMPRESS_MIMETYPES = [
        "text/html",
        "text/css",
        "application/javascript",
        "text/javascript",
        "application/json",
        "image/svg+xml",
        "text/calendar",
    ]

    WTF_CSRF_TIME_LIMIT = None  # a slow phone may keep a form open for hours

    BABEL_DEFAULT_LOCALE = "en"
    BABEL_DEFAULT_TIMEZONE = "UTC"
    BABEL_TRANSLATION_DIRECTORIES = str(ROOT / "app" / "translations")
    LANGUAGES = LANGUAGES

    # Mail: SMTP when MAIL_SERVER is set, otherwise the in-app outbox read by admins.
    MAIL_SERVER = os.environ.get("MAIL_SERVER") or None
    MAIL_PORT = int(os.environ.get("MAIL_PORT", 587))
    MAIL_USERNAME = os.environ.get("MAIL_USERNAME") or None
    MAIL_PASSWORD = os.environ.get("MAIL_PASSWORD") or None
    MAIL_USE_TLS = _bool("MAIL_USE_TLS", True)
    MAIL_SENDER = os.environ.get("MAIL_SENDER", "Caravana <no-reply@caravana.invalid>")
    # Without SMTP, whole messages are written here (for the machine's operator, not the
    # web admins, who see them in the outbox with their secret links hidden).
    MAIL_SPOOL_DIR = os.environ.get("MAIL_SPOOL_DIR", str(INSTANCE / "mail"))

    PASSWORD_RESET_HOURS = 2
    INVITATION_DAYS = 14
    ORGS_PER_PAGE = 20


class TestConfig(Config):
    """Settings for the test suite: in-memory database, no rate-limit storage shared."""

    TESTING = True
    SQLALCHEMY_DATABASE_URI = os.environ.get("TEST_DATABASE_URL", "sqlite://")
    SQLALCHEMY_ENGINE_OPTIONS: dict = {}
    # The same search suite runs on both backends: PostgreSQL's when the database is.
    SEARCH_BACKEND = os.environ.get(
        "TEST_SEARCH_BACKEND",
        "postgres" if SQLALCHEMY_DATABASE_URI.startswith("postgresql") else "whoosh",
    )
    LIBRARY_WORKER = False  # tests run the worker's steps by hand (worker.run_pending)
    LIVE_SOCKET_HEARTBEAT = 0.0  # no background thread: tests run the heartbeat by hand
    GC_FREEZE_AFTER = ()  # hundreds of apps in one process: frozen cycles would never go
    WTF_CSRF_ENABLED = False
    SECRET_KEY = "test-secret-key"  # noqa: S105 - tests only
    SERVER_NAME = "localhost"
    MAIL_SERVER = None
