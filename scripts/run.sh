#!/usr/bin/env bash
# Start the scheduler and the API in the background and the dashboard in the foreground;
# Ctrl-C stops all three.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
export LOG_JSON="${LOG_JSON:-false}"  # readable lines on a terminal; production keeps JSON

pids=()
stop() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; }
trap stop EXIT INT TERM

$BIN/python -m core scheduler & pids+=($!)
$BIN/python main.py & pids+=($!)

echo "API:        http://127.0.0.1:${API_PORT:-8000}/docs"
echo "Dashboard:  http://127.0.0.1:8501"
$BIN/streamlit run serve.py --server.address 127.0.0.1 --server.port 8501 --server.headless true
