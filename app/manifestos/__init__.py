"""Manifestos: drafted together live, translated, then endorsed by organisations."""

from flask import Blueprint

bp = Blueprint("manifestos", __name__, url_prefix="/manifestos")

from app.manifestos import collab_host, history_views, revisions, views  # noqa: E402,F401
