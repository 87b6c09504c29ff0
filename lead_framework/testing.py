"""Helpers for testing plugins: throwaway installed distributions and the ``leadfw`` CLI in a subprocess."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path


def make_distribution(root: Path, dist_name: str, module_name: str, source: str, entry_point: str | None = None, version: str = "1.0") -> Path:
    """Write an importable module plus a ``*.dist-info`` with a ``lead_framework`` entry point.

    ``importlib.metadata`` discovers it exactly like a pip-installed plugin once ``root`` is on
    the path (``sys.path`` or ``PYTHONPATH``).
    """
    root.mkdir(parents=True, exist_ok=True)
    (root / f"{module_name}.py").write_text(textwrap.dedent(source), encoding="utf-8")
    info = root / f"{dist_name.replace('-', '_')}-{version}.dist-info"
    info.mkdir(exist_ok=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist_name}\nVersion: {version}\n", encoding="utf-8")
    (info / "entry_points.txt").write_text(f"[lead_framework]\n{entry_point or module_name} = {module_name}\n", encoding="utf-8")
    return root


def run_leadfw(*args: str, env_extra: dict[str, str] | None = None, cwd: Path | None = None, timeout: float = 600) -> subprocess.CompletedProcess:
    """Run ``leadfw ARGS`` with this interpreter; returns the completed process (text output)."""
    env = {**os.environ, **(env_extra or {})}
    if "PYTHONPATH" in (env_extra or {}) and os.environ.get("PYTHONPATH"):
        env["PYTHONPATH"] = env_extra["PYTHONPATH"] + os.pathsep + os.environ["PYTHONPATH"]
    return subprocess.run([sys.executable, "-m", "lead_framework.cli", *args], capture_output=True, text=True, env=env, cwd=cwd, timeout=timeout)
