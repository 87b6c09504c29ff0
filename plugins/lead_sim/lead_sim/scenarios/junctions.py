"""Junction scenarios: flows the ego must cross or merge into, adversaries taking priority,
held lights, a blocked exit, and plain turns that test traffic-rule compliance.

Each finds the first junction within ``JUNCTION_SEARCH_M`` after the trigger on the route and
checks what the type needs (a left or right turn, lights or none). Conflicting traffic comes from
the junction's other lanes, classified by where they enter relative to the ego (oncoming, from
the left, from the right) and where they go. Resolved when the ego has left the junction.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from lead_sim.scene import LightState, Scene
from lead_sim.scenarios.actors import BICYCLE_MODEL, CAR_MODEL, Obstacles, ScenarioActor, paced_speed
from lead_sim.scenarios.base import EgoView, Scenario
from lead_sim.scenarios.errors import ScenarioPlacementError
from lead_sim.scenarios.flows import Flow
from lead_sim.scenarios.geometry import JunctionPass, Path
from lead_sim.scenarios.params import Param

JUNCTION_SEARCH_M = 80.0
AFTER_JUNCTION_M = 10.0
FLOW_UPSTREAM_M = 70.0
FLOW_DOWNSTREAM_M = 40.0
FLOW_SPEED = Param("flow_speed", default=10.0, low=1.0, high=40.0, unit="m/s")
#: A junction lane conflicts with the ego's way when it comes this close (metres) to the ego's path.
CROSSING_M = 1.5
SOURCE_GAPS = Param("source_dist_interval", "interval", default=(25.0, 50.0), low=5.0, high=300.0, unit="m")


class JunctionScenario(Scenario):
    """Base of scenarios that play out at the first junction after the trigger."""

    #: 'left'/'right': the route must turn so; 'turn': either; None: anything.
    TURN: ClassVar[str | None] = None
    #: True: the junction must have a light for the ego; False: must not; None: either.
    SIGNALIZED: ClassVar[bool | None] = None

    def plan(self) -> int:
        g = self.geometry
        junction = g.next_junction(self.trigger_index, JUNCTION_SEARCH_M)
        if junction is None:
            raise ScenarioPlacementError(f"{self.where}: needs a junction within {JUNCTION_SEARCH_M:g} m after the trigger")
        turn = junction.turn
        if self.TURN == "turn" and turn == "straight" or self.TURN in ("left", "right") and turn != self.TURN:
            wanted = "a turn" if self.TURN == "turn" else f"a {self.TURN} turn"
            raise ScenarioPlacementError(f"{self.where}: needs {wanted} at the junction after the trigger, the route goes {turn}")
        if self.SIGNALIZED is not None and self.has_light(junction) != self.SIGNALIZED:
            wanted = "with" if self.SIGNALIZED else "without"
            raise ScenarioPlacementError(f"{self.where}: needs a junction {wanted} traffic lights for the ego")
        self.junction = junction
        self.plan_junction(junction)
        return min(g.index_after(junction.exit, AFTER_JUNCTION_M), len(g) - 1)

    def _approach_lane(self, junction: JunctionPass) -> int | None:
        """The ego's lane just before ``junction``."""
        g = self.geometry
        position, yaw = g.pose(max(junction.entry - 2, 0))
        return g.lane_at(position, yaw, junction=False)

    def has_light(self, junction: JunctionPass) -> bool:
        lane = self._approach_lane(junction)
        return lane is not None and bool(self.geometry.lanes.light_landmark[lane])

    def has_stop_sign(self, junction: JunctionPass) -> bool:
        lane = self._approach_lane(junction)
        return lane is not None and bool(self.geometry.lanes.stop_landmark[lane])

    def plan_junction(self, junction: JunctionPass) -> None:
        """Type-specific checks and precomputation at the junction."""

    def ego_light(self, scene: Scene) -> int | None:
        return self.geometry.light_for(self.junction, scene.traffic_lights)

    def conflict_lanes(self, relation: str, turn: str | None) -> list[int]:
        lanes = self.geometry.junction_lanes(self.junction, relation, turn)
        if not lanes:
            raise ScenarioPlacementError(
                f"{self.where}: the junction has no lane entering from the {relation} side"
                + (f" going {turn}" if turn else "")
            )
        return lanes

    def crossing_lane(self, relation: str, turn: str | None) -> int:
        """The first junction lane from ``relation`` (going ``turn``) that comes within
        ``CROSSING_M`` of the ego's path through the junction: it crosses the ego's way or ends on
        the ego's exit lane (a lane that only passes beside it is no conflict)."""
        junction = self.junction
        ego_pts = self.geometry.dense.positions[junction.entry : junction.exit + 1, :2]
        closest = np.inf
        for lane in self.conflict_lanes(relation, turn):
            pts = self.geometry.lanes.lane_points(lane)[:, :2]
            gap = float(np.min(np.linalg.norm(pts[:, None, :] - ego_pts[None, :, :], axis=2)))
            if gap <= CROSSING_M:
                return lane
            closest = min(closest, gap)
        raise ScenarioPlacementError(
            f"{self.where}: no lane from the {relation} side" + (f" going {turn}" if turn else "")
            + f" meets the ego's path through the junction (closest {closest:.1f} m, limit {CROSSING_M:g} m)"
        )


class JunctionFlow(JunctionScenario):
    """A flow of vehicles through the junction on a lane that conflicts with the ego's way."""

    PARAMS = (FLOW_SPEED, SOURCE_GAPS)
    FLOW_FROM: ClassVar[tuple[str, str | None]] = ("oncoming", "straight")
    HOLD_GREEN: ClassVar[bool] = True

    def plan_junction(self, junction: JunctionPass) -> None:
        self.flow_lane = self.crossing_lane(*self.FLOW_FROM)

    def spawn(self, scene: Scene, ego: EgoView) -> None:
        path, _ = self.geometry.lane_path(self.flow_lane, upstream_m=FLOW_UPSTREAM_M, downstream_m=FLOW_DOWNSTREAM_M)
        self.flow = Flow(path, self.params["flow_speed"], self.params["source_dist_interval"], self.rng, self.ctx.ids, CAR_MODEL)

    def behave(self, scene: Scene, ego: EgoView, obstacles: Obstacles) -> None:
        self.flow.step(self.ctx.dt, obstacles)

    @property
    def actors(self) -> list[ScenarioActor]:
        return self.flow.actors if self.active else []

    def light_overrides(self, scene: Scene) -> dict[int, LightState]:
        light = self.ego_light(scene) if self.HOLD_GREEN else None
        return {} if light is None else {light: LightState.GREEN}


class SignalizedJunctionLeftTurn(JunctionFlow):
    """Unprotected left turn on green across an oncoming flow."""

    TURN, SIGNALIZED = "left", True


class NonSignalizedJunctionLeftTurn(JunctionFlow):
    TURN, SIGNALIZED = "left", False


class SignalizedJunctionRightTurn(JunctionFlow):
    """Right turn on green into a flow coming from the left."""

    TURN, SIGNALIZED = "right", True
    FLOW_FROM = ("left", "straight")


class NonSignalizedJunctionRightTurn(SignalizedJunctionRightTurn):
    SIGNALIZED = False


class SignalizedJunctionLeftTurnEnterFlow(JunctionFlow):
    """Left turn into the flow coming from the right (which continues on the ego's exit road)."""

    TURN, SIGNALIZED = "left", True
    FLOW_FROM = ("right", "straight")


class NonSignalizedJunctionLeftTurnEnterFlow(SignalizedJunctionLeftTurnEnterFlow):
    SIGNALIZED = False


class OppositeVehicle(JunctionScenario):
    """One vehicle crosses the junction from the ``direction`` side, timed to meet the ego at the
    conflict point: a blind ego runs into it, a careful one yields."""

    PARAMS = (Param("direction", "choice", default="right", choices=("left", "right")),)
    SPEED = 10.0
    START_M = 60.0
    PACE_UNTIL_M = 8.0

    def plan_junction(self, junction: JunctionPass) -> None:
        # A lane that never comes near the ego's way (on a right turn) holds no conflict.
        self.lane = self.crossing_lane(self.params["direction"], "straight")
        path, _ = self.geometry.lane_path(self.lane, upstream_m=self.START_M, downstream_m=40.0)
        self.path = path
        ego_pts = self.geometry.dense.positions[junction.entry : junction.exit + 1, :2]
        d = np.linalg.norm(path.points[:, None, :2] - ego_pts[None, :, :], axis=2)
        k_path, k_ego = np.unravel_index(int(np.argmin(d)), d.shape)
        self.conflict_s = float(path.cum[k_path])
        self.conflict_index = junction.entry + int(k_ego)

    def spawn(self, scene: Scene, ego: EgoView) -> None:
        # Placed where the nominal speed brings it to the conflict point with the ego (at most
        # START_M upstream; it waits there for a slow ego).
        start = max(self.conflict_s - self.SPEED * self.ego_time(ego), 0.0)
        self.mover = self.new_mover(CAR_MODEL, self.path, start, 0.0, 0.0)
        self.mover.ignore_others = True
        self.launched = False

    def ego_time(self, ego: EgoView) -> float:
        """Seconds until the ego reaches the conflict point at its current speed (at least 2 m/s)."""
        return self.geometry.metres_between(ego.index, self.conflict_index) / max(ego.speed, 2.0)

    def behave(self, scene: Scene, ego: EgoView, obstacles: Obstacles) -> None:
        ego_time = self.ego_time(ego)
        remaining = self.conflict_s - self.mover.s
        if not self.launched and remaining / self.SPEED >= ego_time:
            self.launched = True
            self.mover.speed = self.mover.target_speed = self.SPEED
        if self.launched and remaining > self.PACE_UNTIL_M:
            # Re-paced every tick until it commits (PACE_UNTIL_M before the conflict point) to get
            # there with the ego, which may still be speeding up or slowing down.
            self.mover.target_speed = paced_speed(remaining, ego_time, self.SPEED)
        self.mover.step(self.ctx.dt, obstacles)


class OppositeVehicleRunningRedLight(OppositeVehicle):
    """The crossing vehicle runs its red light while the ego has green."""

    SIGNALIZED = True

    def light_overrides(self, scene: Scene) -> dict[int, LightState]:
        light = self.ego_light(scene)
        return {} if light is None else {light: LightState.GREEN}


class OppositeVehicleTakingPriority(OppositeVehicle):
    """At a junction without lights the crossing vehicle does not yield."""

    SIGNALIZED = False


class PriorityAtJunction(JunctionScenario):
    """Support scenario: the ego's light is held green through the junction."""

    SIGNALIZED = True

    def light_overrides(self, scene: Scene) -> dict[int, LightState]:
        light = self.ego_light(scene)
        return {} if light is None else {light: LightState.GREEN}


class VanillaSignalizedTurnEncounterGreenLight(PriorityAtJunction):
    """A plain turn at a green light (traffic-rule compliance only)."""

    TURN = "turn"


class VanillaSignalizedTurnEncounterRedLight(JunctionScenario):
    """A plain turn where the light is red as the ego arrives; it turns green once the ego has
    waited ``RED_S`` seconds at the stop line."""

    TURN, SIGNALIZED = "turn", True
    RED_S = 5.0
    #: The ego counts as waiting at the stop line within this many metres of the junction.
    STOP_LINE_M = 12.0

    def spawn(self, scene: Scene, ego: EgoView) -> None:
        self.waited = 0.0

    def behave(self, scene: Scene, ego: EgoView, obstacles: Obstacles) -> None:
        if ego.speed < 0.5 and self.geometry.metres_between(ego.index, self.junction.entry) < self.STOP_LINE_M:
            self.waited += self.ctx.dt

    def light_overrides(self, scene: Scene) -> dict[int, LightState]:
        light = self.ego_light(scene)
        if light is None or self.waited >= self.RED_S:
            return {}
        return {light: LightState.RED}


class VanillaNonSignalizedTurn(JunctionScenario):
    """A plain turn at a junction without lights or a stop sign for the ego (the stop-sign case is
    its own type, VanillaNonSignalizedTurnEncounterStopsign)."""

    TURN, SIGNALIZED = "turn", False

    def plan_junction(self, junction: JunctionPass) -> None:
        if self.has_stop_sign(junction):
            raise ScenarioPlacementError(f"{self.where}: a stop sign governs the ego at the junction after the trigger")


class VanillaNonSignalizedTurnEncounterStopsign(JunctionScenario):
    """A plain turn at a stop sign (the criteria judge the stop)."""

    TURN, SIGNALIZED = "turn", False

    def plan_junction(self, junction: JunctionPass) -> None:
        if not self.has_stop_sign(junction):
            raise ScenarioPlacementError(f"{self.where}: needs a stop sign for the ego at the junction after the trigger")


class T_Junction(JunctionScenario):
    """Through a T-junction (three arms), following the traffic rules."""

    def plan_junction(self, junction: JunctionPass) -> None:
        g = self.geometry
        lanes = np.flatnonzero(g.lanes.junction_id == junction.junction_id)
        entries = {round(float(g.lanes.yaws[g.lanes.offset[k]]) / (np.pi / 2)) % 4 for k in lanes}
        if len(entries) != 3:
            raise ScenarioPlacementError(f"{self.where}: needs a T-junction (three arms), found {len(entries)} arms")


class BlockedIntersection(JunctionScenario):
    """A vehicle stands on the exit the ego turns into; the ego must stop and wait until it leaves."""

    TURN = "turn"
    BLOCK_AFTER_EXIT_M = 6.0
    #: The blocker drives off after the ego has waited this long close behind it.
    WAIT_S = 5.0

    def plan_junction(self, junction: JunctionPass) -> None:
        g = self.geometry
        self.block_index = g.index_after(junction.exit, self.BLOCK_AFTER_EXIT_M)
        if g.metres_between(junction.exit, self.block_index) < self.BLOCK_AFTER_EXIT_M - 1.0:
            raise ScenarioPlacementError(f"{self.where}: the route ends right after the junction")

    def plan(self) -> int:
        super().plan()
        return self.geometry.index_after(self.block_index, 15.0)

    def spawn(self, scene: Scene, ego: EgoView) -> None:
        s = float(self.geometry.dense.distances[self.block_index])
        self.mover = self.new_mover(CAR_MODEL, self.geometry.path, s, 0.0, 0.0)
        self.waited = 0.0

    def behave(self, scene: Scene, ego: EgoView, obstacles: Obstacles) -> None:
        close = self.geometry.metres_between(ego.index, self.block_index) < 20.0
        if close and ego.speed < 0.5:
            self.waited += self.ctx.dt
        if self.waited >= self.WAIT_S:
            self.mover.target_speed = 8.0
        self.mover.step(self.ctx.dt, obstacles)


class RouteFlow(Scenario):
    """A flow from ``start_actor_flow`` to ``end_actor_flow`` (planned on the lane graph) that the
    ego's route meets: merging (EnterActorFlow, MergerIntoSlowTraffic), crossing (Interurban*),
    leaving across it (HighwayExit). Resolved when the ego is past where the flow meets the route."""

    PARAMS = (
        Param("start_actor_flow", "location", required=True),
        Param("end_actor_flow", "location", required=True),
        FLOW_SPEED,
        SOURCE_GAPS,
    )
    MEET_DISTANCE_M = 3.0
    SEARCH_M = 150.0
    #: True: the flow must cut across the route (not only join, leave or run beside it).
    CROSSES: ClassVar[bool] = False
    CROSS_ANGLE_DEG = 60.0

    def plan(self) -> int:
        from lead_sim.routes.planner import RouteError, plan_route

        g = self.geometry
        try:
            flow = plan_route(g.town, np.array([self.params["start_actor_flow"], self.params["end_actor_flow"]]))
        except RouteError as error:
            raise ScenarioPlacementError(f"{self.where}: no drivable path from start_actor_flow to end_actor_flow: {error}") from None
        self.flow_path = Path(flow.positions)
        hi = g.index_after(self.trigger_index, self.SEARCH_M)
        route_pts = g.dense.positions[self.trigger_index : hi + 1, :2]
        d = np.min(np.linalg.norm(route_pts[:, None, :] - self.flow_path.points[None, :, :2], axis=2), axis=1)
        meets = np.flatnonzero(d < self.MEET_DISTANCE_M)
        if meets.size == 0:
            raise ScenarioPlacementError(
                f"{self.where}: the actor flow never comes within {self.MEET_DISTANCE_M:g} m of the route in the "
                f"{self.SEARCH_M:g} m after the trigger"
            )
        self.meet_index = self.trigger_index + int(meets[0])
        if self.CROSSES and not self._crosses(route_pts):
            raise ScenarioPlacementError(
                f"{self.where}: the actor flow never crosses the route (it joins, leaves or runs beside it); "
                "pick start_actor_flow/end_actor_flow on a lane that cuts across the ego's way"
            )
        return g.index_after(self.trigger_index + int(meets[-1]), AFTER_JUNCTION_M)

    def _crosses(self, route_pts: np.ndarray) -> bool:
        """Whether the flow path passes within ``CROSSING_M`` of the route points
        ``route_pts`` at more than ``CROSS_ANGLE_DEG`` to the route's heading there."""
        flow_pts = self.flow_path.points[:, :2]
        d = np.linalg.norm(flow_pts[:, None, :] - route_pts[None, :, :], axis=2)
        k_flow, k_route = np.nonzero(d < CROSSING_M)
        if k_flow.size == 0:
            return False
        flow_dir = np.gradient(flow_pts, axis=0)[k_flow]
        route_dir = np.gradient(route_pts, axis=0)[k_route]
        cos = np.abs(np.sum(flow_dir * route_dir, axis=1)) / np.maximum(
            np.linalg.norm(flow_dir, axis=1) * np.linalg.norm(route_dir, axis=1), 1e-9)
        return bool(np.any(cos < np.cos(np.radians(self.CROSS_ANGLE_DEG))))

    def spawn(self, scene: Scene, ego: EgoView) -> None:
        model = BICYCLE_MODEL if self.spec.type == "CrossingBicycleFlow" else CAR_MODEL
        self.flow = Flow(self.flow_path, self.params["flow_speed"], self.params["source_dist_interval"], self.rng, self.ctx.ids, model)

    def behave(self, scene: Scene, ego: EgoView, obstacles: Obstacles) -> None:
        self.flow.step(self.ctx.dt, obstacles)

    @property
    def actors(self) -> list[ScenarioActor]:
        return self.flow.actors if self.active else []


class EnterActorFlow(RouteFlow):
    """The ego merges into a dense flow."""


class EnterActorFlowV2(RouteFlow):
    pass


class MergerIntoSlowTraffic(RouteFlow):
    """The ego merges into slow traffic."""

    PARAMS = (*RouteFlow.PARAMS[:2], Param("flow_speed", default=4.0, low=1.0, high=40.0, unit="m/s"), SOURCE_GAPS)


class MergerIntoSlowTrafficV2(MergerIntoSlowTraffic):
    pass


class InterurbanActorFlow(RouteFlow):
    """The ego turns left off an interurban road across the oncoming flow."""

    CROSSES = True


class InterurbanAdvancedActorFlow(RouteFlow):
    pass


class HighwayExit(RouteFlow):
    """The ego leaves the road while a flow passes on the lane next to it (simplified: the flow
    runs beside the ego lane up to the exit instead of across it)."""

    MEET_DISTANCE_M = 4.5


class CrossingBicycleFlow(RouteFlow):
    """A flow of bicycles crosses the ego's way at a junction."""

    CROSSES = True

    PARAMS = (*RouteFlow.PARAMS[:2], Param("flow_speed", default=5.0, low=1.0, high=15.0, unit="m/s"), SOURCE_GAPS)
