"""Stockcast's shared package: settings, database, domain services and the command line."""
