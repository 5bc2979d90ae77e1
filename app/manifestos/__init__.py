"""Manifestos: drafted together live, translated, then endorsed by organisations."""

from flask import Blueprint

bp = Blueprint("manifestos", __name__, url_prefix="/manifestos")

from app.manifestos import (  # noqa: E402,F401
    collab_host,
    comment_views,
    history_views,
    revisions,
    translation_views,
    views,
)
