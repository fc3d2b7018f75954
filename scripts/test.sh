#!/usr/bin/env bash
# The test command: installs what the tests need, then runs every test (unit, integration, e2e).
# Each test fixture starts the services it needs (Azurite, PostgreSQL, devhost) on free loopback
# ports and stops them at the end. Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh --export --browser --gimp
mkdir -p artifacts
.venv/bin/ruff check --quiet .
exec .venv/bin/python -m pytest "$@"
