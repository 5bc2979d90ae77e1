"""Real-time discussion rooms: pages, socket events and the services both share."""

from flask import Blueprint

bp = Blueprint("rooms", __name__, url_prefix="/rooms")

from app.rooms import events, views  # noqa: E402,F401
