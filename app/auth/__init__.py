"""Accounts: register, sign in and out, password reset, profile."""

from flask import Blueprint

bp = Blueprint("auth", __name__, url_prefix="/account")

from app.auth import views  # noqa: E402,F401
