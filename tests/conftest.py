"""Fixtures for the core tests."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

import pytest

from lead_framework import plugins as plugins_module


@pytest.fixture
def plugin_path(tmp_path, monkeypatch):
    """A folder on sys.path for throwaway plugin distributions; the plugin set reloads after."""
    root = tmp_path / "site"
    root.mkdir()
    # These tests load deliberately broken plugins; strict mode is switched on per test.
    monkeypatch.delenv("LEADFW_STRICT_PLUGINS", raising=False)
    monkeypatch.syspath_prepend(str(root))
    importlib.invalidate_caches()
    plugins_module.set_plugins(None)
    before = set(sys.modules)
    yield root
    for name in set(sys.modules) - before:
        if getattr(sys.modules[name], "__file__", "") and str(root) in sys.modules[name].__file__:
            del sys.modules[name]
    plugins_module.set_plugins(None)


TOY_SOURCE = Path(__file__).with_name("toy_plugin.py").read_text(encoding="utf-8")


@pytest.fixture
def toy_path(plugin_path):
    """``plugin_path`` with the toy plugin (stage ``count``, agent ``toy_agent``) installed."""
    from lead_framework.testing import make_distribution

    make_distribution(plugin_path, "lead-toy", "lead_toy", TOY_SOURCE, entry_point="toy")
    plugins_module.set_plugins(None)
    return plugin_path
