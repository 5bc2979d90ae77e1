"""The shared library: documents, their versions and their text."""

from flask import Blueprint

bp = Blueprint("library", __name__, url_prefix="/library")

from app.library import views  # noqa: E402,F401
