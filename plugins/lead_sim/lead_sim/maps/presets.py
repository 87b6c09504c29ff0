"""Named procedural towns. Each preset is a seeded layout; its OpenDRIVE text is built once per process."""

from __future__ import annotations

import functools
from collections.abc import Callable

from lead_sim.maps.layouts import build_grid_town, build_highway_town, grid_spec, irregular_spec
from lead_sim.maps.opendrive_model import TownDef
from lead_sim.maps.opendrive_writer import to_xodr

#: preset name -> function building its road network.
PRESET_BUILDERS: dict[str, Callable[[], TownDef]] = {
    "grid_small": lambda: build_grid_town(grid_spec("grid_small", 4, 4, 70.0, seed=1)),
    "grid_medium": lambda: build_grid_town(grid_spec("grid_medium", 6, 6, 80.0, seed=2, lanes=2)),
    "irregular_small": lambda: build_grid_town(irregular_spec("irregular_small", 5, 4, seed=3)),
    "irregular_medium": lambda: build_grid_town(irregular_spec("irregular_medium", 6, 5, seed=5)),
    "highway_small": lambda: build_highway_town("highway_small", seed=4),
}


@functools.lru_cache(maxsize=None)
def preset_xodr(name: str) -> str:
    """OpenDRIVE text of preset ``name``; raises KeyError listing the presets for an unknown name."""
    if name not in PRESET_BUILDERS:
        raise KeyError(f"unknown town preset {name!r}; presets: {', '.join(sorted(PRESET_BUILDERS))}")
    return to_xodr(PRESET_BUILDERS[name]())


#: preset name -> zero-argument function returning its OpenDRIVE text (what ``load_town`` uses).
PRESETS: dict[str, Callable[[], str]] = {
    name: functools.partial(preset_xodr, name) for name in PRESET_BUILDERS
}
