"""Ground truth of the embedded world for privileged agents (experts).

:class:`LeadSimPrivilegedView` is what a privileged agent receives in ``setup``. Everything it
returns is in CARLA world coordinates (metres, yaw in radians):

* ``snapshot()`` -> a copy of the current :class:`~lead_sim.scene.Scene` (row 0 = ego);
  ``scene`` is the live one (updated in place each tick; do not keep references to its arrays);
* ``town`` (:class:`~lead_sim.maps.towns.TownMap`), ``map`` (its ``carla.Map``) and
  ``lane_graph`` (the traffic's :class:`~lead_sim.traffic.lanes.LaneGraph`: lane polylines,
  successors, junction conflicts, speed limits);
* ``dense_route`` (:class:`~lead_sim.routes.DenseRoute`, 1 m points) and ``route_index``, the last
  dense point the ego has passed (the leaderboard's route completion);
* ``ego`` (:class:`~lead_sim.ego.EgoState`), ``ego_extent`` and ``ego_parameters``;
* ``traffic_lights``/``stop_signs`` with their current states, and the ones on the route ahead:
  ``lights_on_route()`` and ``stops_on_route()`` as ``(dense index of the stop line, object)``;
* ``vehicle_paths()``: each lane-following actor's row, its lane, speed and the path it will
  follow (the points its traffic model drives along), for forecasting others as a PDM planner does.
"""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING

import attrs
import numpy as np

from lead_sim.scene import Scene, StopSign, TrafficLight

if TYPE_CHECKING:
    import carla

    from lead_sim.ego import EgoParameters, EgoState
    from lead_sim.maps.towns import TownMap
    from lead_sim.routes import DenseRoute
    from lead_sim.traffic.lanes import LaneGraph
    from lead_sim.world import Episode

#: A stop line belongs to the route when a route point lies this close (metres) with aligned heading.
ON_ROUTE_DISTANCE_M = 2.0


@attrs.define
class VehiclePaths:
    """Lane-following actors: ``rows`` in the scene's actor arrays, ``lanes`` (traffic lane ids),
    ``speeds`` (m/s), ``paths`` (N, K, 2) points every metre from each actor on, ``valid`` (N,)
    how many of the K points are on its path."""

    rows: np.ndarray
    lanes: np.ndarray
    speeds: np.ndarray
    paths: np.ndarray
    valid: np.ndarray


class LeadSimPrivilegedView:
    """The privileged view of one episode (see the module docstring for what it offers)."""

    def __init__(self, episode: Episode) -> None:
        self._episode = episode
        self._lights_on_route: list[tuple[int, TrafficLight]] | None = None
        self._stops_on_route: list[tuple[int, StopSign]] | None = None

    # -- world state -------------------------------------------------------------------------
    def snapshot(self) -> Scene:
        scene = self._episode.scene
        return Scene(
            tick=scene.tick,
            time_s=scene.time_s,
            actors=copy.deepcopy(scene.actors),
            traffic_lights=[attrs.evolve(light) for light in scene.traffic_lights],
            stop_signs=list(scene.stop_signs),
        )

    @property
    def scene(self) -> Scene:
        return self._episode.scene

    @property
    def town(self) -> TownMap:
        return self._episode.town

    @property
    def map(self) -> carla.Map:
        return self._episode.town.map

    @property
    def lane_graph(self) -> LaneGraph:
        return self._episode.traffic.graph

    @property
    def dense_route(self) -> DenseRoute:
        return self._episode.dense_route

    @property
    def route_index(self) -> int:
        return max(self._episode.criteria.completion.passed, 0)

    @property
    def ego(self) -> EgoState:
        return self._episode.ego

    @property
    def ego_parameters(self) -> EgoParameters:
        return self._episode.ego_params

    @property
    def ego_extent(self) -> np.ndarray:
        return np.asarray(self._episode.ego_params.extent)

    @property
    def traffic_lights(self) -> list[TrafficLight]:
        return self._episode.scene.traffic_lights

    @property
    def stop_signs(self) -> list[StopSign]:
        return self._episode.scene.stop_signs

    # -- route-relative queries ----------------------------------------------------------------
    def _route_index_of(self, point: np.ndarray, yaw: float) -> int | None:
        route = self._episode.dense_route
        d = np.hypot(route.positions[:, 0] - point[0], route.positions[:, 1] - point[1])
        aligned = np.cos(route.yaws - yaw) > 0.5
        candidates = np.flatnonzero((d < ON_ROUTE_DISTANCE_M) & aligned)
        return int(candidates[np.argmin(d[candidates])]) if candidates.size else None

    def lights_on_route(self) -> list[tuple[int, TrafficLight]]:
        """Lights whose stop line the route crosses, with the dense index there, in route order."""
        if self._lights_on_route is None:
            found = []
            for light in self.traffic_lights:
                for line, yaw in zip(light.stop_lines, light.stop_yaws):
                    index = self._route_index_of(line.mean(axis=0), float(yaw))
                    if index is not None:
                        found.append((index, light))
                        break
            self._lights_on_route = sorted(found, key=lambda item: item[0])
        return self._lights_on_route

    def stops_on_route(self) -> list[tuple[int, StopSign]]:
        """Stop signs whose trigger volume the route passes, with the dense index at its centre."""
        if self._stops_on_route is None:
            found = []
            for stop in self.stop_signs:
                index = self._route_index_of(stop.trigger_center, stop.trigger_yaw)
                if index is not None:
                    found.append((index, stop))
            self._stops_on_route = sorted(found, key=lambda item: item[0])
        return self._stops_on_route

    def vehicle_paths(self, horizon_m: int = 60) -> VehiclePaths:
        """The next ``horizon_m`` metres of every lane-following actor's path."""
        traffic = self._episode.traffic
        fleet = traffic.fleet
        start = np.clip((fleet.odometer - fleet.buffer_start).astype(np.int64), 0, None)
        index = np.minimum(start[:, None] + np.arange(horizon_m)[None, :], fleet.buffer_valid[:, None] - 1)
        rows = np.arange(len(fleet))
        return VehiclePaths(
            rows=traffic.fleet_rows.copy(),
            lanes=fleet.lane.copy(),
            speeds=fleet.speed.copy(),
            paths=fleet.buffer_xy[rows[:, None], index].copy(),
            valid=np.clip(fleet.buffer_valid - start, 0, horizon_m),
        )
