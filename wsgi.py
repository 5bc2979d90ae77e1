"""Production entry point: gunicorn with the flags of `make run` (README, "Capacity").

gunicorn --worker-class gthread -w 1 --threads 1200 --worker-connections 2000 wsgi:app
"""

import resource

from app import create_app


def _allow_open_files(wanted: int = 8192) -> None:
    """Raise this process's limit of open files toward wanted (as far as the hard limit allows).

    Each live socket is an open file; the usual soft limit of 1,024 would stop a server
    meant to hold 1,000 sockets, plus its pages and database, short.
    """
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
    if soft != resource.RLIM_INFINITY and soft < target:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))


_allow_open_files()
app = create_app()
