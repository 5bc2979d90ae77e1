"""Command-line tasks: flask create-admin, flask seed-demo."""

from __future__ import annotations

import click
from flask import Flask
from sqlalchemy import func, select

from app.extensions import db
from app.models import User


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
        user.is_admin = True
        db.session.commit()
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
def seed_demo(scale: str, if_empty: bool) -> None:
    """Fill the database with the demo movement and print how to sign in."""
    from app import demo

    if if_empty and db.session.scalar(select(func.count()).select_from(User)):
        click.echo("The database already has data; demo not loaded.")
        return
    accounts = demo.seed(scale=scale)
    click.echo("\nDemo loaded. Sign in at http://127.0.0.1:5000/account/login with:")
    click.echo(f"  password for every demo account: {demo.DEMO_PASSWORD}")
    for role, email, lang, zone in accounts:
        click.echo(f"  {email:<28} {lang}  {zone:<20} {role}")


def init_app(app: Flask) -> None:
    """Add the create-admin and seed-demo commands to the flask command."""
    app.cli.add_command(create_admin)
    app.cli.add_command(seed_demo)
