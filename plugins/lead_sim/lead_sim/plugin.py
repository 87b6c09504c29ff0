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
    )
