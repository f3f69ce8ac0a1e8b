"""Market data: price providers, the price store and ticker metadata."""
