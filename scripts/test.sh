#!/usr/bin/env bash
# Run the whole suite on SQLite and, when a PostgreSQL server is reachable (or TEST_DATABASE_URL
# is given), on a throw-away PostgreSQL database too, created here and dropped afterwards.
set -euo pipefail
cd "$(dirname "$0")/.."

created_db=""
cleanup() {
  if [ -n "$created_db" ]; then
    # The page tests make a companion database of their own (`<name>_ui`).
    for name in "$created_db" "${created_db}_ui"; do
      dropdb -h "${PGHOST:-127.0.0.1}" -U "${PGUSER:-postgres}" --if-exists --force "$name" >/dev/null 2>&1 || true
    done
  fi
}
trap cleanup EXIT

if [ -z "${TEST_DATABASE_URL:-}" ] && command -v pg_isready >/dev/null 2>&1 \
    && pg_isready -q -h "${PGHOST:-127.0.0.1}" -p "${PGPORT:-5432}"; then
  created_db="stockcast_test_$$_$(date +%s)"
  createdb -h "${PGHOST:-127.0.0.1}" -U "${PGUSER:-postgres}" "$created_db"
  export TEST_DATABASE_URL="postgresql://${PGUSER:-postgres}@${PGHOST:-127.0.0.1}:${PGPORT:-5432}/$created_db"
  echo "PostgreSQL tests on $TEST_DATABASE_URL"
else
  echo "TEST_DATABASE_URL ${TEST_DATABASE_URL:+is set}${TEST_DATABASE_URL:-not set and no local PostgreSQL: PostgreSQL tests skipped}"
fi

.venv/bin/pytest "$@"
