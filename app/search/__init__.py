"""Search: the only code that talks to a search engine (Whoosh embedded, PostgreSQL scaled).

Features register what they make searchable (registry.py); changes reach the index through
the outbox (outbox.py); people search through service.py, which filters by their audience
tokens inside the engine, so nothing they may not open is ever counted, faceted or shown.
"""
