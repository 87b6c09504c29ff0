"""Every hook is documented with its signature and exercised; the registry has a kind per hook."""

from __future__ import annotations

import inspect
import re
from pathlib import Path

import pytest

from lead_framework import hookspecs
from lead_framework.plugins import PluginSet
from lead_framework.registry import KINDS
from lead_framework.testing import make_distribution

DOCS = Path(__file__).resolve().parents[1] / "docs" / "hooks.md"
HOOKS = sorted(name for name, value in vars(hookspecs).items() if name.startswith("lead_") and callable(value))


def test_every_kind_has_a_hook_and_every_hook_a_kind():
    assert HOOKS == sorted(f"lead_register_{kind}" for kind in KINDS)


@pytest.mark.parametrize("hook", HOOKS)
def test_hook_is_documented_with_its_signature(hook):
    signature = f"{hook}{inspect.signature(getattr(hookspecs, hook))}"
    headings = re.findall(r"^## (.+)$", DOCS.read_text(encoding="utf-8"), flags=re.MULTILINE)
    assert signature in headings, f"docs/hooks.md needs a heading '## {signature}'"


def test_every_hook_is_exercised(plugin_path, monkeypatch):
    source = (Path(__file__).with_name("all_hooks_plugin.py")).read_text(encoding="utf-8")
    make_distribution(plugin_path, "lead-all-hooks", "lead_all_hooks", source, entry_point="all_hooks")
    plugins = PluginSet()
    plugins.load_entry_points()
    info = plugins.infos["all_hooks"]
    assert info.status == "ok", info.error
    assert info.hooks == HOOKS
    for kind in KINDS:
        component = plugins.registry.get(kind, f"meta_{kind.removesuffix('s')}")
        assert component.create().config is not None
        assert component.description == "A component that keeps its config."
