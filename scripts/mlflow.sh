#!/usr/bin/env bash
# The MLflow UI against Stockcast's tracking store (its own SQLite file, never the app's database).
set -euo pipefail
cd "$(dirname "$0")/.."
uri=$(.venv/bin/python -c "from core.config import get_settings; print(get_settings().mlflow_tracking_uri)")
artifacts=$(.venv/bin/python -c "from core.config import get_settings; print(get_settings().mlflow_artifact_root)")
mkdir -p mlruns "$artifacts"
echo "MLflow UI: http://127.0.0.1:5000  (store: $uri)"
MLFLOW_SERVER_ENABLE_JOB_EXECUTION=false exec .venv/bin/mlflow server --workers 1 --host 127.0.0.1 --port 5000 \
  --backend-store-uri "$uri" --default-artifact-root "$artifacts"
