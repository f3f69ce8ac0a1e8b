"""The MCP server: Stockcast's portfolio, prices, forecasts and backtests as tools for agents."""
