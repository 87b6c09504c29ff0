#!/usr/bin/env bash
# Run every test suite (core and plugins); extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
export LEADFW_STRICT_PLUGINS=1 OMP_NUM_THREADS=${OMP_NUM_THREADS:-1}
exec .venv/bin/python -m pytest tests plugins "$@"
