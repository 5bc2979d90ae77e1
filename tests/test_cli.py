"""Command-line tasks and the health probe."""

from __future__ import annotations

from sqlalchemy import func, select

from app.extensions import db
from app.models import Membership, Organisation, OrgStatus, Role, User
from tests.conftest import login_with_form


def test_seed_demo_builds_a_living_movement(app, client):
    """The demo has ten approved organisations, people in every role and a waiting request."""
    result = app.test_cli_runner().invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    approved = db.session.scalar(
        select(func.count())
        .select_from(Organisation)
        .where(Organisation.status == OrgStatus.APPROVED)
    )
    assert approved == 10
    assert (
        db.session.scalar(
            select(func.count())
            .select_from(Organisation)
            .where(Organisation.status == OrgStatus.PENDING)
        )
        == 1
    )
    assert "admin@caravana.example" in result.output
    assert "caravana-demo-2026" in result.output
    locales = set(db.session.scalars(select(User.locale)))
    assert {"en", "es", "fr", "ar", "it"} <= locales
    assert (
        db.session.scalar(
            select(func.count()).select_from(Membership).where(Membership.role == Role.COORDINATOR)
        )
        == 10
    )
    # Conversations in several languages wait in the rooms.
    from app.models import Message, Room

    assert db.session.scalar(select(func.count()).select_from(Room)) >= 4
    bodies = " ".join(db.session.scalars(select(Message.body)))
    assert all(word in bodies for word in ("Buenos", "Bonjour", "Palermo", "صفاقس"))
    # The printed credentials work.
    response = login_with_form(client, "rosa@caravana.example", "caravana-demo-2026")
    assert response.status_code == 302
    assert "Comité de Familiares" in client.get("/").get_data(as_text=True)


def test_seed_demo_table_fits_80_columns_and_cuts_nothing(app):
    """Every account line fits a narrow terminal, with whole e-mails and organisation names,
    and the sign-in line names the address given by make run."""
    from app.demo import ORGANISATIONS

    result = app.test_cli_runner().invoke(args=["seed-demo", "--url", "http://127.0.0.1:8000"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert max(len(line) for line in lines) <= 80, max(lines, key=len)
    assert "Sign in at http://127.0.0.1:8000/account/login" in result.output
    emails = list(db.session.scalars(select(User.email)))
    assert len(emails) == 22
    for email in emails:
        assert any(line.split()[:1] == [email] for line in lines), email
    for name in (org[1] for org in ORGANISATIONS):
        assert name in lines, name
    assert "  rosa@caravana.example" in result.output and "coordinator" in result.output


def test_seed_demo_if_empty_does_not_duplicate(app):
    """Running make run twice does not load the demo twice."""
    runner = app.test_cli_runner()
    runner.invoke(args=["seed-demo"])
    result = runner.invoke(args=["seed-demo", "--if-empty"])
    assert result.exit_code == 0
    assert "already has data" in result.output
    assert db.session.scalar(select(func.count()).select_from(Organisation)) == 11


def test_seed_demo_large_scale(app):
    """The benchmark scale has hundreds of organisations and thousands of people."""
    result = app.test_cli_runner().invoke(args=["seed-demo", "--scale", "large"])
    assert result.exit_code == 0, result.output
    assert db.session.scalar(select(func.count()).select_from(Organisation)) >= 300
    assert db.session.scalar(select(func.count()).select_from(User)) >= 3000


def test_create_admin(app, client):
    """flask create-admin makes an administrator who can open the approval queue."""
    result = app.test_cli_runner().invoke(
        args=[
            "create-admin",
            "--email",
            "Boss@Example.org",
            "--name",
            "Boss",
            "--password",
            "a sunny walk to the sea",
        ]
    )
    assert result.exit_code == 0, result.output
    login_with_form(client, "boss@example.org", "a sunny walk to the sea")
    assert client.get("/admin/").status_code == 200


def test_create_admin_refuses_a_weak_password(app):
    """An administrator account cannot be created with a common password."""
    result = app.test_cli_runner().invoke(
        args=[
            "create-admin",
            "--email",
            "boss@example.org",
            "--name",
            "Boss",
            "--password",
            "password123",
        ]
    )
    assert result.exit_code != 0
    assert db.session.scalar(select(User).where(User.email == "boss@example.org")) is None


def test_healthz_reports_database_index_and_version(client):
    """The health probe answers JSON a monitor can read."""
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.get_json()
    assert body == {
        "status": "ok",
        "database": "ok",
        "search_index": body["search_index"],
        "version": body["version"],
        "live": body["live"],
    }
    assert body["search_index"]["status"] == "ok"
    assert body["search_index"]["outbox"] == {"waiting": 0, "oldest": None}
    assert body["version"]
    assert body["live"]["sockets"] == 0 and body["live"]["message_queue"]["state"] == "none"


def test_healthz_reports_an_unusable_index_directory(app, client, tmp_path):
    """When the search index folder cannot be written, the probe says so with 503."""
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("a file where the index folder should be")
    app.config["SEARCH_INDEX_DIR"] = str(blocker / "index")
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.get_json()["search_index"]["status"] == "error"
