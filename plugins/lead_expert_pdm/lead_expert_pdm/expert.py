"""The PDM-Lite-style expert (agent ``pdm_expert``): drives from the world's privileged view.

Every tick:

1. project the ego onto the smoothed dense route;
2. base target speed: 0.72 x the lane's speed limit, clamped to [6.75, 20] m/s, capped at 25 km/h
   in and just before junctions, and by a comfortable lateral acceleration in curves;
3. shift the path (:mod:`lead_expert_pdm.shifts`): around obstacles and slow bicycles blocking
   the lane (through the oncoming lane only in a gap of its traffic), aside for an emergency
   vehicle coming from behind (then wait for it to pass), right of oncoming cars cutting into the
   lane; lights and stops are those where the shifted path passes them;
4. forecast the ego (bicycle model + its own controllers, 2.0 s, 1.1 s near lane changes, 20 Hz)
   and the other actors; every actor whose forecast box meets the ego's at the same step is a
   hazard (a vehicle whose path crosses the ego's route where the forecasts meet in a junction
   counts at that point, not at its distance ahead); red/yellow lights and unserved stop signs on the
   route are hazards at their stop line;
5. target speed = the minimum IDM target over the hazards (``pdm_idm`` planner);
6. starting beside the route (a parking spot), wait for a gap in the lane's traffic; after ~170
   ticks standing behind a vehicle or obstacle, creep forward;
7. lateral PID on a speed-dependent look-ahead point; throttle/brake from target and speed.

The collect stage saves ``decision`` and the (shifted) path from ``planned_path`` as labels.

Only the privileged view is used: ``snapshot()`` (actors, lights, stop signs), ``dense_route``,
``town`` (speed limits from its OpenDRIVE), ``map`` (neighbouring lanes), ``lights_on_route()``,
``stops_on_route()``, ``ego_parameters``/``ego_extent``. A CARLA view offering these drives the
same expert.
"""

from __future__ import annotations

import math
from typing import Any

import attrs
import numpy as np

from lead_expert_pdm.actors import (
    BICYCLE,
    OBSTACLE,
    PARKED,
    VEHICLE_KINDS,
    WALKER,
    ActorTracker,
    Forecast,
    invisible_actor_ids,
)
from lead_expert_pdm.bicycle import BicycleParameters
from lead_expert_pdm.ego_forecast import forecast_ego, heading_error
from lead_expert_pdm.geometry import boxes_intersect, to_local, wrap_angle
from lead_expert_pdm.idm import HazardType, IdmPlanner
from lead_expert_pdm.route import CHANGE_LANE_OPTIONS, ExpertRoute
from lead_expert_pdm.shifts import OVERTAKE_SPEED, ObstacleShifter
from lead_expert_pdm.signals import light_crossings, stop_zones
from lead_framework.agent import Agent, PrivilegedView, VehicleControl
from lead_framework.controllers import LateralPid, LongitudinalController
from lead_framework.route import RoutePlan, arc_lengths
from lead_framework.sensors import SensorSpec
from lead_framework.world import TICK_RATE_HZ

DT = 1.0 / TICK_RATE_HZ
RED, YELLOW = 0, 1
STANDING_SPEED = 0.1
#: Ticks to stand at a stop sign before it counts as served (a route may start at rest inside one).
STOP_STANDING_TICKS = 3
#: Lights and stop signs farther along the route than this (metres) are not considered.
SIGNAL_HORIZON_M = 60.0
#: The ego box is widened by this margin (metres per side) in forecasts.
EGO_WIDTH_MARGIN_M = 0.15
EGO_LENGTH_MARGIN_M = 0.5
#: Speed (m/s) while moving aside for an emergency vehicle; once aside, the ego waits for it to pass.
YIELD_SPEED = 3.0
#: Starting farther than this (metres) from the route, the ego merges into the lane through a gap of
#: ``MERGE_GAP_S`` seconds of the vehicles coming from behind;
#: it waits only while farther than ``MERGE_COMMIT_OFFSET_M`` (not yet in the lane); merging ends
#: within ``MERGE_DONE_OFFSET_M`` of the route.
MERGE_FROM_OFFSET_M = 1.5
MERGE_DONE_OFFSET_M = 0.8
MERGE_COMMIT_OFFSET_M = 2.6
MERGE_GAP_S = 2.5
MERGE_SIDE_MARGIN_M = 1.0
#: A vehicle moving faster than this (m/s) with less than this fraction of its speed along the
#: ego's heading, whose path comes within ``CROSSING_LINE_M`` of the ego's route line (or
#: crosses it) where they meet in a junction, crosses the ego's path.
CROSSING_MIN_SPEED = 1.0
CROSSING_ALONG_FRACTION = 0.5
CROSSING_LINE_M = 0.5
#: Waiting to pass a blocked stretch, the ego stands this much farther back than the two-way gap,
#: so that it can pull out around the stretch from standstill.
WAIT_STANDOFF_M = 4.0


class ExpertError(RuntimeError):
    """The expert cannot drive with the view it was given."""


@attrs.define(frozen=True)
class PdmExpertConfig:
    """The ``pdm_expert`` agent's options.

    ``rig``: a registered sensor rig to request from the world (None = pure driving, no sensors).
    ``ignore_invisible``: LEAD's asymmetry rule; needs box labels with visibility from the world
    (a ``boxes`` sensor in the rig); without them every actor counts as visible.
    """

    rig: str | None = None
    ignore_invisible: bool = True
    speed_limit_fraction: float = 0.72
    min_target_speed: float = 6.75
    max_target_speed: float = 20.0
    junction_speed: float = 25.0 / 3.6
    junction_lookahead_m: float = 8.0
    lateral_comfort_accel: float = 3.0
    forecast_s: float = 2.0
    lane_change_forecast_s: float = 1.1
    unblock_after_ticks: int = 170
    creep_speed: float = 2.0
    creep_ticks: int = 60
    shift_obstacles: bool = True


@attrs.define
class Decision:
    """What the expert decided at one tick (stored in the data as labels)."""

    target_speed: float = 0.0
    base_speed: float = 0.0
    speed_limit: float = 0.0
    hazard: str = ""
    brake: bool = False
    junction: bool = False
    route_s: float = 0.0
    creeping: bool = False
    shifted: bool = False


class PdmExpert(Agent):
    """PDM-Lite-style privileged expert; see the module docstring."""

    privileged = True

    def __init__(self, config: PdmExpertConfig = PdmExpertConfig()):
        self.config = config
        self.planner = IdmPlanner()
        self.decision = Decision()

    def sensors(self) -> list[SensorSpec]:
        if self.config.rig is None:
            return []
        from lead_framework.plugins import get_registry

        return list(get_registry().get("sensors", self.config.rig).create(None))

    def setup(self, plan: RoutePlan, privileged: PrivilegedView | None = None) -> None:
        super().setup(plan, privileged)
        if privileged is None or not hasattr(privileged, "dense_route"):
            raise ExpertError("pdm_expert needs the world's privileged view with a dense_route; "
                              "run it in a world that passes one to privileged agents (e.g. leadsim)")
        self.view = privileged
        self.route = ExpertRoute.from_view(privileged)
        self.bicycle = BicycleParameters.from_world(getattr(privileged, "ego_parameters", None))
        extent = np.asarray(getattr(privileged, "ego_extent", (2.45, 1.06, 0.76)), float)
        self.ego_half = np.array([extent[0] + EGO_LENGTH_MARGIN_M, extent[1] + EGO_WIDTH_MARGIN_M])
        self.ego_half_length = float(extent[0])
        self.lateral = LateralPid()
        self.longitudinal = LongitudinalController()
        self.tracker = ActorTracker()
        self.shifter = ObstacleShifter(self.route, getattr(privileged, "map", None))
        scene = privileged.snapshot()
        self._signals_on_path(scene)
        self._live_lights = {int(light.id): light for light in getattr(privileged, "traffic_lights", scene.traffic_lights)}
        self.served_stops: set[tuple[int, int]] = set()
        #: Light passages the ego decided to stop for at yellow: the decision holds until green, so
        #: it never turns back into 'go' halfway through braking and reaches the line at red.
        self.stopping_for: set[tuple[int, int]] = set()
        # Starting beside the route (a parking spot): merge into the lane only through a gap.
        start_xy = np.asarray(scene.actors.position[0, :2], float)
        self.merging = bool(np.linalg.norm(start_xy - self.route.points[0]) > MERGE_FROM_OFFSET_M)
        self.stop_standing_ticks = 0
        self.stopped_ticks = 0
        self.creep_left = 0
        self.decision = Decision()

    # ------------------------------------------------------------------------------ per tick
    def run_step(self, input_data: dict[str, tuple[int, Any]], timestamp: float) -> VehicleControl:
        scene = self.view.snapshot()
        actors = scene.actors
        ego_xy = np.asarray(actors.position[0, :2], float)
        ego_yaw = float(actors.yaw[0])
        speed = float(np.linalg.norm(np.asarray(actors.velocity[0, :2])))
        if self.config.shift_obstacles:
            self.shifter.update(actors, self.route.s, self.tracker.parked_ids(scene.time_s))
        s = self.route.update_progress(ego_xy)
        if self.route.version != self._signals_version:
            self._signals_on_path(scene)
        base, limit, junction = self._base_speed(s)
        ignored = self._ignored_ids(input_data)
        hazards = self._actor_hazards(actors, scene.time_s, ego_xy, ego_yaw, speed, s, base, ignored)
        hazards += self._signal_hazards(s, speed)
        target, binding = self.planner.target_speed(base, speed, hazards)
        if self.merging:  # hold in the spot until the gap is clear; once partly in the lane, go on
            offset = float(np.linalg.norm(ego_xy - np.asarray(self.route.point_at(s))))
            self.merging = offset > MERGE_DONE_OFFSET_M
            if offset > MERGE_COMMIT_OFFSET_M and not self._merge_gap_clear(actors, s):
                target = 0.0
        if self.shifter.yielding and self.shifter.emergency_close:  # move aside slowly, then wait there
            target = 0.0 if self.shifter.aside else min(target, YIELD_SPEED)
        target, creeping = self._unblock(target, binding, speed, hazards)
        steer = self.lateral.step(heading_error(self.route, ego_xy[0], ego_xy[1], ego_yaw, s, self.lateral.params.lookahead_m(speed)))
        throttle, brake = self.longitudinal.step(target, speed)
        self.decision = Decision(
            target_speed=float(target), base_speed=float(base), speed_limit=float(limit),
            hazard="" if binding is None else binding.value, brake=brake > 0.0, junction=bool(junction),
            route_s=float(s), creeping=creeping, shifted=self.shifter.active,
        )
        return VehicleControl(throttle=throttle, steer=steer, brake=brake)

    def debug_values(self) -> dict[str, float | bool | str]:
        """The latest tick's decision for ``steps.jsonl``: target speeds, the binding hazard ("" when
        none) and the flags the data stores as labels."""
        return {name: round(value, 3) if isinstance(value, float) else value
                for name, value in attrs.asdict(self.decision).items()}

    def planned_path(self, metres: float) -> np.ndarray:
        """The path the expert steers along (shifted around obstacles), every metre from its last
        projection of the ego on, world frame (M, 2); the collect stage saves it as the ``route`` label."""
        return self.route.ahead(self.route.s, metres)

    def _signals_on_path(self, scene: Any) -> None:
        """Lights and stops where the current (possibly shifted) path passes them."""
        self.lights = light_crossings(self.route, scene.traffic_lights)
        self.stops = stop_zones(self.route, scene.stop_signs)
        self._signals_version = self.route.version

    # ------------------------------------------------------------------------- target speed
    def _base_speed(self, s: float) -> tuple[float, float, bool]:
        c = self.config
        route = self.route
        i = route.index_at(s)
        limit = float(route.speed_limits[i])
        base = float(np.clip(c.speed_limit_fraction * limit, c.min_target_speed, c.max_target_speed))
        window = route.window(s, c.junction_lookahead_m)
        junction = bool(route.is_junction[window].any())
        if junction:
            base = min(base, c.junction_speed)
        if self.shifter.oncoming:  # overtaking through the oncoming lane: no dawdling there
            base = max(base, OVERTAKE_SPEED)
        curvature = route.curvature_ahead(s, max(8.0, 1.5 * base))
        if curvature > 1e-3:
            base = min(base, max(math.sqrt(c.lateral_comfort_accel / curvature), 3.0))
        return base, limit, bool(route.is_junction[i])

    def _ignored_ids(self, input_data: dict[str, tuple[int, Any]]) -> frozenset[int]:
        if not self.config.ignore_invisible:
            return frozenset()
        boxes = input_data.get("boxes")
        hidden = invisible_actor_ids(boxes[1] if boxes is not None else None)
        return hidden or frozenset()

    def _horizon_steps(self, s: float) -> int:
        window = self.route.options[self.route.window(s, 15.0)]
        seconds = self.config.lane_change_forecast_s if np.isin(window, CHANGE_LANE_OPTIONS).any() else self.config.forecast_s
        return int(round(seconds * TICK_RATE_HZ))

    def _actor_hazards(self, actors: Any, time_s: float, ego_xy: np.ndarray, ego_yaw: float, speed: float, s: float,
                       base: float, ignored: frozenset[int]) -> list[tuple[HazardType, float, float]]:
        steps = self._horizon_steps(s)
        forecast = self.tracker.forecast(actors, time_s, ego_xy, steps, DT, ignored)
        if forecast.rows.size == 0 or not self._near_path(forecast, s, speed):
            return []
        ego_path, ego_yaws = forecast_ego(self.route, self.bicycle, self.lateral, self.longitudinal,
                                          ego_xy[0], ego_xy[1], ego_yaw, speed, s, base, steps, DT)
        # Include the present: an actor already touching the ego's box ahead counts too.
        path = np.vstack([ego_xy[None], ego_path])
        yaws = np.concatenate([[ego_yaw], ego_yaws])
        now_xy = np.asarray(actors.position, float)[forecast.rows, None, :2]
        now_yaw = np.asarray(actors.yaw, float)[forecast.rows, None]
        other_xy = np.concatenate([now_xy, forecast.xy], axis=1)
        other_yaw = np.concatenate([now_yaw, forecast.yaw], axis=1)
        other_half = np.concatenate([forecast.half[:, :1], forecast.half], axis=1)
        local = to_local(np.asarray(actors.position, float)[forecast.rows, :2], ego_xy, ego_yaw)
        ahead = local[:, 0] > -0.5 * self.ego_half_length
        hit = boxes_intersect(path[None], yaws[None], self.ego_half[None, None], other_xy, other_yaw, other_half)
        travelled = arc_lengths(path)
        hazards = []
        for n in np.flatnonzero(hit.any(axis=1) & ahead):
            meet_m = float(travelled[int(np.argmax(hit[n]))])
            crossing_m = meet_m if self._crosses_route_in_junction(other_xy[n], s + meet_m) else None
            hazards.append(self._actor_hazard(forecast, int(n), local[n], ego_yaw, actors, crossing_m))
        return hazards

    def _near_path(self, forecast: Forecast, s: float, speed: float) -> bool:
        """Cheap pre-check: does any forecast come within reach of the route the ego can drive?"""
        reach = s + max(speed, self.config.max_target_speed * 0.5) * self.config.forecast_s + 2.0 * self.ego_half[0]
        path = self.route.points[self.route.index_at(s - self.ego_half[0]): self.route.index_at(reach) + 1: 2]
        radius = 6.0 + float(np.max(forecast.half[..., 0], initial=0.0))
        d = forecast.xy[:, ::4, None, :] - path[None, None, :, :]
        return bool((np.einsum("nkmi,nkmi->nkm", d, d) < radius * radius).any())

    def _actor_hazard(self, forecast: Forecast, n: int, local: np.ndarray, ego_yaw: float, actors: Any,
                      crossing_m: float | None) -> tuple[HazardType, float, float]:
        """The hazard of one actor whose forecast meets the ego's; ``crossing_m``: the ego's travel
        to the meeting when the actor's path crosses the ego's route there, in a junction."""
        kind = int(forecast.kinds[n])
        row = int(forecast.rows[n])
        relative_yaw = float(wrap_angle(float(actors.yaw[row]) - ego_yaw))
        half = np.asarray(actors.extent, float)[row, :2]
        depth = half[0] * abs(math.cos(relative_yaw)) + half[1] * abs(math.sin(relative_yaw))
        gap = max(float(local[0]) - self.ego_half_length - depth, 0.0)
        vx, vy = forecast.velocity[n]
        leader_speed = max(vx * math.cos(ego_yaw) + vy * math.sin(ego_yaw), 0.0)
        if kind == WALKER:
            return HazardType.PEDESTRIAN, gap, 0.0
        if kind == BICYCLE:
            return HazardType.BICYCLE, gap, leader_speed
        if int(actors.ids[row]) in self.shifter.blocking_ids:
            if self.shifter.waiting:  # waiting for a free lane: two-way gap rules, standing back to have room to pull out
                return HazardType.TWO_WAY, max(gap - WAIT_STANDOFF_M, 0.0), leader_speed
            return HazardType.OBSTACLE, gap, leader_speed
        if kind in (OBSTACLE, PARKED):
            return HazardType.OBSTACLE, gap, 0.0
        moving = math.hypot(vx, vy)
        if crossing_m is not None and moving > CROSSING_MIN_SPEED and leader_speed < CROSSING_ALONG_FRACTION * moving:
            # Its distance ahead says nothing about where the paths meet (a left turn across the
            # oncoming flow): stop a car length short of that point. An oncoming car that only
            # grazes the forecast (cutting a curve) stays a leading-vehicle hazard.
            return HazardType.CROSSING_VEHICLE, max(crossing_m - 2.0 * self.ego_half_length, 0.0), 0.0
        return HazardType.LEADING_VEHICLE, gap, leader_speed

    def _crosses_route_in_junction(self, path: np.ndarray, meet_s: float) -> bool:
        """Does an actor's path (now and forecast) cross the ego's route line where the ego's box
        would be at ``meet_s``, and does that box reach into a junction?"""
        box = self.route.window(meet_s - self.ego_half_length, 2.0 * self.ego_half_length)
        if not self.route.is_junction[box].any():
            return False
        i = self.route.index_at(meet_s)
        lateral = to_local(path, self.route.points[i], float(self.route.yaws[i]))[:, 1]
        return bool(lateral.min() < CROSSING_LINE_M and lateral.max() > -CROSSING_LINE_M)

    def _signal_hazards(self, s: float, speed: float) -> list[tuple[HazardType, float, float]]:
        hazards: list[tuple[HazardType, float, float]] = []
        front = s + self.ego_half_length
        for passage in self.lights:
            gap = passage.stop_s - front
            if gap < -1.0 or gap > SIGNAL_HORIZON_M:
                continue
            state = int(self._live_lights.get(int(passage.signal.id), passage.signal).state)
            stopping = speed * speed / (2.0 * 3.72)
            if state == YELLOW and gap > stopping:
                self.stopping_for.add(passage.key)
            elif state not in (RED, YELLOW):
                self.stopping_for.discard(passage.key)
            if state == RED or passage.key in self.stopping_for:
                hazards.append((HazardType.RED_LIGHT, max(gap, 0.0), 0.0))
        pending = [p for p in self.stops if p.key not in self.served_stops and p.stop_s - front <= SIGNAL_HORIZON_M]
        for n, passage in enumerate(pending):
            gap = passage.stop_s - front
            if n == 0:  # the ego can stand only at the nearest one
                standing = speed < STANDING_SPEED and gap < 4.0
                self.stop_standing_ticks = self.stop_standing_ticks + 1 if standing else 0
            if gap < -1.0 or (n == 0 and self.stop_standing_ticks >= STOP_STANDING_TICKS):
                self.served_stops.add(passage.key)  # stood at it (not just started there), or passed it
                self.stop_standing_ticks = 0
                continue
            hazards.append((HazardType.STOP_SIGN, max(gap, 0.0), 0.0))
        return hazards

    def _merge_gap_clear(self, actors: Any, s: float) -> bool:
        """No vehicle in the route lane reaches the ego within ``MERGE_GAP_S`` or is beside it (ParkingExit)."""
        kinds = np.asarray(actors.kinds, int)
        rows = np.flatnonzero(np.isin(kinds, VEHICLE_KINDS))
        rows = rows[rows > 0]
        if rows.size == 0:
            return True
        # The lane is straight at a parking spot; the frame of the route point beside the ego
        # reaches behind the route start too, where the vehicles to let by come from.
        i = self.route.index_at(s)
        lane_yaw = float(self.route.yaws[i])
        local = to_local(np.asarray(actors.position, float)[rows, :2], np.asarray(self.route.point_at(s)), lane_yaw)
        speed = np.linalg.norm(np.asarray(actors.velocity, float)[rows, :2], axis=1)
        aligned = np.cos(np.asarray(actors.yaw, float)[rows] - lane_yaw) > 0.5
        in_lane = (np.abs(local[:, 1]) < 2.0) & aligned
        gap = local[:, 0]  # negative: behind the ego
        beside = np.abs(gap) < 2.0 * self.ego_half_length + MERGE_SIDE_MARGIN_M
        coming = (gap < 0.0) & (-gap < speed * MERGE_GAP_S + 2.0 * self.ego_half_length + MERGE_SIDE_MARGIN_M)
        return not (in_lane & (beside | coming)).any()

    def _unblock(self, target: float, binding: HazardType | None, speed: float,
                 hazards: list[tuple[HazardType, float, float]]) -> tuple[float, bool]:
        """Creep forward after standing long behind a vehicle or obstacle (never at lights, stops, walkers)."""
        creepable = binding in (HazardType.LEADING_VEHICLE, HazardType.OBSTACLE, HazardType.BICYCLE)
        if speed < STANDING_SPEED and creepable:
            self.stopped_ticks += 1
        else:
            self.stopped_ticks = 0
        if self.stopped_ticks > self.config.unblock_after_ticks:
            self.creep_left = self.config.creep_ticks
            self.stopped_ticks = 0
        if self.creep_left <= 0:
            return target, False
        self.creep_left -= 1
        hard = [gap for kind, gap, _ in hazards
                if kind in (HazardType.PEDESTRIAN, HazardType.RED_LIGHT, HazardType.STOP_SIGN) or gap < 1.0]
        if hard:
            return target, False
        return max(target, self.config.creep_speed), True
