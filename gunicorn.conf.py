"""Gunicorn settings read by every `gunicorn wsgi:app` started from this folder.

Command-line flags (the Makefile's) add to these; the access log never shows secret tokens.
"""

logger_class = "app.logredact.RedactingLogger"
