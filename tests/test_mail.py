"""Mail goes out by SMTP when a server is set, and is never lost when it fails."""

from __future__ import annotations

import smtplib

import pytest

from app.extensions import db
from app.mail import send_mail
from app.models import OutboxMail


class FakeSMTP:
    """Stands in for smtplib.SMTP and records what would be sent."""

    sent: list = []
    fail = False

    def __init__(self, host, port, timeout):
        self.host, self.port = host, port
        self.tls = False
        self.login_as = None

    def __enter__(self):
        if FakeSMTP.fail:
            raise smtplib.SMTPConnectError(421, "busy")
        return self

    def __exit__(self, *exc):
        return False

    def starttls(self):
        self.tls = True

    def login(self, user, password):
        self.login_as = user

    def send_message(self, message):
        FakeSMTP.sent.append((self, message))


@pytest.fixture
def smtp(app, monkeypatch):
    FakeSMTP.sent, FakeSMTP.fail = [], False
    monkeypatch.setattr(smtplib, "SMTP", FakeSMTP)
    app.config.update(
        MAIL_SERVER="mail.example.org",
        MAIL_PORT=587,
        MAIL_USERNAME="caravana",
        MAIL_PASSWORD="secret",
        MAIL_USE_TLS=True,
    )
    return FakeSMTP


def test_mail_without_server_goes_to_outbox(app):
    """Without a mail server, the message waits in the outbox that admins can read."""
    send_mail("rosa@example.org", "Hola", "Cuerpo")
    mail = db.session.scalar(db.select(OutboxMail))
    assert (mail.recipient, mail.subject, mail.body) == ("rosa@example.org", "Hola", "Cuerpo")


def test_mail_with_server_is_sent_over_tls(smtp):
    """With MAIL_SERVER set, the message is sent by SMTP with TLS and login."""
    send_mail("rosa@example.org", "Hola", "Cuerpo")
    connection, message = smtp.sent[0]
    assert connection.host == "mail.example.org" and connection.tls
    assert connection.login_as == "caravana"
    assert message["To"] == "rosa@example.org" and message["Subject"] == "Hola"
    assert message.get_content().strip() == "Cuerpo"
    assert db.session.scalar(db.select(OutboxMail)) is None


def test_failed_delivery_keeps_the_message(smtp):
    """When the mail server fails, the message is kept in the outbox, not lost."""
    smtp.fail = True
    send_mail("rosa@example.org", "Hola", "Cuerpo")
    assert db.session.scalar(db.select(OutboxMail)).recipient == "rosa@example.org"
