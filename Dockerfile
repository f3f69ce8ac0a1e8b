# syntax=docker/dockerfile:1
# Stockcast: one image for the API, the dashboard, the scheduler, the Celery worker and the
# MLflow server (docker-compose.yml picks the command). CPU-only torch.
#
#   docker build -t stockcast .
#   docker run -p 8000:8000 -e JWT_SECRET=… stockcast            # the API alone, on SQLite

# --- build: compile wheels into a virtual environment ---------------------------------------
FROM python:3.11-slim-bookworm AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
RUN apt-get update \
    && apt-get install -y --no-install-recommends build-essential \
    && rm -rf /var/lib/apt/lists/*
RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
COPY requirements.txt /tmp/requirements.txt
# torch in the SAME command as the rest, from PyTorch's CPU index: a torch resolved on its own
# (or unpinned) pulls the CUDA build and gigabytes of NVIDIA libraries.
RUN pip install --upgrade pip \
    && pip install --extra-index-url https://download.pytorch.org/whl/cpu \
        "torch==2.13.0+cpu" -r /tmp/requirements.txt

# --- runtime: the venv and the code, run as an unprivileged user -------------------------------
FROM python:3.11-slim-bookworm AS runtime
ARG UID=10001
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    HOME=/home/stockcast \
    HF_HUB_OFFLINE=1 \
    TRANSFORMERS_OFFLINE=1 \
    HF_HUB_DISABLE_PROGRESS_BARS=1 \
    MLFLOW_DISABLE_TELEMETRY=true \
    ANONYMIZED_TELEMETRY=False \
    OMP_NUM_THREADS=1 \
    DATA_DIR=/app/var \
    MLFLOW_ARTIFACT_ROOT=/app/mlruns/artifacts \
    API_HOST=0.0.0.0 \
    API_PORT=8000 \
    LOG_JSON=true
RUN useradd --create-home --uid "${UID}" --shell /usr/sbin/nologin stockcast
COPY --from=build /opt/venv /opt/venv
WORKDIR /app
COPY --chown=stockcast:stockcast . /app
# The project on the venv's path (editable: /app stays the code the image runs), so the worker
# and spawned processes import core and models whatever their working directory.
RUN pip install --no-cache-dir --no-deps -e /app
RUN mkdir -p /app/var /app/mlruns/artifacts && chown -R stockcast:stockcast /app/var /app/mlruns
USER stockcast
EXPOSE 8000 8501 5000
# /health answers 503 when the database is down; the image's python does the probe (no curl).
HEALTHCHECK --interval=30s --timeout=5s --start-period=40s --retries=3 \
    CMD ["python", "-c", "import os, sys, urllib.request; port = os.environ.get('API_PORT', '8000'); sys.exit(0 if urllib.request.urlopen(f'http://127.0.0.1:{port}/health', timeout=4).status == 200 else 1)"]
# The API (main.py) believes X-Forwarded-For/-Proto only from TRUSTED_PROXIES (default: nobody).
CMD ["python", "main.py"]
