"""Portfolios: holdings, the transaction ledger and analytics."""
