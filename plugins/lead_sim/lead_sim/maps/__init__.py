"""Towns for the embedded simulator: procedural OpenDRIVE presets, ``.xodr`` files, CARLA towns."""

from lead_sim.maps.opendrive_gen import write_town
from lead_sim.maps.towns import CARLA_TOWNS, TownMap, TownNotFoundError, load_town

__all__ = ["CARLA_TOWNS", "TownMap", "TownNotFoundError", "load_town", "write_town"]
