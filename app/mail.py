"""Sending mail: SMTP when MAIL_SERVER is set, otherwise a spool folder on the server.

Mail is part of the unit of work: it goes out only after the change that caused it is
committed (never for a rolled-back one). Every message is listed in the outbox administrators
read, with its secret links hidden: an administrator sees that a reset link was sent, never
a link that works. Without SMTP the whole message is written to MAIL_SPOOL_DIR, where only the
machine's operator can read it.
"""

from __future__ import annotations

import logging
import os
import smtplib
import uuid
from collections.abc import Sequence
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

from flask import current_app

from app.db import atomic, on_commit
from app.extensions import db
from app.models import OutboxMail

log = logging.getLogger(__name__)
HIDDEN = "••••••"


def mask(text: str, secrets: Sequence[str]) -> str:
    """The text with each secret replaced by dots."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, HIDDEN)
    return text


def send_mail(recipient: str, subject: str, body: str, secrets: Sequence[str] = ()) -> None:
    """Send a plain-text message after the commit; the outbox keeps it with secrets hidden."""
    with atomic():
        db.session.add(OutboxMail(recipient=recipient, subject=subject, body=mask(body, secrets)))
        on_commit(lambda: _deliver(_message(recipient, subject, body)))


def _message(recipient: str, subject: str, body: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = current_app.config["MAIL_SENDER"]
    message["To"] = recipient
    message["Subject"] = subject
    message.set_content(body)
    return message


def _deliver(message: EmailMessage) -> None:
    config = current_app.config
    if not config.get("MAIL_SERVER"):
        _spool(message)
        return
    try:
        with smtplib.SMTP(config["MAIL_SERVER"], config["MAIL_PORT"], timeout=20) as smtp:
            if config["MAIL_USE_TLS"]:
                smtp.starttls()
            if config["MAIL_USERNAME"]:
                smtp.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"] or "")
            smtp.send_message(message)
    except (OSError, smtplib.SMTPException):
        # Keep the whole message where the operator can pass it on by hand.
        log.exception("SMTP delivery failed; message written to the mail spool")
        _spool(message)


def _spool(message: EmailMessage) -> Path:
    """Write a message to the spool folder, readable by the server's own account only."""
    folder = Path(current_app.config["MAIL_SPOOL_DIR"])
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    path = folder / f"{uuid.uuid4().hex}.eml"
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(bytes(message))
    return path


def spooled(folder: str | Path) -> list[EmailMessage]:
    """The messages in a spool folder, oldest first (for operators' tools and tests)."""
    paths = sorted(Path(folder).glob("*.eml"), key=lambda p: p.stat().st_mtime_ns)
    return [message_from_bytes(p.read_bytes(), policy=policy.default) for p in paths]
