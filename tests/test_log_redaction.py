"""Secret link tokens never reach the logs: the access log and the error log show the route
(reset link, invitation, personal feed), never a link that works."""

from __future__ import annotations

import logging
import subprocess

import pytest
import requests

from app.logredact import RedactingFilter, redact
from tests.live import BIN, ROOT, _wait_for, demo_environment, free_port

TOKEN = "Q5p7Zr0o2Jw9XkYb8vT3sLm1NqH6uEaF"
SECRET_PATHS = [
    f"/account/reset/{TOKEN}",
    f"/invite/{TOKEN}",
    f"/calendar/feed/{TOKEN}.ics",
]


@pytest.mark.parametrize("path", SECRET_PATHS)
def test_redact_hides_the_token_and_keeps_the_route(path):
    """What a log line says: which kind of link was opened, not the link."""
    shown = redact(f'GET {path} HTTP/1.1 "https://caravana.example{path}"')
    assert TOKEN not in shown
    assert path.replace(TOKEN, "[hidden]") in shown


def test_error_log_records_are_redacted():
    """Flask's "Exception on <path>" line goes through the same rule."""
    record = logging.LogRecord(
        "app", logging.ERROR, __file__, 1, "Exception on %s [POST]", (SECRET_PATHS[0],), None
    )
    assert RedactingFilter().filter(record)
    assert TOKEN not in record.getMessage() and "/account/reset/[hidden]" in record.getMessage()


@pytest.mark.live
def test_the_servers_access_log_shows_no_token(tmp_path):
    """gunicorn started the way `make run` starts it writes no token to its access log."""
    env = demo_environment(tmp_path)
    log_file = tmp_path / "access.log"
    port = free_port()
    process = subprocess.Popen(
        [str(BIN / "gunicorn"), "--worker-class", "gthread", "-w", "1", "--threads", "4",
         "-b", f"127.0.0.1:{port}", "--access-logfile", str(log_file), "wsgi:app"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_for(lambda: requests.get(base + "/healthz", timeout=1))
        for path in SECRET_PATHS:
            requests.get(base + path, headers={"Referer": base + path}, timeout=10)
    finally:
        process.terminate()
        process.wait(timeout=10)
    logged = log_file.read_text()
    assert "/account/reset/[hidden]" in logged and "/invite/[hidden]" in logged
    assert TOKEN not in logged
