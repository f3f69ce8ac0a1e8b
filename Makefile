# Stockcast — the two commands: `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
RUNTIME_STAMP := $(VENV)/.runtime-installed
DEV_STAMP     := $(VENV)/.dev-installed

export HF_HUB_OFFLINE ?= 1
export TRANSFORMERS_OFFLINE ?= 1
export HF_HUB_DISABLE_PROGRESS_BARS ?= 1
export MLFLOW_DISABLE_TELEMETRY ?= true
export ANONYMIZED_TELEMETRY ?= False
export OMP_NUM_THREADS ?= 1

.PHONY: run test install install-dev browser migrate demo api ui scheduler worker mlflow mcp lint bench clean

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

# torch is pinned inside requirements.txt, so it comes from the local CPU wheel in the same command.
# Then the project itself, editable and without dependencies: every process (Celery workers,
# spawned backtests, MLflow's loader, scripts) imports core and models from any directory.
$(RUNTIME_STAMP): requirements.txt pyproject.toml | $(VENV)/bin/python
	$(BIN)/pip install -q -r requirements.txt
	$(BIN)/pip install -q --no-deps -e .
	touch $@

$(DEV_STAMP): requirements.txt requirements-dev.txt $(RUNTIME_STAMP)
	$(BIN)/pip install -q -r requirements-dev.txt
	touch $@

install: $(RUNTIME_STAMP)
install-dev: $(DEV_STAMP)

## Headless Chromium for the end-to-end UI test (Debian's package; browsers that download themselves fail offline).
browser:
	@bash scripts/install-debian-tool.sh chromium chromium "the browser test"

migrate: install
	$(BIN)/python -m core migrate

demo: migrate
	$(BIN)/python -m core demo

## Everything on the embedded defaults: API on :8000, dashboard on :8501, MLflow UI on :5000, scheduler and the replay in the background.
run: demo
	@bash scripts/run.sh

api: migrate
	$(BIN)/python main.py

ui: migrate
	$(BIN)/streamlit run serve.py --server.address 127.0.0.1 --server.port 8501

scheduler: migrate
	$(BIN)/python -m core scheduler

worker: migrate
	$(BIN)/celery -A core.jobs.celery_app worker --loglevel INFO --concurrency 1

## The MCP server over streamable HTTP on MCP_HOST:MCP_PORT (stdio for a desktop client: `python -m mcp_server`).
mcp: migrate
	$(BIN)/python -m mcp_server --transport http

## MLflow UI on MLFLOW_HOST:MLFLOW_PORT (default 127.0.0.1:5000) against the tracking store in settings (`make run` starts it too).
mlflow: install
	@bash scripts/mlflow.sh

test: install-dev browser
	@bash scripts/test.sh

## ruff, and the import contract of pyproject.toml (layers: README "Layers").
lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

## The load bench drives the API with wrk (Debian's package) on loopback.
bench: install-dev
	@bash scripts/install-debian-tool.sh wrk wrk "the wrk load figures"
	for script in bench/*.py; do echo "== $$script"; $(BIN)/python $$script || exit 1; done

clean:
	rm -rf var .pytest_cache .ruff_cache screenshots
