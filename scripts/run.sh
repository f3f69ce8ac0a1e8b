#!/usr/bin/env bash
# Start the MLflow UI, the scheduler and the API in the background, replay the stored history
# in the background (walk-forward forecasts scored and logged to MLflow's monitoring experiment:
# minutes the first time, seconds after), and the dashboard in the foreground; Ctrl-C stops all.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
export LOG_JSON="${LOG_JSON:-false}"  # readable lines on a terminal; production keeps JSON

pids=()
stop() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; }
trap stop EXIT INT TERM

# The MLflow store and its experiments first, before any of the processes below opens it: two
# processes migrating a new SQLite store at once leave it half-migrated.
$BIN/python -c 'from core.config import get_settings; from core.tracking.store import ensure_experiments; ensure_experiments(get_settings())'

bash scripts/mlflow.sh & pids+=($!)
$BIN/python -m core scheduler & pids+=($!)
$BIN/python main.py & pids+=($!)
$BIN/python -m core jobs run replay & pids+=($!)

echo "API:        http://127.0.0.1:${API_PORT:-8000}/docs"
echo "Dashboard:  http://127.0.0.1:8501"
echo "Replay:     running in the background (job 'replay'; progress in the log lines below)"
$BIN/streamlit run serve.py --server.address 127.0.0.1 --server.port 8501 --server.headless true
