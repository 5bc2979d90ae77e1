"""Mail goes out by SMTP when a server is set, and is never lost when it fails."""

from __future__ import annotations

import smtplib

import pytest

from app.db import atomic
from app.extensions import db
from app.mail import send_mail, spooled
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


def test_mail_without_server_is_spooled_and_listed(app):
    """Without a mail server, the whole message goes to the spool folder (for the operator)
    and the outbox lists it for admins."""
    send_mail("rosa@example.org", "Hola", "Cuerpo")
    mail = db.session.scalar(db.select(OutboxMail))
    assert (mail.recipient, mail.subject, mail.body) == ("rosa@example.org", "Hola", "Cuerpo")
    [spooled_mail] = spooled(app.config["MAIL_SPOOL_DIR"])
    assert spooled_mail["To"] == "rosa@example.org"
    assert spooled_mail.get_content().strip() == "Cuerpo"


def test_secrets_never_reach_the_outbox_only_the_recipient(app):
    """A link's secret is hidden in the outbox admins read; the message sent keeps it."""
    secret = "s3cr3t-token-abcdefghijklmnop"
    send_mail("rosa@example.org", "Link", f"Open https://x/account/reset/{secret}", [secret])
    assert secret not in db.session.scalar(db.select(OutboxMail.body))
    [spooled_mail] = spooled(app.config["MAIL_SPOOL_DIR"])
    assert secret in spooled_mail.get_content()


def test_mail_of_a_rolled_back_change_is_not_sent(app):
    """Mail is part of the unit of work: a change that fails sends nothing."""
    with pytest.raises(RuntimeError), atomic():
        send_mail("rosa@example.org", "Hola", "Cuerpo")
        raise RuntimeError("the change failed")
    assert db.session.scalar(db.select(OutboxMail)) is None
    assert spooled(app.config["MAIL_SPOOL_DIR"]) == []


def test_mail_with_server_is_sent_over_tls(smtp):
    """With MAIL_SERVER set, the message is sent by SMTP with TLS and login."""
    send_mail("rosa@example.org", "Hola", "Cuerpo")
    connection, message = smtp.sent[0]
    assert connection.host == "mail.example.org" and connection.tls
    assert connection.login_as == "caravana"
    assert message["To"] == "rosa@example.org" and message["Subject"] == "Hola"
    assert message.get_content().strip() == "Cuerpo"
    assert db.session.scalar(db.select(OutboxMail.recipient)) == "rosa@example.org"  # listed


def test_failed_delivery_keeps_the_message(app, smtp):
    """When the mail server fails, the whole message is kept in the spool, not lost."""
    smtp.fail = True
    send_mail("rosa@example.org", "Hola", "Cuerpo")
    [kept] = spooled(app.config["MAIL_SPOOL_DIR"])
    assert kept["To"] == "rosa@example.org"
