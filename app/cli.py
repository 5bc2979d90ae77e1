"""Command-line tasks: flask create-admin, seed-demo, markup refresh (search: search/cli.py)."""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import AppGroup
from sqlalchemy import bindparam, func, select, update
from sqlalchemy.orm import InstrumentedAttribute

from app import markup
from app.db import atomic
from app.extensions import db
from app.models import AppState, Membership, Organisation, User


@click.command("create-admin")
@click.option("--email", prompt=True)
@click.option("--name", "display_name", prompt=True)
@click.password_option()
def create_admin(email: str, display_name: str, password: str) -> None:
    """Create a platform administrator, or make an existing account one."""
    from app.auth.passwords import password_problem
    from app.auth.services import find_user_by_email, register_user

    user = find_user_by_email(email)
    if user is not None:
        with atomic():
            user.is_admin = True
        click.echo(f"{user.email} is now an administrator.")
        return
    if problem := password_problem(password, email, display_name):
        raise click.BadParameter(problem, param_hint="password")
    user = register_user(email, password, display_name, is_admin=True)
    click.echo(f"Administrator {user.email} created.")


@click.command("seed-demo")
@click.option(
    "--scale",
    type=click.Choice(["small", "large"]),
    default="small",
    help="large: hundreds of organisations and thousands of users, for benchmarks.",
)
@click.option("--if-empty", is_flag=True, help="Do nothing when the database has users.")
@click.option(
    "--url",
    default="http://127.0.0.1:5000",
    show_default=True,
    help="Where the site is served, for the sign-in line (make run passes its own).",
)
def seed_demo(scale: str, if_empty: bool, url: str) -> None:
    """Fill the database with the demo movement and print how to sign in."""
    from app import demo

    if if_empty and db.session.scalar(select(func.count()).select_from(User)):
        click.echo("The database already has data; demo not loaded.")
        return
    accounts = demo.seed(scale=scale)
    click.echo(f"\nDemo loaded. Sign in at {url.rstrip('/')}/account/login")
    click.echo(f"Password for every demo account: {demo.DEMO_PASSWORD}")
    for line in account_table(accounts):
        click.echo(line)


def _row(width: int, email: str, lang: str, zone: str, role: str) -> str:
    """One line of the accounts table."""
    return f"  {email:<{width}}  {lang:<4}  {zone:<20} {role}".rstrip()


def account_table(accounts: list[tuple[str, str, str, str]]) -> list[str]:
    """The demo accounts under their organisation's full name, each line within 80 columns.

    An organisation name is a heading rather than a column, so that nothing is cut; people
    without an organisation are grouped under what they are (administrator, outsider).
    """
    emails = [email for _role, email, _lang, _zone in accounts]
    roles = {
        email: (name, role.value)
        for email, name, role in db.session.execute(
            select(User.email, Organisation.name, Membership.role)
            .join(Membership, Membership.user_id == User.id)
            .join(Organisation, Organisation.id == Membership.organisation_id)
            .where(User.email.in_(emails))
        )
    }
    groups: dict[str, list[str]] = {}
    width = max(len(email) for email in emails)
    for role, email, lang, zone in accounts:
        heading, role_in_group = roles.get(email, (role[:1].upper() + role[1:], ""))
        groups.setdefault(heading, []).append(_row(width, email, lang, zone, role_in_group))
    lines = ["", _row(width, "e-mail", "lang", "time zone", "role")]
    for heading, rows in groups.items():
        lines += ["", heading, *rows]
    return lines


markup_cli = AppGroup("markup", help="The stored HTML of user Markdown.")

MARKUP_VERSION_KEY = "markup_version"
BATCH = 200


def _render_rows(
    source: InstrumentedAttribute, target: InstrumentedAttribute, missing_only: bool
) -> int:
    """Render one column again, BATCH rows per unit of work; return how many rows.

    Rows are read as (id, text) pairs, never as objects, so memory stays bounded. A row whose
    text changed meanwhile (a server running) keeps the HTML its own writer stored.
    """
    model, table = source.class_, source.class_.__table__
    query = select(model.id, source).order_by(model.id).limit(BATCH)
    if missing_only:
        query = query.where(target == "", source != "")
    store = (
        update(table)
        .where(table.c.id == bindparam("row"), table.c[source.key] == bindparam("text"))
        .values({target.key: bindparam("html")})
    )
    done, last = 0, 0
    while rows := db.session.execute(query.where(model.id > last)).all():
        html = [
            {"row": key, "text": text, "html": str(markup.render_markdown(text))}
            for key, text in rows
        ]
        with atomic():
            db.session.execute(store, html)
        done, last = done + len(rows), rows[-1][0]
    return done


@markup_cli.command("refresh")
@click.option("--force", is_flag=True, help="Render every row even if the rules are unchanged.")
def refresh_markup(force: bool) -> None:
    """Render the stored HTML again when the rendering rules changed (or with --force).

    When they are current, only rows that have text and no HTML yet are rendered.
    """
    stored = db.session.get(AppState, MARKUP_VERSION_KEY)
    current = stored is not None and stored.value == markup.RENDER_VERSION and not force
    counts = {
        target.class_.__tablename__: _render_rows(source, target, missing_only=current)
        for source, target in markup.RENDERED
    }
    with atomic():
        db.session.merge(AppState(key=MARKUP_VERSION_KEY, value=markup.RENDER_VERSION))
    summary = ", ".join(f"{table} {count}" for table, count in counts.items())
    click.echo(f"Stored HTML is version {markup.RENDER_VERSION}; rendered: {summary}.")


def init_app(app: Flask) -> None:
    """Add the create-admin, seed-demo and markup commands to the flask command."""
    app.cli.add_command(create_admin)
    app.cli.add_command(seed_demo)
    app.cli.add_command(markup_cli)
    from app.search.cli import library_cli, search_cli

    app.cli.add_command(search_cli)
    app.cli.add_command(library_cli)
