#!/usr/bin/env bash
# The MLflow UI against Stockcast's tracking store (its own SQLite file, never the app's database),
# on MLFLOW_HOST:MLFLOW_PORT from settings. The store and its experiments are created first, under
# the app's own lock, so the server never races the app migrating a new store.
set -euo pipefail
cd "$(dirname "$0")/.."
IFS=$'\t' read -r uri artifacts host port url < <(.venv/bin/python - <<'PY'
from core.config import get_settings
from core.tracking.store import ensure_experiments

settings = get_settings()
ensure_experiments(settings)
fields = [settings.mlflow_tracking_uri, settings.mlflow_artifact_root, settings.mlflow_host, settings.mlflow_port]
print(*fields, settings.mlflow_ui_url, sep="\t")
PY
)
mkdir -p mlruns "$artifacts"
echo "MLflow UI:  $url  (store: $uri)"
MLFLOW_SERVER_ENABLE_JOB_EXECUTION=false exec .venv/bin/mlflow server --workers 1 --host "$host" --port "$port" \
  --backend-store-uri "$uri" --default-artifact-root "$artifacts"
