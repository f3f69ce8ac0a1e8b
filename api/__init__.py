"""Stockcast's REST API (FastAPI): thin async routes over the sync services in `core`."""
