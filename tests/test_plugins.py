"""Plugin discovery, broken-plugin isolation, strict mode, allow/block lists, conflicts."""

from __future__ import annotations

import json

import pytest
from lead_framework.testing import make_distribution, run_leadfw

from lead_framework.plugins import PluginLoadError, PluginSet
from lead_framework.registry import UnknownComponentError

GOOD = """
from lead_framework import hookimpl

class Walker:
    '''Walks slowly.'''
    def __init__(self, config):
        self.config = config

@hookimpl
def lead_register_agents(register):
    register("walker", Walker)
"""

BROKEN_IMPORT = """
raise ImportError("this plugin needs a package that is not installed")
"""

BROKEN_REGISTER = """
from lead_framework import hookimpl

@hookimpl
def lead_register_agents(register):
    register("half_done", object)
    raise RuntimeError("registration exploded")
"""

MISSPELLED_HOOK = """
from lead_framework import hookimpl

@hookimpl
def lead_register_agent(register):
    pass
"""


def load(plugin_path, monkeypatch, **env):
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    plugins = PluginSet()
    plugins.load_entry_points()
    return plugins


def test_good_plugin_is_discovered_with_provenance(plugin_path, monkeypatch):
    make_distribution(plugin_path, "lead-walker", "lead_walker", GOOD, entry_point="walker")
    plugins = load(plugin_path, monkeypatch)
    component = plugins.registry.get("agents", "walker")
    assert (component.distribution, component.version, component.plugin) == ("lead-walker", "1.0", "walker")
    assert component.description == "Walks slowly."
    assert plugins.infos["walker"].components == {"agents": ["walker"]}
    assert plugins.infos["walker"].hooks == ["lead_register_agents"]


def test_broken_plugins_are_listed_and_others_work(plugin_path, monkeypatch):
    make_distribution(plugin_path, "lead-walker", "lead_walker", GOOD, entry_point="walker")
    make_distribution(plugin_path, "lead-bad-import", "lead_bad_import", BROKEN_IMPORT)
    make_distribution(plugin_path, "lead-bad-register", "lead_bad_register", BROKEN_REGISTER)
    make_distribution(plugin_path, "lead-typo", "lead_typo", MISSPELLED_HOOK)
    plugins = load(plugin_path, monkeypatch)
    assert plugins.infos["lead_bad_import"].status == "broken"
    assert "needs a package that is not installed" in plugins.infos["lead_bad_import"].error
    assert "registration exploded" in plugins.infos["lead_bad_register"].error
    assert "lead_register_agent" in plugins.infos["lead_typo"].error
    # the half-registered component of the failed plugin is rolled back; the good one works
    assert "half_done" not in plugins.registry.names("agents")
    assert plugins.registry.get("agents", "walker")
    with pytest.raises(UnknownComponentError) as info:
        plugins.registry.get("agents", "half_done")
    assert "lead_bad_register" in str(info.value)


def test_strict_mode_makes_broken_plugins_fatal(plugin_path, monkeypatch):
    make_distribution(plugin_path, "lead-bad-import", "lead_bad_import", BROKEN_IMPORT)
    with pytest.raises(PluginLoadError, match="lead_bad_import"):
        load(plugin_path, monkeypatch, LEADFW_STRICT_PLUGINS="1")


def test_same_component_name_from_two_plugins_names_both(plugin_path, monkeypatch):
    make_distribution(plugin_path, "lead-walker", "lead_walker", GOOD, entry_point="walker")
    make_distribution(plugin_path, "lead-walker-two", "lead_walker_two", GOOD, entry_point="walker_two")
    plugins = load(plugin_path, monkeypatch)
    error = plugins.infos["walker_two"].error
    assert "registered twice" in error and "'walker'" in error and "'walker_two'" in error
    with pytest.raises(PluginLoadError, match="registered twice"):
        load(plugin_path, monkeypatch, LEADFW_STRICT_PLUGINS="1")


def test_allow_and_block_lists(plugin_path, monkeypatch):
    make_distribution(plugin_path, "lead-walker", "lead_walker", GOOD, entry_point="walker")
    make_distribution(plugin_path, "lead-bad-import", "lead_bad_import", BROKEN_IMPORT)
    only = load(plugin_path, monkeypatch, LEADFW_PLUGINS="walker")
    assert set(only.infos) == {"walker"}
    monkeypatch.delenv("LEADFW_PLUGINS")
    blocked = load(plugin_path, monkeypatch, LEADFW_DISABLE_PLUGINS="lead-bad-import,walker")
    assert "walker" not in blocked.infos and "lead_bad_import" not in blocked.infos


def test_unknown_name_suggests_close_matches(plugin_path, monkeypatch):
    make_distribution(plugin_path, "lead-walker", "lead_walker", GOOD, entry_point="walker")
    plugins = load(plugin_path, monkeypatch)
    with pytest.raises(UnknownComponentError, match="did you mean 'walker'"):
        plugins.registry.get("agents", "walkr")


def test_registering_a_non_attrs_config_is_an_error(plugin_path, monkeypatch):
    source = GOOD.replace('register("walker", Walker)', 'register("walker", Walker, config=dict)')
    make_distribution(plugin_path, "lead-walker", "lead_walker", source, entry_point="walker")
    plugins = load(plugin_path, monkeypatch)
    assert "attrs class" in plugins.infos["walker"].error


@pytest.mark.parametrize(("revision", "accepted"), [("3", True), ("-1", False), ('"2"', False), ("True", False)])
def test_a_revision_must_be_a_non_negative_integer(plugin_path, monkeypatch, revision, accepted):
    source = GOOD.replace('register("walker", Walker)', f'register("walker", Walker, revision={revision})')
    make_distribution(plugin_path, "lead-walker", "lead_walker", source, entry_point="walker")
    plugins = load(plugin_path, monkeypatch)
    if accepted:
        assert plugins.registry.get("agents", "walker").revision == 3
        listing = run_leadfw("plugins", env_extra={"PYTHONPATH": str(plugin_path)})
        assert "  agents: walker (revision 3)" in listing.stdout, listing.stderr
    else:
        assert "revision must be an integer >= 0" in plugins.infos["walker"].error


def test_leadfw_plugins_json_shows_broken_plugin(plugin_path):
    make_distribution(plugin_path, "lead-bad-import", "lead_bad_import", BROKEN_IMPORT)
    result = run_leadfw("plugins", "--json", env_extra={"PYTHONPATH": str(plugin_path), "LEADFW_STRICT_PLUGINS": "0"})
    assert result.returncode == 0, result.stderr
    listing = {entry["name"]: entry for entry in json.loads(result.stdout)}
    assert listing["lead_bad_import"]["status"] == "broken"
    assert "not installed" in listing["lead_bad_import"]["error"]
    others = [entry for name, entry in listing.items() if name != "lead_bad_import"]
    assert others and all(entry["status"] == "ok" for entry in others)
    strict = run_leadfw("plugins", env_extra={"PYTHONPATH": str(plugin_path), "LEADFW_STRICT_PLUGINS": "1"})
    assert strict.returncode == 1 and "lead_bad_import" in strict.stderr
