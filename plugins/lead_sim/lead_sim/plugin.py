"""Registers the embedded simulator's components with the LEAD framework."""

from lead_framework import hookimpl


@hookimpl
def lead_register_sensors(register):
    """Sensor kinds rendered on the CPU and the named rigs."""
    from lead_sim.rigs import RIGS
    from lead_sim.sensors.suite import SENSOR_KINDS

    for name, kind in SENSOR_KINDS.items():
        register(name, kind.factory, config=kind.config_class, description=kind.description)
    for name, (factory, config_class, description) in RIGS.items():
        register(name, factory, config=config_class, description=description)


@hookimpl
def lead_register_worlds(register):
    """The embedded CPU world."""
    from lead_sim.world import LeadSimConfig, LeadSimWorld

    register(
        "leadsim",
        LeadSimWorld,
        config=LeadSimConfig,
        description="Embedded CPU world: OpenDRIVE roads, IDM traffic, lights, walkers, Leaderboard 2.0 criteria",
        # bump whenever sensor frames, traffic or criteria change, so that `leadfw run` collects
        # and evaluates again; 1: light poles and stop signs stand beside the road; 2: traffic is
        # blocked only by actors within its half width of its path (a car standing at an angle in
        # the next lane no longer stops it)
        revision=2,
    )


@hookimpl
def lead_register_scenarios(register):
    """The 38 Leaderboard 2.0 scenario types and the 8 Bench2Drive adds, by official name."""
    from lead_sim.scenarios.catalog import SCENARIO_CLASSES, describe

    for name, cls in SCENARIO_CLASSES.items():
        register(name, lambda config, cls=cls: cls, description=describe(cls))


@hookimpl
def lead_register_benchmarks(register):
    """Bench2Drive, Longest6 and Town13 on generated (or official) route sets."""
    from lead_sim.benchmarks import Bench2DriveBenchmark, Bench2DriveConfig, Longest6Benchmark, SimBenchmarkConfig, Town13Benchmark

    register("bench2drive", Bench2DriveBenchmark, config=Bench2DriveConfig,
             description="Bench2Drive: short one-scenario routes, 60 s blocked, 4000 ticks; DS, SR, efficiency, comfort, abilities")
    register("longest6", Longest6Benchmark, config=SimBenchmarkConfig,
             description="Longest6 v2 style: long routes with ~12 scenarios, unmodified Leaderboard 2.0")
    register("town13", Town13Benchmark, config=SimBenchmarkConfig,
             description="Town13 validation style: long routes dense with scenarios; DS and NDS")


@hookimpl
def lead_register_agents(register):
    """Baseline agents of the embedded world."""
    from lead_sim.agents import RouteFollower, RouteFollowerConfig

    register("route_follower", RouteFollower, config=RouteFollowerConfig,
             description="Baseline: pure-pursuit on the route, blind to other actors, optionally obeys lights and stops")


@hookimpl
def lead_register_commands(register):
    """``leadfw render`` and ``leadfw routes``."""
    from lead_sim.render import RenderCommand
    from lead_sim.routes_command import RoutesCommand

    register("render", RenderCommand, description=RenderCommand.help)
    register("routes", RoutesCommand, description=RoutesCommand.help)
