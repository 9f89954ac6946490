#!/usr/bin/env bash
# Sets up (scripts/setup.sh), then lint, architecture contracts, type check and the test suite.
# Extra arguments go to pytest (e.g. scripts/test.sh -k shots).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
export QT_QPA_PLATFORM=offscreen YOLO_OFFLINE=1 HF_HUB_OFFLINE=1 PYTHONDONTWRITEBYTECODE=1
echo "== ruff"; .venv/bin/ruff check .
echo "== import contracts"; .venv/bin/lint-imports
echo "== mypy"; .venv/bin/mypy core models app bench
echo "== pytest"; .venv/bin/pytest -q "$@"
