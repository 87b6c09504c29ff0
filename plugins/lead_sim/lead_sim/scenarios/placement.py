"""Placing scenarios on routes: candidate parameters per type, and a search for a valid trigger.

A placement is valid when the scenario builds on the route: its trigger matches a route point and
its :meth:`~lead_sim.scenarios.base.Scenario.plan` accepts the geometry (an oncoming lane for
TwoWays, a same-direction lane for lane-change obstacles, the right kind of junction after the
trigger, a flow that meets the route, ...). The same check runs when a route file is loaded, so
generated files never hold impossible placements.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from lead_framework.route import ScenarioSpec, TriggerPoint
from lead_sim.scenarios.base import Scenario, ScenarioContext
from lead_sim.scenarios.catalog import SCENARIO_CLASSES
from lead_sim.scenarios.errors import ScenarioError
from lead_sim.scenarios.geometry import RouteGeometry, right_of
from lead_sim.scenarios.params import to_xml_params

Proposal = Callable[[RouteGeometry, int, np.random.Generator], dict[str, Any] | None]


def _direction(rng: np.random.Generator) -> str:
    return "right" if rng.random() < 0.7 else "left"


def _obstacle(lo: float, hi: float) -> Proposal:
    def propose(g: RouteGeometry, trigger: int, rng: np.random.Generator) -> dict[str, Any]:
        return {"distance": float(round(rng.uniform(lo, hi))), "direction": _direction(rng)}
    return propose


def _two_ways(lo: float, hi: float) -> Proposal:
    def propose(g: RouteGeometry, trigger: int, rng: np.random.Generator) -> dict[str, Any]:
        gap = float(round(rng.uniform(20.0, 40.0)))
        return {"distance": float(round(rng.uniform(lo, hi))), "direction": "right",
                "frequency": (gap, gap + float(round(rng.uniform(20.0, 60.0))))}
    return propose


#: Flow endpoints lie this far (metres) inside the lanes before and after the junctions around them.
END_INSET_M = 2.0


def _flow_endpoints(kind: str, along_route_m: float | None = None) -> Proposal:
    """start/end of a flow through the first junction after the trigger, by how it meets the route;
    it ends 30 m after the junction, or with ``along_route_m`` on the route that far after it
    (the flow then keeps to the ego's road)."""
    def propose(g: RouteGeometry, trigger: int, rng: np.random.Generator) -> dict[str, Any] | None:
        junction = g.next_junction(trigger, 80.0)
        if junction is None:
            return None
        if kind == "oncoming":
            if junction.turn != "left":
                return None  # the ego turns off across the oncoming flow
            lanes = g.junction_lanes(junction, "oncoming", "straight")
        elif kind == "crossing":
            lanes = g.junction_lanes(junction, "left", "straight") + g.junction_lanes(junction, "right", "straight")
        elif kind == "beside":
            lanes = g.junction_lanes(junction, "same", None)
        else:  # merging: lanes that end where the ego's junction lane ends
            end = g.lanes.lane_points(junction.lane)[-1, :2]
            lanes = [k for rel in ("left", "right", "oncoming") for k in g.junction_lanes(junction, rel, None)
                     if np.linalg.norm(g.lanes.lane_points(k)[-1, :2] - end) < 0.5]
        if not lanes:
            return None
        # Between the junctions before and after (a point where junction lanes overlap could send
        # the planned flow another way), ends pulled in by END_INSET_M.
        path, _ = g.lane_path(lanes[int(rng.integers(len(lanes)))], upstream_m=60.0, downstream_m=30.0,
                              from_junctions=False, into_junctions=False)
        inset = min(END_INSET_M, 0.25 * path.length)
        start, end = path.pose_at(inset)[0], path.pose_at(path.length - inset)[0]
        if along_route_m is not None:
            index = g.index_after(junction.exit, along_route_m)
            if g.metres_between(junction.exit, index) < along_route_m - 1.0:
                return None
            end = g.dense.positions[index]
        speed = float(round(rng.uniform(6.0, 12.0), 1))
        gap = float(round(rng.uniform(15.0, 30.0)))
        return {"start_actor_flow": tuple(map(float, start)), "end_actor_flow": tuple(map(float, end)),
                "flow_speed": speed, "source_dist_interval": (gap, gap + 25.0)}
    return propose


def _slow_flow(kind: str) -> Proposal:
    base = _flow_endpoints(kind)

    def propose(g: RouteGeometry, trigger: int, rng: np.random.Generator) -> dict[str, Any] | None:
        params = base(g, trigger, rng)
        if params is not None:
            params["flow_speed"] = float(round(rng.uniform(3.0, 5.0), 1))
        return params
    return propose


def _slow_traffic(g: RouteGeometry, trigger: int, rng: np.random.Generator) -> dict[str, Any] | None:
    """Slow, dense traffic the ego merges into, going on along the ego's road well past the merge
    (so an ego faster than it catches up with it)."""
    params = _flow_endpoints("merging", along_route_m=80.0)(g, trigger, rng)
    if params is not None:
        gap = float(round(rng.uniform(10.0, 15.0)))
        params.update(flow_speed=float(round(rng.uniform(2.5, 4.0), 1)), source_dist_interval=(gap, gap + 10.0))
    return params


def _junction_flow(g: RouteGeometry, trigger: int, rng: np.random.Generator) -> dict[str, Any]:
    gap = float(round(rng.uniform(20.0, 35.0)))
    return {"flow_speed": float(round(rng.uniform(8.0, 12.0), 1)), "source_dist_interval": (gap, gap + 25.0)}


def _highway_cut_in(g: RouteGeometry, trigger: int, rng: np.random.Generator) -> dict[str, Any] | None:
    index = g.index_after(trigger, 40.0)
    for side in ("right", "left"):
        if g.same_direction_neighbour(index, side) is not None:
            position, yaw = g.pose(index)
            sign = 1.0 if side == "right" else -1.0
            xy = position[:2] + sign * g.lane_width(index) * right_of(yaw)
            return {"other_actor_location": (float(xy[0]), float(xy[1]), float(position[2]))}
    return None


def _fixed(**values: Any) -> Proposal:
    def propose(g: RouteGeometry, trigger: int, rng: np.random.Generator) -> dict[str, Any]:
        return dict(values)
    return propose


def _parking_exit(g: RouteGeometry, trigger: int, rng: np.random.Generator) -> dict[str, Any]:
    return {"direction": "right", "front_vehicle_distance": float(round(rng.uniform(8.0, 12.0))),
            "behind_vehicle_distance": float(round(rng.uniform(8.0, 12.0))), "flow_distance": 25.0, "speed": 30.0}


#: Type -> parameter proposal (types not listed take their defaults).
PROPOSALS: dict[str, Proposal] = {
    "Accident": _obstacle(30.0, 70.0), "ParkedObstacle": _obstacle(30.0, 70.0),
    "ConstructionObstacle": _obstacle(30.0, 70.0), "HazardAtSideLane": _obstacle(30.0, 70.0),
    "AccidentTwoWays": _two_ways(30.0, 70.0), "ParkedObstacleTwoWays": _two_ways(30.0, 70.0),
    "ConstructionObstacleTwoWays": _two_ways(30.0, 70.0), "HazardAtSideLaneTwoWays": _two_ways(30.0, 70.0),
    "VehicleOpensDoorTwoWays": _two_ways(25.0, 50.0),
    "DynamicObjectCrossing": lambda g, t, rng: {"distance": float(round(rng.uniform(10.0, 25.0))), "direction": _direction(rng)},
    "ParkingCrossingPedestrian": lambda g, t, rng: {"distance": float(round(rng.uniform(10.0, 25.0))), "direction": "right"},
    "SignalizedJunctionLeftTurn": _junction_flow, "NonSignalizedJunctionLeftTurn": _junction_flow,
    "SignalizedJunctionRightTurn": _junction_flow, "NonSignalizedJunctionRightTurn": _junction_flow,
    "SignalizedJunctionLeftTurnEnterFlow": _junction_flow, "NonSignalizedJunctionLeftTurnEnterFlow": _junction_flow,
    "OppositeVehicleRunningRedLight": lambda g, t, rng: {"direction": _direction(rng)},
    "OppositeVehicleTakingPriority": lambda g, t, rng: {"direction": _direction(rng)},
    "InterurbanActorFlow": _flow_endpoints("oncoming"), "InterurbanAdvancedActorFlow": _flow_endpoints("merging"),
    "EnterActorFlow": _flow_endpoints("merging"), "EnterActorFlowV2": _flow_endpoints("merging"),
    "MergerIntoSlowTraffic": _slow_traffic, "MergerIntoSlowTrafficV2": _slow_traffic,
    "HighwayExit": _flow_endpoints("beside"), "CrossingBicycleFlow": _slow_flow("crossing"),
    "HighwayCutIn": _highway_cut_in,
    "StaticCutIn": lambda g, t, rng: {"distance": float(round(rng.uniform(30.0, 60.0))), "direction": _direction(rng)},
    "ParkingCutIn": _fixed(direction="right"),
    "YieldToEmergencyVehicle": lambda g, t, rng: {"distance": float(round(rng.uniform(40.0, 80.0)))},
    "InvadingTurn": lambda g, t, rng: {"distance": float(round(rng.uniform(30.0, 60.0))),
                                       "offset": float(round(rng.uniform(0.2, 0.4), 2))},
    "ParkingExit": _parking_exit,
}


def trigger_at(g: RouteGeometry, index: int) -> TriggerPoint:
    position, yaw = g.pose(index)
    return TriggerPoint(float(round(position[0], 3)), float(round(position[1], 3)), float(round(position[2], 3)),
                        float(round(math.degrees(yaw), 2)))


def try_place(
    scenario_type: str, name: str, g: RouteGeometry, index: int, rng: np.random.Generator, route_id: str = "candidate"
) -> tuple[ScenarioSpec, Scenario] | None:
    """The spec and built scenario of ``scenario_type`` triggered at dense ``index``, or None when
    the type cannot be placed there."""
    cls = SCENARIO_CLASSES[scenario_type]
    propose = PROPOSALS.get(scenario_type)
    values = propose(g, index, rng) if propose is not None else {}
    if values is None:
        return None
    spec = ScenarioSpec(name=name, type=scenario_type, trigger=trigger_at(g, index), params=to_xml_params(cls.PARAMS, values))
    try:
        return spec, cls(spec, ScenarioContext(route_id=route_id, geometry=g))
    except ScenarioError:
        return None


def candidate_indices(g: RouteGeometry, scenario_type: str, rng: np.random.Generator, step_m: float = 4.0) -> list[int]:
    """Dense indices worth trying as triggers (ParkingExit only at the route start), shuffled."""
    if scenario_type == "ParkingExit":
        return [0]
    indices = np.unique([g.index_after(0, d) for d in np.arange(2.0, g.dense.length_m - 20.0, step_m)])
    indices = [int(i) for i in indices if not g.dense.is_junction[i]]
    rng.shuffle(indices)
    return indices
