#!/usr/bin/env bash
# Create .venv and install the core and every first-party plugin (editable) with their test extras.
# Safe to run again: it only installs what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  echo "creating .venv with $($PYTHON --version)"
  "$PYTHON" -m venv .venv
  .venv/bin/pip install --quiet --upgrade pip setuptools wheel
fi
# torch, torchvision and timm come from the package registry together: a CPU-only torch build
# next to the registry's torchvision fails at import (operator torchvision::nms does not exist),
# so local wheel folders are ignored for this step.
if ! .venv/bin/python -c "import torch, torchvision, timm" 2>/dev/null; then
  echo "installing torch, torchvision, timm (large download, runs on the CPU)"
  PIP_FIND_LINKS= .venv/bin/pip install --quiet torch torchvision timm
fi
PLUGINS=$(ls -d plugins/lead_*/ | sed 's#/$##')
ARGS=(-e ".[test,ray]")
for plugin in $PLUGINS; do ARGS+=(-e "$plugin[test]"); done
echo "installing lead-framework and plugins: $(echo $PLUGINS | tr '\n' ' ')"
PIP_FIND_LINKS= .venv/bin/pip install --quiet "${ARGS[@]}"
LEADFW_STRICT_PLUGINS=1 .venv/bin/leadfw plugins
