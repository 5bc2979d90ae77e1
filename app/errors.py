"""The one error type of the services: a code for programs, a message for people."""

from __future__ import annotations


class ServiceError(ValueError):
    """A change that cannot be made; ``str(error)`` is shown to the person.

    ``code`` is a stable word for programs (socket acknowledgements, tests): ``"empty"``,
    ``"last_coordinator"``, ``"full"``...
    """

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
