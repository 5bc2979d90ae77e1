"""Sending mail: SMTP when MAIL_SERVER is set, otherwise the in-app outbox."""

from __future__ import annotations

import logging
import smtplib
from email.message import EmailMessage

from flask import current_app

from app.extensions import db
from app.models import OutboxMail

log = logging.getLogger(__name__)


def send_mail(recipient: str, subject: str, body: str) -> None:
    """Send a plain-text message, or keep it in the outbox when no SMTP server is set."""
    config = current_app.config
    if not config.get("MAIL_SERVER"):
        db.session.add(OutboxMail(recipient=recipient, subject=subject, body=body))
        db.session.commit()
        return
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
        db.session.add(OutboxMail(recipient=recipient, subject=subject, body=body))
        db.session.commit()
