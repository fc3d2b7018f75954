#!/usr/bin/env bash
# Runs the app locally: installs what it needs, starts Azurite and PostgreSQL, loads the sample data,
# and serves the app and the site on http://127.0.0.1:7071 until Ctrl+C.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh --export
[ -f local.settings.json ] || cp local.settings.example.json local.settings.json

exports=$(.venv/bin/python -m devstack up)
eval "$exports"
trap '.venv/bin/python -m devstack down' EXIT

.venv/bin/python -m scripts.prepare_local

.venv/bin/python -m devhost --app-dir . --port "${PORT:-7071}"
