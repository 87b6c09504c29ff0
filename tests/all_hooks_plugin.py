"""A plugin that implements every hook once (the hook meta-test loads it)."""

from lead_framework import hookimpl


class Thing:
    """A component that keeps its config."""

    def __init__(self, config):
        self.config = config


@hookimpl
def lead_register_worlds(register):
    register("meta_world", Thing)


@hookimpl
def lead_register_sensors(register):
    register("meta_sensor", Thing)


@hookimpl
def lead_register_scenarios(register):
    register("meta_scenario", Thing)


@hookimpl
def lead_register_datasets(register):
    register("meta_dataset", Thing)


@hookimpl
def lead_register_backbones(register):
    register("meta_backbone", Thing)


@hookimpl
def lead_register_planners(register):
    register("meta_planner", Thing)


@hookimpl
def lead_register_agents(register):
    register("meta_agent", Thing)


@hookimpl
def lead_register_benchmarks(register):
    register("meta_benchmark", Thing)


@hookimpl
def lead_register_stages(register):
    register("meta_stage", Thing)


@hookimpl
def lead_register_commands(register):
    register("meta_command", Thing)
