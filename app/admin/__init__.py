"""Platform administration: approval queue, accounts, audit log, mail outbox."""

from flask import Blueprint

bp = Blueprint("admin", __name__, url_prefix="/admin")

from app.admin import views  # noqa: E402,F401
