"""All background actors of a route: spawning (seeded), the per-tick update, the actor arrays.

Row layout of :attr:`Traffic.actors` (fixed for a route): row 0 the ego, then cars, bicycles,
walkers and props. The arrays are updated in place every tick. Actors that others own (scenario
actors) are handed in with :meth:`Traffic.set_extra_actors`: traffic stops for them and
:attr:`Traffic.scene_actors` lists them after the traffic's own rows.
"""

from __future__ import annotations

import attrs
import carla
import numpy as np

from lead_sim.scene import ActorArrays, ActorKind
from lead_sim.traffic.lanes import LaneGraph, lane_graph_for
from lead_sim.traffic.lights import TrafficLightController
from lead_sim.traffic.props import PROP_BLUEPRINT, PROP_EXTENT, place_props
from lead_sim.traffic.stops import build_stop_signs
from lead_sim.traffic.vehicles import LaneFollowers, Obstacles
from lead_sim.traffic.walkers import WALKER_EXTENT, Walkers, build_sidewalks, crosswalk_ends

#: CARLA car blueprints with their bounding-box half extents (metres).
CAR_MODELS: tuple[tuple[str, tuple[float, float, float]], ...] = (
    ("vehicle.tesla.model3", (2.40, 1.08, 0.75)),
    ("vehicle.audi.a2", (1.86, 0.90, 0.77)),
    ("vehicle.mercedes.coupe_2020", (2.51, 1.05, 0.73)),
    ("vehicle.nissan.patrol_2021", (2.78, 1.07, 0.95)),
    ("vehicle.mini.cooper_s_2021", (2.26, 1.03, 0.89)),
)
BICYCLE_MODEL = ("vehicle.diamondback.century", (0.82, 0.35, 0.75))
WALKER_BLUEPRINT = "walker.pedestrian.0001"
#: Spawned actors keep this distance (metres) from the ego and from each other.
EGO_CLEARANCE_M = 25.0
SPAWN_SPACING_M = 10.0
#: Junction lanes within this distance (metres) of the ego (now or 1.5 s ahead) are held for it.
EGO_JUNCTION_REACH_M = 3.0


@attrs.define(frozen=True)
class TrafficSpec:
    vehicles: int = 30
    bicycles: int = 0
    walkers: int = 10
    props: int = 0


class Traffic:
    """Background traffic of one route around an ego starting at ``ego_position``."""

    def __init__(
        self,
        town_map: carla.Map,
        spec: TrafficSpec,
        rng: np.random.Generator,
        ego_position: np.ndarray,
        ego_extent: tuple[float, float, float],
        ego_blueprint: str,
    ) -> None:
        graph = lane_graph_for(town_map)
        self.graph = graph
        self.rng = rng
        self.lights = TrafficLightController(graph, rng)
        self.stop_signs, self.lane_stop = build_stop_signs(graph)
        self._spawn_lanes = np.flatnonzero(~graph.is_junction & ~graph.dead_end & (graph.length > 4.0))
        self._junctions = _JunctionAreas(graph)
        models = [CAR_MODELS[int(k)] for k in rng.integers(len(CAR_MODELS), size=spec.vehicles)]
        models += [BICYCLE_MODEL] * spec.bicycles
        lanes, s = self._spawn_places(len(models), ego_position)
        n_lane = lanes.shape[0]
        models = models[:n_lane]
        is_bike = np.array([m is BICYCLE_MODEL for m in models], dtype=bool)
        extent = np.array([m[1] for m in models], dtype=np.float64).reshape(-1, 3)
        # Cars keep to 80-100 % of the lane's speed limit; bicycles ride at 4-5.5 m/s.
        limit_fraction = np.where(is_bike, 1.0, rng.uniform(0.8, 1.0, n_lane))
        speed = np.where(is_bike, rng.uniform(4.0, 5.5, n_lane), np.inf)
        offset = np.where(is_bike, 0.5 * graph.width[lanes] - 0.7, 0.0)
        self.fleet = LaneFollowers(
            graph, self.lights.lane_light, self.lights.states, self.lane_stop,
            lanes, s, speed, limit_fraction, extent, offset, rng,
        )
        sidewalks = build_sidewalks(graph) if spec.walkers else None
        self.walkers = Walkers(sidewalks, crosswalk_ends(town_map), spec.walkers, rng, ego_position)
        prop_position, prop_yaw = place_props(graph, spec.props, rng, ego_position)

        n_walk, n_prop = len(self.walkers), spec.props
        total = 1 + n_lane + n_walk + n_prop
        self.fleet_rows = np.arange(1, 1 + n_lane)
        self.walker_rows = slice(1 + n_lane, 1 + n_lane + n_walk)
        prop_rows = slice(1 + n_lane + n_walk, total)
        kinds = np.concatenate(
            [
                [int(ActorKind.VEHICLE)],
                np.where(is_bike, int(ActorKind.BICYCLE), int(ActorKind.VEHICLE)),
                np.full(n_walk, int(ActorKind.WALKER)),
                np.full(n_prop, int(ActorKind.OBSTACLE)),
            ]
        ).astype(np.int8)
        self.actors = ActorArrays(
            ids=np.arange(total, dtype=np.int64),
            kinds=kinds,
            position=np.zeros((total, 3)),
            yaw=np.zeros(total),
            extent=np.zeros((total, 3)),
            velocity=np.zeros((total, 3)),
            blueprints=[ego_blueprint] + [m[0] for m in models] + [WALKER_BLUEPRINT] * n_walk + [PROP_BLUEPRINT] * n_prop,
        )
        a = self.actors
        a.extent[0] = ego_extent
        a.extent[self.fleet_rows] = extent
        a.extent[self.walker_rows] = WALKER_EXTENT
        a.extent[prop_rows] = PROP_EXTENT
        a.position[prop_rows] = prop_position
        a.yaw[prop_rows] = prop_yaw
        a.position[0] = ego_position
        self._obstacles = Obstacles(a.position[:, :2], a.yaw, a.extent[:, :2], a.velocity[:, :2])
        self._extra: ActorArrays | None = None
        self.scene_actors = self.actors
        self._write_dynamic()

    def _spawn_places(
        self, count: int, ego_position: np.ndarray, occupied: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Up to ``count`` seeded ``(lane, s)`` places clear of the ego and of ``occupied`` (K, 2)."""
        g = self.graph
        weights = g.length[self._spawn_lanes] / g.length[self._spawn_lanes].sum()
        lanes: list[int] = []
        s_values: list[float] = []
        placed: list[np.ndarray] = [] if occupied is None else list(occupied)
        for _ in range(count):
            for _attempt in range(200):
                lane = int(self.rng.choice(self._spawn_lanes, p=weights))
                s = float(self.rng.uniform(2.0, g.length[lane] - 2.0))
                xy = g.pose_at(np.array([lane]), np.array([s]))[0][0, :2]
                if np.hypot(*(xy - ego_position[:2])) < EGO_CLEARANCE_M:
                    continue
                if placed and np.min(np.linalg.norm(np.asarray(placed) - xy, axis=1)) < SPAWN_SPACING_M:
                    continue
                lanes.append(lane)
                s_values.append(s)
                placed.append(xy)
                break
        return np.asarray(lanes, dtype=np.int64), np.asarray(s_values, dtype=np.float64)

    def set_ego(self, position: np.ndarray, yaw: float, velocity: np.ndarray) -> None:
        a = self.actors
        a.position[0] = position
        a.yaw[0] = yaw
        a.velocity[0] = velocity

    def ego_junction_lanes(self) -> frozenset[int]:
        """Junction lanes the ego is on or about to be on (traffic does not enter across them)."""
        a = self.actors
        here = a.position[0, :2]
        return self._junctions.lanes_near(here, here + 1.5 * a.velocity[0, :2], EGO_JUNCTION_REACH_M)

    def set_extra_actors(self, extra: ActorArrays | None) -> None:
        """Actors owned elsewhere (scenarios) for the coming ticks; None or empty removes them."""
        self._extra = extra if extra is not None and len(extra) else None
        self.scene_actors = self.actors if self._extra is None else _concatenate(self.actors, self._extra)

    def step(self, dt: float, time_s: float) -> None:
        self.lights.update(time_s)
        self.fleet.light_states = self.lights.states
        obstacles = self._obstacles
        if self._extra is not None:
            e = self._extra
            obstacles = Obstacles(
                np.concatenate([obstacles.position, e.position[:, :2]]),
                np.concatenate([obstacles.yaw, e.yaw]),
                np.concatenate([obstacles.extent, e.extent[:, :2]]),
                np.concatenate([obstacles.velocity, e.velocity[:, :2]]),
            )
        self.fleet.step(dt, obstacles, self.fleet_rows, self.ego_junction_lanes)
        for i in self.fleet.dead_ends():
            self._respawn(int(i))
        self.walkers.step(dt)
        self._write_dynamic()

    def _respawn(self, i: int) -> None:
        lanes, s = self._spawn_places(1, self.actors.position[0], self.actors.position[1:, :2])
        if lanes.size:
            self.fleet.place(i, int(lanes[0]), float(s[0]))

    def _write_dynamic(self) -> None:
        a, f, w = self.actors, self.fleet, self.walkers
        rows = self.fleet_rows
        a.position[rows] = f.position
        a.yaw[rows] = f.yaw
        a.velocity[rows] = f.velocity
        a.position[self.walker_rows] = w.position
        a.yaw[self.walker_rows] = w.yaw
        a.velocity[self.walker_rows] = w.velocity
        if self._extra is not None:
            self.scene_actors = _concatenate(self.actors, self._extra)


def _concatenate(first: ActorArrays, second: ActorArrays) -> ActorArrays:
    return ActorArrays(
        ids=np.concatenate([first.ids, second.ids]),
        kinds=np.concatenate([first.kinds, second.kinds]),
        position=np.concatenate([first.position, second.position]),
        yaw=np.concatenate([first.yaw, second.yaw]),
        extent=np.concatenate([first.extent, second.extent]),
        velocity=np.concatenate([first.velocity, second.velocity]),
        blueprints=first.blueprints + second.blueprints,
    )


class _JunctionAreas:
    """Junction lane points grouped per junction, with each junction's bounding box."""

    def __init__(self, graph: LaneGraph) -> None:
        self.points: list[np.ndarray] = []
        self.point_lanes: list[np.ndarray] = []
        boxes = []
        for junction in np.unique(graph.junction_id[graph.junction_id >= 0]):
            lanes = np.flatnonzero(graph.junction_id == junction)
            self.points.append(np.concatenate([graph.lane_points(int(lane))[:, :2] for lane in lanes]))
            self.point_lanes.append(np.concatenate([np.full(graph.count[lane], lane) for lane in lanes]))
            boxes.append(np.concatenate([self.points[-1].min(axis=0), self.points[-1].max(axis=0)]))
        self.boxes = np.asarray(boxes).reshape(-1, 4)

    def lanes_near(self, a: np.ndarray, b: np.ndarray, reach: float) -> frozenset[int]:
        """Junction lanes with a point within ``reach`` of ``a`` or ``b``."""
        if self.boxes.size == 0:
            return frozenset()
        low = np.minimum(a, b) - reach
        high = np.maximum(a, b) + reach
        boxes = self.boxes
        inside = (boxes[:, 0] <= high[0]) & (boxes[:, 2] >= low[0]) & (boxes[:, 1] <= high[1]) & (boxes[:, 3] >= low[1])
        candidates = inside.nonzero()[0]
        lanes: set[int] = set()
        for junction in candidates:
            pts = self.points[junction]
            d_a = (pts[:, 0] - a[0]) ** 2 + (pts[:, 1] - a[1]) ** 2
            d_b = (pts[:, 0] - b[0]) ** 2 + (pts[:, 1] - b[1]) ** 2
            lanes.update(self.point_lanes[junction][(d_a < reach * reach) | (d_b < reach * reach)].tolist())
        return frozenset(lanes)
