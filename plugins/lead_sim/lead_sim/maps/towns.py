"""Loading towns: procedural presets, ``.xodr`` files and the CARLA towns, parsed by ``carla.Map``.

``load_town`` caches one :class:`TownMap` per resolved source and process, so every module of the
simulator (world, traffic, sensors, criteria, routes) shares the parsed map and its derived data.
"""

from __future__ import annotations

import functools
import gzip
import importlib.util
import math
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs
import carla

if TYPE_CHECKING:
    from lead_sim.routes.graph import LaneGraph

#: The CARLA towns whose OpenDRIVE files ship with a CARLA install and with the ``py123d`` package.
CARLA_TOWNS = (
    "Town01", "Town02", "Town03", "Town04", "Town05", "Town06", "Town07",
    "Town10HD", "Town11", "Town12", "Town13", "Town15",
)


class TownNotFoundError(LookupError):
    """A town name that is neither a preset, nor an existing file, nor a CARLA town found on disk."""


@attrs.define(eq=False)
class TownMap:
    """A parsed town and the data derived from it on first use.

    ``name`` is the name given to :func:`load_town` (or the file stem), ``xodr`` the OpenDRIVE
    text, ``map`` the ``carla.Map`` parsed from it, ``source`` where the text came from.
    """

    name: str
    xodr: str
    map: carla.Map
    source: str = ""
    _cache: dict[Any, Any] = attrs.field(factory=dict, init=False, repr=False)

    @property
    def lane_graph(self) -> LaneGraph:
        """The lane graph the route planner searches (built once per town)."""
        if "lane_graph" not in self._cache:
            from lead_sim.routes.graph import build_lane_graph

            self._cache["lane_graph"] = build_lane_graph(self.map)
        return self._cache["lane_graph"]

    def drivable_waypoints(self, spacing: float = 2.0) -> list[carla.Waypoint]:
        """Waypoints every ``spacing`` metres on every driving lane, junctions included."""
        key = ("drivable", float(spacing))
        if key not in self._cache:
            self._cache[key] = [
                wp for wp in self.map.generate_waypoints(float(spacing))
                if wp.lane_type == carla.LaneType.Driving
            ]
        return self._cache[key]

    def spawn_points(self, min_spacing_m: float = 10.0) -> list[tuple[float, float, float, float]]:
        """Vehicle start poses ``(x, y, z, yaw_rad)`` on driving lanes outside junctions.

        Offline ``carla.Map.get_spawn_points()`` is empty, so poses come from waypoints spaced
        ``min_spacing_m`` along each lane, in a fixed order (road, lane, s) for determinism.
        Points within 3 m of a junction (or of a dead end) are left out, so a vehicle never starts
        inside a junction or on its stop line.
        """
        key = ("spawn", float(min_spacing_m))
        if key not in self._cache:
            candidates = []
            for wp in self.drivable_waypoints(min_spacing_m):
                near = wp.next(3.0) + wp.previous(3.0)
                if wp.is_junction or not near or any(n.is_junction for n in near):
                    continue
                t = wp.transform
                candidates.append(((wp.road_id, wp.lane_id, round(wp.s, 3)),
                                   (t.location.x, t.location.y, t.location.z,
                                    math.radians(t.rotation.yaw))))
            candidates.sort(key=lambda item: item[0])
            self._cache[key] = [pose for _, pose in candidates]
        return self._cache[key]


def _carla_search_dirs() -> list[Path]:
    """Folders searched for ``<Town>.xodr`` / ``<Town>.xodr.gz``, in order."""
    dirs = []
    carla_root = os.environ.get("CARLA_ROOT")
    if carla_root:
        dirs.append(Path(carla_root) / "CarlaUE4" / "Content" / "Carla" / "Maps" / "OpenDrive")
    spec = importlib.util.find_spec("py123d")
    if spec is not None and spec.submodule_search_locations:
        for location in spec.submodule_search_locations:
            dirs.append(Path(location) / "parser" / "opendrive" / "carla_maps")
    return dirs


def find_carla_town(name: str) -> Path | None:
    """The OpenDRIVE file of CARLA town ``name`` (CARLA install first, then py123d), or None."""
    for folder in _carla_search_dirs():
        for suffix in (".xodr", ".xodr.gz"):
            candidate = folder / f"{name}{suffix}"
            if candidate.is_file():
                return candidate
    return None


def _read_xodr(path: Path) -> str:
    if path.name.endswith(".gz"):
        with gzip.open(path, "rt", encoding="utf-8") as handle:
            return handle.read()
    return path.read_text(encoding="utf-8")


def _looks_like_path(name: str) -> bool:
    return name.endswith((".xodr", ".xodr.gz")) or os.sep in name or "/" in name


def resolve_town_source(name_or_path: str) -> tuple[str, str, str]:
    """``(name, xodr_text, source)`` for a preset name, an ``.xodr`` path or a CARLA town name."""
    from lead_sim.maps.presets import PRESETS

    if name_or_path in PRESETS:
        return name_or_path, PRESETS[name_or_path](), f"preset:{name_or_path}"
    if _looks_like_path(name_or_path):
        path = Path(name_or_path).expanduser()
        if path.is_file():
            stem = path.name.split(".xodr")[0]
            return stem, _read_xodr(path), str(path.resolve())
        raise TownNotFoundError(
            f"town file {name_or_path!r} does not exist (resolved to {path.resolve()}); "
            f"give an existing .xodr/.xodr.gz file, a CARLA town name or a preset: "
            f"{', '.join(sorted(PRESETS))}"
        )
    found = find_carla_town(name_or_path)
    if found is not None:
        return name_or_path, _read_xodr(found), str(found)
    looked = [str(d / f"{name_or_path}.xodr[.gz]") for d in _carla_search_dirs()]
    hint = ""
    if not os.environ.get("CARLA_ROOT"):
        hint = " (CARLA_ROOT is not set)"
    if importlib.util.find_spec("py123d") is None:
        hint += " (py123d is not installed: `pip install py123d` bundles the CARLA towns)"
    raise TownNotFoundError(
        f"unknown town {name_or_path!r}: not a preset ({', '.join(sorted(PRESETS))}), "
        f"not an existing .xodr path, and no OpenDRIVE file found at: "
        f"{'; '.join(looked) if looked else 'no search folder'}{hint}. "
        f"CARLA towns: {', '.join(CARLA_TOWNS)}"
    )


@functools.lru_cache(maxsize=None)
def _load_resolved(key: str) -> TownMap:
    name, xodr, source = resolve_town_source(key)
    return TownMap(name=name, xodr=xodr, map=carla.Map(name, xodr), source=source)


def load_town(name_or_path: str) -> TownMap:
    """The parsed town for a preset name, a path to ``.xodr``/``.xodr.gz``, or a CARLA town name.

    Cached per process: the same argument returns the same :class:`TownMap` object.
    Raises :class:`TownNotFoundError` listing every place searched and the preset names.
    """
    key = name_or_path
    if _looks_like_path(name_or_path):
        key = str(Path(name_or_path).expanduser().resolve())
    return _load_resolved(key)
