"""Shared documents co-edited live (Yjs in the browser, pycrdt on the server).

protocol.py reads the wire formats, store.py keeps the update log and live copies,
services.py answers the sync protocol, events.py carries it over Socket.IO, hosts.py lets an
owner (a manifesto, a translation) say who may read and write. Nothing here knows what a
document is for.
"""
