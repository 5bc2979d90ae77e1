"""What an address may carry: ids that fit the database, request numbers within bounds."""

from __future__ import annotations

from flask import request
from werkzeug.routing import IntegerConverter

MAX_ID = 2**31 - 1  # PostgreSQL's INTEGER; SQLite's is larger, the smaller bound serves both


class BoundedIntConverter(IntegerConverter):
    """``<int:...>`` that matches only numbers a row id can be (else the route is a 404)."""

    def __init__(self, map, *args, **kwargs):  # noqa: A002 - werkzeug's own parameter name
        kwargs.setdefault("max", MAX_ID)
        super().__init__(map, *args, **kwargs)


def arg_int(name: str) -> int | None:
    """A whole number from the query string within the id range, else None."""
    value = request.args.get(name, type=int)
    return value if value is not None and 0 <= value <= MAX_ID else None
