"""Accounts: users, roles, password hashing, tokens and who may do what."""
