"""Persistence: engines, sessions, ORM tables and migrations."""
