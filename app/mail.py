"""Sending mail: SMTP when MAIL_SERVER is set, otherwise the in-app outbox.

Mail is part of the unit of work: an outbox message is stored with the change that caused it,
and SMTP delivery happens only after that change is committed (never for a rolled-back one).
"""

from __future__ import annotations

import logging
import smtplib
from email.message import EmailMessage

from flask import current_app

from app.db import atomic, on_commit
from app.extensions import db
from app.models import OutboxMail

log = logging.getLogger(__name__)


def send_mail(recipient: str, subject: str, body: str) -> None:
    """Send a plain-text message after the commit, or keep it in the outbox (no SMTP)."""
    config = current_app.config
    with atomic():
        if not config.get("MAIL_SERVER"):
            db.session.add(OutboxMail(recipient=recipient, subject=subject, body=body))
            return
        on_commit(lambda: _deliver(recipient, subject, body))


def _deliver(recipient: str, subject: str, body: str) -> None:
    config = current_app.config
    message = EmailMessage()
    message["From"] = config["MAIL_SENDER"]
    message["To"] = recipient
    message["Subject"] = subject
    message.set_content(body)
    try:
        with smtplib.SMTP(config["MAIL_SERVER"], config["MAIL_PORT"], timeout=20) as smtp:
            if config["MAIL_USE_TLS"]:
                smtp.starttls()
            if config["MAIL_USERNAME"]:
                smtp.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"] or "")
            smtp.send_message(message)
    except (OSError, smtplib.SMTPException):
        # Keep the message so an admin can still pass the link on by hand.
        log.exception("SMTP delivery failed; message kept in the outbox")
        with atomic():
            db.session.add(OutboxMail(recipient=recipient, subject=subject, body=body))
