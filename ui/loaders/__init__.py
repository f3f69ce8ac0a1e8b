"""The UI's units of work and cached reads, one module per area; pages call these and never
open sessions: `base` (call, call_as, Account), `admin` (log-in, accounts), `portfolio` (with
the watchlist and alerts), `market`, `forecasting`, `jobs`.

Writes go through `call_as`, one committed unit of work per action, followed by
`forget_portfolio_reads()` / `forget_watchlist_reads()` so the next render shows the change.
Every name is re-exported here, so `from ui.loaders import load_holdings` keeps working.
"""

from ui.loaders.admin import load_account, load_users, log_in
from ui.loaders.base import Account, call, call_as, current_settings, database_key
from ui.loaders.forecasting import (
    backtest_closes,
    backtest_ticker,
    load_backtest_summary,
    load_experiment_url,
    load_model_catalog,
    load_realised_accuracy,
    load_realised_by_month,
    track_backtest,
)
from ui.loaders.jobs import load_job_catalog, load_job_run, load_job_runs, start_job
from ui.loaders.market import load_prices, load_ticker_statistics, load_tickers
from ui.loaders.portfolio import (
    forget_portfolio_reads,
    forget_watchlist_reads,
    import_transactions_as,
    load_activities,
    load_alerts,
    load_close_on,
    load_closed_positions,
    load_holdings,
    load_income,
    load_performance,
    load_portfolio_summary,
    load_returns_by_year,
    load_transactions,
    load_transactions_csv,
    load_watchlist,
    project_holdings,
    record_activity_as,
    update_activity_as,
)

__all__ = [
    "Account",
    "backtest_closes",
    "backtest_ticker",
    "call",
    "call_as",
    "current_settings",
    "database_key",
    "forget_portfolio_reads",
    "forget_watchlist_reads",
    "import_transactions_as",
    "load_account",
    "load_activities",
    "load_alerts",
    "load_backtest_summary",
    "load_close_on",
    "load_closed_positions",
    "load_experiment_url",
    "load_holdings",
    "load_income",
    "load_job_catalog",
    "load_job_run",
    "load_job_runs",
    "load_model_catalog",
    "load_performance",
    "load_portfolio_summary",
    "load_prices",
    "load_realised_accuracy",
    "load_realised_by_month",
    "load_returns_by_year",
    "load_ticker_statistics",
    "load_tickers",
    "load_transactions",
    "load_transactions_csv",
    "load_users",
    "load_watchlist",
    "log_in",
    "project_holdings",
    "record_activity_as",
    "start_job",
    "track_backtest",
    "update_activity_as",
]
