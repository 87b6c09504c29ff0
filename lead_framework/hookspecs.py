"""The hook API: one registrar hook per component kind.

Each hook receives a ``register`` callable. A plugin calls it once per component::

    @hookimpl
    def lead_register_agents(register):
        register("my_agent", MyAgent, config=MyAgentConfig, description="Drives by ...")

``register(name, factory, *, config=None, description="", revision=0)``: ``factory(config)``
builds the component from an instance of ``config`` (an attrs class whose fields are the
component's YAML section). ``revision`` is bumped by the plugin whenever a code change alters what
the component produces; ``leadfw run`` treats results made with another revision as stale. Hooks
only ever gain optional arguments, so a plugin written today keeps working.
"""

from __future__ import annotations

import pluggy

PROJECT_NAME = "lead_framework"
ENTRY_POINT_GROUP = "lead_framework"

hookspec = pluggy.HookspecMarker(PROJECT_NAME)
hookimpl = pluggy.HookimplMarker(PROJECT_NAME)


@hookspec
def lead_register_worlds(register):
    """Register simulator backends (``factory(config) -> lead_framework.world.World``)."""


@hookspec
def lead_register_sensors(register):
    """Register sensor kinds and named rigs (``factory(config) -> list[SensorSpec]`` for rigs)."""


@hookspec
def lead_register_scenarios(register):
    """Register scenario behaviours by their official type name (e.g. ``Accident``)."""


@hookspec
def lead_register_datasets(register):
    """Register data-set readers and writers (``factory(config)`` returns the reader)."""


@hookspec
def lead_register_backbones(register):
    """Register feature extractors for learned models."""


@hookspec
def lead_register_planners(register):
    """Register trajectory or speed planners."""


@hookspec
def lead_register_agents(register):
    """Register things that drive (``factory(config) -> lead_framework.agent.Agent``)."""


@hookspec
def lead_register_benchmarks(register):
    """Register route sets with their protocol and metrics."""


@hookspec
def lead_register_stages(register):
    """Register experiment stage kinds (``factory(config) -> lead_framework.stages.Stage``)."""


@hookspec
def lead_register_commands(register):
    """Register ``leadfw`` subcommands (``factory(config)`` returns a :class:`lead_framework.cli.PluginCommand`)."""
